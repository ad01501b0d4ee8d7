"""Back-pressure for /brief: each summary mode's queue is bounded by a deadline.

Briefs run in worker threads; a mode that is slower than the rate briefs arrive would build
an ever longer queue, and answers would pass Discord's 15-minute interaction lifetime.
`ModeLoad` keeps, per worker lane, the briefs admitted and not finished, and per mode a
moving average of how long one takes; a new brief is admitted only when its expected wait
(the work queued ahead in its lane, divided among the lane's workers, plus its own time)
stays within the deadline. The caller then falls back to the fast mode, or apologises.
Hand-written: this is a few counters tied to our lanes, no queueing library fits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

# Seconds one brief is assumed to take before a first one of the mode was measured
# (deliberately pessimistic for the model-based modes; replaced by measurements).
FIRST_GUESS = {"extractive": 0.5, "lead": 0.2, "semantic": 0.6, "abstractive": 15.0}
SMOOTHING = 0.3  # weight of the newest measurement in the moving average


class ModeLoad:
    """Admitted-but-unfinished briefs per lane and the measured time of each mode."""

    def __init__(self, lane_of: Mapping[str, str], workers: Mapping[str, int], deadline: float):
        self.lane_of = dict(lane_of)
        self.workers = dict(workers)
        self.deadline = deadline
        self.seconds: dict[str, float] = {}
        self._pending: dict[str, list[str]] = defaultdict(list)  # lane -> modes of its queue

    def estimate(self, mode: str) -> float:
        """Seconds one brief of `mode` takes (measured moving average, or the first guess)."""
        return self.seconds.get(mode, FIRST_GUESS.get(mode, 2.0))

    def expected_wait(self, mode: str) -> float:
        """Seconds until a brief of `mode` admitted now would be answered."""
        lane = self.lane_of.get(mode, "command")
        ahead = sum(self.estimate(m) for m in self._pending[lane])
        return ahead / max(self.workers.get(lane, 1), 1) + self.estimate(mode)

    def admit(self, mode: str) -> bool:
        """Count a brief of `mode` in when it can be answered within the deadline."""
        if self.expected_wait(mode) > self.deadline:
            return False
        self._pending[self.lane_of.get(mode, "command")].append(mode)
        return True

    def done(self, mode: str, elapsed: float | None) -> None:
        """An admitted brief finished (elapsed: seconds its summary took, None if it did not run)."""
        queue = self._pending[self.lane_of.get(mode, "command")]
        if mode in queue:
            queue.remove(mode)
        if elapsed is not None:
            previous = self.seconds.get(mode)
            self.seconds[mode] = (
                elapsed if previous is None else (1 - SMOOTHING) * previous + SMOOTHING * elapsed
            )

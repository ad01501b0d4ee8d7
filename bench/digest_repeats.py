"""Update digests on the DUC 2007 update topics: what a channel is told again, day after day.

    python bench/digest_repeats.py ../shared/data/duc/duc2007_update_dev.jsonl [--max-stories 5]

Per topic, a channel subscribes (to every new story: the store holds only that topic's
articles) and gets three daily digests: day 1 after
set A is stored, day 2 after set B, day 3 after set C (each set's articles dated on its day, in
their order). For every digest: its new and developing stories, its sentences, how many of
them the channel was shown before (exactly), and how new they are to the channel: the share of
a sentence's word pairs (lower-cased words, nothing dropped: not the digest's own measure) that
no earlier sentence shown to the channel had, averaged, and how many sentences are mostly
told (under half new). Beside it, "plain": the same stories each told by its lead article's
1-2 sentence summary (what a digest that does not follow what the channel was told says; the
digest before update digests told every story so), measured the same way.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from summarizer.briefs import digest as engine  # noqa: E402
from summarizer.briefs.digest.compose import _summary  # noqa: E402  (the plain telling, for comparison)
from summarizer.config import Settings  # noqa: E402
from summarizer.models import Document  # noqa: E402
from summarizer.store import open_store  # noqa: E402

DAY_ONE = datetime(2026, 6, 1, tzinfo=UTC)


_WORD = re.compile(r"\w+")


def _pairs(sentence: str) -> set[tuple[str, str]]:
    words = _WORD.findall(sentence.lower())
    return set(zip(words, words[1:], strict=False))


def repeats(sentences: list[str], told: list[str]) -> tuple[int, int, float]:
    """Of `sentences`: how many were told exactly, how many are mostly told (under half of
    their word pairs new), and the sum of their shares of new word pairs."""
    told_pairs = set().union(*(_pairs(s) for s in told))
    novelty = [len(_pairs(s) - told_pairs) / max(len(_pairs(s)), 1) for s in sentences]
    return sum(s in told for s in sentences), sum(n < 0.5 for n in novelty), sum(novelty)


def run_topic(topic: dict, settings: Settings, max_stories: int) -> list[dict]:
    """The three digests of one topic, each as a row of figures."""
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(Path(folder) / "digest.db")
        engine.subscribe(store, "1", topic["id"], "", "08:00", "UTC", max_stories, now=DAY_ONE)
        told: list[str] = []
        rows = []
        for day, name in enumerate(("A", "B", "C")):
            morning = DAY_ONE + timedelta(days=day, hours=5)
            for i, doc in enumerate(topic["sets"][name]["docs"]):
                at = morning + timedelta(minutes=i)
                url = f"https://duc.example/{doc['id']}"
                store.upsert(
                    Document(url=url, title=doc["headline"], text=doc["text"], published_at=at), now=at
                )
            now = DAY_ONE + timedelta(days=day, hours=8, seconds=5)
            [(subscription, local_date)] = engine.due_digests(store, now, timedelta(hours=6))
            digest = engine.compose_digest(store, subscription, now, settings)
            sentences = [s for story in digest.stories for s in story.sentences]
            plain = []
            for story in digest.stories:
                [lead] = store.get_many(story.citation.article_ids[:1])
                plain += _summary(lead, "", settings)
            rows.append(
                {
                    "topic": topic["id"],
                    "day": day + 1,
                    "new": len(digest.new_stories),
                    "developing": len(digest.developing_stories),
                    "update": len(sentences),
                    "update_repeats": repeats(sentences, told),
                    "plain": len(plain),
                    "plain_repeats": repeats(plain, told),
                }
            )
            assert engine.record_digest(store, subscription, local_date, digest, now)
            engine.mark_posted(store, subscription.id, local_date, now, None)
            told += sentences
        store.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("data", type=Path, help="duc2007_update_dev.jsonl (or the same format)")
    parser.add_argument("--max-stories", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    settings = Settings(vector_search=False)
    topics = [json.loads(line) for line in args.data.read_text().splitlines() if line.strip()]
    print("topic   day  new  developing | update: sentences exact mostly-told new-share | plain: same")
    totals = {"update": [0, 0, 0, 0.0], "plain": [0, 0, 0, 0.0]}
    for topic in topics:
        for row in run_topic(topic, settings, args.max_stories):
            cells = []
            for kind in ("update", "plain"):
                count, (exact, mostly, novelty) = row[kind], row[f"{kind}_repeats"]
                cells.append(f"{count:>9} {exact:>5} {mostly:>11} {novelty / max(count, 1):>9.2f}")
                if row["day"] > 1:
                    for i, value in enumerate((count, exact, mostly, novelty)):
                        totals[kind][i] += value
            print(
                f"{row['topic']:<7} {row['day']:>3} {row['new']:>4} {row['developing']:>11} | "
                + " | ".join(cells)
            )
    for kind, (count, exact, mostly, novelty) in totals.items():
        print(
            f"days 2-3, {kind}: {count} sentences, {exact} told before exactly, {mostly} mostly told, "
            f"mean share of new word pairs {novelty / max(count, 1):.2f}"
        )


if __name__ == "__main__":
    main()

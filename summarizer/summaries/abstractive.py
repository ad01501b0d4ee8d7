"""Abstractive mode: a seq2seq model (transformers) writes the summary.

`SUMMARIZER_MODEL` names the model: a local directory, or a hub id already in the local
cache. It is loaded once per name, lazily, and never from the network (a model missing
from the cache fails at once, not after the hub's retries). Text longer than the model
takes is cut into chunks on sentence boundaries; each chunk is summarized, and the chunk
summaries (of each passage in turn) make the summary, kept within the sentence, word and
character budgets. For a brief, the model rewrites the sentences the query-focused
selection chose. Each output sentence cites the passage it was written from.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from summarizer.config import Settings
from summarizer.errors import ModelError
from summarizer.sentences import split_sentences
from summarizer.summaries import focused
from summarizer.summaries.base import Budget, Passage, Picked, Summarizer
from summarizer.summaries.scoring import clip, content_terms, overlap

_LOADED: dict[str, tuple] = {}
_LOCK = threading.Lock()
MAX_INPUT_TOKENS = 1024  # cap when a tokenizer does not say how much it takes
MAX_SUMMARY_TOKENS = 128
MAX_CHUNKS = 4  # per passage: beyond this a brief would take minutes on a CPU


def _model_directory(name: str) -> Path | None:
    """The local directory SUMMARIZER_MODEL names, or None for a hub id ('org/model').
    Raises ModelError when it is written as a path (absolute, ./, ~/) but is no directory."""
    path = Path(name).expanduser()
    if path.is_dir():
        return path
    if path.is_absolute() or name.startswith((".", "~")) or name.count("/") > 1 or path.exists():
        problem = "is a file, not a model directory" if path.exists() else "does not exist"
        raise ModelError(f"SUMMARIZER_MODEL={name}: the directory {path} {problem}")
    return None


def load_model(name: str) -> tuple:
    """(tokenizer, model) for `name`, loaded once. Raises ModelError with a readable reason."""
    if not name:
        raise ModelError("SUMMARIZER_MODEL is not set: set it in .env to a local model directory or hub id")
    with _LOCK:
        if name not in _LOADED:
            directory = _model_directory(name)
            try:
                from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

                where = str(directory or name)
                tokenizer = AutoTokenizer.from_pretrained(where, local_files_only=True)
                model = AutoModelForSeq2SeqLM.from_pretrained(where, local_files_only=True)
                model.eval()
            except Exception as exc:  # transformers raises many kinds; all mean "no model"
                if directory is None:
                    raise ModelError(
                        f"could not load model {name} offline: it is not in the local Hugging Face "
                        f"cache, and briefbot never downloads at run time: fetch it first "
                        f"(hf download {name}) or set SUMMARIZER_MODEL to a model directory"
                    ) from exc
                raise ModelError(f"could not load model {name} offline: {exc}") from exc
            _LOADED[name] = (tokenizer, model)
        return _LOADED[name]


def input_limit(tokenizer, model) -> int:
    """How many tokens the model takes in, from the tokenizer or else the model's config."""
    limit = getattr(tokenizer, "model_max_length", None)
    if not limit or limit > 100_000:  # "no limit" is written as a huge number
        config = model.config
        limit = getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", None)
    return int(min(limit or MAX_INPUT_TOKENS, MAX_INPUT_TOKENS))


def chunks(sentences: Sequence[str], tokenizer, limit: int) -> list[str]:
    """Consecutive sentences joined into pieces of at most `limit` tokens each.

    A single sentence longer than `limit` is its own piece (the tokenizer truncates it).
    """
    pieces: list[str] = []
    current: list[str] = []
    used = 0
    for sentence in sentences:
        size = len(tokenizer.encode(sentence, add_special_tokens=False))
        if current and used + size > limit:
            pieces.append(" ".join(current))
            current, used = [], 0
        current.append(sentence)
        used += size
    if current:
        pieces.append(" ".join(current))
    return pieces


class AbstractiveSummarizer(Summarizer):
    """Summaries written by the seq2seq model named in `settings.summarizer_model`."""

    name = "abstractive"

    def __init__(self, settings: Settings) -> None:
        self.model_name = settings.summarizer_model.strip()

    def prepare(self) -> None:
        """Load the model now; raises ModelError (as a summary would) when it cannot be."""
        load_model(self.model_name)

    def generate(self, texts: list[str]) -> list[str]:
        """One summary per input text (beam search, batched)."""
        import torch

        tokenizer, model = load_model(self.model_name)
        limit = input_limit(tokenizer, model)
        batch = tokenizer(texts, truncation=True, max_length=limit, padding=True, return_tensors="pt")
        with torch.inference_mode():
            output = model.generate(
                **batch, max_new_tokens=MAX_SUMMARY_TOKENS, num_beams=2, no_repeat_ngram_size=3
            )
        return [t.strip() for t in tokenizer.batch_decode(output, skip_special_tokens=True)]

    def summarize(
        self, passages: Sequence[Passage], budget: Budget, topic: str = "", known: Sequence[Passage] = ()
    ) -> list[Picked]:
        """Summarize each passage (chunked to fit), then take their sentences in turn
        (first of each passage, then second...) within `budget`, each fact once.

        With a topic (a brief), the model rewrites what the query-focused selection chose
        (twice the budget, grouped by story) rather than whole articles."""
        if topic.strip():
            passages = focused_passages(passages, budget, topic)
        tokenizer, model = load_model(self.model_name)
        limit = input_limit(tokenizer, model) - 2  # room for the special tokens
        written: list[tuple[int, list[str]]] = []
        for passage in passages:
            sentences = [s for s in passage.sentences if s.strip()]
            if sentences:
                pieces = chunks(sentences, tokenizer, limit)[:MAX_CHUNKS]
                told = [s for summary in self.generate(pieces) for s in split_sentences(summary)]
                written.append((passage.key, told))
        picked: list[Picked] = []
        seen: list[set[str]] = []
        used = used_words = 0
        depth = max((len(told) for _, told in written), default=0)
        for index in range(depth):
            for key, told in written:
                if index >= len(told) or len(picked) >= budget.sentences:
                    continue
                sentence = told[index]
                terms = set(content_terms(sentence))
                if not terms or any(overlap(terms, other) >= 0.6 for other in seen):
                    continue
                length = len(sentence) + (1 if picked else 0)
                if budget.max_chars is not None and used + length > budget.max_chars:
                    if not picked:
                        picked.append(Picked(clip(sentence, budget.max_chars), (key,)))
                    continue
                if budget.words is not None and used_words + len(sentence.split()) > budget.words:
                    continue
                picked.append(Picked(sentence, (key,)))
                seen.append(terms)
                used += length
                used_words += len(sentence.split())
        return picked


def focused_passages(passages: Sequence[Passage], budget: Budget, topic: str) -> list[Passage]:
    """What the query-focused selection picks for `topic` (twice `budget`), one passage per
    story key in the order chosen: the input a model rewrites for a brief."""
    words = 2 * (budget.words or 25 * budget.sentences)
    chosen = focused.select(passages, Budget(sentences=2 * budget.sentences, words=words), topic)
    by_key: dict[int, list[str]] = {}
    for item in chosen:
        by_key.setdefault(item.keys[0], []).append(item.text)
    return [Passage(key, "", tuple(texts)) for key, texts in by_key.items()]

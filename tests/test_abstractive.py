"""Abstractive mode through the real transformers code path, on a tiny model built here.

The model (a one-layer T5 with a word-level tokenizer trained on these sentences) learns in
a few seconds to write one summary sentence per chunk of an article, then is saved to a
temp dir and loaded back by `SUMMARIZER_MODEL` like any local model.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import torch
import transformers
from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers

from summarizer.briefs.brief import summarize_text
from summarizer.config import Settings
from summarizer.errors import ModelError
from summarizer.summaries import Budget, Passage, get_summarizer
from summarizer.summaries.abstractive import chunks

FLOOD = [
    "the river burst its banks on sunday .",
    "two hundred homes were flooded in the town .",
    "boats rescued elderly people from upper floors .",
]
BUDGET = [
    "parliament delayed the budget vote on monday .",
    "talks between the parties broke down late at night .",
    "the vote will now take place next month .",
]
TARGETS = ["floods hit the town .", "the budget vote was delayed ."]
MAX_TOKENS = 32
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    torch.manual_seed(0)
    words = Tokenizer(models.WordLevel(unk_token="<unk>"))
    words.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    words.train_from_iterator(
        FLOOD + BUDGET + TARGETS,
        trainers.WordLevelTrainer(special_tokens=["<pad>", "</s>", "<unk>"]),
    )
    words.post_processor = processors.TemplateProcessing(
        single="$A </s>", special_tokens=[("</s>", words.token_to_id("</s>"))]
    )
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=words,
        pad_token="<pad>",
        eos_token="</s>",
        unk_token="<unk>",
        model_max_length=MAX_TOKENS,
    )
    config = transformers.T5Config(
        vocab_size=words.get_vocab_size(),
        d_model=32,
        d_ff=64,
        d_kv=16,
        num_heads=2,
        num_layers=1,
        num_decoder_layers=1,
        pad_token_id=0,
        eos_token_id=1,
        decoder_start_token_id=0,
    )
    model = transformers.T5ForConditionalGeneration(config)
    # The chunks the real code will make of the article, each taught its summary.
    pieces = chunks(FLOOD + BUDGET, tokenizer, MAX_TOKENS - 2)
    assert len(pieces) == 2
    inputs = tokenizer(pieces, padding=True, return_tensors="pt")
    labels = tokenizer(TARGETS, padding=True, return_tensors="pt").input_ids
    labels[labels == 0] = -100
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    model.train()
    for _ in range(150):
        loss = model(**inputs, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    path = tmp_path_factory.mktemp("tiny-t5")
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def test_long_input_is_chunked_and_each_chunk_summarized(model_dir):
    settings = Settings(summarizer_model=str(model_dir))
    summarizer = get_summarizer("abstractive", settings)
    picked = summarizer.summarize([Passage(7, "", tuple(FLOOD + BUDGET))], Budget(sentences=4))
    assert [p.text for p in picked] == TARGETS
    assert all(p.keys == (7,) for p in picked)


def test_budgets_hold(model_dir):
    summarizer = get_summarizer("abstractive", Settings(summarizer_model=str(model_dir)))
    one = summarizer.summarize([Passage(0, "", tuple(FLOOD + BUDGET))], Budget(sentences=1))
    assert [p.text for p in one] == TARGETS[:1]
    short = summarizer.summarize([Passage(0, "", tuple(FLOOD + BUDGET))], Budget(sentences=4, max_chars=25))
    assert len(" ".join(p.text for p in short)) <= 25


def test_summarize_text_in_abstractive_mode(model_dir):
    result = summarize_text(
        "\n".join(FLOOD + BUDGET),
        settings=Settings(summarizer_model=str(model_dir)),
        mode="abstractive",
        sentences=3,
    )
    assert result.mode == "abstractive"
    assert [s.text for s in result.sentences] == TARGETS


def test_clear_errors_without_a_model(tmp_path):
    with pytest.raises(ModelError, match="SUMMARIZER_MODEL is not set"):
        get_summarizer("abstractive", Settings()).summarize([Passage(0, "", ("Some text here.",))], Budget(2))
    missing = tmp_path / "no-such-model"
    missing.mkdir()
    with pytest.raises(ModelError, match=f"could not load model {missing} offline"):
        get_summarizer("abstractive", Settings(summarizer_model=str(missing))).summarize(
            [Passage(0, "", ("Some text here.",))], Budget(2)
        )


def test_prepare_loads_ahead_or_fails_clearly(model_dir, tmp_path):
    get_summarizer("abstractive", Settings(summarizer_model=str(model_dir))).prepare()
    with pytest.raises(ModelError, match="SUMMARIZER_MODEL is not set"):
        get_summarizer("abstractive", Settings()).prepare()
    with pytest.raises(ModelError):
        get_summarizer("abstractive", Settings(summarizer_model=str(tmp_path / "missing"))).prepare()


def test_a_model_path_that_does_not_exist_is_named(tmp_path):
    for name in ("/nonexistent", "./no-such-model", "~/no-such-model", str(tmp_path / "missing")):
        with pytest.raises(ModelError, match=r"SUMMARIZER_MODEL=.*: the directory .* does not exist"):
            get_summarizer("abstractive", Settings(summarizer_model=name)).prepare()
    (tmp_path / "weights.bin").write_bytes(b"\0")
    with pytest.raises(ModelError, match="is a file, not a model directory"):
        get_summarizer("abstractive", Settings(summarizer_model=str(tmp_path / "weights.bin"))).prepare()


class _Hub(BaseHTTPRequestHandler):
    """A stand-in for the Hugging Face hub that records every request and has no model."""

    seen: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.seen.append(self.path)
        self.send_error(404)

    do_HEAD = do_GET

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (signature of the base)
        pass


def test_a_hub_id_missing_from_the_cache_fails_at_once_without_network(tmp_path):
    hub = ThreadingHTTPServer(("127.0.0.1", 0), _Hub)
    serving = threading.Thread(target=hub.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    serving.start()
    env = {k: v for k, v in os.environ.items() if k not in {"HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"}}
    env.update(
        PYTHONPATH=str(REPO),
        HF_HOME=str(tmp_path / "hf"),
        HF_ENDPOINT=f"http://127.0.0.1:{hub.server_address[1]}",
        SUMMARIZER_MODEL="briefbot-tests/uncached-t5",
    )
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "summarizer.cli",
                "summarize",
                str(REPO / "seeds" / "000_af79404526cc2af2.txt"),
                "--mode",
                "abstractive",
            ],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=300,
        )
    finally:
        hub.shutdown()
        hub.server_close()
        serving.join(timeout=5)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "not in the local Hugging Face cache" in result.stderr and "Traceback" not in result.stderr
    assert not [path for path in _Hub.seen if "uncached-t5" in path]  # the model was never asked for

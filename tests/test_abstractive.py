"""Abstractive mode through the real transformers code path, on a tiny model built here.

The model (a one-layer T5 with a word-level tokenizer trained on these sentences) learns in
a few seconds to write one summary sentence per chunk of an article, then is saved to a
temp dir and loaded back by `SUMMARIZER_MODEL` like any local model.
"""

from __future__ import annotations

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
        tokenizer_object=words, pad_token="<pad>", eos_token="</s>", unk_token="<unk>",
        model_max_length=MAX_TOKENS,
    )
    config = transformers.T5Config(
        vocab_size=words.get_vocab_size(), d_model=32, d_ff=64, d_kv=16, num_heads=2,
        num_layers=1, num_decoder_layers=1, pad_token_id=0, eos_token_id=1,
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
    result = summarize_text("\n".join(FLOOD + BUDGET), settings=Settings(summarizer_model=str(model_dir)),
                            mode="abstractive", sentences=3)
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

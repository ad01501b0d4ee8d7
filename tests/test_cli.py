"""The `briefbot` command line, run as a user would, on a real SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from summarizer.cli import main

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@pytest.fixture
def run(tmp_path: Path, monkeypatch):
    """Invoke `briefbot ARGS...` against a database in tmp_path; returns the click Result."""
    monkeypatch.chdir(tmp_path)  # no stray .env from the repo
    db = str(tmp_path / "cli.db")

    def invoke(*args: str, input: str | None = None):
        return CliRunner().invoke(main, ["--db", db, *args], input=input, catch_exceptions=False)

    return invoke


def test_ingest_seeds_then_search_lavrov_lists_his_seed_first(run):
    result = run("ingest", str(SEEDS))
    assert result.exit_code == 0, result.output
    assert "3 added, 0 updated, 0 duplicate, 0 failed" in result.output
    again = run("ingest", str(SEEDS))
    assert "0 added, 0 updated, 3 duplicate, 0 failed" in again.output

    hits = json.loads(run("search", "Lavrov", "--json").output)
    assert Path(hits[0]["url"].removeprefix("file://")).name.startswith("001_")
    assert "Lavrov" in hits[0]["title"] or "Lavrov" in hits[0]["snippet"]


def test_search_reports_no_match_and_bad_since_clearly(run):
    run("ingest", str(SEEDS))
    assert "no article matches 'zeppelin' among 3 stored" in run("search", "zeppelin").output
    bad = CliRunner().invoke(main, ["search", "korea", "--since", "someday"])
    assert bad.exit_code == 1
    assert "24h" in bad.output and "Traceback" not in bad.output


def test_hostile_query_from_the_command_line(run):
    run("ingest", str(SEEDS))
    result = run("search", '"korea (AND NEAR* title:x 🙂')
    assert result.exit_code == 0
    assert "Traceback" not in result.output


def test_brief_over_the_seeds_cites_sources_without_teasers(run):
    run("ingest", str(SEEDS))
    data = json.loads(run("brief", "South Korea weapons Ukraine", "--json").output)
    assert data["sentences"], data
    text = " ".join(s["text"] for s in data["sentences"])
    for teaser in ("Hormuz", "Starmer", "Macron", "Gen Z", "keep reading", "Subscribe", "cta"):
        assert teaser not in text
    numbers = {c["number"] for c in data["citations"]}
    assert all(s["citations"] and set(s["citations"]) <= numbers for s in data["sentences"])


def test_summarize_a_file_and_stdin(run):
    result = run("summarize", str(SEEDS / "000_af79404526cc2af2.txt"), "--sentences", "2", "--json")
    data = json.loads(result.output)
    assert 1 <= len(data["sentences"]) <= 2
    piped = run("summarize", "-", "--json", input=(SEEDS / "001_ccffabdfcc3a002f.txt").read_text())
    assert json.loads(piped.output)["sentences"]


def test_a_failed_item_does_not_stop_the_batch(run, tmp_path: Path):
    (tmp_path / "blob.txt").write_bytes(b"\x00\x01\x02binary\x00")
    result = run("ingest", str(tmp_path / "blob.txt"), str(SEEDS / "000_af79404526cc2af2.txt"))
    assert result.exit_code == 0
    assert "1 added, 0 updated, 0 duplicate, 1 failed" in result.output
    assert "binary" in result.output


def test_sources_list_and_remove_unknown(run):
    run("ingest", str(SEEDS))
    assert "no feeds yet" in run("sources", "list").output
    result = run("sources", "remove", "https://nowhere.example/feed")
    assert result.exit_code != 0 and "no feed" in result.output

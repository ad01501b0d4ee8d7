"""Bad input and faults on the `briefbot` command line: one clear line, never a traceback.

Run as a user would: click's CliRunner on real SQLite files, and real subprocesses where a
signal or the network is involved.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from http_server import rss_feed

from summarizer import cli
from summarizer.cli import main
from summarizer.store import open_store

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch) -> Path:
    """A working folder with no .env and no store."""
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.delenv("DATABASE_PATH", raising=False)
    return folder


def invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def one_clear_line(result) -> str:
    """The output of a refused command: one line, no traceback; returns it."""
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.fixture
def seeded(cwd: Path) -> str:
    """A store with the three seed articles; returns its path."""
    db = str(cwd / "seeded.db")
    assert invoke("--db", db, "ingest", "-q", str(SEEDS)).exit_code == 0
    return db


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- the store --------------------------------------------------------------------


def test_db_that_is_a_folder_or_not_a_store_is_one_line(cwd: Path):
    line = one_clear_line(invoke("--db", str(cwd), "search", "Yukos"))
    assert "is a folder" in line and "briefbot.db" in line
    (cwd / "notes.txt").write_text("shopping list\n" * 100)
    line = one_clear_line(invoke("--db", str(cwd / "notes.txt"), "ingest", str(SEEDS)))
    assert "notes.txt is not a briefbot store" in line
    assert (cwd / "notes.txt").read_text() == "shopping list\n" * 100
    other = sqlite3.connect(cwd / "places.sqlite")
    other.execute("CREATE TABLE bookmarks (url TEXT)")
    other.commit()
    other.close()
    line = one_clear_line(invoke("--db", str(cwd / "places.sqlite"), "ingest", str(SEEDS)))
    assert "another program" in line
    tables = sqlite3.connect(cwd / "places.sqlite").execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == [("bookmarks",)]


@pytest.mark.parametrize(
    "command",
    [
        ["search", "Yukos"],
        ["brief", "Yukos"],
        ["sources", "list"],
        ["sources", "remove", "https://a.example/rss"],
        ["digest", "list"],
        ["digest", "preview", "123"],
        ["poll"],
    ],
)
def test_read_only_commands_never_create_a_store(cwd: Path, command: list[str]):
    missing = cwd / "no-such-dir" / "x.db"
    line = one_clear_line(invoke("--db", str(missing), *command))
    assert f"no store at {missing}" in line and "briefbot ingest" in line
    assert not (cwd / "no-such-dir").exists()


def test_the_store_is_found_in_the_current_folder_or_said_missing(cwd: Path, tmp_path: Path, monkeypatch):
    result = invoke("ingest", "-q", str(SEEDS))
    assert result.exit_code == 0
    assert f"created a new store at {cwd / 'briefbot.db'}" in result.output
    assert "Lavrov" in invoke("search", "Lavrov").output
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    line = one_clear_line(invoke("search", "Lavrov"))
    assert f"no store at {elsewhere / 'briefbot.db'}" in line
    assert list(elsewhere.iterdir()) == []
    assert "Lavrov" in invoke("search", "Lavrov", env={"DATABASE_PATH": str(cwd / "briefbot.db")}).output


def test_db_is_accepted_after_the_command(seeded: str):
    hits = json.loads(invoke("search", "Lavrov", "--json", "--db", seeded).output)
    assert hits and "Lavrov" in hits[0]["title"] + hits[0]["snippet"]
    assert "no feeds yet" in invoke("sources", "list", f"--db={seeded}").output
    assert invoke("--db", "ignored.db", "search", "Lavrov", "--db", seeded).exit_code == 0


# -- options and words -----------------------------------------------------------


def test_query_words_starting_with_a_dash_are_query_text(seeded: str):
    every = {hit["url"] for hit in json.loads(invoke("--db", seeded, "search", "Korea", "--json").output)}
    assert len(every) == 3
    without = json.loads(invoke("--db", seeded, "search", "Korea", "-Lavrov", "--json").output)
    assert 0 < len(without) < 3
    assert all("Lavrov" not in hit["title"] + hit["snippet"] for hit in without)
    result = invoke("--db", seeded, "search", "-Korea")
    assert result.exit_code == 0 and "No such option" not in result.output
    assert invoke("--db", seeded, "search", "--", "-Korea").exit_code == 0
    assert invoke("--db", seeded, "brief", "Korea", "-Lavrov", "--json").exit_code == 0
    typo = invoke("--db", seeded, "search", "--limt", "3", "Korea")
    assert typo.exit_code == 2 and "No such option" in typo.output and "--limit" in typo.output


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["ingest"],
        ["search"],
        ["brief"],
        ["summarize"],
        ["poll"],
        ["sources"],
        ["sources", "list"],
        ["digest", "preview"],
        ["eval"],
        ["bot"],
    ],
)
def test_h_is_help_everywhere(cwd: Path, command: list[str]):
    result = invoke(*command, "-h")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: ")


def test_mode_is_a_choice_and_every_common_option_has_help(seeded: str):
    help_text = invoke("brief", "--help").output
    assert "lead" in help_text and "abstractive" in help_text
    refused = invoke("--db", seeded, "brief", "Korea", "--mode", "fancy")
    assert refused.exit_code == 2 and "lead" in refused.output
    assert invoke("--db", seeded, "brief", "Korea", "--mode", "lead", "--json").exit_code == 0
    for name in ("ingest", "search", "brief", "summarize", "sources add", "sources list", "sources remove"):
        command: click.Command = main
        for part in name.split():
            assert isinstance(command, click.Group)
            found = command.get_command(click.Context(command), part)
            assert found is not None, f"briefbot {name}: no such command"
            command = found
        for option in command.params:
            if option.name in {"scope", "as_json", "limit", "mode"}:
                assert option.help, f"briefbot {name} {option.opts[0]} has no help"


def test_no_match_names_the_filters_applied(seeded: str):
    filtered = ["--source", "BBC", "--since", "7d", "--scope", "42"]
    line = invoke("--db", seeded, "search", "zeppelin", *filtered).output
    assert "no article matches 'zeppelin'" in line
    assert "source 'BBC'" in line and "since 7d" in line and "scope 42" in line
    line = invoke("--db", seeded, "brief", "zeppelin", "--since", "2h").output
    assert "nothing about 'zeppelin'" in line and "since 2h" in line
    unfiltered = invoke("--db", seeded, "search", "zeppelin").output
    assert unfiltered == "no article matches 'zeppelin' among 3 stored\n"


def test_sources_list_shows_the_scope_in_brackets(seeded: str):
    store = open_store(seeded)
    store.add_source("https://news.example/rss", scope="global", title="News [daily]")
    store.add_source("https://club.example/rss", scope="12345")
    store.close()
    lines = invoke("--db", seeded, "sources", "list").output.splitlines()
    assert "https://news.example/rss  [global]  News [daily]" in lines[0]
    assert "[12345]" in lines[1]


def test_wrapped_lines_keep_their_indent(seeded: str, monkeypatch):
    monkeypatch.setattr(cli.out, "width", 40)
    output = invoke("--db", seeded, "search", "Korea").output
    lines = output.splitlines()
    assert lines[0].startswith("1. ") and len(lines) > 12  # titles and snippets wrap at 40
    for line in lines:
        assert line[:1].isdigit() or line.startswith("   "), output
        assert line == line.rstrip()
    brief = invoke("--db", seeded, "brief", "South Korea weapons Ukraine").output.splitlines()
    sources = brief[brief.index("Sources") + 1 : -1]
    assert sources[0].startswith("[1] ") and len(sources) > 1
    assert all(line.startswith(("[", "    ")) for line in sources), sources


# -- poll ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("every", "says"),
    [
        ("15 minutes", "not a duration"),
        ("0", "too short"),
        ("-5m", "not a duration"),
    ],
)
def test_poll_every_refuses_bad_intervals(seeded: str, every: str, says: str):
    result = invoke("--db", seeded, "poll", "--every", every)
    assert result.exit_code == 2 and says in result.output and "Traceback" not in result.output


def test_poll_says_when_nothing_is_due_and_fails_when_every_feed_failed(seeded: str, http_server):
    env = {"ALLOW_PRIVATE_URLS": "true"}
    assert "no feeds yet" in invoke("--db", seeded, "poll", env=env).output
    now = datetime.now(UTC)
    published = (now - timedelta(hours=1)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    fine = http_server.route(
        "/rss",
        rss_feed(
            "Valley News",
            [
                (
                    "Dam opens",
                    http_server.url("/a"),
                    published,
                    "<p>The new dam opened on Monday after six years of building work "
                    "by the valley council.</p>",
                ),
            ],
        ),
        content_type="application/rss+xml",
    )
    store = open_store(seeded)
    store.add_source(fine)
    store.add_source(f"http://127.0.0.1:{free_port()}/closed.xml")
    store.close()
    mixed = invoke("--db", seeded, "poll", env=env)
    assert mixed.exit_code == 0, mixed.output  # one feed failed, not every one
    assert "failed" in mixed.output
    again = invoke("--db", seeded, "poll", env=env)
    assert again.exit_code == 0 and again.output.startswith("no feed due: 2 feeds, next one at ")
    store = open_store(seeded)
    store.remove_source(fine)
    store.update_source(store.list_sources()[0]["id"], next_poll_at=None)
    store.close()
    failed = invoke("--db", seeded, "poll", env=env)
    assert failed.exit_code == 1 and "failed" in failed.output and "Traceback" not in failed.output


# -- settings through the command line --------------------------------------------


def test_a_bad_setting_stops_every_command_with_one_line(seeded: str):
    line = one_clear_line(invoke("--db", seeded, "search", "Korea", env={"ALLOW_PRIVATE_URLS": "ture"}))
    assert "ALLOW_PRIVATE_URLS" in line and "true" in line
    line = one_clear_line(invoke("--db", seeded, "brief", "Korea", env={"DEFAULT_MODE": "fancy"}))
    assert "DEFAULT_MODE=fancy" in line and "lead" in line


def test_a_misspelt_setting_in_env_file_is_warned(cwd: Path, seeded: str):
    (cwd / ".env").write_text("DISCORD_TOKN=abc\n")
    result = subprocess.run(
        [sys.executable, "-m", "summarizer.cli", "--db", seeded, "search", "Korea"],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
    )
    assert result.returncode == 0
    assert "DISCORD_TOKN is not a briefbot setting (did you mean DISCORD_TOKEN?)" in result.stderr
    assert "abc" not in result.stderr


# -- processes: Ctrl-C and the network ------------------------------------------------


def test_ctrl_c_during_a_jsonl_ingest_says_what_was_stored(tmp_path: Path):
    rng = random.Random(7)
    words = "river town budget vote council harbour storm school rail power grid market".split()
    records = tmp_path / "big.jsonl"
    with records.open("w") as out:
        for n in range(20_000):
            text = " ".join(
                f"Report {n} says the {rng.choice(words)} {rng.choice(words)} changed on day {d}."
                for d in range(12)
            )
            out.write(json.dumps({"id": n, "title": f"Story {n}", "text": text}) + "\n")
    db = tmp_path / "big.db"
    process = subprocess.Popen(
        [sys.executable, "-m", "summarizer.cli", "--db", str(db), "ingest", str(records)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"},  # lines as they happen
        start_new_session=True,
        # As from a terminal: Ctrl-C's default disposition, whatever this test process inherited
        # (a child of a process ignoring SIGINT ignores it too, and Python then keeps it ignored).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        added = 0
        assert process.stdout is not None
        for line in process.stdout:  # the worker process cleans batch 2 while batch 1 is stored
            added += "added" in line
            if added == 700:
                break
        assert added == 700
        os.killpg(process.pid, signal.SIGINT)  # as Ctrl-C does: the whole process group
        _, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err[-2000:]
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err[-2000:]
    stored = sqlite3.connect(db).execute("SELECT count(*) FROM articles").fetchone()[0]
    assert 700 <= stored < 20_000
    assert f"interrupted: {stored} stored" in err


def test_bot_without_network_is_one_line(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCORD_")}
    env.update(
        PYTHONPATH=str(REPO),
        DATABASE_PATH=str(tmp_path / "bot.db"),
        DISCORD_TOKEN="dummy.token.s3cr3t",
        DISCORD_API_BASE=f"http://127.0.0.1:{free_port()}",
    )
    result = subprocess.run(
        [sys.executable, "-m", "summarizer.cli", "bot"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1
    assert "Traceback" not in output and "dummy.token.s3cr3t" not in output
    lines = output.strip().splitlines()
    assert lines[-1].startswith("cannot reach Discord at http://127.0.0.1:"), output
    assert len(lines) <= 5, output  # a few INFO log lines (logging in, shutdown), then ours


def test_poll_every_stops_after_its_rounds_and_rounds_needs_every(seeded: str):
    result = invoke("--db", seeded, "poll", "--every", "1s", "--rounds", "2")
    assert result.exit_code == 0, result.output
    assert result.output.count("no feeds yet") == 2
    alone = invoke("--db", seeded, "poll", "--rounds", "2")
    assert alone.exit_code == 2 and "--rounds goes with --every" in alone.output


def test_poll_disables_a_feed_after_feed_disable_after_failures_in_a_row(seeded: str):
    env = {"ALLOW_PRIVATE_URLS": "true", "FEED_DISABLE_AFTER": "2"}
    store = open_store(seeded)
    source, _ = store.add_source(f"http://127.0.0.1:{free_port()}/closed.xml")
    store.close()
    first = invoke("--db", seeded, "poll", env=env)
    assert first.exit_code == 1 and "disabled" not in first.output
    store = open_store(seeded)
    store.update_source(source["id"], next_poll_at=None)  # due again at once
    store.close()
    second = invoke("--db", seeded, "poll", env=env)
    assert "disabled after 2 failed polls in a row" in second.output, second.output
    store = open_store(seeded)
    store.update_source(source["id"], next_poll_at=None)
    (row,) = store.list_sources()
    store.close()
    assert row["disabled_at"] and row["disabled_reason"]  # why, for `briefbot sources list`
    assert invoke("--db", seeded, "poll", env=env).output.startswith("no feed due")

"""The deployment files say what the README promises. Docker cannot build on this machine, so the
Dockerfile is parsed (dockerfile-parse) and checked for what matters: CPU-only torch at the
project's pin, a non-root user, `briefbot bot` as what runs, the store on a volume, a health
check. The systemd unit is parsed and, where systemd-analyze exists, verified by systemd."""

from __future__ import annotations

import configparser
import json
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser

from summarizer.config import Settings, parse_duration

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def _torch_pin() -> str:
    pins = [req for req in PYPROJECT["project"]["dependencies"] if re.match(r"torch\b", req)]
    assert len(pins) == 1 and "==" in pins[0], pins
    return pins[0].replace(" ", "")


def _instructions() -> list[tuple[str, str]]:
    parsed = DockerfileParser(path=str(REPO / "Dockerfile"))
    return [
        (item["instruction"], item["value"]) for item in parsed.structure if item["instruction"] != "COMMENT"
    ]


def _last(instructions: list[tuple[str, str]], name: str) -> str:
    values = [value for instruction, value in instructions if instruction == name]
    assert values, f"the Dockerfile has no {name}"
    return values[-1]


def test_dockerfile_installs_cpu_torch_at_the_pin_before_the_project():
    runs = [value for instruction, value in _instructions() if instruction == "RUN"]
    torch_at = next(i for i, run in enumerate(runs) if "torch" in run)
    torch_run = shlex.split(runs[torch_at])
    assert _torch_pin() in torch_run
    assert torch_run[torch_run.index("--index-url") + 1] == CPU_INDEX
    project_at = next(
        i for i, run in enumerate(runs) if re.search(r"pip install .*-c constraints\.txt \.(\s|$)", run)
    )
    assert torch_at < project_at, "torch must come from the CPU index before the project pulls it from PyPI"
    assert "[" not in runs[project_at], "the image installs no extras"


def test_dockerfile_runs_the_bot_as_a_non_root_user_with_the_store_on_a_volume():
    instructions = _instructions()
    user = _last(instructions, "USER")
    assert user.split(":")[0] not in {"root", "0"}
    names = [instruction for instruction, _ in instructions]
    assert names.index("USER") < names.index("ENTRYPOINT"), "the entry point must run as that user"

    entrypoint = json.loads(_last(instructions, "ENTRYPOINT"))
    command = json.loads(_last(instructions, "CMD"))
    assert entrypoint + command == ["briefbot", "bot"]
    assert "briefbot" in PYPROJECT["project"]["scripts"]

    envs = DockerfileParser(path=str(REPO / "Dockerfile")).envs
    volumes = json.loads(_last(instructions, "VOLUME"))
    assert str(Path(envs["DATABASE_PATH"]).parent) in volumes  # the heartbeat file sits beside it
    assert envs.get("HF_HUB_OFFLINE") == "1"


def test_dockerfile_health_check_is_briefbot_status():
    check = _last(_instructions(), "HEALTHCHECK")
    assert json.loads(check.split("CMD", 1)[1]) == ["briefbot", "status"]


def test_dockerfile_copies_only_what_exists_and_never_secrets():
    for instruction, value in _instructions():
        if instruction == "COPY":
            *sources, _ = value.split()
            for source in sources:
                assert (REPO / source).exists(), f"COPY {source}: no such file in the repository"
    ignored = (REPO / ".dockerignore").read_text().split()
    for secret_or_bulk in (".env", ".venv/", "*.db", ".git/"):
        assert secret_or_bulk in ignored


class _CaseSensitiveParser(configparser.ConfigParser):
    def optionxform(self, optionstr: str) -> str:
        return optionstr  # systemd keys are case-sensitive


def _unit() -> configparser.ConfigParser:
    unit = _CaseSensitiveParser(interpolation=None, strict=True)
    unit.read(REPO / "deploy" / "briefbot.service")
    return unit


def test_systemd_unit_runs_the_bot_restarts_it_and_reads_the_settings_file():
    service = _unit()["Service"]
    command = shlex.split(service["ExecStart"])
    assert Path(command[0]).is_absolute() and Path(command[0]).name == "briefbot"
    assert command[1:] == ["bot"]
    assert service["Restart"] in {"on-failure", "always"}
    assert parse_duration(service["RestartSec"]).total_seconds() >= 1
    assert Path(service["EnvironmentFile"]).is_absolute()
    assert not service["EnvironmentFile"].startswith("-"), "a missing settings file must fail loudly"
    assert service["User"] not in {"root", "0"}


def test_systemd_unit_waits_longer_than_the_bot_finishes_answers_and_keeps_the_store_writable():
    service = _unit()["Service"]
    assert service["KillSignal"] == "SIGTERM"
    assert parse_duration(service["TimeoutStopSec"]).total_seconds() > Settings().shutdown_grace
    environment = dict(pair.split("=", 1) for pair in shlex.split(service["Environment"]))
    store_dir = Path(environment["DATABASE_PATH"]).parent
    assert store_dir == Path("/var/lib") / service["StateDirectory"]  # writable under ProtectSystem=strict


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_every_line_of_the_unit(tmp_path):
    # systemd-analyze also wants ExecStart's program to exist; everything else is as shipped.
    text = (REPO / "deploy" / "briefbot.service").read_text()
    copy = tmp_path / "briefbot.service"
    copy.write_text(re.sub(r"(?m)^ExecStart=\S+", f"ExecStart={shutil.which('true')}", text))
    result = subprocess.run(
        ["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr

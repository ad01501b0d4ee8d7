"""The deployment files say what the README promises. Docker cannot build on this machine, so the
Dockerfile is parsed (dockerfile-parse) and checked for what matters: CPU-only torch at the
project's pin, a non-root user, `briefbot bot` as what runs, the store on a volume, a health
check. The systemd unit is parsed and, where systemd-analyze exists, verified by systemd.
docker-compose.yml (PyYAML) runs what the README's "Scaling out" section describes."""

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
import yaml
from dockerfile_parse import DockerfileParser
from yarl import URL

from summarizer.config import SETTING_KEYS, Settings, load_settings, parse_duration

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


# -- docker-compose.yml: PostgreSQL, two bot shards, a poller ----------------------------------


def _compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def _scaling_section() -> str:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Scaling out: PostgreSQL and shards", 1)[1]
    return section.split("\n## ", 1)[0]


def _briefbot_services(compose: dict) -> dict[str, dict]:
    return {name: service for name, service in compose["services"].items() if "build" in service}


def test_compose_runs_postgres_with_a_volume_and_a_health_check():
    compose = _compose()
    postgres = compose["services"]["postgres"]
    assert postgres["image"] == "postgres:15"
    volume, mount = postgres["volumes"][0].split(":", 1)
    assert mount == "/var/lib/postgresql/data" and volume in compose["volumes"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert postgres["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")


def test_compose_runs_two_bot_shards_and_a_poller_on_one_postgres():
    services = _briefbot_services(_compose())
    bots = {name: s for name, s in services.items() if s["command"] == ["bot"]}
    pollers = {name: s for name, s in services.items() if s["command"][0] == "poll"}
    assert set(services) == set(bots) | set(pollers)
    assert sorted(bot["environment"]["SHARD_IDS"] for bot in bots.values()) == ["0", "1"]
    (poller,) = pollers.values()
    every = poller["command"][poller["command"].index("--every") + 1]
    assert poller["command"] == ["poll", "--every", every] and parse_duration(every).total_seconds() == 900

    urls = set()
    for name, service in services.items():
        environment = {key: str(value) for key, value in service["environment"].items()}
        unknown = set(environment) - set(SETTING_KEYS)
        assert not unknown, f"{name} sets {unknown}, which are no briefbot settings"
        urls.add(environment["DATABASE_URL"])
        assert environment["POLL_IN_BOT"] == "false" and environment["SHARD_COUNT"] == "2"
        load_settings(env_file=REPO / "no.env", **{k.lower(): v for k, v in environment.items()})  # valid
        assert service["env_file"] == ".env" and "DISCORD_TOKEN" not in environment  # secrets from .env
        assert service["build"] == "." and (REPO / "Dockerfile").is_file()
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert parse_duration(service["stop_grace_period"]).total_seconds() > Settings().shutdown_grace
    (url,) = urls  # one database for all
    parsed = URL(url.replace("${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}", "secret"))
    assert parsed.scheme == "postgresql" and parsed.host == "postgres" and parsed.port == 5432


def test_the_readme_names_what_the_compose_file_runs():
    compose, section = _compose(), _scaling_section()
    for name in compose["services"]:
        assert f"`{name}`" in section, f"the README does not name the {name} service"
    assert "postgres:15" in section and "`postgres-data`" in section
    for setting in ("DATABASE_URL", "SHARD_COUNT", "SHARD_IDS", "POLL_IN_BOT", "POSTGRES_PASSWORD"):
        assert f"`{setting}" in section
    services = _briefbot_services(compose)
    (poller,) = [s for s in services.values() if s["command"][0] == "poll"]
    assert "`briefbot " + " ".join(poller["command"]) + "`" in section
    assert "SHARD_COUNT=2" in section and "POLL_IN_BOT=false" in section
    assert "docker compose up -d --build" in section

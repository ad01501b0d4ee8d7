"""What pyproject.toml promises an installer: runtime dependencies that are exactly what the
code imports, the licence it names, and constraints that cover every pinned package.

(.ci/plain-install proves the same end to end: `pip install .` in a fresh venv, then ingest
and brief; these checks run in a second instead of minutes.)"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
OWN_PACKAGES = {"summarizer", "bot"}
# Imported only inside `briefbot eval` (summarizer/evaluation/): the [eval] extra.
EVAL_MODULES = sorted((REPO / "summarizer" / "evaluation").glob("*.py"))
# Declared though never imported by name: model2vec imports it when it distills the static
# model (summarizer/embeddings.py), and its own [distill] extra would pin transformers < 5.4.
NEEDED_AT_RUN_TIME = {"skeletoken"}


def _name(requirement: str) -> str:
    """The normalised distribution name of a requirement ('discord.py==2.7.1' -> 'discord-py')."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, f"not a requirement: {requirement!r}"
    name = match.group(1)
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported_distributions(files: list[Path]) -> dict[str, set[str]]:
    """Distribution name -> files importing it, for every third-party import in `files`."""
    by_module = packages_distributions()
    found: dict[str, set[str]] = {}
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top in sys.stdlib_module_names or top in OWN_PACKAGES:
                    continue
                assert top in by_module, (
                    f"{path.relative_to(REPO)} imports {top}, which no installed package provides"
                )
                for dist in by_module[top]:
                    found.setdefault(_name(dist), set()).add(str(path.relative_to(REPO)))
    return found


def _code_files() -> list[Path]:
    return [path for package in OWN_PACKAGES for path in sorted((REPO / package).rglob("*.py"))]


def test_runtime_dependencies_are_exactly_what_the_code_imports():
    declared = {_name(req) for req in PYPROJECT["project"]["dependencies"]}
    imported = _imported_distributions([path for path in _code_files() if path not in EVAL_MODULES])
    missing = {dist: sorted(files) for dist, files in imported.items() if dist not in declared}
    assert not missing, f"imported but not in [project.dependencies]: {missing}"
    unused = declared - set(imported) - NEEDED_AT_RUN_TIME
    assert not unused, (
        f"in [project.dependencies] but never imported by summarizer/ or bot/: {sorted(unused)}"
    )


def test_eval_command_imports_are_in_the_eval_extra():
    declared = {_name(req) for req in PYPROJECT["project"]["dependencies"]}
    eval_extra = {_name(req) for req in PYPROJECT["project"]["optional-dependencies"]["eval"]}
    imported = set(_imported_distributions(EVAL_MODULES))
    assert imported - declared <= eval_extra, sorted(imported - declared - eval_extra)


def test_license_file_matches_pyproject():
    assert PYPROJECT["project"]["license"] == "MIT"
    text = (REPO / "LICENSE").read_text()
    assert text.startswith("MIT License")
    assert "Permission is hereby granted, free of charge" in text


def test_constraints_pin_every_declared_dependency_and_torch_to_its_cpu_build():
    lines = (REPO / "constraints.txt").read_text().splitlines()
    pins = {
        _name(line): line.split("==", 1)[1] for line in lines if "==" in line and not line.startswith("#")
    }
    assert "briefbot" not in pins
    declared = PYPROJECT["project"]["dependencies"] + [
        req for extra in PYPROJECT["project"]["optional-dependencies"].values() for req in extra
    ]
    unpinned = sorted({_name(req) for req in declared} - set(pins) - {"briefbot"})
    assert not unpinned, f"run `make constraints`: not pinned in constraints.txt: {unpinned}"
    # '==2.13.0' admits the CPU build '2.13.0+cpu'; '==2.13.0+cpu' would refuse PyPI's wheel.
    assert pins["torch"] == "2.13.0"

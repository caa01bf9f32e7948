"""Shared fixtures: the CLI binary, and bundles built by it."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
from typing import Any

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PROJECT = pathlib.Path(__file__).resolve().parent / "project"
# Later than any clock these tests run under, earlier than the policies' dates.
NOW = "2030-01-01T00:00:00Z"


class Cli:
    """The `lanepolicy` binary of this checkout."""

    def __init__(self, exe: str) -> None:
        self.exe = exe

    def run(self, *args: str, cwd: pathlib.Path | None = None) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "NO_COLOR": "1"}
        return subprocess.run(
            [self.exe, *args], cwd=cwd or ROOT, capture_output=True, text=True, env=env, check=False
        )

    def json(self, *args: str, cwd: pathlib.Path | None = None) -> tuple[int, Any]:
        p = self.run(*args, cwd=cwd)
        assert "panicked" not in p.stderr, p.stderr
        return p.returncode, json.loads(p.stdout)


@pytest.fixture(scope="session")
def cli() -> Cli:
    exe = os.environ.get("LANEPOLICY_BIN")
    if not exe:
        subprocess.run(
            ["cargo", "build", "--quiet", "--locked", "--bin", "lanepolicy"], cwd=ROOT, check=True
        )
        exe = str(ROOT / "target" / "debug" / "lanepolicy")
    return Cli(exe)


def copy_project(dest: pathlib.Path) -> pathlib.Path:
    shutil.copytree(PROJECT, dest)
    return dest


@pytest.fixture(scope="session")
def bundle_path(cli: Cli, tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """The test project's bundle, as `lanepolicy build -o` writes it."""
    out = tmp_path_factory.mktemp("bundle") / "bundle.json"
    p = cli.run("build", ".", "-o", str(out), cwd=PROJECT)
    assert p.returncode == 0, p.stderr
    return out


@pytest.fixture(scope="session")
def other_bundle_path(cli: Cli, tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """A second bundle: the test project without its CM grant."""
    project = copy_project(tmp_path_factory.mktemp("other") / "project")
    rules = project / "rules.policy"
    text = rules.read_text()
    start = text.index("/// CM has not launched")
    end = text.index("/// OPW has not cut over")
    rules.write_text(text[:start] + text[end:])
    out = project / "bundle.json"
    p = cli.run("build", ".", "-o", str(out), cwd=project)
    assert p.returncode == 0, p.stderr
    return out

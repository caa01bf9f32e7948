"""check and build from Python against the CLI's output."""

from __future__ import annotations

import json
import pathlib

import pytest

import lanepolicy
from lanepolicy import CompileError, Runtime

from conftest import PROJECT, Cli, copy_project


@pytest.fixture()
def lowered(tmp_path: pathlib.Path) -> pathlib.Path:
    """A project with an L005 finding (an error unless lowered)."""
    project = copy_project(tmp_path / "lowered")
    with (project / "rules.policy").open("a") as f:
        f.write(
            "\n/// Not what cm/testing's data policy allows.\n"
            'allow upstream_restore on cm/testing until launch issue=#573 confirm="restore"\n'
        )
    return project


def test_check_equals_cli(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(PROJECT)
    rc, expected = cli.json("check", ".", "--format", "json", cwd=PROJECT)
    assert rc == 0
    assert lanepolicy.check(".") == expected == []
    assert lanepolicy.check(["rules.policy"], inventory="lanes.yaml") == expected


def test_check_reports_errors_as_the_cli(cli: Cli, lowered: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(lowered)
    rc, expected = cli.json("check", ".", "--format", "json", cwd=lowered)
    assert rc == 1
    got = lanepolicy.check(".")
    assert got == expected
    assert [d["code"] for d in got] == ["L005"]
    with pytest.raises(CompileError) as err:
        lanepolicy.build(".")
    assert err.value.diagnostics == expected
    assert "1 error" in str(err.value)


def test_build_is_byte_identical(cli: Cli, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "bundle.json"
    assert cli.run("build", ".", "-o", str(out), cwd=PROJECT).returncode == 0
    monkeypatch.chdir(PROJECT)
    data = lanepolicy.build(".")
    assert isinstance(data, bytes)
    assert data == out.read_bytes()
    assert Runtime.from_bytes(data).digest == json.loads(data)["digest"]


def test_build_with_a_lowered_check(cli: Cli, lowered: pathlib.Path, tmp_path: pathlib.Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    (lowered / "lanepolicy.yaml").write_text("checks:\n  L005: warning\n")
    out = tmp_path / "bundle.json"
    assert cli.run("build", ".", "-o", str(out), cwd=lowered).returncode == 0
    monkeypatch.chdir(lowered)
    data = lanepolicy.build(".")
    assert data == out.read_bytes()
    with pytest.raises(CompileError) as err:
        lanepolicy.build(".", deny_warnings=True)
    assert [d["code"] for d in err.value.diagnostics] == ["L005"]
    # The runtime's own reason for what the configuration let through.
    d = Runtime.from_bytes(data).decide("cm/testing", "upstream_restore", confirm="restore")
    assert not d.allowed and d.reasons[0].code == "source-not-allowed"
    _, expected = cli.json(
        "decide", "--bundle", str(out), "--json", "--lane", "cm/testing", "--action", "upstream_restore",
        "--confirm", "restore", "--now", "2030-01-01T00:00:00Z",
    )
    assert Runtime.from_bytes(data).decide(
        "cm/testing", "upstream_restore", confirm="restore", now="2030-01-01T00:00:00Z"
    ).to_dict() == expected


def test_unreadable_input_raises(tmp_path: pathlib.Path) -> None:
    with pytest.raises(CompileError) as err:
        lanepolicy.check(tmp_path / "missing")
    assert err.value.diagnostics == []
    assert "missing" in str(err.value)
    with pytest.raises(CompileError):
        lanepolicy.build([tmp_path / "missing"])


def test_several_projects_are_refused(tmp_path: pathlib.Path) -> None:
    a = copy_project(tmp_path / "a")
    b = copy_project(tmp_path / "b")
    for call in (lanepolicy.check, lanepolicy.build):
        with pytest.raises(CompileError, match="2 projects"):
            call([a / "rules.policy", b / "rules.policy"])


def test_today_moves_the_date_lints(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(PROJECT)
    rc, expected = cli.json("check", ".", "--format", "json", "--today", "2099-01-20", cwd=PROJECT)
    got = lanepolicy.check(".", today="2099-01-20")
    assert got == expected
    assert got != [] and all(d["severity"] != "error" for d in got)
    import datetime

    assert lanepolicy.check(".", today=datetime.date(2099, 1, 20)) == expected
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        lanepolicy.check(".", today="soon")


def test_paths_are_paths_in_any_form(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(PROJECT)
    expected = lanepolicy.check(".")
    # bytes are a file system path, as `open` takes them, not a list of numbers
    assert lanepolicy.check(b".") == expected
    assert lanepolicy.check([b"."]) == expected
    assert lanepolicy.check(pathlib.Path(".")) == expected
    assert lanepolicy.build(b".") == lanepolicy.build(".")
    for call in (lanepolicy.check, lanepolicy.build):
        # an empty list is lost paths, not a bundle that denies everything
        with pytest.raises(ValueError, match="empty"):
            call([])
        with pytest.raises(TypeError, match="paths"):
            call([1])
        with pytest.raises(TypeError, match="paths"):
            call(1)

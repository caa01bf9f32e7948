"""The runtime from Python against the CLI's JSON for the same request."""

from __future__ import annotations

import datetime
import os
import pathlib
import threading
from typing import Any

import pytest

import lanepolicy
from lanepolicy import BundleError, FactError, LanepolicyError, Runtime

from conftest import NOW, Cli


def cli_args(lane: str, action: str, kw: dict[str, Any]) -> list[str]:
    args = ["--lane", lane, "--action", action]
    if kw.get("confirm") is not None:
        args += ["--confirm", kw["confirm"]]
    for name, record in (kw.get("proofs") or {}).items():
        args += ["--proof", f"{name}={record}"]
    return args + fact_args(kw)


def fact_args(kw: dict[str, Any]) -> list[str]:
    args = []
    for o in kw.get("occurred", ()):
        args += ["--occurred", o]
    for lane, phase in (kw.get("phases") or {}).items():
        args += ["--phase", f"{lane}={phase}"]
    return args + ["--now", kw.get("now", NOW)]


@pytest.fixture(scope="module")
def rt(bundle_path: pathlib.Path) -> Runtime:
    return Runtime.from_path(bundle_path)


CASES = [
    # (lane, action, keyword arguments, expected exit code of the CLI, first reason code)
    ("cm/testing", "empty_bootstrap", {"confirm": "bootstrap cm testing"}, 0, None),
    ("cm/prod", "empty_bootstrap", {"confirm": "  Bootstrap CM Prod "}, 0, None),
    (
        "hq/prod",
        "backup_restore",
        {
            "confirm": "restore hq/prod from backup",
            "proofs": {"backup_proof": "bg-1", "restore_proof": "rp-1"},
        },
        0,
        None,
    ),
    ("xx/yy", "empty_bootstrap", {}, 1, "unknown-lane"),
    ("cm/testing", "nuke", {}, 1, "unknown-action"),
    ("cm/testing", "volume_import", {}, 1, "denied-by-rule"),
    ("cm/testing", "upstream_restore", {"confirm": "bootstrap cm testing"}, 1, "no-matching-rule"),
    (
        "cm/testing",
        "empty_bootstrap",
        {"confirm": "bootstrap cm testing", "occurred": ["odoo-tenant-cm:launch"]},
        1,
        "rule-retired",
    ),
    (
        "cm/testing",
        "empty_bootstrap",
        {"confirm": "bootstrap cm testing", "now": "2099-02-01T00:00:00Z"},
        1,
        "rule-retired",
    ),
    ("cm/testing", "empty_bootstrap", {}, 1, "confirmation-required"),
    ("cm/testing", "empty_bootstrap", {"confirm": "bootstrap cm prod"}, 1, "confirmation-mismatch"),
    ("hq/prod", "backup_restore", {"confirm": "restore hq/prod from backup"}, 1, "proof-required"),
    (
        "opw/testing",
        "upstream_restore",
        {"confirm": "restore opw testing from upstream", "phases": {"opw/testing": "live"}},
        None,
        None,
    ),
]


def ids(case: tuple[Any, ...]) -> str:
    return f"{case[0]}-{case[1]}-{case[4] or 'allow'}"


@pytest.mark.parametrize("case", CASES, ids=[ids(c) for c in CASES])
def test_decide_equals_cli(rt: Runtime, cli: Cli, bundle_path: pathlib.Path, case: tuple[Any, ...]) -> None:
    lane, action, kw, code, reason = case
    kw = {"now": NOW, **kw}
    d = rt.decide(lane, action, **kw)
    rc, expected = cli.json("decide", "--bundle", str(bundle_path), "--json", *cli_args(lane, action, kw))
    assert d.to_dict() == expected
    if code is not None:
        assert rc == code
        assert d.allowed is (code == 0)
    assert d.decision == ("allow" if d.allowed else "deny") == expected["decision"]
    assert [(r.code, r.message) for r in d.reasons] == [
        (r["code"], r["message"]) for r in expected["reasons"]
    ]
    if reason is not None:
        assert d.reasons[0].code == reason
    assert d.rule == expected["rule"]
    assert d.issue == expected["issue"]
    assert d.until == expected["until"]
    assert d.bundle == rt.digest == expected["bundle"]
    assert (d.lane, d.action) == (lane, action)


def test_allow_names_its_rule_and_issue(rt: Runtime) -> None:
    d = rt.decide("cm/testing", "empty_bootstrap", confirm="bootstrap cm testing", now=NOW)
    assert d.allowed and d.reasons == []
    assert d.rule is not None and d.rule["source"]["path"].endswith("project/rules.policy")
    assert d.issue is not None and d.issue["url"].endswith("/issues/573")
    assert d.until == ["launch", "2099-01-31"]


@pytest.mark.parametrize("case", CASES[:6], ids=[ids(c) for c in CASES[:6]])
def test_explain_equals_cli(rt: Runtime, cli: Cli, bundle_path: pathlib.Path, case: tuple[Any, ...]) -> None:
    lane, action, kw, _, _ = case
    kw = {"now": NOW, **kw}
    e = rt.explain(lane, action, **kw)
    args = ["explain", "--bundle", str(bundle_path), *cli_args(lane, action, kw)]
    _, expected = cli.json(*args, "--json")
    assert e.to_dict() == expected
    assert str(e) == cli.run(*args).stdout
    assert e.allowed == e.decision.allowed == (expected["decision"]["decision"] == "allow")
    assert e.decision.to_dict() == rt.decide(lane, action, **kw).to_dict()


@pytest.mark.parametrize(
    "facts",
    [{}, {"occurred": ["odoo-tenant-cm:launch"]}, {"phases": {"opw/prod": "live"}}],
)
def test_lanes_equal_cli(rt: Runtime, cli: Cli, bundle_path: pathlib.Path, facts: dict[str, Any]) -> None:
    kw = {"now": NOW, **facts}
    _, expected = cli.json("lanes", "--bundle", str(bundle_path), "--format", "json", *fact_args(kw))
    assert rt.lanes(**kw) == expected


def test_lanes_takes_any_iterable_of_events(rt: Runtime) -> None:
    events = ["odoo-tenant-cm:launch"]
    assert rt.lanes(occurred=set(events), now=NOW) == rt.lanes(occurred=tuple(events), now=NOW)
    assert rt.lanes(occurred=set(events), now=NOW) != rt.lanes(now=NOW)


@pytest.mark.parametrize(
    "facts",
    [
        {"occurred": ["odoo-tenant-xx:launch"]},
        {"occurred": ["odoo-tenant-cm:lunch"]},
        {"phases": {"cm/testinq": "live"}},
        {"phases": {"hq/prod": "prelaunch"}},
    ],
    ids=["unknown-product", "unknown-event", "unknown-lane", "launch-undone"],
)
def test_fact_errors_equal_cli(rt: Runtime, cli: Cli, bundle_path: pathlib.Path, facts: dict[str, Any]) -> None:
    kw = {"now": NOW, **facts}
    rc, expected = cli.json(
        "decide", "--bundle", str(bundle_path), "--json", *cli_args("cm/testing", "empty_bootstrap", kw)
    )
    assert rc == 2
    assert expected["reasons"][0]["code"] == "invalid-request"
    for call in (
        lambda: rt.decide("cm/testing", "empty_bootstrap", **kw),
        lambda: rt.explain("cm/testing", "empty_bootstrap", **kw),
        lambda: rt.lanes(**kw),
    ):
        with pytest.raises(FactError) as err:
            call()
        assert str(err.value) == expected["reasons"][0]["message"]
        assert isinstance(err.value, ValueError)
        assert isinstance(err.value, LanepolicyError)


@pytest.mark.parametrize(
    "facts",
    [
        {"occurred": ["launch"]},
        {"occurred": ["odoo-tenant-cm:"]},
        {"phases": {"cm/testing": "gone"}},
        {"now": "yesterday"},
        {"now": datetime.datetime(2030, 1, 1)},
    ],
    ids=["no-colon", "no-event", "bad-phase", "bad-time", "naive-time"],
)
def test_malformed_facts_raise(rt: Runtime, facts: dict[str, Any]) -> None:
    with pytest.raises(FactError):
        rt.decide("cm/testing", "empty_bootstrap", **facts)


def test_wrong_types_raise_type_error(rt: Runtime) -> None:
    with pytest.raises(TypeError):
        rt.decide("cm/testing", "empty_bootstrap", occurred="odoo-tenant-cm:launch")
    with pytest.raises(TypeError):
        rt.decide("cm/testing", "empty_bootstrap", now=12)


def test_clock_set_back_is_refused_as_by_the_cli(rt: Runtime, cli: Cli, bundle_path: pathlib.Path) -> None:
    past = "2020-01-01T00:00:00Z"
    rc, expected = cli.json(
        "decide", "--bundle", str(bundle_path), "--json", "--lane", "cm/testing",
        "--action", "empty_bootstrap", "--now", past,
    )
    assert rc == 2 and expected["reasons"][0]["code"] == "invalid-request"
    for now in (past, datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)):
        with pytest.raises(FactError) as err:
            rt.decide("cm/testing", "empty_bootstrap", confirm="bootstrap cm testing", now=now)
        # The message names the clock, read a moment apart by each.
        assert str(err.value).split("2020-01-01T00:00:00Z")[0] == expected["reasons"][0]["message"].split(
            "2020-01-01T00:00:00Z"
        )[0]
        assert "2020-01-01T00:00:00Z" in str(err.value)


def test_now_forms(rt: Runtime) -> None:
    aware = datetime.datetime(2030, 1, 1, 1, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
    a = rt.decide("cm/testing", "empty_bootstrap", confirm="bootstrap cm testing", now=aware)
    b = rt.decide("cm/testing", "empty_bootstrap", confirm="bootstrap cm testing", now=NOW)
    assert a.to_dict() == b.to_dict()
    assert a.to_dict()["facts"]["now"] == NOW
    before = datetime.datetime.now(datetime.timezone.utc)
    d = rt.decide("cm/testing", "empty_bootstrap", confirm="bootstrap cm testing")
    used = datetime.datetime.fromisoformat(d.to_dict()["facts"]["now"].replace("Z", "+00:00"))
    assert before - datetime.timedelta(seconds=1) <= used <= datetime.datetime.now(datetime.timezone.utc)


def test_the_callers_clock_read_a_moment_before_is_the_clock(rt: Runtime) -> None:
    d = rt.decide(
        "cm/testing", "empty_bootstrap", confirm="bootstrap cm testing", now=datetime.datetime.now(datetime.timezone.utc)
    )
    assert d.allowed
    # Truncated to the second, as `date -u +%FT%TZ` writes it.
    second = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    assert rt.decide("cm/testing", "empty_bootstrap", confirm="bootstrap cm testing", now=second).allowed


def test_two_phases_for_one_lane_are_refused_as_by_the_cli(rt: Runtime) -> None:
    with pytest.raises(FactError) as err:
        rt.decide(
            "cm/prod",
            "empty_bootstrap",
            confirm="bootstrap cm prod",
            phases={"cm/prod": "live", "cm/prod ": "prelaunch"},
        )
    assert "two phases" in str(err.value)
    # The same phase twice is one fact.
    d = rt.decide("cm/prod", "empty_bootstrap", confirm="bootstrap cm prod", phases={"cm/prod": "live", " cm/prod": "live"})
    assert not d.allowed and d.reasons[0].code == "proof-required"


def test_proofs_are_trimmed_as_the_cli_trims_them(rt: Runtime, cli: Cli, bundle_path: pathlib.Path) -> None:
    args = ("--lane", "cm/prod", "--action", "empty_bootstrap", "--confirm", "bootstrap cm prod", "--phase", "cm/prod=live")
    rc, expected = cli.json(
        "decide", "--bundle", str(bundle_path), "--json", *args,
        "--proof", " backup_proof = bg-1 ", "--proof", "restore_proof=rp-1",
    )
    d = rt.decide(
        "cm/prod", "empty_bootstrap", confirm="bootstrap cm prod", phases={"cm/prod": "live"},
        proofs={" backup_proof ": " bg-1 ", "restore_proof": "rp-1"},
    )
    assert d.decision == expected["decision"]
    with pytest.raises(FactError):
        rt.decide("cm/testing", "empty_bootstrap", proofs={"backup_proof": "  "})


def test_a_bundle_path_that_is_not_a_regular_file_is_refused(tmp_path: pathlib.Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(BundleError) as err:
        Runtime.from_path(fifo)
    assert "not a regular file" in str(err.value)


def tampered(data: bytes) -> bytes:
    out = data.replace(b"#573", b"#574", 1)
    assert out != data
    return out


@pytest.mark.parametrize(
    "damage",
    [tampered, lambda d: d[: len(d) // 2], lambda d: b"", lambda d: b"\xff\xfe not json"],
    ids=["tampered", "truncated", "empty", "not-utf8"],
)
def test_bad_bundles_raise_as_the_cli_refuses(
    cli: Cli, bundle_path: pathlib.Path, tmp_path: pathlib.Path, damage: Any
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(damage(bundle_path.read_bytes()))
    rc, expected = cli.json(
        "decide", "--bundle", str(bad), "--json", "--lane", "cm/testing", "--action", "empty_bootstrap"
    )
    assert rc == 2 and expected["reasons"][0]["code"] == "bundle-invalid"
    with pytest.raises(BundleError) as err:
        Runtime.from_path(bad)
    assert str(err.value) == expected["reasons"][0]["message"]
    assert isinstance(err.value, LanepolicyError)
    with pytest.raises(BundleError) as err:
        Runtime.from_bytes(bad.read_bytes())
    assert str(err.value) == expected["reasons"][0]["message"].split(": ", 1)[1]


def test_missing_file_raises_bundle_error(tmp_path: pathlib.Path) -> None:
    with pytest.raises(BundleError, match="cannot read bundle"):
        Runtime.from_path(tmp_path / "nothing.json")


def test_from_bytes_equals_from_path(rt: Runtime, bundle_path: pathlib.Path) -> None:
    other = Runtime.from_bytes(bundle_path.read_bytes())
    assert other.digest == rt.digest
    assert rt.digest.startswith("sha256:") and len(rt.digest) == 7 + 64


def test_the_bundle_limit_is_the_callers(bundle_path: pathlib.Path) -> None:
    data = bundle_path.read_bytes()
    size = len(data)
    for load in (
        lambda limit: Runtime.from_bytes(data, max_bytes=limit),
        lambda limit: Runtime.from_path(bundle_path, max_bytes=limit),
    ):
        with pytest.raises(BundleError, match=f"over the limit of {size - 1} bytes"):
            load(size - 1)
        assert load(size).digest.startswith("sha256:")
        with pytest.raises(ValueError, match="at least 1"):
            load(0)
    # A reload is held to the limit the runtime was loaded with.
    rt = Runtime.from_bytes(data, max_bytes=size)
    good = rt.digest
    with pytest.raises(BundleError, match="over the limit"):
        rt.reload(data + b" ")
    assert rt.digest == good


def test_reload_keeps_the_last_good_bundle(bundle_path: pathlib.Path, other_bundle_path: pathlib.Path) -> None:
    rt = Runtime.from_path(bundle_path)
    good = rt.digest
    for bad in (tampered(bundle_path.read_bytes()), bundle_path.read_bytes()[:100], b"{}"):
        with pytest.raises(BundleError):
            rt.reload(bad)
        assert rt.digest == good
        assert rt.decide("cm/testing", "empty_bootstrap", confirm="bootstrap cm testing", now=NOW).allowed
    rt.reload(other_bundle_path.read_bytes())
    assert rt.digest != good
    d = rt.decide("cm/testing", "empty_bootstrap", confirm="bootstrap cm testing", now=NOW)
    assert not d.allowed and d.reasons[0].code == "no-matching-rule" and d.bundle == rt.digest


def test_threads_see_one_whole_bundle(bundle_path: pathlib.Path, other_bundle_path: pathlib.Path) -> None:
    first, second = bundle_path.read_bytes(), other_bundle_path.read_bytes()
    rt = Runtime.from_bytes(first)
    a = rt.digest
    b = Runtime.from_bytes(second).digest
    seen: dict[str, int] = {a: 0, b: 0}
    errors: list[str] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            d = rt.decide("cm/testing", "empty_bootstrap", confirm="bootstrap cm testing", now=NOW)
            # Each decision is made on one whole bundle: allowed exactly on the first.
            if d.allowed != (d.bundle == a) or d.bundle not in seen:
                errors.append(repr(d.to_dict()))
            seen[d.bundle] += 1

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    for i in range(200):
        rt.reload(second if i % 2 == 0 else first)
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
    assert seen[a] > 0 and seen[b] > 0


def test_exceptions_share_one_base() -> None:
    for e in (lanepolicy.BundleError, lanepolicy.FactError, lanepolicy.CompileError):
        assert issubclass(e, lanepolicy.LanepolicyError)
    assert issubclass(lanepolicy.FactError, ValueError)


def a_public_key() -> str:
    """A minisign public key (the key's line) that signed nothing here."""
    import base64

    return base64.b64encode(b"Ed" + bytes(range(8)) + bytes(range(32, 64))).decode()


def test_trusted_keys_refuse_an_unsigned_bundle_as_the_cli(
    cli: Cli, bundle_path: pathlib.Path
) -> None:
    key = a_public_key()
    rc, expected = cli.json(
        "--trusted-key", key, "decide", "--bundle", str(bundle_path), "--json",
        "--lane", "cm/testing", "--action", "empty_bootstrap",
    )
    assert rc == 2 and expected["reasons"][0]["code"] == "bundle-invalid"
    with pytest.raises(BundleError) as err:
        Runtime.from_path(bundle_path, trusted_keys=[key])
    assert str(err.value) == expected["reasons"][0]["message"]
    with pytest.raises(BundleError):
        Runtime.from_bytes(bundle_path.read_bytes(), trusted_keys=[key])
    with pytest.raises(BundleError):
        Runtime.from_bytes(bundle_path.read_bytes(), signature=b"not a signature", trusted_keys=[key])
    with pytest.raises(BundleError, match="trusted key"):
        Runtime.from_bytes(bundle_path.read_bytes(), trusted_keys=["not a key"])

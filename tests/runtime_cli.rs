//! The runtime commands as a user runs them: the real binary, its output
//! and its exit codes.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

const NOW: &str = "--now=2030-01-01T00:00:00Z";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn real() -> PathBuf {
    root().join("tests/fixtures/bundles/real.json")
}

fn lanepolicy() -> Command {
    let mut cmd = Command::cargo_bin("lanepolicy").unwrap();
    cmd.current_dir(root()).env("NO_COLOR", "1");
    cmd
}

/// Runs and returns (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let out = lanepolicy().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// `out` with bundle digests replaced, so that snapshots show the wording
/// and do not change with every edit of the real inventory.
fn redact_digest(out: &str) -> String {
    let mut s = out.to_string();
    while let Some(at) = s.find("sha256:") {
        let end = (at + 7 + 64).min(s.len());
        s.replace_range(at..end, "sha-256:[digest]");
    }
    s
}

fn explain(extra: &[&str]) -> (i32, String, String) {
    let bundle = real();
    let mut args = vec!["explain", "--bundle", bundle.to_str().unwrap(), NOW];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn explain_an_allow() {
    let (code, out, err) = explain(&[
        "--lane",
        "cm/testing",
        "--action",
        "empty_bootstrap",
        "--confirm",
        "bootstrap cm testing",
    ]);
    assert_eq!((code, err.as_str()), (0, ""));
    insta::assert_snapshot!(redact_digest(&out));
}

#[test]
fn explain_a_missing_phrase_says_what_to_present() {
    let (code, out, _) = explain(&["--lane", "cm/prod", "--action", "empty_bootstrap"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(redact_digest(&out));
}

#[test]
fn explain_a_grant_retired_by_launch() {
    let (code, out, _) = explain(&[
        "--lane",
        "cm/testing",
        "--action",
        "empty_bootstrap",
        "--confirm",
        "bootstrap cm testing",
        "--occurred",
        "odoo-tenant-cm:launch",
    ]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(redact_digest(&out));
}

#[test]
fn explain_live_production_needs_proof_and_a_rule() {
    let (code, out, _) = explain(&["--lane", "hq/prod", "--action", "backup_restore"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(redact_digest(&out));
}

#[test]
fn explain_a_lane_that_went_live() {
    let (code, out, _) = explain(&[
        "--lane",
        "cm/prod",
        "--action",
        "empty_bootstrap",
        "--confirm",
        "bootstrap cm prod",
        "--phase",
        "cm/prod=live",
    ]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(redact_digest(&out));
}

#[test]
fn explain_an_unknown_lane_suggests_a_name() {
    let (code, out, _) = explain(&["--lane", "cm/prd", "--action", "empty_bootstrap"]);
    assert_eq!(code, 1);
    assert!(out.contains("did you mean `cm/prod`?"), "{out}");
    assert!(out.contains("decision: deny (unknown-lane)"), "{out}");
}

#[test]
fn explain_as_json() {
    let (code, out, _) = explain(&[
        "--lane",
        "opw/prod",
        "--action",
        "upstream_restore",
        "--confirm",
        "restore opw upstream",
        "--json",
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["decision"]["decision"], "deny");
    assert_eq!(v["decision"]["reasons"][0]["code"], "confirmation-mismatch");
    assert_eq!(v["present"]["confirm"], "restore opw prod from upstream");
    insta::assert_snapshot!(redact_digest(&out));
}

#[test]
fn explain_agrees_with_decide_on_exit_codes() {
    let bundle = real();
    let b = bundle.to_str().unwrap();
    for (lane, action, phrase) in [
        ("cm/testing", "empty_bootstrap", "bootstrap cm testing"),
        ("cm/testing", "empty_bootstrap", ""),
        (
            "opw/testing",
            "upstream_restore",
            "restore opw testing from upstream",
        ),
        ("hq/staging", "deploy", ""),
        ("nowhere/prod", "deploy", ""),
    ] {
        let mut args = vec!["--bundle", b, NOW, "--lane", lane, "--action", action];
        if !phrase.is_empty() {
            args.extend(["--confirm", phrase]);
        }
        let decide = run(&[&["decide"], &args[..]].concat()).0;
        let explain = run(&[&["explain"], &args[..]].concat()).0;
        assert_eq!(decide, explain, "{lane} {action}");
    }
}

#[test]
fn explain_without_a_verified_bundle_is_a_deny_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let tampered = dir.path().join("b.json");
    let text = std::fs::read_to_string(real()).unwrap();
    std::fs::write(&tampered, text.replace("bootstrap cm prod", "yes")).unwrap();
    let t = tampered.to_str().unwrap();
    let args = [
        "explain",
        "--bundle",
        t,
        "--lane",
        "cm/prod",
        "--action",
        "empty_bootstrap",
    ];
    let (code, out, err) = run(&args);
    assert_eq!(code, 2);
    assert_eq!(out, "", "no partial output");
    assert!(
        err.contains("digest mismatch") && err.contains("the decision is deny"),
        "{err}"
    );

    let (code, out, _) = run(&[&args[..], &["--json"]].concat());
    assert_eq!(code, 2);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["decision"]["reasons"][0]["code"], "bundle-invalid");
    assert_eq!(v["steps"][0]["outcome"], "fail");

    let missing = dir.path().join("missing.json");
    let (code, out, err) = run(&[
        "explain",
        "--bundle",
        missing.to_str().unwrap(),
        "--lane",
        "cm/prod",
        "--action",
        "empty_bootstrap",
    ]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("cannot read bundle"), "{err}");
}

#[test]
fn explain_refuses_bad_flags_and_facts() {
    let (code, out, err) = explain(&[
        "--lane",
        "cm/prod",
        "--action",
        "empty_bootstrap",
        "--bogus",
    ]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("--bogus"), "{err}");
    let (code, out, err) = explain(&[
        "--lane",
        "cm/prod",
        "--action",
        "empty_bootstrap",
        "--occurred",
        "odoo-tenant-cm:lunch",
    ]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("has no event `lunch`"), "{err}");
    let (code, _, err) = explain(&["--lane", "cm/prod"]);
    assert_eq!(code, 2);
    assert!(err.contains("--action"), "{err}");
}

/// The Markdown's `old → new` line with the short digests replaced.
fn redact_short_digests(md: &str) -> String {
    md.lines()
        .map(|l| {
            if l.contains(" → ") {
                "`[old]` → `[new]`"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn fixture(name: &str) -> String {
    root()
        .join("tests/fixtures/bundles")
        .join(name)
        .to_str()
        .unwrap()
        .to_string()
}

#[test]
fn diff_without_the_opw_rule_removes_exactly_the_two_opw_grants() {
    let (code, out, err) = run(&[
        "diff",
        &fixture("real.json"),
        &fixture("cm-only.json"),
        "--format",
        "json",
    ]);
    assert_eq!((code, err.as_str()), (0, ""));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let grants: Vec<(&str, &str, &str)> = v["grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["change"].as_str().unwrap(),
                g["lane"].as_str().unwrap(),
                g["action"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        grants,
        [
            ("removed", "opw/prod", "upstream_restore"),
            ("removed", "opw/testing", "upstream_restore")
        ]
    );
    assert_eq!(v["denies"], serde_json::json!([]));
    assert_eq!(v["inventory"], serde_json::json!([]));

    let (code, text, _) = run(&["diff", &fixture("real.json"), &fixture("cm-only.json")]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("diff_cm_only_text", redact_digest(&text));
    let (_, md, _) = run(&[
        "diff",
        &fixture("real.json"),
        &fixture("cm-only.json"),
        "--format",
        "markdown",
    ]);
    insta::assert_snapshot!("diff_cm_only_markdown", redact_short_digests(&md));
}

/// Builds the policies in `files` (name, text) beside a copy of the real
/// inventory; returns the directory and the bundle's path.
fn build_project(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let policies = dir.path().join("policies");
    std::fs::create_dir(&policies).unwrap();
    std::fs::copy(
        root().join("policies/lanes.yaml"),
        policies.join("lanes.yaml"),
    )
    .unwrap();
    for (name, text) in files {
        std::fs::write(policies.join(name), text).unwrap();
    }
    let out = dir.path().join("bundle.json");
    lanepolicy()
        .current_dir(dir.path())
        .args(["build", "-o"])
        .arg(&out)
        .assert()
        .success();
    (dir, out)
}

#[test]
fn diff_ignores_rules_moved_between_files_and_reformatted() {
    let (_d, moved) = build_project(&[
        (
            "cm.policy",
            "// CM\nallow empty_bootstrap on cm/* until launch issue=#573 confirm=\"bootstrap {context} {instance}\"\n",
        ),
        (
            "opw.policy",
            "\n\n// OPW, further down\nallow upstream_restore\n  on opw/prod, opw/testing\n  confirm=\"restore {context} {instance} from upstream\"\n  issue=#573\n  until cutover\n",
        ),
    ]);
    let (code, out, _) = run(&["diff", &fixture("real.json"), moved.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(
        out.ends_with("no semantic changes: both bundles decide alike\n"),
        "{out}"
    );
    let (_, md, _) = run(&[
        "diff",
        &fixture("real.json"),
        moved.to_str().unwrap(),
        "--format",
        "markdown",
    ]);
    assert!(md.contains("No semantic changes"), "{md}");
}

#[test]
fn diff_shows_changed_grants_field_by_field_and_denies() {
    let (code, out, _) = run(&["diff", &fixture("real.json"), &fixture("wide.json")]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("diff_wide_text", redact_digest(&out));
    let (_, md, _) = run(&[
        "diff",
        &fixture("real.json"),
        &fixture("wide.json"),
        "--format",
        "markdown",
    ]);
    insta::assert_snapshot!("diff_wide_markdown", redact_short_digests(&md));
}

#[test]
fn diff_of_unreadable_bundles_is_exit_2_with_nothing_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{\"format\": ").unwrap();
    let (code, out, err) = run(&["diff", &fixture("real.json"), broken.to_str().unwrap()]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("not valid JSON"), "{err}");
    let (code, out, err) = run(&["diff", "nope.json", &fixture("real.json")]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("nope.json"), "{err}");
    let (code, _, err) = run(&["diff", &fixture("real.json")]);
    assert_eq!(code, 2);
    assert!(err.contains("NEW"), "{err}");
    let (code, _, err) = run(&[
        "diff",
        &fixture("real.json"),
        &fixture("real.json"),
        "--format",
        "html",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("html"), "{err}");
}

#[test]
fn graph_of_a_bundle_is_dot_and_deterministic() {
    let wide = fixture("wide.json");
    let (code, out, err) = run(&["graph", "--bundle", &wide]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert!(out.starts_with("digraph lanepolicy {\n") && out.ends_with("}\n"));
    assert_eq!(run(&["graph", "--bundle", &wide]).1, out);
    insta::assert_snapshot!("graph_wide", out);
}

#[test]
fn graph_of_one_issue_shows_only_what_it_approves() {
    let (code, from_policies, _) = run(&["graph", "--issue", "573"]);
    assert_eq!(code, 0);
    let (_, from_bundle, _) = run(&[
        "graph",
        "--bundle",
        &fixture("real.json"),
        "--issue",
        "#573",
    ]);
    assert_eq!(
        from_policies, from_bundle,
        "the policies and their bundle draw alike"
    );
    assert!(!from_bundle.contains("hq/"), "{from_bundle}");
    insta::assert_snapshot!("graph_573", from_bundle);

    let (_, wide600, _) = run(&[
        "graph",
        "--bundle",
        &fixture("wide.json"),
        "--issue",
        "https://github.com/cbusillo/launchplane/issues/600",
    ]);
    assert!(
        wide600.contains("\"lane:hq/prod\" -> \"action:backup_restore\""),
        "{wide600}"
    );
    assert!(!wide600.contains("volume_import"), "{wide600}");
}

#[test]
fn graph_refuses_an_issue_no_rule_cites_and_bad_input() {
    let (code, out, err) = run(&["graph", "--bundle", &fixture("real.json"), "--issue", "999"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("no rule cites issue `999`"), "{err}");
    let (code, out, _) = run(&["graph", "--bundle", "missing.json"]);
    assert_eq!((code, out.as_str()), (2, ""));
    let (code, out, _) = run(&["graph", "--bundle", &fixture("real.json"), "policies"]);
    assert_eq!((code, out.as_str()), (2, ""));
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("policies/lanes.yaml"),
        dir.path().join("lanes.yaml"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("bad.policy"),
        "allow empty_bootstrap on cm/testing\n",
    )
    .unwrap();
    let (code, out, err) = run(&["graph", dir.path().to_str().unwrap()]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(err.contains("the policies have errors"), "{err}");
}

/// The clock can be moved forward, never back: an earlier `--now` could
/// bring back a grant whose date has passed. Every command that decides or
/// shows what is open refuses it, and the decision is deny.
#[test]
fn a_clock_set_back_is_refused_everywhere() {
    let bundle = real();
    let b = bundle.to_str().unwrap();
    let req = [
        "--lane",
        "cm/testing",
        "--action",
        "empty_bootstrap",
        "--confirm",
        "bootstrap cm testing",
    ];
    for cmd in ["decide", "explain"] {
        let mut args = vec![cmd, "--bundle", b, "--now", "2020-01-01T00:00:00Z"];
        args.extend_from_slice(&req);
        let (code, out, err) = run(&args);
        assert_eq!(code, 2, "{cmd}: {out}{err}");
        assert!(err.contains("never back"), "{cmd}: {err}");
        assert!(!out.contains("allow"), "{cmd}: {out}");
        // Forward is fine.
        let mut args = vec![cmd, "--bundle", b, "--now", "2100-01-01T00:00:00Z"];
        args.extend_from_slice(&req);
        assert_eq!(run(&args).0, 0, "{cmd}");
    }
    for cmd in [
        vec!["lanes", "--bundle", b],
        vec!["export", "launchplane", "--bundle", b],
    ] {
        let mut args = cmd.clone();
        args.extend(["--now", "2020-01-01T00:00:00Z"]);
        let (code, out, err) = run(&args);
        assert_eq!((code, out.as_str()), (2, ""), "{cmd:?}: {err}");
        assert!(err.contains("never back"), "{cmd:?}: {err}");
    }
}

#[test]
fn a_time_that_does_not_parse_shows_the_expected_form() {
    let (code, _, err) = run(&[
        "decide",
        "--bundle",
        real().to_str().unwrap(),
        "--lane",
        "cm/testing",
        "--action",
        "deploy",
        "--now",
        "2026-12-01",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("2026-12-01T00:00:00Z"), "{err}");
}

#[test]
fn decide_suggests_a_close_lane_or_action() {
    let (code, out, _) = run(&[
        "decide",
        "--bundle",
        real().to_str().unwrap(),
        "--lane",
        "cm/testng",
        "--action",
        "empty_bootstrap",
    ]);
    assert_eq!(code, 1);
    assert!(out.contains("did you mean `cm/testing`?"), "{out}");
    let (code, out, _) = run(&[
        "decide",
        "--bundle",
        real().to_str().unwrap(),
        "--lane",
        "cm/testing",
        "--action",
        "empty_bootstrp",
    ]);
    assert_eq!(code, 1);
    assert!(out.contains("did you mean `empty_bootstrap`?"), "{out}");
}

/// Without paths, commands read `policies/`; inside the policy directory
/// (no `policies/`, but `lanes.yaml` here) they read this directory; with
/// neither, they say where to run from.
#[test]
fn commands_run_from_the_policy_directory_or_say_where_to_run() {
    let inside = root().join("policies");
    let out = lanepolicy()
        .current_dir(&inside)
        .arg("check")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("0 errors, 0 warnings in 2 files"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = lanepolicy()
        .current_dir(&inside)
        .arg("test")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let empty = tempfile::tempdir().unwrap();
    for cmd in ["check", "test", "fmt"] {
        let out = lanepolicy()
            .current_dir(empty.path())
            .arg(cmd)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{cmd}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("run lanepolicy from the directory that holds `policies/`"),
            "{cmd}: {err}"
        );
    }
}

#[test]
fn a_bad_now_says_what_is_wrong_with_it() {
    let b = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/bundles/real.json"
    );
    for (now, says) in [
        (
            "9999-12-31T00:00:00Z",
            "is out of range: lanepolicy represents times up to 9999-12-30T22:00:00Z",
        ),
        (
            "2030-13-01T00:00:00Z",
            "is not a valid time (parameter 'month' is not in the required range of 1..=12)",
        ),
        (
            "2030-01-01T00:00:00+25:00",
            "has an offset outside RFC 3339's, which runs from -23:59 to +23:59",
        ),
        // Past jiff's own bounds, said the same way.
        (
            "2030-01-01T00:00:00-99:00",
            "has an offset outside RFC 3339's, which runs from -23:59 to +23:59",
        ),
        (
            "2030-01-01T00:00:00+23:60",
            "has an offset outside RFC 3339's, which runs from -23:59 to +23:59",
        ),
        (
            "2030-01-01",
            "is not an RFC 3339 time: write it like `2026-12-01T00:00:00Z`",
        ),
        // What jiff takes but RFC 3339 does not write: no seconds, a year
        // of six digits, a space for `T`, an offset without its colon.
        ("2099-01-01T00:00Z", "is not an RFC 3339 time"),
        ("+002099-01-01T00:00:00Z", "is not an RFC 3339 time"),
        ("2099-01-01 00:00:00Z", "is not an RFC 3339 time"),
        ("2099-01-01T00:00:00+0100", "is not an RFC 3339 time"),
        ("2099-01-01T00:00:00.Z", "is not an RFC 3339 time"),
    ] {
        let (code, stdout, stderr) = run(&[
            "decide",
            "--bundle",
            b,
            "--lane",
            "cm/testing",
            "--action",
            "deploy",
            "--now",
            now,
        ]);
        assert_eq!(code, 2, "{now}");
        assert_eq!(stdout, "", "{now}");
        assert!(
            stderr.contains(&format!("`{now}` {says}")),
            "{now}: {stderr}"
        );
    }
}

#[test]
fn a_proof_name_that_is_no_proof_gets_a_hint_not_a_silent_deny() {
    let b = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/bundles/real.json"
    );
    let (code, stdout, _) = run(&[
        "decide",
        "--bundle",
        b,
        "--lane",
        "hq/prod",
        "--action",
        "backup_restore",
        "--proof",
        "Backup_Proof=bg-1",
        "--proof",
        "nonsense=1",
    ]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains("`--proof Backup_Proof` names no proof: did you mean `backup_proof`?"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "`--proof nonsense` names no proof: the proofs are backup_proof, restore_proof"
        ),
        "{stdout}"
    );
    // The JSON decision is the runtime's, unchanged.
    let (_, json, _) = run(&[
        "decide",
        "--bundle",
        b,
        "--lane",
        "hq/prod",
        "--action",
        "backup_restore",
        "--proof",
        "Backup_Proof=bg-1",
        "--json",
    ]);
    assert!(!json.contains("names no proof"), "{json}");
}

/// A rule whose lowered check found something on each of its lanes: each
/// grant names the check once, with its first finding and how many more
/// there are, not every finding of the rule (which was lanes^2 lines).
#[test]
fn lanes_names_each_lowered_check_of_a_rule_once_per_grant() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let n = 30;
    let lanes: String = (0..n)
        .map(|k| format!("      l{k}: {{production: true, phase: prelaunch, data_authority: resettable, allowed_sources: [empty]}}\n"))
        .collect();
    std::fs::write(
        d.join("lanes.yaml"),
        format!("issues: https://github.com/example/ops/issues/\nactions:\n  wipe: {{operation: stable_bootstrap, data_source: empty, destructive: true}}\nproducts:\n  p:\n    context: c\n    events: {{launch: pending}}\n    lanes:\n{lanes}"),
    )
    .unwrap();
    std::fs::write(
        d.join("a.policy"),
        "allow wipe on c/* until 2099-01-01 issue=#1 confirm=\"wipe {lane}\"\n",
    )
    .unwrap();
    std::fs::write(
        d.join("lanepolicy.yaml"),
        "checks: {L003: off, L012: off, L005: off, L006: off}\n",
    )
    .unwrap();
    let bundle = d.join("b.json");
    let (code, _, err) = run(&["build", d.to_str().unwrap(), "-o", bundle.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(&["lanes", "--bundle", bundle.to_str().unwrap(), NOW]);
    assert_eq!(code, 0, "{err}");
    let l003: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("unguarded: L003"))
        .collect();
    assert_eq!(l003.len(), n, "{out}");
    assert!(
        l003.iter()
            .all(|l| l.ends_with(&format!("(and {} more of L003 on the rule)", n - 1))),
        "{out}"
    );
    // The JSON lists each lowered check once per grant, with its count:
    // the rule's n findings under each of its n grants were n^2 entries.
    let (code, out, err) = run(&["lanes", "--bundle", bundle.to_str().unwrap(), NOW, "--json"]);
    assert_eq!(code, 0, "{err}");
    let lanes: serde_json::Value = serde_json::from_str(&out).unwrap();
    let lanes = lanes.as_array().unwrap();
    assert_eq!(lanes.len(), n);
    for lane in lanes {
        let lowered = lane["grants"][0]["lowered"].as_array().unwrap();
        let l003: Vec<_> = lowered.iter().filter(|g| g["code"] == "L003").collect();
        assert_eq!(l003.len(), 1, "{lane}");
        assert_eq!(l003[0]["count"], n, "{lane}");
        assert_eq!(l003[0]["severity"], "off", "{lane}");
        assert!(
            l003[0]["message"].as_str().unwrap().contains("`c/l0`"),
            "{lane}"
        );
    }
}

/// A lane or action given on the command line is echoed with its bidi and
/// zero-width characters escaped, by `decide` and `explain` alike: it
/// cannot reorder the line it is printed on.
#[test]
fn requests_are_echoed_with_invisible_characters_escaped() {
    let bundle = real();
    let bundle = bundle.to_str().unwrap();
    for command in ["decide", "explain"] {
        let (_, out, _) = run(&[
            command,
            "--bundle",
            bundle,
            "--lane",
            "cm/te\u{202e}st",
            "--action",
            "deploy\u{200b}",
            NOW,
        ]);
        assert!(out.contains("cm/te\\u{202e}st"), "{command}: {out}");
        assert!(out.contains("deploy\\u{200b}"), "{command}: {out}");
        assert!(
            !out.contains('\u{202e}') && !out.contains('\u{200b}'),
            "{command}: {out}"
        );
    }
    // Refused facts and values the argument parser refuses are echoed
    // escaped too, on standard error.
    for fact in [
        ["--occurred", "odoo-tenant-cm:la\u{202e}unch"],
        ["--occurred", "odoo-\u{202e}tenant-cm:launch"],
        ["--phase", "cm/testing=li\u{202e}ve"],
        ["--now", "2027\u{202e}-01-01T00:00:00Z"],
    ] {
        let (code, _, err) = run(&[
            "decide",
            "--bundle",
            bundle,
            "--lane",
            "cm/testing",
            "--action",
            "deploy",
            fact[0],
            fact[1],
        ]);
        assert_eq!(code, 2, "{fact:?}: {err}");
        assert!(
            err.contains("\\u{202e}") && !err.contains('\u{202e}'),
            "{fact:?}: {err}"
        );
    }
}

//! `lanepolicy test`: the shipped #573 cases pass, a wrong expectation fails
//! readably, and a test file or policy that cannot run is exit 2 with its
//! position and nothing on stdout.

use assert_cmd::Command;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `lanepolicy ARGS` in `dir`; returns (exit code, stdout, stderr).
fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("lanepolicy")
        .unwrap()
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// `out` with the bundle digest replaced, so that the snapshot shows the
/// wording and does not change with every edit of the inventory.
fn redact_digest(out: &str) -> String {
    match out.find("sha256:") {
        Some(at) => format!("{}sha256:[digest]{}", &out[..at], &out[at + 7 + 64..]),
        None => out.to_string(),
    }
}

/// A project with the real inventory and #573 policy, and `test_yaml` as
/// `policies/t.test.yaml`.
fn project(test_yaml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let policies = dir.path().join("policies");
    std::fs::create_dir(&policies).unwrap();
    for f in ["lanes.yaml", "odoo-prelaunch.policy"] {
        std::fs::copy(root().join("policies").join(f), policies.join(f)).unwrap();
    }
    std::fs::write(policies.join("t.test.yaml"), test_yaml).unwrap();
    dir
}

#[test]
fn the_573_cases_pass() {
    let (code, out, err) = run_in(root(), &["test"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.starts_with("policies/odoo-prelaunch.test.yaml: "),
        "{out}"
    );
    assert!(!out.contains("FAIL"), "{out}");
    let last = out.lines().last().unwrap();
    assert!(last.ends_with("passed, 0 failed"), "{last}");
    let passed: usize = last.split(' ').next().unwrap().parse().unwrap();
    assert!(passed >= 20, "{last}");
    // Naming the file, or its directory, runs the same cases.
    let (code, by_file, _) = run_in(root(), &["test", "policies/odoo-prelaunch.test.yaml"]);
    assert_eq!((code, by_file.as_str()), (0, out.as_str()));
}

#[test]
fn a_wrong_expectation_fails_with_what_was_expected_and_what_came() {
    let dir = project(
        r#"now: 2026-12-01T00:00:00Z
cases:
  - name: cm testing bootstrap with the phrase
    request: {lane: cm/testing, action: empty_bootstrap, confirm: "bootstrap cm testing"}
    expect: allow
  - name: cm testing bootstrap after launch (wrongly expected to pass)
    facts: {occurred: ["odoo-tenant-cm:launch"]}
    request: {lane: cm/testing, action: empty_bootstrap, confirm: "bootstrap cm testing"}
    expect: allow
  - name: cm prod with the wrong phrase (wrong reason expected)
    request: {lane: cm/prod, action: empty_bootstrap, confirm: "bootstrap cm"}
    expect: {decision: deny, reason: confirmation-required}
  - name: hq prod restore (wrongly expected to be allowed)
    request: {lane: hq/prod, action: backup_restore}
    expect: allow
  - name: opw prod restore (wrongly expected to be denied)
    request: {lane: opw/prod, action: upstream_restore, confirm: "restore opw prod from upstream"}
    expect: {decision: deny, reason: rule-retired}
"#,
    );
    let (code, out, err) = run_in(dir.path(), &["test"]);
    assert_eq!((code, err.as_str()), (1, ""));
    insta::assert_snapshot!(redact_digest(&out));
}

#[test]
fn a_broken_test_file_is_exit_2_with_its_position() {
    let cases = [
        (
            "bad yaml",
            "cases:\n  - name: a\n    request: {lane: cm/prod, action: [deploy\n",
            "policies/t.test.yaml:",
        ),
        (
            "unknown key",
            "cases:\n  - name: a\n    request: {lane: cm/prod, action: deploy}\n    expected: allow\n",
            "[policies/t.test.yaml:4:5]|× invalid test file: unknown field `expected`",
        ),
        (
            "unknown reason",
            "cases:\n  - name: a\n    request: {lane: cm/prod, action: deploy}\n    expect: {decision: deny, reason: retired}\n",
            "[policies/t.test.yaml:4:38]|× `retired` is not a reason code",
        ),
        (
            "unknown product in facts",
            "cases:\n  - name: a\n    facts: {occurred: [\"odoo-tenant-xm:launch\"]}\n    request: {lane: cm/prod, action: deploy}\n    expect: deny\n",
            "[policies/t.test.yaml:3:25]|× unknown product `odoo-tenant-xm`",
        ),
        (
            "unknown event in facts",
            "cases:\n  - name: a\n    facts: {occurred: [\"odoo-tenant-cm:lunch\"]}\n    request: {lane: cm/prod, action: deploy}\n    expect: deny\n",
            "help: did you mean `launch`?",
        ),
        (
            "unknown lane in facts",
            "cases:\n  - name: a\n    facts: {phases: {cm/prd: live}}\n    request: {lane: cm/prod, action: deploy}\n    expect: deny\n",
            "unknown lane `cm/prd` in `phases`",
        ),
        ("no cases", "cases: []\n", "the test file has no cases"),
        ("not utf-8", "cases: \u{0}\n", "policies/t.test.yaml:"),
    ];
    for (what, yaml, expected) in cases {
        let dir = project(yaml);
        let (code, out, err) = run_in(dir.path(), &["test"]);
        assert_eq!(code, 2, "{what}: {out}{err}");
        assert_eq!(out, "", "{what}: no partial output");
        for part in expected.split('|') {
            assert!(err.contains(part), "{what}: {part}: {err}");
        }
        assert!(
            err.contains("E203(invalid-test-file)") || what == "not utf-8",
            "{what}: {err}"
        );
    }
}

#[test]
fn invalid_utf8_in_a_test_file_is_reported_with_its_byte() {
    let dir = project("cases: []\n");
    std::fs::write(
        dir.path().join("policies/t.test.yaml"),
        b"cases:\n  - name: \xff\n",
    )
    .unwrap();
    let (code, out, err) = run_in(dir.path(), &["test"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("not valid UTF-8 at byte 17"), "{err}");
}

#[test]
fn policies_with_errors_stop_the_tests() {
    let dir = project(
        "cases:\n  - name: a\n    request: {lane: cm/prod, action: deploy}\n    expect: deny\n",
    );
    std::fs::write(
        dir.path().join("policies/broken.policy"),
        "allow empty_bootstrap on cm/testing until launch\n",
    )
    .unwrap();
    let (code, out, err) = run_in(dir.path(), &["test"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(
        err.contains("L001") || err.contains("missing-issue"),
        "{err}"
    );
    assert!(
        err.contains("the policies in policies have errors"),
        "{err}"
    );
}

#[test]
fn nothing_to_test_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("policies")).unwrap();
    let (code, out, err) = run_in(dir.path(), &["test"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("no `*.test.yaml` files found"), "{err}");

    let (code, _, err) = run_in(dir.path(), &["test", "nowhere"]);
    assert_eq!(code, 2);
    assert!(err.contains("nowhere: no such file or directory"), "{err}");

    // A test file with no policies beside it.
    std::fs::write(
        dir.path().join("policies/t.test.yaml"),
        "cases:\n  - name: a\n    request: {lane: cm/prod, action: deploy}\n    expect: deny\n",
    )
    .unwrap();
    let (code, out, err) = run_in(dir.path(), &["test"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("error: policies:"), "{err}");
}

/// Policy files that hold no rule are an empty set too: every deny case
/// would pass against them.
#[test]
fn policy_files_without_a_rule_are_nothing_to_test() {
    let dir = project(
        "cases:\n  - name: a\n    request: {lane: cm/prod, action: empty_bootstrap}\n    expect: deny\n",
    );
    std::fs::write(
        dir.path().join("policies/odoo-prelaunch.policy"),
        "// only comments\n",
    )
    .unwrap();
    let (code, out, err) = run_in(dir.path(), &["test"]);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(err.contains("hold no rule"), "{err}");
}

/// A case's lane and action are taken as written, as `decide` takes
/// them, and an optional key written as null is an error, not left out.
#[test]
fn requests_are_read_as_decide_reads_them_and_null_is_no_value() {
    let case = |request: &str, facts: &str| {
        format!("cases:\n  - name: a\n{facts}    request: {request}\n    expect: allow\n")
    };
    for (request, facts, says) in [
        (
            "{lane: \" cm/testing \", action: empty_bootstrap, confirm: \"bootstrap cm testing\"}",
            "",
            "unknown lane ` cm/testing `",
        ),
        (
            "{lane: cm/testing, action: \"empty_bootstrap \", confirm: \"bootstrap cm testing\"}",
            "",
            "unknown action `empty_bootstrap `",
        ),
        (
            "{lane: cm/testing, action: empty_bootstrap, confirm: ~}",
            "",
            "null",
        ),
        (
            "{lane: cm/testing, action: empty_bootstrap, confirm: \"bootstrap cm testing\"}",
            "    facts: {now: null}\n",
            "null",
        ),
        (
            "{lane: cm/testing, action: empty_bootstrap, confirm: \"bootstrap cm testing\"}",
            "    facts: ~\n",
            "expected a mapping",
        ),
        // A proof is read as `decide --proof` reads it: an empty id is refused.
        (
            "{lane: cm/testing, action: empty_bootstrap, confirm: \"bootstrap cm testing\", proofs: {backup_proof: \"  \"}}",
            "",
            "proof `backup_proof` has an empty record id",
        ),
        // A time is read as `decide --now` reads it: offsets within a day.
        (
            "{lane: cm/testing, action: empty_bootstrap, confirm: \"bootstrap cm testing\"}",
            "    facts: {now: \"2026-12-01T00:00:00+24:00\"}\n",
            "has an offset outside RFC 3339's",
        ),
    ] {
        let dir = project(&case(request, facts));
        let (code, out, err) = run_in(dir.path(), &["test"]);
        assert_eq!((code, out.as_str()), (2, ""), "{request} {facts}: {err}");
        assert!(
            err.contains("E203") && err.contains(says),
            "{request} {facts}: {err}"
        );
    }
    // `reason: ~` is no reason code, not "any reason".
    let dir = project(
        "cases:\n  - name: a\n    request: {lane: cm/prod, action: backup_restore}\n    expect: {decision: deny, reason: ~}\n",
    );
    let (code, out, err) = run_in(dir.path(), &["test"]);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(err.contains("`reason` is null"), "{err}");
    // Written plainly, the same case passes: the grant allows.
    let dir = project(&case(
        "{lane: cm/testing, action: empty_bootstrap, confirm: \"bootstrap cm testing\"}",
        "",
    ));
    let (code, out, err) = run_in(dir.path(), &["test", "--now", "2026-12-01T00:00:00Z"]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn a_case_without_a_clock_uses_the_now_flag() {
    let dir = project(
        "cases:\n  - name: a\n    request: {lane: cm/testing, action: empty_bootstrap, confirm: bootstrap cm testing}\n    expect: allow\n",
    );
    let (code, out, _) = run_in(dir.path(), &["test", "--now", "2030-01-01T00:00:00Z"]);
    assert_eq!(code, 0, "{out}");
    let (code, _, err) = run_in(dir.path(), &["test", "--now", "yesterday"]);
    assert_eq!(code, 2);
    assert!(err.contains("--now"), "{err}");
}

/// A test file's problems are capped as `check`'s are: 101 diagnostics
/// for 5,000 unknown proofs on one line (it was one each, each placed by
/// a search along the line: 60,000 took 17 s and 8.9 MB of report).
#[test]
fn a_test_file_with_thousands_of_problems_reports_the_first_hundred_and_counts_the_rest() {
    let proofs: Vec<String> = (0..5000).map(|k| format!("p{k}: x")).collect();
    let yaml = format!(
        "cases:\n  - name: a\n    request: {{lane: cm/prod, action: deploy, proofs: {{{}}}}}\n    expect: deny\n",
        proofs.join(", ")
    );
    let dir = project(&yaml);
    let (code, out, err) = run_in(dir.path(), &["test"]);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert_eq!(err.matches("E203(invalid-test-file)").count(), 101, "{err}");
    assert!(
        err.contains("4900 more E203 (invalid-test-file) findings in this file are not shown"),
        "{err}"
    );
}

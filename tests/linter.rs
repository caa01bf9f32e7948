//! The linter as CI and pre-commit meet it: configuration, suppressions,
//! cross-file checks, issue states, output formats and `lanepolicy rule`.

mod common;
use serde_json::Value;
use std::path::PathBuf;

fn run(args: &[&str]) -> (i32, String, String) {
    common::run_in(std::path::Path::new(env!("CARGO_MANIFEST_DIR")), args).tuple()
}

fn json_check(args: &[&str]) -> (i32, Vec<Value>) {
    let mut all = args.to_vec();
    all.extend(["--format", "json", "--today", "2026-11-29"]);
    let (code, out, err) = run(&all);
    (
        code,
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}")),
    )
}

/// A directory holding the real `lanes.yaml`, for a policy of the test's own.
fn with_real_inventory() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("policies/lanes.yaml"),
        dir.path().join("lanes.yaml"),
    )
    .unwrap();
    dir
}

fn codes(diags: &[Value]) -> Vec<&str> {
    diags.iter().map(|d| d["code"].as_str().unwrap()).collect()
}

/// A check listed twice in one suppression still silences its finding,
/// and the repeat is told (L014), by its code or by its name.
#[test]
fn a_check_listed_twice_in_a_suppression_is_told() {
    let dir = with_real_inventory();
    std::fs::write(
        dir.path().join("x.policy"),
        "// lanepolicy: ignore L012, wildcard-touches-production reason=\"both lanes of #573\"\nallow empty_bootstrap on cm/* until launch issue=#573 confirm=\"bootstrap {context} {instance}\"\n",
    )
    .unwrap();
    let (code, diags) = json_check(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{diags:?}");
    assert_eq!(codes(&diags), ["L014", "L012"], "{diags:?}");
    assert!(diags[1]["suppression"]["reason"].is_string(), "{diags:?}");
    assert!(
        diags[0]["message"]
            .as_str()
            .unwrap()
            .contains("is listed more than once in this suppression"),
        "{diags:?}"
    );
}

#[test]
fn a_suppression_silences_its_check_and_leaves_an_audit_trail() {
    let (code, diags) = json_check(&["check", "tests/fixtures/projects/suppressed"]);
    assert_eq!(
        code, 0,
        "a suppressed warning and an unused suppression do not fail: {diags:?}"
    );
    assert_eq!(codes(&diags), ["L012", "L014"]);
    assert_eq!(
        diags[0]["suppression"]["reason"],
        "cm has exactly the two lanes of #573; both are prelaunch"
    );
    assert_eq!(diags[1]["suppression"], Value::Null);
    assert_eq!(diags[1]["line"], 5);

    // Human output hides the suppressed finding but counts it.
    let (_, out, _) = run(&[
        "check",
        "tests/fixtures/projects/suppressed",
        "--today",
        "2026-11-29",
    ]);
    assert!(!out.contains("L012(wildcard"), "{out}");
    assert!(
        out.contains("0 errors, 1 warning in 2 files (1 suppressed)"),
        "{out}"
    );

    // The bundle carries the suppression with its rule.
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("b.json");
    let (code, _, err) = run(&[
        "build",
        "tests/fixtures/projects/suppressed",
        "-o",
        b.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let bundle: Value = serde_json::from_str(&std::fs::read_to_string(b).unwrap()).unwrap();
    let first = &bundle["rules"][0];
    assert_eq!(first["patterns"], serde_json::json!(["cm/*"]));
    assert_eq!(first["suppressions"][0]["code"], "L012");
    assert_eq!(
        first["suppressions"][0]["reason"],
        "cm has exactly the two lanes of #573; both are prelaunch"
    );
}

#[test]
fn a_suppression_without_a_reason_is_an_error() {
    let dir = with_real_inventory();
    let d = dir.path();
    std::fs::write(
        d.join("p.policy"),
        "// lanepolicy: ignore L012\nallow empty_bootstrap on cm/* until launch issue=#573 confirm=\"bootstrap {lane}\"\n",
    )
    .unwrap();
    let (code, diags) = json_check(&["check", d.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(
        codes(&diags),
        ["E002", "L012"],
        "without a valid suppression the warning shows"
    );
    assert_eq!(
        (diags[0]["line"].as_u64(), diags[0]["column"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(
        diags[0]["message"]
            .as_str()
            .unwrap()
            .contains("needs a reason")
    );
}

#[test]
fn a_deny_that_asks_for_a_phrase_or_a_proof_is_told_it_asks_for_nothing() {
    let dir = with_real_inventory();
    let d = dir.path();
    let policy = "\
allow backup_restore on cm/testing until launch issue=#573 confirm=\"restore {lane}\" requires backup_proof
deny backup_restore on cm/testing requires backup_proof, restore_proof confirm=\"restore {lane}\" reason=\"frozen\"
deny upstream_restore on cm/testing until launch issue=#573 reason=\"frozen\"
";
    std::fs::write(d.join("p.policy"), policy).unwrap();
    let (code, diags) = json_check(&["check", d.to_str().unwrap()]);
    assert_eq!(code, 0, "a warning: the deny still denies: {diags:?}");
    let l021: Vec<_> = diags.iter().filter(|d| d["code"] == "L021").collect();
    let at = |d: &Value| {
        let line = d["line"].as_u64().unwrap() as usize;
        let col = d["column"].as_u64().unwrap() as usize;
        let end = d["end_column"].as_u64().unwrap() as usize;
        policy.lines().nth(line - 1).unwrap()[col - 1..end - 1].to_string()
    };
    // Only the deny's two clauses: not the allow's, not until/issue/reason.
    assert_eq!(
        l021.iter().map(|d| at(d)).collect::<Vec<_>>(),
        ["backup_proof, restore_proof", "\"restore {lane}\""],
        "{diags:?}"
    );
    assert!(
        l021.iter()
            .all(|d| d["severity"] == "warning" && d["line"] == 2)
    );

    // The bundle's deny denies whatever is presented.
    let bundle = d.join("b.json");
    let (code, _, err) = run(&["build", d.to_str().unwrap(), "-o", bundle.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(&[
        "decide",
        "--bundle",
        bundle.to_str().unwrap(),
        "--lane",
        "cm/testing",
        "--action",
        "backup_restore",
        "--confirm",
        "restore testing",
        "--proof",
        "backup_proof=B1",
        "--proof",
        "restore_proof=R1",
        "--json",
    ]);
    assert_eq!(code, 1, "{out}{err}");
    let decision: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(decision["decision"], "deny", "{decision}");
}

#[test]
fn the_configuration_sets_severities_windows_and_excluded_files() {
    let (code, diags) = json_check(&["check", "tests/fixtures/projects/configured"]);
    assert_eq!(
        code, 1,
        "shared-confirmation is raised to an error: {diags:?}"
    );
    // L012 (cm/*) is off, L013 is an error, the 30-day window catches 2026-12-20,
    // and drafts/ (a syntax error) is excluded.
    assert_eq!(codes(&diags), ["L013", "L009"]);
    assert_eq!(diags[0]["severity"], "error");
    // Named explicitly, an excluded file is still excluded (pre-commit passes changed files).
    let (code, out, err) = run(&[
        "check",
        "tests/fixtures/projects/configured/drafts/unfinished.policy",
    ]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("excluded by `exclude` in lanepolicy.yaml"),
        "{err}"
    );
}

#[test]
fn configuration_errors_point_into_lanepolicy_yaml() {
    let dir = with_real_inventory();
    let d = dir.path();
    std::fs::write(
        d.join("p.policy"),
        "allow deploy on hq/staging until 2027-06-30 issue=#573\n",
    )
    .unwrap();
    for (config, message, line) in [
        (
            "checks:\n  E101: off\n",
            "is an error and cannot be configured",
            2,
        ),
        ("checks:\n  L012: silent\n", "`silent` is not a severity", 2),
        ("checks:\n  L0012: off\n", "unknown check `L0012`", 2),
        ("expires-soon-days: -1\n", "between 0 and 3650", 1),
        ("max-grants: 0\n", "between 1 and 8388608", 1),
        ("\nmax-grants: 8388609\n", "found 8388609", 2),
        (
            "max-grants: 0b1000\n",
            "`max-grants` must be a whole number written in decimal digits, found `0b1000`",
            1,
        ),
        ("max-grants: \"8\"\n", "found `\"8\"`", 1),
        ("max-grants: 1_000\n", "found `1_000`", 1),
        ("expires-soon-days: +5\n", "found `+5`", 1),
        ("expires-soon-days: 0x10\n", "found `0x10`", 1),
        // What the reader does not take as a number says which key it is.
        (
            "max-grants: 05000\n",
            "`max-grants` must be a whole number written in decimal digits, found `05000`",
            1,
        ),
        (
            "\n{expires-soon-days: 5e1}\n",
            "`expires-soon-days` must be a whole number",
            2,
        ),
        (
            "expires-soon-days: &a 40\nmax-grants: *a\n",
            "written as the alias `*a`",
            2,
        ),
        ("exclude: [\"[\"]\n", "not a valid glob", 1),
        ("chekcs: {}\n", "unknown field `chekcs`", 1),
    ] {
        std::fs::write(d.join("lanepolicy.yaml"), config).unwrap();
        let (code, diags) = json_check(&["check", d.to_str().unwrap()]);
        assert_eq!(code, 1, "{config}");
        assert_eq!(codes(&diags), ["E202"], "{config}");
        assert!(
            diags[0]["message"].as_str().unwrap().contains(message),
            "{config}: {}",
            diags[0]["message"]
        );
        assert!(
            diags[0]["file"]
                .as_str()
                .unwrap()
                .ends_with("lanepolicy.yaml")
        );
        assert_eq!(diags[0]["line"], line, "{config}");
    }
    // The help says what to write instead.
    for (config, help) in [
        ("max-grants: 05000\n", "write `max-grants: 5000`"),
        ("max-grants:\n  05000\n", "write `max-grants: 5000`"),
        ("max-grants: &n 007\n", "write `max-grants: 7`"),
        ("max-grants: 99999999999999999999\n", "from 1 to 8388608"),
        ("max-grants: 5e3\n", "an exponent: write `max-grants: 5000`"),
        ("max-grants: ten\n", "the default is 1048576"),
        (
            "expires-soon-days: &a 40\nmax-grants: *a\n",
            "`*a` stands for 40: write `max-grants: 40`",
        ),
        ("expires-soon-days: 3651\n", "from 0 to 3650"),
        // A number that would be refused in turn is never suggested.
        ("max-grants: 00\n", "from 1 to 8388608"),
        ("max-grants: 1e7\n", "from 1 to 8388608"),
        ("max-grants: 0x1000000\n", "from 1 to 8388608"),
        ("expires-soon-days: 05000\n", "from 0 to 3650"),
        ("expires-soon-days: \"-1\"\n", "from 0 to 3650"),
        (
            "max-grants: &a 7000\nexpires-soon-days: *a\n",
            "from 0 to 3650",
        ),
    ] {
        std::fs::write(d.join("lanepolicy.yaml"), config).unwrap();
        let (_, diags) = json_check(&["check", d.to_str().unwrap()]);
        let got = diags[0]["help"].as_str().unwrap_or_default();
        assert!(got.contains(help), "{config}: {got}");
        if help.starts_with("from") {
            assert!(!got.contains("write `"), "{config}: {got}");
        }
    }
}

#[test]
fn a_duplicate_rule_in_another_file_is_found() {
    let (code, diags) = json_check(&["check", "tests/fixtures/projects/cross-file"]);
    assert_eq!(code, 0);
    assert_eq!(codes(&diags), ["L010"]);
    assert_eq!(
        diags[0]["file"],
        "tests/fixtures/projects/cross-file/b.policy"
    );
    let (_, out, _) = run(&["check", "tests/fixtures/projects/cross-file"]);
    assert!(
        out.contains("covered by this rule at tests/fixtures/projects/cross-file/a.policy:1:1"),
        "{out}"
    );
}

#[test]
fn a_closed_approval_issue_is_reported_given_issue_states() {
    let dir = tempfile::tempdir().unwrap();
    let states = dir.path().join("issues.json");
    std::fs::write(&states, r#"[{"number": 573, "state": "CLOSED", "url": "https://github.com/cbusillo/launchplane/issues/573"}]"#).unwrap();
    let (code, diags) = json_check(&[
        "check",
        "--issues",
        states.to_str().unwrap(),
        "--deny-warnings",
    ]);
    assert_eq!(code, 1);
    assert_eq!(codes(&diags), ["L015", "L015"]);
    std::fs::write(&states, r#"[{"number": 573, "state": "OPEN"}]"#).unwrap();
    let (code, diags) = json_check(&[
        "check",
        "--issues",
        states.to_str().unwrap(),
        "--deny-warnings",
    ]);
    assert_eq!((code, diags.len()), (0, 0));
    std::fs::write(&states, "{not json").unwrap();
    let (code, _, err) = run(&["check", "--issues", states.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("line 1, column 2"), "{err}");
    // A URL written with a trailing `/`, or in other capitals, is the same
    // issue.
    std::fs::write(&states, r#"[{"number": 573, "state": "CLOSED", "url": "https://GitHub.com/CBusillo/Launchplane/issues/573/"}]"#).unwrap();
    let (_, diags) = json_check(&["check", "--issues", states.to_str().unwrap()]);
    assert_eq!(codes(&diags), ["L015", "L015"]);
    // A state written twice, or one GitHub's issues do not have, is not
    // read as a guess (`MERGED` was read as open).
    for (text, says) in [
        (
            r#"[{"number": 573, "state": "CLOSED", "state": "OPEN"}]"#,
            "duplicate key `state`",
        ),
        (
            r#"[{"number": 573, "state": "MERGED"}]"#,
            "state `MERGED`, which is neither `OPEN` nor `CLOSED`",
        ),
    ] {
        std::fs::write(&states, text).unwrap();
        let (code, _, err) = run(&["check", "--issues", states.to_str().unwrap()]);
        assert_eq!(code, 2, "{text}: {err}");
        assert!(err.contains(says), "{text}: {err}");
    }
}

#[test]
fn sarif_output_has_what_code_scanning_requires() {
    let (code, out, _) = run(&[
        "check",
        "tests/fixtures/check/syntax_errors.policy",
        "--inventory",
        "tests/fixtures/check/lanes.yaml",
        "--format",
        "sarif",
    ]);
    assert_eq!(code, 1);
    let log: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"].as_str().unwrap().contains("sarif"));
    let run = &log["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "lanepolicy");
    let rules = driver["rules"].as_array().unwrap();
    assert!(rules.iter().all(|r| r["id"].is_string()
        && r["shortDescription"]["text"].is_string()
        && r["help"]["text"].is_string()));
    let results = run["results"].as_array().unwrap();
    assert!(results.len() >= 5);
    for r in results {
        let id = r["ruleId"].as_str().unwrap();
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], id, "ruleIndex points at the rule");
        assert!(matches!(r["level"].as_str(), Some("error" | "warning")));
        assert!(!r["message"]["text"].as_str().unwrap().is_empty());
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(
            loc["artifactLocation"]["uri"],
            "tests/fixtures/check/syntax_errors.policy"
        );
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        let region = &loc["region"];
        for k in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(region[k].as_u64().unwrap() >= 1, "{k} is 1-based");
        }
        assert!(region["endLine"].as_u64() >= region["startLine"].as_u64());
    }
}

/// (uri, uriBaseId, fingerprint) of every SARIF result, sorted.
fn sarif_identities(dir: &std::path::Path, args: &[&str]) -> Vec<(String, String, String)> {
    let mut all = args.to_vec();
    all.extend(["--format", "sarif", "--today", "2026-11-29"]);
    let run = common::run_in(dir, &all);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let log: Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"].is_object());
    let mut out: Vec<(String, String, String)> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let loc = &r["locations"][0]["physicalLocation"]["artifactLocation"];
            (
                loc["uri"].as_str().unwrap().to_string(),
                loc["uriBaseId"].as_str().unwrap_or("").to_string(),
                r["partialFingerprints"]["lanepolicyFinding/v1"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn sarif_alerts_keep_their_identity_across_directories_and_unrelated_edits() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check");
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir(repo.path().join(".git")).unwrap();
    let policies = repo.path().join("policies");
    std::fs::create_dir(&policies).unwrap();
    std::fs::copy(fixtures.join("lanes.yaml"), repo.path().join("lanes.yaml")).unwrap();
    let policy = std::fs::read_to_string(fixtures.join("production_lane.policy")).unwrap();
    std::fs::write(policies.join("prod.policy"), &policy).unwrap();

    let from_root = sarif_identities(
        repo.path(),
        &["check", "policies", "--inventory", "lanes.yaml"],
    );
    assert_eq!(from_root.len(), 2, "{from_root:?}");
    for (uri, base, fp) in &from_root {
        assert_eq!(
            (uri.as_str(), base.as_str()),
            ("policies/prod.policy", "%SRCROOT%")
        );
        assert!(fp.ends_with(":1") && fp.len() == 66, "{fp}");
    }
    assert_ne!(
        from_root[0].2, from_root[1].2,
        "two findings, two identities"
    );
    // From policies/, the URIs and fingerprints are the same.
    let from_policies =
        sarif_identities(&policies, &["check", ".", "--inventory", "../lanes.yaml"]);
    assert_eq!(from_policies, from_root);
    // Lines inserted above (a comment, blank lines, a rule with no finding)
    // move the findings but leave their identity alone.
    let edited = format!(
        "// A note added above.\n\nallow empty_bootstrap on cm/testing until launch issue=#573 confirm=\"go {{lane}}\"\n\n{policy}"
    );
    std::fs::write(policies.join("prod.policy"), edited).unwrap();
    let after_edit = sarif_identities(
        repo.path(),
        &["check", "policies", "--inventory", "lanes.yaml"],
    );
    assert_eq!(after_edit, from_root);
}

#[test]
fn github_output_is_one_workflow_command_per_finding() {
    let (code, out, _) = run(&[
        "check",
        "tests/fixtures/check/production_lane.policy",
        "--inventory",
        "tests/fixtures/check/lanes.yaml",
        "--format",
        "github",
        "--today",
        "2026-11-29",
    ]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("::error file=tests/fixtures/check/production_lane.policy,line=2,col=25,endLine=2,endColumn=32,title=L003 production-lane::"), "{}", lines[0]);
}

#[test]
fn rule_prints_a_checks_documentation() {
    let (code, out, _) = run(&["rule", "L003"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("L003 production-lane: "));
    assert!(out.contains("## Use instead"));
    let (code, by_name, _) = run(&["rule", "production-lane"]);
    assert_eq!((code, by_name), (0, out));
    let (code, _, err) = run(&["rule", "L999"]);
    assert_eq!(code, 2);
    assert!(err.contains("no check `L999`"));
    let (code, out, _) = run(&["rule", "--all", "--format", "json"]);
    assert_eq!(code, 0);
    let all: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(all.len(), lanepolicy::checks::CHECKS.len());
    assert!(
        all.iter()
            .all(|c| c["code"].is_string() && c["doc"].as_str().unwrap().contains("## Example"))
    );
}

/// In a one-line (flow) inventory, each lane's finding points at that
/// lane's own key, not at the first key of the same name on the line.
#[test]
fn findings_in_a_one_line_inventory_point_at_their_own_lane() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let products: Vec<String> = (0..3)
        .map(|k| {
            format!("p{k}: {{context: c{k}, events: {{launch: pending}}, lanes: {{prod: {{production: false}}}}}}")
        })
        .collect();
    let inventory = format!(
        "issues: https://github.com/example/ops/issues/\nactions: {{deploy: {{operation: deploy, destructive: false}}}}\nproducts: {{{}}}\n",
        products.join(", ")
    );
    std::fs::write(d.join("lanes.yaml"), &inventory).unwrap();
    std::fs::write(
        d.join("p.policy"),
        "allow deploy on c0/prod until launch issue=#1\n",
    )
    .unwrap();
    let (_, diags) = json_check(&["check", d.to_str().unwrap()]);
    let l006: Vec<&Value> = diags.iter().filter(|x| x["code"] == "L006").collect();
    assert_eq!(l006.len(), 3, "{diags:?}");
    let line = inventory.lines().nth(2).unwrap();
    for (k, diag) in l006.iter().enumerate() {
        let own = line.find(&format!("p{k}: ")).unwrap()
            + line[line.find(&format!("p{k}: ")).unwrap()..]
                .find("prod:")
                .unwrap();
        assert_eq!(diag["line"], 3);
        assert_eq!(diag["column"], own + 1, "{}", diag["message"]);
    }
}

/// A key written in a comment, or inside a quoted value, is not the key:
/// inventory findings point at the real key or value.
#[test]
fn inventory_findings_skip_keys_in_comments_and_quoted_values() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let head = "issues: https://github.com/example/ops/issues/\nactions:\n  deploy: {operation: deploy, destructive: false}\nproducts:\n  p:\n    context: c\n    events: {launch: pending}\n    lanes:\n";
    std::fs::write(
        d.join("p.policy"),
        "allow deploy on c/x until launch issue=#1\n",
    )
    .unwrap();
    let check = |lanes: &str| -> Vec<Value> {
        std::fs::write(d.join("lanes.yaml"), format!("{head}{lanes}")).unwrap();
        json_check(&["check", d.to_str().unwrap()]).1
    };
    // L006 on `prod`, whose block holds a comment naming `prod:`.
    let diags = check(
        "      x: {production: false}\n      prod:\n        # production: false because the old prod: lane was retired\n        production: false\n",
    );
    let l006: Vec<&Value> = diags.iter().filter(|x| x["code"] == "L006").collect();
    assert_eq!(l006.len(), 1, "{diags:?}");
    assert_eq!(
        (&l006[0]["line"], &l006[0]["column"]),
        (&serde_json::json!(10), &serde_json::json!(7))
    );
    // E201 on the value of `phase`, below a comment naming `phase:`.
    let diags = check(
        "      x:\n        production: false\n        # phase: prelaunch was the old value of phase: here\n        phase: bogus\n",
    );
    let e201: Vec<&Value> = diags.iter().filter(|x| x["code"] == "E201").collect();
    assert_eq!(e201.len(), 1, "{diags:?}");
    assert_eq!(
        (&e201[0]["line"], &e201[0]["column"]),
        (&serde_json::json!(12), &serde_json::json!(16))
    );
    // A flow mapping whose value starts on the next line, after a quoted
    // value holding `prod:`.
    let line = "      {x: {production: false, target: \"prod: x\"}, prod:\n";
    let diags = check(&format!("{line}        {{production: false}}}}\n"));
    let l006: Vec<&Value> = diags.iter().filter(|x| x["code"] == "L006").collect();
    assert_eq!(l006.len(), 1, "{diags:?}");
    assert_eq!(l006[0]["line"], 9);
    assert_eq!(l006[0]["column"], line.rfind("prod:").unwrap() + 1);
}

#[test]
fn a_wrong_data_source_is_pointed_at_in_its_list() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let head = "issues: https://github.com/example/ops/issues/\nactions:\n  deploy: {operation: deploy, destructive: false}\nproducts:\n  p:\n    context: c\n    events: {launch: pending}\n    lanes:\n      x:\n        production: false\n";
    std::fs::write(
        d.join("p.policy"),
        "allow deploy on c/x until launch issue=#1\n",
    )
    .unwrap();
    let check = |sources: &str| -> Vec<(u64, u64)> {
        std::fs::write(
            d.join("lanes.yaml"),
            format!("{head}        allowed_sources: {sources}\n"),
        )
        .unwrap();
        let diags = json_check(&["check", d.to_str().unwrap()]).1;
        diags
            .iter()
            .filter(|x| x["code"] == "E201")
            .map(|x| (x["line"].as_u64().unwrap(), x["column"].as_u64().unwrap()))
            .collect()
    };
    // A flow list: each wrong item where it is written, quoted or not,
    // past a comma inside quotes, not at the `[`.
    let flow = "[empty, bogus, 'a, b', \"nope\"]  # bogus";
    let col = |needle: &str| 26 + flow.find(needle).unwrap() as u64;
    assert_eq!(
        check(flow),
        vec![
            (11, col("bogus")),
            (11, col("'a, b'")),
            (11, col("\"nope\""))
        ]
    );
    // A block list, one item a line, comments and blank lines between.
    assert_eq!(
        check(
            "\n          - empty\n\n          # a comment\n          - bogus  # here\n          - \"x y\""
        ),
        vec![(15, 13), (16, 13)]
    );
    // Items that take more than a line, and an empty one (its `-`).
    assert_eq!(
        check(
            "\n          - kind: empty\n            note: x\n          - |\n            multi\n          -\n          - bogus"
        ),
        vec![(12, 13), (14, 13), (16, 11), (17, 13)]
    );
    // An anchor and a tag before a flow list.
    assert_eq!(check("&l !!seq [empty, bogus]"), vec![(11, 43)]);
    // A list that comes through a merge key is pointed at where it is
    // written, not at the next `allowed_sources:` in the file.
    let merged = format!(
        "{head}        allowed_sources: &s [empty, bogus]\n      y:\n        <<: {{allowed_sources: *s}}\n        production: false\n      z:\n        production: false\n        allowed_sources: [empty]\n"
    );
    std::fs::write(d.join("lanes.yaml"), merged).unwrap();
    let diags = json_check(&["check", d.to_str().unwrap()]).1;
    let places: Vec<(u64, u64)> = diags
        .iter()
        .filter(|x| x["code"] == "E201")
        .map(|x| (x["line"].as_u64().unwrap(), x["column"].as_u64().unwrap()))
        .collect();
    assert_eq!(places, vec![(11, 37), (11, 37)], "{diags:?}");
}

/// The start of an inventory with one product `p` (context `c`) and the
/// action `deploy`; a lane list follows.
const INVENTORY_HEAD: &str = "issues: https://github.com/example/ops/issues/\nactions:\n  deploy: {operation: deploy, destructive: false}\nproducts:\n  p:\n    context: c\n    events: {launch: pending}\n    lanes:\n";

/// `check --format json` of `lanes.yaml` written as given, beside a policy
/// that allows `deploy` on `c/x`: the inventory's findings (E201), as
/// (line, column, message).
fn inventory_findings(lanes: &str) -> Vec<(u64, u64, String)> {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("lanes.yaml"), lanes).unwrap();
    std::fs::write(
        d.join("p.policy"),
        "allow deploy on c/x until launch issue=#1\n",
    )
    .unwrap();
    json_check(&["check", d.to_str().unwrap()])
        .1
        .iter()
        .filter(|x| x["code"] == "E201")
        .map(|x| {
            (
                x["line"].as_u64().unwrap(),
                x["column"].as_u64().unwrap(),
                x["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_shared_domain_is_pointed_at_in_its_list() {
    let check = |domains: &str| {
        inventory_findings(&format!(
            "{INVENTORY_HEAD}      a: {{production: false, domains: [a.example.com, d0.example.com]}}\n      x:\n        production: false\n        domains: {domains}\n"
        ))
    };
    let message = "lane `c/x` has the domain `d0.example.com` of lane `c/a`".to_string();
    // A flow list: the repeated domain, not the `[`.
    let flow = "[x.example.com, D0.example.com]";
    assert_eq!(
        check(flow),
        vec![(12, 18 + flow.find("D0").unwrap() as u64, message.clone())]
    );
    // A block list, after a comment: the item on its own line.
    assert_eq!(
        check("  # the lane's domains\n          - x.example.com\n          - d0.example.com"),
        vec![(14, 13, message)]
    );
}

#[test]
fn a_domain_or_target_is_shared_however_it_is_written() {
    let check = |second: &str| {
        inventory_findings(&format!(
            "{INVENTORY_HEAD}      a: {{production: false, target: t-a, domains: [a.example.com]}}\n      x: {{production: false, {second}}}\n"
        ))
        .into_iter()
        .map(|(_, _, m)| m)
        .collect::<Vec<_>>()
    };
    let shared = ["lane `c/x` has the domain `a.example.com` of lane `c/a`"];
    // Case, scheme, trailing `/` and the root `.` name one host, as
    // Launchplane stores domains and as DNS reads them.
    for written in [
        "A.Example.COM",
        "A.Example.COM.",
        "https://a.example.com/",
        "\"  http://A.example.com./ \"",
    ] {
        assert_eq!(check(&format!("domains: [{written}]")), shared, "{written}");
    }
    // One host whatever follows it: a path, a port, a user, a query.
    for written in [
        "a.example.com/app",
        "'https://me@A.example.com:8443/x?y'",
        "'a.example.com./app'",
        "'a.example.com/.'",
    ] {
        let found = check(&format!("domains: [{written}]"));
        assert_eq!(found.len(), 1, "{written}: {found:?}");
        assert!(
            found[0].starts_with("lane `c/x` has the domain `")
                && found[0].ends_with("` of lane `c/a`"),
            "{written}: {found:?}"
        );
    }
    // As DNS looks them up (IDNA): fullwidth letters, the ideographic full
    // stop, and a name and its punycode are one host.
    for written in ["ａ.example.com", "a.example.com。"] {
        assert_eq!(
            check(&format!("domains: [\"{written}\"]")),
            [format!(
                "lane `c/x` has the domain `{}` of lane `c/a`",
                written.trim_end_matches('.').to_lowercase()
            )],
            "{written}"
        );
    }
    let idn = inventory_findings(&format!(
        "{INVENTORY_HEAD}      a: {{production: false, domains: [bücher.example]}}\n      x: {{production: false, domains: [xn--bcher-kva.example]}}\n"
    ));
    assert_eq!(
        idn.into_iter().map(|(_, _, m)| m).collect::<Vec<_>>(),
        ["lane `c/x` has the domain `xn--bcher-kva.example` of lane `c/a`"]
    );
    assert!(check("domains: [b.example.com, a.example.co]").is_empty());
    // A repeat within one lane is dropped, as Launchplane drops it.
    assert!(check("domains: [x.example.com, X.Example.COM.]").is_empty());
    // A target is compared as it is exported: trimmed.
    assert_eq!(
        check("target: \" t-a \""),
        ["lane `c/x` has the target `t-a` of lane `c/a`"]
    );
    assert!(check("target: T-A").is_empty());
}

#[test]
fn a_wrong_item_in_a_list_is_pointed_at_whole() {
    let lane = |field: &str| {
        inventory_findings(&format!(
            "{INVENTORY_HEAD}      x:\n        production: false\n        {field}\n"
        ))
    };
    let line = "domains: [a.example.com, [\"b],\", c], {c: d}]";
    let item = "[\"b],\", c]";
    assert_eq!(
        lane(line),
        vec![(
            11,
            9 + line.find(item).unwrap() as u64,
            "`domains` has `[\"b],\",\"c\"]`, which is not a domain".to_string()
        )]
    );
    // In a block list, the item on its line; a blank one is not a domain either.
    assert_eq!(
        lane("domains:\n          - a.example.com\n          - {c: d}"),
        vec![(
            13,
            13,
            "`domains` has `{\"c\":\"d\"}`, which is not a domain".to_string()
        )]
    );
    assert_eq!(
        lane("domains: [a.example.com, \" \"]")[0].2,
        "`domains` has a blank string, which is not a domain"
    );
    // A long wrong value is cut.
    let long: Vec<String> = (0..2000).map(|k| format!("d{k}.example.com")).collect();
    let message = &lane(&format!("domains: [[{}]]", long.join(", ")))[0].2;
    assert!(message.chars().count() < 200, "{message}");
    assert!(message.ends_with("…`, which is not a domain"), "{message}");
    // Names no host once normalised, or would be exported as no host.
    for (written, shown) in [
        ("'.'", "`.`"),
        ("/", "`/`"),
        ("'https://'", "`https://`"),
        ("'https:// a.example.com'", "`https:// a.example.com`"),
        (
            "'http://https://a.example.com'",
            "`http://https://a.example.com`",
        ),
        ("'。'", "`。`"),
        ("a.example.com..", "`a.example.com..`"),
        ("'a.example.com。。'", "`a.example.com。。`"),
        ("a..example.com", "`a..example.com`"),
        ("'//a.example.com'", "`//a.example.com`"),
    ] {
        assert_eq!(
            lane(&format!("domains: [a.example.com, {written}]"))[0].2,
            format!("`domains` has {shown}, which is not a domain"),
            "{written}"
        );
    }
    // Past DNS's limits: a label of 64 bytes, a name of 254.
    let label = "a".repeat(64);
    let name = [
        "b".repeat(63),
        "c".repeat(63),
        "d".repeat(63),
        "e".repeat(62),
    ]
    .join(".");
    assert_eq!(name.len(), 254);
    for too_long in [format!("{label}.example.com"), name] {
        assert!(
            lane(&format!("domains: [{too_long}]"))[0]
                .2
                .ends_with(", which is not a domain"),
            "{too_long}"
        );
    }
    let sources = "allowed_sources: [empty, [upstream_restore]]";
    let found = lane(sources);
    assert_eq!(
        (found[0].0, found[0].1),
        (11, 9 + sources.find("[upstream").unwrap() as u64)
    );
}

#[test]
fn a_wrong_values_line_breaks_and_invisible_characters_are_shown_escaped() {
    let lane = |field: &str| {
        inventory_findings(&format!(
            "{INVENTORY_HEAD}      x:\n        production: false\n        {field}\n"
        ))
    };
    let messages = |found: Vec<(u64, u64, String)>| -> Vec<String> {
        found.into_iter().map(|(_, _, m)| m).collect()
    };
    assert_eq!(
        messages(lane("allowed_sources: |\n          empty, x")),
        ["`allowed_sources` must be a list, found `empty, x\\n`"]
    );
    // A line separator and a direction override are escaped too.
    let found = messages(lane("phase: \"pre\\u2028launch\\u202ex\""));
    assert!(
        found[0].contains("`pre\\u{2028}launch\\u{202e}x`"),
        "{found:?}"
    );
    // Within a value that is not text, too.
    let found = messages(lane("allowed_sources: [[\"empty\\u202e\"]]"));
    assert!(found[0].contains("\\u{202e}"), "{found:?}");
    assert!(!found[0].contains('\u{202e}'), "{found:?}");
}

#[test]
fn an_invisible_character_in_a_list_is_pointed_at_in_its_item() {
    let found = inventory_findings(&format!(
        "{INVENTORY_HEAD}      x:\n        production: false\n        domains:\n          - q.com\n          - \"y.com\\u2028evil\"\n      y: {{production: false, domains: [a.com, \"b\\u202ec.com\"]}}\n"
    ));
    let at: Vec<(u64, u64)> = found.iter().map(|(l, c, _)| (*l, *c)).collect();
    assert_eq!(at, [(13, 13), (14, 47)]);
}

#[test]
fn lone_carriage_returns_are_one_finding() {
    let found = inventory_findings(
        "issues: https://github.com/example/ops/issues/\ractions:\r  deploy: {operation: deploy, destructive: false}\rproducts: {}\r",
    );
    assert_eq!(
        found,
        [(
            1,
            47,
            "4 line ends are a lone carriage return (`\\r`): the inventory's line ends are `\\n` or `\\r\\n`".to_string()
        )]
    ); // A first line that is a comment does not make the file read as empty.
    let found = inventory_findings(
        "# the lanes\rissues: https://github.com/example/ops/issues/\rproducts: {}\r",
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0]
            .2
            .starts_with("3 line ends are a lone carriage return"),
        "{found:?}"
    );
}

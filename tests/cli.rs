//! End-to-end tests of the `lanepolicy` binary on the real policies and on
//! small projects under `tests/fixtures/projects/`. They cover issue #573's
//! acceptance criteria: the read models, the bootstrap decisions, retirement,
//! live production, and failing closed.

mod common;
use common::{Run, run_in};
use serde_json::Value;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> Run {
    run_in(&root(), args)
}

/// Builds the bundle of `policies` (a path relative to the repo) into a temp dir.
fn build(policies: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle.json");
    let r = run(&["build", policies, "-o", out.to_str().unwrap()]);
    assert_eq!(r.code, 0, "build {policies}: {}{}", r.stdout, r.stderr);
    (dir, out.to_string_lossy().into_owned())
}

fn decide(bundle: &str, lane: &str, action: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec![
        "decide",
        "--bundle",
        bundle,
        "--lane",
        lane,
        "--action",
        action,
        "--json",
        "--now",
        "2030-01-01T12:00:00Z",
    ];
    args.extend_from_slice(extra);
    let r = run(&args);
    let v: Value =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", r.stdout, r.stderr));
    (r.code, v)
}

fn reason(v: &Value) -> &str {
    v["reasons"][0]["code"].as_str().unwrap_or("")
}

fn lane<'a>(model: &'a Value, key: &str) -> &'a Value {
    model
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["lane"] == key)
        .unwrap_or_else(|| panic!("no lane {key}"))
}

const ISSUE_573: &str = "https://github.com/cbusillo/launchplane/issues/573";

#[test]
fn the_readme_command_checks_the_real_policies_clean() {
    let r = run(&["check"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("0 errors, 0 warnings in 2 files"),
        "{}",
        r.stdout
    );
    let r = run(&["check", "--format", "json", "--deny-warnings"]);
    assert_eq!((r.code, r.stdout.trim()), (0, "[]"));
}

#[test]
fn the_real_bundle_is_deterministic_and_matches_its_snapshot() {
    let (_d1, a) = build("policies");
    let (_d2, b) = build("policies");
    let first = std::fs::read_to_string(&a).unwrap();
    assert_eq!(
        first,
        std::fs::read_to_string(&b).unwrap(),
        "two builds, same bytes"
    );

    // Another checkout at another path gives the same bytes.
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::create_dir(elsewhere.path().join("policies")).unwrap();
    // The project root is the checkout (the directory with `.git`).
    std::fs::create_dir(elsewhere.path().join(".git")).unwrap();
    for f in ["lanes.yaml", "odoo-prelaunch.policy"] {
        std::fs::copy(
            root().join("policies").join(f),
            elsewhere.path().join("policies").join(f),
        )
        .unwrap();
    }
    let r = run_in(elsewhere.path(), &["build", "-o", "b.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        first,
        std::fs::read_to_string(elsewhere.path().join("b.json")).unwrap()
    );

    insta::assert_snapshot!("real_bundle", first);
    // The copy that the library's doc example loads must not go stale.
    let committed = std::fs::read_to_string(root().join("tests/fixtures/bundles/real.json"))
        .unwrap_or_default();
    assert_eq!(
        committed, first,
        "tests/fixtures/bundles/real.json is stale: rebuild it with `lanepolicy build -o tests/fixtures/bundles/real.json`"
    );
}

#[test]
fn cm_and_opw_read_models_are_provisional_prelaunch_grants_backed_by_573() {
    let (_d, b) = build("policies");
    let r = run(&[
        "lanes",
        "--bundle",
        &b,
        "--json",
        "--now",
        "2030-01-01T00:00:00Z",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let model: Value = serde_json::from_str(&r.stdout).unwrap();
    for (key, action, phrase) in [
        ("cm/testing", "empty_bootstrap", "bootstrap cm testing"),
        ("cm/prod", "empty_bootstrap", "bootstrap cm prod"),
        (
            "opw/testing",
            "upstream_restore",
            "restore opw testing from upstream",
        ),
        (
            "opw/prod",
            "upstream_restore",
            "restore opw prod from upstream",
        ),
    ] {
        let l = lane(&model, key);
        assert_eq!(l["phase"], "prelaunch", "{key}");
        assert_eq!(l["provisional"], true, "{key}");
        let grants = l["grants"].as_array().unwrap();
        assert_eq!(grants.len(), 1, "{key}: {grants:?}");
        assert_eq!(grants[0]["action"], action);
        assert_eq!(grants[0]["issue"]["ref"], "#573");
        assert_eq!(grants[0]["issue"]["url"], ISSUE_573);
        assert_eq!(grants[0]["confirm"], phrase, "each lane has its own phrase");
    }
    // The live lane and the lane no rule mentions have nothing.
    for key in ["hq/prod", "hq/staging"] {
        let l = lane(&model, key);
        assert_eq!(l["provisional"], false);
        assert!(l["grants"].as_array().unwrap().is_empty());
    }
    assert_eq!(lane(&model, "hq/prod")["protected"], true);

    // Human form names the issue as the approval signal.
    let r = run(&["lanes", "--bundle", &b]);
    assert!(
        r.stdout.contains(
            "cm/testing (odoo-tenant-cm): not production, prelaunch, data resettable, provisional"
        ),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains(&format!(
        "may empty_bootstrap on the authority of #573 ({ISSUE_573}) until launch"
    )));
}

#[test]
fn cm_testing_bootstrap_is_allowed_only_with_the_policy_and_the_right_phrase() {
    let (_d, b) = build("policies");
    let (code, v) = decide(
        &b,
        "cm/testing",
        "empty_bootstrap",
        &["--confirm", "bootstrap cm testing"],
    );
    assert_eq!((code, v["decision"].as_str()), (0, Some("allow")), "{v}");
    assert_eq!(v["issue"]["url"], ISSUE_573);
    assert_eq!(v["until"], serde_json::json!(["launch"]));
    assert_eq!(
        v["rule"]["source"]["path"],
        "policies/odoo-prelaunch.policy"
    );
    assert!(v["bundle"].as_str().unwrap().starts_with("sha256:"));

    // Launchplane compares phrases trimmed and lower-cased.
    let (code, _) = decide(
        &b,
        "cm/testing",
        "empty_bootstrap",
        &["--confirm", "  Bootstrap CM Testing "],
    );
    assert_eq!(code, 0);

    let (code, v) = decide(
        &b,
        "cm/testing",
        "empty_bootstrap",
        &["--confirm", "bootstrap cm prod"],
    );
    assert_eq!((code, reason(&v)), (1, "confirmation-mismatch"));
    assert_eq!(v["decision"], "deny");

    let (code, v) = decide(&b, "cm/testing", "empty_bootstrap", &[]);
    assert_eq!((code, reason(&v)), (1, "confirmation-required"));

    // The policy removed: the same request has no rule.
    let (_d2, without) = build("tests/fixtures/projects/opw-only");
    let (code, v) = decide(
        &without,
        "cm/testing",
        "empty_bootstrap",
        &["--confirm", "bootstrap cm testing"],
    );
    assert_eq!((code, reason(&v)), (1, "no-matching-rule"));
    assert_eq!(v["rule"], Value::Null);
}

#[test]
fn the_cm_grant_retires_when_cm_launches() {
    let (_d, b) = build("policies");
    let launched = [
        "--confirm",
        "bootstrap cm testing",
        "--occurred",
        "odoo-tenant-cm:launch",
    ];
    let (code, v) = decide(&b, "cm/testing", "empty_bootstrap", &launched);
    assert_eq!((code, reason(&v)), (1, "rule-retired"));
    assert_eq!(
        v["issue"]["ref"], "#573",
        "the deny names the retired rule's issue"
    );
    assert!(
        v["reasons"][0]["message"]
            .as_str()
            .unwrap()
            .contains("`launch` of `odoo-tenant-cm` has occurred")
    );

    // OPW is unaffected by CM's launch, and retires at its own cutover.
    let (code, _) = decide(
        &b,
        "opw/testing",
        "upstream_restore",
        &[
            "--confirm",
            "restore opw testing from upstream",
            "--occurred",
            "odoo-tenant-cm:launch",
        ],
    );
    assert_eq!(code, 0);
    let (code, v) = decide(
        &b,
        "opw/prod",
        "upstream_restore",
        &[
            "--confirm",
            "restore opw prod from upstream",
            "--occurred",
            "odoo-tenant-opw:cutover",
        ],
    );
    assert_eq!((code, reason(&v)), (1, "rule-retired"));

    let r = run(&[
        "lanes",
        "--bundle",
        &b,
        "--json",
        "--occurred",
        "odoo-tenant-cm:launch",
    ]);
    let model: Value = serde_json::from_str(&r.stdout).unwrap();
    let cm = lane(&model, "cm/testing");
    assert_eq!(cm["provisional"], false);
    assert!(cm["grants"].as_array().unwrap().is_empty());
    assert_eq!(cm["retired"][0]["action"], "empty_bootstrap");
}

#[test]
fn live_production_rejects_destructive_actions_without_proof() {
    // At compile time: L003.
    let r = run(&[
        "check",
        "tests/fixtures/projects/live-prod-unsafe",
        "--format",
        "json",
        "--today",
        "2026-11-29",
    ]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let diags: Vec<Value> = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(
        (diags[0]["code"].as_str(), diags[0]["line"].as_u64()),
        (Some("L003"), Some(2))
    );

    // At run time: a rule that requires backup proof, asked without it.
    let (_d, b) = build("tests/fixtures/projects/live-prod");
    let phrase = ["--confirm", "restore hq/prod from backup"];
    let (code, v) = decide(&b, "hq/prod", "backup_restore", &phrase);
    assert_eq!((code, reason(&v)), (1, "proof-required"));
    // hq/prod's data is authoritative: restore proof is needed too.
    let codes: Vec<&str> = v["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["message"].as_str().unwrap())
        .collect();
    assert!(
        codes.iter().any(|m| m.contains("backup_proof"))
            && codes.iter().any(|m| m.contains("restore_proof")),
        "{codes:?}"
    );
    let mut both = phrase.to_vec();
    both.extend([
        "--proof",
        "backup_proof=bg-1",
        "--proof",
        "restore_proof=rv-1",
    ]);
    let (code, v) = decide(&b, "hq/prod", "backup_restore", &both);
    assert_eq!(code, 0, "{v}");

    // And a prelaunch production lane that goes live needs proof at once,
    // even before the bundle is rebuilt.
    let (_d, real) = build("policies");
    let (code, v) = decide(
        &real,
        "cm/prod",
        "empty_bootstrap",
        &["--confirm", "bootstrap cm prod", "--phase", "cm/prod=live"],
    );
    assert_eq!((code, reason(&v)), (1, "proof-required"));
    let (code, _) = decide(
        &real,
        "cm/prod",
        "empty_bootstrap",
        &["--confirm", "bootstrap cm prod"],
    );
    assert_eq!(code, 0);
}

#[test]
fn an_allow_without_issue_or_until_is_an_error() {
    for (file, code) in [("missing_issue", "L001"), ("no_retirement", "L002")] {
        let path = format!("tests/fixtures/check/{file}.policy");
        let r = run(&["check", &path, "--format", "json"]);
        assert_eq!(r.code, 1, "{file}");
        let diags: Vec<Value> = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(diags[0]["code"], code);
        assert_eq!(diags[0]["severity"], "error");
        assert_eq!(
            (diags[0]["line"].as_u64(), diags[0]["column"].as_u64()),
            (Some(1), Some(1))
        );
        // build writes nothing
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("b.json");
        let r = run(&["build", &path, "-o", out.to_str().unwrap()]);
        assert_eq!(r.code, 1);
        assert!(!out.exists(), "no bundle on errors");
    }
}

#[test]
fn unmarked_and_unknown_lanes_are_refused() {
    let (_d, b) = build("policies");
    let (code, v) = decide(&b, "hq/staging", "deploy", &[]);
    assert_eq!((code, reason(&v)), (1, "no-matching-rule"));
    let (code, v) = decide(
        &b,
        "nope/prod",
        "empty_bootstrap",
        &["--confirm", "bootstrap nope prod"],
    );
    assert_eq!((code, reason(&v)), (1, "unknown-lane"));
    let (code, v) = decide(&b, "cm/testing", "nuke", &[]);
    assert_eq!((code, reason(&v)), (1, "unknown-action"));
    // A different action on a granted lane is not granted.
    let (code, v) = decide(
        &b,
        "cm/testing",
        "upstream_restore",
        &["--confirm", "bootstrap cm testing"],
    );
    assert_eq!((code, reason(&v)), (1, "no-matching-rule"));
}

#[test]
fn a_tampered_or_foreign_bundle_is_refused_and_the_decision_is_deny() {
    let (d, b) = build("policies");
    let text = std::fs::read_to_string(&b).unwrap();
    let cases = [
        (
            "tampered",
            text.replace("\"phase\": \"live\"", "\"phase\": \"prelaunch\""),
            "digest mismatch",
        ),
        (
            "version",
            text.replace("\"version\": 1", "\"version\": 2"),
            "version 2 is not supported",
        ),
        (
            "format",
            text.replace("lanepolicy-bundle", "other"),
            "not a lanepolicy bundle",
        ),
        (
            "truncated",
            text[..text.len() / 2].to_string(),
            "not valid JSON at line",
        ),
        ("empty", String::new(), "not valid JSON"),
    ];
    for (name, content, message) in cases {
        assert_ne!(content, text, "{name} changes the bundle");
        let path = d.path().join(format!("{name}.json"));
        std::fs::write(&path, content).unwrap();
        let p = path.to_str().unwrap();
        let r = run(&[
            "decide",
            "--bundle",
            p,
            "--lane",
            "cm/testing",
            "--action",
            "empty_bootstrap",
            "--confirm",
            "bootstrap cm testing",
            "--json",
        ]);
        assert_eq!(r.code, 2, "{name}");
        assert!(r.stderr.contains(message), "{name}: {}", r.stderr);
        assert!(r.stderr.contains("the decision is deny"), "{name}");
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(
            (v["decision"].as_str(), reason(&v)),
            (Some("deny"), "bundle-invalid"),
            "{name}"
        );
        let r = run(&["lanes", "--bundle", p]);
        assert_eq!((r.code, r.stdout.as_str()), (2, ""), "{name}");
    }
    let r = run(&[
        "decide",
        "--bundle",
        "no/such/bundle.json",
        "--lane",
        "cm/testing",
        "--action",
        "deploy",
    ]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cannot read bundle"), "{}", r.stderr);
}

#[test]
fn usage_errors_exit_2() {
    let (_d, b) = build("policies");
    for args in [
        vec!["check", "--no-such-flag"],
        vec!["frobnicate"],
        vec!["decide", "--bundle", &b, "--lane", "cm/testing"],
        vec![
            "decide",
            "--bundle",
            &b,
            "--lane",
            "cm/testing",
            "--action",
            "deploy",
            "--now",
            "yesterday",
        ],
        vec![
            "decide",
            "--bundle",
            &b,
            "--lane",
            "cm/testing",
            "--action",
            "deploy",
            "--phase",
            "cm/testing=golive",
        ],
        vec![
            "decide",
            "--bundle",
            &b,
            "--lane",
            "cm/testing",
            "--action",
            "deploy",
            "--occurred",
            "odoo-tenant-cm:lanch",
        ],
        vec![
            "decide",
            "--bundle",
            &b,
            "--lane",
            "cm/testing",
            "--action",
            "deploy",
            "--proof",
            "backup_proof",
        ],
        vec!["lanes", "--bundle", &b, "--phase", "zz/top=live"],
        vec!["check", "no/such/dir"],
        vec![
            "check",
            "tests/fixtures/check",
            "--inventory",
            "no/such/lanes.yaml",
        ],
        vec!["check", "--today", "2026-02-30"],
    ] {
        let r = run(&args);
        assert_eq!(r.code, 2, "{args:?}: {}{}", r.stdout, r.stderr);
        assert!(!r.stderr.trim().is_empty(), "{args:?} says why");
    }
    assert!(run(&["--help"]).code == 0);
}

#[test]
fn warnings_fail_only_with_deny_warnings() {
    let args = [
        "check",
        "tests/fixtures/inventory/ok.policy",
        "--inventory",
        "tests/fixtures/inventory/name_suggests_production.yaml",
    ];
    let r = run(&args);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("L006"), "{}", r.stdout);
    assert!(
        r.stdout.contains("0 errors, 1 warning in 2 files"),
        "{}",
        r.stdout
    );
    let mut strict = args.to_vec();
    strict.push("--deny-warnings");
    assert_eq!(run(&strict).code, 1);
    let mut gh = args.to_vec();
    gh.extend(["--format", "github"]);
    let r = run(&gh);
    assert!(
        r.stdout.starts_with(
            "::warning file=tests/fixtures/inventory/name_suggests_production.yaml,line=10,col=7,"
        ),
        "{}",
        r.stdout
    );
}

#[test]
fn a_failed_build_leaves_an_existing_bundle_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b.json");
    std::fs::write(&out, "previous").unwrap();
    let r = run(&[
        "build",
        "tests/fixtures/check/syntax_errors.policy",
        "--inventory",
        "tests/fixtures/check/lanes.yaml",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left behind"
    );
}

/// A dozen broken inputs: each gets exit 1 or 2 and a message, never a panic.
#[test]
fn broken_inputs_get_a_message_and_exit_1_or_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::copy(root().join("policies/lanes.yaml"), d.join("lanes.yaml")).unwrap();
    let big = "allow deploy on cm/testing until launch issue=#1\n".repeat(200_000);
    let big_len = big.len();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("nul.policy", b"allow deploy\0 on cm/testing".to_vec()),
        (
            "latin1.policy",
            b"// caf\xe9\nallow deploy on cm/testing until launch issue=#1".to_vec(),
        ),
        (
            "bom-crlf.policy",
            b"\xEF\xBB\xBFallow deploy on cm/testing\r\n  until launch\r\n  issue=\r\n".to_vec(),
        ),
        ("only-junk.policy", b"}}}{{{ \" unterminated".to_vec()),
        (
            "keyword-names.policy",
            b"allow allow on on/on until until issue=#0".to_vec(),
        ),
        (
            "deep.policy",
            "allow deploy on "
                .bytes()
                .chain(std::iter::repeat_n(b'c', 100_000))
                .collect(),
        ),
        (
            "emoji.policy",
            "allow dé𝔭loy on cm/testing until 🚀 issue=#1"
                .as_bytes()
                .to_vec(),
        ),
        (
            "huge-number.policy",
            b"allow deploy on cm/testing until launch issue=#99999999999999999999999".to_vec(),
        ),
        (
            "comma-soup.policy",
            b"allow ,,, on ,/, until , issue=, confirm=,".to_vec(),
        ),
    ];
    // A file over the input limit (here lowered below its 9.6 MB) is exit 2.
    std::fs::create_dir(d.join("big")).unwrap();
    std::fs::write(d.join("big/big.policy"), big).unwrap();
    let r = run_in(
        d,
        &[
            "check",
            "big",
            "--inventory",
            "lanes.yaml",
            "--max-input-bytes",
            &(big_len - 1).to_string(),
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("big.policy"), "{}", r.stderr);
    // The refusal says how to raise the limit.
    assert!(r.stderr.contains("`--max-input-bytes`"), "{}", r.stderr);
    for (name, bytes) in &cases {
        let sub = d.join(name.trim_end_matches(".policy"));
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(sub.join(name), bytes).unwrap();
        let r = run_in(
            d,
            &[
                "check",
                sub.to_str().unwrap(),
                "--inventory",
                "lanes.yaml",
                "--format",
                "json",
            ],
        );
        assert!(r.code == 1 || r.code == 2, "{name}: exit {}", r.code);
        if r.code == 1 {
            let diags: Vec<Value> =
                serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!diags.is_empty(), "{name}");
            assert!(
                diags
                    .iter()
                    .all(|x| x["line"].as_u64() >= Some(1) && x["column"].as_u64() >= Some(1)),
                "{name}"
            );
        } else {
            assert!(!r.stderr.is_empty(), "{name}");
        }
    }
    // Broken inventories, with a good policy.
    let inventories: Vec<(&str, &[u8])> = vec![
        ("binary.yaml", b"\x00\x01\x02\xff"),
        ("alias-bomb.yaml", b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"),
        ("tabs.yaml", b"issues:\t\n\tactions: {}"),
        ("deep.yaml", &[b'['; 10_000]),
    ];
    std::fs::write(
        d.join("good.policy"),
        "allow deploy on cm/testing until launch issue=#1\n",
    )
    .unwrap();
    for (name, bytes) in inventories {
        std::fs::write(d.join(name), bytes).unwrap();
        let r = run_in(
            d,
            &[
                "check",
                "good.policy",
                "--inventory",
                name,
                "--format",
                "json",
            ],
        );
        assert_eq!(r.code, 1, "{name}: {}{}", r.stdout, r.stderr);
        let diags: Vec<Value> = serde_json::from_str(&r.stdout).unwrap();
        assert!(
            diags.iter().any(|x| x["code"] == "E201"),
            "{name}: {diags:?}"
        );
    }
}

/// The bundle limit is the runtime's and `build`'s alike, and configurable:
/// a bundle over `--max-bundle-bytes` is refused before it is parsed (deny,
/// exit 2, the limit and the flag named), `build` writes nothing it could
/// not load, and a raised limit reads and writes it.
#[test]
fn the_bundle_limit_is_configurable_for_reading_and_writing() {
    let (d, b) = build("policies");
    let size = std::fs::metadata(&b).unwrap().len();
    let below = (size - 1).to_string();
    let exact = size.to_string();
    let args = |limit: &str| {
        vec![
            "decide",
            "--bundle",
            b.as_str(),
            "--lane",
            "cm/testing",
            "--action",
            "empty_bootstrap",
            "--confirm",
            "bootstrap cm testing",
            "--now",
            "2030-01-01T12:00:00Z",
            "--json",
            "--max-bundle-bytes",
        ]
        .into_iter()
        .chain([limit])
        .map(str::to_string)
        .collect::<Vec<_>>()
    };
    let refused = run(&args(&below).iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains(&format!("over the limit of {below} bytes"))
            && refused.stderr.contains("--max-bundle-bytes"),
        "{}",
        refused.stderr
    );
    let v: Value = serde_json::from_str(&refused.stdout).unwrap();
    assert_eq!(
        (v["decision"].as_str(), reason(&v)),
        (Some("deny"), "bundle-invalid")
    );
    let allowed = run(&args(&exact).iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(allowed.code, 0, "{}{}", allowed.stdout, allowed.stderr);
    // The flag is global: it reads the same after the subcommand or before.
    let r = run(&["--max-bundle-bytes", &below, "lanes", "--bundle", &b]);
    assert_eq!((r.code, r.stdout.as_str()), (2, ""), "{}", r.stderr);
    for bad in ["0", "-1", "lots"] {
        let flag = format!("--max-bundle-bytes={bad}");
        let r = run(&["lanes", "--bundle", &b, &flag]);
        assert_eq!((r.code, r.stdout.as_str()), (2, ""), "{bad}");
        assert!(
            r.stderr.contains("--max-bundle-bytes"),
            "{bad}: {}",
            r.stderr
        );
    }

    // `build` writes no bundle its runtime would refuse.
    let out = d.path().join("small.json");
    let out_s = out.to_str().unwrap();
    let r = run(&[
        "build",
        "policies",
        "-o",
        out_s,
        "--max-bundle-bytes",
        &below,
    ]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains(&format!("over the {below} bytes the runtime loads")),
        "{}",
        r.stderr
    );
    assert!(!out.exists(), "nothing is written");
    let r = run(&[
        "build",
        "policies",
        "-o",
        out_s,
        "--max-bundle-bytes",
        &exact,
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&b).unwrap());
}

/// The largest `--max-input-bytes` is no limit at all, not a limit of 0
/// bytes (reading one byte more than the limit wrapped around to reading
/// none: `the inventory is empty`).
#[test]
fn the_largest_input_limit_reads_every_file() {
    let r = run(&[
        "check",
        "policies",
        "--max-input-bytes",
        &u64::MAX.to_string(),
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("0 errors, 0 warnings"), "{}", r.stdout);
}

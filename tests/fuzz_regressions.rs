//! Replays what the fuzz targets (`fuzz/`, see `docs/fuzzing.md`) found,
//! on stable, through the same code: `fuzz/src/lib.rs` is compiled into
//! this test. Every file under `tests/fixtures/fuzz/<target>/` goes through
//! that target's function, which panics when a property fails (a panic in
//! the library, an allow that should not be, a diagnostic outside its file,
//! a formatter that changes meaning); the class of each outcome (which
//! error, or what loaded) is an insta snapshot per target, so a change of
//! class is reviewed.
//!
//! `bundle_structured` findings are stored as the sealed bundle the target
//! made (`LANEPOLICY_FUZZ_DUMP`), and replayed through `bundle_bytes`.

#[allow(dead_code)]
#[path = "../fuzz/src/lib.rs"]
mod harness;

use std::path::{Path, PathBuf};

/// A target's function: one input in, the class of its outcome out.
type Run = fn(&[u8]) -> String;

/// The fuzz targets whose findings are replayed, each with its function.
const TARGETS: &[(&str, Run)] = &[
    ("policy_bytes", harness::policy_bytes),
    ("policy_utf8", |b| text(b, harness::policy_utf8)),
    ("inventory", |b| text(b, harness::inventory)),
    ("config", |b| text(b, harness::config)),
    ("test_file", |b| text(b, harness::test_file)),
    ("bundle_bytes", harness::bundle_bytes),
    ("bundle_structured", harness::bundle_bytes),
    ("fmt", |b| text(b, harness::fmt)),
];

/// The UTF-8 targets skip other input, as the fuzz targets do.
fn text(bytes: &[u8], run: fn(&str) -> String) -> String {
    match std::str::from_utf8(bytes) {
        Ok(t) => run(t),
        Err(_) => "not UTF-8: skipped".into(),
    }
}

fn findings_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.expect("a directory entry").path())
            .filter(|p| p.is_file())
            .collect(),
        Err(_) => Vec::new(),
    };
    out.sort();
    out
}

/// `file: class` for every finding of `target`.
fn replay(target: &str, run: Run) -> String {
    let mut out = String::new();
    for path in files(&findings_dir().join(target)) {
        let bytes = std::fs::read(&path).expect("a finding reads");
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        out.push_str(&format!("{name}: {}\n", run(&bytes)));
    }
    out
}

#[test]
fn every_finding_directory_is_a_target() {
    for entry in std::fs::read_dir(findings_dir()).expect("tests/fixtures/fuzz") {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            assert!(
                TARGETS.iter().any(|(t, _)| *t == name),
                "tests/fixtures/fuzz/{name} is not a fuzz target: its files would not be replayed"
            );
        }
    }
}

macro_rules! replays {
    ($($name:ident => $target:literal,)*) => {$(
        #[test]
        fn $name() {
            let (_, run) = TARGETS.iter().find(|(t, _)| *t == $target).expect("a target");
            insta::assert_snapshot!(replay($target, *run));
        }
    )*};
}

replays! {
    findings_of_policy_bytes => "policy_bytes",
    findings_of_policy_utf8 => "policy_utf8",
    findings_of_inventory => "inventory",
    findings_of_config => "config",
    findings_of_test_file => "test_file",
    findings_of_bundle_bytes => "bundle_bytes",
    findings_of_bundle_structured => "bundle_structured",
    findings_of_fmt => "fmt",
}

/// The harness itself on the repository's own files: they pass every
/// property, and land in the class they should.
#[test]
fn the_repository_passes_the_harness() {
    assert_eq!(
        harness::policy_utf8(harness::POLICY),
        "built, 2 rules; codes []"
    );
    assert_eq!(
        harness::policy_bytes(harness::POLICY.as_bytes()),
        "built, 2 rules; codes []"
    );
    assert_eq!(
        harness::policy_bytes(b"allow x on \xff"),
        "not built; codes [\"E001\"]"
    );
    assert_eq!(
        harness::inventory(harness::INVENTORY),
        "loaded, 6 lanes; policy built; codes []"
    );
    assert_eq!(
        harness::bundle_bytes(harness::REAL_BUNDLE),
        "loaded, 6 lanes, 2 rules"
    );
    let tests = include_str!("../policies/odoo-prelaunch.test.yaml");
    assert!(
        harness::test_file(tests).starts_with("read, "),
        "{}",
        harness::test_file(tests)
    );
    assert_eq!(
        harness::fmt(harness::POLICY),
        "formatted, 2 rules, unchanged"
    );
    assert_eq!(harness::config(""), "loaded; 0 checks off; codes []");
}

/// A bundle changed and re-sealed with the crate's own digest reaches the
/// loader's deeper checks, and a bundle whose grant is flipped to a deny
/// loads and still holds.
#[test]
fn resealed_bundles_reach_the_deeper_checks() {
    let mut v: serde_json::Value = serde_json::from_slice(harness::REAL_BUNDLE).unwrap();
    v["rules"][0]["lanes"] = serde_json::json!(["no/such-lane"]);
    assert_eq!(
        harness::bundle_bytes(&harness::reseal(v)),
        "refused: Invalid"
    );

    let mut v: serde_json::Value = serde_json::from_slice(harness::REAL_BUNDLE).unwrap();
    v["rules"][0]["effect"] = serde_json::json!("deny");
    assert_eq!(
        harness::bundle_bytes(&harness::reseal(v.clone())),
        "loaded, 6 lanes, 2 rules"
    );
    // Unsealed, the same change is a digest mismatch.
    let text = serde_json::to_vec(&v).unwrap();
    assert_eq!(harness::bundle_bytes(&text), "refused: Digest");
}

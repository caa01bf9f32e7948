//! The committed bundle fixtures of the runtime tests are exactly what
//! `lanepolicy build` writes today (the real bundle has its own check in
//! `tests/cli.rs`). When a fixture project or the bundle format changes,
//! rebuild them with the command in the failure message and review the diff.

use assert_cmd::Command;
use std::path::Path;

/// (fixture, policy paths given to `build`).
const FIXTURES: &[(&str, &[&str])] = &[
    // The real policies without the OPW rule.
    (
        "tests/fixtures/bundles/cm-only.json",
        &["tests/fixtures/projects/cm-only"],
    ),
    // Every part of the bundle: dates, proofs, denies, issue references of
    // every kind, a suppression, and the OPW rule moved to its own file.
    (
        "tests/fixtures/bundles/wide.json",
        &["tests/fixtures/projects/wide"],
    ),
];

#[test]
fn committed_bundle_fixtures_match_a_fresh_build() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (fixture, paths) in FIXTURES {
        let out = tempfile::tempdir().unwrap();
        let fresh = out.path().join("bundle.json");
        Command::cargo_bin("lanepolicy")
            .unwrap()
            .current_dir(root)
            .arg("build")
            .args(*paths)
            .arg("-o")
            .arg(&fresh)
            .assert()
            .success();
        let committed = std::fs::read_to_string(root.join(fixture)).unwrap();
        let fresh = std::fs::read_to_string(&fresh).unwrap();
        assert!(
            committed == fresh,
            "{fixture} is stale: run `cargo run -- build {} -o {fixture}` and review the diff",
            paths.join(" ")
        );
    }
}

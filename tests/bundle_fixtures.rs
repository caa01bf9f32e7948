//! The committed bundle fixtures are exactly what `lanepolicy build` writes
//! today. When a policy, the inventory or the bundle format changes, rebuild
//! them with the command in the failure message and review the diff.

use assert_cmd::Command;
use std::path::Path;

/// (fixture, policy paths given to `build`).
const FIXTURES: &[(&str, &[&str])] = &[("tests/fixtures/bundles/real.json", &["policies"])];

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

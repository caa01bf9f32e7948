//! Data-driven diagnostics tests: every `tests/fixtures/check/*.policy` is
//! checked against `tests/fixtures/check/lanes.yaml`, and every
//! `tests/fixtures/inventory/*.yaml` is used as the inventory of
//! `tests/fixtures/inventory/ok.policy`. Each output is an insta snapshot
//! that reads on its own: the source, then what lanepolicy says about it.
//! Add a test by dropping in a file.

use lanepolicy::project::{self, Options};
use lanepolicy::render;
use std::path::{Path, PathBuf};

fn today() -> jiff::civil::Date {
    jiff::civil::date(2026, 11, 29)
}

fn render(policy: &Path, inventory: &Path) -> (String, String) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let opts = Options {
        paths: vec![policy.to_path_buf()],
        inventory: Some(inventory.to_path_buf()),
        root,
        today: today(),
        config: None,
        issues: None,
        build: true,
        max_input_bytes: lanepolicy::project::MAX_SOURCE_BYTES,
        overlay: Default::default(),
    };
    let outcome = project::compile(&opts).expect("fixture files are readable");
    let human = render::render_human(&outcome.diagnostics, &outcome.sources, false);
    let json = render::render_json(&outcome.diagnostics, &outcome.sources);
    (human, json)
}

fn files(dir: &str, ext: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixture directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    out.sort();
    out
}

fn snapshot_name(path: &Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

#[test]
fn check_fixtures_match_their_snapshots() {
    let dir = "tests/fixtures/check";
    let inventory = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(dir)
        .join("lanes.yaml");
    let fixtures = files(dir, "policy");
    assert!(fixtures.len() >= 8, "fixtures are found");
    for policy in fixtures {
        let source = std::fs::read_to_string(&policy).unwrap();
        let (human, json) = render(&policy, &inventory);
        let name = snapshot_name(&policy);
        insta::with_settings!({ snapshot_path => "snapshots/check", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(name.clone(), format!("{source}\n----- diagnostics -----\n{human}"));
            insta::assert_snapshot!(format!("{name}.json"), json);
        });
    }
}

#[test]
fn inventory_fixtures_match_their_snapshots() {
    let dir = "tests/fixtures/inventory";
    let policy = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(dir)
        .join("ok.policy");
    let fixtures = files(dir, "yaml");
    assert!(fixtures.len() >= 10, "fixtures are found");
    for inventory in fixtures {
        let source = std::fs::read_to_string(&inventory).unwrap();
        let (human, _) = render(&policy, &inventory);
        let name = snapshot_name(&inventory);
        insta::with_settings!({ snapshot_path => "snapshots/inventory", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(name, format!("{source}\n----- diagnostics -----\n{human}"));
        });
    }
}

#[test]
fn the_clean_fixture_has_no_diagnostics_and_every_other_one_has_some() {
    let dir = "tests/fixtures/check";
    let inventory = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(dir)
        .join("lanes.yaml");
    for policy in files(dir, "policy") {
        let (_, json) = render(&policy, &inventory);
        let diags: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
        if snapshot_name(&policy) == "clean" {
            assert!(diags.is_empty(), "clean.policy: {json}");
        } else {
            assert!(!diags.is_empty(), "{} reports nothing", policy.display());
        }
    }
}

//! The pure compile core: `project::compile_inputs` on texts held in memory
//! gives what `project::compile` gives on the same files read from disk,
//! and opens no file.

use lanepolicy::bundle;
use lanepolicy::project::{self, Inputs, Options};
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn today() -> jiff::civil::Date {
    jiff::civil::date(2026, 12, 1)
}

#[test]
fn texts_in_memory_build_the_bundle_the_files_build() {
    let root = root();
    let from_disk = project::compile(&Options::new(
        vec![root.join("policies")],
        root.clone(),
        today(),
    ))
    .unwrap();
    let inventory = std::fs::read_to_string(root.join("policies/lanes.yaml")).unwrap();
    let policy = std::fs::read_to_string(root.join("policies/odoo-prelaunch.policy")).unwrap();
    let inputs = Inputs::from_texts(
        ("policies/lanes.yaml", &inventory),
        &[("policies/odoo-prelaunch.policy", &policy)],
        None,
        today(),
    );
    let in_memory = project::compile_inputs(&inputs).unwrap();
    assert!(!in_memory.has_errors());
    let (a, b) = (from_disk.bundle.unwrap(), in_memory.bundle.unwrap());
    assert_eq!(bundle::to_text(&a).unwrap(), bundle::to_text(&b).unwrap());
    // The same inputs compile to the same bytes again.
    let again = project::compile_inputs(&inputs).unwrap().bundle.unwrap();
    assert_eq!(
        bundle::to_text(&b).unwrap(),
        bundle::to_text(&again).unwrap()
    );
}

#[test]
fn texts_that_name_no_file_on_disk_are_compiled_with_their_diagnostics() {
    // Neither path exists: nothing is read from disk.
    let inventory = std::fs::read_to_string(root().join("policies/lanes.yaml")).unwrap();
    let inputs = Inputs::from_texts(
        ("nowhere/lanes.yaml", &inventory),
        &[(
            "nowhere/draft.policy",
            "allow empty_bootstrap on cm/tesitng until launch issue=#573\n",
        )],
        Some((
            "nowhere/lanepolicy.yaml",
            "checks: {missing-confirmation: warning}\n",
        )),
        today(),
    );
    let out = project::compile_inputs(&inputs).unwrap();
    assert!(out.has_errors());
    assert!(out.bundle.is_none());
    let first = out
        .diagnostics
        .iter()
        .find(|d| d.check().code == "E102")
        .expect("the unknown lane");
    assert_eq!(out.sources.get(first.file).path, "nowhere/draft.policy");
    assert!(first.message.contains("cm/tesitng"), "{}", first.message);
    // The configuration was read from its text: L004 is a warning there.
    let l004 = out
        .diagnostics
        .iter()
        .find(|d| d.check().code == "L004")
        .expect("no phrase on a rebuild");
    assert_eq!(l004.severity, lanepolicy::checks::Severity::Warning);
}

/// A long template over a wide pattern is refused before any phrase is
/// written: one E109 for the rule, and no lane given a phrase, so the
/// work is the lanes' count, not lanes x template length.
#[test]
fn a_long_confirmation_over_many_lanes_is_one_error_and_no_phrase() {
    let mut inventory = String::from(
        "issues: https://github.com/example/ops/issues/\nactions:\n  deploy: {operation: deploy, destructive: false}\nproducts:\n",
    );
    for p in 0..500 {
        inventory.push_str(&format!(
            "  p{p}:\n    context: c{p}\n    events: {{launch: pending}}\n    lanes:\n      a: {{production: false}}\n      b: {{production: false}}\n"
        ));
    }
    let template = "{lane}".repeat(4000);
    let policy =
        format!("allow deploy on */* until launch issue=#1 confirm=\"deploy {template}\"\n");
    let inputs = Inputs::from_texts(
        ("lanes.yaml", &inventory),
        &[("wide.policy", &policy)],
        None,
        today(),
    );
    let out = project::compile_inputs(&inputs).unwrap();
    let e109: Vec<_> = out
        .diagnostics
        .iter()
        .filter(|d| d.code.check().code == "E109")
        .collect();
    assert_eq!(e109.len(), 1, "{:?}", out.diagnostics);
    assert!(
        e109[0].message.contains("over the limit of 200"),
        "{}",
        e109[0].message
    );
    assert_eq!(out.program.rules.len(), 1);
    assert_eq!(out.program.rules[0].lanes.len(), 1000);
    assert!(out.program.rules[0].phrases.is_empty());
    assert!(out.bundle.is_none());
}

/// A grant whose phrase template is refused (here E109) is not compared by
/// competing-grants (L017): it has no phrase, and L017 would show it empty.
/// Two grants with phrases that are both written are compared.
#[test]
fn competing_grants_skip_a_grant_whose_phrase_was_refused() {
    let inventory = std::fs::read_to_string(root().join("policies/lanes.yaml")).unwrap();
    let compile = |second: &str| {
        let policy = format!(
            "allow empty_bootstrap on cm/testing until launch issue=#573 confirm=\"a {{lane}}\"\nallow empty_bootstrap on cm/testing until launch issue=#573 confirm=\"{second}\"\n"
        );
        let inputs = Inputs::from_texts(
            ("policies/lanes.yaml", &inventory),
            &[("policies/two.policy", &policy)],
            None,
            today(),
        );
        let codes: Vec<&str> = project::compile_inputs(&inputs)
            .unwrap()
            .diagnostics
            .iter()
            .map(|d| d.code.check().code)
            .collect();
        codes
    };
    let refused = compile(&"{lane}".repeat(40));
    assert!(refused.contains(&"E109"), "{refused:?}");
    assert!(!refused.contains(&"L017"), "{refused:?}");
    let written = compile("b {lane}");
    assert!(written.contains(&"L017"), "{written:?}");
}

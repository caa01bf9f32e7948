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
    let template = "{lane}".repeat(4000);
    let policy =
        format!("allow deploy on */* until launch issue=#1 confirm=\"deploy {template}\"\n");
    let out = compile_fleet(&policy, None);
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
        codes(&project::compile_inputs(&inputs).unwrap())
    };
    let refused = compile(&"{lane}".repeat(40));
    assert!(refused.contains(&"E109"), "{refused:?}");
    assert!(!refused.contains(&"L017"), "{refused:?}");
    let written = compile("b {lane}");
    assert!(written.contains(&"L017"), "{written:?}");
}

/// An inventory of `products` products with two lanes each, `a` and `b`,
/// and the actions `deploy` and `restart`.
fn fleet(products: usize) -> String {
    let mut inventory = String::from(
        "issues: https://github.com/example/ops/issues/\nactions:\n  deploy: {operation: deploy, destructive: false}\n  restart: {operation: restart, destructive: false}\nproducts:\n",
    );
    for p in 0..products {
        inventory.push_str(&format!(
            "  p{p}:\n    context: c{p}\n    events: {{launch: pending}}\n    lanes:\n      a: {{production: false}}\n      b: {{production: false}}\n"
        ));
    }
    inventory
}

/// `policy` (as `wide.policy`) compiled against [`fleet`] of 500 products
/// (1,000 lanes), with `config` as `lanepolicy.yaml` if given.
fn compile_fleet(policy: &str, config: Option<&str>) -> project::Compilation {
    let inventory = fleet(500);
    let inputs = Inputs::from_texts(
        ("lanes.yaml", &inventory),
        &[("wide.policy", policy)],
        config.map(|c| ("lanepolicy.yaml", c)),
        today(),
    );
    project::compile_inputs(&inputs).unwrap()
}

/// The check codes of a compilation's diagnostics, in order.
fn codes(out: &project::Compilation) -> Vec<&'static str> {
    out.diagnostics.iter().map(|d| d.check().code).collect()
}

/// Rules past the limit of grants (E110) are counted, not resolved: the
/// pattern that passes it is the one error, no later rule has a lane or a
/// phrase, and no lint runs (the hundred rules over every lane would each
/// be an L010 otherwise). The work is bounded by the limit,
/// not by rules x lanes.
#[test]
fn rules_past_the_limit_of_grants_are_one_error_and_are_not_resolved() {
    let policy: String = (0..100)
        .map(|k| {
            format!(
                "allow deploy, restart on */* until launch issue=#{} confirm=\"go {{lane}}\"\n",
                k + 1
            )
        })
        .collect();
    let out = compile_fleet(
        &policy,
        Some(
            "max-grants: 5000
",
        ),
    );
    assert_eq!(codes(&out), ["E110"], "{:?}", out.diagnostics);
    let e110 = &out.diagnostics[0];
    // Each rule opens 1000 lanes x 2 actions: the third passes 5000.
    assert!(
        e110.message.contains("(1000 lanes x 2 actions)"),
        "{}",
        e110.message
    );
    assert!(
        e110.message.contains("6000 grants") && e110.message.contains("limit of 5000"),
        "{}",
        e110.message
    );
    assert_eq!(out.sources.get(e110.file).text.lines().count(), 100);
    // At the third rule's pattern.
    let third = policy.lines().take(2).map(|l| l.len() + 1).sum::<usize>();
    assert_eq!(e110.span.start, third + "allow deploy, restart on ".len());
    let resolved: Vec<usize> = out.program.rules.iter().map(|r| r.lanes.len()).collect();
    assert_eq!(resolved[..2], [1000, 1000]);
    assert!(resolved[2..].iter().all(|&n| n == 0), "{resolved:?}");
    assert!(out.program.rules[2..].iter().all(|r| r.phrases.is_empty()));
    assert!(out.bundle.is_none());

    // Within the default limit the same rules resolve, and the lints run.
    let out = compile_fleet(&policy, None);
    assert!(!codes(&out).contains(&"E110"));
    assert!(codes(&out).contains(&"L010"));
}

/// A finding about many lanes names a few and counts the rest: a rule
/// over a thousand lanes that competes with another is one sentence, not
/// a thousand names.
#[test]
fn a_finding_over_many_lanes_names_five_and_counts_the_rest() {
    let policy = "allow deploy on */* until launch issue=#1 confirm=\"one {lane}\"\nallow deploy on */* until launch issue=#2 confirm=\"two {lane}\"\nallow restart on */* until launch issue=#3 confirm=\"restart\"\n";
    let out = compile_fleet(policy, None);
    for code in ["L017", "L013"] {
        let d = out
            .diagnostics
            .iter()
            .find(|d| d.check().code == code)
            .unwrap_or_else(|| panic!("{code}: {:?}", out.diagnostics));
        assert!(d.message.contains(" and 995 more"), "{code}: {}", d.message);
        assert_eq!(d.message.matches("`c").count(), 5, "{code}: {}", d.message);
        assert!(d.message.len() < 300, "{code}: {}", d.message);
    }
}

/// Patterns that match the same lanes are each matched and held, so each
/// counts: a rule of a thousand `*/*`-like patterns stops at the pattern
/// that passes the limit, and the ones after it are not matched.
#[test]
fn equivalent_patterns_of_one_rule_each_count_toward_the_limit() {
    let patterns: Vec<String> = (1..=40)
        .flat_map(|a| (1..=25).map(move |b| format!("{}/{}", "*".repeat(a), "*".repeat(b))))
        .collect();
    let policy = format!(
        "allow deploy on {} until launch issue=#1 confirm=\"go {{lane}}\"\n",
        patterns.join(", ")
    );
    let out = compile_fleet(
        &policy,
        Some(
            "max-grants: 2500
",
        ),
    );
    assert_eq!(codes(&out), ["E110"], "{:?}", out.diagnostics);
    let e110 = &out.diagnostics[0];
    assert!(e110.message.contains("3000 grants"), "{}", e110.message);
    assert_eq!(e110.span.start, policy.find("*/***").unwrap());
    let rule = &out.program.rules[0];
    let matched: Vec<usize> = rule.patterns.iter().map(|p| p.lanes.len()).collect();
    assert_eq!(matched.iter().filter(|&&n| n > 0).count(), 0, "{matched:?}");
    assert!(rule.lanes.is_empty());
}

/// What one check reports in one file is capped: past a hundred, one more
/// diagnostic of the same check counts the rest, and the compilation
/// still fails. The bundle would have been refused all the same.
#[test]
fn findings_of_one_check_past_a_hundred_are_counted_in_one() {
    let proofs: Vec<String> = (0..500).map(|n| format!("proof_{n}")).collect();
    // A rule requiring the first `n` proofs, none of which exists: its
    // policy, compilation and E106 findings.
    let unknown = |n: usize| {
        let policy = format!(
            "allow deploy on c0/a until launch issue=#1 requires {}\n",
            proofs[..n].join(", ")
        );
        let out = compile_fleet(&policy, None);
        let e106: Vec<lanepolicy::diagnostic::Diagnostic> = out
            .diagnostics
            .iter()
            .filter(|d| d.check().code == "E106")
            .cloned()
            .collect();
        (policy, out, e106)
    };
    let (policy, out, e106) = unknown(500);
    assert_eq!(e106.len(), lanepolicy::diagnostic::MAX_PER_CHECK + 1);
    let last = e106.last().expect("a summary");
    assert_eq!(
        last.message,
        "400 more E106 (unknown-proof) findings in this file are not shown"
    );
    assert_eq!(last.severity, lanepolicy::diagnostic::Severity::Error);
    // It points at the first proof not shown.
    assert_eq!(&policy[last.span.start..last.span.end], "proof_100");
    assert!(out.bundle.is_none());
    // The summary line counts every finding, shown or not.
    let errors = out
        .diagnostics
        .iter()
        .filter(|d| {
            d.severity == lanepolicy::diagnostic::Severity::Error && d.check().code != "E106"
        })
        .count();
    assert_eq!(
        lanepolicy::render::summary_line(&out.diagnostics, 1),
        format!("{} errors, 0 warnings in 1 file", 500 + errors)
    );

    // One more than the cap is shown whole: no summary that counts one.
    let (_, _, e106) = unknown(101);
    assert_eq!(e106.len(), 101);
    assert!(
        e106.iter()
            .all(|d| d.message.starts_with("unknown proof `proof_")),
        "{:?}",
        e106.last()
    );
}

/// The human summary line counts the syntax errors past their cap too.
#[test]
fn the_summary_line_counts_syntax_errors_past_the_cap() {
    let out = compile_fleet(&"allow\n".repeat(1000), None);
    assert_eq!(out.diagnostics.len(), 101);
    assert_eq!(
        out.diagnostics[100].message,
        "900 more syntax errors from here on are not shown"
    );
    assert_eq!(
        lanepolicy::render::summary_line(&out.diagnostics, 1),
        "1000 errors, 0 warnings in 1 file"
    );
}

/// Rules are written in (path, position) order; a rule written again with
/// the same canonical form gets its id with `-2`, `-3`, ... in that
/// order, whatever order the files are given in.
#[test]
fn repeated_rules_are_numbered_in_path_and_position_order() {
    let inventory = std::fs::read_to_string(root().join("policies/lanes.yaml")).unwrap();
    let rule = "allow empty_bootstrap on cm/testing until launch issue=#573 confirm=\"bootstrap {context} {instance}\"\n";
    let other = "allow upstream_restore on opw/testing until cutover issue=#573 confirm=\"restore {context} {instance}\"\n";
    let b = format!("{rule}\n{other}\n{rule}");
    let a = format!("{other}\n{rule}");
    for files in [
        [
            ("policies/b.policy", b.as_str()),
            ("policies/a.policy", a.as_str()),
        ],
        [
            ("policies/a.policy", a.as_str()),
            ("policies/b.policy", b.as_str()),
        ],
    ] {
        let inputs = Inputs::from_texts(("policies/lanes.yaml", &inventory), &files, None, today());
        let compiled = project::compile_inputs(&inputs).unwrap();
        assert!(!compiled.has_errors());
        let rules = compiled.bundle.unwrap().rules;
        let placed: Vec<(String, usize)> = rules
            .iter()
            .map(|r| (r.source.path.clone(), r.source.line))
            .collect();
        assert_eq!(
            placed,
            [
                ("policies/a.policy".to_string(), 1),
                ("policies/a.policy".to_string(), 3),
                ("policies/b.policy".to_string(), 1),
                ("policies/b.policy".to_string(), 3),
                ("policies/b.policy".to_string(), 5),
            ]
        );
        let ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
        let (first, again) = (ids[1], ids[2]);
        assert_eq!(ids[0].len(), 12);
        assert_eq!(ids[3], format!("{}-2", ids[0]));
        assert_eq!(again, format!("{first}-2"));
        assert_eq!(ids[4], format!("{first}-3"));
    }
}

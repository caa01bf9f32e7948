//! Property tests for the invariants: the parser never panics and always
//! points inside the text; compiling is deterministic; the runtime fails
//! closed on anything it does not know; a changed bundle is refused.

use lanepolicy::bundle;
use lanepolicy::runtime::{Facts, Request, Runtime};
use lanepolicy::syntax::parse_file;
use proptest::prelude::*;

const REAL_BUNDLE: &str = include_str!("fixtures/bundles/real.json");

fn runtime() -> Runtime {
    Runtime::from_bytes(REAL_BUNDLE.as_bytes()).expect("the real bundle loads")
}

fn facts() -> Facts {
    Facts::at("2026-12-01T00:00:00Z".parse().unwrap())
}

/// Text made of the language's own tokens, shuffled: nearer to real
/// mistakes than random bytes.
fn token_soup() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("allow".to_string()),
        Just("deny".to_string()),
        Just("on".to_string()),
        Just("until".to_string()),
        Just("or".to_string()),
        Just("issue".to_string()),
        Just("confirm".to_string()),
        Just("requires".to_string()),
        Just("reason".to_string()),
        Just("=".to_string()),
        Just(",".to_string()),
        Just("/".to_string()),
        Just("*".to_string()),
        Just("#573".to_string()),
        Just("\n".to_string()),
        Just("// c\n".to_string()),
        Just("/// d\n".to_string()),
        Just("\"".to_string()),
        Just("\\".to_string()),
        Just("2027-01-31".to_string()),
        "[a-z][a-z0-9_-]{0,6}",
        "\"[^\"\n]{0,8}\"",
        "[a-z]{1,4}/[a-z*]{1,4}",
        "\\PC{1,3}",
    ];
    prop::collection::vec(token, 0..40).prop_map(|t| t.join(" "))
}

proptest! {
    #[test]
    fn parsing_never_panics_and_errors_point_into_the_text(src in token_soup()) {
        let file = parse_file(&src);
        for e in &file.errors {
            prop_assert!(e.span.start <= e.span.end && e.span.end <= src.len(), "{e:?}");
            prop_assert!(src.is_char_boundary(e.span.start) && src.is_char_boundary(e.span.end));
            prop_assert!(!e.message.is_empty());
        }
        for r in &file.rules {
            prop_assert!(r.span.end <= src.len());
            prop_assert!(!r.actions.is_empty() && !r.patterns.is_empty());
        }
    }

    #[test]
    fn parsing_arbitrary_text_never_panics(src in "\\PC{0,200}") {
        let _ = parse_file(&src);
    }

    #[test]
    fn a_valid_rule_parses_to_what_was_written(
        actions in prop::collection::vec("[a-z][a-z0-9_]{0,8}", 1..4),
        lanes in prop::collection::vec(("[a-z][a-z0-9]{0,5}", "[a-z*][a-z0-9*]{0,5}"), 1..4),
        event in "[a-z][a-z_]{0,8}",
        issue in 1u64..100_000,
        phrase in "[ -~&&[^\"\\\\]]{0,20}",
    ) {
        let kw = ["allow", "deny", "on", "until", "or", "issue", "confirm", "requires", "reason"];
        prop_assume!(actions.iter().chain(std::iter::once(&event)).all(|a| !kw.contains(&a.as_str())));
        prop_assume!(lanes.iter().all(|(c, i)| !kw.contains(&c.as_str()) && !kw.contains(&i.as_str())));
        let lane_text: Vec<String> = lanes.iter().map(|(c, i)| format!("{c}/{i}")).collect();
        let src = format!(
            "allow {} on {} until {event} issue=#{issue} confirm=\"{phrase}\"\n",
            actions.join(", "),
            lane_text.join(", ")
        );
        let file = parse_file(&src);
        prop_assert!(file.errors.is_empty(), "{src}: {:?}", file.errors);
        prop_assert_eq!(file.rules.len(), 1);
        let r = &file.rules[0];
        let parsed: Vec<&str> = r.actions.iter().map(|a| a.name.as_str()).collect();
        prop_assert_eq!(parsed, actions.iter().map(String::as_str).collect::<Vec<_>>());
        let parsed: Vec<String> = r.patterns.iter().map(|p| p.text()).collect();
        prop_assert_eq!(parsed, lane_text);
        prop_assert_eq!(r.clauses.len(), 3);
    }

    #[test]
    fn unknown_lanes_and_actions_are_always_denied(lane in "[a-z]{1,6}/[a-z]{1,6}", action in "[a-z_]{1,12}", phrase in ".{0,20}") {
        let rt = runtime();
        let known_lane = rt.bundle().lanes.contains_key(&lane);
        let known_action = rt.bundle().actions.contains_key(&action);
        prop_assume!(!known_lane || !known_action);
        let d = rt.decide(&Request::new(&lane, &action).confirm(phrase), &facts());
        prop_assert!(!d.is_allow());
        prop_assert!(!d.reasons.is_empty());
    }

    #[test]
    fn only_the_lanes_phrase_opens_the_lane(phrase in ".{0,30}") {
        let rt = runtime();
        let d = rt.decide(&Request::new("cm/testing", "empty_bootstrap").confirm(phrase.clone()), &facts());
        let right = phrase.trim().to_lowercase() == "bootstrap cm testing";
        prop_assert_eq!(d.is_allow(), right, "{:?}", d.reasons);
    }

    #[test]
    fn any_change_to_a_bundle_value_is_refused(k in 0usize..10_000, digit in 0u8..10) {
        // Change one digit or letter of the pretty-printed bundle (outside the digest).
        let text = REAL_BUNDLE;
        let digest_line = text.find("\"digest\"").unwrap();
        let candidates: Vec<usize> = text
            .char_indices()
            .filter(|&(i, c)| c.is_ascii_alphanumeric() && !(digest_line..digest_line + 90).contains(&i))
            .map(|(i, _)| i)
            .collect();
        let at = candidates[k % candidates.len()];
        let old = text.as_bytes()[at];
        let new = if old.is_ascii_digit() { b'0' + (old - b'0' + 1 + digit % 9) % 10 } else if old == b'z' { b'y' } else { old + 1 };
        let mut bytes = text.as_bytes().to_vec();
        bytes[at] = new;
        if let Ok(b) = bundle::load(&bytes) { prop_assert!(false, "a changed bundle loaded: byte {at} {} -> {}, {:?}", old as char, new as char, b.digest) }
    }
}

#[test]
fn compiling_twice_gives_the_same_bundle() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let opts = lanepolicy::project::Options {
        paths: vec![root.join("tests/fixtures/check/clean.policy")],
        inventory: Some(root.join("tests/fixtures/check/lanes.yaml")),
        root: root.clone(),
        today: jiff::civil::date(2026, 11, 29),
        config: None,
        issues: None,
        build: true,
        max_input_bytes: lanepolicy::project::MAX_SOURCE_BYTES,
        overlay: Default::default(),
    };
    let a = lanepolicy::project::compile(&opts)
        .unwrap()
        .bundle
        .expect("clean compiles");
    let b = lanepolicy::project::compile(&opts)
        .unwrap()
        .bundle
        .expect("clean compiles");
    assert_eq!(a, b);
    assert_eq!(a.rules.len(), 5);
    // Rule ids are stable and distinct.
    let mut ids: Vec<&str> = a.rules.iter().map(|r| r.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 5);
}

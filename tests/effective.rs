//! The effective diff (`diff`, section `effective`): over generated pairs
//! of bundles, requests and facts, every request allowed under the new
//! bundle and not the old one is reported as opened, widened or changed,
//! nothing reported closed is allowed under the new bundle, and a pair not
//! reported decides alike; and hand-written pairs for each kind of change,
//! the `--fail-on-widening` gate, and the three formats.

mod common;

use lanepolicy::bundle;
use lanepolicy::model::Phase;
use lanepolicy::runtime::effective::{EffectiveKind, Review, effective_diff};
use lanepolicy::runtime::{Facts, Request, Runtime};
use proptest::prelude::*;
use serde_json::{Value, json};

#[path = "common/generated.rs"]
mod generated;
use generated::*;

fn gen_facts() -> impl Strategy<Value = Facts> {
    (
        prop::sample::select(vec![
            "2019-06-01T00:00:00Z",
            "2020-01-01T23:00:00Z",
            "2020-01-02T00:00:00Z",
            "2026-12-01T00:00:00Z",
            "2100-01-01T00:00:00Z",
        ]),
        prop::collection::vec((0usize..2, 0usize..2), 0..3),
        prop::option::of((0usize..4, any::<bool>())),
    )
        .prop_map(|(now, events, phase)| {
            let mut f = Facts::at(now.parse().unwrap());
            for (p, e) in events {
                f = f.with_occurred(["prod-a", "prod-b"][p], EVENTS[e]);
            }
            if let Some((l, live)) = phase {
                f = f.with_phase(
                    LANES[l].0,
                    if live { Phase::Live } else { Phase::Prelaunch },
                );
            }
            f
        })
}

/// Every presentation worth trying on a lane.
fn presentations(lane: &str, action: &str) -> Vec<Request> {
    let phrases = [
        None,
        Some(format!("  GO {}  ", lane.to_uppercase())),
        Some("nope".to_string()),
    ];
    let proof_sets: [&[&str]; 4] = [&[], &["backup_proof"], &["restore_proof"], &PROOFS];
    let mut out = Vec::new();
    for p in &phrases {
        for set in proof_sets {
            let mut r = Request::new(lane, action);
            r.confirm = p.clone();
            for name in set {
                r = r.proof(*name, "rec-1");
            }
            out.push(r);
        }
    }
    out
}

/// A pair of bundles: the new one is the old one with a rule dropped,
/// rules added, and maybe other lanes and another event state.
fn gen_pair() -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
    (
        prop::collection::vec(gen_lane(), 4),
        prop::option::of(prop::collection::vec(gen_lane(), 4)),
        prop::collection::vec(gen_rule(), 0..4),
        prop::option::of(0usize..4),
        prop::collection::vec(gen_rule(), 0..3),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(lanes, new_lanes, rules, drop, added, occ_old, occ_new)| {
            let old = bundle_bytes(&lanes, &rules, occ_old);
            let mut new_rules = rules.clone();
            if let Some(i) = drop.filter(|i| *i < new_rules.len()) {
                new_rules.remove(i);
            }
            new_rules.extend(added);
            let new = bundle_bytes(new_lanes.as_ref().unwrap_or(&lanes), &new_rules, occ_new);
            (old, new)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn the_effective_diff_is_sound(pair in gen_pair(), facts in gen_facts()) {
        let old = Runtime::from_bytes(&pair.0).expect("a generated bundle verifies");
        let new = Runtime::from_bytes(&pair.1).expect("a generated bundle verifies");
        prop_assume!(old.check_facts(&facts).is_ok() && new.check_facts(&facts).is_ok());
        let diff = effective_diff(&old, &new);
        for (lane, _, _) in LANES {
            for action in ACTIONS {
                let change = diff.iter().find(|c| c.lane == lane && c.action == action).map(|c| c.change);
                for req in presentations(lane, action) {
                    let a = old.decide(&req, &facts).is_allow();
                    let b = new.decide(&req, &facts).is_allow();
                    match change {
                        None => prop_assert_eq!(a, b, "{} {}: not reported, yet decided apart: {:?}", lane, action, req),
                        Some(k) => {
                            if b && !a {
                                prop_assert!(k.widens(), "{} {}: allowed only now, reported {:?}: {:?}", lane, action, k, req);
                            }
                            if a && !b {
                                prop_assert!(matches!(k, EffectiveKind::Closed | EffectiveKind::Narrowed | EffectiveKind::Changed),
                                    "{} {}: allowed only before, reported {:?}: {:?}", lane, action, k, req);
                            }
                            if k == EffectiveKind::Closed {
                                prop_assert!(!b, "{} {}: reported closed, allowed now: {:?}", lane, action, req);
                            }
                            if k == EffectiveKind::Opened {
                                prop_assert!(!a, "{} {}: reported opened, allowed before: {:?}", lane, action, req);
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_bundle_compared_with_itself_changes_nothing(pair in gen_pair()) {
        let old = Runtime::from_bytes(&pair.0).unwrap();
        prop_assert!(effective_diff(&old, &old).is_empty());
    }
}

// ---- Hand-written pairs ----

/// A lane of product `cm`: `(production, phase, data_authority)`.
fn lane(instance: &str, production: bool, phase: &str, authority: &str) -> Value {
    json!({
        "product": "cm", "context": "cm", "instance": instance,
        "production": production, "phase": phase,
        "data_authority": authority, "allowed_sources": ["empty"],
    })
}

/// A rule on `lanes` for `actions`; `confirm` is the phrase pattern with
/// `{lane}` replaced per lane.
fn rule(
    effect: &str,
    lanes: &[&str],
    actions: &[&str],
    until: (&[&str], &[&str]),
    confirm: Option<&str>,
    requires: &[&str],
) -> Value {
    let confirm = confirm.map(|c| {
        lanes
            .iter()
            .map(|l| (l.to_string(), Value::from(c.replace("{lane}", l))))
            .collect::<serde_json::Map<_, _>>()
    });
    json!({
        "id": "", "effect": effect, "actions": actions,
        "patterns": lanes, "lanes": lanes,
        "until": {"events": until.0, "dates": until.1},
        "issue": {"ref": "#573", "url": "https://example.com/issues/573"},
        "confirm": confirm, "requires": requires,
        "reason": if effect == "deny" { Value::from("frozen") } else { Value::Null },
        "doc": null, "suppressions": [],
        "source": {"path": "cm.policy", "line": 1, "column": 1},
    })
}

fn sealed(lanes: Value, rules: Vec<Value>) -> Vec<u8> {
    let rules: Vec<Value> = rules
        .into_iter()
        .enumerate()
        .map(|(n, mut r)| {
            r["id"] = Value::from(format!("{n:012x}"));
            r["source"]["line"] = Value::from(n * 4 + 1);
            r
        })
        .collect();
    let mut v = json!({
        "format": "lanepolicy-bundle", "version": 1, "digest": "",
        "sources": [], "issues": null,
        "actions": {
            "wipe": {"operation": "stable_bootstrap", "data_source": "empty", "destructive": true},
            "deploy": {"operation": "deploy", "data_source": null, "destructive": false},
        },
        "products": {"cm": {"context": "cm", "events": {"launch": "pending"}}},
        "lanes": lanes,
        "rules": rules,
    });
    v["digest"] = Value::from(bundle::digest_of(&v));
    serde_json::to_vec(&v).unwrap()
}

fn lanes() -> Value {
    json!({
        "cm/testing": lane("testing", false, "prelaunch", "resettable"),
        "cm/prod": lane("prod", true, "prelaunch", "resettable"),
    })
}

fn grant() -> Value {
    rule(
        "allow",
        &["cm/testing", "cm/prod"],
        &["wipe"],
        (&["launch"], &["2027-01-31"]),
        Some("wipe {lane}"),
        &[],
    )
}

fn kinds(old: &[u8], new: &[u8]) -> Vec<(String, String, EffectiveKind)> {
    let (old, new) = (
        Runtime::from_bytes(old).unwrap(),
        Runtime::from_bytes(new).unwrap(),
    );
    effective_diff(&old, &new)
        .into_iter()
        .map(|c| (c.lane, c.action, c.change))
        .collect()
}

fn k(lane: &str, action: &str, kind: EffectiveKind) -> (String, String, EffectiveKind) {
    (lane.to_string(), action.to_string(), kind)
}

#[test]
fn a_deny_over_a_grant_closes_it() {
    let old = sealed(lanes(), vec![grant()]);
    let deny = rule("deny", &["cm/prod"], &["wipe"], (&[], &[]), None, &[]);
    let new = sealed(lanes(), vec![grant(), deny]);
    assert_eq!(
        kinds(&old, &new),
        [k("cm/prod", "wipe", EffectiveKind::Closed)]
    );
    // A deny that retires at launch only narrows: after launch the grant has retired anyway...
    let until_launch = rule(
        "deny",
        &["cm/prod"],
        &["wipe"],
        (&["launch"], &[]),
        None,
        &[],
    );
    let new = sealed(lanes(), vec![grant(), until_launch]);
    assert_eq!(
        kinds(&old, &new),
        [k("cm/prod", "wipe", EffectiveKind::Closed)]
    );
    // ...while one that retires on a date before the grant's leaves a window open.
    let early = rule(
        "deny",
        &["cm/prod"],
        &["wipe"],
        (&[], &["2026-12-31"]),
        None,
        &[],
    );
    let new = sealed(lanes(), vec![grant(), early]);
    assert_eq!(
        kinds(&old, &new),
        [k("cm/prod", "wipe", EffectiveKind::Narrowed)]
    );
    // Taking the deny away again widens.
    assert_eq!(
        kinds(&new, &old),
        [k("cm/prod", "wipe", EffectiveKind::Widened)]
    );
}

#[test]
fn a_new_grant_opens() {
    let old = sealed(lanes(), vec![grant()]);
    let deploy = rule("allow", &["cm/testing"], &["deploy"], (&[], &[]), None, &[]);
    let new = sealed(lanes(), vec![grant(), deploy]);
    assert_eq!(
        kinds(&old, &new),
        [k("cm/testing", "deploy", EffectiveKind::Opened)]
    );
    assert_eq!(
        kinds(&new, &old),
        [k("cm/testing", "deploy", EffectiveKind::Closed)]
    );
}

#[test]
fn a_later_retirement_widens() {
    let old = sealed(lanes(), vec![grant()]);
    let later = rule(
        "allow",
        &["cm/testing", "cm/prod"],
        &["wipe"],
        (&["launch"], &["2027-06-30"]),
        Some("wipe {lane}"),
        &[],
    );
    let new = sealed(lanes(), vec![later]);
    assert_eq!(
        kinds(&old, &new),
        [
            k("cm/prod", "wipe", EffectiveKind::Widened),
            k("cm/testing", "wipe", EffectiveKind::Widened)
        ]
    );
    // No retirement at all widens too; an extra event narrows.
    let forever = rule(
        "allow",
        &["cm/testing", "cm/prod"],
        &["wipe"],
        (&[], &[]),
        Some("wipe {lane}"),
        &[],
    );
    assert_eq!(kinds(&old, &sealed(lanes(), vec![forever])).len(), 2);
}

#[test]
fn a_lane_made_authoritative_needs_proofs_now_and_narrows() {
    let old = sealed(lanes(), vec![grant()]);
    let mut authoritative = lanes();
    authoritative["cm/testing"]["data_authority"] = Value::from("authoritative");
    let new = sealed(authoritative, vec![grant()]);
    assert_eq!(
        kinds(&old, &new),
        [k("cm/testing", "wipe", EffectiveKind::Narrowed)]
    );
    let (o, n) = (
        Runtime::from_bytes(&old).unwrap(),
        Runtime::from_bytes(&new).unwrap(),
    );
    let c = &effective_diff(&o, &n)[0];
    assert!(c.protected, "an authoritative lane is protected");
    assert_eq!(c.after.allows[0].proofs, ["backup_proof", "restore_proof"]);
    assert!(
        c.why[0].contains("now: `wipe` on `cm/testing` needs `backup_proof`"),
        "{:?}",
        c.why
    );
}

#[test]
fn the_same_grant_on_other_data_is_changed_and_widens() {
    let old = sealed(lanes(), vec![grant()]);
    for (key, value) in [
        ("upstream_source", Value::from("prod-a/a/prod")),
        ("target", Value::from("a-prod")),
        ("domains", serde_json::json!(["a.example.com"])),
    ] {
        let mut retargeted = lanes();
        retargeted["cm/testing"][key] = value;
        let new = sealed(retargeted, vec![grant()]);
        assert_eq!(
            kinds(&old, &new),
            [k("cm/testing", "wipe", EffectiveKind::Changed)],
            "{key}"
        );
        let (o, n) = (
            Runtime::from_bytes(&old).unwrap(),
            Runtime::from_bytes(&new).unwrap(),
        );
        let review = lanepolicy::runtime::effective::Review::new(&o, &n);
        assert!(review.widens(), "{key}: the gate must stop it");
        assert!(
            review.effective[0].why[0].contains(&format!("`cm/testing`'s `{key}` changes from")),
            "{:?}",
            review.effective[0].why
        );
    }
    // A lane no grant opens may change its target freely.
    let testing_only = || {
        rule(
            "allow",
            &["cm/testing"],
            &["wipe"],
            (&["launch"], &[]),
            Some("wipe {lane}"),
            &[],
        )
    };
    let mut retargeted = lanes();
    retargeted["cm/prod"]["target"] = Value::from("elsewhere");
    assert_eq!(
        kinds(
            &sealed(lanes(), vec![testing_only()]),
            &sealed(retargeted, vec![testing_only()])
        ),
        []
    );
}

#[test]
fn the_same_grant_without_a_guard_is_changed_and_widens() {
    let old = sealed(lanes(), vec![grant()]);
    let mut unguarded = grant();
    unguarded["issue"] = Value::Null;
    unguarded["lowered_findings"] = json!([{
        "code": "L001", "name": "missing-issue", "severity": "off",
        "message": "an `allow` has no `issue=`"
    }]);
    let new = sealed(lanes(), vec![unguarded]);
    assert_eq!(
        kinds(&old, &new),
        [
            k("cm/prod", "wipe", EffectiveKind::Changed),
            k("cm/testing", "wipe", EffectiveKind::Changed)
        ]
    );
    let (o, n) = (
        Runtime::from_bytes(&old).unwrap(),
        Runtime::from_bytes(&new).unwrap(),
    );
    let review = lanepolicy::runtime::effective::Review::new(&o, &n);
    assert!(review.widens());
    assert!(
        review.effective[0].why[0].contains("now without the guard of L001 missing-issue"),
        "{:?}",
        review.effective[0].why
    );
    // The other way round, a guard restored, the gate lets it pass.
    let back = lanepolicy::runtime::effective::Review::new(&n, &o);
    assert!(!back.widens(), "{:?}", back.effective);
}

#[test]
fn another_phrase_is_changed_and_a_dropped_proof_widens() {
    let old = sealed(lanes(), vec![grant()]);
    let other = rule(
        "allow",
        &["cm/testing", "cm/prod"],
        &["wipe"],
        (&["launch"], &["2027-01-31"]),
        Some("really wipe {lane}"),
        &[],
    );
    let new = sealed(lanes(), vec![other]);
    assert_eq!(
        kinds(&old, &new),
        [
            k("cm/prod", "wipe", EffectiveKind::Changed),
            k("cm/testing", "wipe", EffectiveKind::Changed)
        ]
    );
    // The same phrase in other case and spacing is no change at all.
    let same = rule(
        "allow",
        &["cm/testing", "cm/prod"],
        &["wipe"],
        (&["launch"], &["2027-01-31"]),
        Some("  WIPE {lane} "),
        &[],
    );
    assert_eq!(kinds(&old, &sealed(lanes(), vec![same])), []);
    // A proof no longer asked for widens.
    let with_proof = rule(
        "allow",
        &["cm/testing", "cm/prod"],
        &["wipe"],
        (&["launch"], &["2027-01-31"]),
        Some("wipe {lane}"),
        &["backup_proof"],
    );
    assert_eq!(
        kinds(&sealed(lanes(), vec![with_proof]), &old),
        [
            k("cm/prod", "wipe", EffectiveKind::Widened),
            k("cm/testing", "wipe", EffectiveKind::Widened)
        ]
    );
}

#[test]
fn a_rule_moved_or_renamed_changes_nothing_effective() {
    let deploy = rule("allow", &["cm/testing"], &["deploy"], (&[], &[]), None, &[]);
    let old = sealed(lanes(), vec![grant(), deploy.clone()]);
    let new = sealed(lanes(), vec![deploy, grant()]);
    assert_eq!(kinds(&old, &new), []);
}

// ---- The command ----

fn pair_on_disk() -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let old = sealed(lanes(), vec![grant()]);
    let deny = rule("deny", &["cm/prod"], &["wipe"], (&[], &[]), None, &[]);
    let deploy = rule("allow", &["cm/testing"], &["deploy"], (&[], &[]), None, &[]);
    let later = rule(
        "allow",
        &["cm/testing", "cm/prod"],
        &["wipe"],
        (&["launch"], &["2027-06-30"]),
        Some("wipe {lane}"),
        &[],
    );
    let new = sealed(lanes(), vec![later, deny, deploy]);
    let (a, b) = (dir.path().join("old.json"), dir.path().join("new.json"));
    std::fs::write(&a, old).unwrap();
    std::fs::write(&b, new).unwrap();
    let (a, b) = (
        a.to_str().unwrap().to_string(),
        b.to_str().unwrap().to_string(),
    );
    (dir, a, b)
}

fn redact(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find("sha256:") {
        out.push_str(&rest[..at]);
        out.push_str("sha256:[digest]");
        let tail = &rest[at + 7..];
        let n = tail
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(tail.len());
        rest = &tail[n..];
    }
    out.push_str(rest);
    out.lines()
        .map(|l| {
            if l.contains(" → ") {
                "`[old]` → `[new]`"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn the_gate_fails_on_widening_only() {
    let (dir, old, new) = pair_on_disk();
    let run = |args: &[&str]| common::run_in(dir.path(), args);
    assert_eq!(run(&["diff", &old, &new]).code, 0);
    let gated = run(&["diff", &old, &new, "--fail-on-widening"]);
    assert_eq!(gated.code, 1, "{}", gated.stderr);
    assert!(
        gated.stdout.contains("opened   cm/testing deploy"),
        "{}",
        gated.stdout
    );
    // Backwards, the deny goes away: that opens too.
    let back = run(&["diff", &new, &old, "--fail-on-widening"]);
    assert_eq!(back.code, 1, "{}", back.stdout);
    assert!(
        back.stdout.contains("opened   cm/prod wipe"),
        "{}",
        back.stdout
    );
    // A change that only closes and narrows passes the gate.
    let deny = rule("deny", &["cm/prod"], &["wipe"], (&[], &[]), None, &[]);
    let closing = dir.path().join("closing.json");
    std::fs::write(&closing, sealed(lanes(), vec![grant(), deny])).unwrap();
    let closes = run(&[
        "diff",
        &old,
        closing.to_str().unwrap(),
        "--fail-on-widening",
    ]);
    assert_eq!(closes.code, 0, "{}", closes.stdout);
    assert!(
        closes.stdout.contains("closed   cm/prod wipe"),
        "{}",
        closes.stdout
    );
    // Nothing changed: the gate passes.
    assert_eq!(run(&["diff", &old, &old, "--fail-on-widening"]).code, 0);
    // An unreadable bundle is still 2, gate or not.
    assert_eq!(
        run(&["diff", &old, "missing.json", "--fail-on-widening"]).code,
        2
    );
}

#[test]
fn the_review_in_three_formats() {
    let (dir, old, new) = pair_on_disk();
    let run = |args: &[&str]| common::run_in(dir.path(), args);
    let text = run(&["diff", &old, &new]);
    insta::assert_snapshot!("effective_text", redact(&text.stdout));
    let md = run(&["diff", &old, &new, "--format", "markdown"]);
    insta::assert_snapshot!("effective_markdown", redact(&md.stdout));
    let json = run(&["diff", &old, &new, "--format", "json"]);
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    assert!(
        v["grants"].is_array() && v["denies"].is_array(),
        "the rule-level diff stays"
    );
    insta::assert_snapshot!(
        "effective_json",
        redact(&serde_json::to_string_pretty(&v["effective"]).unwrap())
    );
    // Nothing changed: an empty list.
    let same = run(&["diff", &old, &old, "--format", "json"]);
    let v: Value = serde_json::from_str(&same.stdout).unwrap();
    assert_eq!(v["effective"], json!([]));
}

#[test]
fn the_review_is_the_library_review() {
    let (_dir, old, new) = pair_on_disk();
    let (o, n) = (
        Runtime::from_bytes(&std::fs::read(old).unwrap()).unwrap(),
        Runtime::from_bytes(&std::fs::read(new).unwrap()).unwrap(),
    );
    let r = Review::new(&o, &n);
    assert!(r.widens());
    let kinds: Vec<_> = r
        .effective
        .iter()
        .map(|c| (c.lane.as_str(), c.action.as_str(), c.change))
        .collect();
    assert_eq!(
        kinds,
        [
            ("cm/prod", "wipe", EffectiveKind::Closed),
            ("cm/testing", "deploy", EffectiveKind::Opened),
            ("cm/testing", "wipe", EffectiveKind::Widened),
        ]
    );
}

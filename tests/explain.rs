//! `Runtime::explain` tells the same story as `Runtime::decide`: for every
//! lane, action, presentation and set of facts, on the real bundle and on a
//! bundle with denies, dates, required proofs and competing rules.

use lanepolicy::bundle;
use lanepolicy::model::Phase;
use lanepolicy::runtime::{Explanation, Facts, Request, Runtime, StepCheck, StepOutcome};
use serde_json::{Value, json};

fn real_value() -> Value {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/bundles/real.json"
    ))
    .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn load(mut value: Value) -> Runtime {
    let digest = bundle::digest_of(&value);
    value["digest"] = Value::from(digest);
    Runtime::from_bytes(&serde_json::to_vec(&value).unwrap()).unwrap()
}

/// The id of a rule named `name`: the name's first six bytes in hex (ids
/// are 12 hex digits, as `build` writes them).
fn id(name: &str) -> String {
    let hex: String = name.bytes().take(6).map(|b| format!("{b:02x}")).collect();
    format!("{hex:0<12}")
}

fn rule(name: &str, effect: &str, actions: &[&str], lanes: &[&str], extra: Value) -> Value {
    let id = id(name);
    let mut r = json!({
        "id": id, "effect": effect, "actions": actions, "patterns": lanes, "lanes": lanes,
        "until": {"events": [], "dates": []}, "issue": null, "confirm": null,
        "requires": [], "reason": null, "doc": null,
        "source": {"path": "policies/wide.policy", "line": 1, "column": 1}
    });
    for (k, v) in extra.as_object().unwrap() {
        r[k] = v.clone();
    }
    r
}

/// The real bundle plus: a deny on `hq/prod`, a retired deny, an allow that
/// retired by date, an allow that requires a backup proof, two competing
/// allows with different phrases, and a lane whose data policy allows
/// nothing.
fn wide() -> Runtime {
    let mut v = real_value();
    let issue = json!({"ref": "#9", "url": "https://example.com/issues/9"});
    let rules = v["rules"].as_array_mut().unwrap();
    rules.push(rule(
        "deny-hq",
        "deny",
        &["backup_restore", "deploy"],
        &["hq/prod"],
        json!({"reason": "frozen for the audit"}),
    ));
    rules.push(rule(
        "deny-old",
        "deny",
        &["deploy"],
        &["cm/testing"],
        json!({"until": {"events": ["launch"], "dates": ["2020-01-01"]}}),
    ));
    rules.push(rule(
        "dated",
        "allow",
        &["deploy"],
        &["opw/testing"],
        json!({"issue": issue, "until": {"events": [], "dates": ["2026-06-30"]}}),
    ));
    rules.push(rule(
        "proof",
        "allow",
        &["volume_import"],
        &["hq/prod", "hq/staging"],
        json!({"issue": issue, "until": {"events": [], "dates": ["2099-01-01"]},
               "requires": ["backup_proof"],
               "confirm": {"hq/prod": "import hq prod", "hq/staging": "import hq staging"}}),
    ));
    rules.push(rule(
        "first",
        "allow",
        &["deploy"],
        &["cm/prod"],
        json!({"issue": issue, "until": {"events": ["launch"], "dates": []},
               "confirm": {"cm/prod": "deploy one"}}),
    ));
    rules.push(rule(
        "second",
        "allow",
        &["deploy"],
        &["cm/prod"],
        json!({"issue": issue, "until": {"events": ["launch"], "dates": []},
               "confirm": {"cm/prod": "deploy two"}}),
    ));
    rules.push(rule(
        "nosource",
        "allow",
        &["empty_bootstrap", "upstream_restore"],
        &["hq/staging"],
        json!({"issue": issue, "until": {"events": [], "dates": ["2099-01-01"]}}),
    ));
    load(v)
}

fn fact_sets() -> Vec<Facts> {
    let now = Facts::at("2026-12-01T00:00:00Z".parse().unwrap());
    vec![
        now.clone(),
        now.clone().with_occurred("odoo-tenant-cm", "launch"),
        now.clone().with_occurred("odoo-tenant-opw", "cutover"),
        now.clone().with_phase("cm/prod", Phase::Live),
        Facts::at("2026-01-01T00:00:00Z".parse().unwrap()),
    ]
}

fn requests(rt: &Runtime) -> Vec<Request> {
    let b = rt.bundle();
    let mut lanes: Vec<String> = b.lanes.keys().cloned().collect();
    lanes.push("xx/prod".into());
    let mut actions: Vec<String> = b.actions.keys().cloned().collect();
    actions.push("nothing".into());
    let mut phrases: Vec<Option<String>> = vec![None, Some("wrong".into())];
    for r in &b.rules {
        for p in r.confirm.iter().flat_map(|m| m.values()) {
            phrases.push(Some(format!("  {}  ", p.to_uppercase())));
        }
    }
    let proofs: [&[(&str, &str)]; 4] = [
        &[],
        &[("backup_proof", "bg-1")],
        &[("backup_proof", "bg-1"), ("restore_proof", "rv-1")],
        &[("backup_proof", "  ")],
    ];
    let mut out = Vec::new();
    for lane in &lanes {
        for action in &actions {
            for phrase in &phrases {
                for set in proofs {
                    let mut req = Request::new(lane.clone(), action.clone());
                    req.confirm = phrase.clone();
                    for (name, id) in set {
                        req = req.proof(*name, *id);
                    }
                    out.push(req);
                }
            }
        }
    }
    out
}

/// The invariants that tie an explanation to its decision.
fn check(rt: &Runtime, req: &Request, facts: &Facts, e: &Explanation) {
    let d = rt.decide(req, facts);
    let ctx = format!(
        "{} {} {:?} {:?}",
        req.lane, req.action, req.confirm, req.proofs
    );
    assert_eq!(e.decision, d, "{ctx}");
    assert_eq!(e.steps[0].check, StepCheck::Bundle);
    let deciding = d.rule.as_ref().map(|r| r.id.clone());
    let failed: Vec<_> = e
        .steps
        .iter()
        .filter(|s| s.outcome == StepOutcome::Fail && (s.rule.is_none() || s.rule == deciding))
        .map(|s| s.reason.unwrap())
        .collect();
    let codes: Vec<_> = d.reasons.iter().map(|r| r.code).collect();
    assert_eq!(failed, codes, "{ctx}\n{}", e.to_text());
    if d.is_allow() {
        assert!(e.present.is_none() && e.next.is_none(), "{ctx}");
        let last = e.steps.last().unwrap();
        assert_eq!(last.rule, deciding, "{ctx}");
    } else {
        // Exactly one of: what to present, or what would have to change.
        assert!(e.present.is_some() != e.next.is_some(), "{ctx}");
        if let Some(p) = &e.present {
            let mut fixed = req.clone();
            if let Some(c) = &p.confirm {
                fixed.confirm = Some(c.clone());
            }
            for proof in &p.proofs {
                fixed = fixed.proof(proof.clone(), "rec-1");
            }
            assert!(
                rt.decide(&fixed, facts).is_allow(),
                "{ctx}: {p:?} does not allow"
            );
        }
    }
    let text = e.to_text();
    assert!(text.contains(if d.is_allow() {
        "decision: allow"
    } else {
        "decision: deny"
    }));
}

#[test]
fn explanations_agree_with_decisions_on_the_real_bundle() {
    let rt = Runtime::from_bytes(&serde_json::to_vec(&real_value()).unwrap()).unwrap();
    let mut n = 0;
    for facts in fact_sets() {
        for req in requests(&rt) {
            check(&rt, &req, &facts, &rt.explain(&req, &facts));
            n += 1;
        }
    }
    assert!(n > 1000);
}

#[test]
fn explanations_agree_with_decisions_on_a_wide_bundle() {
    let rt = wide();
    let mut allows = 0;
    let mut presents = 0;
    for facts in fact_sets() {
        for req in requests(&rt) {
            let e = rt.explain(&req, &facts);
            check(&rt, &req, &facts, &e);
            allows += usize::from(e.decision.is_allow());
            presents += usize::from(e.present.is_some());
        }
    }
    assert!(allows > 50 && presents > 50, "{allows} {presents}");
}

#[test]
fn competing_rules_are_each_checked_and_the_first_decides_a_deny() {
    let rt = wide();
    let facts = Facts::at("2026-12-01T00:00:00Z".parse().unwrap());
    let req = Request::new("cm/prod", "deploy").confirm("deploy two");
    let e = rt.explain(&req, &facts);
    assert!(e.decision.is_allow());
    assert_eq!(e.decision.rule.as_ref().unwrap().id, id("second"));
    // The first rule's failed phrase is shown, then the second rule passes.
    assert!(
        e.steps
            .iter()
            .any(|s| s.rule.as_deref() == Some(id("first").as_str())
                && s.outcome == StepOutcome::Fail)
    );

    let e = rt.explain(&Request::new("cm/prod", "deploy"), &facts);
    assert_eq!(e.decision.rule.as_ref().unwrap().id, id("first"));
    assert_eq!(
        e.present.as_ref().unwrap().confirm.as_deref(),
        Some("deploy one")
    );
}

#[test]
fn a_data_policy_that_allows_nothing_cannot_be_presented_away() {
    let rt = wide();
    let facts = Facts::at("2026-12-01T00:00:00Z".parse().unwrap());
    let e = rt.explain(&Request::new("hq/staging", "empty_bootstrap"), &facts);
    assert!(e.present.is_none());
    assert!(e.next.as_deref().unwrap().contains("data policy"));
    assert!(e.to_text().contains("nothing presented can allow this"));
}

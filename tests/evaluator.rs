//! One evaluator: over generated bundles, requests and facts, `explain`
//! tells the story `decide` decides, the read model shows exactly what
//! `decide` asks for, and nothing the read model shows as closed is allowed.

use lanepolicy::model::Phase;
use lanepolicy::runtime::{Facts, ReasonCode, Request, Runtime, StepOutcome};
use proptest::prelude::*;
use serde_json::json;

#[path = "common/generated.rs"]
mod generated;
use generated::*;

fn gen_facts() -> impl Strategy<Value = Facts> {
    (
        prop::sample::select(vec![
            "2019-06-01T00:00:00Z",
            "2026-12-01T00:00:00Z",
            "2100-01-01T00:00:00Z",
        ]),
        prop::option::of(0usize..2),
        prop::option::of(0usize..4),
    )
        .prop_map(|(now, event, live)| {
            let mut f = Facts::at(now.parse().unwrap());
            if let Some(e) = event {
                f = f.with_occurred("prod-a", EVENTS[e]);
            }
            if let Some(l) = live {
                f = f.with_phase(LANES[l].0, Phase::Live);
            }
            f
        })
}

/// Every presentation worth trying on a lane: nothing, the lane's phrase,
/// a wrong or invisible phrase, each set of proofs (real or blank ids).
fn presentations(lane: &str, action: &str) -> Vec<Request> {
    let phrases = [
        None,
        Some(format!("go {lane}")),
        Some(format!("  GO {}  ", lane.to_uppercase())),
        Some("nope".to_string()),
        Some("\u{200b}".to_string()),
    ];
    let proof_sets: [&[(&str, &str)]; 5] = [
        &[],
        &[("backup_proof", "bk-1")],
        &[("backup_proof", "bk-1"), ("restore_proof", "rs-1")],
        &[("backup_proof", "\u{2060} "), ("restore_proof", "\u{feff}")],
        &[("restore_proof", "rs-1")],
    ];
    let mut out = Vec::new();
    for p in &phrases {
        for set in proof_sets {
            let mut r = Request::new(lane, action);
            r.confirm = p.clone();
            for (name, id) in set {
                r = r.proof(*name, *id);
            }
            out.push(r);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn explain_decide_and_the_read_model_agree(
        lanes in prop::collection::vec(gen_lane(), 4),
        rules in prop::collection::vec(gen_rule(), 0..6),
        occurred_in_bundle in any::<bool>(),
        facts in gen_facts(),
    ) {
        let rt = Runtime::from_bytes(&bundle_bytes(&lanes, &rules, occurred_in_bundle))
            .expect("a generated bundle verifies");
        let views = rt.lanes(&facts);
        for (lane, _, _) in LANES {
            let view = views.iter().find(|v| v.lane == lane).unwrap();
            for action in ACTIONS.iter().copied().chain(["nope"]) {
                let grants: Vec<_> = view.grants.iter().filter(|g| g.action == action).collect();
                let mut allowed_any = false;
                for req in presentations(lane, action) {
                    let d = rt.decide(&req, &facts);
                    let e = rt.explain(&req, &facts);
                    // explain's verdict is decide's, and its failed steps are the reasons.
                    prop_assert_eq!(&e.decision, &d);
                    let deciding = d.rule.as_ref().map(|r| r.id.clone());
                    let failed: Vec<ReasonCode> = e.steps.iter()
                        .filter(|s| s.outcome == StepOutcome::Fail && (s.rule.is_none() || s.rule == deciding))
                        .filter_map(|s| s.reason)
                        .collect();
                    let codes: Vec<ReasonCode> = d.reasons.iter().map(|r| r.code).collect();
                    prop_assert_eq!(failed, codes, "{}", e.to_text());
                    prop_assert_eq!(d.is_allow(), d.reasons.is_empty());
                    if d.is_allow() {
                        allowed_any = true;
                        // Only a grant the read model shows can allow.
                        let by = deciding.clone().unwrap();
                        prop_assert!(grants.iter().any(|g| g.rule == by),
                            "{lane} {action} allowed by {by}, not a grant in the read model: {:?}", view);
                    }
                }
                // Nothing closed is allowed, whatever is presented.
                if grants.is_empty() {
                    prop_assert!(!allowed_any, "{lane} {action}: closed in the read model but allowed");
                }
                // A grant with phrase P and proofs Q is allowed with exactly P and Q...
                for g in &grants {
                    let mut req = Request::new(lane, action);
                    req.confirm = g.confirm.clone();
                    for p in &g.requires {
                        req = req.proof(p.clone(), "rec-1");
                    }
                    let d = rt.decide(&req, &facts);
                    prop_assert!(d.is_allow(), "{lane} {action}: grant {:?} denied: {:?}", g, d.reasons);
                    // ...and not without any one of them.
                    if g.confirm.is_some() {
                        let mut without = req.clone();
                        without.confirm = None;
                        let other = grants.iter().any(|o| o.confirm.is_none() && o.requires.iter().all(|p| g.requires.contains(p)));
                        prop_assert_eq!(rt.decide(&without, &facts).is_allow(), other);
                    }
                    for p in &g.requires {
                        let mut without = req.clone();
                        without.proofs.remove(p);
                        let other = grants.iter().any(|o| !o.requires.contains(p)
                            && (o.confirm.is_none() || o.confirm == g.confirm)
                            && o.requires.iter().all(|q| g.requires.contains(q)));
                        prop_assert_eq!(rt.decide(&without, &facts).is_allow(), other);
                    }
                }
            }
        }
    }
}

#[test]
fn a_blank_phrase_or_proof_is_not_presented() {
    let lanes = vec![
        GenLane {
            production: true,
            live: true,
            authority: 3,
            sources: 1,
            upstream: None,
        };
        4
    ];
    let rules = vec![GenRule {
        allow: true,
        lanes: 1,
        actions: 1,
        until_event: None,
        until_date: Some("2099-12-31"),
        phrase: 1,
        requires: 0,
    }];
    let rt = Runtime::from_bytes(&bundle_bytes(&lanes, &rules, false)).unwrap();
    let facts = Facts::at("2026-12-01T00:00:00Z".parse().unwrap());
    let ok = Request::new("a/prod", "wipe")
        .confirm("go a/prod")
        .proof("backup_proof", "bk-1")
        .proof("restore_proof", "rs-1");
    assert!(rt.decide(&ok, &facts).is_allow());
    for blank in [
        "",
        "   ",
        "\u{200b}",
        "\u{2060}\u{feff}",
        "\u{e0041}",
        "\u{115f}",
        " \u{3164} ",
    ] {
        let d = rt.decide(&ok.clone().proof("backup_proof", blank), &facts);
        assert_eq!(
            d.reasons.iter().map(|r| r.code).collect::<Vec<_>>(),
            [ReasonCode::ProofRequired],
            "{blank:?}"
        );
        let d = rt.decide(&ok.clone().confirm(blank), &facts);
        assert_eq!(
            d.reasons.iter().map(|r| r.code).collect::<Vec<_>>(),
            [ReasonCode::ConfirmationRequired],
            "{blank:?}"
        );
    }
}

#[test]
fn a_bundle_with_an_invisible_phrase_is_refused_at_load() {
    let lanes = vec![
        GenLane {
            production: false,
            live: false,
            authority: 1,
            sources: 1,
            upstream: None,
        };
        4
    ];
    let rules = vec![GenRule {
        allow: true,
        lanes: 3,
        actions: 1,
        until_event: Some(0),
        until_date: None,
        phrase: 2,
        requires: 0,
    }];
    let err = Runtime::from_bytes(&bundle_bytes(&lanes, &rules, false)).unwrap_err();
    assert!(err.to_string().contains("empty phrase"), "{err}");
}

#[test]
fn the_decision_shows_the_facts_it_used_and_what_they_retired() {
    let lanes = vec![
        GenLane {
            production: false,
            live: false,
            authority: 1,
            sources: 1,
            upstream: None,
        };
        4
    ];
    // r0 allows wipe on a/prod until launch; r1 is a freeze until cutover.
    let rules = vec![
        GenRule {
            allow: true,
            lanes: 1,
            actions: 1,
            until_event: Some(0),
            until_date: None,
            phrase: 0,
            requires: 0,
        },
        GenRule {
            allow: false,
            lanes: 1,
            actions: 1,
            until_event: Some(1),
            until_date: None,
            phrase: 0,
            requires: 0,
        },
    ];
    let rt = Runtime::from_bytes(&bundle_bytes(&lanes, &rules, false)).unwrap();
    let base = Facts::at("2026-12-01T00:00:00Z".parse().unwrap());
    let req = Request::new("a/prod", "wipe");
    assert_eq!(
        rt.decide(&req, &base).reasons[0].code,
        ReasonCode::DeniedByRule
    );
    // The freeze ends at cutover, as its `until` says; the decision says so.
    let cut = base.clone().with_occurred("prod-a", "cutover");
    let d = rt.decide(&req, &cut);
    assert!(d.is_allow());
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["facts"]["occurred"], json!(["prod-a:cutover"]));
    assert_eq!(json["facts"]["now"], "2026-12-01T00:00:00Z");
    assert_eq!(
        json["retired"],
        json!([{"rule": "000000000001", "effect": "deny",
                "by": {"kind": "event", "product": "prod-a", "event": "cutover", "source": "facts"}}])
    );
    // Launch retires the grant; facts about another product are not shown.
    let both = cut
        .with_occurred("prod-a", "launch")
        .with_occurred("prod-b", "launch");
    let d = rt.decide(&req, &both);
    assert_eq!(d.reasons[0].code, ReasonCode::RuleRetired);
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(
        json["facts"]["occurred"],
        json!(["prod-a:cutover", "prod-a:launch"])
    );
    assert_eq!(json["retired"].as_array().unwrap().len(), 2);
}

#[test]
fn an_upstream_restore_needs_the_lanes_upstream_source() {
    let lane = |upstream| GenLane {
        production: false,
        live: false,
        authority: 2,
        sources: 2,
        upstream,
    };
    let rules = vec![GenRule {
        allow: true,
        lanes: 0b1111,
        actions: 0b10,
        until_event: Some(0),
        until_date: None,
        phrase: 0,
        requires: 0,
    }];
    let facts = Facts::at("2026-12-01T00:00:00Z".parse().unwrap());
    let lanes = vec![
        lane(Some(true)),
        lane(None),
        lane(Some(false)),
        lane(Some(true)),
    ];
    let rt = Runtime::from_bytes(&bundle_bytes(&lanes, &rules, false)).unwrap();
    let codes = |l: &str| {
        rt.decide(&Request::new(l, "restore"), &facts)
            .reasons
            .iter()
            .map(|r| r.code)
            .collect::<Vec<_>>()
    };
    assert_eq!(codes("a/prod"), []);
    assert_eq!(codes("a/test"), [ReasonCode::SourceNotAllowed]);
    assert_eq!(codes("b/prod"), [ReasonCode::SourceNotAllowed]);
    // The read model shows the two as closed, not as grants.
    let views = rt.lanes(&facts);
    let grants = |l: &str| views.iter().find(|v| v.lane == l).unwrap().grants.len();
    assert_eq!(
        (grants("a/prod"), grants("a/test"), grants("b/prod")),
        (1, 0, 0)
    );
}

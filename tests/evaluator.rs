//! One evaluator: over generated bundles, requests and facts, `explain`
//! tells the story `decide` decides, the read model shows exactly what
//! `decide` asks for, and nothing the read model shows as closed is allowed.

use lanepolicy::bundle;
use lanepolicy::model::Phase;
use lanepolicy::runtime::{Facts, Outcome, ReasonCode, Request, Runtime};
use proptest::prelude::*;
use serde_json::{Value, json};

const LANES: [(&str, &str, &str); 4] = [
    ("a/prod", "prod-a", "a"),
    ("a/test", "prod-a", "a"),
    ("b/prod", "prod-b", "b"),
    ("b/test", "prod-b", "b"),
];
const ACTIONS: [&str; 3] = ["wipe", "restore", "deploy"];
const EVENTS: [&str; 2] = ["launch", "cutover"];
const PROOFS: [&str; 2] = ["backup_proof", "restore_proof"];

/// One generated rule: effect, lanes and actions (bit sets), retirement,
/// phrase kind, proofs.
#[derive(Clone, Debug)]
struct GenRule {
    allow: bool,
    lanes: u8,
    actions: u8,
    until_event: Option<usize>,
    until_date: Option<&'static str>,
    /// 0: no phrase; 1: a phrase per lane; 2: one lane's phrase is invisible.
    phrase: u8,
    requires: u8,
}

fn gen_rule() -> impl Strategy<Value = GenRule> {
    (
        prop::bool::weighted(0.75),
        1u8..16,
        1u8..8,
        prop::option::of(0usize..2),
        prop::option::of(prop::sample::select(vec!["2020-01-01", "2099-12-31"])),
        // Kind 2 (an invisible phrase) is refused at load: see below.
        0u8..2,
        0u8..4,
    )
        .prop_map(
            |(allow, lanes, actions, until_event, until_date, phrase, requires)| GenRule {
                allow,
                lanes,
                actions,
                until_event,
                until_date,
                phrase,
                requires,
            },
        )
}

#[derive(Clone, Debug)]
struct GenLane {
    production: bool,
    live: bool,
    /// unknown, resettable, restorable, authoritative
    authority: usize,
    sources: u8,
    /// Whether the lane names an `upstream_source` (or a blank one).
    upstream: Option<bool>,
}

fn gen_lane() -> impl Strategy<Value = GenLane> {
    (
        any::<bool>(),
        any::<bool>(),
        0usize..4,
        0u8..4,
        prop::option::of(prop::bool::weighted(0.8)),
    )
        .prop_map(|(production, live, authority, sources, upstream)| GenLane {
            production,
            live,
            authority,
            sources,
            upstream,
        })
}

fn bits<'a, T: Copy>(mask: u8, items: &'a [T]) -> impl Iterator<Item = T> + 'a {
    items
        .iter()
        .enumerate()
        .filter(move |(n, _)| mask & (1 << n) != 0)
        .map(|(_, t)| *t)
}

/// A sealed bundle over the four lanes, the three actions, and `rules`.
fn bundle_bytes(lanes: &[GenLane], rules: &[GenRule], occurred_in_bundle: bool) -> Vec<u8> {
    let authorities = ["unknown", "resettable", "restorable", "authoritative"];
    let mut lane_map = serde_json::Map::new();
    for ((key, product, context), g) in LANES.iter().zip(lanes) {
        let sources: Vec<&str> = bits(g.sources, &["empty", "upstream_restore"]).collect();
        let mut lane = json!({
                "product": product, "context": context,
                "instance": key.split('/').nth(1).unwrap(),
                "production": g.production,
                "phase": if g.live { "live" } else { "prelaunch" },
                "data_authority": authorities[g.authority],
                "allowed_sources": sources,
        });
        match g.upstream {
            Some(true) => lane["upstream_source"] = Value::from(format!("{key}-upstream")),
            Some(false) => lane["upstream_source"] = Value::from(" \u{200b}"),
            None => {}
        }
        lane_map.insert(key.to_string(), lane);
    }
    let state = if occurred_in_bundle {
        "occurred"
    } else {
        "pending"
    };
    let rules: Vec<Value> = rules
        .iter()
        .enumerate()
        .map(|(n, r)| {
            let lanes: Vec<&str> = bits(r.lanes, &LANES.map(|l| l.0)).collect();
            let confirm = match r.phrase {
                0 => Value::Null,
                kind => {
                    let mut m = serde_json::Map::new();
                    for (i, l) in lanes.iter().enumerate() {
                        let p = if kind == 2 && i == 0 {
                            "\u{200b}".to_string()
                        } else {
                            format!("go {l}")
                        };
                        m.insert(l.to_string(), Value::from(p));
                    }
                    Value::Object(m)
                }
            };
            json!({
                "id": format!("{n:012x}"),
                "effect": if r.allow { "allow" } else { "deny" },
                "actions": bits(r.actions, &ACTIONS).collect::<Vec<_>>(),
                "patterns": lanes, "lanes": lanes,
                "until": {
                    "events": r.until_event.map(|e| vec![EVENTS[e]]).unwrap_or_default(),
                    "dates": r.until_date.map(|d| vec![d]).unwrap_or_default(),
                },
                "issue": {"ref": "#1", "url": "https://example.com/issues/1"},
                "confirm": confirm,
                "requires": bits(r.requires, &PROOFS).collect::<Vec<_>>(),
                "reason": null, "doc": null, "suppressions": [],
                "source": {"path": "p.policy", "line": n + 1, "column": 1},
            })
        })
        .collect();
    let mut v = json!({
        "format": "lanepolicy-bundle", "version": 1, "digest": "",
        "sources": [], "issues": null,
        "actions": {
            "wipe": {"operation": "stable_bootstrap", "data_source": "empty", "destructive": true},
            "restore": {"operation": "target_replacement", "data_source": "upstream_restore", "destructive": true},
            "deploy": {"operation": "deploy", "data_source": null, "destructive": false},
        },
        "products": {
            "prod-a": {"context": "a", "events": {"launch": state, "cutover": "pending"}},
            "prod-b": {"context": "b", "events": {"launch": "pending", "cutover": "pending"}},
        },
        "lanes": lane_map,
        "rules": rules,
    });
    v["digest"] = Value::from(bundle::digest_of(&v));
    serde_json::to_vec(&v).unwrap()
}

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
                        .filter(|s| s.outcome == Outcome::Fail && (s.rule.is_none() || s.rule == deciding))
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

//! Generated bundles shared by the property tests of the evaluator and
//! the effective diff: four lanes in two products, three actions, two
//! events, and rules over any subset of them.

use lanepolicy::bundle;
use proptest::prelude::*;
use serde_json::{Value, json};

pub const LANES: [(&str, &str, &str); 4] = [
    ("a/prod", "prod-a", "a"),
    ("a/test", "prod-a", "a"),
    ("b/prod", "prod-b", "b"),
    ("b/test", "prod-b", "b"),
];
pub const ACTIONS: [&str; 3] = ["wipe", "restore", "deploy"];
pub const EVENTS: [&str; 2] = ["launch", "cutover"];
pub const PROOFS: [&str; 2] = ["backup_proof", "restore_proof"];

/// One generated rule: effect, lanes and actions (bit sets), retirement,
/// phrase kind, proofs.
#[derive(Clone, Debug)]
pub struct GenRule {
    pub allow: bool,
    pub lanes: u8,
    pub actions: u8,
    pub until_event: Option<usize>,
    pub until_date: Option<&'static str>,
    /// 0: no phrase; 1: a phrase per lane; 2: one lane's phrase is invisible.
    pub phrase: u8,
    pub requires: u8,
}

pub fn gen_rule() -> impl Strategy<Value = GenRule> {
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
pub struct GenLane {
    pub production: bool,
    pub live: bool,
    /// unknown, resettable, restorable, authoritative
    pub authority: usize,
    pub sources: u8,
    /// Whether the lane names an `upstream_source` (or a blank one).
    pub upstream: Option<bool>,
}

pub fn gen_lane() -> impl Strategy<Value = GenLane> {
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

pub fn bits<'a, T: Copy>(mask: u8, items: &'a [T]) -> impl Iterator<Item = T> + 'a {
    items
        .iter()
        .enumerate()
        .filter(move |(n, _)| mask & (1 << n) != 0)
        .map(|(_, t)| *t)
}

/// A sealed bundle over the four lanes, the three actions, and `rules`.
pub fn bundle_bytes(lanes: &[GenLane], rules: &[GenRule], occurred_in_bundle: bool) -> Vec<u8> {
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
            Some(false) => lane["upstream_source"] = Value::from("  "),
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

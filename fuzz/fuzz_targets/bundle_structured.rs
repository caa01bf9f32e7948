#![no_main]
//! Structure-aware bundle fuzzing: start from a real bundle, change values
//! anywhere in its JSON tree (with words taken from the bundles themselves
//! and a few hostile ones), re-seal the digest with the crate's own
//! canonical JSON, then load it and check it with
//! `lanepolicy_fuzz::bundle_bytes_with`, adding requests and facts that
//! the input chooses.
//!
//! With `LANEPOLICY_FUZZ_DUMP=FILE` set, the sealed bundle is written to
//! FILE: that is how a finding becomes a fixture under
//! `tests/fixtures/fuzz/bundle_structured/`.

use arbitrary::{Arbitrary, Unstructured};
use lanepolicy::model::Phase;
use lanepolicy::runtime::{Facts, Request};
use lanepolicy_fuzz::{BASE_BUNDLES, bundle_bytes_with, reseal};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::sync::OnceLock;

/// Hostile words, besides every string in the base bundles.
const SPECIAL: &[&str] = &[
    "",
    " ",
    "\u{200b}",
    "\u{202e}",
    "\u{feff}",
    "allow",
    "deny",
    "prelaunch",
    "live",
    "pending",
    "occurred",
    "empty",
    "upstream_restore",
    "unknown",
    "resettable",
    "restorable",
    "authoritative",
    "9999-12-31",
    "-009999-01-01",
    "0000-01-01",
    "2026-11-30",
    "2026-12-01",
    "2026-12-02",
    "2026-02-30",
    "backup_proof",
    "restore_proof",
    "*/*",
    "cm/*",
    "a/b/c",
    "/",
    "launch",
    "stable_bootstrap",
    "sha256:",
];

struct Bases {
    values: Vec<Value>,
    words: Vec<String>,
}

fn bases() -> &'static Bases {
    static B: OnceLock<Bases> = OnceLock::new();
    B.get_or_init(|| {
        let values: Vec<Value> = BASE_BUNDLES
            .iter()
            .map(|b| serde_json::from_slice(b).expect("a base bundle is JSON"))
            .collect();
        let mut words: Vec<String> = SPECIAL.iter().map(|s| s.to_string()).collect();
        fn collect(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::String(s) => out.push(s.clone()),
                Value::Array(a) => a.iter().for_each(|v| collect(v, out)),
                Value::Object(m) => m.iter().for_each(|(k, v)| {
                    out.push(k.clone());
                    collect(v, out)
                }),
                _ => {}
            }
        }
        for v in &values {
            collect(v, &mut words);
        }
        words.sort();
        words.dedup();
        Bases { values, words }
    })
}

#[derive(Arbitrary, Debug)]
enum Leaf {
    Word(u16),
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
    EmptyArray,
    EmptyObject,
    /// A copy of another node of the tree.
    Copy(Vec<u16>),
}

#[derive(Arbitrary, Debug)]
enum Mutation {
    /// Replace the node at the path.
    Set(Vec<u16>, Leaf),
    /// Remove the node at the path from its object or array.
    Remove(Vec<u16>),
    /// Insert into the object or array at the path.
    Insert(Vec<u16>, u16, Leaf),
    /// Append a copy of rule `n`, its effect flipped or not.
    CloneRule(u16, bool),
    /// Flip rule `n`'s effect.
    FlipEffect(u16),
    /// Add a lane of the bundle to rule `n`'s lanes (and a phrase for it).
    AddLane(u16, u16, Option<u16>),
}

#[derive(Arbitrary, Debug)]
struct Query {
    lane: u16,
    action: u16,
    confirm: Option<u16>,
    proofs: Vec<(u16, u16)>,
    now: i64,
    occurred: Vec<(u16, u16)>,
    live: Vec<u16>,
}

#[derive(Arbitrary, Debug)]
struct Input {
    base: u8,
    mutations: Vec<Mutation>,
    queries: Vec<Query>,
    canonical: bool,
}

fn word(n: u16) -> String {
    let w = &bases().words;
    w[usize::from(n) % w.len()].clone()
}

/// The node at `path`, walking objects by key position and arrays by index.
fn node<'a>(v: &'a mut Value, path: &[u16]) -> &'a mut Value {
    let Some((&step, rest)) = path.split_first() else {
        return v;
    };
    let len = match &*v {
        Value::Object(m) => m.len(),
        Value::Array(a) => a.len(),
        _ => 0,
    };
    if len == 0 {
        return v;
    }
    let k = usize::from(step) % len;
    match v {
        Value::Object(m) => node(m.values_mut().nth(k).expect("k is below the length"), rest),
        Value::Array(a) => node(&mut a[k], rest),
        other => other,
    }
}

fn leaf(root: &Value, l: &Leaf) -> Value {
    match l {
        Leaf::Word(n) => Value::String(word(*n)),
        Leaf::Text(s) => Value::String(s.clone()),
        Leaf::Int(i) => Value::from(*i),
        Leaf::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Leaf::Bool(b) => Value::Bool(*b),
        Leaf::Null => Value::Null,
        Leaf::EmptyArray => Value::Array(Vec::new()),
        Leaf::EmptyObject => Value::Object(serde_json::Map::new()),
        Leaf::Copy(path) => {
            let mut copy = root.clone();
            node(&mut copy, path).clone()
        }
    }
}

fn rules(v: &mut Value) -> Option<&mut Vec<Value>> {
    v.get_mut("rules")?.as_array_mut()
}

fn apply(root: &mut Value, m: &Mutation) {
    match m {
        Mutation::Set(path, l) => {
            let new = leaf(root, l);
            *node(root, path) = new;
        }
        Mutation::Remove(path) => {
            let Some((last, parent)) = path.split_last() else {
                return;
            };
            match node(root, parent) {
                Value::Object(map) if !map.is_empty() => {
                    let k = usize::from(*last) % map.len();
                    let key = map.keys().nth(k).cloned().unwrap_or_default();
                    map.remove(&key);
                }
                Value::Array(a) if !a.is_empty() => {
                    let k = usize::from(*last) % a.len();
                    a.remove(k);
                }
                _ => {}
            }
        }
        Mutation::Insert(path, key, l) => {
            let new = leaf(root, l);
            match node(root, path) {
                Value::Object(map) => {
                    map.insert(word(*key), new);
                }
                Value::Array(a) => {
                    let k = usize::from(*key) % (a.len() + 1);
                    a.insert(k, new);
                }
                _ => {}
            }
        }
        Mutation::CloneRule(n, flip) => {
            let Some(rs) = rules(root) else { return };
            if rs.is_empty() {
                return;
            }
            let mut r = rs[usize::from(*n) % rs.len()].clone();
            if *flip {
                flip_effect(&mut r);
            }
            rs.push(r);
        }
        Mutation::FlipEffect(n) => {
            let Some(rs) = rules(root) else { return };
            if rs.is_empty() {
                return;
            }
            let k = usize::from(*n) % rs.len();
            flip_effect(&mut rs[k]);
        }
        Mutation::AddLane(n, lane, phrase) => {
            let lanes: Vec<String> = root
                .get("lanes")
                .and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            if lanes.is_empty() {
                return;
            }
            let lane = lanes[usize::from(*lane) % lanes.len()].clone();
            let Some(rs) = rules(root) else { return };
            if rs.is_empty() {
                return;
            }
            let k = usize::from(*n) % rs.len();
            let r = &mut rs[k];
            if let Some(a) = r.get_mut("lanes").and_then(Value::as_array_mut) {
                a.push(Value::String(lane.clone()));
            }
            if let (Some(p), Some(c)) =
                (phrase, r.get_mut("confirm").and_then(Value::as_object_mut))
            {
                c.insert(lane, Value::String(word(*p)));
            }
        }
    }
}

fn flip_effect(r: &mut Value) {
    if let Some(e) = r.get_mut("effect") {
        *e = Value::String(if e == "allow" { "deny" } else { "allow" }.into());
    }
}

fn pick<'a>(names: &'a [String], n: u16) -> Option<&'a String> {
    (!names.is_empty()).then(|| &names[usize::from(n) % names.len()])
}

/// Requests and facts for the bundle, from the input's queries: names the
/// bundle has (or, past the end of its lists, dictionary words).
fn queries(v: &Value, qs: &[Query]) -> Vec<(Request, Facts)> {
    let keys = |field: &str| -> Vec<String> {
        v.get(field)
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let lanes = keys("lanes");
    let actions = keys("actions");
    let products = keys("products");
    let name = |names: &[String], n: u16| -> String {
        if usize::from(n) < names.len() * 4 {
            pick(names, n).cloned().unwrap_or_default()
        } else {
            word(n)
        }
    };
    let mut out = Vec::new();
    for q in qs.iter().take(8) {
        let mut req = Request::new(name(&lanes, q.lane), name(&actions, q.action));
        if let Some(c) = q.confirm {
            req = req.confirm(word(c));
        }
        for (p, id) in q.proofs.iter().take(4) {
            req = req.proof(word(*p), word(*id));
        }
        let now = jiff::Timestamp::from_second(q.now % 253_402_300_799)
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let mut facts = Facts::at(now);
        for (p, e) in q.occurred.iter().take(4) {
            facts = facts.with_occurred(name(&products, *p), word(*e));
        }
        for l in q.live.iter().take(4) {
            facts = facts.with_phase(name(&lanes, *l), Phase::Live);
        }
        out.push((req, facts));
    }
    out
}

fn run(input: &Input) -> Vec<u8> {
    let b = bases();
    let mut v = b.values[usize::from(input.base) % b.values.len()].clone();
    for m in input.mutations.iter().take(12) {
        apply(&mut v, m);
    }
    let extra = queries(&v, &input.queries);
    let bytes = if input.canonical {
        let mut sealed: Value = serde_json::from_slice(&reseal(v)).expect("sealed JSON");
        lanepolicy::bundle::canonical_json(&sealed.take()).into_bytes()
    } else {
        reseal(v)
    };
    if let Ok(path) = std::env::var("LANEPOLICY_FUZZ_DUMP") {
        let _ = std::fs::write(path, &bytes);
    }
    bundle_bytes_with(&bytes, &extra);
    bytes
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    if let Ok(input) = Input::arbitrary(&mut u) {
        run(&input);
    }
});

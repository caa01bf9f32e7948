//! The semantic difference between two bundles (`lanepolicy diff`): what
//! each (lane, action) pair may do before and after, and what changed in
//! the lanes, actions and events the decisions read.
//!
//! A grant is an `allow` rule's permission for one lane and one action: its
//! issue, retirement, the lane's phrase and the proofs it requires. Rules
//! are compared by what they grant, never by id or position, so a rule
//! moved to another file, reformatted or rewritten with a wildcard that
//! matches the same lanes is no change. Denies are compared the same way.

use super::{Bundle, IssueLink, Rule};
use crate::model::Effect;
use crate::model::normalize_phrase;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// What one rule grants (or denies) one lane for one action. Ordered, so
/// that sets of terms compare deterministically.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Term {
    /// The approval issue.
    pub issue: Option<Issue>,
    /// Retirement: events, then dates.
    pub until: Vec<String>,
    /// The lane's confirmation phrase, if one is asked.
    pub confirm: Option<String>,
    /// Proofs the rule requires.
    pub requires: Vec<String>,
    /// A deny's reason text.
    pub reason: Option<String>,
    /// The guards it shipped without: `CODE name (severity)` of each
    /// lowered check that found something on its rule, sorted. Left out of
    /// the JSON when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unguarded: Vec<String>,
    /// The rule that says it, in the bundle it comes from (not compared).
    #[serde(skip)]
    pub rule: String,
}

/// An issue reference and its URL, ordered.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Issue {
    /// As written.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Resolved URL.
    pub url: String,
}

impl From<&IssueLink> for Issue {
    fn from(i: &IssueLink) -> Self {
        Issue {
            reference: i.reference.clone(),
            url: i.url.clone(),
        }
    }
}

impl Term {
    /// Whether two terms grant (or deny) the same: everything but the rule id.
    fn same(&self, other: &Term) -> bool {
        self.issue == other.issue
            && self.until == other.until
            && self.confirm.as_deref().map(normalize_phrase)
                == other.confirm.as_deref().map(normalize_phrase)
            && self.requires == other.requires
            && self.reason == other.reason
            && self.unguarded == other.unguarded
    }
}

/// How a (lane, action) pair changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Nothing before, something after.
    Added,
    /// Something before, nothing after.
    Removed,
    /// Something before and after, but not the same.
    Changed,
}

impl Change {
    /// `added`, `removed` or `changed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Changed => "changed",
        }
    }
}

/// One field that differs between the old and the new term.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    /// For a term: `issue`, `until`, `confirm`, `requires` or `reason`; for
    /// a lane or an action, the field's name; for an event, `state`.
    pub field: String,
    /// Before, as JSON.
    pub old: serde_json::Value,
    /// After, as JSON.
    pub new: serde_json::Value,
}

/// A change to what one (lane, action) pair is granted or denied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PairChange {
    /// Added, removed or changed.
    pub change: Change,
    /// The lane.
    pub lane: String,
    /// The action.
    pub action: String,
    /// The terms before (empty when added), sorted.
    pub old: Vec<Term>,
    /// The terms after (empty when removed), sorted.
    pub new: Vec<Term>,
    /// For a change of one term into one term: the fields that differ.
    pub fields: Vec<FieldChange>,
}

/// A change to a lane, an action or a product event, field by field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ItemChange {
    /// Added, removed or changed.
    pub change: Change,
    /// `lane`, `action` or `event`.
    pub kind: &'static str,
    /// The lane key, the action name, or `product:event`.
    pub name: String,
    /// For a changed item: the fields that differ.
    pub fields: Vec<FieldChange>,
}

/// The semantic difference between two bundles (`diff --format json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BundleDiff {
    /// The old bundle's digest.
    pub old: String,
    /// The new bundle's digest.
    pub new: String,
    /// Grant changes, by lane then action.
    pub grants: Vec<PairChange>,
    /// Deny changes, by lane then action.
    pub denies: Vec<PairChange>,
    /// Lanes, actions and events that changed, by kind then name.
    pub inventory: Vec<ItemChange>,
    /// Checks whose lowering by the configuration changed (kind `check`,
    /// by code; fields `default` and `severity`). Left out of the JSON
    /// when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub guards: Vec<ItemChange>,
}

impl BundleDiff {
    /// True when the bundles decide alike.
    pub fn is_empty(&self) -> bool {
        self.grants.is_empty()
            && self.denies.is_empty()
            && self.inventory.is_empty()
            && self.guards.is_empty()
    }
}

type Pairs = BTreeMap<(String, String), Vec<Term>>;

/// A rule's retirement conditions in a canonical order: `until a or b`
/// and `until b or a` are the same condition.
fn until(r: &Rule) -> Vec<String> {
    let mut events = r.until.events.clone();
    events.sort();
    let mut dates = r.until.dates.clone();
    dates.sort();
    events.into_iter().chain(dates).collect()
}

/// The terms of every (lane, action) pair, for allows and for denies.
fn pairs(b: &Bundle) -> (Pairs, Pairs) {
    let (mut allows, mut denies) = (Pairs::new(), Pairs::new());
    for r in &b.rules {
        let into = match r.effect {
            Effect::Allow => &mut allows,
            Effect::Deny => &mut denies,
        };
        for lane in &r.lanes {
            for action in &r.actions {
                let mut requires = r.requires.clone();
                requires.sort();
                let mut unguarded: Vec<String> = r
                    .lowered_findings
                    .iter()
                    .map(|f| format!("{} {} ({})", f.code, f.name, f.severity))
                    .collect();
                unguarded.sort();
                unguarded.dedup();
                into.entry((lane.clone(), action.clone()))
                    .or_default()
                    .push(Term {
                        issue: r.issue.as_ref().map(Issue::from),
                        until: until(r),
                        confirm: r.confirm.as_ref().and_then(|m| m.get(lane).cloned()),
                        requires,
                        reason: r.reason.clone(),
                        unguarded,
                        rule: r.id.clone(),
                    });
            }
        }
    }
    for terms in allows.values_mut().chain(denies.values_mut()) {
        terms.sort();
        terms.dedup_by(|a, b| a.same(b));
    }
    (allows, denies)
}

fn json<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or_default()
}

fn field_changes(old: &Term, new: &Term) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let mut cmp = |field: &str, a: serde_json::Value, b: serde_json::Value| {
        if a != b {
            out.push(FieldChange {
                field: field.to_string(),
                old: a,
                new: b,
            });
        }
    };
    cmp("issue", json(&old.issue), json(&new.issue));
    cmp("until", json(&old.until), json(&new.until));
    // Phrases compare as the runtime compares them (trimmed, lower-cased).
    if old.confirm.as_deref().map(normalize_phrase) != new.confirm.as_deref().map(normalize_phrase)
    {
        cmp("confirm", json(&old.confirm), json(&new.confirm));
    }
    cmp("requires", json(&old.requires), json(&new.requires));
    cmp("reason", json(&old.reason), json(&new.reason));
    cmp("unguarded", json(&old.unguarded), json(&new.unguarded));
    out
}

fn compare_pairs(old: &Pairs, new: &Pairs) -> Vec<PairChange> {
    let keys: BTreeSet<&(String, String)> = old.keys().chain(new.keys()).collect();
    let mut out = Vec::new();
    for key in keys {
        let empty = Vec::new();
        let a = old.get(key).unwrap_or(&empty);
        let b = new.get(key).unwrap_or(&empty);
        let same = a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(y));
        if same {
            continue;
        }
        let change = match (a.is_empty(), b.is_empty()) {
            (true, _) => Change::Added,
            (_, true) => Change::Removed,
            _ => Change::Changed,
        };
        let fields = match (a.as_slice(), b.as_slice()) {
            ([x], [y]) => field_changes(x, y),
            _ => Vec::new(),
        };
        out.push(PairChange {
            change,
            lane: key.0.clone(),
            action: key.1.clone(),
            old: a.clone(),
            new: b.clone(),
            fields,
        });
    }
    out
}

fn compare_items<T: Serialize>(
    kind: &'static str,
    old: &BTreeMap<String, T>,
    new: &BTreeMap<String, T>,
    out: &mut Vec<ItemChange>,
) {
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for key in keys {
        let (change, fields) = match (old.get(key), new.get(key)) {
            (None, Some(_)) => (Change::Added, Vec::new()),
            (Some(_), None) => (Change::Removed, Vec::new()),
            (Some(a), Some(b)) => {
                let (a, b) = (json(a), json(b));
                if a == b {
                    continue;
                }
                let (ma, mb) = (
                    a.as_object().cloned().unwrap_or_default(),
                    b.as_object().cloned().unwrap_or_default(),
                );
                let names: BTreeSet<&String> = ma.keys().chain(mb.keys()).collect();
                let fields = names
                    .into_iter()
                    .filter(|n| ma.get(*n) != mb.get(*n))
                    .map(|n| FieldChange {
                        field: n.clone(),
                        old: ma.get(n).cloned().unwrap_or_default(),
                        new: mb.get(n).cloned().unwrap_or_default(),
                    })
                    .collect();
                (Change::Changed, fields)
            }
            (None, None) => continue,
        };
        out.push(ItemChange {
            change,
            kind,
            name: key.clone(),
            fields,
        });
    }
}

/// The change of each check the configuration lowered in one bundle and
/// not (or otherwise) in the other: `added` when it is newly lowered,
/// `removed` when it is back at its default, `changed` otherwise; the
/// field `severity` says from what to what (a check not lowered has its
/// default severity).
fn compare_guards(old: &Bundle, new: &Bundle) -> Vec<ItemChange> {
    let lowered = |b: &Bundle| -> BTreeMap<String, (String, String)> {
        b.lowered_checks
            .iter()
            .map(|c| {
                (
                    format!("{} {}", c.code, c.name),
                    (c.default.clone(), c.severity.clone()),
                )
            })
            .collect()
    };
    let (a, b) = (lowered(old), lowered(new));
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let mut out = Vec::new();
    for key in keys {
        let (change, before, after) = match (a.get(key), b.get(key)) {
            (Some(x), Some(y)) if x == y => continue,
            (Some((_, x)), Some((_, y))) => (Change::Changed, x.clone(), y.clone()),
            (None, Some((default, y))) => (Change::Added, default.clone(), y.clone()),
            (Some((default, x)), None) => (Change::Removed, x.clone(), default.clone()),
            (None, None) => continue,
        };
        out.push(ItemChange {
            change,
            kind: "check",
            name: key.clone(),
            fields: vec![FieldChange {
                field: "severity".into(),
                old: before.into(),
                new: after.into(),
            }],
        });
    }
    out
}

/// The semantic difference from `old` to `new`.
pub fn diff(old: &Bundle, new: &Bundle) -> BundleDiff {
    let (old_allows, old_denies) = pairs(old);
    let (new_allows, new_denies) = pairs(new);
    let mut inventory = Vec::new();
    compare_items("lane", &old.lanes, &new.lanes, &mut inventory);
    compare_items("action", &old.actions, &new.actions, &mut inventory);
    let events = |b: &Bundle| -> BTreeMap<String, String> {
        b.products
            .iter()
            .flat_map(|(p, prod)| {
                prod.events.iter().map(move |(e, state)| {
                    (
                        format!("{p}:{e}"),
                        json(state).as_str().unwrap_or_default().to_string(),
                    )
                })
            })
            .collect()
    };
    let (old_events, new_events) = (events(old), events(new));
    let keys: BTreeSet<&String> = old_events.keys().chain(new_events.keys()).collect();
    for key in keys {
        let (a, b) = (old_events.get(key), new_events.get(key));
        if a == b {
            continue;
        }
        let change = match (a, b) {
            (None, _) => Change::Added,
            (_, None) => Change::Removed,
            _ => Change::Changed,
        };
        inventory.push(ItemChange {
            change,
            kind: "event",
            name: key.clone(),
            fields: vec![FieldChange {
                field: "state".into(),
                old: json(&a),
                new: json(&b),
            }],
        });
    }
    let guards = compare_guards(old, new);
    BundleDiff {
        guards,
        old: old.digest.clone(),
        new: new.digest.clone(),
        grants: compare_pairs(&old_allows, &new_allows),
        denies: compare_pairs(&old_denies, &new_denies),
        inventory,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::LoweredCheck;
    use serde_json::Value;

    fn lowered(code: &str, name: &str, default: &str, severity: &str) -> LoweredCheck {
        LoweredCheck {
            code: code.into(),
            name: name.into(),
            default: default.into(),
            severity: severity.into(),
        }
    }

    #[test]
    fn a_change_of_guards_alone_is_a_change() {
        let real = crate::bundle::load(include_bytes!("../../tests/fixtures/bundles/real.json"))
            .expect("the real bundle loads");
        let mut new = real.clone();
        new.lowered_checks = vec![
            lowered("L001", "missing-issue", "error", "off"),
            lowered("L012", "wildcard-touches-production", "warning", "off"),
        ];
        let mut old = real.clone();
        old.lowered_checks = vec![
            lowered("L003", "production-lane", "error", "warning"),
            lowered("L012", "wildcard-touches-production", "warning", "off"),
        ];
        let d = diff(&old, &new);
        assert!(!d.is_empty());
        assert!(d.grants.is_empty() && d.denies.is_empty() && d.inventory.is_empty());
        let got: Vec<(Change, &str, &Value, &Value)> = d
            .guards
            .iter()
            .map(|c| {
                (
                    c.change,
                    c.name.as_str(),
                    &c.fields[0].old,
                    &c.fields[0].new,
                )
            })
            .collect();
        let (error, off, warning) = (
            Value::from("error"),
            Value::from("off"),
            Value::from("warning"),
        );
        assert_eq!(
            got,
            [
                (Change::Added, "L001 missing-issue", &error, &off),
                (Change::Removed, "L003 production-lane", &warning, &error),
            ]
        );
        assert!(diff(&new, &new).is_empty());
    }

    #[test]
    fn a_grant_that_loses_a_guard_changes() {
        let real = crate::bundle::load(include_bytes!("../../tests/fixtures/bundles/real.json"))
            .expect("the real bundle loads");
        let mut new = real.clone();
        new.rules[0]
            .lowered_findings
            .push(crate::bundle::LoweredFinding {
                code: "L002".into(),
                name: "no-retirement".into(),
                severity: "off".into(),
                message: "`allow` never retires".into(),
            });
        let d = diff(&real, &new);
        assert!(!d.grants.is_empty());
        for c in &d.grants {
            assert_eq!(c.change, Change::Changed);
            assert_eq!(c.fields.len(), 1);
            assert_eq!(c.fields[0].field, "unguarded");
            assert_eq!(
                c.fields[0].new,
                serde_json::json!(["L002 no-retirement (off)"])
            );
        }
    }
}

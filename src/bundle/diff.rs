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

/// A [`Term`]'s fields but its rule, borrowed, in order.
type TermFields<'a> = (
    &'a Option<Issue>,
    &'a [String],
    &'a Option<String>,
    &'a [String],
    &'a Option<String>,
    &'a [String],
);

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
    /// The term's fields in order, but the rule: what [`Term::same`]
    /// compares (the phrase as written).
    fn without_rule(&self) -> TermFields<'_> {
        (
            &self.issue,
            &self.until,
            &self.confirm,
            &self.requires,
            &self.reason,
            &self.unguarded,
        )
    }

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
    /// The terms before (empty when added), sorted; of a changed pair,
    /// only those that are not after.
    pub old: Vec<Term>,
    /// The terms after (empty when removed), sorted; of a changed pair,
    /// only those that were not before.
    pub new: Vec<Term>,
    /// Of a changed pair, how many terms are the same before and after
    /// (not listed: one rule's date moved among a thousand rules on a lane
    /// listed every term twice, 95 MB for one edit).
    pub unchanged: usize,
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

/// What one rule says on every (lane, action) pair it names, but the
/// lane's phrase: its term without `confirm`, built once per rule.
fn base_term(r: &Rule) -> Term {
    let mut requires = r.requires.clone();
    requires.sort();
    let mut unguarded: Vec<String> = r
        .lowered_findings
        .iter()
        .map(|f| format!("{} {} ({})", f.code, f.name, f.severity))
        .collect();
    unguarded.sort();
    unguarded.dedup();
    Term {
        issue: r.issue.as_ref().map(Issue::from),
        until: until(r),
        confirm: None,
        requires,
        reason: r.reason.clone(),
        unguarded,
        rule: r.id.clone(),
    }
}

/// One effect's rules of a bundle, by lane: each rule's base term, its
/// actions sorted once each, and the rules naming each lane in bundle
/// order. Memory in proportion to the rules' lanes plus their actions.
struct ByLane<'a> {
    rules: Vec<(&'a Rule, Term, Vec<&'a str>)>,
    lanes: BTreeMap<&'a str, Vec<usize>>,
}

impl<'a> ByLane<'a> {
    fn new(b: &'a Bundle, effect: Effect) -> Self {
        let mut rules = Vec::new();
        let mut lanes: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for r in b.rules.iter().filter(|r| r.effect == effect) {
            let mut actions: Vec<&str> = r.actions.iter().map(String::as_str).collect();
            actions.sort_unstable();
            actions.dedup();
            for lane in &r.lanes {
                lanes.entry(lane).or_default().push(rules.len());
            }
            rules.push((r, base_term(r), actions));
        }
        ByLane { rules, lanes }
    }

    fn on(&self, lane: &str) -> &[usize] {
        self.lanes.get(lane).map_or(&[], Vec::as_slice)
    }

    /// What the lane's rules say on it, sorted, ids aside: two lanes with
    /// the same say the same on every action.
    fn said_on(&self, lane: &str) -> Vec<(&Term, Option<String>, &[&'a str])> {
        let mut said: Vec<_> = self
            .on(lane)
            .iter()
            .map(|&k| {
                let (r, base, actions) = &self.rules[k];
                let phrase = r
                    .confirm
                    .as_ref()
                    .and_then(|m| m.get(lane))
                    .map(|p| normalize_phrase(p));
                (base, phrase, actions.as_slice())
            })
            .collect();
        said.sort_by(|a, b| (a.0.without_rule(), &a.1, a.2).cmp(&(b.0.without_rule(), &b.1, b.2)));
        said.dedup_by(|a, b| a.0.same(b.0) && a.1 == b.1 && a.2 == b.2);
        said
    }

    /// The terms of each (lane, action) pair of one lane, sorted, those
    /// that say the same once.
    fn pairs(&self, lane: &str) -> Pairs {
        let mut out = Pairs::new();
        for &k in self.on(lane) {
            let (r, base, actions) = &self.rules[k];
            for action in actions {
                out.entry((lane.to_string(), action.to_string()))
                    .or_default()
                    .push(Term {
                        confirm: r.confirm.as_ref().and_then(|m| m.get(lane).cloned()),
                        ..base.clone()
                    });
            }
        }
        // Sorted by what `same` compares first (the phrase as the runtime
        // compares it), so that terms that say the same are side by side
        // and kept once, and two bundles' lists line up term by term.
        for terms in out.values_mut() {
            terms.sort_by_cached_key(|t| {
                (
                    t.issue.clone(),
                    t.until.clone(),
                    t.confirm.as_deref().map(normalize_phrase),
                    t.requires.clone(),
                    t.reason.clone(),
                    t.unguarded.clone(),
                    t.confirm.clone(),
                    t.rule.clone(),
                )
            });
            terms.dedup_by(|a, b| a.same(b));
        }
        out
    }
}

/// The pairs of one effect whose terms changed, in (lane, action) order.
/// A lane whose rules say the same on it in both bundles is passed over
/// whole, so unchanged rules over many lanes and actions cost their
/// lanes, not lanes x actions.
fn compare_effect(old: &Bundle, new: &Bundle, effect: Effect) -> Vec<PairChange> {
    let (a, b) = (ByLane::new(old, effect), ByLane::new(new, effect));
    let lanes: BTreeSet<&str> = a.lanes.keys().chain(b.lanes.keys()).copied().collect();
    let mut out = Vec::new();
    for lane in lanes {
        let (x, y) = (a.said_on(lane), b.said_on(lane));
        let same = x.len() == y.len()
            && x.iter()
                .zip(&y)
                .all(|(p, q)| p.0.same(q.0) && p.1 == q.1 && p.2 == q.2);
        if !same {
            out.extend(compare_pairs(&a.pairs(lane), &b.pairs(lane)));
        }
    }
    out
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

/// What [`Term::same`] compares, in the order [`ByLane::pairs`] sorts by.
type SameKey<'a> = (
    &'a Option<Issue>,
    &'a [String],
    Option<String>,
    &'a [String],
    &'a Option<String>,
    &'a [String],
);

fn same_key(t: &Term) -> SameKey<'_> {
    (
        &t.issue,
        &t.until,
        t.confirm.as_deref().map(normalize_phrase),
        &t.requires,
        &t.reason,
        &t.unguarded,
    )
}

/// The terms only in `a`, those only in `b`, and how many are in both:
/// one walk over the two sorted lists (each says a thing once), so a
/// pair of n terms costs O(n), not n x n comparisons.
fn apart(a: &[Term], b: &[Term]) -> (Vec<Term>, Vec<Term>, usize) {
    let (ka, kb): (Vec<SameKey>, Vec<SameKey>) = (
        a.iter().map(same_key).collect(),
        b.iter().map(same_key).collect(),
    );
    let (mut i, mut j) = (0, 0);
    let (mut only_a, mut only_b, mut both) = (Vec::new(), Vec::new(), 0);
    while i < a.len() || j < b.len() {
        let order = match (ka.get(i), kb.get(j)) {
            (Some(x), Some(y)) => x.cmp(y),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        match order {
            std::cmp::Ordering::Less => {
                only_a.push(a[i].clone());
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                only_b.push(b[j].clone());
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                both += 1;
                i += 1;
                j += 1;
            }
        }
    }
    (only_a, only_b, both)
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
        let (old_only, new_only, unchanged) = apart(a, b);
        let fields = match (old_only.as_slice(), new_only.as_slice()) {
            ([x], [y]) => field_changes(x, y),
            _ => Vec::new(),
        };
        out.push(PairChange {
            change,
            lane: key.0.clone(),
            action: key.1.clone(),
            old: old_only,
            new: new_only,
            unchanged,
            fields,
        });
    }
    out
}

fn compare_items<'a, T: Serialize + 'a>(
    kind: &'static str,
    old: impl IntoIterator<Item = (&'a String, &'a T)>,
    new: impl IntoIterator<Item = (&'a String, &'a T)>,
    out: &mut Vec<ItemChange>,
) {
    let old: BTreeMap<&String, &T> = old.into_iter().collect();
    let new: BTreeMap<&String, &T> = new.into_iter().collect();
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).copied().collect();
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
        grants: compare_effect(old, new, Effect::Allow),
        denies: compare_effect(old, new, Effect::Deny),
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

    /// An allow rule of the real bundle that asks for phrases.
    fn with_phrases(real: &Bundle) -> Rule {
        real.rules
            .iter()
            .find(|r| r.effect == Effect::Allow && r.confirm.is_some())
            .expect("a rule with phrases")
            .clone()
    }

    #[test]
    fn a_change_of_guards_alone_is_a_change() {
        let real = crate::bundle::real_fixture();
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

    /// Two grants of one pair whose phrases differ only in case: writing
    /// one of them in another case changes nothing, even when another
    /// change on the lane makes its pairs compared term by term (the terms
    /// were sorted by the phrase as written, and matched up crosswise).
    #[test]
    fn a_phrase_in_another_case_is_no_change_beside_another_grant() {
        let real = crate::bundle::real_fixture();
        let template = with_phrases(&real);
        let lane = template.lanes[0].clone();
        let with = |id: &str, action: &str, phrase: &str| {
            let mut r = template.clone();
            r.id = id.into();
            r.lanes = vec![lane.clone()];
            r.actions = vec![action.into()];
            r.confirm = Some([(lane.clone(), phrase.to_string())].into_iter().collect());
            r
        };
        let action = template.actions[0].clone();
        let other = real
            .actions
            .keys()
            .find(|a| **a != action)
            .expect("another action")
            .clone();
        let mut old = real.clone();
        old.rules = vec![
            with("000000000001", &action, "Deploy now"),
            with("000000000002", &action, "b"),
        ];
        let mut new = old.clone();
        new.rules[0].confirm = Some(
            [(lane.clone(), "deploy now".to_string())]
                .into_iter()
                .collect(),
        );
        assert!(diff(&old, &new).grants.is_empty());
        new.rules.push(with("000000000003", &other, "x"));
        let d = diff(&old, &new);
        let changed: Vec<(&str, &str)> = d
            .grants
            .iter()
            .map(|c| (c.lane.as_str(), c.action.as_str()))
            .collect();
        assert_eq!(changed, [(lane.as_str(), other.as_str())], "{d:?}");
    }

    /// Of a pair under many rules, a change lists only the terms that
    /// differ and counts the rest: one phrase edited among 300 grants is
    /// one term before and one after, with its field.
    #[test]
    fn a_changed_pair_lists_only_what_differs() {
        let real = crate::bundle::real_fixture();
        let template = with_phrases(&real);
        let lane = template.lanes[0].clone();
        let action = template.actions[0].clone();
        let mut old = real.clone();
        old.rules = (0..300)
            .map(|k| {
                let mut r = template.clone();
                r.id = format!("{k:012}");
                r.lanes = vec![lane.clone()];
                r.actions = vec![action.clone()];
                r.confirm = Some(
                    [(lane.clone(), format!("phrase {k:03}"))]
                        .into_iter()
                        .collect(),
                );
                r
            })
            .collect();
        let mut new = old.clone();
        new.rules[7].confirm = Some(
            [(lane.clone(), "phrase seven".to_string())]
                .into_iter()
                .collect(),
        );
        let d = diff(&old, &new);
        assert_eq!(d.grants.len(), 1, "{d:?}");
        let c = &d.grants[0];
        assert_eq!(
            (c.change, c.old.len(), c.new.len(), c.unchanged),
            (Change::Changed, 1, 1, 299)
        );
        assert_eq!(c.fields.len(), 1);
        assert_eq!(c.fields[0].field, "confirm");
        // The text says which term, what changed in it, and counts the rest.
        let text = d.to_text();
        assert!(text.contains("the term issue"), "{text}");
        assert!(text.contains("confirm \"phrase 007\""), "{text}");
        assert!(text.contains("299 other terms unchanged"), "{text}");
        assert!(!text.contains("phrase 008"), "{text}");
        assert_eq!(
            (&c.fields[0].old, &c.fields[0].new),
            (&Value::from("phrase 007"), &Value::from("phrase seven"))
        );
    }

    #[test]
    fn a_grant_that_loses_a_guard_changes() {
        let real = crate::bundle::real_fixture();
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

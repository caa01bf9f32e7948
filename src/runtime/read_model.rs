//! The read model: every lane with its state, what it may do, on whose
//! authority, until when. Launchplane shows the same per environment
//! (`prelaunch_rebuild_allowed`, `..._approval_issue_url`).

use super::evaluate::{Phrase, RetiredBy, Standing};
use super::{Facts, Runtime};
use crate::bundle::IssueLink;
use crate::model::{DataAuthority, Effect, Phase, is_protected};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

#[cfg(test)]
thread_local! {
    /// Retirements the read model computed (each a walk over a rule's `until`).
    static RETIREMENTS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// One active grant: an action this lane may do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Grant {
    /// The action.
    pub action: String,
    /// The allowing rule's id.
    pub rule: String,
    /// The approval issue.
    pub issue: Option<IssueLink>,
    /// Retirement conditions (events, then dates). Shared by the grants of
    /// one rule: a rule over many lanes holds its list once.
    pub until: Arc<[String]>,
    /// The phrase to type, if one is asked.
    pub confirm: Option<String>,
    /// Proofs to present: the rule's and those the lane's protection implies.
    pub requires: Vec<String>,
    /// The guards the grant shipped without: each check the configuration
    /// lowered that found something on its rule, once, with its first
    /// finding and how many it found (the bundle's `lowered_findings`,
    /// grouped). Left out of the JSON when empty.
    #[serde(skip_serializing_if = "is_empty")]
    pub lowered: Arc<[LoweredGuard]>,
    /// The guards the grant shipped without by a suppression comment on its
    /// rule (the bundle's `suppressions`): the check and the reason given.
    /// Left out of the JSON when empty.
    #[serde(skip_serializing_if = "is_empty")]
    pub suppressed: Arc<[crate::bundle::SuppressionRecord]>,
}

fn is_empty<T>(list: &Arc<[T]>) -> bool {
    list.is_empty()
}

/// A check the configuration lowered that found something on a rule: the
/// rule's findings of one check at one severity, as one entry. A `*/*`
/// rule whose lowered L003 found each of its n production lanes has n
/// findings; listing them all under each of its n grants was n^2 entries
/// (gigabytes of `lanes --json` at a few thousand lanes), so a grant lists
/// each check once, with the first finding and the count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LoweredGuard {
    /// The check's code, e.g. `L003`.
    pub code: String,
    /// The check's name.
    pub name: String,
    /// Its configured severity: `warning` or `off`.
    pub severity: String,
    /// The check's first finding on the rule (in the bundle's order).
    pub message: String,
    /// How many findings of this check, at this severity, the rule has: 1
    /// or more.
    pub count: usize,
}

impl LoweredGuard {
    /// A rule's lowered findings grouped by check and severity, in the
    /// order of each group's first finding: O(findings).
    pub fn group(findings: &[crate::bundle::LoweredFinding]) -> Vec<LoweredGuard> {
        let mut guards: Vec<LoweredGuard> = Vec::new();
        let mut at: HashMap<(&str, &str), usize> = HashMap::new();
        for f in findings {
            match at.get(&(f.code.as_str(), f.severity.as_str())) {
                Some(&k) => guards[k].count += 1,
                None => {
                    at.insert((f.code.as_str(), f.severity.as_str()), guards.len());
                    guards.push(LoweredGuard {
                        code: f.code.clone(),
                        name: f.name.clone(),
                        severity: f.severity.clone(),
                        message: f.message.clone(),
                        count: 1,
                    });
                }
            }
        }
        guards
    }
}

/// The lists a rule's grants share (see [`Grant`]).
struct Shared {
    until: Arc<[String]>,
    lowered: Arc<[LoweredGuard]>,
    suppressed: Arc<[crate::bundle::SuppressionRecord]>,
}

/// An action closed on this lane: by an active deny rule, or because the
/// lane's data policy refuses the data source of the rule that allows it
/// (then `rule` is that allow rule).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DenyView {
    /// The action.
    pub action: String,
    /// The deny rule's id, or the allow rule's when the data policy refuses it.
    pub rule: String,
    /// The deny rule's `reason=`, or why the data policy refuses the allow.
    pub reason: Option<String>,
    /// Its issue.
    pub issue: Option<IssueLink>,
}

/// A rule that matched this lane but no longer applies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RetiredView {
    /// The action.
    pub action: String,
    /// The rule's id.
    pub rule: String,
    /// `allow` or `deny`.
    pub effect: Effect,
    /// Its issue.
    pub issue: Option<IssueLink>,
    /// What retired it.
    pub why: String,
}

/// One lane in the read model (`lanes --json`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LaneView {
    /// `context/instance`.
    pub lane: String,
    /// Product.
    pub product: String,
    /// Context.
    pub context: String,
    /// Instance.
    pub instance: String,
    /// Declared production.
    pub production: bool,
    /// Phase after facts.
    pub phase: Phase,
    /// Data authority.
    pub data_authority: DataAuthority,
    /// The inventory's `upstream_source`: where an `upstream_restore`
    /// restores this lane from (Launchplane's `odoo_data_policy.upstream_source`),
    /// trimmed; absent when not written, blank or not a string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_source: Option<String>,
    /// `production: true` and live, or authoritative data.
    pub protected: bool,
    /// True while any grant is an active, issue-backed, retiring allow.
    pub provisional: bool,
    /// Active grants, by action then rule.
    pub grants: Vec<Grant>,
    /// Active denies.
    pub denies: Vec<DenyView>,
    /// Retired rules.
    pub retired: Vec<RetiredView>,
}

impl Runtime {
    /// The read model for every lane, in lane-key order: a projection of
    /// the one evaluator's `Standing` of each lane and action that a rule
    /// names. A grant is shown with exactly what `decide` asks for (the
    /// lane's phrase and every proof); an active allow that nothing
    /// presented could satisfy (a data policy that refuses its source, a
    /// phrase the bundle lacks) is shown as closed.
    pub fn lanes(&self, facts: &Facts) -> Vec<LaneView> {
        self.lanes_iter(facts).collect()
    }

    /// [`Runtime::lanes`], one lane at a time, in lane-key order: a report
    /// over a large bundle holds one lane's view rather than every lane's.
    pub fn lanes_iter<'s>(&'s self, facts: &'s Facts) -> impl Iterator<Item = LaneView> + 's {
        // What retires a rule depends on the lane only through its product:
        // asked once per (rule, product), so a rule over L lanes until E
        // events walks its events once per product, not L times.
        // Products whose events (with their states) are the same, and that
        // no fact names, answer for each other: asked once per (rule, set
        // of events), then given the lane's product.
        let named_by_facts: BTreeSet<&str> =
            facts.occurred.iter().map(|(p, _)| p.as_str()).collect();
        let mut retired: HashMap<(u32, Result<u32, &str>), Option<RetiredBy>> = HashMap::new();
        // Each rule's `until`, lowered findings and suppressions, made once
        // and shared by its grants.
        let mut shared: HashMap<u32, Shared> = HashMap::new();
        self.bundle.lanes.iter().map(move |(key, lane)| {
            let phase = facts.phases.get(key).copied().unwrap_or(lane.phase);
            let mut view = LaneView {
                lane: key.clone(),
                product: lane.product.clone(),
                context: lane.context.clone(),
                instance: lane.instance.clone(),
                production: lane.production,
                phase,
                data_authority: lane.data_authority,
                upstream_source: lane
                    .extra
                    .get("upstream_source")
                    .and_then(|v| v.as_str())
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
                protected: is_protected(lane.production, phase, lane.data_authority),
                provisional: false,
                grants: Vec::new(),
                denies: Vec::new(),
                retired: Vec::new(),
            };
            // The actions the lane's rules name, each once, in order:
            // the lane's rules x their actions, not every action of
            // the bundle x the lane's rules.
            let actions: std::collections::BTreeSet<&String> = [true, false]
                .into_iter()
                .flat_map(|allow| self.lane_rules(allow, key))
                .flat_map(|&k| &self.rule(k).actions)
                .filter(|a| self.bundle.actions.contains_key(*a))
                .collect();
            for action in actions {
                let standing = self.standing_by(key, action, facts, |k, product| {
                    let set = match self.event_states.get(product) {
                        Some(&n) if !named_by_facts.contains(product) => Ok(n),
                        _ => Err(product),
                    };
                    let mut by = retired
                        .entry((k, set))
                        .or_insert_with(|| {
                            #[cfg(test)]
                            RETIREMENTS.with(|c| c.set(c.get() + 1));
                            self.retirement(k, product, facts)
                        })
                        .clone();
                    if let Some(RetiredBy::Event { product: p, .. }) = &mut by
                        && p != product
                    {
                        *p = product.to_string();
                    }
                    by
                });
                if let Ok(standing) = standing {
                    self.project(action, &standing, &mut view, &mut shared);
                }
            }
            view.provisional = view
                .grants
                .iter()
                .any(|g| g.issue.is_some() && !g.until.is_empty());
            view
        })
    }

    /// One lane and action of the read model, from its standing; `shared`
    /// holds the lists each rule's grants share.
    fn project(
        &self,
        action: &str,
        s: &Standing,
        view: &mut LaneView,
        shared: &mut HashMap<u32, Shared>,
    ) {
        for st in s.denies.iter().chain(&s.allows) {
            let r = self.rule(st.rule);
            match &st.retired {
                Some(by) => view.retired.push(RetiredView {
                    action: action.to_string(),
                    rule: r.id.clone(),
                    effect: r.effect,
                    issue: r.issue.clone(),
                    why: by.describe(),
                }),
                None if r.effect == Effect::Deny => view.denies.push(DenyView {
                    action: action.to_string(),
                    rule: r.id.clone(),
                    reason: r.reason.clone(),
                    issue: r.issue.clone(),
                }),
                None => {}
            }
        }
        let authority = view.data_authority.as_str();
        for &k in &s.open {
            let needs = self.requirements(s, k);
            let r = self.rule(k);
            let closed = match (&needs.phrase, needs.source) {
                (_, Some((src, false))) => Some(format!(
                    "the lane's data policy (data_authority `{authority}`) does not allow rebuilding from `{}`",
                    src.as_str()
                )),
                (Phrase::Unusable, _) => Some(
                    "the rule asks for a confirmation phrase but the bundle gives none for this lane"
                        .to_string(),
                ),
                _ => None,
            };
            if let Some(reason) = closed {
                // Nothing presented can satisfy it (decide denies it): closed.
                view.denies.push(DenyView {
                    action: action.to_string(),
                    rule: r.id.clone(),
                    reason: Some(reason),
                    issue: r.issue.clone(),
                });
                continue;
            }
            let lists = shared.entry(k).or_insert_with(|| Shared {
                until: r
                    .until
                    .events
                    .iter()
                    .chain(&r.until.dates)
                    .cloned()
                    .collect(),
                lowered: LoweredGuard::group(&r.lowered_findings).into(),
                suppressed: r.suppressions.as_slice().into(),
            });
            view.grants.push(Grant {
                action: action.to_string(),
                rule: r.id.clone(),
                issue: r.issue.clone(),
                until: lists.until.clone(),
                confirm: match needs.phrase {
                    Phrase::Asked(p) => Some(p.to_string()),
                    _ => None,
                },
                requires: needs.proofs.iter().map(|(p, _)| p.to_string()).collect(),
                lowered: lists.lowered.clone(),
                suppressed: lists.suppressed.clone(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retirement_is_computed_once_per_rule_and_product_not_per_lane() {
        let mut b = crate::bundle::real_fixture();
        // One rule over n lanes of one product.
        let lane = b.lanes.values().next().cloned().expect("a lane");
        let n = 500;
        b.lanes.clear();
        let mut r = b.rules[0].clone();
        r.lanes.clear();
        let mut confirm = crate::sorted_map::SortedMap::default();
        for k in 0..n {
            let mut l = lane.clone();
            l.instance = format!("l{k}");
            let key = format!("{}/l{k}", l.context);
            b.lanes.insert(key.clone(), l);
            confirm.insert(key.clone(), format!("go {key}"));
            r.lanes.push(key);
        }
        r.confirm = Some(confirm);
        b.rules = vec![r];
        let rt = Runtime::new(b);
        RETIREMENTS.with(|c| c.set(0));
        let views = rt.lanes(&Facts::at("2026-12-01T12:00:00Z".parse().unwrap()));
        assert_eq!(views.len(), n);
        assert_eq!(RETIREMENTS.with(|c| c.get()), 1);
    }

    #[test]
    fn products_with_the_same_events_share_a_retirement_and_keep_their_names() {
        // One rule over a lane of each of n products whose events are the
        // same (and have occurred): one retirement asked, each lane told
        // its own product; a product that facts name is asked apart.
        let mut b = crate::bundle::real_fixture();
        let event = "launch".to_string();
        let events: crate::sorted_map::SortedMap<String, crate::model::EventState> =
            [(event.clone(), crate::model::EventState::Occurred)].into();
        let mut r = b.rules[0].clone();
        r.confirm = None;
        r.until.events = vec![event.clone()];
        r.until.dates.clear();
        let fresh = crate::bundle::add_products(&mut b, 300, &events);
        // Only the new products and their lanes.
        let keep: BTreeSet<&String> = fresh.iter().collect();
        b.lanes.retain(|k, _| keep.contains(k));
        let used: BTreeSet<String> = b.lanes.values().map(|l| l.product.clone()).collect();
        b.products.retain(|p, _| used.contains(p));
        r.lanes = fresh;
        b.rules = vec![r];
        let rt = Runtime::new(b);
        let now = "2026-12-01T12:00:00Z".parse().unwrap();
        RETIREMENTS.with(|c| c.set(0));
        let views = rt.lanes(&Facts::at(now));
        assert_eq!(RETIREMENTS.with(|c| c.get()), 1);
        for v in &views {
            assert_eq!(v.retired.len(), 1, "{}", v.lane);
            assert_eq!(
                v.retired[0].why,
                format!("`launch` of `{}` has occurred", v.product)
            );
        }
        RETIREMENTS.with(|c| c.set(0));
        let named = rt.lanes(&Facts::at(now).with_occurred("p7", "launch"));
        assert_eq!(RETIREMENTS.with(|c| c.get()), 2);
        assert_eq!(named, views);
    }
}

//! The read model: every lane with its state, what it may do, on whose
//! authority, until when. Launchplane shows the same per environment
//! (`prelaunch_rebuild_allowed`, `..._approval_issue_url`).

use super::{Facts, Runtime};
use crate::bundle::IssueLink;
use crate::model::{DataAuthority, Effect, Phase, implied_proofs, is_protected, source_allowed};
use serde::Serialize;

/// One active grant: an action this lane may do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Grant {
    /// The action.
    pub action: String,
    /// The allowing rule's id.
    pub rule: String,
    /// The approval issue.
    pub issue: Option<IssueLink>,
    /// Retirement conditions (events, then dates).
    pub until: Vec<String>,
    /// The phrase to type, if one is asked.
    pub confirm: Option<String>,
    /// Proofs to present: the rule's and those the lane's protection implies.
    pub requires: Vec<String>,
    /// The guards the grant shipped without: findings on its rule of checks
    /// the configuration lowered (the bundle's `lowered_findings`). Left
    /// out of the JSON when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lowered: Vec<crate::bundle::LoweredFinding>,
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
    /// The read model for every lane, in lane-key order.
    pub fn lanes(&self, facts: &Facts) -> Vec<LaneView> {
        self.bundle
            .lanes
            .iter()
            .map(|(key, lane)| {
                let phase = self.phase(key, facts).unwrap_or(lane.phase);
                let mut view = LaneView {
                    lane: key.clone(),
                    product: lane.product.clone(),
                    context: lane.context.clone(),
                    instance: lane.instance.clone(),
                    production: lane.production,
                    phase,
                    data_authority: lane.data_authority,
                    protected: is_protected(lane.production, phase, lane.data_authority),
                    provisional: false,
                    grants: Vec::new(),
                    denies: Vec::new(),
                    retired: Vec::new(),
                };
                let actions = self.bundle.actions.keys().filter(|a| {
                    !self.rules_for(true, key, a).is_empty()
                        || !self.rules_for(false, key, a).is_empty()
                });
                for action in actions {
                    self.lane_action(key, action, facts, phase, &mut view);
                }
                view.provisional = view
                    .grants
                    .iter()
                    .any(|g| g.issue.is_some() && !g.until.is_empty());
                view
            })
            .collect()
    }

    fn lane_action(
        &self,
        key: &str,
        action: &str,
        facts: &Facts,
        phase: Phase,
        view: &mut LaneView,
    ) {
        let until = |k: u32| {
            let r = self.rule(k);
            r.until
                .events
                .iter()
                .chain(&r.until.dates)
                .cloned()
                .collect::<Vec<_>>()
        };
        let mut denied = false;
        for &k in self.rules_for(false, key, action) {
            let r = self.rule(k);
            match self.retired_by(k, key, facts) {
                None => {
                    denied = true;
                    view.denies.push(DenyView {
                        action: action.to_string(),
                        rule: r.id.clone(),
                        reason: r.reason.clone(),
                        issue: r.issue.clone(),
                    });
                }
                Some(why) => view.retired.push(RetiredView {
                    action: action.to_string(),
                    rule: r.id.clone(),
                    effect: r.effect,
                    issue: r.issue.clone(),
                    why,
                }),
            }
        }
        let Some(def) = self.bundle.actions.get(action) else {
            return;
        };
        let lane = &self.bundle.lanes[key];
        for &k in self.rules_for(true, key, action) {
            let r = self.rule(k);
            match self.retired_by(k, key, facts) {
                Some(why) => view.retired.push(RetiredView {
                    action: action.to_string(),
                    rule: r.id.clone(),
                    effect: r.effect,
                    issue: r.issue.clone(),
                    why,
                }),
                // A grant the lane's data policy refuses can never be used
                // (decide denies it: source-not-allowed): it is shown as closed.
                None if !denied
                    && def.data_source.is_some_and(|src| {
                        !source_allowed(lane.data_authority, &lane.allowed_sources, src)
                    }) =>
                {
                    let src = def.data_source.map_or("", |s| s.as_str());
                    view.denies.push(DenyView {
                        action: action.to_string(),
                        rule: r.id.clone(),
                        reason: Some(format!(
                            "the lane's data policy (data_authority `{}`) does not allow rebuilding from `{src}`",
                            lane.data_authority.as_str()
                        )),
                        issue: r.issue.clone(),
                    });
                }
                None if !denied => {
                    let mut requires = r.requires.clone();
                    for p in
                        implied_proofs(def.destructive, lane.production, phase, lane.data_authority)
                    {
                        if !requires.iter().any(|q| q == p) {
                            requires.push(p.to_string());
                        }
                    }
                    view.grants.push(Grant {
                        action: action.to_string(),
                        rule: r.id.clone(),
                        issue: r.issue.clone(),
                        until: until(k),
                        confirm: r.confirm.as_ref().and_then(|m| m.get(key).cloned()),
                        requires,
                        lowered: r.lowered_findings.clone(),
                    });
                }
                None => {}
            }
        }
    }
}

//! One decision, in the order of the language spec ("Meaning"), failing
//! closed at every step.

use super::{Facts, Request, Runtime};
use crate::bundle::{BundleError, IssueLink, Rule, SourcePos};
use crate::model::{implied_proofs, normalize_phrase, source_allowed};
use serde::Serialize;

/// Why a request was denied. The serialized names are the contract's reason codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReasonCode {
    /// The bundle could not be read or verified.
    BundleInvalid,
    /// The request or its facts name things the bundle does not have, or
    /// contradict it (an addition to the contract's list).
    InvalidRequest,
    /// The lane is not in the bundle.
    UnknownLane,
    /// The action is not in the bundle.
    UnknownAction,
    /// An active deny rule matches.
    DeniedByRule,
    /// No allow rule matches.
    NoMatchingRule,
    /// Allow rules matched, but all have retired.
    RuleRetired,
    /// The rule asks for a phrase and none was presented.
    ConfirmationRequired,
    /// The presented phrase is not the lane's phrase.
    ConfirmationMismatch,
    /// A proof the rule or the lane requires was not presented.
    ProofRequired,
    /// The lane's data policy does not allow the action's data source.
    SourceNotAllowed,
}

impl ReasonCode {
    /// The contract's code, e.g. `rule-retired`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::BundleInvalid => "bundle-invalid",
            ReasonCode::InvalidRequest => "invalid-request",
            ReasonCode::UnknownLane => "unknown-lane",
            ReasonCode::UnknownAction => "unknown-action",
            ReasonCode::DeniedByRule => "denied-by-rule",
            ReasonCode::NoMatchingRule => "no-matching-rule",
            ReasonCode::RuleRetired => "rule-retired",
            ReasonCode::ConfirmationRequired => "confirmation-required",
            ReasonCode::ConfirmationMismatch => "confirmation-mismatch",
            ReasonCode::ProofRequired => "proof-required",
            ReasonCode::SourceNotAllowed => "source-not-allowed",
        }
    }
}

/// One reason for a deny.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// The reason code.
    pub code: ReasonCode,
    /// A sentence for a person.
    pub message: String,
}

/// The rule a decision is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleRef {
    /// The rule's id.
    pub id: String,
    /// Where it is written.
    pub source: SourcePos,
}

/// A decision, in the contract's `decide --json` shape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// `"allow"` or `"deny"`.
    pub decision: &'static str,
    /// The lane asked about.
    pub lane: String,
    /// The action asked about.
    pub action: String,
    /// The deciding rule (the allow, the deny, or the rule whose check failed).
    pub rule: Option<RuleRef>,
    /// That rule's approval issue.
    pub issue: Option<IssueLink>,
    /// That rule's retirement conditions, as written (events, then dates).
    pub until: Vec<String>,
    /// Why it is a deny; empty for an allow.
    pub reasons: Vec<Reason>,
    /// The bundle's digest, or null when the bundle could not be read.
    pub bundle: Option<String>,
}

impl Decision {
    /// True for an allow.
    pub fn is_allow(&self) -> bool {
        self.decision == "allow"
    }

    /// The deny that an unreadable bundle yields.
    pub fn bundle_invalid(req: &Request, err: &BundleError) -> Decision {
        Decision::refused(req, ReasonCode::BundleInvalid, err.to_string(), None)
    }

    /// A deny decided before any rule is looked at (`bundle` is the digest,
    /// when a bundle was read).
    pub fn refused(
        req: &Request,
        code: ReasonCode,
        message: String,
        bundle: Option<String>,
    ) -> Decision {
        Decision {
            decision: "deny",
            lane: req.lane.clone(),
            action: req.action.clone(),
            rule: None,
            issue: None,
            until: Vec::new(),
            reasons: vec![reason(code, message)],
            bundle,
        }
    }
}

fn reason(code: ReasonCode, message: impl Into<String>) -> Reason {
    Reason {
        code,
        message: message.into(),
    }
}

impl Runtime {
    fn decision(&self, req: &Request, rule: Option<&Rule>, reasons: Vec<Reason>) -> Decision {
        Decision {
            decision: if reasons.is_empty() { "allow" } else { "deny" },
            lane: req.lane.clone(),
            action: req.action.clone(),
            rule: rule.map(|r| RuleRef {
                id: r.id.clone(),
                source: r.source.clone(),
            }),
            issue: rule.and_then(|r| r.issue.clone()),
            until: rule.map_or_else(Vec::new, |r| {
                r.until
                    .events
                    .iter()
                    .chain(&r.until.dates)
                    .cloned()
                    .collect()
            }),
            reasons,
            bundle: Some(self.bundle.digest.clone()),
        }
    }

    /// Decides one request against the facts. Never allows unless every
    /// step passes: lane and action known, no active deny, an active allow
    /// whose phrase, proofs and data-source checks all pass.
    pub fn decide(&self, req: &Request, facts: &Facts) -> Decision {
        let deny = |rule: Option<&Rule>, code, msg: String| {
            self.decision(req, rule, vec![reason(code, msg)])
        };
        // 2. the lane is in the bundle, and the action is known
        let Some(lane) = self.bundle.lanes.get(&req.lane) else {
            return deny(
                None,
                ReasonCode::UnknownLane,
                format!("lane `{}` is not in the bundle", req.lane),
            );
        };
        let Some(action) = self.bundle.actions.get(&req.action) else {
            return deny(
                None,
                ReasonCode::UnknownAction,
                format!("action `{}` is not in the bundle", req.action),
            );
        };
        // 3. an active deny wins
        for &k in Self::rules_for(&self.denies, &req.lane, &req.action) {
            if self.retired_by(k, &req.lane, facts).is_none() {
                let r = self.rule(k);
                let why = r
                    .reason
                    .as_deref()
                    .map_or(String::new(), |t| format!(": {t}"));
                return deny(
                    Some(r),
                    ReasonCode::DeniedByRule,
                    format!(
                        "`{}` on `{}` is denied by rule {}{why}",
                        req.action, req.lane, r.id
                    ),
                );
            }
        }
        // 4. an active allow must match
        let candidates = Self::rules_for(&self.allows, &req.lane, &req.action);
        let active: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&k| self.retired_by(k, &req.lane, facts).is_none())
            .collect();
        if active.is_empty() {
            if let Some(&k) = candidates.first() {
                let why = self.retired_by(k, &req.lane, facts).unwrap_or_default();
                return deny(
                    Some(self.rule(k)),
                    ReasonCode::RuleRetired,
                    format!(
                        "the rule that allowed `{}` on `{}` has retired: {why}",
                        req.action, req.lane
                    ),
                );
            }
            return deny(
                None,
                ReasonCode::NoMatchingRule,
                format!("no rule allows `{}` on `{}`", req.action, req.lane),
            );
        }
        let phase = self.phase(&req.lane, facts).unwrap_or(lane.phase);
        let mut first_failure: Option<(usize, Vec<Reason>)> = None;
        for k in active {
            let r = self.rule(k);
            let mut reasons = Vec::new();
            // 5. the phrase
            if let Some(phrases) = &r.confirm {
                let expected = phrases
                    .get(&req.lane)
                    .map(String::as_str)
                    .unwrap_or_default();
                match &req.confirm {
                    None => reasons.push(reason(
                        ReasonCode::ConfirmationRequired,
                        format!("rule {} asks for the confirmation phrase `{expected}`", r.id),
                    )),
                    Some(given)
                        if expected.trim().is_empty() || normalize_phrase(given) != normalize_phrase(expected) =>
                    {
                        reasons.push(reason(
                            ReasonCode::ConfirmationMismatch,
                            format!("the confirmation phrase does not match; rule {} asks for `{expected}`", r.id),
                        ))
                    }
                    Some(_) => {}
                }
            }
            // 6. proofs: the rule's, and those a destructive action on a protected lane needs
            let mut needed: Vec<&str> = r.requires.iter().map(String::as_str).collect();
            for p in implied_proofs(
                action.destructive,
                lane.production,
                phase,
                lane.data_authority,
            ) {
                if !needed.contains(&p) {
                    needed.push(p);
                }
            }
            for p in needed {
                let presented = req.proofs.get(p).is_some_and(|id| !id.trim().is_empty());
                if !presented {
                    reasons.push(reason(
                        ReasonCode::ProofRequired,
                        format!(
                            "`{}` on `{}` needs `{p}`: present `--proof {p}=RECORD_ID`",
                            req.action, req.lane
                        ),
                    ));
                }
            }
            // 7. the lane's data policy
            if let Some(source) = action.data_source
                && !source_allowed(lane.data_authority, &lane.allowed_sources, source)
            {
                reasons.push(reason(
                    ReasonCode::SourceNotAllowed,
                    format!(
                        "lane `{}` (data_authority `{}`) does not allow rebuilding from `{}`",
                        req.lane,
                        lane.data_authority.as_str(),
                        source.as_str()
                    ),
                ));
            }
            // 8. allow
            if reasons.is_empty() {
                return self.decision(req, Some(r), Vec::new());
            }
            if first_failure.is_none() {
                first_failure = Some((k, reasons));
            }
        }
        let (k, reasons) = first_failure.unwrap_or_default();
        self.decision(req, Some(self.rule(k)), reasons)
    }
}

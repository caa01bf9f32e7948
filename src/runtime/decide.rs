//! One decision, in the order of the language spec ("Meaning"), failing
//! closed at every step.

use super::evaluate::{RetiredBy, Standing, Trace, Unknown, Verdict};
use super::{Facts, Request, Runtime};
use crate::bundle::{BundleError, IssueLink, SourcePos};
use crate::model::{Effect, Phase};
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
    /// The facts the decision used, or null when it was refused before
    /// facts were looked at (an unreadable bundle, refused facts).
    pub facts: Option<FactsUsed>,
    /// Rules naming this lane and action that no longer apply, with what
    /// retired each (an event in the bundle or in the facts, or a date).
    /// Facts can retire a rule; nothing can bring a retired rule back.
    pub retired: Vec<RetiredRule>,
}

/// The facts a decision used (`decide --json`, field `facts`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FactsUsed {
    /// The clock the dates were held against, RFC 3339 (UTC).
    #[serde(serialize_with = "rfc3339")]
    pub now: jiff::Timestamp,
    /// Occurred-event facts about the lane's product, `product:event`.
    pub occurred: Vec<String>,
    /// The lane's phase as given by a fact, or null.
    pub phase: Option<Phase>,
}

fn rfc3339<S: serde::Serializer>(t: &jiff::Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(t)
}

/// A rule that would have applied but has retired (`decide --json`, field
/// `retired`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RetiredRule {
    /// The rule's id.
    pub rule: String,
    /// `allow` or `deny`: a retired deny (a freeze that ended) is how a
    /// fact can open what was closed, as its `until` says.
    pub effect: Effect,
    /// What retired it.
    pub by: RetiredBy,
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
            facts: None,
            retired: Vec::new(),
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
    /// Decides one request against the facts. Never allows unless every
    /// step of the one evaluator passes (see the `evaluate`
    /// module): lane and action known, no active deny, an active allow whose
    /// phrase, proofs and data-source checks all pass.
    pub fn decide(&self, req: &Request, facts: &Facts) -> Decision {
        let trace = self.trace(req, facts);
        self.decision_with(req, facts, &trace.standing, trace.verdict, true)
    }

    /// [`Runtime::decide`] without the deciding rule's `until` conditions
    /// and the retired rules (`until` and `retired` empty): what a policy
    /// test's result keeps, without copying a rule's conditions per case.
    pub(crate) fn decide_briefly(&self, req: &Request, facts: &Facts) -> Decision {
        let trace = self.trace(req, facts);
        self.decision_with(req, facts, &trace.standing, trace.verdict, false)
    }

    /// The decision a trace stands for.
    pub(crate) fn decision(&self, req: &Request, facts: &Facts, trace: &Trace) -> Decision {
        self.decision_with(req, facts, &trace.standing, trace.verdict.clone(), true)
    }

    /// The decision of a walk that ended in `standing` and `verdict` (its
    /// reasons moved into the decision, not copied), with the rule's
    /// `until` conditions and the retired rules when `whole`.
    fn decision_with(
        &self,
        req: &Request,
        facts: &Facts,
        standing: &Result<Standing, Unknown>,
        verdict: Verdict,
        whole: bool,
    ) -> Decision {
        let (rule, reasons) = match verdict {
            Verdict::Allow(k) => (Some(k), Vec::new()),
            Verdict::Deny(k, reasons) => (k, reasons),
        };
        let rule = rule.map(|k| self.rule(k));
        let retired = match standing {
            Ok(s) if whole => s
                .denies
                .iter()
                .chain(&s.allows)
                .filter_map(|st| {
                    st.retired.as_ref().map(|by| RetiredRule {
                        rule: self.rule(st.rule).id.clone(),
                        effect: self.rule(st.rule).effect,
                        by: by.clone(),
                    })
                })
                .collect(),
            _ => Vec::new(),
        };
        Decision {
            decision: if reasons.is_empty() { "allow" } else { "deny" },
            lane: req.lane.clone(),
            action: req.action.clone(),
            rule: rule.map(|r| RuleRef {
                id: r.id.clone(),
                source: r.source.clone(),
            }),
            issue: rule.and_then(|r| r.issue.clone()),
            until: rule.filter(|_| whole).map_or_else(Vec::new, |r| {
                r.until
                    .events
                    .iter()
                    .chain(&r.until.dates)
                    .cloned()
                    .collect()
            }),
            reasons,
            bundle: Some(self.bundle.digest.clone()),
            facts: Some(self.facts_used(req, standing, facts)),
            retired,
        }
    }

    /// The facts that bear on the request's lane: the clock, the occurred
    /// events of its product, and its phase fact.
    fn facts_used(
        &self,
        req: &Request,
        standing: &Result<Standing, Unknown>,
        facts: &Facts,
    ) -> FactsUsed {
        let lane = req.lane.as_str();
        // The walk found the lane when it got past step 2.
        let product = match standing {
            Ok(s) => Some(s.lane_def.product.as_str()),
            Err(_) => self.bundle.lanes.get(lane).map(|l| l.product.as_str()),
        };
        FactsUsed {
            now: facts.now,
            occurred: facts
                .occurred
                .iter()
                .filter(|(p, _)| Some(p.as_str()) == product)
                .map(|(p, e)| format!("{p}:{e}"))
                .collect(),
            phase: facts.phases.get(lane).copied(),
        }
    }
}

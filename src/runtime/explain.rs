//! A decision as steps a person can follow: which rules matched, which have
//! retired and by what, which check failed, and what to present to be
//! allowed (`lanepolicy explain`).
//!
//! The explanation is a rendering of the one evaluator's trace (see
//! [`super::evaluate`]) and carries the decision `decide` gives; the reason
//! codes of its failed steps are the decision's reasons, which the tests
//! check for every lane, action and kind of presentation.

use super::decide::{Decision, ReasonCode};
use super::evaluate::{Checked, FactSource, Phrase, PhraseOutcome, RetiredBy, Unknown};
use super::{Facts, Request, Runtime};
use crate::bundle::Rule;
use crate::model::implied_proofs;
use crate::suggest::did_you_mean;
use serde::Serialize;

/// What a step checked, in the order of the language spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepCheck {
    /// The bundle is readable, of a known version, and its digest matches.
    Bundle,
    /// The facts name only what the bundle has, and do not contradict it.
    Facts,
    /// The lane is in the bundle.
    Lane,
    /// The action is declared.
    Action,
    /// No active deny rule matches.
    DenyRules,
    /// An active allow rule matches.
    AllowRules,
    /// The presented phrase matches the lane's phrase.
    Confirmation,
    /// Every proof needed is presented.
    Proofs,
    /// The lane's data policy allows the action's data source.
    DataSource,
}

/// How a step came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepOutcome {
    /// The check passed; the decision goes on.
    Pass,
    /// The check failed: a reason to deny.
    Fail,
}

/// One step of an explanation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    /// What was checked.
    pub check: StepCheck,
    /// Whether it passed.
    pub outcome: StepOutcome,
    /// One sentence: what was found.
    pub summary: String,
    /// Further lines: the rules considered and their state, close names.
    pub details: Vec<String>,
    /// The rule this step is about, for the checks of one allow rule.
    pub rule: Option<String>,
    /// The reason code a failure stands for.
    pub reason: Option<ReasonCode>,
}

/// What the caller could present to be allowed, when that is all that is
/// missing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Presentation {
    /// The confirmation phrase to type, if the one presented is missing or wrong.
    pub confirm: Option<String>,
    /// Proofs to present, by name (`backup_proof`), each with a record id.
    pub proofs: Vec<String>,
}

/// A decision with the steps that led to it (`explain --json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// The decision, exactly as [`Runtime::decide`] gives it.
    pub decision: Decision,
    /// The steps, in order; the walk stops at the first failure that
    /// settles the decision.
    pub steps: Vec<Step>,
    /// For a deny that presenting a phrase or proofs would turn into an
    /// allow: what to present. Null otherwise.
    pub present: Option<Presentation>,
    /// For a deny that nothing presented can lift: what would have to
    /// change. Null for an allow.
    pub next: Option<String>,
}

impl Step {
    fn pass(check: StepCheck, summary: String) -> Step {
        Step {
            check,
            outcome: StepOutcome::Pass,
            summary,
            details: Vec::new(),
            rule: None,
            reason: None,
        }
    }

    fn fail(check: StepCheck, reason: ReasonCode, summary: String) -> Step {
        Step {
            check,
            outcome: StepOutcome::Fail,
            summary,
            details: Vec::new(),
            rule: None,
            reason: Some(reason),
        }
    }

    fn details(mut self, details: Vec<String>) -> Step {
        self.details = details;
        self
    }

    fn rule(mut self, id: &str) -> Step {
        self.rule = Some(id.to_string());
        self
    }
}

/// `path:line:column` of a rule.
fn at(r: &Rule) -> String {
    format!("{}:{}:{}", r.source.path, r.source.line, r.source.column)
}

/// "issue #573 (url), until launch or 2027-01-31" for a rule.
fn authority(r: &Rule) -> String {
    let mut parts = Vec::new();
    match &r.issue {
        Some(i) => parts.push(format!("issue {} ({})", i.reference, i.url)),
        None => parts.push("no issue".to_string()),
    }
    let until: Vec<&str> = r
        .until
        .events
        .iter()
        .chain(&r.until.dates)
        .map(String::as_str)
        .collect();
    if !until.is_empty() {
        parts.push(format!("until {}", until.join(" or ")));
    }
    parts.join(", ")
}

impl Runtime {
    /// Explains the decision on `req` under `facts`, step by step: a
    /// rendering of the one evaluator's trace, so its [`Decision`] is the
    /// one [`Runtime::decide`] returns.
    pub fn explain(&self, req: &Request, facts: &Facts) -> Explanation {
        let trace = self.trace(req, facts);
        let decision = self.decision(req, facts, &trace);
        let b = &self.bundle;
        let mut steps = vec![Step::pass(
            StepCheck::Bundle,
            format!(
                "bundle {} is verified (format `{}`, version {}): {} rules over {} lanes",
                b.digest,
                b.format,
                b.version,
                b.rules.len(),
                b.lanes.len()
            ),
        )];
        let stop = |steps: Vec<Step>, next: String| Explanation {
            decision: decision.clone(),
            steps,
            present: None,
            next: Some(next),
        };

        // 2. the lane and the action
        let state = match &trace.standing {
            Err(Unknown::Lane) => {
                let mut step = Step::fail(
                    StepCheck::Lane,
                    ReasonCode::UnknownLane,
                    format!("lane `{}` is not in the bundle", req.lane),
                );
                if let Some(near) = did_you_mean(&req.lane, b.lanes.keys().map(String::as_str)) {
                    step.details.push(format!("did you mean `{near}`?"));
                }
                steps.push(step);
                return stop(
                    steps,
                    "a lane must be declared in the inventory (`lanes.yaml`) before any rule can allow anything on it".into(),
                );
            }
            Err(Unknown::Action(state)) => state,
            Ok(s) => &s.lane,
        };
        let lane = &b.lanes[&req.lane];
        let mut lane_step = Step::pass(
            StepCheck::Lane,
            format!(
                "lane `{}` is in the bundle: product `{}`, {}, phase `{}`, data_authority `{}`{}",
                req.lane,
                lane.product,
                if lane.production {
                    "production"
                } else {
                    "not production"
                },
                state.phase.as_str(),
                lane.data_authority.as_str(),
                if state.protected { ", protected" } else { "" }
            ),
        );
        if state.phase_from_facts {
            lane_step.details.push(format!(
                "the phase comes from the facts; the bundle says `{}`",
                lane.phase.as_str()
            ));
        }
        steps.push(lane_step);
        let Ok(standing) = &trace.standing else {
            let mut step = Step::fail(
                StepCheck::Action,
                ReasonCode::UnknownAction,
                format!("action `{}` is not in the bundle", req.action),
            );
            if let Some(near) = did_you_mean(&req.action, b.actions.keys().map(String::as_str)) {
                step.details.push(format!("did you mean `{near}`?"));
            }
            steps.push(step);
            return stop(
                steps,
                "an action must be declared in the inventory (`lanes.yaml`) before any rule can allow it".into(),
            );
        };
        let action = &b.actions[&req.action];
        steps.push(Step::pass(
            StepCheck::Action,
            format!(
                "action `{}` is declared: operation `{}`, {}, {}",
                req.action,
                action.operation,
                action.data_source.map_or("not a rebuild".to_string(), |s| {
                    format!("data source `{}`", s.as_str())
                }),
                if action.destructive {
                    "destructive"
                } else {
                    "not destructive"
                }
            ),
        ));

        // 3. deny rules
        let details: Vec<String> = standing
            .denies
            .iter()
            .map(|st| {
                let r = self.rule(st.rule);
                match &st.retired {
                    None => format!("rule {} ({}) denies it: active", r.id, at(r)),
                    Some(by) => format!(
                        "rule {} ({}) denied it: retired, {}{}",
                        r.id,
                        at(r),
                        by.describe(),
                        by_facts(by)
                    ),
                }
            })
            .collect();
        if let Some(k) = standing.active_deny() {
            let r = self.rule(k);
            let summary = decision
                .reasons
                .first()
                .map(|x| x.message.clone())
                .unwrap_or_default();
            steps.push(
                Step::fail(StepCheck::DenyRules, ReasonCode::DeniedByRule, summary)
                    .details(details),
            );
            return stop(
                steps,
                format!(
                    "a deny always wins: rule {} ({}) must retire or be removed",
                    r.id,
                    at(r)
                ),
            );
        }
        steps.push(
            Step::pass(
                StepCheck::DenyRules,
                if standing.denies.is_empty() {
                    format!("no deny rule names `{}` on `{}`", req.action, req.lane)
                } else {
                    "no deny rule is active".to_string()
                },
            )
            .details(details),
        );

        // 4. allow rules
        let details: Vec<String> = standing
            .allows
            .iter()
            .map(|st| {
                let r = self.rule(st.rule);
                match &st.retired {
                    None => format!(
                        "rule {} ({}) allows it: active, {}",
                        r.id,
                        at(r),
                        authority(r)
                    ),
                    Some(by) => format!(
                        "rule {} ({}) allowed it: retired, {}{}",
                        r.id,
                        at(r),
                        by.describe(),
                        by_facts(by)
                    ),
                }
            })
            .collect();
        if standing.open.is_empty() {
            let reason = decision.reasons.first();
            let summary = reason.map(|x| x.message.clone()).unwrap_or_default();
            if !standing.allows.is_empty() {
                steps.push(
                    Step::fail(StepCheck::AllowRules, ReasonCode::RuleRetired, summary)
                        .details(details),
                );
                return stop(
                    steps,
                    "the grant has retired as planned; allowing this again needs a new issue-backed `allow` rule".into(),
                );
            }
            let mut step = Step::fail(
                StepCheck::AllowRules,
                ReasonCode::NoMatchingRule,
                format!(
                    "no rule allows `{}` on `{}`: what is not allowed is denied",
                    req.action, req.lane
                ),
            );
            let implied = implied_proofs(
                action.destructive,
                lane.production,
                state.phase,
                lane.data_authority,
            );
            if !implied.is_empty() {
                step.details.push(format!(
                    "even with a rule, `{}` on this protected lane would need {}",
                    req.action,
                    implied
                        .iter()
                        .map(|p| format!("`{p}`"))
                        .collect::<Vec<_>>()
                        .join(" and ")
                ));
            }
            steps.push(step);
            return stop(
                steps,
                "allowing this needs an issue-backed `allow` rule that retires".into(),
            );
        }
        steps.push(
            Step::pass(
                StepCheck::AllowRules,
                if standing.open.len() == 1 {
                    format!(
                        "rule {} allows `{}` on `{}`",
                        self.rule(standing.open[0]).id,
                        req.action,
                        req.lane
                    )
                } else {
                    format!(
                        "{} rules allow `{}` on `{}`; each is checked in turn until one passes",
                        standing.open.len(),
                        req.action,
                        req.lane
                    )
                },
            )
            .details(details),
        );

        // 5.-7. the checks of each active allow rule tried, until one passes
        for c in &trace.checked {
            steps.extend(self.check_steps(req, c, action.destructive));
        }
        if decision.is_allow() {
            return Explanation {
                decision,
                steps,
                present: None,
                next: None,
            };
        }
        // Every active allow rule failed a check: the first one decides.
        let first = &trace.checked[0];
        let presentable =
            first.phrase != PhraseOutcome::Unusable && first.needs.source.is_none_or(|(_, ok)| ok);
        let present = presentable.then(|| Presentation {
            confirm: match (&first.phrase, &first.needs.phrase) {
                (PhraseOutcome::Missing | PhraseOutcome::Mismatch, Phrase::Asked(p)) => {
                    Some(p.to_string())
                }
                _ => None,
            },
            proofs: first
                .needs
                .proofs
                .iter()
                .zip(&first.proofs)
                .filter(|(_, given)| !**given)
                .map(|((p, _), _)| p.to_string())
                .collect(),
        });
        let next = (!presentable).then(|| {
            if first.phrase == PhraseOutcome::Unusable {
                format!(
                    "rule {} gives no confirmation phrase for lane `{}` in this bundle: write one in the policy and rebuild",
                    self.rule(first.needs.rule).id,
                    req.lane
                )
            } else {
                format!(
                    "the data policy of lane `{}` in the inventory must allow the action's data source",
                    req.lane
                )
            }
        });
        Explanation {
            decision,
            steps,
            present,
            next,
        }
    }

    /// The steps 5 to 7 of one allow rule held against a presentation.
    fn check_steps(&self, req: &Request, c: &Checked, destructive: bool) -> Vec<Step> {
        let r = self.rule(c.needs.rule);
        let mut checks = Vec::new();
        // 5. the phrase
        let expected = match &c.needs.phrase {
            Phrase::Asked(p) => p,
            _ => "",
        };
        checks.push(match c.phrase {
            PhraseOutcome::NotAsked => Step::pass(
                StepCheck::Confirmation,
                format!("rule {} asks for no confirmation phrase", r.id),
            ),
            PhraseOutcome::Missing => Step::fail(
                StepCheck::Confirmation,
                ReasonCode::ConfirmationRequired,
                format!(
                    "rule {} asks for the confirmation phrase `{expected}`; none was presented",
                    r.id
                ),
            ),
            PhraseOutcome::Mismatch => Step::fail(
                StepCheck::Confirmation,
                ReasonCode::ConfirmationMismatch,
                format!(
                    "the phrase presented, `{}`, does not match `{expected}` (compared trimmed and lower-cased)",
                    req.confirm.as_deref().unwrap_or_default()
                ),
            ),
            PhraseOutcome::Unusable => Step::fail(
                StepCheck::Confirmation,
                ReasonCode::ConfirmationMismatch,
                format!(
                    "rule {} asks for a confirmation phrase but the bundle gives none for lane `{}`: nothing typed can match",
                    r.id, req.lane
                ),
            ),
            PhraseOutcome::Matched => Step::pass(
                StepCheck::Confirmation,
                format!("the phrase presented matches `{expected}`"),
            ),
        });
        // 6. proofs
        if c.needs.proofs.is_empty() {
            checks.push(Step::pass(
                StepCheck::Proofs,
                if !destructive {
                    "no proof needed: the action is not destructive".to_string()
                } else {
                    format!(
                        "no proof needed: the rule requires none and lane `{}` is not protected",
                        req.lane
                    )
                },
            ));
        } else {
            let mut details = Vec::new();
            let mut missing = Vec::new();
            for ((p, why), given) in c.needs.proofs.iter().zip(&c.proofs) {
                match req.proofs.get(*p).filter(|_| *given) {
                    Some(id) => {
                        details.push(format!("`{p}` ({}): presented, `{id}`", why.describe()))
                    }
                    None => {
                        details.push(format!("`{p}` ({}): missing", why.describe()));
                        missing.push(*p);
                    }
                }
            }
            if missing.is_empty() {
                checks.push(
                    Step::pass(StepCheck::Proofs, "every proof needed is presented".into())
                        .details(details),
                );
            } else {
                for p in missing {
                    checks.push(
                        Step::fail(
                            StepCheck::Proofs,
                            ReasonCode::ProofRequired,
                            format!("`{}` on `{}` needs `{p}`", req.action, req.lane),
                        )
                        .details(std::mem::take(&mut details)),
                    );
                }
            }
        }
        // 7. the lane's data policy
        let lane = &self.bundle.lanes[&req.lane];
        match c.needs.source {
            None => checks.push(Step::pass(
                StepCheck::DataSource,
                format!("`{}` is not a rebuild: no data source to check", req.action),
            )),
            Some((source, true)) => {
                let allowed: Vec<&str> = lane.allowed_sources.iter().map(|s| s.as_str()).collect();
                checks.push(Step::pass(
                    StepCheck::DataSource,
                    format!(
                        "lane `{}` may be rebuilt from `{}` (data_authority `{}`, allowed sources: {})",
                        req.lane,
                        source.as_str(),
                        lane.data_authority.as_str(),
                        allowed.join(", ")
                    ),
                ));
            }
            Some((source, false)) => checks.push(Step::fail(
                StepCheck::DataSource,
                ReasonCode::SourceNotAllowed,
                format!(
                    "lane `{}` (data_authority `{}`) does not allow rebuilding from `{}`",
                    req.lane,
                    lane.data_authority.as_str(),
                    source.as_str()
                ),
            )),
        }
        checks.into_iter().map(|s| s.rule(&r.id)).collect()
    }
}

/// " (a fact)" when the caller's facts, not the bundle, retired a rule.
fn by_facts(by: &RetiredBy) -> &'static str {
    match by {
        RetiredBy::Event {
            source: FactSource::Facts,
            ..
        } => " (given as a fact)",
        _ => "",
    }
}

impl Explanation {
    /// The explanation of a request when there is no verified bundle to
    /// decide on: one failed step, and a deny ([`Decision::bundle_invalid`]).
    /// `message` says why the bundle was refused.
    pub fn bundle_invalid(req: &Request, message: &str) -> Explanation {
        Explanation {
            decision: Decision::refused(req, ReasonCode::BundleInvalid, message.to_string(), None),
            steps: vec![Step::fail(
                StepCheck::Bundle,
                ReasonCode::BundleInvalid,
                message.to_string(),
            )],
            present: None,
            next: Some(
                "a bundle that verifies is needed: rebuild it with `lanepolicy build`".into(),
            ),
        }
    }

    /// The explanation of a request whose facts were refused
    /// ([`Runtime::check_facts`]): the bundle step passed, the facts step
    /// failed, and the decision is an `invalid-request` deny. `bundle` is
    /// the digest of the bundle read.
    pub fn invalid_request(req: &Request, message: &str, bundle: &str) -> Explanation {
        Explanation {
            decision: Decision::refused(
                req,
                ReasonCode::InvalidRequest,
                message.to_string(),
                Some(bundle.to_string()),
            ),
            steps: vec![
                Step::pass(StepCheck::Bundle, format!("bundle {bundle} is verified")),
                Step::fail(
                    StepCheck::Facts,
                    ReasonCode::InvalidRequest,
                    message.to_string(),
                ),
            ],
            present: None,
            next: Some("correct the facts: they must name what the bundle has".into()),
        }
    }
}

//! The one evaluator. Every answer the runtime gives about a lane and an
//! action comes from here: [`Runtime::decide`] reads its verdict from a
//! [`Trace`], [`Runtime::explain`] renders the same trace as steps, and the
//! read model ([`Runtime::lanes`]) projects a [`Standing`], the part of the
//! trace that does not depend on what a caller presents, and the effective
//! diff asks [`Runtime::openings`], the same walk for many situations at
//! once. No other code walks deny -> allow -> phrase -> proofs -> data
//! source.
//!
//! The walk follows the language spec ("Meaning"):
//!
//! 1. the bundle is verified (a [`Runtime`] can only be made from one);
//! 2. the lane is in the bundle, and the action is known;
//! 3. an active deny rule matches: deny;
//! 4. no active allow rule matches: deny (`rule-retired` when one matched
//!    but has retired);
//! 5. the allow rule's phrase for this lane must be presented;
//! 6. the rule's proofs, and those a destructive action on a protected lane
//!    implies, must be presented;
//! 7. the action's data source must be allowed by the lane's data policy;
//! 8. allow.
//!
//! Several active allow rules are checked in bundle order until one passes;
//! when none does, the first one's failures are the reasons.
//!
//! A presented phrase or proof id that is blank (nothing left after removing
//! white space and invisible characters, [`crate::model::is_blank`]) counts
//! as not presented, and so does a proof id without a letter or a digit
//! (`-`, `.`: [`crate::model::is_record_id`]). A rule whose phrase for the lane is missing or blank in
//! the bundle can never be satisfied: its phrase step fails whatever is typed.

use super::decide::{Reason, ReasonCode};
use super::{Facts, Request, Runtime};
use crate::bundle::{Action, Lane};
use crate::model::{
    DataSource, EventState, Phase, implied_proofs, is_blank, is_protected, normalize_phrase,
    source_allowed, upstream_source,
};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What retired a rule for one lane.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RetiredBy {
    /// An `until` event of the lane's product has occurred.
    Event {
        /// The lane's product.
        product: String,
        /// The event.
        event: String,
        /// `bundle` when the inventory already said so when the bundle was
        /// built, `facts` when the caller said so.
        source: FactSource,
    },
    /// An `until` date has passed: the rule was active through the end of
    /// that day (UTC), and the clock is past it.
    Date {
        /// The date as written, `YYYY-MM-DD`.
        date: String,
    },
}

/// Where a fact the decision used came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FactSource {
    /// The bundle (the inventory when it was compiled).
    Bundle,
    /// The caller's facts.
    Facts,
}

impl RetiredBy {
    /// One clause for a person: "`launch` of `odoo-tenant-cm` has occurred",
    /// "2027-01-31 has passed".
    pub fn describe(&self) -> String {
        match self {
            RetiredBy::Event { product, event, .. } => {
                format!("`{event}` of `{product}` has occurred")
            }
            RetiredBy::Date { date } => format!("{date} has passed"),
        }
    }
}

/// One rule that names the lane and the action, and whether it still applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RuleStatus {
    /// The rule's position in the bundle.
    pub(crate) rule: u32,
    /// What retired it, or `None` while it is active.
    pub(crate) retired: Option<RetiredBy>,
}

/// Why a proof is needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProofWhy {
    /// The rule's `requires`.
    Rule,
    /// The action is destructive and the lane is protected.
    Protected,
    /// The lane's data is authoritative.
    Authoritative,
}

impl ProofWhy {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            ProofWhy::Rule => "the rule requires it",
            ProofWhy::Protected => "the action is destructive and the lane is protected",
            ProofWhy::Authoritative => "the lane's data is authoritative",
        }
    }
}

/// The phrase an allow rule asks for on one lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phrase<'a> {
    /// The rule asks for none.
    NotAsked,
    /// This phrase (as the bundle writes it).
    Asked(&'a str),
    /// The rule asks for a phrase but the bundle gives none, or a blank one,
    /// for this lane: nothing typed can match.
    Unusable,
}

/// What one active allow rule needs on one lane, before anything is
/// presented: the request-independent half of steps 5 to 7. Borrows from
/// the bundle, so computing it allocates only the list of proofs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Requirements<'a> {
    /// The rule's position in the bundle.
    pub(crate) rule: u32,
    /// Step 5.
    pub(crate) phrase: Phrase<'a>,
    /// Step 6: proof names in order (the rule's, then the implied ones);
    /// up to two without an allocation, the most a rule usually needs.
    pub(crate) proofs: smallvec::SmallVec<[(&'a str, ProofWhy); 2]>,
    /// Step 7: the action's data source and whether the lane allows it.
    pub(crate) source: Option<(DataSource, bool)>,
}

/// The lane as the decision sees it, after facts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LaneState {
    /// The phase after facts.
    pub(crate) phase: Phase,
    /// True when a phase fact changed it.
    pub(crate) phase_from_facts: bool,
    /// `production: true` and live, or authoritative data.
    pub(crate) protected: bool,
}

/// Where a walk stopped before any rule was looked at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Unknown {
    /// Step 2: the lane is not in the bundle.
    Lane,
    /// Step 2: the lane is known (in this state), the action is not.
    Action(LaneState),
}

/// The rules of one kind (allows or denies) on a lane for an action, each
/// with its retirement: a few, kept on the stack (a decision on a large
/// bundle spent a tenth of its time allocating these lists).
pub(crate) type Statuses = smallvec::SmallVec<[RuleStatus; 4]>;

/// Everything the bundle and the facts say about one lane and action,
/// before anything is presented: the lane's state, every deny and allow
/// rule that names the pair with its retirement, and the active allows
/// whose requirements ([`Runtime::requirements`]) decide the rest. The read
/// model is a projection of this.
#[derive(Clone, Debug)]
pub(crate) struct Standing<'a> {
    pub(crate) key: &'a str,
    pub(crate) lane_def: &'a Lane,
    pub(crate) action: &'a Action,
    pub(crate) lane: LaneState,
    /// Deny rules naming the pair, in bundle order.
    pub(crate) denies: Statuses,
    /// Allow rules naming the pair, in bundle order.
    pub(crate) allows: Statuses,
    /// The active allows, in bundle order; empty when an active deny
    /// closes the pair.
    pub(crate) open: smallvec::SmallVec<[u32; 4]>,
}

impl Standing<'_> {
    /// The first active deny, which settles the decision.
    pub(crate) fn active_deny(&self) -> Option<u32> {
        self.denies
            .iter()
            .find(|s| s.retired.is_none())
            .map(|s| s.rule)
    }
}

/// The outcome of step 5 for one rule and one presentation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PhraseOutcome {
    /// The rule asks for none.
    NotAsked,
    /// Nothing (or a blank phrase) was presented.
    Missing,
    /// The presented phrase is another.
    Mismatch,
    /// The bundle gives no usable phrase for the lane.
    Unusable,
    /// It matches (trimmed, lower-cased).
    Matched,
}

/// Steps 5 to 7 for one active allow rule and one presentation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Checked<'a> {
    pub(crate) needs: Requirements<'a>,
    pub(crate) phrase: PhraseOutcome,
    /// Per needed proof, in order: whether a non-blank id was presented.
    pub(crate) proofs: smallvec::SmallVec<[bool; 2]>,
}

impl Checked<'_> {
    pub(crate) fn passed(&self) -> bool {
        self.phrase.passes() && self.passed_but_phrase()
    }

    /// Steps 6 and 7 passed: every needed proof presented, and the data
    /// source allowed.
    pub(crate) fn passed_but_phrase(&self) -> bool {
        self.proofs.iter().all(|p| *p) && self.needs.source.is_none_or(|(_, ok)| ok)
    }
}

impl PhraseOutcome {
    /// Step 5 passed: no phrase asked, or the one asked presented.
    pub(crate) fn passes(&self) -> bool {
        matches!(self, PhraseOutcome::NotAsked | PhraseOutcome::Matched)
    }
}

/// The verdict of a walk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Step 8: allowed by this rule.
    Allow(u32),
    /// Denied; the rule concerned, if any, and why (never empty).
    Deny(Option<u32>, Vec<Reason>),
}

/// What [`Runtime::decide`] says of one situation for each of some
/// phrases: [`Runtime::openings`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Opening {
    /// An active deny rule denies it (the decision's first reason is
    /// `denied-by-rule`), whatever is presented.
    pub(crate) by_deny: bool,
    /// Per phrase, in the order given: allowed with that phrase presented.
    pub(crate) admits: Vec<bool>,
}

/// The typed trace of one decision: where the walk stopped, the rules it
/// saw, the checks of each allow it tried, and the verdict.
#[derive(Clone, Debug)]
pub(crate) struct Trace<'a> {
    /// `Err` when the walk stopped at step 2.
    pub(crate) standing: Result<Standing<'a>, Unknown>,
    /// The active allows checked against the presentation, in order, up to
    /// and including the first that passed (usually one: on the stack).
    pub(crate) checked: smallvec::SmallVec<[Checked<'a>; 1]>,
    pub(crate) verdict: Verdict,
}

fn reason(code: ReasonCode, message: String) -> Reason {
    Reason { code, message }
}

impl Runtime {
    /// Why rule `k` no longer applies to `lane` of `product`, or `None`
    /// while it is active. Events are checked before dates, each in the
    /// order written.
    pub(crate) fn retirement(&self, k: u32, product: &str, facts: &Facts) -> Option<RetiredBy> {
        self.retirement_with(k, product, self.events_of(product), facts)
    }

    /// The events of `product` in the bundle, `None` for a product it
    /// lacks.
    fn events_of(
        &self,
        product: &str,
    ) -> Option<&crate::sorted_map::SortedMap<String, EventState>> {
        self.bundle.products.get(product).map(|p| &p.events)
    }

    /// [`Runtime::retirement`] with `events`, the events of `product`
    /// ([`Runtime::events_of`]), already looked up.
    fn retirement_with(
        &self,
        k: u32,
        product: &str,
        events: Option<&crate::sorted_map::SortedMap<String, EventState>>,
        facts: &Facts,
    ) -> Option<RetiredBy> {
        #[cfg(test)]
        RULE_VISITS.with(|n| n.set(n.get() + 1));
        let rule = self.rule(k);
        // Nothing says an event of the product occurred: no event retires
        // the rule, and its events need not be looked up one by one (a
        // rule retiring at 10,000 events cost each decision as many).
        let events_can_retire = !rule.until.events.is_empty()
            && (self.occurred_in.contains(product) || facts.has_occurred_in(product));
        for e in rule.until.events.iter().filter(|_| events_can_retire) {
            #[cfg(test)]
            EVENT_CHECKS.with(|n| n.set(n.get() + 1));
            let in_bundle = events.and_then(|ev| ev.get(e)) == Some(&EventState::Occurred);
            if in_bundle || facts.has_occurred(product, e) {
                return Some(RetiredBy::Event {
                    product: product.to_string(),
                    event: e.clone(),
                    source: if in_bundle {
                        FactSource::Bundle
                    } else {
                        FactSource::Facts
                    },
                });
            }
        }
        let dates = &self.dates[k as usize];
        if dates.is_empty() {
            return None;
        }
        // A deny's date retires by the machine's clock: a time given in the
        // future may close grants, never lift a freeze.
        let today = if rule.effect == crate::model::Effect::Deny {
            facts.today_for_denies()
        } else {
            facts.today()
        };
        dates
            .iter()
            .zip(&rule.until.dates)
            .find(|(d, _)| today > **d)
            .map(|(_, text)| RetiredBy::Date { date: text.clone() })
    }

    /// The request-independent half of steps 5 to 7 for active allow rule
    /// `k` of a standing.
    pub(crate) fn requirements<'a>(&'a self, s: &Standing<'a>, k: u32) -> Requirements<'a> {
        self.requirements_at(k, s.key, s.lane_def, s.action, s.lane.phase)
    }

    /// [`Runtime::requirements`] for allow rule `k` on lane `key` (defined
    /// by `lane`) and `action`, at `phase`: the effective diff asks it at
    /// both phases without a request.
    pub(crate) fn requirements_at<'a>(
        &'a self,
        k: u32,
        key: &str,
        lane: &'a Lane,
        action: &'a Action,
        phase: Phase,
    ) -> Requirements<'a> {
        let r = self.rule(k);
        let phrase = match &r.confirm {
            None => Phrase::NotAsked,
            Some(phrases) => match phrases.get(key) {
                Some(p) if !is_blank(p) => Phrase::Asked(p),
                _ => Phrase::Unusable,
            },
        };
        // The rule's proofs are distinct (`Runtime::new` drops repeats,
        // which the loader refuses anyway): a rule of n proofs costs n
        // steps, and each implied proof (at most two) one pass over them.
        let mut proofs: smallvec::SmallVec<[(&str, ProofWhy); 2]> =
            smallvec::SmallVec::with_capacity(r.requires.len() + 2);
        for p in &r.requires {
            #[cfg(test)]
            PROOF_COMPARISONS.with(|n| n.set(n.get() + 1));
            proofs.push((p.as_str(), ProofWhy::Rule));
        }
        for p in implied_proofs(
            action.destructive,
            lane.production,
            phase,
            lane.data_authority,
        ) {
            if !r.requires.iter().any(|q| {
                #[cfg(test)]
                PROOF_COMPARISONS.with(|n| n.set(n.get() + 1));
                q == p
            }) {
                let why = if p == "restore_proof" {
                    ProofWhy::Authoritative
                } else {
                    ProofWhy::Protected
                };
                proofs.push((p, why));
            }
        }
        let source = action.data_source.map(|s| {
            (
                s,
                source_allowed(
                    lane.data_authority,
                    &lane.allowed_sources,
                    s,
                    upstream_source(&lane.extra),
                ),
            )
        });
        Requirements {
            rule: k,
            phrase,
            proofs,
            source,
        }
    }

    /// Steps 2 to 4, and the requirements of every active allow: what the
    /// bundle and the facts say about `lane` and `action` before anything
    /// is presented.
    pub(crate) fn standing<'a>(
        &'a self,
        key: &'a str,
        action_name: &str,
        facts: &Facts,
    ) -> Result<Standing<'a>, Unknown> {
        // Every rule of a standing is on one lane, so of one product: its
        // events are looked up once, not once per rule.
        let mut events = None;
        self.standing_by(key, action_name, facts, |k, product| {
            let events = *events.get_or_insert_with(|| self.events_of(product));
            self.retirement_with(k, product, events, facts)
        })
    }

    /// [`Runtime::standing`] with each rule's retirement on the lane's
    /// product from `retirement` (the read model asks it once per rule and
    /// product, not once per lane).
    pub(crate) fn standing_by<'a>(
        &'a self,
        key: &'a str,
        action_name: &str,
        facts: &Facts,
        mut retirement: impl FnMut(u32, &'a str) -> Option<RetiredBy>,
    ) -> Result<Standing<'a>, Unknown> {
        let (lane_id, lane) = self.lane_by_key(key).ok_or(Unknown::Lane)?;
        let fact_phase = facts.phases.get(key).copied();
        let phase = fact_phase.unwrap_or(lane.phase);
        let state = LaneState {
            phase,
            phase_from_facts: fact_phase.is_some_and(|p| p != lane.phase),
            protected: is_protected(lane.production, phase, lane.data_authority),
        };
        let (Some(action), Some(&action_id)) = (
            self.bundle.actions.get(action_name),
            self.action_ids.get(action_name),
        ) else {
            return Err(Unknown::Action(state));
        };
        let mut status = |k: u32| RuleStatus {
            rule: k,
            retired: retirement(k, &lane.product),
        };
        let denies: Statuses = self
            .rules_by_ids(false, lane_id, action_id)
            .map(&mut status)
            .collect();
        let allows: Statuses = self
            .rules_by_ids(true, lane_id, action_id)
            .map(&mut status)
            .collect();
        let open = if denies.iter().any(|s| s.retired.is_none()) {
            smallvec::SmallVec::new()
        } else {
            allows
                .iter()
                .filter(|s| s.retired.is_none())
                .map(|s| s.rule)
                .collect()
        };
        Ok(Standing {
            key,
            lane_def: lane,
            action,
            lane: state,
            denies,
            allows,
            open,
        })
    }

    /// The whole walk for one request.
    pub(crate) fn trace<'a>(&'a self, req: &'a Request, facts: &Facts) -> Trace<'a> {
        let standing = self.standing(&req.lane, &req.action, facts);
        let mut checked = smallvec::SmallVec::new();
        let verdict = match &standing {
            Err(Unknown::Lane) => Verdict::Deny(
                None,
                vec![reason(
                    ReasonCode::UnknownLane,
                    format!("lane `{}` is not in the bundle", req.lane),
                )],
            ),
            Err(Unknown::Action(_)) => Verdict::Deny(
                None,
                vec![reason(
                    ReasonCode::UnknownAction,
                    format!("action `{}` is not in the bundle", req.action),
                )],
            ),
            Ok(s) => self.verdict(req, s, &mut checked),
        };
        Trace {
            standing,
            checked,
            verdict,
        }
    }

    /// Steps 3 to 8 on a standing, recording each allow checked.
    fn verdict<'a>(
        &'a self,
        req: &Request,
        s: &Standing<'a>,
        checked: &mut smallvec::SmallVec<[Checked<'a>; 1]>,
    ) -> Verdict {
        if let Some(k) = s.active_deny() {
            let r = self.rule(k);
            let why = r
                .reason
                .as_deref()
                .map_or(String::new(), |t| format!(": {t}"));
            return Verdict::Deny(
                Some(k),
                vec![reason(
                    ReasonCode::DeniedByRule,
                    format!(
                        "`{}` on `{}` is denied by rule {}{why}",
                        req.action, req.lane, r.id
                    ),
                )],
            );
        }
        if s.open.is_empty() {
            if let Some(first) = s.allows.first() {
                let why = first
                    .retired
                    .as_ref()
                    .map_or(String::new(), RetiredBy::describe);
                return Verdict::Deny(
                    Some(first.rule),
                    vec![reason(
                        ReasonCode::RuleRetired,
                        format!(
                            "the rule that allowed `{}` on `{}` has retired: {why}",
                            req.action, req.lane
                        ),
                    )],
                );
            }
            return Verdict::Deny(
                None,
                vec![reason(
                    ReasonCode::NoMatchingRule,
                    format!("no rule allows `{}` on `{}`", req.action, req.lane),
                )],
            );
        }
        for &k in &s.open {
            let c = present(req, self.requirements(s, k));
            let passed = c.passed();
            let k = c.needs.rule;
            checked.push(c);
            if passed {
                return Verdict::Allow(k);
            }
        }
        let first = &checked[0];
        Verdict::Deny(Some(first.needs.rule), self.reasons(req, first))
    }

    /// The verdict of many situations at once, for the effective diff:
    /// the request's lane, action and proofs (its phrase is not read),
    /// `facts`, and each subset of `events` occurring on top of them, with
    /// each of `phrases` presented. `events[n]` is the fact bit `n` of a
    /// subset adds, `None` for one that never occurs in this bundle. The
    /// [`Opening`] of subset `mask` (bit `n` for `events[n]`) says whether
    /// [`Runtime::decide`] on that situation denies it by an active deny
    /// rule, and, for each phrase, whether it allows it.
    ///
    /// The rules are walked once, not once per subset and phrase: each
    /// rule's retirement under `facts` and under each event alone
    /// ([`Runtime::retirement`]), and each active allow's presentation
    /// ([`present`], whose phrase step is then held against the phrases
    /// through [`phrase_outcome`], looked up by normalized phrase). It
    /// rests on the walk's own shape: events only retire, and a rule is
    /// retired by a set of events when it is by one of them (its `until`
    /// is a list of alternatives); an active deny denies whatever is
    /// presented; and the pair is allowed when some active allow passes,
    /// which one only changing the reasons. The rules are then grouped by
    /// the events that retire them, and each subset combines the groups it
    /// leaves active. Returns the openings by subset and the rules
    /// visited: rules x (events + 2), then groups and admitted phrases per
    /// subset. With 32 events or more (more subsets than a diff ever
    /// compares) it returns none. The effective diff's test
    /// `openings_are_the_decisions_of_each_situation` holds it to
    /// [`Runtime::decide`] on generated bundles.
    pub(crate) fn openings(
        &self,
        req: &Request,
        facts: &Facts,
        events: &[Option<(String, String)>],
        phrases: &[Option<String>],
    ) -> (Vec<Opening>, u64) {
        let Some(subsets) = u32::try_from(events.len())
            .ok()
            .filter(|&n| n < u32::BITS)
            .map(|n| 1usize << n)
        else {
            return (Vec::new(), 0);
        };
        let closed = Opening {
            by_deny: false,
            admits: vec![false; phrases.len()],
        };
        let Ok(s) = self.standing(&req.lane, &req.action, facts) else {
            return (vec![closed; subsets], 0);
        };
        let mut visits = (s.denies.len() + s.allows.len()) as u64;
        let product = s.lane_def.product.as_str();
        let alone: Vec<Option<Facts>> = events
            .iter()
            .map(|e| {
                e.as_ref()
                    .map(|(p, e)| facts.clone().with_occurred(p.clone(), e.clone()))
            })
            .collect();
        // The events (bits) that retire rule `k`, active under `facts`.
        let looked_up = std::cell::Cell::new(0u64);
        let retired_by = |k: u32| -> u32 {
            let mut bits = 0;
            for (n, f) in alone.iter().enumerate() {
                if let Some(f) = f {
                    looked_up.set(looked_up.get() + 1);
                    if self.retirement(k, product, f).is_some() {
                        bits |= 1 << n;
                    }
                }
            }
            bits
        };
        let deny_groups: BTreeSet<u32> = s
            .denies
            .iter()
            .filter(|d| d.retired.is_none())
            .map(|d| retired_by(d.rule))
            .collect();
        // The phrases, by their normalized form (blank ones are none).
        let mut by_phrase: HashMap<String, Vec<usize>> = HashMap::new();
        for (n, p) in phrases.iter().enumerate() {
            if let Some(g) = p.as_deref().filter(|g| !is_blank(g)) {
                by_phrase.entry(normalize_phrase(g)).or_default().push(n);
            }
        }
        // Per group of allows retired by the same events: whether one
        // takes any phrase, and the phrases the others take.
        let mut allow_groups: BTreeMap<u32, (bool, Vec<usize>)> = BTreeMap::new();
        for a in s.allows.iter().filter(|a| a.retired.is_none()) {
            visits += 1;
            let c = present(req, self.requirements(&s, a.rule));
            if !c.passed_but_phrase() {
                continue;
            }
            let admitted: Option<Vec<usize>> = match c.needs.phrase {
                Phrase::NotAsked => None,
                Phrase::Unusable => Some(Vec::new()),
                Phrase::Asked(p) => Some(
                    by_phrase
                        .get(&normalize_phrase(p))
                        .into_iter()
                        .flatten()
                        .copied()
                        .filter(|&n| phrase_outcome(c.needs.phrase, phrases[n].as_deref()).passes())
                        .collect(),
                ),
            };
            let bits = retired_by(a.rule);
            let group = allow_groups.entry(bits).or_default();
            match admitted {
                None => group.0 = true,
                Some(ns) => group.1.extend(ns),
            }
        }
        let mut out = Vec::with_capacity(subsets);
        let mut combined: u64 = 0;
        for mask in 0..subsets as u32 {
            let mut o = closed.clone();
            combined += deny_groups.len() as u64;
            o.by_deny = deny_groups.iter().any(|g| g & mask == 0);
            if !o.by_deny {
                for (bits, (any, ns)) in &allow_groups {
                    combined += 1;
                    if bits & mask != 0 {
                        continue;
                    }
                    if *any {
                        o.admits.iter_mut().for_each(|a| *a = true);
                    } else {
                        combined += ns.len() as u64;
                        for &n in ns {
                            o.admits[n] = true;
                        }
                    }
                }
            }
            out.push(o);
        }
        visits += looked_up.get() + combined;
        // `retirement` and `present` count their own visits.
        #[cfg(test)]
        RULE_VISITS.with(|n| n.set(n.get() + combined as usize));
        (out, visits)
    }

    /// The deny reasons of a failed check, in step order.
    fn reasons(&self, req: &Request, c: &Checked) -> Vec<Reason> {
        let r = self.rule(c.needs.rule);
        let mut out = Vec::new();
        let expected = match c.needs.phrase {
            Phrase::Asked(p) => p,
            _ => "",
        };
        match c.phrase {
            PhraseOutcome::Missing => out.push(reason(
                ReasonCode::ConfirmationRequired,
                format!(
                    "rule {} asks for the confirmation phrase `{expected}`",
                    r.id
                ),
            )),
            PhraseOutcome::Mismatch => out.push(reason(
                ReasonCode::ConfirmationMismatch,
                format!(
                    "the confirmation phrase does not match; rule {} asks for `{expected}`",
                    r.id
                ),
            )),
            PhraseOutcome::Unusable => out.push(reason(
                ReasonCode::ConfirmationMismatch,
                format!(
                    "rule {} asks for a confirmation phrase but the bundle gives none for lane `{}`: nothing typed can match",
                    r.id, req.lane
                ),
            )),
            PhraseOutcome::NotAsked | PhraseOutcome::Matched => {}
        }
        for ((p, _), given) in c.needs.proofs.iter().zip(&c.proofs) {
            if !given {
                out.push(reason(
                    ReasonCode::ProofRequired,
                    format!(
                        "`{}` on `{}` needs `{p}`: present `--proof {p}=RECORD_ID`",
                        req.action, req.lane
                    ),
                ));
            }
        }
        if let Some((source, false)) = c.needs.source {
            let authority = self
                .bundle
                .lanes
                .get(&req.lane)
                .map_or("unknown", |l| l.data_authority.as_str());
            out.push(reason(
                ReasonCode::SourceNotAllowed,
                format!(
                    "lane `{}` (data_authority `{authority}`) does not allow rebuilding from `{}`",
                    req.lane,
                    source.as_str()
                ),
            ));
        }
        out
    }
}

/// Step 5: the phrase `typed` (`None` when none) held against the one a
/// rule asks for.
fn phrase_outcome(asked: Phrase<'_>, typed: Option<&str>) -> PhraseOutcome {
    let given = typed.filter(|g| !is_blank(g));
    match (asked, given) {
        (Phrase::NotAsked, _) => PhraseOutcome::NotAsked,
        (Phrase::Unusable, _) => PhraseOutcome::Unusable,
        (Phrase::Asked(_), None) => PhraseOutcome::Missing,
        (Phrase::Asked(p), Some(g)) if normalize_phrase(g) == normalize_phrase(p) => {
            PhraseOutcome::Matched
        }
        (Phrase::Asked(_), Some(_)) => PhraseOutcome::Mismatch,
    }
}

/// Steps 5 to 7: a presentation held against one rule's requirements.
fn present<'a>(req: &Request, needs: Requirements<'a>) -> Checked<'a> {
    #[cfg(test)]
    RULE_VISITS.with(|n| n.set(n.get() + 1));
    let phrase = phrase_outcome(needs.phrase, req.confirm.as_deref());
    let proofs = needs
        .proofs
        .iter()
        .map(|(p, _)| {
            req.proofs
                .get(*p)
                .is_some_and(|id| crate::model::is_record_id(id))
        })
        .collect();
    Checked {
        needs,
        phrase,
        proofs,
    }
}

#[cfg(test)]
thread_local! {
    /// Rules visited by the evaluator: each rule's retirement looked up,
    /// each allow's presentation checked, and each group of rules
    /// [`Runtime::openings`] combines for one set of events.
    pub(crate) static RULE_VISITS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    /// Proof-name comparisons (and set insertions) made listing a rule's
    /// proofs once each.
    static PROOF_COMPARISONS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    /// A rule's `until` events looked up, one by one, for its retirement.
    static EVENT_CHECKS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

#[cfg(test)]
mod tests {
    use super::PROOF_COMPARISONS;
    use crate::runtime::{Facts, Request, Runtime};

    /// A rule retiring at many events costs a decision no lookup of them
    /// while nothing says an event of the lane's product occurred (a test
    /// suite of n cases on a rule of n events took n x n); once the facts
    /// or the bundle name one, its events are looked up, and it retires.
    #[test]
    fn events_are_looked_up_only_when_one_of_the_product_occurred() {
        let mut b = crate::bundle::real_fixture();
        let k = b
            .rules
            .iter()
            .position(|r| r.effect == crate::model::Effect::Allow)
            .expect("an allow");
        let lane = b.rules[k].lanes[0].clone();
        let action = b.rules[k].actions[0].clone();
        let product = b.lanes.get(&lane).expect("its lane").product.clone();
        let events: Vec<String> = (0..1000).map(|n| format!("e{n}")).collect();
        let p = b.products.get_mut(&product).expect("its product");
        for e in &events {
            p.events
                .insert(e.clone(), crate::model::EventState::Pending);
        }
        b.rules[k].until.events = events.clone();
        b.rules[k].until.dates.clear();
        let phrase = b.rules[k]
            .confirm
            .as_ref()
            .and_then(|c| c.get(&lane))
            .cloned();
        let rt = Runtime::new(b.clone());
        let facts = Facts::at("2026-12-01T12:00:00Z".parse().unwrap());
        let mut req = Request::new(lane.clone(), action.clone());
        if let Some(p) = phrase {
            req = req.confirm(p);
        }
        super::EVENT_CHECKS.with(|n| n.set(0));
        for _ in 0..100 {
            assert!(rt.decide(&req, &facts).is_allow());
        }
        assert_eq!(super::EVENT_CHECKS.with(std::cell::Cell::get), 0);

        let late = facts
            .clone()
            .with_occurred(product.clone(), "e999".to_string());
        let d = rt.decide(&req, &late);
        assert!(!d.is_allow(), "{d:?}");
        assert!(super::EVENT_CHECKS.with(std::cell::Cell::get) >= 1000);

        let occurred = b.products.get_mut(&product).expect("its product");
        occurred
            .events
            .insert("e500".into(), crate::model::EventState::Occurred);
        let rt = Runtime::new(b);
        assert!(!rt.decide(&req, &facts).is_allow());
    }

    #[test]
    fn a_rule_of_many_proofs_lists_them_in_linear_work() {
        let mut b = crate::bundle::real_fixture();
        let k = b
            .rules
            .iter()
            .position(|r| r.effect == crate::model::Effect::Allow)
            .expect("an allow");
        let n = 20_000;
        // n distinct proofs, then the first again (which a loaded bundle
        // would not hold, but the list is still made once each).
        let mut requires: Vec<String> = (0..n).map(|i| format!("proof_{i}")).collect();
        requires.push("proof_0".into());
        b.rules[k].requires = requires;
        let lane = b.rules[k].lanes[0].clone();
        let action = b.rules[k].actions[0].clone();
        let rt = Runtime::new(b);
        let facts = Facts::at("2026-12-01T12:00:00Z".parse().unwrap());
        let req = Request::new(lane, action);
        PROOF_COMPARISONS.with(|c| c.set(0));
        let trace = rt.trace(&req, &facts);
        let comparisons = PROOF_COMPARISONS.with(std::cell::Cell::get);
        let checked = trace.checked.first().expect("the allow was checked");
        let rule_proofs: Vec<&str> = checked
            .needs
            .proofs
            .iter()
            .filter(|(_, why)| *why == super::ProofWhy::Rule)
            .map(|(p, _)| *p)
            .collect();
        assert_eq!(rule_proofs.len(), n);
        assert_eq!(rule_proofs[0], "proof_0");
        assert_eq!(rule_proofs[n - 1], format!("proof_{}", n - 1));
        // One insertion per proof, and each implied proof looked for once
        // in the list: 3n at most, not n x n / 2.
        assert!(comparisons <= 3 * n + 3, "{comparisons} comparisons");
    }
}

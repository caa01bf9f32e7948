//! What a change effectively opens or closes (`lanepolicy diff`, the
//! `effective` section): for every (lane, action) of either bundle, the set
//! of situations in which [`Runtime::decide`] allows it under the old bundle
//! and under the new one, compared.
//!
//! A *situation* is the facts (which `until` events have occurred, the
//! date, the lane's phase) and what is presented (a phrase, proofs). A
//! permission is *allowed in strictly more situations* when every situation
//! allowed before is allowed now and some new one is. Each change is one of:
//!
//! - `opened`: never allowed before, allowed in some situation now;
//! - `closed`: allowed in some situation before, never now;
//! - `widened`: allowed in strictly more situations;
//! - `narrowed`: allowed in strictly fewer situations;
//! - `changed`: neither includes the other (another phrase, say).
//!
//! The comparison is exact: for one pair, a decision can only turn on the
//! boundaries the two bundles mention, so a finite set of representative
//! situations covers them all: each `until` event of the lane's product
//! occurred or not, each `until` date and the day after the last one, the
//! lane's phase as built, prelaunch or live, no phrase, each phrase either
//! bundle asks for and a wrong one, and each set of the proofs either
//! bundle may ask for. Every representative is decided by the one evaluator
//! on both bundles, through [`Runtime::decide`] or its batched form
//! `Runtime::openings` (next to it in `evaluate.rs`, held to it by a
//! test); nothing here re-walks deny -> allow -> phrase -> proofs -> data
//! source. Facts are held against each
//! bundle as that bundle would accept them: an event a bundle's product
//! lacks never occurs there, and a phase fact that would make a lane live in
//! the bundle prelaunch again is not given.
//!
//! Dates are compared over all time, not from today: a retirement moved
//! from one past date to a later past date is reported as widened, since
//! the policy now says more.
//!
//! Not every situation is decided on its own. With the rest of a situation
//! fixed (the events, the phase, the phrase, the proofs), a bundle allows a
//! pair on one run of consecutive dates: a date only ever retires a rule as
//! time passes; an active deny closes the pair whatever is presented, so
//! the denies close the earliest dates, until the last of them retires; and
//! from there the pair is open while an active allow takes what is
//! presented (its phrase and proofs do not depend on the date), until the
//! last such allow retires. `Runtime::runs` finds each bundle's run by
//! binary search, telling a deny's verdict by its reason
//! (`denied-by-rule`): O(log n) probes for n dates, not n. A probe is one
//! walk of the pair's rules for one date, phase and set of proofs that
//! answers for every subset of the events and every phrase at once
//! (`Runtime::openings`): each rule's retirement is looked up once and once
//! per event, each active allow's proofs and data source checked once, its
//! phrase found among the phrases by its normalized form, and each event
//! subset combines the groups of rules the same events retire. The
//! searches of one phase and set of proofs share their probes, so 5,000
//! allows of 5,000 phrases cost a few walks of 5,000 rules, not a walk per
//! phrase. The first situation allowed by one bundle and not the other, in
//! the order the situations are listed, is then the earliest date outside
//! the other's run, and it alone is decided again (by [`Runtime::decide`])
//! for the evaluator's reason.
//!
//! The work is bounded twice over. The caps on situations
//! ([`MAX_SITUATIONS`] for a pair, [`MAX_TOTAL_SITUATIONS`] for the diff)
//! count every representative situation, searched or not, so what they
//! let through is compared exactly as when each situation was decided. The
//! caps on rule visits ([`MAX_PAIR_VISITS`], [`MAX_TOTAL_VISITS`]) count
//! the evaluator's real work, probes x rules of the pair (plus the event
//! subsets' groups), charged as the probes are made: a pair whose search
//! passes them stops and is reported `changed`, as a pair over the caps on
//! situations is, and once the diff's visits are spent every further pair
//! whose rules differ is too. Tests hold the search to the decision of
//! every situation on generated bundles, and count the rule visits of many
//! phrases and many events.

use super::decide::ReasonCode;
use super::evaluate::{Opening, Phrase, Unknown};
use super::{Facts, Request, Rule, Runtime};
use crate::bundle::diff::BundleDiff;
use crate::model::{Phase, normalize_phrase};
use crate::source::one_line;
use jiff::civil::Date;
use serde::Serialize;
use std::collections::BTreeSet;
use std::ops::Range;

/// How many representative situations one pair may need before the
/// comparison gives up on exactness and reports any difference in the
/// rules as `changed` (which the widening gate counts as widening).
const MAX_SITUATIONS: u64 = 1 << 18;

/// How many representative situations one whole diff may cover (on both
/// bundles) before every further pair whose rules differ is reported
/// `changed` without comparing: what the diff compares is bounded whatever
/// the number of lanes (about a second in a release build when every
/// situation was decided; the dates are now searched and the phrases and
/// events batched, see the module, and [`MAX_TOTAL_VISITS`] bounds the
/// work of the comparing).
const MAX_TOTAL_SITUATIONS: u64 = 1 << 20;

/// How many rules the evaluator may visit comparing one pair
/// ([`Runtime::openings`] counts them) before the comparison gives up on
/// exactness and reports any difference in the rules as `changed`, as
/// [`MAX_SITUATIONS`] does.
const MAX_PAIR_VISITS: u64 = 1 << 25;

/// How many rules the evaluator may visit in one whole diff before every
/// further pair whose rules differ is reported `changed` without
/// comparing, as [`MAX_TOTAL_SITUATIONS`] does: the caps on situations
/// bound what is compared, this one the work of comparing it.
const MAX_TOTAL_VISITS: u64 = 1 << 27;

/// How the effective permission of one (lane, action) changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EffectiveKind {
    /// Never allowed before; allowed in some situation now.
    Opened,
    /// Allowed in some situation before; never now.
    Closed,
    /// Allowed in strictly more situations.
    Widened,
    /// Allowed in strictly fewer situations.
    Narrowed,
    /// Some situations opened and others closed.
    Changed,
}

impl EffectiveKind {
    /// `opened`, `closed`, `widened`, `narrowed` or `changed`.
    pub fn as_str(self) -> &'static str {
        match self {
            EffectiveKind::Opened => "opened",
            EffectiveKind::Closed => "closed",
            EffectiveKind::Widened => "widened",
            EffectiveKind::Narrowed => "narrowed",
            EffectiveKind::Changed => "changed",
        }
    }

    /// True when some situation is allowed now that was not before:
    /// `opened`, `widened` and `changed` (what `--fail-on-widening` gates).
    pub fn widens(self) -> bool {
        matches!(
            self,
            EffectiveKind::Opened | EffectiveKind::Widened | EffectiveKind::Changed
        )
    }
}

/// One allow rule naming the pair, as the bundle states it for the lane.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Way {
    /// The rule's id.
    pub rule: String,
    /// The rule's approval issue, as written.
    pub issue: Option<String>,
    /// The phrase to type, `None` when none is asked.
    pub phrase: Option<String>,
    /// True when a phrase is asked but the bundle gives no usable one for
    /// the lane: nothing typed can match.
    pub phrase_unusable: bool,
    /// Proofs to present at the lane's phase as built (the rule's, then
    /// those a protected lane implies).
    pub proofs: Vec<String>,
    /// The action's data source, when it has one.
    pub source: Option<String>,
    /// False when the lane's data policy refuses that source.
    pub source_allowed: bool,
    /// Retirement: events, then dates, as written.
    pub until: Vec<String>,
    /// What already retires it in the bundle (an event the inventory says
    /// has occurred), in words.
    pub retired: Option<String>,
}

/// One deny rule naming the pair.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DenyTerm {
    /// The rule's id.
    pub rule: String,
    /// The rule's approval issue, as written.
    pub issue: Option<String>,
    /// The deny's reason text.
    pub reason: Option<String>,
    /// Retirement: events, then dates, as written.
    pub until: Vec<String>,
    /// What already retires it in the bundle, in words.
    pub retired: Option<String>,
}

/// The effective permission of one (lane, action) in one bundle: whether
/// any situation allows it, and the rules that say under which conditions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Permission {
    /// The permission in one sentence.
    pub summary: String,
    /// True when some situation allows it.
    pub allowed_somewhere: bool,
    /// True when the lane is protected at its phase as built.
    pub protected: bool,
    /// The allow rules naming the pair, in bundle order.
    pub allows: Vec<Way>,
    /// The deny rules naming the pair, in bundle order.
    pub denies: Vec<DenyTerm>,
}

/// What one (lane, action) can effectively do before and after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EffectiveChange {
    /// The lane key.
    pub lane: String,
    /// The action.
    pub action: String,
    /// How it changed.
    pub change: EffectiveKind,
    /// True when the lane is protected in either bundle.
    pub protected: bool,
    /// The approval issues of every rule naming the pair in either bundle,
    /// sorted.
    pub issues: Vec<String>,
    /// The permission in the old bundle.
    pub before: Permission,
    /// The permission in the new bundle.
    pub after: Permission,
    /// Situations that show the change, in words: one allowed now and not
    /// before, one allowed before and not now (each when there is one),
    /// with the evaluator's reason for the deny.
    pub why: Vec<String>,
}

/// The whole difference: the effective changes, then the rule-level diff
/// (`diff --format json`).
#[derive(Clone, Debug, Serialize)]
pub struct Review {
    /// The rule-level difference: digests, grants, denies, inventory.
    #[serde(flatten)]
    pub rules: BundleDiff,
    /// What each (lane, action) can effectively do that changed, by lane
    /// then action; empty when every pair is allowed in exactly the same
    /// situations.
    pub effective: Vec<EffectiveChange>,
}

/// The candidate inputs of one pair, gathered from both bundles.
struct Space {
    events: Vec<(String, String)>,
    dates: Vec<Date>,
    phases: [Option<Phase>; 3],
    phrases: Vec<Option<String>>,
    proofs: Vec<String>,
}

impl Space {
    fn size(&self) -> u64 {
        let pow = |n: usize| 1u64.checked_shl(n as u32).unwrap_or(u64::MAX);
        pow(self.events.len())
            .saturating_mul(self.dates.len() as u64)
            .saturating_mul(3)
            .saturating_mul(self.phrases.len() as u64)
            .saturating_mul(pow(self.proofs.len()))
    }
}

/// A number of situations ([`Space::size`]) as a message shows it: the
/// size saturates, so past u64's range it is no count to print.
fn situations(size: u64) -> String {
    if size == u64::MAX {
        "over 2^64".to_string()
    } else {
        size.to_string()
    }
}

/// Subsets of `n` items as bit masks, smallest first.
fn masks(n: usize) -> Vec<u32> {
    let mut m: Vec<u32> = (0..(1u32 << n)).collect();
    m.sort_by_key(|x| (x.count_ones(), *x));
    m
}

fn noon(d: Date) -> Option<jiff::Timestamp> {
    d.at(12, 0, 0, 0)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

fn phase_str(p: Phase) -> &'static str {
    match p {
        Phase::Prelaunch => "prelaunch",
        Phase::Live => "live",
    }
}

/// One representative situation.
struct Situation<'a> {
    occurred: Vec<&'a (String, String)>,
    date: Date,
    /// False when neither bundle names a date for the pair.
    dated: bool,
    phase: Option<Phase>,
    request: Request,
}

impl Situation<'_> {
    fn describe(&self) -> String {
        let events = if self.occurred.is_empty() {
            "no `until` event occurred".to_string()
        } else {
            let names: Vec<String> = self
                .occurred
                .iter()
                .map(|(p, e)| format!("`{e}` of `{p}` occurred"))
                .collect();
            names.join(", ")
        };
        let phase = self
            .phase
            .map_or(String::new(), |p| format!(", lane {}", phase_str(p)));
        let phrase = match &self.request.confirm {
            None => "no phrase".to_string(),
            Some(p) => format!("phrase \"{}\"", one_line(p)),
        };
        let proofs = if self.request.proofs.is_empty() {
            "no proofs".to_string()
        } else {
            let names: Vec<&str> = self.request.proofs.keys().map(String::as_str).collect();
            format!("proofs {}", names.join(", "))
        };
        let date = if self.dated {
            format!("on {}", self.date)
        } else {
            "on any date".to_string()
        };
        format!("{date}, {events}{phase}, {phrase}, {proofs}")
    }
}

impl Runtime {
    /// True when this bundle's product `p` has event `e`: a fact that it
    /// occurred is one this bundle accepts.
    fn knows_event(&self, p: &str, e: &str) -> bool {
        self.bundle
            .products
            .get(p)
            .is_some_and(|prod| prod.events.contains_key(e))
    }

    /// Facts at noon on `date`, with `occurred` and the lane at `phase`,
    /// as this bundle accepts them: events it does not know are left out,
    /// and so is a phase fact that would make a live lane prelaunch again.
    fn facts_with<'e>(
        &self,
        lane: &str,
        date: Date,
        phase: Option<Phase>,
        occurred: impl IntoIterator<Item = &'e (String, String)>,
    ) -> Option<Facts> {
        let mut facts = Facts::at(noon(date)?);
        for (p, e) in occurred {
            if self.knows_event(p, e) {
                facts = facts.with_occurred(p.clone(), e.clone());
            }
        }
        if let (Some(phase), Some(l)) = (phase, self.bundle.lanes.get(lane))
            && !(l.phase == Phase::Live && phase == Phase::Prelaunch)
        {
            facts = facts.with_phase(lane, phase);
        }
        self.check_facts(&facts).ok().map(|()| facts)
    }

    /// Facts for `s` as this bundle accepts them.
    fn facts_for(&self, lane: &str, s: &Situation<'_>) -> Option<Facts> {
        self.facts_with(lane, s.date, s.phase, s.occurred.iter().copied())
    }

    /// [`Runtime::decide`] on `s`.
    fn allows_in(&self, s: &Situation<'_>) -> Decided {
        #[cfg(test)]
        tests::DECISIONS.with(|n| n.set(n.get() + 1));
        let Some(facts) = self.facts_for(&s.request.lane, s) else {
            return Decided {
                allowed: false,
                by_deny: false,
                why: "these facts do not apply to this bundle".into(),
            };
        };
        let d = self.decide(&s.request, &facts);
        let first = d.reasons.first();
        Decided {
            allowed: d.is_allow(),
            by_deny: first.is_some_and(|r| r.code == ReasonCode::DeniedByRule),
            why: first.map_or(String::new(), |r| r.message.clone()),
        }
    }

    /// For every rest of a situation of `sp` (event mask, phase, phrase,
    /// proof mask), the positions in `sp.dates` on which this bundle
    /// allows the pair: one run of consecutive dates (see the module's
    /// documentation), found by binary search. The searches of one phase
    /// and proof mask share their probes: a probe of a date is one
    /// [`Runtime::openings`], the verdict of every event mask and phrase
    /// at once, made once per date. `None` when the probes' rule visits
    /// pass `work` (what is left is charged as they are made).
    fn runs(
        &self,
        lane: &str,
        action: &str,
        sp: &Space,
        proof_masks: &[u32],
        work: &mut u64,
    ) -> Option<Runs> {
        let subsets = 1usize << sp.events.len();
        let events: Vec<Option<(String, String)>> = sp
            .events
            .iter()
            .map(|(p, e)| self.knows_event(p, e).then(|| (p.clone(), e.clone())))
            .collect();
        let shape = Runs {
            subsets,
            phrases: sp.phrases.len(),
            proof_masks: proof_masks.len(),
            runs: Vec::new(),
        };
        let mut runs = vec![0..0; sp.phases.len() * shape.proof_masks * subsets * shape.phrases];
        for (pi, &phase) in sp.phases.iter().enumerate() {
            for (mi, &pm) in proof_masks.iter().enumerate() {
                let request = request_for(lane, action, &None, &sp.proofs, pm);
                let mut probes = Probes {
                    rt: self,
                    request: &request,
                    dates: &sp.dates,
                    phase,
                    events: &events,
                    phrases: &sp.phrases,
                    probed: vec![None; sp.dates.len()],
                    work: &mut *work,
                    spent: false,
                };
                let n = sp.dates.len();
                for em in 0..subsets {
                    // An active deny closes the pair on the first dates,
                    // until the last active deny retires; from there, an
                    // active allow that takes what is presented opens it,
                    // until the last such allow retires.
                    let open = first_false(0..n, |i| probes.at(i).is_some_and(|o| o[em].by_deny));
                    for fi in 0..shape.phrases {
                        let end = first_false(open..n, |i| {
                            probes.at(i).is_some_and(|o| o[em].admits[fi])
                        });
                        runs[shape.index(em, pi, fi, mi)] = open..end;
                    }
                }
                if probes.spent {
                    return None;
                }
            }
        }
        Some(Runs { runs, ..shape })
    }

    /// Rule numbers naming the pair: allows, then denies.
    fn naming(&self, lane: &str, action: &str) -> (Vec<u32>, Vec<u32>) {
        (
            self.rules_for(true, lane, action).collect(),
            self.rules_for(false, lane, action).collect(),
        )
    }

    /// The permission of one pair as the bundle states it, from the
    /// evaluator's standing, retirement and requirements at the lane's
    /// phase as built, with no facts beyond the bundle's (on a date before
    /// every `until` date, so only the inventory's events retire).
    pub(crate) fn permission(
        &self,
        lane: &str,
        action: &str,
        allowed_somewhere: bool,
    ) -> Permission {
        let early = noon(jiff::civil::date(1, 1, 1)).map(Facts::at);
        let protected = match (early.as_ref(), self.bundle.lanes.get(lane)) {
            (Some(f), Some(_)) => match self.standing(lane, action, f) {
                Ok(s) => s.lane.protected,
                Err(Unknown::Action(state)) => state.protected,
                Err(Unknown::Lane) => false,
            },
            _ => false,
        };
        let (Some(l), Some(a)) = (self.bundle.lanes.get(lane), self.bundle.actions.get(action))
        else {
            let missing = if self.bundle.lanes.contains_key(lane) {
                "the action is not in the bundle"
            } else {
                "the lane is not in the bundle"
            };
            return Permission {
                summary: format!("never allowed: {missing}"),
                allowed_somewhere,
                protected,
                allows: Vec::new(),
                denies: Vec::new(),
            };
        };
        let retired = |k: u32| {
            early
                .as_ref()
                .and_then(|f| self.retirement(k, &l.product, f))
                .map(|r| r.describe())
        };
        let until = |k: u32| {
            let r = self.rule(k);
            r.until
                .events
                .iter()
                .chain(&r.until.dates)
                .cloned()
                .collect::<Vec<_>>()
        };
        let issue = |k: u32| self.rule(k).issue.as_ref().map(|i| i.reference.clone());
        let (allow_rules, deny_rules) = self.naming(lane, action);
        let allows: Vec<Way> = allow_rules
            .iter()
            .map(|&k| {
                let needs = self.requirements_at(k, lane, l, a, l.phase);
                let (phrase, phrase_unusable) = match needs.phrase {
                    Phrase::NotAsked => (None, false),
                    Phrase::Asked(p) => (Some(p.to_string()), false),
                    Phrase::Unusable => (None, true),
                };
                Way {
                    rule: self.rule(k).id.clone(),
                    issue: issue(k),
                    phrase,
                    phrase_unusable,
                    proofs: needs
                        .proofs
                        .into_iter()
                        .map(|(p, _)| p.to_string())
                        .collect(),
                    source: needs.source.map(|(s, _)| s.as_str().to_string()),
                    source_allowed: needs.source.is_none_or(|(_, ok)| ok),
                    until: until(k),
                    retired: retired(k),
                }
            })
            .collect();
        let denies: Vec<DenyTerm> = deny_rules
            .iter()
            .map(|&k| DenyTerm {
                rule: self.rule(k).id.clone(),
                issue: issue(k),
                reason: self.rule(k).reason.clone(),
                until: until(k),
                retired: retired(k),
            })
            .collect();
        Permission {
            summary: summary(allowed_somewhere, &allows, &denies),
            allowed_somewhere,
            protected,
            allows,
            denies,
        }
    }

    /// Gathers the candidate inputs of one pair from this bundle into `sp`.
    ///
    /// Each event, phrase and proof is added once, in the order first
    /// seen; whether one is already there is a set lookup (`seen`, shared
    /// by both bundles' calls), so a pair named by n rules costs O(n log n),
    /// not a scan of everything gathered so far for each rule.
    fn gather(
        &self,
        lane: &str,
        action: &str,
        sp: &mut Space,
        seen: &mut Seen,
        dates: &mut BTreeSet<Date>,
    ) {
        let (Some(l), Some(a)) = (self.bundle.lanes.get(lane), self.bundle.actions.get(action))
        else {
            return;
        };
        let (allows, denies) = self.naming(lane, action);
        for &k in allows.iter().chain(&denies) {
            for e in &self.rule(k).until.events {
                let key = (l.product.clone(), e.clone());
                if seen.events.insert(key.clone()) {
                    sp.events.push(key);
                }
            }
            dates.extend(self.dates[k as usize].iter().copied());
        }
        for &k in &allows {
            for phase in [Phase::Prelaunch, Phase::Live] {
                let needs = self.requirements_at(k, lane, l, a, phase);
                if let Phrase::Asked(p) = &needs.phrase
                    && seen.phrases.insert(p.to_string())
                {
                    sp.phrases.push(Some(p.to_string()));
                }
                for (p, _) in needs.proofs {
                    if seen.proofs.insert(p.to_string()) {
                        sp.proofs.push(p.to_string());
                    }
                }
            }
        }
    }

    /// True when every pair of `lane` has the same [`Runtime::pair_key`]
    /// here and in `other`, given that both bundles have the same actions:
    /// the same lane and product events, and the same rules naming the
    /// lane, in order, each the same on this lane with the same actions.
    /// O(rules naming the lane), whatever the number of actions.
    fn same_lane(&self, other: &Runtime, lane: &str) -> bool {
        let l = self.bundle.lanes.get(lane);
        if l != other.bundle.lanes.get(lane) {
            return false;
        }
        let product = l.map(|l| l.product.as_str()).unwrap_or_default();
        if self.bundle.products.get(product).map(|p| &p.events)
            != other.bundle.products.get(product).map(|p| &p.events)
        {
            return false;
        }
        let same_rule = |i: u32, j: u32| {
            let (a, b): (&Rule, &Rule) = (self.rule(i), other.rule(j));
            a.until == b.until
                && a.confirm.as_ref().map(|m| m.get(lane))
                    == b.confirm.as_ref().map(|m| m.get(lane))
                && a.requires == b.requires
                && a.actions == b.actions
                && self.guards(i) == other.guards(j)
        };
        [true, false].into_iter().all(|allow| {
            let (x, y) = (self.lane_rules(allow, lane), other.lane_rules(allow, lane));
            x.len() == y.len() && x.iter().zip(y).all(|(&i, &j)| same_rule(i, j))
        })
    }

    /// What the pair needs to decide alike in two bundles: the lane, the
    /// action, the product's events and the rules naming it, in order,
    /// without ids and sources, with the guards each shipped without.
    fn pair_key(&self, lane: &str, action: &str) -> serde_json::Value {
        let l = self.bundle.lanes.get(lane);
        let product = l.and_then(|l| self.bundle.products.get(&l.product));
        let (allows, denies) = self.naming(lane, action);
        let rule = |k: &u32| {
            let r = self.rule(*k);
            serde_json::json!([
                r.until,
                r.confirm.as_ref().map(|m| m.get(lane)),
                r.requires,
                self.guards(*k)
            ])
        };
        serde_json::json!({
            "lane": l,
            "action": self.bundle.actions.get(action),
            "events": product.map(|p| &p.events),
            "allows": allows.iter().map(rule).collect::<Vec<_>>(),
            "denies": denies.iter().map(rule).collect::<Vec<_>>(),
        })
    }
}

/// What [`Runtime::gather`] has put in a [`Space`] so far, for lookups.
#[derive(Default)]
struct Seen {
    events: BTreeSet<(String, String)>,
    phrases: BTreeSet<String>,
    proofs: BTreeSet<String>,
}

/// The most rules a summary names of each kind; the rest are counted
/// (`allows` and `denies` in the JSON list them all). A pair under a
/// thousand rules had a summary of 160 KB, printed for each of its lanes.
pub const SUMMARY_RULES: usize = 5;

/// "; or N more rules" / "; and N more denies" past [`SUMMARY_RULES`].
fn more(n: usize, joint: &str, what: &str) -> String {
    if n == 0 {
        String::new()
    } else {
        format!("; {joint} {n} more {what}{}", if n == 1 { "" } else { "s" })
    }
}

fn summary(allowed: bool, allows: &[Way], denies: &[DenyTerm]) -> String {
    if allows.is_empty() {
        return "never allowed: no rule allows it".into();
    }
    let mut parts = Vec::new();
    for w in allows.iter().take(SUMMARY_RULES) {
        let mut needs = Vec::new();
        if let Some(p) = &w.phrase {
            needs.push(format!("phrase \"{}\"", one_line(p)));
        }
        if w.phrase_unusable {
            needs.push("a phrase the bundle does not give".into());
        }
        if !w.proofs.is_empty() {
            needs.push(format!("proofs {}", w.proofs.join(", ")));
        }
        let mut s = format!("rule {}", w.rule);
        if let Some(i) = &w.issue {
            s.push_str(&format!(" ({i})"));
        }
        if needs.is_empty() {
            s.push_str(" with nothing presented");
        } else {
            s.push_str(&format!(" with {}", needs.join(" and ")));
        }
        if !w.source_allowed {
            let src = w.source.as_deref().unwrap_or("?");
            s.push_str(&format!(", but the lane refuses data source `{src}`"));
        }
        if let Some(r) = &w.retired {
            s.push_str(&format!(", retired ({r})"));
        } else if !w.until.is_empty() {
            s.push_str(&format!(", until {}", w.until.join(" or ")));
        }
        parts.push(s);
    }
    let rest = more(allows.len().saturating_sub(SUMMARY_RULES), "or", "rule");
    let mut out = if allowed {
        format!("allowed by {}{rest}", parts.join("; or "))
    } else {
        format!(
            "never allowed: {}{rest} would allow it",
            parts.join("; or ")
        )
    };
    for d in denies.iter().take(SUMMARY_RULES) {
        let mut s = format!("; denied by rule {}", d.rule);
        if let Some(r) = &d.reason {
            s.push_str(&format!(" (\"{}\")", one_line(r)));
        }
        if let Some(r) = &d.retired {
            s.push_str(&format!(" (retired: {r})"));
        } else if !d.until.is_empty() {
            s.push_str(&format!(" until {}", d.until.join(" or ")));
        }
        out.push_str(&s);
    }
    out.push_str(&more(
        denies.len().saturating_sub(SUMMARY_RULES),
        "and",
        "deny rule",
    ));
    out
}

/// A phrase that matches none of `asked` (trimmed, lower-cased).
fn wrong_phrase(asked: &[Option<String>]) -> String {
    let taken: BTreeSet<String> = asked
        .iter()
        .flatten()
        .map(|p| normalize_phrase(p))
        .collect();
    let mut s = "not the phrase".to_string();
    while taken.contains(&s) {
        s.push('!');
    }
    s
}

/// One decision of a representative situation.
struct Decided {
    /// Allowed (read by the tests that hold the search to it).
    #[cfg_attr(not(test), allow(dead_code))]
    allowed: bool,
    /// Denied because an active deny rule matches (`denied-by-rule`).
    #[cfg_attr(not(test), allow(dead_code))]
    by_deny: bool,
    /// The first deny reason; empty when allowed.
    why: String,
}

/// What the representative situations of one pair show.
#[derive(Debug, Default, PartialEq, Eq)]
struct Found {
    /// Some situation is allowed by the old bundle.
    any_old: bool,
    /// Some situation is allowed by the new bundle.
    any_new: bool,
    /// The first situation allowed now and not before, in words.
    opened: Option<String>,
    /// The first situation allowed before and not now, in words.
    closed: Option<String>,
}

/// One bundle's runs of allowed dates ([`Runtime::runs`]), by event
/// mask, phase, phrase and proof mask.
struct Runs {
    subsets: usize,
    phrases: usize,
    proof_masks: usize,
    runs: Vec<Range<usize>>,
}

impl Runs {
    fn index(&self, em: usize, pi: usize, fi: usize, mi: usize) -> usize {
        ((pi * self.proof_masks + mi) * self.subsets + em) * self.phrases + fi
    }

    /// The positions of the dates allowed with event mask `em`, phase
    /// `pi`, phrase `fi` and proof mask `mi` (positions in their lists).
    fn at(&self, em: usize, pi: usize, fi: usize, mi: usize) -> &Range<usize> {
        &self.runs[self.index(em, pi, fi, mi)]
    }
}

/// The probes of one phase and proof mask: [`Runtime::openings`] on each
/// date asked, made once, charged to `work`.
struct Probes<'a> {
    rt: &'a Runtime,
    request: &'a Request,
    dates: &'a [Date],
    phase: Option<Phase>,
    events: &'a [Option<(String, String)>],
    phrases: &'a [Option<String>],
    probed: Vec<Option<Vec<Opening>>>,
    work: &'a mut u64,
    /// Set once a probe found `work` spent; every probe then answers
    /// `None`.
    spent: bool,
}

impl Probes<'_> {
    /// The openings of every event mask on date `i`; `None` once the work
    /// is spent.
    fn at(&mut self, i: usize) -> Option<&[Opening]> {
        if self.spent {
            return None;
        }
        if self.probed[i].is_none() {
            if *self.work == 0 {
                self.spent = true;
                return None;
            }
            #[cfg(test)]
            tests::DECISIONS.with(|n| n.set(n.get() + 1));
            let lane = &self.request.lane;
            let subsets = 1usize << self.events.len();
            let (openings, visits) =
                match self
                    .rt
                    .facts_with(lane, self.dates[i], self.phase, std::iter::empty())
                {
                    Some(facts) => {
                        self.rt
                            .openings(self.request, &facts, self.events, self.phrases)
                    }
                    // Facts this bundle does not take: denied, and not by
                    // a rule, whatever else.
                    None => (
                        vec![
                            Opening {
                                by_deny: false,
                                admits: vec![false; self.phrases.len()],
                            };
                            subsets
                        ],
                        0,
                    ),
                };
            if visits > *self.work {
                *self.work = 0;
                self.spent = true;
                return None;
            }
            *self.work -= visits;
            self.probed[i] = Some(openings);
        }
        self.probed[i].as_deref()
    }
}

/// The first position of `range` where `holds` is false, `holds` being
/// true on a prefix of it (the end when it holds everywhere).
fn first_false(range: Range<usize>, mut holds: impl FnMut(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (range.start, range.end);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if holds(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The first position of `b` that is not in `a`.
fn first_outside(b: &Range<usize>, a: &Range<usize>) -> Option<usize> {
    if b.is_empty() {
        None
    } else if !a.contains(&b.start) {
        Some(b.start)
    } else {
        (a.end < b.end).then_some(a.end)
    }
}

/// The request of a situation: `phrase`, and the proofs of `mask` (bit n
/// for `proofs[n]`).
fn request_for(
    lane: &str,
    action: &str,
    phrase: &Option<String>,
    proofs: &[String],
    mask: u32,
) -> Request {
    let mut request = Request::new(lane, action);
    request.confirm = phrase.clone();
    for (n, p) in proofs.iter().enumerate() {
        if mask & (1 << n) != 0 {
            request = request.proof(p.clone(), format!("{p}-record"));
        }
    }
    request
}

/// The events of `sp` that occur in mask `em` (bit n for `sp.events[n]`).
fn occurred_in(sp: &Space, em: u32) -> Vec<&(String, String)> {
    sp.events
        .iter()
        .enumerate()
        .filter(|(n, _)| em & (1 << n) != 0)
        .map(|(_, e)| e)
        .collect()
}

/// What the representative situations of a pair show, in the order the
/// situations are listed (event masks, then dates, phases, phrases and
/// proof masks, each in its order): whether any is allowed by each bundle,
/// and the first allowed by one only, with the other's reason. For each
/// event mask, phase, phrase and proof mask, the dates each bundle allows
/// are one run, found by [`Runtime::runs`]; the first situation allowed by
/// one bundle only is then the earliest position outside the other's run,
/// and only it is decided again for its words. `None` when the rule visits
/// of the search pass `work`.
fn search(
    old: &Runtime,
    new: &Runtime,
    lane: &str,
    action: &str,
    sp: &Space,
    dated: bool,
    work: &mut u64,
) -> Option<Found> {
    let proof_masks = masks(sp.proofs.len());
    let before = old.runs(lane, action, sp, &proof_masks, work)?;
    let after = new.runs(lane, action, sp, &proof_masks, work)?;
    let mut found = Found::default();
    for em in masks(sp.events.len()) {
        let occurred = occurred_in(sp, em);
        // (date, phase, phrase, proof mask) positions of the first
        // situation of this event mask allowed by one bundle only.
        type At = (usize, usize, usize, usize);
        let earliest = |x: Option<At>, at: At| Some(x.map_or(at, |x| x.min(at)));
        let mut opened: Option<At> = None;
        let mut closed: Option<At> = None;
        for pi in 0..sp.phases.len() {
            for fi in 0..sp.phrases.len() {
                for mi in 0..proof_masks.len() {
                    let a = before.at(em as usize, pi, fi, mi);
                    let b = after.at(em as usize, pi, fi, mi);
                    found.any_old |= !a.is_empty();
                    found.any_new |= !b.is_empty();
                    if let Some(i) = first_outside(b, a) {
                        opened = earliest(opened, (i, pi, fi, mi));
                    }
                    if let Some(i) = first_outside(a, b) {
                        closed = earliest(closed, (i, pi, fi, mi));
                    }
                }
            }
        }
        let situation = |(i, pi, fi, mi): At| Situation {
            occurred: occurred.clone(),
            date: sp.dates[i],
            dated,
            phase: sp.phases[pi],
            request: request_for(lane, action, &sp.phrases[fi], &sp.proofs, proof_masks[mi]),
        };
        if let (None, Some(at)) = (&found.opened, opened) {
            let s = situation(at);
            let why_a = old.allows_in(&s).why;
            found.opened = Some(format!(
                "allowed now, not before: {}; before: {why_a}",
                s.describe()
            ));
        }
        if let (None, Some(at)) = (&found.closed, closed) {
            let s = situation(at);
            let why_b = new.allows_in(&s).why;
            found.closed = Some(format!(
                "allowed before, not now: {}; now: {why_b}",
                s.describe()
            ));
        }
        if found.any_old && found.any_new && found.opened.is_some() && found.closed.is_some() {
            break;
        }
    }
    Some(found)
}

/// [`search`]; in tests that ask for it, the scan of every situation that
/// it replaces, to hold the two equal.
fn found_in(
    old: &Runtime,
    new: &Runtime,
    lane: &str,
    action: &str,
    sp: &Space,
    dated: bool,
    work: &mut u64,
) -> Option<Found> {
    #[cfg(test)]
    if tests::EVERY_SITUATION.with(std::cell::Cell::get) {
        return Some(tests::every_situation(old, new, lane, action, sp, dated));
    }
    search(old, new, lane, action, sp, dated, work)
}

/// Compares one pair exactly; `None` when it is allowed in the same
/// situations in both bundles.
fn compare_pair(
    old: &Runtime,
    new: &Runtime,
    lane: &str,
    action: &str,
    budget: &mut Budget,
) -> Option<EffectiveChange> {
    #[cfg(test)]
    tests::PAIRS.with(|n| n.set(n.get() + 1));
    if old.pair_key(lane, action) == new.pair_key(lane, action) {
        return None;
    }
    let mut sp = Space {
        events: Vec::new(),
        dates: Vec::new(),
        phases: [None, Some(Phase::Prelaunch), Some(Phase::Live)],
        phrases: vec![None],
        proofs: Vec::new(),
    };
    let mut dates = BTreeSet::new();
    let mut seen = Seen::default();
    old.gather(lane, action, &mut sp, &mut seen, &mut dates);
    new.gather(lane, action, &mut sp, &mut seen, &mut dates);
    let last = dates.last().and_then(|d| d.tomorrow().ok());
    sp.dates = dates.into_iter().chain(last).collect();
    let dated = !sp.dates.is_empty();
    if !dated {
        sp.dates.push(jiff::civil::date(2000, 1, 1));
    }
    let wrong = wrong_phrase(&sp.phrases);
    sp.phrases.push(Some(wrong));
    sp.proofs.sort();

    let mut issues = BTreeSet::new();
    for rt in [old, new] {
        let (a, d) = rt.naming(lane, action);
        for k in a.iter().chain(&d) {
            if let Some(i) = &rt.rule(*k).issue {
                issues.insert(i.reference.clone());
            }
        }
    }

    let size = sp.size();
    let count = situations(size);
    let found = if size > MAX_SITUATIONS {
        Err(format!(
            "{count} situations are too many to compare exactly; the rules differ, so this counts as changed"
        ))
    } else if size > budget.situations {
        Err(format!(
            "{size} situations are more than this diff has left to compare (it decides at most {MAX_TOTAL_SITUATIONS} in all); the rules differ, so this counts as changed"
        ))
    } else {
        budget.situations -= size;
        let allowed = budget.pair_visits.min(budget.visits);
        let mut left = allowed;
        let found = found_in(old, new, lane, action, &sp, dated, &mut left);
        budget.visits -= allowed - left;
        match found {
            Some(found) => Ok(found),
            None if allowed == budget.pair_visits => Err(format!(
                "{size} situations take more than {} rule visits to compare exactly; the rules differ, so this counts as changed",
                budget.pair_visits
            )),
            None => Err(format!(
                "{size} situations take more rule visits than this diff has left to compare (it visits at most {MAX_TOTAL_VISITS} rules in all); the rules differ, so this counts as changed"
            )),
        }
    };
    let exact = found.is_ok();
    let Found {
        mut any_old,
        mut any_new,
        mut opened,
        closed,
    } = match found {
        Ok(found) => found,
        Err(why) => Found {
            opened: Some(why),
            ..Found::default()
        },
    };
    let change = if !exact {
        any_old = true;
        any_new = true;
        EffectiveKind::Changed
    } else {
        match (any_old, any_new, opened.is_some(), closed.is_some()) {
            (true, true, false, false) => match what_it_acts_on(old, new, lane, action)
                .or_else(|| guards_dropped(old, new, lane, action))
            {
                // Allowed in the same situations, on other data: a
                // permission to rebuild from `upstream_source` now copies
                // another lane's data.
                Some(why) => {
                    opened = Some(why);
                    EffectiveKind::Changed
                }
                None => return None,
            },
            (_, _, false, false) => return None,
            (false, true, _, _) => EffectiveKind::Opened,
            (true, false, _, _) => EffectiveKind::Closed,
            (_, _, true, false) => EffectiveKind::Widened,
            (_, _, false, true) => EffectiveKind::Narrowed,
            (_, _, true, true) => EffectiveKind::Changed,
        }
    };
    let before = old.permission(lane, action, any_old);
    let after = new.permission(lane, action, any_new);
    Some(EffectiveChange {
        lane: lane.to_string(),
        action: action.to_string(),
        change,
        protected: before.protected || after.protected,
        issues: issues.into_iter().collect(),
        before,
        after,
        why: opened.into_iter().chain(closed).collect(),
    })
}

/// The lane fields Launchplane acts on when it runs an action: where it
/// runs (`target`, `domains`) and, for a restore, whose data it copies
/// (`upstream_source`).
const ACTS_ON: [&str; 3] = ["target", "domains", "upstream_source"];

/// What changed in what an action allowed before and after acts on: the
/// action's operation, data source or destructiveness, or the lane's
/// target, domains or upstream source ([`ACTS_ON`]), in words; `None` when
/// nothing did. The same permission on other data is a changed
/// permission: a restore whose upstream becomes a production lane copies
/// production data, though `decide` answers as before.
fn what_it_acts_on(old: &Runtime, new: &Runtime, lane: &str, action: &str) -> Option<String> {
    let (Some(a), Some(b)) = (
        old.bundle.actions.get(action),
        new.bundle.actions.get(action),
    ) else {
        return None;
    };
    let mut changes = Vec::new();
    if a.operation != b.operation {
        changes.push(format!(
            "`{action}` runs operation `{}`, not `{}`",
            one_line(&b.operation),
            one_line(&a.operation)
        ));
    }
    if a.data_source != b.data_source || a.destructive != b.destructive {
        changes.push(format!(
            "`{action}`'s data source or destructiveness changed"
        ));
    }
    if let (Some(l), Some(m)) = (old.bundle.lanes.get(lane), new.bundle.lanes.get(lane)) {
        for key in ACTS_ON {
            let (x, y) = (l.extra.get(key), m.extra.get(key));
            if x != y {
                let shown = |v: Option<&serde_json::Value>| {
                    v.map_or("(none)".to_string(), |v| one_line(&v.to_string()))
                };
                changes.push(format!(
                    "`{lane}`'s `{key}` changes from {} to {}",
                    shown(x),
                    shown(y)
                ));
            }
        }
    }
    (!changes.is_empty())
        .then(|| format!("allowed as before, on other data: {}", changes.join("; ")))
}

/// The checks (`CODE name`) lowered by the configuration or suppressed by
/// a comment that found something on an allow of the pair in `rt`: the
/// guards its grants shipped without.
fn unguarded(rt: &Runtime, lane: &str, action: &str) -> BTreeSet<String> {
    rt.rules_for(true, lane, action)
        .flat_map(|k| rt.guards(k).iter().cloned())
        .collect()
}

/// The guards a grant of the pair ships without now and did not before
/// (a check the configuration lowered that finds something on it), in
/// words; `None` when none. Allowed as before, but with less review: the
/// gate stops it as it stops a widening.
fn guards_dropped(old: &Runtime, new: &Runtime, lane: &str, action: &str) -> Option<String> {
    let before = unguarded(old, lane, action);
    let dropped: Vec<String> = unguarded(new, lane, action)
        .difference(&before)
        .cloned()
        .collect();
    (!dropped.is_empty()).then(|| {
        format!(
            "allowed as before, now without the guard of {} (lowered by the configuration or suppressed)",
            dropped.join(", ")
        )
    })
}

/// Every (lane, action) of either bundle whose effective permission
/// differs, by lane then action.
pub fn effective_diff(old: &Runtime, new: &Runtime) -> Vec<EffectiveChange> {
    effective_diff_within(
        old,
        new,
        Budget {
            situations: MAX_TOTAL_SITUATIONS,
            visits: MAX_TOTAL_VISITS,
            pair_visits: MAX_PAIR_VISITS,
        },
    )
}

/// What is left for the rest of a diff to compare.
struct Budget {
    /// Representative situations ([`MAX_TOTAL_SITUATIONS`] in all).
    situations: u64,
    /// Rule visits of the evaluator ([`MAX_TOTAL_VISITS`] in all).
    visits: u64,
    /// Rule visits one pair may take ([`MAX_PAIR_VISITS`]).
    pair_visits: u64,
}

/// [`effective_diff`] comparing within `budget`.
fn effective_diff_within(old: &Runtime, new: &Runtime, budget: Budget) -> Vec<EffectiveChange> {
    let lanes: BTreeSet<&String> = old
        .bundle
        .lanes
        .keys()
        .chain(new.bundle.lanes.keys())
        .collect();
    let actions: BTreeSet<&String> = old
        .bundle
        .actions
        .keys()
        .chain(new.bundle.actions.keys())
        .collect();
    // A lane whose rules, lane and events are the same in both bundles
    // (their actions the same too) decides alike for every action; a pair
    // no rule names in either bundle is denied in both. So only the
    // actions named on a lane that differs are compared: unchanged rules
    // over many lanes and actions cost their lanes, not lanes x actions.
    let same_actions = old.bundle.actions == new.bundle.actions;
    let mut out = Vec::new();
    let mut budget = budget;
    for lane in &lanes {
        if same_actions && old.same_lane(new, lane) {
            continue;
        }
        let named: BTreeSet<&String> = [old, new]
            .into_iter()
            .flat_map(|rt| {
                [true, false]
                    .into_iter()
                    .flat_map(move |allow| rt.lane_rules(allow, lane))
                    .flat_map(move |&k| &rt.rule(k).actions)
            })
            .filter(|a| actions.contains(a))
            .collect();
        for action in named {
            if let Some(c) = compare_pair(old, new, lane, action, &mut budget) {
                out.push(c);
            }
        }
    }
    out
}

impl Review {
    /// The rule-level diff of the two bundles and their effective diff.
    pub fn new(old: &Runtime, new: &Runtime) -> Review {
        Review {
            rules: crate::bundle::diff::diff(old.bundle(), new.bundle()),
            effective: effective_diff(old, new),
        }
    }

    /// True when some (lane, action) is allowed in a situation it was not
    /// before (`opened`, `widened` or `changed`).
    pub fn widens(&self) -> bool {
        self.effective.iter().any(|c| c.change.widens())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A summary names at most [`SUMMARY_RULES`] rules of each kind and
    /// counts the rest.
    #[test]
    fn a_summary_names_a_few_rules_and_counts_the_rest() {
        let way = |k: usize| Way {
            rule: format!("r{k}"),
            issue: Some(format!("#{k}")),
            phrase: None,
            phrase_unusable: false,
            proofs: Vec::new(),
            source: None,
            source_allowed: true,
            until: vec!["launch".into()],
            retired: None,
        };
        let deny = |k: usize| DenyTerm {
            rule: format!("d{k}"),
            issue: None,
            reason: None,
            until: Vec::new(),
            retired: None,
        };
        let allows: Vec<Way> = (0..1000).map(way).collect();
        let denies: Vec<DenyTerm> = (0..7).map(deny).collect();
        let s = summary(true, &allows, &denies);
        assert!(s.contains("rule r4 (#4)") && !s.contains("rule r5 "), "{s}");
        assert!(s.contains("; or 995 more rules"), "{s}");
        assert!(s.contains("denied by rule d4") && !s.contains("d5"), "{s}");
        assert!(s.ends_with("; and 2 more deny rules"), "{s}");
        assert!(s.len() < 1000, "{} bytes", s.len());
        let one = summary(false, &allows[..6], &[]);
        assert!(one.contains("; or 1 more rule would allow it"), "{one}");
    }

    /// A saturated count of situations is not printed as a number.
    #[test]
    fn a_saturated_count_of_situations_is_not_a_number() {
        assert_eq!(super::situations(300_000), "300000");
        assert_eq!(super::situations(u64::MAX), "over 2^64");
        // 70 events: 2^70 subsets.
        let sp = super::Space {
            events: (0..70)
                .map(|n| (format!("p{n}"), format!("e{n}")))
                .collect(),
            dates: vec![jiff::civil::date(2026, 12, 1)],
            phases: [None; 3],
            phrases: vec![None],
            proofs: Vec::new(),
        };
        assert_eq!(super::situations(sp.size()), "over 2^64");
    }

    thread_local! {
        /// How many (lane, action) pairs `compare_pair` was asked about.
        pub(super) static PAIRS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
        /// How many situations were decided (on one bundle each).
        pub(super) static DECISIONS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
        /// When set, every representative situation is decided, as before
        /// the search: the reference the search is held to.
        pub(super) static EVERY_SITUATION: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    /// What deciding every representative situation, in order, shows.
    pub(super) fn every_situation(
        old: &Runtime,
        new: &Runtime,
        lane: &str,
        action: &str,
        sp: &Space,
        dated: bool,
    ) -> Found {
        let mut found = Found::default();
        let proof_masks = masks(sp.proofs.len());
        'all: for em in masks(sp.events.len()) {
            let occurred = occurred_in(sp, em);
            for &date in &sp.dates {
                for &phase in &sp.phases {
                    for phrase in &sp.phrases {
                        for &pm in &proof_masks {
                            let s = Situation {
                                occurred: occurred.clone(),
                                date,
                                dated,
                                phase,
                                request: request_for(lane, action, phrase, &sp.proofs, pm),
                            };
                            let (a, b) = (old.allows_in(&s), new.allows_in(&s));
                            found.any_old |= a.allowed;
                            found.any_new |= b.allowed;
                            if b.allowed && !a.allowed && found.opened.is_none() {
                                found.opened = Some(format!(
                                    "allowed now, not before: {}; before: {}",
                                    s.describe(),
                                    a.why
                                ));
                            }
                            if a.allowed && !b.allowed && found.closed.is_none() {
                                found.closed = Some(format!(
                                    "allowed before, not now: {}; now: {}",
                                    s.describe(),
                                    b.why
                                ));
                            }
                            if found.any_old
                                && found.any_new
                                && found.opened.is_some()
                                && found.closed.is_some()
                            {
                                break 'all;
                            }
                        }
                    }
                }
            }
        }
        found
    }

    /// The effective diff, and the number of situations it decided, by
    /// the search or by deciding every situation.
    fn diffed(old: &Runtime, new: &Runtime, every: bool) -> (Vec<EffectiveChange>, usize) {
        EVERY_SITUATION.with(|e| e.set(every));
        DECISIONS.with(|n| n.set(0));
        let changes = effective_diff(old, new);
        EVERY_SITUATION.with(|e| e.set(false));
        (changes, DECISIONS.with(std::cell::Cell::get))
    }

    /// A rule of the real bundle's first allow, made over: `effect`,
    /// `action` on `cm/testing`, retiring at `dates`, asking `phrase`.
    fn rule(
        id: &str,
        effect: crate::model::Effect,
        action: &str,
        dates: Vec<String>,
        phrase: Option<&str>,
    ) -> crate::bundle::Rule {
        let mut r = crate::bundle::real_fixture().rules[0].clone();
        r.id = id.into();
        r.effect = effect;
        r.actions = vec![action.into()];
        r.lanes = vec!["cm/testing".into()];
        r.patterns = vec!["cm/testing".into()];
        r.until = crate::bundle::Until {
            events: Vec::new(),
            dates,
        };
        r.confirm = phrase.map(|p| [("cm/testing".to_string(), p.to_string())].into());
        r.requires = Vec::new();
        r.reason = None;
        r
    }

    fn day(k: usize) -> String {
        jiff::civil::date(2030, 1, 1)
            .checked_add(jiff::Span::new().days(k as i64))
            .expect("a date")
            .to_string()
    }

    /// Bundles of the real inventory with only `rules`.
    fn with_rules(rules: Vec<crate::bundle::Rule>) -> Runtime {
        let mut b = crate::bundle::real_fixture();
        b.rules = rules;
        Runtime::new(b)
    }

    #[test]
    fn a_rule_of_many_dates_costs_a_search_not_a_decision_per_date() {
        use crate::model::Effect::Allow;
        for n in [10, 300, 4000] {
            let dates: Vec<String> = (0..n).map(|k| day(n - 1 - k)).collect();
            let a = rule("a", Allow, "deploy", dates.clone(), Some("go a"));
            let mut b = a.clone();
            b.id = "b".into();
            b.requires = vec!["backup_proof".into()];
            // Narrowed only: no situation opens, so no early stop.
            let (old, new) = (with_rules(vec![a]), with_rules(vec![b]));
            let (changes, decisions) = diffed(&old, &new, false);
            assert_eq!(changes.len(), 1);
            assert_eq!(changes[0].change, EffectiveKind::Narrowed);
            // 3 phases x 3 phrases (none, "go a", a wrong one) x 2 sets
            // of proofs: 18 searches of n + 1 dates on each bundle, each
            // O(log n) decisions, and one more for the words.
            let searches = 2 * 18;
            let log = (usize::BITS - (n + 1).leading_zeros()) as usize;
            assert!(
                decisions <= searches * (2 * log + 2) + 2,
                "n={n}: {decisions} decisions"
            );
            if n <= 300 {
                let (every, all) = diffed(&old, &new, true);
                assert_eq!(changes, every);
                assert_eq!(all, 2 * 18 * (n + 1));
            }
        }
    }

    #[test]
    fn many_denies_and_allows_of_their_own_dates_cost_a_search() {
        use crate::model::Effect::{Allow, Deny};
        for m in [10, 100, 1000] {
            let rules = |last: usize| {
                let mut rules: Vec<crate::bundle::Rule> = (0..m)
                    .map(|k| rule(&format!("d{k}"), Deny, "deploy", vec![day(k)], None))
                    .collect();
                rules.extend((0..m).map(|k| {
                    let date = if k + 1 == m { last } else { m + k };
                    rule(&format!("a{k}"), Allow, "deploy", vec![day(date)], None)
                }));
                rules
            };
            // The last allow retires later in the new bundle: widened.
            let (old, new) = (with_rules(rules(2 * m - 1)), with_rules(rules(3 * m)));
            let (changes, decisions) = diffed(&old, &new, false);
            assert_eq!(changes.len(), 1);
            assert_eq!(changes[0].change, EffectiveKind::Widened);
            // 3 phases x 2 phrases (none, a wrong one), no proofs: 6
            // searches of 2m + 2 dates on each bundle.
            let log = (usize::BITS - (2 * m + 2).leading_zeros()) as usize;
            assert!(
                decisions <= 2 * 6 * (2 * log + 2) + 2,
                "m={m}: {decisions} decisions"
            );
            if m <= 100 {
                let (every, _) = diffed(&old, &new, true);
                assert_eq!(changes, every);
            }
        }
    }

    #[test]
    fn the_search_finds_what_deciding_every_situation_finds() {
        let mut next = numbers(0x9e37_79b9_7f4a_7c15);
        let mut changed = 0;
        let mut kinds = BTreeSet::new();
        let mut whys = 0;
        for case in 0..80 {
            let mut bundles = Vec::new();
            for _ in 0..2 {
                let rules = 1 + next(4);
                bundles.push(random_bundle(
                    &mut next,
                    &["go", "launch"],
                    &["go", "Go ", "stop"],
                    rules,
                ));
            }
            let (old, new) = (&bundles[0], &bundles[1]);
            let (searched, _) = diffed(old, new, false);
            let (every, _) = diffed(old, new, true);
            assert_eq!(searched, every, "case {case}");
            changed += searched.len();
            kinds.extend(searched.iter().map(|c| c.change));
            whys += searched.iter().map(|c| c.why.len()).sum::<usize>();
        }
        assert!(
            changed > 30,
            "only {changed} changes: the cases test little"
        );
        assert_eq!(kinds.len(), 5, "{kinds:?}: the cases test little");
        // Some changes name a situation each way.
        assert!(
            whys > changed,
            "{whys} situations named for {changed} changes"
        );
    }

    /// A generator of small numbers, the same on every run.
    fn numbers(mut seed: u64) -> impl FnMut(usize) -> usize {
        move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        }
    }

    /// The real inventory with events `events` added to the cm product
    /// (the first one already occurred), and `rules` random rules over its
    /// two lanes, `deploy` and `empty_bootstrap`, among those events, four
    /// dates, two proofs and `phrases`.
    fn random_bundle(
        next: &mut impl FnMut(usize) -> usize,
        events: &[&str],
        phrases: &[&str],
        rules: usize,
    ) -> Runtime {
        use crate::bundle::{IssueLink, Until};
        use crate::model::{Effect, EventState};
        let pool = ["2030-01-02", "2030-01-04", "2030-01-01", "2029-12-31"];
        let mut b = crate::bundle::real_fixture();
        let cm = b
            .products
            .get_mut("odoo-tenant-cm")
            .expect("the cm product");
        for (n, e) in events.iter().enumerate() {
            let state = if n == 0 {
                EventState::Occurred
            } else {
                EventState::Pending
            };
            cm.events.insert((*e).into(), state);
        }
        let template = b.rules[0].clone();
        b.rules = (0..rules)
            .map(|k| {
                let mut r = template.clone();
                r.id = format!("r{k}");
                r.effect = if next(3) == 0 {
                    Effect::Deny
                } else {
                    Effect::Allow
                };
                r.actions = match next(3) {
                    0 => vec!["deploy".into()],
                    1 => vec!["empty_bootstrap".into()],
                    _ => vec!["deploy".into(), "empty_bootstrap".into()],
                };
                r.lanes = match next(3) {
                    0 => vec!["cm/prod".into()],
                    1 => vec!["cm/testing".into()],
                    _ => vec!["cm/prod".into(), "cm/testing".into()],
                };
                r.patterns = r.lanes.clone();
                let mut dates: Vec<String> = Vec::new();
                for _ in 0..next(3) {
                    let d = pool[next(pool.len())].to_string();
                    if !dates.contains(&d) {
                        dates.push(d);
                    }
                }
                let mut until_events: Vec<String> = Vec::new();
                for _ in 0..next(3) {
                    let e = events[next(events.len())].to_string();
                    if !until_events.contains(&e) {
                        until_events.push(e);
                    }
                }
                r.until = Until {
                    events: until_events,
                    dates,
                };
                r.requires = ["backup_proof", "restore_proof"]
                    .into_iter()
                    .filter(|_| next(5) == 0)
                    .map(String::from)
                    .collect();
                r.confirm = (r.effect == Effect::Allow && next(4) != 0).then(|| {
                    r.lanes
                        .iter()
                        .map(|l| (l.clone(), phrases[next(phrases.len())].to_string()))
                        .collect()
                });
                r.issue = (next(2) == 0).then(|| IssueLink {
                    reference: format!("#{}", next(3)),
                    url: String::new(),
                });
                r
            })
            .collect();
        Runtime::new(b)
    }

    const MANY_EVENTS: [&str; 5] = ["go", "launch", "cutover", "freeze", "audit"];
    const MANY_PHRASES: [&str; 8] = [
        "go",
        "Go ",
        "stop",
        "  STOP",
        "deploy cm",
        "wipe it",
        "",
        "ship",
    ];

    /// [`Runtime::openings`] is [`Runtime::decide`] on each situation it
    /// stands for: every event subset (one event a bundle lacks among
    /// them) and every phrase, at each date, phase and set of proofs.
    #[test]
    fn openings_are_the_decisions_of_each_situation() {
        let mut next = numbers(0x2545_f491_4f6c_dd1d);
        let mut allowed = 0;
        let mut by_deny = 0;
        let mut checked = 0;
        for case in 0..40 {
            let rules = 1 + next(8);
            let rt = random_bundle(&mut next, &MANY_EVENTS[..4], &MANY_PHRASES, rules);
            for lane in ["cm/prod", "cm/testing"] {
                for action in ["deploy", "empty_bootstrap", "no_such_action"] {
                    let mut sp = Space {
                        events: Vec::new(),
                        dates: Vec::new(),
                        phases: [None, Some(Phase::Prelaunch), Some(Phase::Live)],
                        phrases: vec![None, Some("  ".into())],
                        proofs: Vec::new(),
                    };
                    let mut dates = BTreeSet::new();
                    rt.gather(lane, action, &mut sp, &mut Seen::default(), &mut dates);
                    sp.events
                        .push(("odoo-tenant-cm".into(), "not_an_event".into()));
                    sp.dates = dates.into_iter().collect();
                    sp.dates.push(jiff::civil::date(2031, 1, 1));
                    let wrong = wrong_phrase(&sp.phrases);
                    sp.phrases.push(Some(wrong));
                    let events: Vec<Option<(String, String)>> = sp
                        .events
                        .iter()
                        .map(|(p, e)| rt.knows_event(p, e).then(|| (p.clone(), e.clone())))
                        .collect();
                    for &date in &sp.dates {
                        for &phase in &sp.phases {
                            for pm in masks(sp.proofs.len()) {
                                let request = request_for(lane, action, &None, &sp.proofs, pm);
                                let facts = rt
                                    .facts_with(lane, date, phase, std::iter::empty())
                                    .expect("facts");
                                let (openings, _) =
                                    rt.openings(&request, &facts, &events, &sp.phrases);
                                assert_eq!(openings.len(), 1 << sp.events.len());
                                for em in masks(sp.events.len()) {
                                    let o = &openings[em as usize];
                                    for (fi, phrase) in sp.phrases.iter().enumerate() {
                                        let d = rt.allows_in(&Situation {
                                            occurred: occurred_in(&sp, em),
                                            date,
                                            dated: true,
                                            phase,
                                            request: request_for(
                                                lane, action, phrase, &sp.proofs, pm,
                                            ),
                                        });
                                        assert_eq!(
                                            (o.admits[fi], o.by_deny),
                                            (d.allowed, d.by_deny),
                                            "case {case}, {lane} {action} on {date}, {phase:?}, events {em:b}, phrase {phrase:?}, proofs {pm:b}"
                                        );
                                        checked += 1;
                                        allowed += usize::from(d.allowed);
                                        by_deny += usize::from(d.by_deny);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        // The cases test something each way.
        assert!(
            allowed > checked / 50 && by_deny > checked / 50 && allowed + by_deny < checked,
            "{allowed} allowed and {by_deny} denied by a rule of {checked}"
        );
    }

    /// The search against the decision of every situation, on bundles of
    /// more rules among more events and phrases.
    #[test]
    fn the_search_finds_what_deciding_every_situation_finds_among_many_phrases_and_events() {
        let mut next = numbers(0x9e37_79b9_7f4a_7c15);
        let mut changed = 0;
        let mut kinds = BTreeSet::new();
        for case in 0..60 {
            let events = &MANY_EVENTS[..2 + next(4)];
            let (a, b) = (1 + next(9), 1 + next(9));
            let old = random_bundle(&mut next, events, &MANY_PHRASES, a);
            let new = random_bundle(&mut next, events, &MANY_PHRASES, b);
            let (searched, _) = diffed(&old, &new, false);
            let (every, _) = diffed(&old, &new, true);
            assert_eq!(searched, every, "case {case}");
            changed += searched.len();
            kinds.extend(searched.iter().map(|c| c.change));
        }
        assert!(
            changed > 30,
            "only {changed} changes: the cases test little"
        );
        assert_eq!(kinds.len(), 5, "{kinds:?}: the cases test little");
    }

    /// The evaluator's rule visits for the effective diff of `old` and
    /// `new`, and the diff.
    fn visits(old: &Runtime, new: &Runtime) -> (Vec<EffectiveChange>, usize) {
        use crate::runtime::evaluate::RULE_VISITS;
        RULE_VISITS.with(|n| n.set(0));
        let changes = effective_diff(old, new);
        (changes, RULE_VISITS.with(std::cell::Cell::get))
    }

    #[test]
    fn many_phrases_cost_rule_visits_linear_in_the_rules() {
        use crate::model::Effect::Allow;
        // n allows of one lane, each with its own phrase, the last one's
        // date moved later.
        let bundles = |n: usize| {
            let rules = |last: usize| -> Vec<crate::bundle::Rule> {
                (0..n)
                    .map(|k| {
                        let date = if k + 1 == n { last } else { 0 };
                        let phrase = format!("phrase {k}");
                        rule(
                            &format!("a{k}"),
                            Allow,
                            "deploy",
                            vec![day(date)],
                            Some(&phrase),
                        )
                    })
                    .collect()
            };
            (with_rules(rules(0)), with_rules(rules(30)))
        };
        let counted = counted_visits([20, 200, 2000], bundles);
        let (_, small) = counted[1];
        let (n, large) = counted[2];
        // Ten times the rules, about ten times the visits; a decision per
        // phrase would be a hundred times.
        assert!(large <= 12 * small, "{counted:?}");
        assert!(large <= n * n / 20, "{counted:?}");
    }

    /// (n, rule visits) of diffing `bundles(n)` for each of `sizes`: each
    /// diff finds one widened pair, and the first is held to deciding
    /// every situation.
    fn counted_visits(
        sizes: [usize; 3],
        bundles: impl Fn(usize) -> (Runtime, Runtime),
    ) -> Vec<(usize, usize)> {
        sizes
            .into_iter()
            .map(|n| {
                let (old, new) = bundles(n);
                let (changes, visits) = visits(&old, &new);
                assert_eq!(changes.len(), 1);
                assert_eq!(changes[0].change, EffectiveKind::Widened);
                if n == sizes[0] {
                    let (every, _) = diffed(&old, &new, true);
                    assert_eq!(changes, every);
                }
                (n, visits)
            })
            .collect()
    }

    #[test]
    fn many_events_cost_rule_visits_linear_in_the_rules() {
        use crate::model::{Effect::Allow, EventState};
        // n allows of one lane, each until one of 10 events or a date,
        // the last one's date moved later.
        let events: Vec<String> = (0..10).map(|e| format!("ev{e}")).collect();
        let bundles = |n: usize| {
            let runtime = |last: usize| {
                let mut b = crate::bundle::real_fixture();
                let cm = b
                    .products
                    .get_mut("odoo-tenant-cm")
                    .expect("the cm product");
                for e in &events {
                    cm.events.insert(e.clone(), EventState::Pending);
                }
                b.rules = (0..n)
                    .map(|k| {
                        let date = if k + 1 == n { last } else { 0 };
                        let mut r = rule(&format!("a{k}"), Allow, "deploy", vec![day(date)], None);
                        r.until.events = vec![events[k % events.len()].clone()];
                        r
                    })
                    .collect();
                Runtime::new(b)
            };
            (runtime(0), runtime(30))
        };
        let counted = counted_visits([20, 300, 3000], bundles);
        let (_, small) = counted[1];
        let (n, large) = counted[2];
        // A probe (a date, a phase, a bundle) visits each rule once per
        // event and twice more, then combines 10 groups per event subset;
        // walking every rule for each of the 1,024 subsets would be 1,024
        // visits per rule and probe.
        assert!(large <= 12 * small, "{counted:?}");
        assert!(large <= 200 * n, "{counted:?}");
    }

    /// One rule over every lane of the real bundle and 300 more actions,
    /// against itself with one lane's phrase changed: the effective diff
    /// compares that lane's actions only, and the rule diff writes the
    /// terms of that lane only.
    #[test]
    fn unchanged_lanes_are_passed_over_whatever_the_number_of_actions() {
        let mut old = crate::bundle::real_fixture();
        let base = old.actions.values().next().expect("an action").clone();
        for n in 0..300 {
            old.actions.insert(format!("extra{n:03}"), base.clone());
        }
        let lanes: Vec<String> = old.lanes.keys().cloned().collect();
        let k = old
            .rules
            .iter()
            .position(|r| r.effect == crate::model::Effect::Allow && r.confirm.is_some())
            .expect("an allow with a phrase");
        let r = &mut old.rules[k];
        r.actions = old.actions.keys().cloned().collect();
        r.lanes = lanes.clone();
        let confirm = r.confirm.as_mut().expect("a phrase");
        for lane in &lanes {
            confirm.insert(lane.clone(), format!("go {lane}"));
        }
        let actions = r.actions.len();
        let mut new = old.clone();
        let changed = &lanes[0];
        new.rules[k]
            .confirm
            .as_mut()
            .expect("a phrase")
            .insert(changed.clone(), "another phrase".into());
        let (a, b) = (Runtime::new(old.clone()), Runtime::new(new.clone()));
        PAIRS.with(|n| n.set(0));
        let same = effective_diff(&a, &a);
        assert!(same.is_empty());
        assert_eq!(PAIRS.with(std::cell::Cell::get), 0);
        let changes = effective_diff(&a, &b);
        let asked = PAIRS.with(std::cell::Cell::get);
        assert!(asked <= actions, "{asked} pairs asked, {actions} actions");
        assert!(changes.iter().all(|c| &c.lane == changed), "{changes:?}");
        assert!(!changes.is_empty());
        // The rule diff: every action of that lane, and no other lane.
        let rules = crate::bundle::diff::diff(&old, &new);
        assert_eq!(rules.grants.len(), actions);
        assert!(rules.grants.iter().all(|g| &g.lane == changed));
        assert!(crate::bundle::diff::diff(&old, &old).is_empty());
    }

    /// The committed real bundle, as JSON.
    fn real_bundle() -> serde_json::Value {
        let text = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/bundles/real.json"
        ))
        .unwrap();
        serde_json::from_slice(&text).unwrap()
    }

    fn runtime(value: &serde_json::Value) -> Runtime {
        let mut v = value.clone();
        v["digest"] = serde_json::Value::from(crate::bundle::digest_of(&v));
        Runtime::from_bytes(&serde_json::to_vec(&v).unwrap()).unwrap()
    }

    /// A rule whose lowered checks found something on each of its lanes
    /// has as many findings as lanes; its guards are read once per
    /// bundle, not once per (lane, action) of the diff.
    #[test]
    fn a_rules_guards_are_read_once_per_bundle() {
        let mut old = real_bundle();
        let n = 2000;
        old["rules"][0]["lowered_findings"] = (0..n)
            .map(|k| {
                serde_json::json!({
                    "code": "L003",
                    "name": "production-lane",
                    "severity": "off",
                    "message": format!("finding {k:05}")
                })
            })
            .collect();
        let mut new = old.clone();
        new["rules"][0]["until"]["dates"] = serde_json::json!(["2099-01-01"]);
        let (a, b) = (runtime(&old), runtime(&new));
        crate::runtime::GUARD_READS.with(|c| c.set(0));
        let changes = effective_diff(&a, &b);
        assert!(!changes.is_empty());
        let reads = crate::runtime::GUARD_READS.with(|c| c.get());
        assert!(reads <= 2 * (n + 10), "{reads} reads of {n} findings");
    }

    #[test]
    fn the_whole_diff_decides_a_bounded_number_of_situations() {
        let old = real_bundle();
        let mut new = old.clone();
        new["rules"][0]["requires"] = serde_json::json!(["backup_proof"]);
        let (a, b) = (runtime(&old), runtime(&new));
        let exact = effective_diff(&a, &b);
        assert!(!exact.is_empty());
        assert!(
            exact.iter().all(|c| c.change == EffectiveKind::Narrowed),
            "{exact:?}"
        );
        // With nothing left to decide, with no rule visits left, or with
        // too few rule visits for one pair, every pair whose rules differ
        // is reported changed, and says why; the diff goes on to the next.
        for (budget, why) in [
            (
                Budget {
                    situations: 0,
                    visits: MAX_TOTAL_VISITS,
                    pair_visits: MAX_PAIR_VISITS,
                },
                "more than this diff has left to compare",
            ),
            (
                Budget {
                    situations: MAX_TOTAL_SITUATIONS,
                    visits: 0,
                    pair_visits: MAX_PAIR_VISITS,
                },
                "more rule visits than this diff has left to compare",
            ),
            (
                Budget {
                    situations: MAX_TOTAL_SITUATIONS,
                    visits: MAX_TOTAL_VISITS,
                    pair_visits: 1,
                },
                "take more than 1 rule visits to compare exactly",
            ),
        ] {
            let bounded = effective_diff_within(&a, &b, budget);
            assert_eq!(bounded.len(), exact.len());
            for c in &bounded {
                assert_eq!(c.change, EffectiveKind::Changed);
                assert!(c.why[0].contains(why), "{why}: {:?}", c.why);
            }
        }
    }
}

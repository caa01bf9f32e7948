//! The runtime: decisions and the read model over a loaded bundle. It
//! depends only on [`crate::bundle`] and [`crate::model`], never on the
//! syntax or the checker, so a control plane can embed it alone.
//!
//! # Loading a bundle
//!
//! [`Runtime::from_bytes`] reads a bundle written by `lanepolicy build` and
//! verifies it before anything decides on it: size, JSON, `format`,
//! `version`, `digest` (SHA-256 over the canonical JSON), shape, and that
//! every rule names lanes and actions the bundle declares. Every failure is
//! a typed [`BundleError`]; no partially read bundle is ever used.
//!
//! # Deciding
//!
//! A [`Request`] is a lane, an action and what the caller presents (a
//! confirmation phrase, proof records). [`Facts`] are what the caller knows
//! that may be newer than the bundle: events that have occurred, lane phases,
//! and the current time. [`Runtime::decide`] walks the steps of the language
//! spec ("Meaning") and fails closed at each one.
//!
//! ```
//! use lanepolicy::runtime::{Facts, ReasonCode, Request, Runtime};
//! # let bytes = std::fs::read("tests/fixtures/bundles/real.json").unwrap();
//! let runtime = Runtime::from_bytes(&bytes).expect("a verified bundle");
//! let facts = Facts::at("2026-12-01T00:00:00Z".parse().unwrap());
//! let request = Request::new("cm/testing", "empty_bootstrap").confirm("bootstrap cm testing");
//! assert!(runtime.decide(&request, &facts).is_allow());
//!
//! // Once CM launches, the issue-backed grant has retired.
//! let launched = facts.clone().with_occurred("odoo-tenant-cm", "launch");
//! runtime.check_facts(&launched).expect("known product and event");
//! let decision = runtime.decide(&request, &launched);
//! assert!(!decision.is_allow());
//! assert_eq!(decision.reasons[0].code, ReasonCode::RuleRetired);
//! ```
//!
//! [`Runtime::check_facts`] refuses facts that name a product, event or lane
//! the bundle does not have, so that a typo in a fact cannot silently change
//! a decision: call it before deciding on facts that come from outside.
//!
//! # The read model
//!
//! [`Runtime::lanes`] lists every lane with its state, its active grants
//! (action, rule, issue, retirement, phrase, proofs), active denies and
//! retired rules, in lane-key order.
//!
//! ```
//! # use lanepolicy::runtime::{Facts, Runtime};
//! # let bytes = std::fs::read("tests/fixtures/bundles/real.json").unwrap();
//! # let runtime = Runtime::from_bytes(&bytes).unwrap();
//! # let facts = Facts::at("2026-12-01T00:00:00Z".parse().unwrap());
//! let lanes = runtime.lanes(&facts);
//! let cm_prod = lanes.iter().find(|v| v.lane == "cm/prod").unwrap();
//! assert!(cm_prod.provisional);
//! assert_eq!(cm_prod.grants[0].action, "empty_bootstrap");
//! assert_eq!(cm_prod.grants[0].confirm.as_deref(), Some("bootstrap cm prod"));
//! ```
//!
//! # Keeping the last good bundle
//!
//! A control plane that fetches new bundles (from a file, an artifact store,
//! a release) should keep deciding on the bundle it has until a new one
//! verifies, as OPA does with its bundles: a tampered, truncated or
//! too-new bundle is reported and ignored, never half applied, and never
//! turned into "allow everything". [`Runtime::reload`] does exactly that:
//! on error it returns the [`BundleError`] and leaves the current bundle in
//! force.
//!
//! ```
//! # use lanepolicy::runtime::{Facts, Request, Runtime};
//! # use lanepolicy::bundle::BundleError;
//! # let good = std::fs::read("tests/fixtures/bundles/real.json").unwrap();
//! let mut runtime = Runtime::from_bytes(&good).expect("a verified bundle");
//! let before = runtime.digest().to_string();
//!
//! // Someone edits a phrase in the bundle by hand: the digest no longer matches.
//! let tampered = String::from_utf8(good.clone()).unwrap().replace("bootstrap cm prod", "yes");
//! match runtime.reload(tampered.as_bytes()) {
//!     Ok(()) => unreachable!("a tampered bundle never loads"),
//!     Err(BundleError::Digest { .. }) => { /* log it, alert; keep deciding on the old one */ }
//!     Err(other) => panic!("unexpected: {other}"),
//! }
//! assert_eq!(runtime.digest(), before);
//! # let facts = Facts::at("2026-12-01T00:00:00Z".parse().unwrap());
//! # assert!(runtime.decide(&Request::new("cm/prod", "empty_bootstrap").confirm("bootstrap cm prod"), &facts).is_allow());
//! ```
//!
//! When there is no good bundle at all (the first load fails), there is
//! nothing to decide on: every request is denied with
//! [`ReasonCode::BundleInvalid`] ([`Decision::bundle_invalid`]).

mod decide;
pub mod effective;
mod evaluate;
mod explain;
mod read_model;

pub use decide::{Decision, FactsUsed, Reason, ReasonCode, RetiredRule, RuleRef};
pub use evaluate::{FactSource, RetiredBy};
pub use explain::{Explanation, Presentation, Step, StepCheck, StepOutcome};
pub use read_model::{DenyView, Grant, LaneView, LoweredGuard, RetiredView};

use crate::bundle::{self, Bundle, BundleError, Rule};
use crate::model::{Effect, Phase};
use std::collections::{BTreeMap, BTreeSet};

/// The runtime's hash maps, by name: foldhash, as the bundle loader's sets
/// (a lookup per lane and action of each rule when indexing; with std's
/// SipHash those were about a tenth of loading a 10,000-rule bundle).
type HashMap<K, V> = foldhash::HashMap<K, V>;

/// What the caller knows that may be newer than the bundle.
#[derive(Debug, Clone)]
pub struct Facts {
    /// `(product, event)` pairs that have occurred.
    pub occurred: BTreeSet<(String, String)>,
    /// Lane phases that override the bundle's, by lane key.
    pub phases: BTreeMap<String, Phase>,
    /// The current time.
    pub now: jiff::Timestamp,
    /// The machine's clock, when `now` was moved forward of it
    /// ([`Facts::at_given`]): a deny's `until` date retires by this clock,
    /// not by `now`, so a time given in the future can retire grants (it
    /// only closes) but never lift a freeze (it would open).
    pub clock: Option<jiff::Timestamp>,
}

/// How much earlier than the machine's clock a given time may be and still
/// be taken as the clock ([`Facts::at_given`]): a caller reads its clock a
/// moment before the runtime reads its own, and a time written to the
/// second is up to a second behind.
pub const CLOCK_READ_SLACK: jiff::SignedDuration = jiff::SignedDuration::from_secs(5);

impl Facts {
    /// No extra facts, at time `now`.
    pub fn at(now: jiff::Timestamp) -> Self {
        Facts {
            occurred: BTreeSet::new(),
            phases: BTreeMap::new(),
            now,
            clock: None,
        }
    }

    /// Facts at a time the caller gives, held against `clock`, the time the
    /// machine reads. A clock can be moved forward (to ask whether a grant
    /// will still stand next week: a later time retires more grants), but
    /// it lifts no deny: a deny's date retires by `clock` alone. It is never
    /// moved back: a time earlier than `clock` could bring back a grant
    /// whose date has passed, so it is refused. What-if questions about the
    /// past belong in policy tests (`*.test.yaml`, `now:`), which gate
    /// nothing.
    ///
    /// # Errors
    ///
    /// [`FactError::ClockSetBack`] when `now` is earlier than `clock` by
    /// more than [`CLOCK_READ_SLACK`]. A time within it (a caller's clock
    /// read a moment before: `datetime.now(timezone.utc)`, `date -u
    /// +%FT%TZ` truncated to the second) is taken as `clock` itself, so it
    /// brings nothing back either.
    pub fn at_given(now: jiff::Timestamp, clock: jiff::Timestamp) -> Result<Self, FactError> {
        let now = if now < clock && now.duration_until(clock) <= CLOCK_READ_SLACK {
            clock
        } else {
            now
        };
        if now < clock {
            return Err(FactError::ClockSetBack { now, clock });
        }
        let mut facts = Facts::at(now);
        facts.clock = (now > clock).then_some(clock);
        Ok(facts)
    }

    /// Adds an event of a product that has occurred (`odoo-tenant-cm`,
    /// `launch`).
    pub fn with_occurred(mut self, product: impl Into<String>, event: impl Into<String>) -> Self {
        self.occurred.insert((product.into(), event.into()));
        self
    }

    /// Adds a lane's current phase as a caller gives it (`--phase`, the
    /// Python package's `phases`): the same phase twice is one fact; two
    /// different ones are refused rather than the last one winning.
    ///
    /// # Errors
    ///
    /// [`FactError::TwoPhases`] when the lane already has another phase.
    pub fn add_phase(&mut self, lane: String, phase: Phase) -> Result<(), FactError> {
        match self.phases.insert(lane.clone(), phase) {
            Some(first) if first != phase => Err(FactError::TwoPhases {
                lane,
                first,
                second: phase,
            }),
            _ => Ok(()),
        }
    }

    /// Sets a lane's current phase, overriding the bundle's.
    pub fn with_phase(mut self, lane: impl Into<String>, phase: Phase) -> Self {
        self.phases.insert(lane.into(), phase);
        self
    }

    /// Whether any event of `product` has occurred according to these
    /// facts. O(log n) in the facts.
    pub fn has_occurred_in(&self, product: &str) -> bool {
        !self.occurred.is_empty()
            && self
                .occurred
                .range((product.to_string(), String::new())..)
                .next()
                .is_some_and(|(p, _)| p == product)
    }

    /// Whether `event` of `product` has occurred according to these facts
    /// (the bundle's own event states are checked separately).
    ///
    /// A lookup in the sorted set: O(log n) in the facts, whatever their number.
    pub fn has_occurred(&self, product: &str, event: &str) -> bool {
        !self.occurred.is_empty()
            && self
                .occurred
                .contains(&(product.to_string(), event.to_string()))
    }

    /// Today's date in UTC, which `until DATE` conditions compare against.
    pub fn today(&self) -> jiff::civil::Date {
        self.now.to_zoned(jiff::tz::TimeZone::UTC).date()
    }

    /// Today (UTC) for a deny's `until` dates: by the machine's clock when
    /// `now` was moved forward of it, else by `now`.
    pub fn today_for_denies(&self) -> jiff::civil::Date {
        self.clock
            .unwrap_or(self.now)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date()
    }
}

/// One request: a lane, an action, and what the caller presents.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Lane key, `context/instance`.
    pub lane: String,
    /// Action name.
    pub action: String,
    /// The typed confirmation phrase, if any.
    pub confirm: Option<String>,
    /// Proofs by name (`backup_proof`) with their record ids.
    pub proofs: BTreeMap<String, String>,
}

impl Request {
    /// A request with nothing presented.
    pub fn new(lane: impl Into<String>, action: impl Into<String>) -> Self {
        Request {
            lane: lane.into(),
            action: action.into(),
            ..Request::default()
        }
    }

    /// Presents a confirmation phrase.
    pub fn confirm(mut self, phrase: impl Into<String>) -> Self {
        self.confirm = Some(phrase.into());
        self
    }

    /// Presents a proof record.
    pub fn proof(mut self, name: impl Into<String>, record: impl Into<String>) -> Self {
        self.proofs.insert(name.into(), record.into());
        self
    }
}

/// A verified bundle, indexed for decisions by lane, each rule with its
/// actions: memory in proportion to what the bundle writes (a rule's lanes
/// plus its actions), never to their product.
///
/// Immutable once built, so it can be shared between threads;
/// [`Runtime::reload`] swaps the whole of it at once.
#[derive(Debug, Clone)]
pub struct Runtime {
    bundle: Bundle,
    /// Lane key -> lane number (position in the bundle's sorted lanes).
    lane_ids: HashMap<String, u32>,
    /// Action name -> action number (position in the bundle's sorted actions).
    action_ids: HashMap<String, u32>,
    /// Allow rules by lane.
    allows: RuleIndex,
    /// Deny rules by lane.
    denies: RuleIndex,
    /// Each rule's action numbers, sorted, once each (actions the bundle
    /// lacks left out).
    rule_actions: Vec<Box<[u32]>>,
    /// The same as one bit per action (bit n for action n), when the
    /// bundle declares at most 64 actions: one word per rule in one array,
    /// where [`Runtime::rule_actions`] is a separate allocation per rule
    /// (a decision tests each rule on its lane, and on a large bundle each
    /// of those lists was a cache miss).
    rule_action_bits: Option<Vec<u64>>,
    /// Parsed `until` dates per rule.
    dates: Vec<Vec<jiff::civil::Date>>,
    /// Product -> the number of its events with their states: products
    /// whose events are the same retire a rule the same way, unless facts
    /// name them, so the read model asks a rule's retirement once per
    /// number rather than once per product.
    event_states: HashMap<String, u32>,
    /// The products with an event that has occurred in the bundle: a
    /// rule on a lane of any other product, with no occurred-event fact
    /// about it, cannot retire by an event, whatever its number of events.
    occurred_in: foldhash::HashSet<String>,
    /// Each rule's guards, made on first use (see [`Runtime::guards`]).
    guards: std::sync::OnceLock<Vec<Box<[String]>>>,
}

#[cfg(test)]
thread_local! {
    /// Lowered findings and suppressions read to make rules' guards
    /// ([`Runtime::guards`]).
    pub(crate) static GUARD_READS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Rule numbers by lane number, each list in bundle order: one flat list
/// of rule numbers, and a sorted table of the range of it for each lane
/// that has rules. A rule costs one entry per distinct lane it names: a
/// rule over 20,000 lanes and 1,000 actions is 20,000 entries, not 20
/// million.
#[derive(Debug, Clone, Default)]
struct RuleIndex {
    /// (lane number, start, end), sorted by lane.
    ranges: Vec<(u32, u32, u32)>,
    rules: Vec<u32>,
}

impl RuleIndex {
    /// Builds the index from (lane number, rule number) pairs.
    fn build(mut pairs: Vec<(u32, u32)>) -> RuleIndex {
        pairs.sort_unstable();
        pairs.dedup();
        let mut ranges = Vec::new();
        let rules = pairs.iter().map(|p| p.1).collect();
        let mut start = 0usize;
        while start < pairs.len() {
            let lane = pairs[start].0;
            let end = start + pairs[start..].partition_point(|p| p.0 == lane);
            ranges.push((lane, start as u32, end as u32));
            start = end;
        }
        RuleIndex { ranges, rules }
    }

    /// The rules naming `lane`, in bundle order.
    fn get(&self, lane: u32) -> &[u32] {
        match self.ranges.binary_search_by_key(&lane, |r| r.0) {
            Ok(n) => {
                let (_, a, b) = self.ranges[n];
                &self.rules[a as usize..b as usize]
            }
            Err(_) => &[],
        }
    }
}

/// The numbers of `names` in `ids`, sorted, once each, leaving out names
/// the bundle lacks: a rule that repeats a lane or an action (which the
/// loader refuses anyway) costs its distinct entries.
fn distinct_ids(names: &[String], ids: &HashMap<String, u32>) -> Vec<u32> {
    let mut out: Vec<u32> = names.iter().filter_map(|n| ids.get(n)).copied().collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Why facts were refused by [`Runtime::check_facts`]: they name something
/// the bundle does not have, or undo what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FactError {
    /// An occurred event names a product the bundle lacks.
    UnknownProduct {
        /// The product as given.
        product: String,
        /// The event as given.
        event: String,
        /// The closest product name, if one is close.
        suggestion: Option<String>,
    },
    /// An occurred event is not an event of its product.
    UnknownEvent {
        /// The product.
        product: String,
        /// The event as given.
        event: String,
        /// The product's events, sorted.
        known: Vec<String>,
        /// The closest event name, if one is close.
        suggestion: Option<String>,
    },
    /// A phase fact names a lane the bundle lacks.
    UnknownLane {
        /// The lane as given.
        lane: String,
        /// The closest lane key, if one is close.
        suggestion: Option<String>,
    },
    /// A phase fact makes a lane that is live in the bundle prelaunch again.
    LaunchUndone {
        /// The lane.
        lane: String,
    },
    /// Two different phases are given for one lane ([`Facts::add_phase`]).
    TwoPhases {
        /// The lane.
        lane: String,
        /// The phase given first.
        first: Phase,
        /// The other.
        second: Phase,
    },
    /// A given time is earlier than the machine's clock ([`Facts::at_given`]).
    ClockSetBack {
        /// The time given.
        now: jiff::Timestamp,
        /// The machine's clock when it was checked.
        clock: jiff::Timestamp,
    },
}

impl std::fmt::Display for FactError {
    /// The message, with every invisible character it quotes from the
    /// facts (control, bidi, zero-width) written as its escape.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::model::escape_invisible(
            &Unescaped(self).to_string(),
        ))
    }
}

/// A [`FactError`]'s message as composed, before its invisible characters
/// are escaped.
struct Unescaped<'a>(&'a FactError);

impl std::fmt::Display for Unescaped<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hint = |s: &Option<String>| {
            s.as_ref()
                .map_or(String::new(), |s| format!("; did you mean `{s}`?"))
        };
        match self.0 {
            FactError::UnknownProduct {
                product,
                event,
                suggestion,
            } => write!(
                f,
                "unknown product `{product}` in `{product}:{event}`{}",
                hint(suggestion)
            ),
            FactError::UnknownEvent {
                product,
                event,
                known,
                suggestion,
            } => {
                let known = if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                };
                write!(
                    f,
                    "product `{product}` has no event `{event}` (it has: {known}){}",
                    hint(suggestion)
                )
            }
            FactError::UnknownLane { lane, suggestion } => {
                write!(
                    f,
                    "unknown lane `{lane}` in a phase fact{}",
                    hint(suggestion)
                )
            }
            FactError::LaunchUndone { lane } => write!(
                f,
                "lane `{lane}` is live in the bundle; a fact cannot make it prelaunch again"
            ),
            FactError::TwoPhases {
                lane,
                first,
                second,
            } => write!(
                f,
                "lane `{lane}` is given two phases, `{}` and `{}`",
                first.as_str(),
                second.as_str()
            ),
            FactError::ClockSetBack { now, clock } => write!(
                f,
                "`{now}` is earlier than the clock (`{clock}`): the time can be moved forward, never back, since an earlier time could bring back a grant whose date has passed; ask about the past in a policy test (`now:` in a `*.test.yaml` case)"
            ),
        }
    }
}

impl std::error::Error for FactError {}

impl Runtime {
    /// Loads and verifies a bundle from bytes (see [`bundle::load()`]), then
    /// indexes it by lane and action.
    ///
    /// # Errors
    ///
    /// A [`BundleError`] when the bytes are not a verified bundle of this
    /// version; nothing is decided on such a bundle.
    pub fn from_bytes(bytes: &[u8]) -> Result<Runtime, BundleError> {
        Ok(Runtime::new(bundle::load(bytes)?))
    }

    /// Loads a bundle whose signature must verify against `keys` before
    /// anything else is read: `signature` is the text of its `.minisig`
    /// file, or `None` when there is none. With no trusted keys this is
    /// [`Runtime::from_bytes`].
    ///
    /// # Errors
    ///
    /// [`BundleError::Unsigned`] or [`BundleError::Signature`] when keys
    /// are trusted and the signature is missing or does not verify; then
    /// any [`BundleError`] of [`Runtime::from_bytes`].
    pub fn from_signed_bytes(
        bytes: &[u8],
        signature: Option<&[u8]>,
        keys: &bundle::TrustedKeys,
    ) -> Result<Runtime, BundleError> {
        Runtime::from_signed_bytes_within(bytes, signature, keys, bundle::load::MAX_BUNDLE_BYTES)
    }

    /// [`Runtime::from_signed_bytes`] for bundles of at most `max_bytes`
    /// bytes rather than [`bundle::load::MAX_BUNDLE_BYTES`]
    /// ([`bundle::load::load_within`]).
    ///
    /// # Errors
    ///
    /// As [`Runtime::from_signed_bytes`].
    pub fn from_signed_bytes_within(
        bytes: &[u8],
        signature: Option<&[u8]>,
        keys: &bundle::TrustedKeys,
        max_bytes: usize,
    ) -> Result<Runtime, BundleError> {
        keys.verify(bytes, signature)?;
        Ok(Runtime::new(bundle::load::load_within(bytes, max_bytes)?))
    }

    /// [`Runtime::reload`] for signed bundles: replaces the bundle only if
    /// its signature verifies against `keys` and the bundle verifies.
    ///
    /// # Errors
    ///
    /// As [`Runtime::from_signed_bytes`]; `self` is then unchanged and
    /// keeps deciding on the last good bundle.
    pub fn reload_signed(
        &mut self,
        bytes: &[u8],
        signature: Option<&[u8]>,
        keys: &bundle::TrustedKeys,
    ) -> Result<(), BundleError> {
        *self = Runtime::from_signed_bytes(bytes, signature, keys)?;
        Ok(())
    }

    /// Replaces the bundle with the one in `bytes`, only if it verifies.
    ///
    /// # Errors
    ///
    /// A [`BundleError`] when `bytes` is not a verified bundle; `self` is then
    /// unchanged and keeps deciding on the last good bundle.
    pub fn reload(&mut self, bytes: &[u8]) -> Result<(), BundleError> {
        *self = Runtime::from_bytes(bytes)?;
        Ok(())
    }

    /// The bundle's digest, `sha256:<hex>`: which policies are in force.
    pub fn digest(&self) -> &str {
        &self.bundle.digest
    }

    /// Indexes an already verified bundle (one from [`bundle::load()`]). Rule
    /// references to lanes or actions the bundle lacks are left out of the
    /// index, so they can never allow anything. Crate-private: a `Runtime`
    /// is only ever made from bytes that verified ([`Runtime::from_bytes`]).
    pub(crate) fn new(mut bundle: Bundle) -> Runtime {
        // A rule's proofs once each, in order (the loader refuses repeats;
        // this keeps the evaluator linear in a rule's proofs whatever it is
        // given).
        for r in &mut bundle.rules {
            if r.requires.len() > 1 {
                let mut seen = foldhash::HashSet::with_capacity_and_hasher(
                    r.requires.len(),
                    Default::default(),
                );
                r.requires.retain(|p| seen.insert(p.clone()));
            }
        }
        let lane_ids: HashMap<String, u32> = bundle
            .lanes
            .keys()
            .enumerate()
            .map(|(n, k)| (k.clone(), n as u32))
            .collect();
        let action_ids: HashMap<String, u32> = bundle
            .actions
            .keys()
            .enumerate()
            .map(|(n, k)| (k.clone(), n as u32))
            .collect();
        let mut allows = Vec::new();
        let mut denies = Vec::new();
        let mut dates = Vec::with_capacity(bundle.rules.len());
        let mut rule_actions = Vec::with_capacity(bundle.rules.len());
        for (k, r) in bundle.rules.iter().enumerate() {
            let index = if r.effect == Effect::Allow {
                &mut allows
            } else {
                &mut denies
            };
            for lane in distinct_ids(&r.lanes, &lane_ids) {
                index.push((lane, k as u32));
            }
            rule_actions.push(distinct_ids(&r.actions, &action_ids).into_boxed_slice());
            dates.push(
                r.until
                    .dates
                    .iter()
                    .filter_map(|d| d.parse().ok())
                    .collect(),
            );
        }
        let mut numbers: HashMap<Vec<(&str, crate::model::EventState)>, u32> = HashMap::default();
        let event_states = bundle
            .products
            .iter()
            .map(|(name, p)| {
                let states: Vec<(&str, crate::model::EventState)> =
                    p.events.iter().map(|(e, s)| (e.as_str(), *s)).collect();
                let next = numbers.len() as u32;
                (name.clone(), *numbers.entry(states).or_insert(next))
            })
            .collect();
        drop(numbers);
        let rule_action_bits = (action_ids.len() <= 64).then(|| {
            rule_actions
                .iter()
                .map(|ids| ids.iter().fold(0u64, |bits, &a| bits | (1 << a)))
                .collect()
        });
        let occurred_in = bundle
            .products
            .iter()
            .filter(|(_, p)| {
                p.events
                    .values()
                    .any(|s| *s == crate::model::EventState::Occurred)
            })
            .map(|(name, _)| name.clone())
            .collect();
        Runtime {
            bundle,
            lane_ids,
            action_ids,
            allows: RuleIndex::build(allows),
            denies: RuleIndex::build(denies),
            rule_actions,
            rule_action_bits,
            dates,
            event_states,
            occurred_in,
            guards: std::sync::OnceLock::new(),
        }
    }

    /// The guards rule `k`'s grants ship without: the checks (`CODE
    /// name`), sorted, once each, that the configuration lowered or a
    /// comment suppressed and that found something on the rule. A rule
    /// whose lowered check found something on each of its n lanes has n
    /// findings but one guard; the effective diff compares guards for
    /// every (lane, action) of the rule, so they are made once, on first
    /// use: O(findings) in all, not per pair.
    pub(crate) fn guards(&self, k: u32) -> &[String] {
        let all = self.guards.get_or_init(|| {
            self.bundle
                .rules
                .iter()
                .map(|r| {
                    #[cfg(test)]
                    GUARD_READS
                        .with(|n| n.set(n.get() + r.lowered_findings.len() + r.suppressions.len()));
                    let set: std::collections::BTreeSet<String> = r
                        .lowered_findings
                        .iter()
                        .map(|f| format!("{} {}", f.code, f.name))
                        .chain(
                            r.suppressions
                                .iter()
                                .map(|f| format!("{} {}", f.code, f.name)),
                        )
                        .collect();
                    set.into_iter().collect()
                })
                .collect()
        });
        all.get(k as usize).map_or(&[], |g| g)
    }

    /// The bundle.
    pub fn bundle(&self) -> &Bundle {
        &self.bundle
    }

    /// Checks facts against the bundle: occurred events must be events of
    /// known products, phase facts must name known lanes (a typo in a fact
    /// must not silently change a decision), and a lane that is live in the
    /// bundle cannot be made prelaunch again (a launch is one way; facts may
    /// not reopen what a launch closed). Checks in a fixed order, so the error
    /// reported is deterministic.
    ///
    /// # Errors
    ///
    /// The first [`FactError`] found.
    pub fn check_facts(&self, facts: &Facts) -> Result<(), FactError> {
        self.check_facts_within(facts, &std::cell::Cell::new(usize::MAX))
    }

    /// [`Runtime::check_facts`], its "did you mean" searches charged to
    /// `budget` (distance cells plus bytes of candidates, as
    /// [`crate::suggest::did_you_mean_counted`] counts them) and skipped
    /// once it is spent: a policy test file checks the facts of every case
    /// against one budget.
    pub(crate) fn check_facts_within(
        &self,
        facts: &Facts,
        budget: &std::cell::Cell<usize>,
    ) -> Result<(), FactError> {
        let suggest = |word: &str, names: &mut dyn Iterator<Item = &String>| -> Option<String> {
            if budget.get() == 0 {
                return None;
            }
            let (found, cells, scanned) =
                crate::suggest::did_you_mean_counted(word, names.map(String::as_str));
            budget.set(budget.get().saturating_sub(cells + scanned));
            found.map(str::to_string)
        };
        for (product, event) in &facts.occurred {
            let Some(p) = self.bundle.products.get(product) else {
                return Err(FactError::UnknownProduct {
                    product: product.clone(),
                    event: event.clone(),
                    suggestion: suggest(product, &mut self.bundle.products.keys()),
                });
            };
            if !p.events.contains_key(event) {
                return Err(FactError::UnknownEvent {
                    product: product.clone(),
                    event: event.clone(),
                    known: p.events.keys().cloned().collect(),
                    suggestion: suggest(event, &mut p.events.keys()),
                });
            }
        }
        for (lane, phase) in &facts.phases {
            let Some(l) = self.bundle.lanes.get(lane) else {
                return Err(FactError::UnknownLane {
                    lane: lane.clone(),
                    suggestion: suggest(lane, &mut self.bundle.lanes.keys()),
                });
            };
            if l.phase == Phase::Live && *phase == Phase::Prelaunch {
                return Err(FactError::LaunchUndone { lane: lane.clone() });
            }
        }
        Ok(())
    }

    /// Allow rules (when `allow`) or deny rules that name `lane` and
    /// `action`, in bundle order: the lane's rules, each kept when its
    /// sorted actions hold the action (a binary search).
    fn rules_for(&self, allow: bool, lane: &str, action: &str) -> impl Iterator<Item = u32> + '_ {
        let found = self.lane_ids.get(lane).zip(self.action_ids.get(action));
        found
            .map(|(&l, &a)| self.rules_by_ids(allow, l, a))
            .into_iter()
            .flatten()
    }

    /// [`Runtime::rules_for`] by lane and action number.
    fn rules_by_ids(&self, allow: bool, lane: u32, action: u32) -> impl Iterator<Item = u32> + '_ {
        let rules = if allow {
            self.allows.get(lane)
        } else {
            self.denies.get(lane)
        };
        rules
            .iter()
            .copied()
            .filter(move |&k| match &self.rule_action_bits {
                Some(bits) => bits[k as usize] >> action & 1 == 1,
                None => self.rule_actions[k as usize].binary_search(&action).is_ok(),
            })
    }

    /// The lane `key` with its number, by one hash lookup (the number is
    /// its place in the bundle's sorted lanes).
    fn lane_by_key(&self, key: &str) -> Option<(u32, &bundle::Lane)> {
        let &n = self.lane_ids.get(key)?;
        let (_, lane) = self.bundle.lanes.get_indexed(n as usize)?;
        Some((n, lane))
    }

    /// Allow rules (when `allow`) or deny rules that name `lane`, for any
    /// action, in bundle order.
    fn lane_rules(&self, allow: bool, lane: &str) -> &[u32] {
        match self.lane_ids.get(lane) {
            Some(&l) if allow => self.allows.get(l),
            Some(&l) => self.denies.get(l),
            None => &[],
        }
    }

    fn rule(&self, k: u32) -> &Rule {
        &self.bundle.rules[k as usize]
    }
}

#[cfg(test)]
mod index_tests {
    use super::*;

    /// The same phase twice is one fact; two different ones are refused,
    /// whoever gives them (the CLI's flags, the Python package's dict).
    #[test]
    fn one_lane_takes_one_phase() {
        let mut f = Facts::at("2026-12-02T10:00:00Z".parse().unwrap());
        assert!(f.add_phase("cm/prod".into(), Phase::Live).is_ok());
        assert!(f.add_phase("cm/prod".into(), Phase::Live).is_ok());
        let e = f.add_phase("cm/prod".into(), Phase::Prelaunch).unwrap_err();
        assert_eq!(
            e.to_string(),
            "lane `cm/prod` is given two phases, `live` and `prelaunch`"
        );
    }

    /// A time a moment behind the clock is the clock; further behind, it
    /// is refused; ahead, it stands.
    #[test]
    fn a_time_a_moment_behind_the_clock_is_the_clock() {
        let clock: jiff::Timestamp = "2026-12-02T10:00:00.5Z".parse().unwrap();
        let at = |s: &str| Facts::at_given(s.parse().unwrap(), clock);
        assert_eq!(at("2026-12-02T10:00:00Z").unwrap().now, clock);
        assert_eq!(at("2026-12-02T09:59:56Z").unwrap().now, clock);
        assert!(matches!(
            at("2026-12-02T09:59:55Z"),
            Err(FactError::ClockSetBack { .. })
        ));
        let later: jiff::Timestamp = "2026-12-09T00:00:00Z".parse().unwrap();
        assert_eq!(Facts::at_given(later, clock).unwrap().now, later);
    }

    /// A rule's actions as bits answer as its sorted list does, for every
    /// lane and action of a bundle of 64 actions (the most bits hold).
    #[test]
    fn action_bits_answer_as_the_action_lists_do() {
        let mut b = crate::bundle::real_fixture();
        let base = b.actions.values().next().expect("an action").clone();
        let mut n = 0;
        while b.actions.len() < 64 {
            b.actions.insert(format!("extra{n:02}"), base.clone());
            n += 1;
        }
        let names: Vec<String> = b.actions.keys().cloned().collect();
        for (k, r) in b.rules.iter_mut().enumerate() {
            r.actions = names
                .iter()
                .skip(k % 7)
                .step_by(3 + k % 5)
                .cloned()
                .collect();
        }
        let rt = Runtime::new(b);
        let bits = rt.rule_action_bits.as_ref().expect("bits for 64 actions");
        assert_eq!(bits.len(), rt.bundle.rules.len());
        for lane in 0..rt.bundle.lanes.len() as u32 {
            for action in 0..64u32 {
                for allow in [true, false] {
                    let by_bits: Vec<u32> = rt.rules_by_ids(allow, lane, action).collect();
                    let by_list: Vec<u32> = (if allow {
                        rt.allows.get(lane)
                    } else {
                        rt.denies.get(lane)
                    })
                    .iter()
                    .copied()
                    .filter(|&k| rt.rule_actions[k as usize].binary_search(&action).is_ok())
                    .collect();
                    assert_eq!(by_bits, by_list);
                }
            }
        }
    }

    /// A lane's number finds that lane, for every lane of a bundle (the
    /// real one, and one with 300 more lanes added out of order), and a
    /// key the bundle lacks finds nothing.
    #[test]
    fn a_lane_is_found_by_its_number() {
        let mut b = crate::bundle::real_fixture();
        let events = b
            .products
            .values()
            .next()
            .expect("a product")
            .events
            .clone();
        crate::bundle::add_products(&mut b, 300, &events);
        let rt = Runtime::new(b);
        assert!(rt.bundle.lanes.len() > 300);
        for (n, (key, lane)) in rt.bundle.lanes.iter().enumerate() {
            let (id, found) = rt.lane_by_key(key).expect("the lane");
            assert_eq!(id as usize, n);
            assert_eq!(found, lane);
        }
        assert!(rt.lane_by_key("nowhere/lane").is_none());
        assert!(rt.lane_by_key("").is_none());
    }

    #[test]
    fn repeated_lanes_and_actions_index_their_distinct_pairs_once() {
        // Runtime::new is also given bundles that did not come through the
        // loader: a rule repeating one lane and one action n times makes one
        // index entry, not n x n.
        let mut bundle = real();
        let before = Runtime::new(bundle.clone());
        let r = &mut bundle.rules[0];
        r.lanes = vec![r.lanes[0].clone(); 2000];
        r.actions = vec![r.actions[0].clone(); 2000];
        let after = Runtime::new(bundle);
        // The rule had two lanes and one action; now one lane and one action.
        assert_eq!(entries(&after), entries(&before) - 1);
        assert_eq!(after.rule_actions[0].len(), 1);
    }

    #[test]
    fn a_rule_costs_its_lanes_plus_its_actions_never_their_product() {
        // One rule over every lane of the real bundle and 500 actions: the
        // index holds a lane once, and the rule its actions once, however
        // many of the other there are.
        let mut bundle = real();
        let lanes: Vec<String> = bundle.lanes.keys().cloned().collect();
        let base = bundle.actions.values().next().expect("an action").clone();
        for n in 0..500 {
            bundle.actions.insert(format!("extra{n:03}"), base.clone());
        }
        let r = &mut bundle.rules[0];
        r.lanes = lanes.clone();
        r.actions = bundle.actions.keys().cloned().collect();
        let actions = r.actions.len();
        let (allow, first) = (r.effect == Effect::Allow, r.actions[0].clone());
        let before = entries(&Runtime::new(real()));
        let rt = Runtime::new(bundle);
        assert!(actions > 500);
        assert!(
            entries(&rt) <= before + lanes.len(),
            "{} entries for {} lanes x {actions} actions",
            entries(&rt),
            lanes.len()
        );
        assert_eq!(rt.rule_actions[0].len(), actions);
        // Every lane finds the rule for an action it names, and not for an
        // action it does not.
        for lane in &lanes {
            assert!(rt.rules_for(allow, lane, &first).any(|k| k == 0), "{lane}");
            assert!(
                rt.rules_for(allow, lane, "extra499").any(|k| k == 0),
                "{lane}"
            );
            assert!(!rt.rules_for(allow, lane, "nope").any(|k| k == 0), "{lane}");
        }
    }

    #[test]
    fn a_rules_proofs_are_asked_once_each_in_order() {
        // Repeated proofs (which the loader refuses) are asked once each, in
        // the order first written: the evaluator walks a rule's proofs once.
        let mut bundle = real();
        let k = bundle
            .rules
            .iter()
            .position(|r| r.effect == Effect::Allow)
            .expect("an allow");
        let mut requires: Vec<String> = (0..3000).map(|n| format!("p{}", n % 1000)).collect();
        requires.insert(0, "first".into());
        bundle.rules[k].requires = requires;
        let (lane, action) = (
            bundle.rules[k].lanes[0].clone(),
            bundle.rules[k].actions[0].clone(),
        );
        let rt = Runtime::new(bundle);
        let names: Vec<&str> = rt
            .rule(k as u32)
            .requires
            .iter()
            .map(String::as_str)
            .collect();
        assert_eq!(names.len(), 1001);
        assert_eq!(names[..3], ["first", "p0", "p1"]);
        let l = &rt.bundle.lanes[&lane];
        let a = &rt.bundle.actions[&action];
        let needs = rt.requirements_at(k as u32, &lane, l, a, l.phase);
        let asked: Vec<&str> = needs.proofs.iter().map(|(p, _)| *p).collect();
        assert_eq!(asked[..1001], names[..]);
        let distinct: std::collections::BTreeSet<&str> = asked.iter().copied().collect();
        assert_eq!(distinct.len(), asked.len(), "a proof asked twice");
    }

    #[test]
    fn occurred_facts_are_looked_up_not_scanned() {
        let mut facts = Facts::at("2026-12-01T12:00:00Z".parse().unwrap());
        for n in 0..10_000 {
            facts = facts.with_occurred(format!("p{n}"), "launch");
        }
        assert!(facts.has_occurred("p9999", "launch"));
        assert!(facts.has_occurred("p0", "launch"));
        assert!(!facts.has_occurred("p0", "launc"));
        assert!(!facts.has_occurred("p10000", "launch"));
        assert!(!Facts::at("2026-12-01T12:00:00Z".parse().unwrap()).has_occurred("p0", "launch"));
    }

    fn real() -> Bundle {
        bundle::real_fixture()
    }

    fn entries(rt: &Runtime) -> usize {
        rt.allows.rules.len() + rt.denies.rules.len()
    }
}

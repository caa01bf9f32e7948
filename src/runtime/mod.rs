//! The runtime: decisions and the read model over a loaded bundle. It
//! depends only on [`crate::bundle`] and [`crate::model`], never on the
//! syntax or the checker, so a control plane can embed it alone.
//!
//! ```
//! use lanepolicy::runtime::{Facts, Request, Runtime};
//! # let bytes = std::fs::read("tests/fixtures/bundles/real.json").unwrap();
//! let runtime = Runtime::from_bytes(&bytes).expect("a verified bundle");
//! let facts = Facts::at("2026-12-01T00:00:00Z".parse().unwrap());
//! let request = Request::new("cm/testing", "empty_bootstrap").confirm("bootstrap cm testing");
//! assert!(runtime.decide(&request, &facts).is_allow());
//! ```

mod decide;
mod read_model;

pub use decide::{Decision, Reason, ReasonCode, RuleRef};
pub use read_model::{DenyView, Grant, LaneView, RetiredView};

use crate::bundle::{self, Bundle, BundleError, Rule};
use crate::model::{Effect, EventState, Phase};
use crate::suggest::did_you_mean;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What the caller knows that may be newer than the bundle.
#[derive(Debug, Clone)]
pub struct Facts {
    /// `(product, event)` pairs that have occurred.
    pub occurred: BTreeSet<(String, String)>,
    /// Lane phases that override the bundle's, by lane key.
    pub phases: BTreeMap<String, Phase>,
    /// The current time.
    pub now: jiff::Timestamp,
}

impl Facts {
    /// No extra facts, at time `now`.
    pub fn at(now: jiff::Timestamp) -> Self {
        Facts {
            occurred: BTreeSet::new(),
            phases: BTreeMap::new(),
            now,
        }
    }

    /// Today's date in UTC, which `until DATE` conditions compare against.
    pub fn today(&self) -> jiff::civil::Date {
        self.now.to_zoned(jiff::tz::TimeZone::UTC).date()
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

/// A verified bundle, indexed for decisions by (lane, action).
#[derive(Debug, Clone)]
pub struct Runtime {
    bundle: Bundle,
    /// lane -> action -> indexes of allow rules, in bundle order.
    allows: HashMap<String, HashMap<String, Vec<usize>>>,
    /// lane -> action -> indexes of deny rules, in bundle order.
    denies: HashMap<String, HashMap<String, Vec<usize>>>,
    /// Parsed `until` dates per rule.
    dates: Vec<Vec<jiff::civil::Date>>,
}

/// Why a fact flag was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactError(pub String);

impl std::fmt::Display for FactError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FactError {}

impl Runtime {
    /// Loads and verifies a bundle from bytes, then indexes it.
    pub fn from_bytes(bytes: &[u8]) -> Result<Runtime, BundleError> {
        Ok(Runtime::new(bundle::load(bytes)?))
    }

    /// Indexes an already verified bundle.
    pub fn new(bundle: Bundle) -> Runtime {
        let mut allows: HashMap<String, HashMap<String, Vec<usize>>> = HashMap::new();
        let mut denies: HashMap<String, HashMap<String, Vec<usize>>> = HashMap::new();
        let mut dates = Vec::with_capacity(bundle.rules.len());
        for (k, r) in bundle.rules.iter().enumerate() {
            let index = if r.effect == Effect::Allow {
                &mut allows
            } else {
                &mut denies
            };
            for lane in &r.lanes {
                let by_action = index.entry(lane.clone()).or_default();
                for a in &r.actions {
                    by_action.entry(a.clone()).or_default().push(k);
                }
            }
            dates.push(
                r.until
                    .dates
                    .iter()
                    .filter_map(|d| d.parse().ok())
                    .collect(),
            );
        }
        Runtime {
            bundle,
            allows,
            denies,
            dates,
        }
    }

    /// The bundle.
    pub fn bundle(&self) -> &Bundle {
        &self.bundle
    }

    /// Checks facts against the bundle: products, events and lanes must
    /// exist (a typo in a fact must not silently change a decision), and a
    /// lane that is live in the bundle cannot be made prelaunch again (a
    /// launch is one way; facts may only make a decision stricter).
    pub fn check_facts(&self, facts: &Facts) -> Result<(), FactError> {
        for (product, event) in &facts.occurred {
            let Some(p) = self.bundle.products.get(product) else {
                let hint = did_you_mean(product, self.bundle.products.keys().map(String::as_str))
                    .map_or(String::new(), |s| format!("; did you mean `{s}`?"));
                return Err(FactError(format!(
                    "unknown product `{product}` in `{product}:{event}`{hint}"
                )));
            };
            if !p.events.contains_key(event) {
                let hint = did_you_mean(event, p.events.keys().map(String::as_str))
                    .map_or(String::new(), |s| format!("; did you mean `{s}`?"));
                return Err(FactError(format!(
                    "product `{product}` has no event `{event}` (it has: {}){hint}",
                    p.events
                        .keys()
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
        for (lane, phase) in &facts.phases {
            let Some(l) = self.bundle.lanes.get(lane) else {
                let hint = did_you_mean(lane, self.bundle.lanes.keys().map(String::as_str))
                    .map_or(String::new(), |s| format!("; did you mean `{s}`?"));
                return Err(FactError(format!(
                    "unknown lane `{lane}` in a phase fact{hint}"
                )));
            };
            if l.phase == Phase::Live && *phase == Phase::Prelaunch {
                return Err(FactError(format!(
                    "lane `{lane}` is live in the bundle; a fact cannot make it prelaunch again"
                )));
            }
        }
        Ok(())
    }

    fn rules_for<'a>(
        index: &'a HashMap<String, HashMap<String, Vec<usize>>>,
        lane: &str,
        action: &str,
    ) -> &'a [usize] {
        index
            .get(lane)
            .and_then(|m| m.get(action))
            .map_or(&[], Vec::as_slice)
    }

    /// Why rule `k` no longer applies to `lane`, or `None` while it is active.
    fn retired_by(&self, k: usize, lane: &str, facts: &Facts) -> Option<String> {
        let rule = &self.bundle.rules[k];
        let product = self.bundle.lanes.get(lane).map(|l| l.product.as_str())?;
        for e in &rule.until.events {
            let in_bundle = self
                .bundle
                .products
                .get(product)
                .and_then(|p| p.events.get(e))
                == Some(&EventState::Occurred);
            if in_bundle || facts.occurred.contains(&(product.to_string(), e.clone())) {
                return Some(format!("`{e}` of `{product}` has occurred"));
            }
        }
        let today = facts.today();
        for (d, text) in self.dates[k].iter().zip(&rule.until.dates) {
            if today > *d {
                return Some(format!("{text} has passed"));
            }
        }
        None
    }

    /// The lane's phase, after facts.
    fn phase(&self, lane: &str, facts: &Facts) -> Option<Phase> {
        facts
            .phases
            .get(lane)
            .copied()
            .or_else(|| self.bundle.lanes.get(lane).map(|l| l.phase))
    }

    fn rule(&self, k: usize) -> &Rule {
        &self.bundle.rules[k]
    }
}

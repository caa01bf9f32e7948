//! The bundle: the compiled, self-contained JSON that the runtime loads.
//! These types are the serialized boundary, separate from the syntax tree;
//! field names are part of the contract (`docs/bundle.md`).
//!
//! Writing is deterministic: keys sorted, compact canonical form hashed into
//! `digest`, then pretty-printed. Loading ([`load()`]) verifies format,
//! version, digest and internal consistency before anything decides on it.

mod build;
pub mod canonical;
pub mod diff;
pub mod load;
pub mod signature;

pub use build::build;
pub use canonical::{canonical_json, digest_of, to_pretty_json};
pub use load::{BundleError, load};
pub use signature::TrustedKeys;

/// The bundle of the real policies (`tests/fixtures/bundles/real.json`),
/// loaded: what unit tests start from and change.
#[cfg(test)]
pub(crate) fn real_fixture() -> Bundle {
    load(include_bytes!("../../tests/fixtures/bundles/real.json")).expect("the real bundle loads")
}

/// Adds to `b` `n` products `p0..` (contexts `c0..`) that all declare
/// `events`, each with one lane made from the bundle's first lane; returns
/// the keys of the new lanes, in order. For tests of work per product.
#[cfg(test)]
pub(crate) fn add_products(
    b: &mut Bundle,
    n: usize,
    events: &crate::sorted_map::SortedMap<String, EventState>,
) -> Vec<String> {
    let lane = b.lanes.values().next().cloned().expect("a lane");
    (0..n)
        .map(|k| {
            let (product, context) = (format!("p{k}"), format!("c{k}"));
            b.products.insert(
                product.clone(),
                Product {
                    context: context.clone(),
                    events: events.clone(),
                },
            );
            let mut l = lane.clone();
            l.product = product;
            l.context = context.clone();
            let key = format!("{context}/{}", l.instance);
            b.lanes.insert(key.clone(), l);
            key
        })
        .collect()
}

use crate::model::{DataAuthority, DataSource, Effect, EventState, Phase};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The text `build -o` writes for a bundle: its pretty-printed JSON with
/// sorted keys and a final newline (UTF-8). The CLI and the Python binding
/// both write these bytes.
///
/// # Errors
///
/// A message when the text would be larger than [`load::MAX_BUNDLE_BYTES`]
/// (the runtime would refuse it).
pub fn to_text(b: &Bundle) -> Result<String, String> {
    let mut out = Vec::new();
    write_text(b, &mut out).map_err(|e| e.to_string())?;
    // Only UTF-8 text and ASCII punctuation were written.
    Ok(String::from_utf8(out).unwrap_or_default())
}

/// Writes the bytes [`to_text`] gives to `w` as they are made, without
/// holding the text (144 MB at 100,000 rules); returns how many bytes.
///
/// # Errors
///
/// [`TextError::TooLarge`] when the text is larger than
/// [`load::MAX_BUNDLE_BYTES`]: the first that many bytes may have been
/// written, so the writer's output must then be discarded.
/// [`TextError::Io`] for the first error of `w`.
pub fn write_text<W: std::io::Write>(b: &Bundle, w: W) -> Result<u64, TextError> {
    write_text_within(b, w, load::MAX_BUNDLE_BYTES)
}

/// [`write_text`] for a runtime that reads bundles of at most `max_bytes`
/// bytes ([`load::load_within`], the CLI's `--max-bundle-bytes`) rather
/// than [`load::MAX_BUNDLE_BYTES`].
///
/// # Errors
///
/// As [`write_text`], [`TextError::TooLarge`] over `max_bytes`.
pub fn write_text_within<W: std::io::Write>(
    b: &Bundle,
    w: W,
    max_bytes: usize,
) -> Result<u64, TextError> {
    let max = max_bytes as u64;
    match canonical::write_bundle_pretty(b, w, max) {
        Ok(bytes) if bytes > max => Err(TextError::TooLarge { bytes, limit: max }),
        Ok(bytes) => Ok(bytes),
        Err(e) => Err(TextError::Io(e)),
    }
}

/// Why [`write_text`] did not write a bundle.
#[derive(Debug)]
pub enum TextError {
    /// The text would be this many bytes, more than the runtime loads.
    TooLarge {
        /// The text's length in bytes.
        bytes: u64,
        /// The most the runtime loads, in bytes.
        limit: u64,
    },
    /// The writer failed.
    Io(std::io::Error),
}

impl std::fmt::Display for TextError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TextError::TooLarge { bytes, limit } => write!(
                f,
                "the bundle would be {bytes} bytes, over the {limit} bytes the runtime loads"
            ),
            TextError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for TextError {}

/// A map read as serde reads one (of repeated keys the last kept, as
/// `insert` keeps it), built in one step from its entries rather than by
/// an insert per entry: a bundle's maps arrive sorted, and a `BTreeMap`
/// built from sorted entries makes full nodes without a search per key
/// (inserting the 20,000 lanes of a 10,000-rule bundle one by one was
/// about a tenth of loading it).
fn map_in_one_step<'de, D, K, V>(d: D) -> Result<BTreeMap<K, V>, D::Error>
where
    D: serde::Deserializer<'de>,
    K: Ord + Deserialize<'de>,
    V: Deserialize<'de>,
{
    // `from_iter` sorts the entries (stably: one pass when sorted) and
    // keeps the last of equal keys.
    Ok(crate::sorted_map::map_entries(d)?.into_iter().collect())
}

/// The value of `format`.
pub const FORMAT: &str = "lanepolicy-bundle";
/// The bundle version this build writes and reads.
pub const VERSION: u64 = 1;

/// A compiled bundle (version 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bundle {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`VERSION`].
    pub version: u64,
    /// `sha256:<hex>` over the canonical JSON of the bundle without this field.
    pub digest: String,
    /// Every input file (policies and the inventory), sorted by path.
    pub sources: Vec<SourceRef>,
    /// Base URL for `#N` issue references, if the inventory has one.
    pub issues: Option<String>,
    /// Declared actions.
    #[serde(deserialize_with = "map_in_one_step")]
    pub actions: BTreeMap<String, Action>,
    /// Products with their events.
    #[serde(deserialize_with = "map_in_one_step")]
    pub products: BTreeMap<String, Product>,
    /// Lanes by `context/instance`, with every inventory field, sorted by
    /// key: the runtime numbers a lane by its place here
    /// ([`SortedMap`](crate::sorted_map::SortedMap) gives it back by that
    /// number, `get_indexed`).
    pub lanes: crate::sorted_map::SortedMap<String, Lane>,
    /// Rules in (path, position) order.
    pub rules: Vec<Rule>,
    /// The checks the configuration (`lanepolicy.yaml`) lowered: turned
    /// off, or from error to warning; by code. Empty when every check has
    /// at least its default severity. (Absent in bundles built before the
    /// field existed: read as empty.)
    #[serde(default)]
    pub lowered_checks: Vec<LoweredCheck>,
    /// The policy files (project-relative paths, sorted) that `include` or
    /// `exclude` in the configuration left out of this bundle: their rules,
    /// denies included, do not apply. Absent when none was left out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_policies: Vec<String>,
}

/// A check whose severity the configuration lowered.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LoweredCheck {
    /// The check's code, e.g. `L003`.
    pub code: String,
    /// The check's name, e.g. `production-lane`.
    pub name: String,
    /// Its default severity: `error` or `warning`.
    pub default: String,
    /// Its configured severity: `warning` or `off`.
    pub severity: String,
}

/// A finding of a lowered check on one rule: what would have been reported
/// (and, for an error, would have stopped the build) at the default severity.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LoweredFinding {
    /// The check's code, e.g. `L003`.
    pub code: String,
    /// The check's name.
    pub name: String,
    /// Its configured severity: `warning` or `off`.
    pub severity: String,
    /// The finding's message.
    pub message: String,
}

/// One input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRef {
    /// Path relative to the project root, `/`-separated.
    pub path: String,
    /// SHA-256 of the file's bytes, lowercase hex.
    pub sha256: String,
}

/// An action as the inventory declares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// Launchplane operation kind.
    pub operation: String,
    /// Rebuild data source, or null for actions that are not rebuilds.
    pub data_source: Option<DataSource>,
    /// Whether it destroys the lane's data.
    pub destructive: bool,
}

/// A product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    /// Its context.
    pub context: String,
    /// Its events and their state when the bundle was built, sorted by
    /// name (the inventory's `Events`).
    pub events: crate::sorted_map::SortedMap<String, EventState>,
}

/// A lane, with every inventory field (extra fields kept as written).
///
/// Read by [`LaneVisitor`] rather than a derived reader: with `flatten`,
/// serde would first copy every lane into a buffer of its own and then read
/// the lane from that copy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lane {
    /// Product name.
    pub product: String,
    /// Context.
    pub context: String,
    /// Instance.
    pub instance: String,
    /// Real production, as declared.
    pub production: bool,
    /// Phase when built; runtime facts may override it.
    pub phase: Phase,
    /// Launchplane data authority.
    pub data_authority: DataAuthority,
    /// Allowed rebuild sources.
    pub allowed_sources: Vec<DataSource>,
    /// Other inventory fields (`target`, `domains`, `upstream_source`,
    /// ...), sorted by name (the inventory's `Lane::extra`).
    #[serde(flatten)]
    pub extra: crate::sorted_map::SortedMap<String, serde_json::Value>,
}

impl<'de> Deserialize<'de> for Lane {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Lane, D::Error> {
        d.deserialize_map(LaneVisitor)
    }
}

/// A key of a lane object: one of [`Lane`]'s own fields, or an extra field.
enum LaneKey {
    Product,
    Context,
    Instance,
    Production,
    Phase,
    DataAuthority,
    AllowedSources,
    Extra(String),
}

impl<'de> Deserialize<'de> for LaneKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<LaneKey, D::Error> {
        struct KeyVisitor;
        impl serde::de::Visitor<'_> for KeyVisitor {
            type Value = LaneKey;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<LaneKey, E> {
                Ok(match v {
                    "product" => LaneKey::Product,
                    "context" => LaneKey::Context,
                    "instance" => LaneKey::Instance,
                    "production" => LaneKey::Production,
                    "phase" => LaneKey::Phase,
                    "data_authority" => LaneKey::DataAuthority,
                    "allowed_sources" => LaneKey::AllowedSources,
                    other => LaneKey::Extra(other.to_string()),
                })
            }
        }
        d.deserialize_identifier(KeyVisitor)
    }
}

/// Reads a [`Lane`] from a JSON object: its own fields by name, every other
/// key into [`Lane::extra`], as `#[serde(flatten)]` would.
struct LaneVisitor;

impl<'de> serde::de::Visitor<'de> for LaneVisitor {
    type Value = Lane;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a lane")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Lane, A::Error> {
        use serde::de::Error;
        fn once<T, E: Error>(slot: &mut Option<T>, value: T, name: &'static str) -> Result<(), E> {
            if slot.replace(value).is_some() {
                return Err(E::duplicate_field(name));
            }
            Ok(())
        }
        let mut product = None;
        let mut context = None;
        let mut instance = None;
        let mut production = None;
        let mut phase = None;
        let mut data_authority = None;
        let mut allowed_sources = None;
        let mut extra = Vec::new();
        while let Some(key) = map.next_key::<LaneKey>()? {
            match key {
                LaneKey::Product => once(&mut product, map.next_value()?, "product")?,
                LaneKey::Context => once(&mut context, map.next_value()?, "context")?,
                LaneKey::Instance => once(&mut instance, map.next_value()?, "instance")?,
                LaneKey::Production => once(&mut production, map.next_value()?, "production")?,
                LaneKey::Phase => once(&mut phase, map.next_value()?, "phase")?,
                LaneKey::DataAuthority => {
                    once(&mut data_authority, map.next_value()?, "data_authority")?;
                }
                LaneKey::AllowedSources => {
                    once(&mut allowed_sources, map.next_value()?, "allowed_sources")?;
                }
                LaneKey::Extra(k) => extra.push((k, map.next_value()?)),
            }
        }
        Ok(Lane {
            product: product.ok_or_else(|| A::Error::missing_field("product"))?,
            context: context.ok_or_else(|| A::Error::missing_field("context"))?,
            instance: instance.ok_or_else(|| A::Error::missing_field("instance"))?,
            production: production.ok_or_else(|| A::Error::missing_field("production"))?,
            phase: phase.ok_or_else(|| A::Error::missing_field("phase"))?,
            data_authority: data_authority
                .ok_or_else(|| A::Error::missing_field("data_authority"))?,
            allowed_sources: allowed_sources
                .ok_or_else(|| A::Error::missing_field("allowed_sources"))?,
            // Sorted, the last of a key written twice kept, as a map's
            // `insert` keeps it.
            extra: extra.into_iter().collect(),
        })
    }
}

/// One compiled rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// Stable id: a short hash of the rule's canonical form (not of its position).
    pub id: String,
    /// `allow` or `deny`.
    pub effect: Effect,
    /// Action names.
    #[serde(deserialize_with = "crate::sorted_map::exact_list")]
    pub actions: Vec<String>,
    /// Patterns as written.
    #[serde(deserialize_with = "crate::sorted_map::exact_list")]
    pub patterns: Vec<String>,
    /// Lanes the patterns matched, sorted.
    #[serde(deserialize_with = "crate::sorted_map::exact_list")]
    pub lanes: Vec<String>,
    /// Retirement conditions.
    pub until: Until,
    /// Approval issue.
    pub issue: Option<IssueLink>,
    /// Confirmation phrase per lane (`context/instance` to phrase), sorted
    /// by lane, or null when none is asked.
    pub confirm: Option<crate::sorted_map::SortedMap<String, String>>,
    /// Required proofs.
    #[serde(deserialize_with = "crate::sorted_map::exact_list")]
    pub requires: Vec<String>,
    /// `reason=` text.
    pub reason: Option<String>,
    /// Doc comment, lines joined with `\n`.
    pub doc: Option<String>,
    /// Lints suppressed on this rule, with their reasons (the audit trail).
    #[serde(default)]
    pub suppressions: Vec<SuppressionRecord>,
    /// Findings on this rule of checks the configuration lowered (see
    /// [`Bundle::lowered_checks`]): the guards it shipped without.
    #[serde(default)]
    pub lowered_findings: Vec<LoweredFinding>,
    /// Where the rule is written.
    pub source: SourcePos,
}

/// Retirement conditions: the rule is active while no listed event of the
/// lane's product has occurred and no listed date has passed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Until {
    /// Event names.
    #[serde(deserialize_with = "crate::sorted_map::exact_list")]
    pub events: Vec<String>,
    /// Dates `YYYY-MM-DD` (UTC; active through the end of that day).
    #[serde(deserialize_with = "crate::sorted_map::exact_list")]
    pub dates: Vec<String>,
}

/// An issue reference and its URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueLink {
    /// As written.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Resolved URL.
    pub url: String,
}

/// A suppression written before a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuppressionRecord {
    /// The check's code, e.g. `L012`.
    pub code: String,
    /// The check's name.
    pub name: String,
    /// Why it does not apply.
    pub reason: String,
}

/// A source position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourcePos {
    /// File path.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based character column.
    pub column: usize,
}

#[cfg(test)]
mod map_tests {
    use std::collections::BTreeMap;

    #[derive(serde::Deserialize)]
    struct OneStep {
        #[serde(deserialize_with = "super::map_in_one_step")]
        m: BTreeMap<String, u32>,
    }

    #[derive(serde::Deserialize)]
    struct ByInsert {
        m: BTreeMap<String, u32>,
    }

    /// Built in one step, a map is what serde's insert per entry makes:
    /// sorted or not, with repeated keys (the last kept), empty, large.
    #[test]
    fn a_map_in_one_step_is_the_map_insert_makes() {
        let large: String = (0..5_000)
            .map(|k| format!("\"k{:05}\": {k}", (k * 7919) % 5_000))
            .collect::<Vec<_>>()
            .join(", ");
        for text in [
            r#"{"m": {}}"#.to_string(),
            r#"{"m": {"a": 1, "b": 2, "c": 3}}"#.to_string(),
            r#"{"m": {"c": 3, "a": 1, "b": 2}}"#.to_string(),
            r#"{"m": {"a": 1, "b": 2, "a": 3, "b": 4, "a": 5}}"#.to_string(),
            format!(r#"{{"m": {{{large}}}}}"#),
        ] {
            let one: OneStep = serde_json::from_str(&text).unwrap();
            let insert: ByInsert = serde_json::from_str(&text).unwrap();
            assert_eq!(one.m, insert.m, "{text}");
        }
        assert!(serde_json::from_str::<OneStep>(r#"{"m": [1]}"#).is_err());
    }
}

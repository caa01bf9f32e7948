//! Exports for other systems (`lanepolicy export`).
//!
//! [`launchplane`] turns a bundle, under facts, into what Launchplane
//! (`cbusillo/launchplane`) stores and accepts, field for field:
//!
//! - per product, one **lane profile** per lane, exactly Launchplane's
//!   `ProductLaneProfile`: `instance`, `context`, `base_url`, `health_url`,
//!   `odoo_stable_bootstrap`, `odoo_prelaunch_rebuild`, `odoo_data_policy`,
//!   `health_monitoring`, and nothing else. Launchplane forbids unknown
//!   fields and `null`, so there is no `null` anywhere: a disabled record is
//!   Launchplane's defaults (`""`, `[]`, `data_source_mode: "empty"`);
//! - **apply requests**: Launchplane's write path for a lane's
//!   `odoo_prelaunch_rebuild` record (`ProductPrelaunchRebuildPolicyApplyRequest`,
//!   schema version 1), as dry runs, one per lane whose record a rule of the
//!   bundle names; an enabled one that Launchplane's checks accept against
//!   the exported lane profile, or a disabled one when the grant retired,
//!   was closed, or cannot be expressed;
//! - **notes**: what is lanepolicy's and not Launchplane's (rule ids,
//!   issues, retirement, competing grants, why a record is disabled), kept
//!   outside the records.
//!
//! The export decides nothing itself: the grants, denies and retired rules
//! of each lane come from the read model ([`Runtime::lanes`]); the data
//! policy, monitoring intent, target and domains come from the bundle's
//! lanes (the inventory). Before anything is returned, every lane profile
//! and apply request goes through Launchplane's own refusal rules
//! ([`check_lane_profile`], [`check_apply_request`]); an export that
//! Launchplane would refuse is an error, never printed.
//!
//! [`read_model`] gives Launchplane's read-model extension
//! (`driver_extensions.odoo`) of every exported lane, computed from the lane
//! profile as Launchplane computes it.
//!
//! Sources: Launchplane's `ProductLaneProfile`,
//! `ProductOdooStableBootstrapPolicy`, `ProductOdooPrelaunchRebuildPolicy`,
//! `ProductOdooLaneDataPolicy`, `ProductLaneHealthMonitoringPolicy`,
//! `ProductPrelaunchRebuildPolicyApplyRequest` and
//! `ProductOdooEnvironmentExtension` (late 2026).

use crate::bundle::{IssueLink, Lane};
use crate::model::{DataAuthority, DataSource, Effect, MonitoringIntent, Phase, normalize_phrase};
use crate::runtime::{Facts, LaneView, Runtime};
use serde::Serialize;
use std::collections::HashSet;

/// The export's `format`.
pub const FORMAT: &str = "lanepolicy-launchplane-export";
/// The export's `version`: 2 since the lane profiles are Launchplane's own
/// and the apply requests and notes were added (1 had `lanes` and `policy`).
pub const VERSION: u64 = 2;
/// The `odoo_stable_bootstrap` record's key.
pub const STABLE_BOOTSTRAP: &str = "odoo_stable_bootstrap";
/// The `odoo_prelaunch_rebuild` record's key.
pub const PRELAUNCH_REBUILD: &str = "odoo_prelaunch_rebuild";
/// The `odoo_data_policy` object's key.
pub const DATA_POLICY: &str = "odoo_data_policy";
/// The `health_monitoring` object's key.
pub const HEALTH_MONITORING: &str = "health_monitoring";
/// The write path's `schema_version`.
pub const APPLY_SCHEMA_VERSION: u64 = 1;

/// The Launchplane export of a bundle (`export launchplane`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LaunchplaneExport {
    /// Always [`FORMAT`].
    pub format: &'static str,
    /// Always [`VERSION`].
    pub version: u64,
    /// The bundle's digest, `sha256:<hex>`.
    pub bundle: String,
    /// The time the export was computed for (the facts' `now`), RFC 3339 UTC:
    /// which grants are active, and so which records are enabled, depends on it.
    pub as_of: String,
    /// Every product of the bundle, by name, with the lane profiles
    /// Launchplane accepts as they are: a lane whose monitoring intent is
    /// `public` or `private` is left out (Launchplane refuses those without
    /// an enabled health check of that kind, and health checks are its own
    /// data), with a note; its apply request, if any, is still written.
    pub products: Vec<ProductProfile>,
    /// The profiles left out of `products`, by product: still Launchplane's
    /// read model of their lanes (`lanes --format launchplane`).
    #[serde(skip)]
    pub left_out: Vec<(String, LaneProfile)>,
    /// The dry-run write-path requests, in lane-key order.
    pub apply_requests: Vec<ApplyRequest>,
    /// The checks the configuration lowered when the bundle was built (the
    /// bundle's `lowered_checks`). Left out when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lowered_checks: Vec<crate::bundle::LoweredCheck>,
    /// The policy files the configuration left out (the bundle's
    /// `excluded_policies`, project-relative, sorted): their rules, denies
    /// included, do not apply, so a lane a left-out deny would close may
    /// have an enabled record. Left out when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub excluded_policies: Vec<String>,
    /// lanepolicy's side: where each record comes from, and why one is
    /// disabled or a value differs from the inventory. Lane-key order.
    pub notes: Vec<Note>,
}

impl LaunchplaneExport {
    /// Every lane profile, `(product, profile)`: those in `products`, then
    /// those left out of it.
    pub fn profiles(&self) -> impl Iterator<Item = (&str, &LaneProfile)> {
        self.products
            .iter()
            .flat_map(|p| p.lanes.iter().map(|l| (p.product.as_str(), l)))
            .chain(self.left_out.iter().map(|(p, l)| (p.as_str(), l)))
    }
}

/// One product (Launchplane's profile key) and its lanes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProductProfile {
    /// The product, e.g. `odoo-tenant-cm`.
    pub product: String,
    /// Its lanes, by instance.
    pub lanes: Vec<LaneProfile>,
}

/// Launchplane's `ProductLaneProfile`: exactly these fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LaneProfile {
    /// The instance (`testing`); non-blank.
    pub instance: String,
    /// The context (`cm`); non-blank.
    pub context: String,
    /// The inventory's `base_url`, or `""`.
    pub base_url: String,
    /// The inventory's `health_url`, or `""`.
    pub health_url: String,
    /// The empty stable bootstrap record.
    pub odoo_stable_bootstrap: StableBootstrap,
    /// The prelaunch rebuild record.
    pub odoo_prelaunch_rebuild: RebuildRecord,
    /// The lane data policy.
    pub odoo_data_policy: DataPolicy,
    /// The monitoring intent.
    pub health_monitoring: HealthMonitoring,
}

/// The six fields of an issue-backed rebuild record
/// (`ProductOdooPrelaunchRebuildPolicy`; the first six of the stable
/// bootstrap's). Strings are trimmed, the phrase lower-cased, the domains
/// normalised as Launchplane stores them. Disabled: [`RebuildRecord::disabled`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RebuildRecord {
    /// Whether the rebuild is allowed.
    pub enabled: bool,
    /// The approval issue's URL; required when enabled.
    pub approval_issue_url: String,
    /// `empty` or `upstream_restore` (`empty` only, for a stable bootstrap).
    pub data_source_mode: DataSource,
    /// The phrase the operator types, trimmed and lower-cased; required when enabled.
    pub confirmation: String,
    /// The lane's `target` (Dokploy target name); required when enabled.
    pub expected_target_name: String,
    /// The lane's `domains`, without scheme or trailing `/`, lower-case, no
    /// repeats; at least one when enabled.
    pub expected_domains: Vec<String>,
}

impl RebuildRecord {
    /// Launchplane's defaults: what a disabled record is.
    pub fn disabled() -> Self {
        RebuildRecord {
            enabled: false,
            approval_issue_url: String::new(),
            data_source_mode: DataSource::Empty,
            confirmation: String::new(),
            expected_target_name: String::new(),
            expected_domains: Vec::new(),
        }
    }
}

/// Launchplane's `ProductOdooStableBootstrapPolicy`: a rebuild record (with
/// `data_source_mode` always `empty`) and three verification flags,
/// exported as Launchplane's defaults (`true`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StableBootstrap {
    /// The six record fields.
    #[serde(flatten)]
    pub record: RebuildRecord,
    /// Verify health after the bootstrap (always `true`).
    pub require_health_verification: bool,
    /// Verify the canonical URL (always `true`).
    pub require_canonical_verification: bool,
    /// Verify the logo (always `true`).
    pub require_logo_verification: bool,
}

impl StableBootstrap {
    fn new(record: RebuildRecord) -> Self {
        StableBootstrap {
            record,
            require_health_verification: true,
            require_canonical_verification: true,
            require_logo_verification: true,
        }
    }
}

/// Launchplane's `ProductOdooLaneDataPolicy`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DataPolicy {
    /// The lane's data authority.
    pub data_authority: DataAuthority,
    /// The rebuild sources allowed: none for `unknown`; `upstream_restore`
    /// only with an `upstream_source`.
    pub allowed_rebuild_sources: Vec<DataSource>,
    /// Where `upstream_restore` restores from, or `""`.
    pub upstream_source: String,
    /// Back up before destroying: the inventory's value (default `true`),
    /// and always `true` on a protected lane.
    pub requires_backup_before_destroy: bool,
    /// Restore proof: the inventory's value (default `true`), and always
    /// `true` for authoritative data.
    pub requires_restore_proof: bool,
    /// Runtime identity: the inventory's value (default `true`).
    pub requires_runtime_identity: bool,
}

/// Launchplane's `ProductLaneHealthMonitoringPolicy`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HealthMonitoring {
    /// `prelaunch` only on a prelaunch lane; the inventory's
    /// `monitoring_intent` otherwise, `public` when it has none.
    pub monitoring_intent: MonitoringIntent,
    /// Launchplane's health checks: its own data, exported empty.
    pub checks: Vec<serde_json::Value>,
}

/// Launchplane's `ProductPrelaunchRebuildPolicyApplyRequest`, as a dry run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApplyRequest {
    /// Always [`APPLY_SCHEMA_VERSION`].
    pub schema_version: u64,
    /// The product.
    pub product: String,
    /// The context.
    pub context: String,
    /// The instance.
    pub instance: String,
    /// The requested record's six fields, as in the exported lane profile.
    #[serde(flatten)]
    pub record: RebuildRecord,
    /// `dry-run` (the operator applies with `apply` and the reviewed plan's hash).
    pub mode: &'static str,
    /// The bundle digest, the rule ids and the issue, and what changes.
    pub reason: String,
    /// Empty for a dry run.
    pub reviewed_plan_sha256: String,
}

/// One note: lanepolicy's side of a lane's record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Note {
    /// `context/instance`.
    pub lane: String,
    /// The product.
    pub product: String,
    /// The object of the lane profile it is about (`odoo_prelaunch_rebuild`, ...).
    pub record: &'static str,
    /// `enabled` or `disabled` (a record), `adjusted` (a value that differs
    /// from the inventory, always towards less), or `left-out` (a lane
    /// profile left out of `products`, since part of it, its health
    /// checks, is Launchplane's own).
    /// whose other part is Launchplane's own, such as health checks).
    pub state: &'static str,
    /// The rules behind it, by id.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    /// The approval issue as written (`#573`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issue: Option<String>,
    /// When an enabled record retires (events, then dates).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub until: Vec<String>,
    /// The guards an enabled record's grant shipped without: `CODE name
    /// (severity)` of each check the configuration lowered that found
    /// something on its rule, and `CODE name (suppressed)` of each check a
    /// comment on the rule suppressed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unguarded: Vec<String>,
    /// What it means, in a sentence.
    pub message: String,
}

/// Launchplane's read model of one environment (`lanes --format launchplane`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Environment {
    /// The product.
    pub product: String,
    /// The context.
    pub context: String,
    /// The instance.
    pub instance: String,
    /// Driver extensions: only `odoo`.
    pub driver_extensions: DriverExtensions,
}

/// `driver_extensions`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DriverExtensions {
    /// Launchplane's `ProductOdooEnvironmentExtension`.
    pub odoo: OdooExtension,
}

/// Launchplane's `ProductOdooEnvironmentExtension`: exactly these nine fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OdooExtension {
    /// The prelaunch rebuild record's `enabled`.
    pub prelaunch_rebuild_allowed: bool,
    /// Its `data_source_mode` when enabled, `""` otherwise.
    pub prelaunch_rebuild_data_source_mode: String,
    /// Its `approval_issue_url`.
    pub prelaunch_rebuild_approval_issue_url: String,
    /// The data policy's authority.
    pub data_authority: String,
    /// The data policy's allowed sources.
    pub allowed_rebuild_sources: Vec<String>,
    /// The data policy's upstream source.
    pub upstream_source: String,
    /// The data policy's flag.
    pub requires_backup_before_destroy: bool,
    /// The data policy's flag.
    pub requires_restore_proof: bool,
    /// The data policy's flag.
    pub requires_runtime_identity: bool,
}

/// Which of the two records an action's grant sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    StableBootstrap,
    PrelaunchRebuild,
}

impl Kind {
    fn key(self) -> &'static str {
        match self {
            Kind::StableBootstrap => STABLE_BOOTSTRAP,
            Kind::PrelaunchRebuild => PRELAUNCH_REBUILD,
        }
    }
}

/// The record an action sets: an action whose operation is
/// `stable_bootstrap` sets the stable bootstrap record; any other action
/// with a data source sets the prelaunch rebuild record; others set none.
fn kind_of(runtime: &Runtime, action: &str) -> Option<Kind> {
    let a = runtime.bundle().actions.get(action)?;
    if a.operation == "stable_bootstrap" {
        Some(Kind::StableBootstrap)
    } else if a.data_source.is_some() {
        Some(Kind::PrelaunchRebuild)
    } else {
        None
    }
}

/// A trimmed string lane field; `None` when absent, blank or not a string.
fn text_field(lane: &Lane, key: &str) -> Option<String> {
    lane.extra
        .get(key)
        .and_then(|v| v.as_str())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A domain as a key of a set of domains: the key of [`domains`] and
/// [`check_record`], which find repeats with a set, not by comparing each
/// domain with every one before it (60,000 domains were 1.8 billion
/// comparisons). Tests count its comparisons.
#[derive(Hash)]
struct DomainKey<'a>(&'a str);

impl PartialEq for DomainKey<'_> {
    fn eq(&self, other: &Self) -> bool {
        #[cfg(test)]
        DOMAIN_COMPARISONS.with(|c| c.set(c.get() + 1));
        self.0 == other.0
    }
}

impl Eq for DomainKey<'_> {}

/// The lane's `domains`, normalised and without repeats (each where it
/// first appears), or why they cannot be exported (the first domain that is
/// not a string or is empty once normalised).
fn domains(lane: &Lane) -> Result<Vec<String>, String> {
    let raw: Vec<&serde_json::Value> = match lane.extra.get("domains") {
        None => Vec::new(),
        Some(serde_json::Value::Array(items)) => items.iter().collect(),
        Some(one) => vec![one],
    };
    let mut all: Vec<String> = Vec::with_capacity(raw.len());
    for v in raw {
        let Some(s) = v.as_str() else {
            return Err(format!("its `domains` has `{v}`, which is not a domain"));
        };
        let d = crate::model::normalize_domain(s);
        if d.is_empty() {
            return Err(format!(
                "its `domains` has `{s}`, which is empty once its scheme and `/` are removed"
            ));
        }
        all.push(d);
    }
    let mut seen: HashSet<DomainKey> = HashSet::with_capacity(all.len());
    let first: Vec<bool> = all.iter().map(|d| seen.insert(DomainKey(d))).collect();
    drop(seen);
    Ok(all
        .into_iter()
        .zip(first)
        .filter_map(|(d, first)| first.then_some(d))
        .collect())
}

/// A `requires_*` flag as the inventory states it, if it is a boolean.
fn stated_flag(lane: &Lane, key: &str) -> Option<bool> {
    lane.extra.get(key).and_then(|v| v.as_bool())
}

/// Collects the notes of one lane.
struct Notes<'a> {
    view: &'a LaneView,
    out: Vec<Note>,
}

impl Notes<'_> {
    fn push(&mut self, record: &'static str, state: &'static str, message: String) -> &mut Note {
        let at = self.out.len();
        self.out.push(Note {
            lane: self.view.lane.clone(),
            product: self.view.product.clone(),
            record,
            state,
            rules: Vec::new(),
            issue: None,
            until: Vec::new(),
            unguarded: Vec::new(),
            message,
        });
        &mut self.out[at]
    }
}

/// The lane data policy: the inventory's, made to satisfy Launchplane's
/// refusal rules by allowing less, never more (each change is noted).
fn data_policy(view: &LaneView, lane: &Lane, notes: &mut Notes) -> DataPolicy {
    let upstream_source = view.upstream_source.clone().unwrap_or_default();
    let mut allowed = lane.allowed_sources.clone();
    if view.data_authority == DataAuthority::Unknown && !allowed.is_empty() {
        allowed.clear();
        notes.push(
            DATA_POLICY,
            "adjusted",
            "no rebuild source is allowed: data_authority `unknown` allows none, whatever `allowed_sources` says".into(),
        );
    }
    if allowed.contains(&DataSource::UpstreamRestore) && upstream_source.is_empty() {
        allowed.retain(|s| *s != DataSource::UpstreamRestore);
        notes.push(
            DATA_POLICY,
            "adjusted",
            "`upstream_restore` is not allowed: the lane has no `upstream_source` to restore from"
                .into(),
        );
    }
    let mut flag = |key: &str, implied: bool, why: &str| {
        let stated = stated_flag(lane, key);
        if stated == Some(false) && implied {
            notes.push(
                DATA_POLICY,
                "adjusted",
                format!("`{key}` is true although the inventory says false: {why}"),
            );
        }
        stated.unwrap_or(true) || implied
    };
    let requires_backup_before_destroy = flag(
        "requires_backup_before_destroy",
        view.protected,
        "the lane is protected",
    );
    let requires_restore_proof = flag(
        "requires_restore_proof",
        view.data_authority == DataAuthority::Authoritative,
        "its data is authoritative",
    );
    let requires_runtime_identity = flag("requires_runtime_identity", false, "");
    DataPolicy {
        data_authority: view.data_authority,
        allowed_rebuild_sources: allowed,
        upstream_source,
        requires_backup_before_destroy,
        requires_restore_proof,
        requires_runtime_identity,
    }
}

/// The monitoring intent: the inventory's, but `prelaunch` only while the
/// lane is prelaunch (after facts); `prelaunch` or `public` when not stated.
fn monitoring(view: &LaneView, lane: &Lane, notes: &mut Notes) -> Result<MonitoringIntent, String> {
    let stated = match lane.extra.get(crate::inventory::MONITORING_INTENT) {
        None => None,
        Some(v) => Some(v.as_str().and_then(MonitoringIntent::parse).ok_or_else(|| {
            format!(
                "lane `{}`: `monitoring_intent` is `{v}`, not one of `public`, `private`, `prelaunch`",
                view.lane
            )
        })?),
    };
    Ok(match (view.phase, stated) {
        (Phase::Live, Some(MonitoringIntent::Prelaunch)) => {
            notes.push(
                HEALTH_MONITORING,
                "adjusted",
                "monitoring intent is `public`, not the inventory's `prelaunch`: the lane is live"
                    .into(),
            );
            MonitoringIntent::Public
        }
        (_, Some(intent)) => intent,
        (Phase::Prelaunch, None) => MonitoringIntent::Prelaunch,
        (Phase::Live, None) => MonitoringIntent::Public,
    })
    .inspect(|intent| {
        if *intent != MonitoringIntent::Prelaunch {
            notes.push(
                HEALTH_MONITORING,
                "left-out",
                format!(
                    "the lane profile is left out of `products`: Launchplane accepts `{}` monitoring only with an enabled {} HTTP health check, and health checks are Launchplane's own data; keep the profile Launchplane has (its records stay as below)",
                    intent.as_str(),
                    intent.as_str()
                ),
            );
        }
    })
}

/// Why one grant cannot be an enabled record, or the record.
fn enabled_record(
    runtime: &Runtime,
    view: &LaneView,
    lane: &Lane,
    kind: Kind,
    grant: &crate::runtime::Grant,
    policy: &DataPolicy,
    intent: MonitoringIntent,
) -> Result<RebuildRecord, String> {
    let key = &view.lane;
    let source = runtime
        .bundle()
        .actions
        .get(&grant.action)
        .and_then(|a| a.data_source);
    let source = match (kind, source) {
        (Kind::StableBootstrap, Some(DataSource::Empty)) => DataSource::Empty,
        (Kind::StableBootstrap, other) => {
            return Err(format!(
                "`{}` is a stable bootstrap from {}, and a stable bootstrap starts empty",
                grant.action,
                other.map_or("no declared data source".to_string(), |s| format!(
                    "`{}`",
                    s.as_str()
                ))
            ));
        }
        (Kind::PrelaunchRebuild, Some(s)) => s,
        (Kind::PrelaunchRebuild, None) => {
            return Err(format!("`{}` declares no data source", grant.action));
        }
    };
    let issue_url = grant
        .issue
        .as_ref()
        .map(|i| i.url.trim().to_string())
        .filter(|u| !u.is_empty())
        .ok_or_else(|| format!("rule {} has no approval issue", grant.rule))?;
    // Launchplane's record has no place for proofs: a grant that needs one
    // (a protected lane, or `requires`) must not be exported as enabled.
    if !grant.requires.is_empty() {
        return Err(format!(
            "`{}` on lane `{key}` needs {} first, which the record cannot carry",
            grant.action,
            grant
                .requires
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(" and ")
        ));
    }
    let confirmation = grant
        .confirm
        .as_deref()
        .map(normalize_phrase)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| format!("rule {} asks for no confirmation phrase", grant.rule))?;
    let target = text_field(lane, "target")
        .ok_or_else(|| format!("lane `{key}` has no `target` in the inventory"))?;
    let domains = domains(lane).map_err(|e| format!("lane `{key}`: {e}"))?;
    if domains.is_empty() {
        return Err(format!("lane `{key}` has no `domains` in the inventory"));
    }
    if !policy.allowed_rebuild_sources.contains(&source) {
        return Err(format!(
            "lane `{key}`'s data policy (data_authority `{}`) does not allow rebuilding from `{}`",
            policy.data_authority.as_str(),
            source.as_str()
        ));
    }
    if source == DataSource::Empty && policy.data_authority != DataAuthority::Resettable {
        return Err(format!(
            "an empty rebuild needs data_authority `resettable`, and lane `{key}`'s is `{}`",
            policy.data_authority.as_str()
        ));
    }
    if intent != MonitoringIntent::Prelaunch {
        return Err(format!(
            "lane `{key}`'s monitoring intent is `{}`, and Launchplane enables a record only under `prelaunch`",
            intent.as_str()
        ));
    }
    Ok(RebuildRecord {
        enabled: true,
        approval_issue_url: issue_url,
        data_source_mode: source,
        confirmation,
        expected_target_name: target,
        expected_domains: domains,
    })
}

fn issue_text(issue: Option<&IssueLink>) -> String {
    match issue {
        Some(i) => format!("issue {} <{}>", i.reference, i.url),
        None => "no approval issue".into(),
    }
}

/// What the bundle says about one record of one lane.
struct RecordOutcome {
    record: RebuildRecord,
    /// Some: an apply request with this reason (prelaunch rebuild only).
    reason: Option<String>,
}

fn record_of(
    runtime: &Runtime,
    view: &LaneView,
    lane: &Lane,
    kind: Kind,
    policy: &DataPolicy,
    intent: MonitoringIntent,
    notes: &mut Notes,
) -> RecordOutcome {
    let digest = &runtime.bundle().digest;
    let mine = |action: &str| kind_of(runtime, action) == Some(kind);
    let grants: Vec<_> = view.grants.iter().filter(|g| mine(&g.action)).collect();
    let retired: Vec<_> = view
        .retired
        .iter()
        .filter(|r| r.effect == Effect::Allow && mine(&r.action))
        .collect();
    let denies: Vec<_> = view.denies.iter().filter(|d| mine(&d.action)).collect();
    let record_key = kind.key();
    let disabled = |why: String, rules: Vec<String>, issue: Option<&IssueLink>| {
        (
            format!(
                "lanepolicy bundle {digest}, {} {}, {}: disable {record_key}: {why}",
                if rules.len() == 1 { "rule" } else { "rules" },
                rules.join(", "),
                issue_text(issue),
            ),
            why,
        )
    };

    if let [g] = grants.as_slice() {
        match enabled_record(runtime, view, lane, kind, g, policy, intent) {
            Ok(record) => {
                let n = notes.push(
                    record_key,
                    "enabled",
                    format!(
                        "`{}` is allowed by rule {} on the authority of {}{}",
                        g.action,
                        g.rule,
                        issue_text(g.issue.as_ref()),
                        if g.until.is_empty() {
                            String::new()
                        } else {
                            format!(", until {}", g.until.join(" or "))
                        }
                    ),
                );
                n.rules = vec![g.rule.clone()];
                n.issue = g.issue.as_ref().map(|i| i.reference.clone());
                n.until = g.until.to_vec();
                n.unguarded = g
                    .lowered
                    .iter()
                    .map(|f| format!("{} {} ({})", f.code, f.name, f.severity))
                    .chain(
                        g.suppressed
                            .iter()
                            .map(|f| format!("{} {} (suppressed)", f.code, f.name)),
                    )
                    .collect();
                let reason = format!(
                    "lanepolicy bundle {digest}, rule {}, {}: allows `{}` on {}{}",
                    g.rule,
                    issue_text(g.issue.as_ref()),
                    g.action,
                    view.lane,
                    if g.until.is_empty() {
                        String::new()
                    } else {
                        format!(" until {}", g.until.join(" or "))
                    }
                );
                return RecordOutcome {
                    record,
                    reason: Some(reason),
                };
            }
            Err(why) => {
                let (reason, why) = disabled(why, vec![g.rule.clone()], g.issue.as_ref());
                let n = notes.push(record_key, "disabled", why);
                n.rules = vec![g.rule.clone()];
                n.issue = g.issue.as_ref().map(|i| i.reference.clone());
                return RecordOutcome {
                    record: RebuildRecord::disabled(),
                    reason: Some(reason),
                };
            }
        }
    }
    if grants.len() > 1 {
        let rules: Vec<String> = grants.iter().map(|g| g.rule.clone()).collect();
        let why = format!(
            "{} grants compete for it ({}), and Launchplane holds one",
            grants.len(),
            grants
                .iter()
                .map(|g| format!("`{}` by rule {}", g.action, g.rule))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let (reason, why) = disabled(why, rules.clone(), grants[0].issue.as_ref());
        let n = notes.push(record_key, "disabled", why);
        n.rules = rules;
        return RecordOutcome {
            record: RebuildRecord::disabled(),
            reason: Some(reason),
        };
    }
    // No active grant: say what closed the record, if a rule names it.
    if let Some(d) = denies.first() {
        let rules: Vec<String> = denies.iter().map(|d| d.rule.clone()).collect();
        let why = format!(
            "`{}` is closed{}",
            d.action,
            d.reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        );
        let (reason, why) = disabled(why, rules.clone(), d.issue.as_ref());
        let n = notes.push(record_key, "disabled", why);
        n.rules = rules;
        n.issue = d.issue.as_ref().map(|i| i.reference.clone());
        return RecordOutcome {
            record: RebuildRecord::disabled(),
            reason: Some(reason),
        };
    }
    if let Some(r) = retired.first() {
        let rules: Vec<String> = retired.iter().map(|r| r.rule.clone()).collect();
        let why = format!("rule {} for `{}` retired: {}", r.rule, r.action, r.why);
        let (reason, why) = disabled(why, rules.clone(), r.issue.as_ref());
        let n = notes.push(record_key, "disabled", why);
        n.rules = rules;
        n.issue = r.issue.as_ref().map(|i| i.reference.clone());
        return RecordOutcome {
            record: RebuildRecord::disabled(),
            reason: Some(reason),
        };
    }
    RecordOutcome {
        record: RebuildRecord::disabled(),
        reason: None,
    }
}

/// The Launchplane export of the runtime's bundle under `facts`.
///
/// Errors (as one message naming the lane): a lane whose
/// `monitoring_intent` in the bundle is not one of Launchplane's values, or
/// an exported object that Launchplane's refusal rules would refuse (a bug:
/// nothing is returned then).
pub fn launchplane(runtime: &Runtime, facts: &Facts) -> Result<LaunchplaneExport, String> {
    let b = runtime.bundle();
    let mut products: Vec<ProductProfile> = b
        .products
        .keys()
        .map(|p| ProductProfile {
            product: p.clone(),
            lanes: Vec::new(),
        })
        .collect();
    let mut apply_requests = Vec::new();
    let mut all_notes = Vec::new();
    let mut left_out = Vec::new();
    for view in runtime.lanes_iter(facts) {
        let lane = &b.lanes[&view.lane];
        let mut notes = Notes {
            view: &view,
            out: Vec::new(),
        };
        let policy = data_policy(&view, lane, &mut notes);
        let intent = monitoring(&view, lane, &mut notes)?;
        let sb = record_of(
            runtime,
            &view,
            lane,
            Kind::StableBootstrap,
            &policy,
            intent,
            &mut notes,
        );
        if let Some(n) = notes
            .out
            .iter_mut()
            .rev()
            .find(|n| n.record == STABLE_BOOTSTRAP && n.state == "disabled")
        {
            n.message.push_str(
                "; Launchplane has no write path for this record: disable it in the product profile",
            );
        }
        let pr = record_of(
            runtime,
            &view,
            lane,
            Kind::PrelaunchRebuild,
            &policy,
            intent,
            &mut notes,
        );
        let profile = LaneProfile {
            instance: view.instance.clone(),
            context: view.context.clone(),
            base_url: text_field(lane, "base_url").unwrap_or_default(),
            health_url: text_field(lane, "health_url").unwrap_or_default(),
            odoo_stable_bootstrap: StableBootstrap::new(sb.record),
            odoo_prelaunch_rebuild: pr.record.clone(),
            odoo_data_policy: policy,
            health_monitoring: HealthMonitoring {
                monitoring_intent: intent,
                checks: Vec::new(),
            },
        };
        check_lane_profile(&profile).map_err(|e| format!("lane `{}`: {e}", view.lane))?;
        if let Some(reason) = pr.reason {
            let request = ApplyRequest {
                schema_version: APPLY_SCHEMA_VERSION,
                product: view.product.clone(),
                context: view.context.clone(),
                instance: view.instance.clone(),
                record: pr.record,
                mode: "dry-run",
                reason,
                reviewed_plan_sha256: String::new(),
            };
            check_apply_request(&request, &profile)
                .map_err(|e| format!("lane `{}`: apply request: {e}", view.lane))?;
            apply_requests.push(request);
        }
        all_notes.extend(notes.out);
        if profile.health_monitoring.monitoring_intent != MonitoringIntent::Prelaunch {
            left_out.push((view.product.clone(), profile));
        } else if let Ok(at) = products.binary_search_by(|p| {
            #[cfg(test)]
            PRODUCT_COMPARISONS.with(|c| c.set(c.get() + 1));
            p.product.as_str().cmp(&view.product)
        }) {
            // `products` is in name order (the bundle's): a binary search,
            // not a scan of every product for every lane.
            products[at].lanes.push(profile);
        }
    }
    for p in &mut products {
        p.lanes.sort_by(|a, b| a.instance.cmp(&b.instance));
    }
    Ok(LaunchplaneExport {
        format: FORMAT,
        version: VERSION,
        bundle: b.digest.clone(),
        as_of: facts.now.to_string(),
        products,
        left_out,
        apply_requests,
        lowered_checks: b.lowered_checks.clone(),
        excluded_policies: b.excluded_policies.clone(),
        notes: all_notes,
    })
}

#[cfg(test)]
thread_local! {
    /// Product-name comparisons made placing lane profiles in `products`.
    static PRODUCT_COMPARISONS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    /// Comparisons of two domains finding repeats (`domains`, `check_record`).
    static DOMAIN_COMPARISONS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Launchplane's read model (`driver_extensions.odoo`) of every lane of an
/// export, computed as Launchplane computes it from the lane profile.
pub fn read_model(export: &LaunchplaneExport) -> Vec<Environment> {
    let mut lanes: Vec<(&str, &LaneProfile)> = export.profiles().collect();
    lanes.sort_by(|a, b| (a.0, &a.1.instance).cmp(&(b.0, &b.1.instance)));
    lanes
        .into_iter()
        .map(|(product, l)| {
            let r = &l.odoo_prelaunch_rebuild;
            let d = &l.odoo_data_policy;
            Environment {
                product: product.to_string(),
                context: l.context.clone(),
                instance: l.instance.clone(),
                driver_extensions: DriverExtensions {
                    odoo: OdooExtension {
                        prelaunch_rebuild_allowed: r.enabled,
                        prelaunch_rebuild_data_source_mode: if r.enabled {
                            r.data_source_mode.as_str().to_string()
                        } else {
                            String::new()
                        },
                        prelaunch_rebuild_approval_issue_url: r.approval_issue_url.clone(),
                        data_authority: d.data_authority.as_str().to_string(),
                        allowed_rebuild_sources: d
                            .allowed_rebuild_sources
                            .iter()
                            .map(|s| s.as_str().to_string())
                            .collect(),
                        upstream_source: d.upstream_source.clone(),
                        requires_backup_before_destroy: d.requires_backup_before_destroy,
                        requires_restore_proof: d.requires_restore_proof,
                        requires_runtime_identity: d.requires_runtime_identity,
                    },
                },
            }
        })
        .collect()
}

/// Launchplane's refusal rules for one rebuild record (`kind` is the
/// record's key, for the wording), plus lanepolicy's own: a disabled
/// record is exactly the defaults, and values are stored normalised.
///
/// Enabled: the issue URL, the phrase, the target name and at least one
/// domain are required. Always: domains non-empty once normalised.
pub fn check_record(kind: &str, r: &RebuildRecord) -> Result<(), String> {
    let mut seen: HashSet<DomainKey> = HashSet::with_capacity(r.expected_domains.len());
    for d in &r.expected_domains {
        if d.is_empty() {
            return Err(format!("{kind}: an expected domain is empty"));
        }
        if crate::model::normalize_domain(d) != *d {
            return Err(format!("{kind}: expected domain `{d}` is not normalised"));
        }
        if !seen.insert(DomainKey(d)) {
            return Err(format!("{kind}: expected domain `{d}` is repeated"));
        }
    }
    if r.confirmation != normalize_phrase(&r.confirmation) {
        return Err(format!(
            "{kind}: the confirmation is not trimmed and lower-case"
        ));
    }
    if r.approval_issue_url.trim() != r.approval_issue_url
        || r.expected_target_name.trim() != r.expected_target_name
    {
        return Err(format!("{kind}: a string field is not trimmed"));
    }
    if r.enabled {
        for (field, value) in [
            ("approval_issue_url", &r.approval_issue_url),
            ("confirmation", &r.confirmation),
            ("expected_target_name", &r.expected_target_name),
        ] {
            if value.is_empty() {
                return Err(format!("enabled {kind} requires {field}"));
            }
        }
        if r.expected_domains.is_empty() {
            return Err(format!("enabled {kind} requires expected_domains"));
        }
    } else if *r != RebuildRecord::disabled() {
        return Err(format!("disabled {kind} is not Launchplane's defaults"));
    }
    Ok(())
}

/// Launchplane's refusal rules for a lane data policy: `unknown` authority
/// with any allowed source; `upstream_restore` allowed without an
/// `upstream_source`; `authoritative` without both backup and restore
/// requirements. Also refused here: a source listed twice.
pub fn check_data_policy(p: &DataPolicy) -> Result<(), String> {
    let sources = &p.allowed_rebuild_sources;
    if sources
        .iter()
        .enumerate()
        .any(|(i, s)| sources[..i].contains(s))
    {
        return Err("a rebuild source is listed twice".into());
    }
    if p.data_authority == DataAuthority::Unknown && !sources.is_empty() {
        return Err("unknown data authority cannot allow rebuild sources".into());
    }
    if sources.contains(&DataSource::UpstreamRestore) && p.upstream_source.trim().is_empty() {
        return Err("a data policy allowing upstream_restore requires upstream_source".into());
    }
    if p.data_authority == DataAuthority::Authoritative
        && !(p.requires_backup_before_destroy && p.requires_restore_proof)
    {
        return Err("authoritative data requires backup before destroy and restore proof".into());
    }
    Ok(())
}

/// Launchplane's refusal rules for a lane profile: non-blank instance and
/// context, each record and the data policy valid, a stable bootstrap only
/// from `empty`, and (as exported) no health checks.
pub fn check_lane_profile(l: &LaneProfile) -> Result<(), String> {
    if l.instance.trim().is_empty() || l.context.trim().is_empty() {
        return Err("a lane profile requires instance and context".into());
    }
    if l.odoo_stable_bootstrap.record.data_source_mode != DataSource::Empty {
        return Err(format!(
            "{STABLE_BOOTSTRAP}: data_source_mode must be `empty`"
        ));
    }
    check_record(STABLE_BOOTSTRAP, &l.odoo_stable_bootstrap.record)?;
    check_record(PRELAUNCH_REBUILD, &l.odoo_prelaunch_rebuild)?;
    check_data_policy(&l.odoo_data_policy)?;
    if !l.health_monitoring.checks.is_empty() {
        return Err("health checks are Launchplane's own and are not exported".into());
    }
    Ok(())
}

/// Launchplane's write-path checks of an apply request against the lane
/// profile it targets: schema version 1; non-blank product, context,
/// instance and reason; a dry run with no plan hash, an apply with 64
/// lowercase hex characters; the record valid; the request addressed to
/// this lane; and, when enabled, the lane's monitoring intent `prelaunch`,
/// the source allowed by its data policy, and `empty` only on resettable
/// data.
pub fn check_apply_request(r: &ApplyRequest, lane: &LaneProfile) -> Result<(), String> {
    if r.schema_version != APPLY_SCHEMA_VERSION {
        return Err(format!("schema_version must be {APPLY_SCHEMA_VERSION}"));
    }
    for (field, value) in [
        ("product", &r.product),
        ("context", &r.context),
        ("instance", &r.instance),
        ("reason", &r.reason),
    ] {
        if value.trim().is_empty() {
            return Err(format!("the request requires {field}"));
        }
    }
    if r.context != lane.context || r.instance != lane.instance {
        return Err("the request names another lane".into());
    }
    match r.mode {
        "dry-run" if !r.reviewed_plan_sha256.is_empty() => {
            return Err("a dry run rejects reviewed_plan_sha256".into());
        }
        "dry-run" => {}
        "apply"
            if r.reviewed_plan_sha256.len() == 64
                && r.reviewed_plan_sha256
                    .bytes()
                    .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)) => {}
        "apply" => {
            return Err("an apply requires a reviewed 64-character plan SHA-256".into());
        }
        other => return Err(format!("mode `{other}` is not `dry-run` or `apply`")),
    }
    check_record(PRELAUNCH_REBUILD, &r.record)?;
    if !r.record.enabled {
        return Ok(());
    }
    if lane.health_monitoring.monitoring_intent != MonitoringIntent::Prelaunch {
        return Err("an enabled prelaunch rebuild requires prelaunch monitoring intent".into());
    }
    let policy = &lane.odoo_data_policy;
    if !policy
        .allowed_rebuild_sources
        .contains(&r.record.data_source_mode)
    {
        return Err("the data source is not allowed by the lane data policy".into());
    }
    if r.record.data_source_mode == DataSource::Empty
        && policy.data_authority != DataAuthority::Resettable
    {
        return Err("an empty prelaunch rebuild requires resettable data authority".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enabled() -> RebuildRecord {
        RebuildRecord {
            enabled: true,
            approval_issue_url: "https://github.com/cbusillo/launchplane/issues/573".into(),
            data_source_mode: DataSource::UpstreamRestore,
            confirmation: "restore opw testing from upstream".into(),
            expected_target_name: "opw-testing".into(),
            expected_domains: vec!["opw-testing.example.com".into()],
        }
    }

    fn lane() -> LaneProfile {
        LaneProfile {
            instance: "testing".into(),
            context: "opw".into(),
            base_url: String::new(),
            health_url: String::new(),
            odoo_stable_bootstrap: StableBootstrap::new(RebuildRecord::disabled()),
            odoo_prelaunch_rebuild: enabled(),
            odoo_data_policy: DataPolicy {
                data_authority: DataAuthority::Restorable,
                allowed_rebuild_sources: vec![DataSource::UpstreamRestore],
                upstream_source: "odoo-tenant-opw/opw/testing-upstream".into(),
                requires_backup_before_destroy: true,
                requires_restore_proof: true,
                requires_runtime_identity: true,
            },
            health_monitoring: HealthMonitoring {
                monitoring_intent: MonitoringIntent::Prelaunch,
                checks: Vec::new(),
            },
        }
    }

    fn request() -> ApplyRequest {
        ApplyRequest {
            schema_version: 1,
            product: "odoo-tenant-opw".into(),
            context: "opw".into(),
            instance: "testing".into(),
            record: enabled(),
            mode: "dry-run",
            reason: "lanepolicy bundle sha256:0: rule r (issue #573)".into(),
            reviewed_plan_sha256: String::new(),
        }
    }

    #[test]
    fn lanes_find_their_product_by_search_not_by_scan() {
        // n products of one lane each, no rules: placing each lane's
        // profile in `products` costs O(log n) comparisons, not O(n).
        let bytes = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/bundles/real.json"
        ))
        .expect("the real bundle");
        let real = crate::bundle::load(&bytes).expect("it loads");
        let (_, lane) = real.lanes.iter().next().expect("a lane");
        let (_, product) = real.products.iter().next().expect("a product");
        let mut b = real.clone();
        b.rules.clear();
        b.lanes.clear();
        b.products.clear();
        let n = 4096;
        for k in 0..n {
            let context = format!("c{k}");
            let mut l = lane.clone();
            l.product = format!("p{k}");
            l.context = context.clone();
            l.extra.remove(crate::inventory::MONITORING_INTENT);
            let mut p = product.clone();
            p.context = context.clone();
            b.lanes.insert(format!("{context}/{}", l.instance), l);
            b.products.insert(format!("p{k}"), p);
        }
        let runtime = Runtime::new(b);
        PRODUCT_COMPARISONS.with(|c| c.set(0));
        let export = launchplane(
            &runtime,
            &Facts::at("2026-12-01T12:00:00Z".parse().unwrap()),
        )
        .expect("it exports");
        let placed: usize = export.products.iter().map(|p| p.lanes.len()).sum();
        assert_eq!(placed + export.left_out.len(), n);
        assert!(placed > 0);
        let comparisons = PRODUCT_COMPARISONS.with(|c| c.get());
        // log2(4096) = 12 per lane at most, with room; a scan is n / 2.
        assert!(
            comparisons <= 14 * n,
            "{comparisons} comparisons for {n} lanes"
        );
    }

    #[test]
    fn an_enabled_record_needs_every_field() {
        assert_eq!(check_record("r", &enabled()), Ok(()));
        type Break = fn(&mut RebuildRecord);
        let cases: [(Break, &str); 4] = [
            (
                |r| r.approval_issue_url.clear(),
                "requires approval_issue_url",
            ),
            (|r| r.confirmation.clear(), "requires confirmation"),
            (
                |r| r.expected_target_name.clear(),
                "requires expected_target_name",
            ),
            (|r| r.expected_domains.clear(), "requires expected_domains"),
        ];
        for (break_it, wanted) in cases {
            let mut r = enabled();
            break_it(&mut r);
            let err = check_record("r", &r).unwrap_err();
            assert!(err.contains(wanted), "{err}");
        }
    }

    /// A lane of the real bundle with `domains` set to `list`.
    fn lane_with_domains(list: serde_json::Value) -> Lane {
        let real = crate::bundle::real_fixture();
        let mut lane = real.lanes.values().next().expect("a lane").clone();
        lane.extra.insert("domains".into(), list);
        lane
    }

    #[test]
    fn domains_keep_the_first_of_repeats_in_order() {
        let lane = lane_with_domains(serde_json::json!([
            "B.example.com",
            "https://a.example.com/",
            "b.example.com",
            "http://B.EXAMPLE.COM//",
            "a.example.com",
            "c.example.com"
        ]));
        assert_eq!(
            domains(&lane),
            Ok(vec![
                "b.example.com".to_string(),
                "a.example.com".into(),
                "c.example.com".into()
            ])
        );
        let one = lane_with_domains(serde_json::json!("HTTPS://One.example.com/"));
        assert_eq!(domains(&one), Ok(vec!["one.example.com".to_string()]));
        // The first bad domain is reported, whatever repeats come before.
        let bad = lane_with_domains(serde_json::json!(["a.com", "a.com", "https://", 7]));
        assert!(domains(&bad).unwrap_err().contains("`https://`"));
    }

    #[test]
    fn repeated_domains_are_found_by_a_set_not_pair_by_pair() {
        // n distinct domains, then each again: a comparison per repeat (and
        // the odd hash collision), not one per pair (n x n / 2).
        let n = 20_000;
        let list: Vec<String> = (0..2 * n)
            .map(|k| format!("d{}.example.com", k % n))
            .collect();
        let lane = lane_with_domains(serde_json::json!(list));
        DOMAIN_COMPARISONS.with(|c| c.set(0));
        let kept = domains(&lane).expect("the domains are valid");
        assert_eq!(kept, list[..n]);
        let comparisons = DOMAIN_COMPARISONS.with(std::cell::Cell::get);
        assert!(
            comparisons <= 2 * n,
            "{comparisons} comparisons for {n} domains"
        );
        // The record check finds no repeat among them in as few.
        let mut r = enabled();
        r.expected_domains = kept;
        DOMAIN_COMPARISONS.with(|c| c.set(0));
        assert_eq!(check_record("r", &r), Ok(()));
        let comparisons = DOMAIN_COMPARISONS.with(std::cell::Cell::get);
        assert!(
            comparisons <= n / 2,
            "{comparisons} comparisons for {n} domains"
        );
        r.expected_domains.push(format!("d{}.example.com", n - 1));
        assert!(check_record("r", &r).unwrap_err().contains("repeated"));
    }

    #[test]
    fn records_are_stored_normalised_and_disabled_ones_are_the_defaults() {
        assert_eq!(check_record("r", &RebuildRecord::disabled()), Ok(()));
        let mut r = enabled();
        r.confirmation = "Restore OPW".into();
        assert!(check_record("r", &r).unwrap_err().contains("lower-case"));
        let mut r = enabled();
        r.expected_domains = vec!["https://opw.example.com/".into()];
        assert!(
            check_record("r", &r)
                .unwrap_err()
                .contains("not normalised")
        );
        let mut r = enabled();
        r.expected_domains = vec!["a.example.com".into(), "a.example.com".into()];
        assert!(check_record("r", &r).unwrap_err().contains("repeated"));
        let mut r = enabled();
        r.expected_domains = vec![String::new()];
        assert!(check_record("r", &r).unwrap_err().contains("empty"));
        let mut r = enabled();
        r.enabled = false;
        assert!(check_record("r", &r).unwrap_err().contains("defaults"));
        assert_eq!(
            crate::model::normalize_domain(" HTTPS://CM.Example.com// "),
            "cm.example.com"
        );
    }

    #[test]
    fn the_data_policy_refusal_rules_hold() {
        assert_eq!(check_data_policy(&lane().odoo_data_policy), Ok(()));
        let mut p = lane().odoo_data_policy;
        p.data_authority = DataAuthority::Unknown;
        assert!(check_data_policy(&p).unwrap_err().contains("unknown"));
        let mut p = lane().odoo_data_policy;
        p.upstream_source = " ".into();
        assert!(
            check_data_policy(&p)
                .unwrap_err()
                .contains("upstream_source")
        );
        for (backup, restore) in [(false, true), (true, false)] {
            let mut p = lane().odoo_data_policy;
            p.data_authority = DataAuthority::Authoritative;
            p.requires_backup_before_destroy = backup;
            p.requires_restore_proof = restore;
            assert!(check_data_policy(&p).unwrap_err().contains("authoritative"));
        }
        let mut p = lane().odoo_data_policy;
        p.allowed_rebuild_sources.push(DataSource::UpstreamRestore);
        assert!(check_data_policy(&p).unwrap_err().contains("twice"));
    }

    #[test]
    fn the_write_path_acceptance_rules_hold() {
        assert_eq!(check_apply_request(&request(), &lane()), Ok(()));
        let mut l = lane();
        l.health_monitoring.monitoring_intent = MonitoringIntent::Public;
        assert!(
            check_apply_request(&request(), &l)
                .unwrap_err()
                .contains("prelaunch")
        );
        let mut l = lane();
        l.odoo_data_policy.allowed_rebuild_sources.clear();
        assert!(
            check_apply_request(&request(), &l)
                .unwrap_err()
                .contains("not allowed")
        );
        let mut r = request();
        r.record.data_source_mode = DataSource::Empty;
        let mut l = lane();
        l.odoo_data_policy.allowed_rebuild_sources = vec![DataSource::Empty];
        assert!(
            check_apply_request(&r, &l)
                .unwrap_err()
                .contains("resettable")
        );
        l.odoo_data_policy.data_authority = DataAuthority::Resettable;
        assert_eq!(check_apply_request(&r, &l), Ok(()));
        // A disabling request is accepted whatever the lane is.
        let mut r = request();
        r.record = RebuildRecord::disabled();
        let mut l = lane();
        l.health_monitoring.monitoring_intent = MonitoringIntent::Public;
        assert_eq!(check_apply_request(&r, &l), Ok(()));
        // The envelope.
        let mut r = request();
        r.reason = "  ".into();
        assert!(
            check_apply_request(&r, &lane())
                .unwrap_err()
                .contains("reason")
        );
        let mut r = request();
        r.reviewed_plan_sha256 = "a".repeat(64);
        assert!(
            check_apply_request(&r, &lane())
                .unwrap_err()
                .contains("dry run")
        );
        r.mode = "apply";
        assert_eq!(check_apply_request(&r, &lane()), Ok(()));
        r.reviewed_plan_sha256 = "A".repeat(64);
        assert!(check_apply_request(&r, &lane()).unwrap_err().contains("64"));
        let mut r = request();
        r.instance = "prod".into();
        assert!(
            check_apply_request(&r, &lane())
                .unwrap_err()
                .contains("another lane")
        );
    }

    #[test]
    fn a_lane_profile_needs_its_names_and_an_empty_bootstrap() {
        assert_eq!(check_lane_profile(&lane()), Ok(()));
        let mut l = lane();
        l.context = " ".into();
        assert!(check_lane_profile(&l).is_err());
        let mut l = lane();
        l.odoo_stable_bootstrap.record.data_source_mode = DataSource::UpstreamRestore;
        assert!(check_lane_profile(&l).unwrap_err().contains("empty"));
    }
}

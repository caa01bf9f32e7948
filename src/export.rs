//! Exports for other systems (`lanepolicy export`).
//!
//! [`launchplane`] gives, for every lane, the two per-lane rebuild policy
//! records that Launchplane's product profile stores today:
//!
//! - `odoo_stable_bootstrap`: an empty stable bootstrap, from a grant of an
//!   action whose operation is `stable_bootstrap` (data source `empty`);
//! - `odoo_prelaunch_rebuild`: a rebuild from `empty` or `upstream_restore`,
//!   from a grant of any other action with a data source.
//!
//! Each record has Launchplane's fields: `enabled`, `approval_issue_url`,
//! `data_source_mode`, `confirmation`, `expected_target_name` (the lane's
//! `target`) and `expected_domains` (the lane's `domains`). Launchplane
//! requires all of them when a record is enabled, so a record is enabled
//! only when an active grant exists and every field can be filled; otherwise
//! it is `enabled: false`, with a note saying why when a grant was there.
//! Launchplane has no retirement field: the `policy` object beside the
//! records says which rule each enabled record comes from and when it
//! retires, so that the export can be refreshed when it does.

use crate::bundle::Lane;
use crate::model::{DataSource, source_allowed};
use crate::runtime::{Facts, Grant, Runtime};
use serde::Serialize;
use std::collections::BTreeMap;

/// The `odoo_stable_bootstrap` record's key.
pub const STABLE_BOOTSTRAP: &str = "odoo_stable_bootstrap";
/// The `odoo_prelaunch_rebuild` record's key.
pub const PRELAUNCH_REBUILD: &str = "odoo_prelaunch_rebuild";

/// One Launchplane rebuild policy record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RebuildRecord {
    /// Whether the rebuild is allowed.
    pub enabled: bool,
    /// The approval issue's URL (null when disabled).
    pub approval_issue_url: Option<String>,
    /// `empty` or `upstream_restore` (null when disabled).
    pub data_source_mode: Option<String>,
    /// The phrase the operator types, compared trimmed and lower-cased
    /// (null when disabled).
    pub confirmation: Option<String>,
    /// The lane's `target`, when the inventory has one.
    pub expected_target_name: Option<String>,
    /// The lane's `domains`.
    pub expected_domains: Vec<String>,
}

/// Where an enabled record comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Authority {
    /// The granted action.
    pub action: String,
    /// The allowing rule's id.
    pub rule: String,
    /// The approval issue, as written.
    pub issue: Option<String>,
    /// When the grant retires (events, then dates).
    pub until: Vec<String>,
    /// Proofs the decision asks for. Always empty in an enabled record: a
    /// grant that needs a proof is exported disabled, since Launchplane's
    /// record cannot carry one. Kept so the shape says what was checked.
    pub requires: Vec<String>,
    /// The guards the grant shipped without (`CODE name (severity)` of each
    /// check the configuration lowered that found something on its rule).
    /// Left out when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unguarded: Vec<String>,
}

/// One lane's export.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LaneRecords {
    /// `context/instance`.
    pub lane: String,
    /// Launchplane's product (profile key).
    pub product: String,
    /// Context.
    pub context: String,
    /// Instance.
    pub instance: String,
    /// The empty stable bootstrap record.
    pub odoo_stable_bootstrap: RebuildRecord,
    /// The prelaunch rebuild record.
    pub odoo_prelaunch_rebuild: RebuildRecord,
    /// For each enabled record, by record key: the grant behind it.
    pub policy: BTreeMap<&'static str, Authority>,
    /// Why a granted record is nonetheless disabled.
    pub notes: Vec<String>,
}

/// The Launchplane export of a bundle (`export launchplane`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LaunchplaneExport {
    /// The bundle's digest.
    pub bundle: String,
    /// Every lane, in lane-key order.
    pub lanes: Vec<LaneRecords>,
    /// The checks the configuration lowered when the bundle was built (the
    /// bundle's `lowered_checks`). Left out when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lowered_checks: Vec<crate::bundle::LoweredCheck>,
}

fn text_field(lane: &Lane, key: &str) -> Option<String> {
    lane.extra
        .get(key)
        .and_then(|v| v.as_str())
        .map(str::to_string)
}

fn domains(lane: &Lane) -> Vec<String> {
    match lane.extra.get("domains") {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(serde_json::Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

/// The Launchplane records for every lane, under `facts` (which grants are
/// active depends on the events that occurred and the date).
pub fn launchplane(runtime: &Runtime, facts: &Facts) -> LaunchplaneExport {
    let b = runtime.bundle();
    let lanes = runtime
        .lanes(facts)
        .into_iter()
        .map(|view| {
            let lane = &b.lanes[&view.lane];
            let disabled = RebuildRecord {
                enabled: false,
                approval_issue_url: None,
                data_source_mode: None,
                confirmation: None,
                expected_target_name: text_field(lane, "target"),
                expected_domains: domains(lane),
            };
            let mut out = LaneRecords {
                lane: view.lane.clone(),
                product: view.product.clone(),
                context: view.context.clone(),
                instance: view.instance.clone(),
                odoo_stable_bootstrap: disabled.clone(),
                odoo_prelaunch_rebuild: disabled,
                policy: BTreeMap::new(),
                notes: Vec::new(),
            };
            // The active grants of each record kind: every one, so that two
            // grants for one record (two rules, or two actions) disable it.
            let mut kinds: BTreeMap<&'static str, Vec<(&Grant, Option<DataSource>)>> =
                BTreeMap::new();
            for g in &view.grants {
                let Some(action) = b.actions.get(&g.action) else {
                    continue;
                };
                // Every stable bootstrap counts for its record, with or
                // without a data source; other actions count as rebuilds
                // when they rebuild from a source.
                let source = action.data_source;
                let kind = if action.operation == "stable_bootstrap" {
                    STABLE_BOOTSTRAP
                } else if source.is_some() {
                    PRELAUNCH_REBUILD
                } else {
                    continue;
                };
                kinds.entry(kind).or_default().push((g, source));
            }
            for (kind, grants) in kinds {
                let record = match record(&view.lane, lane, kind, &grants) {
                    Ok((record, authority)) => {
                        out.policy.insert(kind, authority);
                        record
                    }
                    Err(note) => {
                        out.notes.push(note);
                        continue;
                    }
                };
                if kind == STABLE_BOOTSTRAP {
                    out.odoo_stable_bootstrap = record;
                } else {
                    out.odoo_prelaunch_rebuild = record;
                }
            }
            out
        })
        .collect();
    LaunchplaneExport {
        bundle: b.digest.clone(),
        lanes,
        lowered_checks: b.lowered_checks.clone(),
    }
}

/// The enabled record for one kind, or why it cannot be enabled.
fn record(
    key: &str,
    lane: &Lane,
    kind: &str,
    grants: &[(&Grant, Option<DataSource>)],
) -> Result<(RebuildRecord, Authority), String> {
    let [(g, source)] = grants else {
        let rules: Vec<String> = grants
            .iter()
            .map(|(g, _)| format!("`{}` by rule {}", g.action, g.rule))
            .collect();
        return Err(format!(
            "{kind} is disabled: {} grants compete for it ({}); Launchplane holds one",
            rules.len(),
            rules.join(", ")
        ));
    };
    let missing = |what: &str| Err(format!("{kind} is disabled: {what}"));
    let source = match (kind, *source) {
        (STABLE_BOOTSTRAP, Some(DataSource::Empty)) => DataSource::Empty,
        (STABLE_BOOTSTRAP, other) => {
            return missing(&format!(
                "`{}` is a stable bootstrap from {}, and a stable bootstrap starts empty",
                g.action,
                other.map_or("no declared data source".to_string(), |s| format!(
                    "`{}`",
                    s.as_str()
                ))
            ));
        }
        (_, Some(s)) => s,
        (_, None) => return missing(&format!("`{}` declares no data source", g.action)),
    };
    let Some(issue) = &g.issue else {
        return missing(&format!("rule {} has no approval issue", g.rule));
    };
    // Launchplane's record has no place for proofs: a grant that needs one
    // (a protected lane, or `requires`) must not be exported as enabled.
    if !g.requires.is_empty() {
        return missing(&format!(
            "`{}` on lane `{key}` needs {} first, which the record cannot carry",
            g.action,
            g.requires
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(" and ")
        ));
    }
    let Some(confirmation) = g.confirm.clone() else {
        return missing(&format!("rule {} asks for no confirmation phrase", g.rule));
    };
    let Some(target) = text_field(lane, "target") else {
        return missing(&format!("lane `{key}` has no `target` in the inventory"));
    };
    let domains = domains(lane);
    if domains.is_empty() {
        return missing(&format!("lane `{key}` has no `domains` in the inventory"));
    }
    if !source_allowed(lane.data_authority, &lane.allowed_sources, source) {
        return missing(&format!(
            "lane `{key}` (data_authority `{}`) does not allow rebuilding from `{}`",
            lane.data_authority.as_str(),
            source.as_str()
        ));
    }
    if source == DataSource::UpstreamRestore && text_field(lane, "upstream_source").is_none() {
        return missing(&format!(
            "lane `{key}` has no `upstream_source` to restore from"
        ));
    }
    Ok((
        RebuildRecord {
            enabled: true,
            approval_issue_url: Some(issue.url.clone()),
            data_source_mode: Some(source.as_str().to_string()),
            confirmation: Some(confirmation),
            expected_target_name: Some(target),
            expected_domains: domains,
        },
        Authority {
            action: g.action.clone(),
            rule: g.rule.clone(),
            issue: Some(issue.reference.clone()),
            until: g.until.clone(),
            requires: g.requires.clone(),
            unguarded: g
                .lowered
                .iter()
                .map(|f| format!("{} {} ({})", f.code, f.name, f.severity))
                .collect(),
        },
    ))
}

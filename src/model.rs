//! The shared vocabulary of lanes, in Launchplane's own terms. Used by the
//! inventory, the bundle and the runtime alike (the runtime depends on this
//! module and on [`crate::bundle`] only).

use serde::{Deserialize, Serialize};

/// Where a lane is in its life. Launchplane: the lane's monitoring intent
/// `prelaunch`; `live` once it serves real traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Not launched yet: may be rebuilt when a policy allows it.
    Prelaunch,
    /// Serving for real.
    Live,
}

impl Phase {
    /// All values, in the order the docs list them.
    pub const ALL: [&'static str; 2] = ["prelaunch", "live"];

    /// Parses `prelaunch` or `live`.
    pub fn parse(s: &str) -> Option<Phase> {
        match s {
            "prelaunch" => Some(Phase::Prelaunch),
            "live" => Some(Phase::Live),
            _ => None,
        }
    }

    /// The written form.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Prelaunch => "prelaunch",
            Phase::Live => "live",
        }
    }
}

/// Launchplane's per-lane `data_authority`: how much the lane's data matters.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum DataAuthority {
    /// Nothing may be rebuilt: the fail-closed default.
    #[default]
    Unknown,
    /// May be wiped and rebuilt from nothing.
    Resettable,
    /// May be restored from a named source.
    Restorable,
    /// The real data: backup before destroy and restore proof required.
    Authoritative,
}

impl DataAuthority {
    /// All values, as written.
    pub const ALL: [&'static str; 4] = ["unknown", "resettable", "restorable", "authoritative"];

    /// Parses one of [`DataAuthority::ALL`].
    pub fn parse(s: &str) -> Option<DataAuthority> {
        match s {
            "unknown" => Some(DataAuthority::Unknown),
            "resettable" => Some(DataAuthority::Resettable),
            "restorable" => Some(DataAuthority::Restorable),
            "authoritative" => Some(DataAuthority::Authoritative),
            _ => None,
        }
    }

    /// The written form.
    pub fn as_str(self) -> &'static str {
        match self {
            DataAuthority::Unknown => "unknown",
            DataAuthority::Resettable => "resettable",
            DataAuthority::Restorable => "restorable",
            DataAuthority::Authoritative => "authoritative",
        }
    }
}

/// A rebuild data source (Launchplane's `data_source_mode`, less `existing`,
/// which is no rebuild).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataSource {
    /// An empty database.
    Empty,
    /// A restore from the lane's upstream (non-Docker) source.
    UpstreamRestore,
}

impl DataSource {
    /// All values, as written.
    pub const ALL: [&'static str; 2] = ["empty", "upstream_restore"];

    /// Parses one of [`DataSource::ALL`].
    pub fn parse(s: &str) -> Option<DataSource> {
        match s {
            "empty" => Some(DataSource::Empty),
            "upstream_restore" => Some(DataSource::UpstreamRestore),
            _ => None,
        }
    }

    /// The written form.
    pub fn as_str(self) -> &'static str {
        match self {
            DataSource::Empty => "empty",
            DataSource::UpstreamRestore => "upstream_restore",
        }
    }
}

/// Whether a product event (`launch`, `cutover`) has happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventState {
    /// Not yet.
    Pending,
    /// It has happened: rules that retire at it are retired.
    Occurred,
}

impl EventState {
    /// All values, as written.
    pub const ALL: [&'static str; 2] = ["pending", "occurred"];
}

/// The proofs a rule may require, and the runtime may ask for.
/// Launchplane: a backup-gate record before a destructive action on real
/// production, and a restore verification record for authoritative data.
pub const PROOFS: [&str; 2] = ["backup_proof", "restore_proof"];

/// True for a **protected lane**: `production: true` and `phase: live`, or
/// `data_authority: authoritative` (language spec, "The inventory").
pub fn is_protected(production: bool, phase: Phase, authority: DataAuthority) -> bool {
    (production && phase == Phase::Live) || authority == DataAuthority::Authoritative
}

/// The rebuild sources a lane's data policy allows: `allowed_sources`, or
/// none at all when `data_authority` is `unknown` (Launchplane's fail-closed
/// default).
pub fn source_allowed(
    authority: DataAuthority,
    allowed: &[DataSource],
    source: DataSource,
) -> bool {
    authority != DataAuthority::Unknown && allowed.contains(&source)
}

/// The proofs that a destructive action on a lane needs whatever the rule
/// says: `backup_proof` on a protected lane, and also `restore_proof` when
/// its data is authoritative (Launchplane: authoritative lanes require backup
/// before destroy and restore proof).
pub fn implied_proofs(
    destructive: bool,
    production: bool,
    phase: Phase,
    authority: DataAuthority,
) -> Vec<&'static str> {
    let mut out = Vec::new();
    if destructive && is_protected(production, phase, authority) {
        out.push("backup_proof");
        if authority == DataAuthority::Authoritative {
            out.push("restore_proof");
        }
    }
    out
}

/// `allow` or `deny`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Opens actions on lanes.
    Allow,
    /// Closes them; always wins over allow.
    Deny,
}

impl Effect {
    /// The keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "allow",
            Effect::Deny => "deny",
        }
    }
}

/// A confirmation phrase in the form it is compared in. Phrase comparison
/// follows Launchplane: trimmed, lower-cased.
pub fn normalize_phrase(s: &str) -> String {
    s.trim().to_lowercase()
}
/// The first date an `until` may name: 2000-01-01.
pub const FIRST_DATE: jiff::civil::Date = jiff::civil::date(2000, 1, 1);

/// The last date an `until` may name: 9998-12-31. A date retires at the end
/// of its day (UTC), and the runtime computes instants from it (the end of
/// the day, a day or more later for `expires-soon` and the read model);
/// jiff represents instants only up to the end of year 9999, so a date in
/// 9999 could be written and compiled, then leave `decide` unable to
/// answer. Keeping a whole year of headroom makes every instant the runtime
/// derives from a date representable.
pub const LAST_DATE: jiff::civil::Date = jiff::civil::date(9998, 12, 31);

/// True when `date` lies in [`FIRST_DATE`]..=[`LAST_DATE`], the dates the
/// compiler accepts and a bundle may hold.
pub fn date_in_window(date: jiff::civil::Date) -> bool {
    (FIRST_DATE..=LAST_DATE).contains(&date)
}

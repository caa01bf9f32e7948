//! Which actions can never be declared `destructive: false`.
//!
//! `destructive` decides whether a protected lane needs backup and restore
//! proof, so a wrong `false` opens a production lane to a wipe with no
//! proof. The inventory therefore refuses `destructive: false` (E201, at
//! the `destructive` key) for an action that rebuilds, restores, replaces
//! or imports data:
//!
//! - any action with a `data_source` (a rebuild from `empty` or
//!   `upstream_restore` replaces the lane's data by definition);
//! - Launchplane's destructive operation kinds ([`DESTRUCTIVE_OPERATIONS`]:
//!   `stable_bootstrap`, `target_replacement`, `prod_backup_restore`,
//!   `retained_volume_backup_import`; source: Launchplane's operation kinds
//!   on stable lanes);
//! - an operation kind this list does not know whose name says it rebuilds
//!   data: one of its words (split at `_`, `-` and `.`) is in
//!   [`DESTRUCTIVE_WORDS`] (`restore`, `rebuild`, `reset`, `wipe`, ...).
//!
//! Any other operation kind may be declared `destructive: false`: the
//! known non-destructive kinds ([`NON_DESTRUCTIVE_OPERATIONS`], `deploy`)
//! and an unknown kind without a data source whose name says nothing of
//! data. `destructive` has no default (a missing key is an error), so an
//! unknown kind is destructive unless the inventory states otherwise, and
//! it can only state otherwise within these limits.

use crate::model::DataSource;

/// Launchplane's operation kinds that rebuild, replace, restore or import a
/// lane's data (source: Launchplane's stable-lane operation kinds).
pub const DESTRUCTIVE_OPERATIONS: [&str; 4] = [
    "stable_bootstrap",
    "target_replacement",
    "prod_backup_restore",
    "retained_volume_backup_import",
];

/// Operation kinds known not to touch a lane's data.
pub const NON_DESTRUCTIVE_OPERATIONS: [&str; 1] = ["deploy"];

/// Words that, in an operation kind this module does not know, say that it
/// rebuilds or destroys data.
pub const DESTRUCTIVE_WORDS: [&str; 22] = [
    "bootstrap",
    "clean",
    "clear",
    "delete",
    "destroy",
    "drop",
    "erase",
    "import",
    "migrate",
    "purge",
    "rebuild",
    "recreate",
    "reimage",
    "reinstall",
    "reload",
    "replace",
    "replacement",
    "reset",
    "restore",
    "seed",
    "truncate",
    "wipe",
];

/// Why an action with this operation kind and data source must be
/// destructive, as the end of a sentence ("it has a data source"), or
/// `None` when `destructive: false` may stand.
pub fn must_be_destructive(operation: &str, data_source: Option<DataSource>) -> Option<String> {
    if let Some(ds) = data_source {
        return Some(format!(
            "it rebuilds the lane from data source `{}`",
            ds.as_str()
        ));
    }
    if DESTRUCTIVE_OPERATIONS.contains(&operation) {
        return Some(format!(
            "`{operation}` is one of Launchplane's operations that replace a lane's data"
        ));
    }
    if NON_DESTRUCTIVE_OPERATIONS.contains(&operation) {
        return None;
    }
    let lower = operation.to_lowercase();
    lower
        .split(['_', '-', '.', ' '])
        .find(|w| DESTRUCTIVE_WORDS.contains(w))
        .map(|w| format!("the operation `{operation}` says it does (`{w}`)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_sources_and_launchplane_kinds_are_destructive() {
        for op in DESTRUCTIVE_OPERATIONS {
            assert!(must_be_destructive(op, None).is_some(), "{op}");
        }
        for ds in [DataSource::Empty, DataSource::UpstreamRestore] {
            assert!(must_be_destructive("deploy", Some(ds)).is_some());
            assert!(must_be_destructive("anything", Some(ds)).is_some());
        }
        for op in ["database_restore", "quick-reset", "Wipe", "volume.import"] {
            assert!(must_be_destructive(op, None).is_some(), "{op}");
        }
    }

    #[test]
    fn deploy_and_plain_unknown_kinds_may_be_non_destructive() {
        assert_eq!(must_be_destructive("deploy", None), None);
        assert_eq!(must_be_destructive("restart", None), None);
        assert_eq!(must_be_destructive("scale_up", None), None);
    }
}

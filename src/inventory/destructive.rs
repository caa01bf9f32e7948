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
//!   data, or an action whose own name says so: the name's letters and
//!   digits, lower-cased and read as one word (so `databaseRestore`,
//!   `re-store`, `restore:db` and `dbwipe` all read `restore` or `wipe`),
//!   hold one of [`DESTRUCTIVE_WORDS`] (`restore`, `rebuild`, `reset`,
//!   `wipe`, `rollback`, `overwrite`, `clone`, `refresh`, ...). A name
//!   that holds such a word by chance (`preset`) must then be declared
//!   destructive: the check errs towards proofs.
//!
//! Any other operation kind may be declared `destructive: false`: the
//! known non-destructive kinds ([`NON_DESTRUCTIVE_OPERATIONS`], `deploy`)
//! and an unknown kind without a data source whose name says nothing of
//! data, on an action whose name says nothing of data either. `destructive` has no default (a missing key is an error), so an
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
pub const DESTRUCTIVE_WORDS: [&str; 29] = [
    "bootstrap",
    "clean",
    "clear",
    "clone",
    "delete",
    "destroy",
    "drop",
    "erase",
    "import",
    "migrate",
    "overwrite",
    "purge",
    "rebuild",
    "recover",
    "recreate",
    "refresh",
    "reimage",
    "reinstall",
    "reload",
    "replace",
    "replacement",
    "reset",
    "restore",
    "revert",
    "rewind",
    "rollback",
    "seed",
    "truncate",
    "wipe",
];

/// Why action `name`, with this operation kind and data source, must be
/// destructive, as the end of a sentence ("it rebuilds the lane from data
/// source `empty`"), or `None` when `destructive: false` may stand.
pub fn must_be_destructive(
    name: &str,
    operation: &str,
    data_source: Option<DataSource>,
) -> Option<String> {
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
    if !NON_DESTRUCTIVE_OPERATIONS.contains(&operation)
        && let Some(w) = destructive_word(operation)
    {
        return Some(format!("the operation `{operation}` says it does (`{w}`)"));
    }
    destructive_word(name).map(|w| format!("its name `{name}` says it does (`{w}`)"))
}

/// The Launchplane operation kind that `operation` reads as without
/// being it (`Stable_Bootstrap`, ` stable_bootstrap `, `stablebootstrap`,
/// look-alike letters: [`crate::model::reads_as`]), or `None`. Such a kind
/// is refused, in the inventory and in a bundle: read as an unknown kind,
/// it would skip what the kind it means is checked for (its data source).
pub fn launchplane_kind_misspelled(operation: &str) -> Option<&'static str> {
    static KINDS: std::sync::LazyLock<crate::model::KnownNames<'static>> =
        std::sync::LazyLock::new(|| {
            let mut kinds = DESTRUCTIVE_OPERATIONS.to_vec();
            kinds.extend(NON_DESTRUCTIVE_OPERATIONS);
            crate::model::KnownNames::new(&kinds)
        });
    KINDS.read_as(operation)
}

/// Launchplane's operation kinds that rebuild a lane from a data source,
/// with the sources each may start from (source: Launchplane's
/// `odoo_stable_bootstrap` record, whose `data_source_mode` is only
/// `empty`, and `odoo_prelaunch_rebuild`, `empty` or `upstream_restore`).
pub const REBUILD_OPERATIONS: [(&str, &[DataSource]); 2] = [
    ("stable_bootstrap", &[DataSource::Empty]),
    (
        "target_replacement",
        &[DataSource::Empty, DataSource::UpstreamRestore],
    ),
];

/// What is wrong with the data source of action `name`, whose operation
/// is one of [`REBUILD_OPERATIONS`], as (message, help); `None` for any
/// other operation, or a source the operation may start from.
///
/// The runtime checks a rebuild's source against the lane's data policy
/// (`data_authority: unknown` allows none) only when the action names one:
/// a `stable_bootstrap` without `data_source` wiped a lane whose policy
/// allows no rebuild at all.
pub fn rebuild_source_problem(
    name: &str,
    operation: &str,
    data_source: Option<DataSource>,
) -> Option<(String, String)> {
    let (_, allowed) = REBUILD_OPERATIONS.iter().find(|(op, _)| *op == operation)?;
    let choices = allowed
        .iter()
        .map(|d| format!("`data_source: {}`", d.as_str()))
        .collect::<Vec<_>>()
        .join(" or ");
    match data_source {
        None => Some((
            format!("action `{name}` runs `{operation}`, a rebuild, but does not say what data it starts from"),
            format!("write {choices}: each lane's data policy (`data_authority`, `allowed_sources`) is checked against the source, and an action without one would skip it"),
        )),
        Some(ds) if !allowed.contains(&ds) => Some((
            format!("action `{name}` runs `{operation}`, which does not start from `{}`", ds.as_str()),
            format!("Launchplane's `{operation}` starts from {}; write {choices}, or use the operation that restores from upstream (`target_replacement`)", allowed.iter().map(|d| format!("`{}`", d.as_str())).collect::<Vec<_>>().join(" or ")),
        )),
        Some(_) => None,
    }
}

/// The first of [`DESTRUCTIVE_WORDS`] in `s` read as one lower-case word
/// (every character that is not a letter or digit left out).
fn destructive_word(s: &str) -> Option<&'static str> {
    let letters: String = s
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    DESTRUCTIVE_WORDS
        .iter()
        .find(|w| letters.contains(*w))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_sources_and_launchplane_kinds_are_destructive() {
        for op in DESTRUCTIVE_OPERATIONS {
            assert!(must_be_destructive("a", op, None).is_some(), "{op}");
        }
        for ds in [DataSource::Empty, DataSource::UpstreamRestore] {
            assert!(must_be_destructive("a", "deploy", Some(ds)).is_some());
            assert!(must_be_destructive("a", "anything", Some(ds)).is_some());
        }
        for op in [
            "database_restore",
            "quick-reset",
            "Wipe",
            "volume.import",
            "databaseRestore",
            "restores",
            "dbwipe",
            "restore:db",
            "restore/db",
            "re-store",
            "rollback",
            "overwrite",
            "clone_prod",
            "refresh_from_prod",
        ] {
            assert!(must_be_destructive("a", op, None).is_some(), "{op}");
        }
        // The action's own name counts, whatever its operation.
        for name in ["db_reset", "nightlyWipe", "restore-db"] {
            let why = must_be_destructive(name, "deploy", None);
            assert!(
                why.as_deref().is_some_and(|w| w.starts_with("its name")),
                "{name}: {why:?}"
            );
        }
    }

    #[test]
    fn deploy_and_plain_unknown_kinds_may_be_non_destructive() {
        assert_eq!(must_be_destructive("deploy", "deploy", None), None);
        assert_eq!(must_be_destructive("restart", "restart", None), None);
        assert_eq!(must_be_destructive("scale_up", "scale_up", None), None);
    }
}

//! THE table of checks. Start here: every check lanepolicy has is one line
//! below, with its code, name, default severity and the file that
//! implements and documents it. That file's `//!` comment is the check's
//! documentation, the single source of `lanepolicy rule CODE` and of
//! `docs/rules/`. The lints among them (L-codes that run over the resolved
//! program) are dispatched by `crate::lint::registry`; the others are
//! reported where they are found (parser, loaders, name resolution).
//!
//! This module is at the bottom of the tree: the diagnostics, the parser,
//! the loaders, the checker and the linter all name checks through it, and
//! it imports nothing of theirs.
//!
//! `grep -r L003` finds this line, the rule's file, its tests and its docs.

use serde::Serialize;

/// How serious a finding is. Errors fail `check` and stop `build`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Shown, fails only with `--deny-warnings`.
    Warning,
    /// Fails `check`; `build` writes nothing.
    Error,
}

impl Severity {
    /// `"error"` or `"warning"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One check.
#[derive(Debug)]
pub struct Check {
    /// Stable code, e.g. `L003`.
    pub code: &'static str,
    /// Stable kebab-case name, e.g. `production-lane`.
    pub name: &'static str,
    /// Severity unless configured otherwise.
    pub default_severity: Severity,
    /// The source file of the check, whose `//!` comment is its
    /// documentation (first line `CODE name: summary`, then the sections
    /// What it does / Why is this bad? / Example / Use instead).
    source: &'static str,
}

impl Check {
    /// True for E-codes: errors that configuration cannot turn off or down.
    pub fn is_error_code(&self) -> bool {
        self.code.starts_with('E')
    }

    /// The check's documentation: its source file's `//!` lines, as Markdown.
    pub fn doc(&self) -> String {
        let mut out = String::new();
        for line in self.source.lines() {
            let Some(rest) = line.strip_prefix("//!") else {
                if out.is_empty() {
                    continue;
                }
                break;
            };
            out.push_str(rest.strip_prefix(' ').unwrap_or(rest));
            out.push('\n');
        }
        out
    }

    /// One line: when the check fires (from the first line of its doc).
    pub fn summary(&self) -> String {
        let doc = self.doc();
        let first = doc.lines().next().unwrap_or_default();
        first
            .split_once(": ")
            .map_or(first, |(_, s)| s)
            .trim_end_matches('.')
            .to_string()
    }
}

macro_rules! checks {
    ($( $code:ident $name:literal $sev:ident $source:literal; )*) => {
        /// Every check's code. The discriminant is the check's index in [`CHECKS`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $( #[doc = concat!("`", $name, "`")] $code, )* }

        /// Every code, in registry order.
        const ALL_CODES: &[Code] = &[ $( Code::$code, )* ];

        /// The registry: every check, in code order.
        pub static CHECKS: &[Check] = &[
            $( Check {
                code: stringify!($code),
                name: $name,
                default_severity: Severity::$sev,
                source: include_str!($source),
            }, )*
        ];
    };
}

checks! {
    E001 "syntax-error"                Error   "syntax/syntax_error.rs";
    E002 "invalid-suppression"         Error   "lint/rules/invalid_suppression.rs";
    E101 "unknown-action"              Error   "sema/unknown_action.rs";
    E102 "unknown-lane"                Error   "sema/unknown_lane.rs";
    E103 "unknown-event"               Error   "sema/unknown_event.rs";
    E104 "unknown-placeholder"         Error   "sema/unknown_placeholder.rs";
    E105 "duplicate-clause"            Error   "sema/duplicate_clause.rs";
    E106 "unknown-proof"               Error   "sema/unknown_proof.rs";
    E107 "unresolved-issue"            Error   "sema/unresolved_issue.rs";
    E108 "empty-confirmation"          Error   "sema/empty_confirmation.rs";
    E109 "long-confirmation"           Error   "sema/long_confirmation.rs";
    E110 "too-many-grants"             Error   "sema/too_many_grants.rs";
    E201 "invalid-inventory"           Error   "inventory/invalid_inventory.rs";
    E202 "invalid-config"              Error   "config/invalid_config.rs";
    E203 "invalid-test-file"           Error   "policy_tests/invalid_test_file.rs";
    L001 "missing-issue"               Error   "lint/rules/missing_issue.rs";
    L002 "no-retirement"               Error   "lint/rules/no_retirement.rs";
    L003 "production-lane"             Error   "lint/rules/production_lane.rs";
    L004 "missing-confirmation"        Error   "lint/rules/missing_confirmation.rs";
    L005 "source-not-allowed"          Error   "lint/rules/source_not_allowed.rs";
    L006 "name-suggests-production"    Warning "lint/rules/name_suggests_production.rs";
    L007 "pattern-matches-nothing"     Warning "lint/rules/pattern_matches_nothing.rs";
    L008 "retired-rule"                Warning "lint/rules/retired_rule.rs";
    L009 "expires-soon"                Warning "lint/rules/expires_soon.rs";
    L010 "duplicate-rule"              Warning "lint/rules/duplicate_rule.rs";
    L011 "shadowed-by-deny"            Warning "lint/rules/shadowed_by_deny.rs";
    L012 "wildcard-touches-production" Warning "lint/rules/wildcard_touches_production.rs";
    L013 "shared-confirmation"         Warning "lint/rules/shared_confirmation.rs";
    L014 "unused-suppression"          Warning "lint/rules/unused_suppression.rs";
    L015 "issue-closed"                Warning "lint/rules/issue_closed.rs";
    L016 "duplicate-entry"             Error   "lint/rules/duplicate_entry.rs";
    L017 "competing-grants"            Error   "lint/rules/competing_grants.rs";
    L018 "no-policies"                 Warning "lint/rules/no_policies.rs";
    L019 "excluded-deny"               Error   "lint/rules/excluded_deny.rs";
    L020 "deny-matches-nothing"        Error   "lint/rules/deny_matches_nothing.rs";
    L021 "clause-has-no-effect"        Warning "lint/rules/clause_has_no_effect.rs";
}

impl Code {
    /// The registry entry.
    pub fn check(self) -> &'static Check {
        &CHECKS[self as usize]
    }

    /// The code of the check at `index` in [`CHECKS`].
    pub fn from_index(index: usize) -> Option<Code> {
        ALL_CODES.get(index).copied()
    }
}

/// Finds a check by code (`L003`, any case) or name (`production-lane`).
pub fn lookup(code_or_name: &str) -> Option<&'static Check> {
    CHECKS
        .iter()
        .find(|c| c.code.eq_ignore_ascii_case(code_or_name) || c.name == code_or_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_well_formed() {
        for (i, a) in CHECKS.iter().enumerate() {
            assert_eq!(a.code.len(), 4, "{}", a.code);
            assert!(a.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'));
            let doc = a.doc();
            assert!(
                doc.starts_with(&format!("{} {}: ", a.code, a.name)),
                "{}: doc starts with its code and name",
                a.code
            );
            for section in [
                "## What it does",
                "## Why is this bad?",
                "## Example",
                "## Use instead",
            ] {
                assert!(doc.contains(section), "{}: doc has `{section}`", a.code);
            }
            for b in &CHECKS[i + 1..] {
                assert!(
                    a.code < b.code,
                    "registry is in code order: {} {}",
                    a.code,
                    b.code
                );
                assert_ne!(a.name, b.name);
            }
        }
        assert_eq!(Code::L003.check().name, "production-lane");
        for (i, c) in CHECKS.iter().enumerate() {
            assert_eq!(Code::from_index(i).map(|c| c.check().code), Some(c.code));
        }
        assert_eq!(lookup("production-lane").map(|c| c.code), Some("L003"));
        assert_eq!(lookup("l001").map(|c| c.name), Some("missing-issue"));
    }
}

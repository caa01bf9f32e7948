//! THE table of checks. Start here: every check lanepolicy has is one line
//! below, with its code, name, default severity, a one-line summary and the
//! function that runs it (errors found while parsing, loading the inventory
//! or resolving names have none: they are reported where they are found).
//!
//! `grep -r L003` finds this line, the rule's file, its tests and its docs.

use super::LintContext;
use super::rules;
use crate::diagnostic::{Diagnostic, Severity};

/// A lint function: reads the context, pushes its findings.
pub type LintFn = fn(&LintContext, &mut Vec<Diagnostic>);

/// One check.
#[derive(Debug)]
pub struct Check {
    /// Stable code, e.g. `L003`.
    pub code: &'static str,
    /// Stable kebab-case name, e.g. `production-lane`.
    pub name: &'static str,
    /// Severity unless configured otherwise.
    pub default_severity: Severity,
    /// One line: when it fires.
    pub summary: &'static str,
    /// The lint's function; `None` for errors reported by the parser,
    /// inventory loader or name resolution.
    pub run: Option<LintFn>,
}

macro_rules! checks {
    ($( $code:ident $name:literal $sev:ident $run:expr, $summary:literal; )*) => {
        /// Every check's code. The discriminant is the check's index in [`CHECKS`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $( #[doc = $summary] $code, )* }

        /// The registry: every check, in code order.
        pub static CHECKS: &[Check] = &[
            $( Check {
                code: stringify!($code),
                name: $name,
                default_severity: Severity::$sev,
                summary: $summary,
                run: $run,
            }, )*
        ];
    };
}

checks! {
    E001 "syntax-error"          Error   None, "the text is not in the grammar";
    E101 "unknown-action"        Error   None, "an action is not declared in the inventory";
    E102 "unknown-lane"          Error   None, "a pattern without `*` names a lane the inventory lacks";
    E103 "unknown-event"         Error   None, "an `until` event is not an event of the product of every lane the rule matches";
    E104 "unknown-placeholder"   Error   None, "a `confirm` template uses a placeholder other than {product}, {context}, {instance}, {lane}";
    E105 "duplicate-clause"      Error   None, "a clause appears twice in one rule";
    E106 "unknown-proof"         Error   None, "`requires` names a proof other than `backup_proof` and `restore_proof`";
    E107 "unresolved-issue"      Error   None, "`issue=#N` is used but the inventory has no `issues:` base URL";
    E201 "invalid-inventory"     Error   None, "lanes.yaml is not valid YAML or breaks its schema";
    L001 "missing-issue"         Error   Some(rules::missing_issue::run), "an `allow` has no `issue=`";
    L002 "no-retirement"         Error   Some(rules::no_retirement::run), "an `allow` has no `until`";
    L003 "production-lane"       Error   Some(rules::production_lane::run), "an `allow` of a destructive action matches a production lane without backup proof or a prelaunch event retirement";
    L004 "missing-confirmation"  Error   Some(rules::missing_confirmation::run), "an `allow` of a destructive action has no `confirm=`";
    L005 "source-not-allowed"    Error   Some(rules::source_not_allowed::run), "an action's data source is not allowed by a matched lane's data policy";
    L006 "name-suggests-production" Warning Some(rules::name_suggests_production::run), "a lane named like production is declared `production: false`";
}

impl Code {
    /// The registry entry.
    pub fn check(self) -> &'static Check {
        &CHECKS[self as usize]
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
            assert_eq!(
                a.run.is_some(),
                a.code.starts_with('L'),
                "{}: lints run, errors do not",
                a.code
            );
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
        assert_eq!(lookup("production-lane").map(|c| c.code), Some("L003"));
        assert_eq!(lookup("l001").map(|c| c.name), Some("missing-issue"));
    }
}

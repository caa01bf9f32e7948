//! Lint dispatch: the function that runs each lint. The checks themselves
//! (codes, names, severities, documentation) are [`crate::checks`]; only
//! lints, L-codes that run over the resolved program, have a line here.

use super::LintContext;
use super::rules;
use crate::checks::Code;
use crate::diagnostic::Diagnostic;

/// A lint function: reads the context, pushes its findings.
pub type LintFn = fn(&LintContext, &mut Vec<Diagnostic>);

/// Every lint and its function, in code order.
pub(crate) const LINTS: &[(Code, LintFn)] = &[
    (Code::L001, rules::missing_issue::run),
    (Code::L002, rules::no_retirement::run),
    (Code::L003, rules::production_lane::run),
    (Code::L004, rules::missing_confirmation::run),
    (Code::L005, rules::source_not_allowed::run),
    (Code::L006, rules::name_suggests_production::run),
    (Code::L007, rules::pattern_matches_nothing::run),
    (Code::L008, rules::retired_rule::run),
    (Code::L009, rules::expires_soon::run),
    (Code::L010, rules::duplicate_rule::run),
    (Code::L011, rules::shadowed_by_deny::run),
    (Code::L012, rules::wildcard_touches_production::run),
    (Code::L013, rules::shared_confirmation::run),
    (Code::L015, rules::issue_closed::run),
    (Code::L016, rules::duplicate_entry::run),
    (Code::L017, rules::competing_grants::run),
    (Code::L020, rules::deny_matches_nothing::run),
    (Code::L021, rules::clause_has_no_effect::run),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_lints_are_dispatched_in_code_order() {
        for w in LINTS.windows(2) {
            assert!(w[0].0 < w[1].0, "{:?} {:?}", w[0].0, w[1].0);
        }
        for (code, _) in LINTS {
            assert!(code.check().code.starts_with('L'), "{:?}", code);
        }
    }
}

//! E110 too-many-grants: the rules open more (lane, action) grants than the compiler takes.
//!
//! ## What it does
//! Counts the grants of the rules as they are resolved, in file order:
//! each lane pattern's grants are the lanes it matches times its rule's
//! distinct actions, an `allow`'s and a `deny`'s alike (two patterns of a
//! rule that match one lane count it twice: each is matched and held).
//! When the count passes the limit (1,048,576 by default; `max-grants` in
//! `lanepolicy.yaml`), the pattern that passes it is reported, no pattern
//! is matched after it, no rule from that one on is given lanes or
//! phrases, and no lint runs.
//!
//! ## Why is this bad?
//! Every lint, the bundle and the read model cost at least one step per
//! grant, so a few lines of policy over a wide pattern can ask for hours
//! and gigabytes: a hundred `allow … on */*` rules over a fleet of 160,000
//! lanes are sixteen million grants, a bundle several times over the 256
//! MiB the runtime loads. A fleet's real policies are far below the limit
//! (one rule per context over 200,000 lanes with five actions each is one
//! million); a policy past it names every lane many times over, which is
//! almost always a pattern wider than meant.
//!
//! ## Example
//! ```yaml lanepolicy.yaml
//! max-grants: 3
//! ```
//!
//! ```lanepolicy
//! allow deploy, empty_bootstrap on cm/* until launch issue=#573 confirm="bootstrap {context} {instance}"
//! ```
//!
//! ## Use instead
//! ```lanepolicy
//! allow empty_bootstrap on cm/testing until launch issue=#573 confirm="bootstrap {context} {instance}"
//! ```

use crate::checks::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};

/// The running count of grants of the rules resolved so far, against a
/// limit ([`crate::config::MAX_GRANTS`] unless configured).
#[derive(Debug, Clone)]
pub struct GrantCount {
    limit: u64,
    counted: u64,
}

impl GrantCount {
    /// A count from zero against `limit` grants.
    pub fn new(limit: u64) -> Self {
        GrantCount { limit, counted: 0 }
    }

    /// True once the count has passed the limit: the rules resolved after
    /// that have no lanes and no phrases, and no lint may run.
    pub fn passed(&self) -> bool {
        self.counted > self.limit
    }

    /// Counts a pattern's `lanes` x `actions` grants. Returns true when
    /// the count is within the limit; the pattern that passes it gets the
    /// E110 (at `span`, the pattern), and it and every later one false.
    pub(super) fn count(
        &mut self,
        file: FileId,
        span: Span,
        lanes: usize,
        actions: usize,
        diags: &mut Vec<Diagnostic>,
    ) -> bool {
        if self.passed() {
            return false;
        }
        let grants = (lanes as u64).saturating_mul(actions as u64);
        self.counted = self.counted.saturating_add(grants);
        if !self.passed() {
            return true;
        }
        diags.push(
            Diagnostic::new(
                Code::E110,
                file,
                span,
                format!(
                    "the rules open {} grants up to this pattern ({lanes} {} x {actions} {}), over the limit of {}",
                    self.counted,
                    if lanes == 1 { "lane" } else { "lanes" },
                    if actions == 1 { "action" } else { "actions" },
                    self.limit
                ),
            )
            .label("the limit is passed here; what follows is not resolved")
            .help("narrow wide patterns such as `*/*` and long action lists to the lanes and actions meant; a larger fleet raises `max-grants` in lanepolicy.yaml"),
        );
        false
    }
}

#[cfg(test)]
mod tests {
    use super::GrantCount;

    #[test]
    fn the_rule_that_passes_the_limit_is_reported_once() {
        let mut count = GrantCount::new(10);
        let mut diags = Vec::new();
        let span = crate::source::Span::new(0, 5);
        assert!(count.count(0, span, 5, 2, &mut diags));
        assert!(!count.passed());
        assert!(!count.count(0, span, 1, 1, &mut diags));
        assert!(count.passed());
        assert!(!count.count(0, span, 1, 1, &mut diags));
        assert_eq!(diags.len(), 1);
        assert!(diags[0].message.contains("11 grants"), "{}", diags[0].message);
        // Counts cannot wrap around past the limit.
        let mut huge = GrantCount::new(u64::MAX - 1);
        assert!(!huge.count(0, span, usize::MAX, usize::MAX, &mut diags));
    }
}

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
//! phrases, and no lint runs. The lane names that glob patterns are
//! compared with are counted too, against 64 per grant of the limit: a
//! pattern that matches nothing opens no grant, but `*/*x` is compared
//! with every lane of the fleet.
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
///
/// It also counts the lane names glob patterns are compared with, against
/// [`NAMES_PER_GRANT`] times the limit: a pattern that matches nothing
/// opens no grant, but `*/*x` is still compared with every lane, and
/// thousands of such patterns over a large fleet cost patterns x lanes
/// (3,400 patterns over 3,000 lanes took 20 s before the matcher's
/// shortcuts, and a million would take hours).
#[derive(Debug, Clone)]
pub struct GrantCount {
    limit: u64,
    counted: u64,
    /// Lane names compared with glob patterns so far.
    looked: u64,
}

/// Lane names a glob pattern may be compared with per grant of the limit
/// (64: at the default limit, 67,108,864 comparisons, each linear in the
/// name's and the pattern's lengths; 640 patterns of 40 characters held
/// against 100,000 names of 63, just under it, took 19 s on a shared
/// 2-core machine). A fleet's patterns look at about as many names as they match
/// (`ctx7/*` looks at its context's lanes, `*/prod` at the `prod` lanes);
/// a hundred patterns such as `*-eu/*-prod` over 200,000 lanes look at 20
/// million.
pub const NAMES_PER_GRANT: u64 = 64;

impl GrantCount {
    /// A count from zero against `limit` grants.
    pub fn new(limit: u64) -> Self {
        GrantCount {
            limit,
            counted: 0,
            looked: 0,
        }
    }

    /// True once the count has passed the limit: the rules resolved after
    /// that have no lanes and no phrases, and no lint may run.
    pub fn passed(&self) -> bool {
        self.counted > self.limit || self.looked > self.limit.saturating_mul(NAMES_PER_GRANT)
    }

    /// Counts the `names` a glob pattern was compared with. Returns true
    /// when the count is within its limit; the pattern that passes it gets
    /// the E110 (at `span`), and it and every later one false, as for
    /// grants.
    pub(super) fn look(
        &mut self,
        file: FileId,
        span: Span,
        names: usize,
        diags: &mut Vec<Diagnostic>,
    ) -> bool {
        self.add(
            |c| c.looked = c.looked.saturating_add(names as u64),
            |c| {
                passed_here(
                    file,
                    span,
                    format!(
                        "the lane patterns up to this one are compared with {} lane names, over the limit of {} ({NAMES_PER_GRANT} per grant of `max-grants`)",
                        c.looked,
                        c.limit.saturating_mul(NAMES_PER_GRANT)
                    ),
                    "patterns with a `*` in both parts (`*/*-x`) are compared with every lane: name the contexts or instances meant",
                )
            },
            diags,
        )
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
        let grants = (lanes as u64).saturating_mul(actions as u64);
        self.add(
            |c| c.counted = c.counted.saturating_add(grants),
            |c| {
                passed_here(
                    file,
                    span,
                    format!(
                        "the rules open {} grants up to this pattern ({lanes} {} x {actions} {}), over the limit of {}",
                        c.counted,
                        if lanes == 1 { "lane" } else { "lanes" },
                        if actions == 1 { "action" } else { "actions" },
                        c.limit
                    ),
                    "narrow wide patterns such as `*/*` and long action lists to the lanes and actions meant",
                )
            },
            diags,
        )
    }

    /// Adds to a count with `add` unless a limit is already passed.
    /// Returns true while within the limits; the addition that passes one
    /// reports `passed` (made from the count), once, and it and every
    /// later one are false.
    fn add(
        &mut self,
        add: impl FnOnce(&mut Self),
        passed: impl FnOnce(&Self) -> Diagnostic,
        diags: &mut Vec<Diagnostic>,
    ) -> bool {
        if self.passed() {
            return false;
        }
        add(self);
        if !self.passed() {
            return true;
        }
        diags.push(passed(self));
        false
    }
}

/// The E110 at the pattern that passes a limit: `message` says which,
/// `advice` what to write instead.
fn passed_here(file: FileId, span: Span, message: String, advice: &str) -> Diagnostic {
    Diagnostic::new(Code::E110, file, span, message)
        .label("the limit is passed here; what follows is not resolved")
        .help(format!(
            "{advice}; a larger fleet raises `max-grants` in lanepolicy.yaml"
        ))
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

    /// Patterns that match nothing still cost the names they are compared
    /// with: past 64 per grant of the limit, E110, and nothing after it
    /// is matched.
    #[test]
    fn names_compared_with_patterns_are_counted_against_the_limit() {
        let mut count = GrantCount::new(10);
        let mut diags = Vec::new();
        let span = crate::source::Span::new(0, 5);
        assert!(count.look(0, span, 640, &mut diags));
        assert!(!count.passed());
        assert!(!count.look(0, span, 1, &mut diags));
        assert!(count.passed());
        assert!(!count.count(0, span, 1, 1, &mut diags));
        assert_eq!(diags.len(), 1);
        assert!(
            diags[0].message.contains("compared with 641 lane names, over the limit of 640"),
            "{}",
            diags[0].message
        );
    }

    /// Through resolution: 2,000 patterns `*/*zz` that match nothing, over
    /// 100 lanes, under a limit of 1,000 grants (64,000 names) stop at the
    /// pattern that passes it; the same policy under the default limit
    /// resolves.
    #[test]
    fn patterns_matching_nothing_stop_at_the_limit_of_names() {
        let mut inv = String::from(
            "issues: https://github.com/example/ops/issues/\nactions:\n  deploy: {operation: deploy, destructive: false}\nproducts:\n",
        );
        for k in 0..50 {
            inv.push_str(&format!(
                "  p{k}:\n    context: ctx{k}\n    events: {{launch: pending}}\n    lanes:\n      a: {{production: false, phase: prelaunch}}\n      b: {{production: false, phase: prelaunch}}\n"
            ));
        }
        let src = crate::source::SourceFile::new("lanes.yaml", inv, String::new());
        let inv = crate::inventory::load(&src, 0).expect("the inventory loads");
        let patterns: Vec<String> = (0..2000).map(|k| format!("*/*zz{k}")).collect();
        let policy = format!(
            "allow deploy on {} until launch issue=#1 confirm=\"deploy {{lane}}\"\n",
            patterns.join(", ")
        );
        let index = crate::sema::LaneIndex::new(&inv);
        let e110 = |limit: u64| {
            let mut diags = Vec::new();
            crate::sema::resolve_indexed(
                1,
                crate::syntax::parse_file(&policy),
                &inv,
                &index,
                &mut GrantCount::new(limit),
                &mut diags,
            );
            diags
                .into_iter()
                .filter(|d| d.code == crate::checks::Code::E110)
                .map(|d| d.message)
                .collect::<Vec<_>>()
        };
        // Each pattern looks at 50 contexts and 100 lanes: the 427th
        // passes 64,000.
        assert_eq!(
            e110(1000),
            ["the lane patterns up to this one are compared with 64050 lane names, over the limit of 64000 (64 per grant of `max-grants`)"]
        );
        assert!(e110(crate::config::MAX_GRANTS).is_empty());
    }
}

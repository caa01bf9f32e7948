//! E109 long-confirmation: a `confirm` phrase, its placeholders expanded, is longer than 200 characters for some lane.
//!
//! ## What it does
//! Measures each lane's phrase (the template with `{product}`, `{context}`,
//! `{instance}` and `{lane}` filled in) before it is written, and reports
//! the rule when one is longer than 200 characters, naming the lane whose
//! phrase is the longest. No phrase of the rule is then expanded.
//!
//! ## Why is this bad?
//! The phrase is what an operator types to confirm one lane; a phrase
//! nobody can type proves nothing. And the compiler writes one phrase per
//! lane the rule matches: a long template over a wide pattern (`*/*`)
//! would take gigabytes of memory and a bundle no runtime loads.
//!
//! ## Example
//! ```lanepolicy
//! allow empty_bootstrap on cm/testing until launch issue=#573 confirm="bootstrap {lane} {lane} {lane} {lane} {lane} {lane} {lane} {lane} {lane} {lane} {lane} {lane} {lane} {lane} {lane} {lane} {lane} {lane}"
//! ```
//!
//! ## Use instead
//! ```lanepolicy
//! allow empty_bootstrap on cm/testing until launch issue=#573 confirm="bootstrap {context} {instance}"
//! ```

use crate::checks::Code;
use crate::diagnostic::Diagnostic;
use crate::inventory::Lane;
use crate::source::FileId;
use crate::syntax::ast::StringLit;

/// The longest phrase a lane may be given, in characters: a sentence an
/// operator types, with room for long product and lane names.
pub const MAX_PHRASE_CHARS: usize = 200;

fn diagnostic(file: FileId, s: &StringLit, lane: &Lane, chars: usize) -> Diagnostic {
    Diagnostic::new(
        Code::E109,
        file,
        s.span,
        format!(
            "the confirmation phrase of lane `{}` would be {chars} characters long, over the limit of {MAX_PHRASE_CHARS}",
            lane.key()
        ),
    )
    .label("too long to type")
    .help("name the lane once, e.g. `confirm=\"bootstrap {context} {instance}\"`")
}

/// The length in characters of `template` expanded for `lane`, without
/// expanding it: the template's own characters, less its placeholders,
/// plus each placeholder's value as many times as it is written. O(1)
/// per lane once the template's placeholders are counted.
struct Measure {
    base: usize,
    product: usize,
    context: usize,
    instance: usize,
    lane: usize,
}

impl Measure {
    fn of(template: &str) -> Measure {
        let count = |p: &str| template.matches(p).count();
        let (product, context, instance, lane) = (
            count("{product}"),
            count("{context}"),
            count("{instance}"),
            count("{lane}"),
        );
        let placeholders = product * "{product}".len()
            + context * "{context}".len()
            + instance * "{instance}".len()
            + lane * "{lane}".len();
        Measure {
            base: template.chars().count().saturating_sub(placeholders),
            product,
            context,
            instance,
            lane,
        }
    }

    fn chars(&self, lane: &Lane) -> usize {
        let n = |s: &str| s.chars().count();
        let (context, instance) = (n(&lane.context), n(&lane.instance));
        self.base
            .saturating_add(self.product.saturating_mul(n(&lane.product)))
            .saturating_add(self.context.saturating_mul(context))
            .saturating_add(self.instance.saturating_mul(instance))
            .saturating_add(self.lane.saturating_mul(context + 1 + instance))
    }
}

/// Reports the rule when a lane's phrase would be too long; returns true
/// when every phrase may be expanded.
pub(super) fn check<'a>(
    file: FileId,
    s: &StringLit,
    lanes: impl Iterator<Item = &'a Lane>,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    let measure = Measure::of(&s.value);
    let longest = lanes
        .map(|l| (measure.chars(l), l))
        .max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.key().cmp(&a.1.key())));
    match longest {
        Some((chars, lane)) if chars > MAX_PHRASE_CHARS => {
            diags.push(diagnostic(file, s, lane, chars));
            false
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::Measure;
    use crate::inventory::Lane;

    /// The measure is the expanded phrase's length, without expanding it.
    #[test]
    fn the_measure_is_the_expanded_length() {
        let src = crate::source::SourceFile::new(
            "lanes.yaml",
            "products:\n  cm:\n    context: cm\n    lanes:\n      testing: {production: false}\n"
                .into(),
            String::new(),
        );
        let inv = crate::inventory::load(&src, 0).expect("the inventory loads");
        let lane: &Lane = inv.lanes.get("cm/testing").expect("the lane");
        for template in [
            "",
            "bootstrap {context} {instance}",
            "{lane}{lane}{product} {instance}é{context}",
            "{unclosed {lane",
        ] {
            let expanded =
                super::super::expand(template, &lane.product, &lane.context, &lane.instance);
            assert_eq!(
                Measure::of(template).chars(lane),
                expanded.chars().count(),
                "{template}"
            );
        }
    }
}

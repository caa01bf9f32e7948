//! "Did you mean" suggestions, shared by the checker and the runtime.

/// The closest candidate to `word`, if one is close enough to be the name
/// that was meant: at most two edits away and at most a third of its
/// length. Ties go to the first candidate.
pub fn did_you_mean<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = strsim::levenshtein(word, c);
        let limit = 2
            .min(c.chars().count().max(word.chars().count()) / 3)
            .max(1);
        if d <= limit && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn suggestions_are_near_misses_only() {
        let lanes = ["cm/testing", "cm/prod", "opw/testing", "opw/prod"];
        assert_eq!(did_you_mean("cm/tesing", lanes), Some("cm/testing"));
        assert_eq!(did_you_mean("cm/x", lanes), None);
        assert_eq!(did_you_mean("opw/cm", lanes), None);
        assert_eq!(did_you_mean("unti", ["until", "issue"]), Some("until"));
        assert_eq!(did_you_mean("lanch", ["launch", "cutover"]), Some("launch"));
        assert_eq!(
            did_you_mean("acions", ["issues", "actions", "products"]),
            Some("actions")
        );
        assert_eq!(did_you_mean("silent", ["error", "warning", "off"]), None);
    }
}

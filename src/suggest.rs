//! "Did you mean" suggestions, shared by the checker and the runtime.
//!
//! The work is bounded whatever the input: a name longer than
//! [`MAX_NAME_CHARS`] gets no suggestion, a candidate whose length alone
//! puts it too far away is skipped without computing a distance, the
//! distance itself is computed only within the allowed band (at most two
//! edits, so O(length) per candidate rather than O(length^2)), and one call
//! stops comparing after [`MAX_WORK`] cells of that computation.

/// Names longer than this (in characters) get no suggestion: no name that
/// someone means to type is that long, and comparing it would cost time.
pub const MAX_NAME_CHARS: usize = 256;

/// The most edit-distance cells one call computes (about 20 ms of work);
/// past it, the best candidate so far is the answer.
pub const MAX_WORK: usize = 20_000_000;

/// The closest candidate to `word`, if one is close enough to be the name
/// that was meant: at most two edits away and at most a third of its
/// length (at least one edit is always allowed). Ties go to the first
/// candidate.
pub fn did_you_mean<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    did_you_mean_counted(word, candidates).0
}

/// [`did_you_mean`], and its work: (the answer, distance cells computed,
/// bytes of candidates looked at). A call stops when the two together pass
/// [`MAX_WORK`], so long candidates cost in proportion to their length.
pub(crate) fn did_you_mean_counted<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> (Option<&'c str>, usize, usize) {
    // A name of more than MAX_NAME_CHARS characters has more than that many bytes.
    if word.len() > 4 * MAX_NAME_CHARS || word.chars().count() > MAX_NAME_CHARS {
        return (None, 0, 0);
    }
    let w: Vec<char> = word.chars().collect();
    let mut best: Option<(usize, &str)> = None;
    let (mut cells, mut scanned) = (0usize, 0usize);
    let mut c_chars: Vec<char> = Vec::new();
    for c in candidates {
        if cells + scanned > MAX_WORK {
            break;
        }
        scanned += c.len();
        // At most two edits: a candidate of more than MAX_NAME_CHARS + 2
        // characters (so more bytes) can never be near.
        if c.len() > 4 * (MAX_NAME_CHARS + 2) {
            continue;
        }
        let n = if c.is_ascii() {
            c.len()
        } else {
            c.chars().count()
        };
        let limit = 2.min(n.max(w.len()) / 3).max(1);
        // Only a strictly closer candidate replaces the best one.
        let limit = match best {
            Some((0, _)) => break,
            Some((b, _)) => limit.min(b - 1),
            None => limit,
        };
        if n.abs_diff(w.len()) > limit {
            continue;
        }
        c_chars.clear();
        c_chars.extend(c.chars());
        cells += (2 * limit + 1) * w.len().max(1);
        if let Some(d) = within(&w, &c_chars, limit) {
            best = Some((d, c));
        }
    }
    (best.map(|(_, c)| c), cells, scanned)
}

/// The edit distance between `a` and `b` if it is at most `k`, computed in
/// the diagonal band of width 2k+1: O((2k+1) * len) time, O(k) memory.
fn within(a: &[char], b: &[char], k: usize) -> Option<usize> {
    let (n, m) = (a.len(), b.len());
    if n.abs_diff(m) > k {
        return None;
    }
    let width = 2 * k + 1;
    let inf = k + 1;
    // Row i holds D[i][j] for j = i + o - k, o in 0..width.
    let mut prev = vec![inf; width];
    for (o, cell) in prev.iter_mut().enumerate() {
        if o >= k && o - k <= m {
            *cell = o - k;
        }
    }
    let mut cur = vec![inf; width];
    for i in 1..=n {
        let mut row_min = inf;
        for o in 0..width {
            let v = match (i + o).checked_sub(k) {
                None => inf,
                Some(j) if j > m => inf,
                Some(0) => i.min(inf),
                Some(j) => {
                    let diag = prev[o] + usize::from(a[i - 1] != b[j - 1]);
                    let up = if o + 1 < width { prev[o + 1] + 1 } else { inf };
                    let left = if o > 0 { cur[o - 1] + 1 } else { inf };
                    diag.min(up).min(left).min(inf)
                }
            };
            cur[o] = v;
            row_min = row_min.min(v);
        }
        if row_min > k {
            return None;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    let d = prev[m + k - n];
    (d <= k).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
        // Ties go to the first; a closer later candidate wins.
        assert_eq!(did_you_mean("ab", ["ax", "xb"]), Some("ax"));
        assert_eq!(did_you_mean("abcdef", ["abcxyf", "abcdxf"]), Some("abcdxf"));
    }

    #[test]
    fn long_names_cost_no_distance_work() {
        // A 100 KB name against an inventory key of the same size: refused
        // on length before any distance is computed.
        let long = "x".repeat(100_000);
        let near = format!("{long}y");
        let (s, work, _) = did_you_mean_counted(&long, [near.as_str()]);
        assert_eq!((s, work), (None, 0));
        // A short name against very long candidates: skipped on length,
        // their bytes counted as looked at.
        let (s, work, scanned) = did_you_mean_counted("cm/prod", [near.as_str(), long.as_str()]);
        assert_eq!((s, work, scanned), (None, 0, near.len() + long.len()));
    }

    #[test]
    fn work_is_linear_in_the_candidates() {
        // 10,000 candidates of the word's length: each costs at most
        // (2k+1) * len cells, never len^2.
        let word = "c".repeat(200);
        let candidates: Vec<String> = (0..10_000)
            .map(|n| format!("{}{n:05}", "d".repeat(195)))
            .collect();
        let (s, work, _) = did_you_mean_counted(&word, candidates.iter().map(String::as_str));
        assert_eq!(s, None);
        assert!(work <= 10_000 * 5 * 200, "{work}");
        // And one call stops at MAX_WORK.
        let many: Vec<String> = (0..100_000)
            .map(|n| format!("{}{n:06}", "d".repeat(194)))
            .collect();
        let (_, work, scanned) = did_you_mean_counted(&word, many.iter().map(String::as_str));
        assert!(work + scanned <= MAX_WORK + 5 * 200 + 200, "{work} {scanned}");
    }

    proptest! {
        #[test]
        fn banded_distance_agrees_with_levenshtein(a in "[ab/-]{0,12}", b in "[ab/-]{0,12}", k in 0usize..4) {
            let d = strsim::levenshtein(&a, &b);
            let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
            prop_assert_eq!(within(&a, &b, k), (d <= k).then_some(d));
        }
    }
}

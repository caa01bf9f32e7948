//! What `fmt` prints: a unified diff of a file that would change
//! (`--diff`) and the closing count of files reformatted, already
//! formatted, refused and failed.

/// A unified diff from `before` to `after`, with three lines of context,
/// both sides named `shown`. Empty when the texts are equal.
///
/// The search for a minimal diff stops at `deadline`, which one `fmt
/// --diff` run shares among all its files ([`MINIMAL_DIFF_TIME`] in all):
/// past it, each diff is still correct (applied, it gives the formatted
/// text) but coarser, so that many large files cost the run a bounded
/// search plus time linear in their lines, not a second each.
pub fn unified_diff(
    shown: &str,
    before: &str,
    after: &str,
    deadline: std::time::Instant,
) -> String {
    if before == after {
        return String::new();
    }
    similar::TextDiff::configure()
        .deadline(deadline)
        .diff_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(shown, shown)
        .to_string()
}

/// How long one `fmt --diff` run may search for minimal diffs, over all
/// its files. The search is O(lines x changes): a large file whose every
/// line changes took minutes (20,000 lines: 32 s), and with a second per
/// file, forty such files took 41 s. Which lines a diff pairs past this
/// time may depend on the machine's speed.
pub const MINIMAL_DIFF_TIME: std::time::Duration = std::time::Duration::from_secs(1);

/// How many files `fmt` found in each state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FmtCounts {
    /// Files rewritten, or that would be with `--check` or `--diff`.
    pub changed: usize,
    /// Files already in the canonical layout.
    pub unchanged: usize,
    /// Files not formatted because they do not parse.
    pub refused: usize,
    /// Files that could not be read or written.
    pub failed: usize,
}

/// The closing line of `fmt` (without a newline), e.g. `1 file
/// reformatted, 3 files already formatted`; `only_report` is `--check`
/// or `--diff`, where nothing is written.
pub fn fmt_summary(counts: FmtCounts, only_report: bool) -> String {
    let n = |k: usize| {
        if k == 1 {
            "1 file".to_string()
        } else {
            format!("{k} files")
        }
    };
    let reformatted = if only_report {
        "would be reformatted"
    } else {
        "reformatted"
    };
    [
        (counts.changed, reformatted),
        (counts.unchanged, "already formatted"),
        (counts.refused, "not formatted: syntax errors"),
        (counts.failed, "not formatted: cannot read or write"),
    ]
    .iter()
    .filter(|(k, _)| *k > 0)
    .map(|(k, what)| format!("{} {what}", n(*k)))
    .collect::<Vec<_>>()
    .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_names_each_state_found() {
        let counts = FmtCounts {
            changed: 1,
            unchanged: 3,
            ..FmtCounts::default()
        };
        assert_eq!(
            fmt_summary(counts, false),
            "1 file reformatted, 3 files already formatted"
        );
        assert_eq!(
            fmt_summary(counts, true),
            "1 file would be reformatted, 3 files already formatted"
        );
        assert_eq!(
            unified_diff("a", "x\n", "x\n", std::time::Instant::now()),
            ""
        );
    }

    /// A diff whose every line changes, too large for the minimal search
    /// in its time, is still whole: its removed and context lines are the
    /// old text, its added and context lines the new one.
    #[test]
    fn a_large_diff_past_its_time_still_gives_both_texts() {
        let before: String = (0..20_000)
            .map(|k| format!("allow a{k} on x/y\n"))
            .collect();
        let after: String = (0..20_000)
            .map(|k| format!("allow a{k}\n    on x/y\n\n"))
            .collect();
        // With the run's budget, and with none left (a later file of the
        // run, after a large one spent it).
        let now = std::time::Instant::now();
        for deadline in [now + MINIMAL_DIFF_TIME, now] {
            let diff = unified_diff("p", &before, &after, deadline);
            let (mut old, mut new) = (String::new(), String::new());
            for line in diff.lines().skip(2).filter(|l| !l.starts_with("@@")) {
                let (mark, text) = line.split_at(1);
                if mark != "+" {
                    old.push_str(text);
                    old.push('\n');
                }
                if mark != "-" {
                    new.push_str(text);
                    new.push('\n');
                }
            }
            assert_eq!(old, before);
            assert_eq!(new, after);
        }
    }
}

//! Reviews for a person: what `diff` prints as text and as Markdown (for
//! a pull request comment). The effective changes come first, grouped by
//! issue, then the rule-level changes ([`BundleDiff`]). Text from the
//! bundles is printed with control characters escaped (`one_line`), and
//! Markdown cells are escaped (`source::markdown_cell`).

use crate::bundle::diff::{BundleDiff, Change, ItemChange, PairChange, Term};
use crate::runtime::effective::{EffectiveChange, EffectiveKind, Review};
use crate::source::one_line;

impl Review {
    /// The effective changes grouped by their issues, the groups in order
    /// of their names, each group's changes in their order: a stable sort
    /// by group, not a search of the groups so far for each change (20,000
    /// changes of distinct issues were 200 million comparisons).
    fn groups(&self) -> Vec<(String, Vec<&EffectiveChange>)> {
        let mut keyed: Vec<(String, &EffectiveChange)> = self
            .effective
            .iter()
            .map(|c| {
                let key = if c.issues.is_empty() {
                    "no issue".to_string()
                } else {
                    format!("issue {}", c.issues.join(", "))
                };
                (key, c)
            })
            .collect();
        keyed.sort_by(|a, b| {
            #[cfg(test)]
            tests::GROUP_COMPARISONS.with(|n| n.set(n.get() + 1));
            a.0.cmp(&b.0)
        });
        let mut groups: Vec<(String, Vec<&EffectiveChange>)> = Vec::new();
        for (key, c) in keyed {
            match groups.last_mut() {
                Some((k, list)) if *k == key => list.push(c),
                _ => groups.push((key, vec![c])),
            }
        }
        groups
    }

    fn tally(&self) -> String {
        let mut parts = Vec::new();
        for kind in [
            EffectiveKind::Opened,
            EffectiveKind::Widened,
            EffectiveKind::Changed,
            EffectiveKind::Narrowed,
            EffectiveKind::Closed,
        ] {
            let n = self.effective.iter().filter(|c| c.change == kind).count();
            if n > 0 {
                parts.push(format!("{n} {}", kind.as_str()));
            }
        }
        parts.join(", ")
    }

    /// The review for a person: the effective changes first, grouped by
    /// issue, protected lanes marked, then the rule-level changes.
    pub fn to_text(&self) -> String {
        let rules = self.rules.to_text();
        let (head, rest) = rules.split_once('\n').unwrap_or((&rules, ""));
        let mut s = format!("{head}\n\n");
        if self.rules.is_empty() && self.effective.is_empty() {
            s.push_str(rest.trim_start_matches('\n'));
            return s;
        }
        if self.effective.is_empty() {
            s.push_str("effective: nothing is allowed in new situations, nothing in fewer\n");
        } else {
            s.push_str(&format!("effective: {}\n", self.tally()));
            for (group, list) in self.groups() {
                s.push_str(&format!("\n  {group}:\n"));
                for c in list {
                    let mark = if c.protected { "  [protected]" } else { "" };
                    s.push_str(&format!(
                        "    {:<8} {} {}{mark}\n",
                        c.change.as_str(),
                        c.lane,
                        c.action
                    ));
                    s.push_str(&format!("             before: {}\n", c.before.summary));
                    s.push_str(&format!("             after:  {}\n", c.after.summary));
                    for w in &c.why {
                        s.push_str(&format!("             why:    {w}\n"));
                    }
                }
            }
        }
        if !self.rules.is_empty() {
            s.push_str("\nrule-level changes:\n");
        }
        s.push_str(rest.trim_start_matches('\n'));
        s
    }

    /// The review as Markdown, for a pull request comment: a verdict line,
    /// the effective changes in a table per issue, then the rule-level
    /// tables.
    pub fn to_markdown(&self) -> String {
        let rules = self.rules.to_markdown();
        // The rule-level Markdown opens with its title and the digests,
        // each a paragraph; the effective changes go right after them.
        let cut = rules
            .match_indices("\n\n")
            .nth(1)
            .map_or(rules.len(), |(i, _)| i + 2);
        let (head, rest) = rules.split_at(cut);
        let mut s = head.to_string();
        if self.rules.is_empty() && self.effective.is_empty() {
            s.push_str(rest);
            return s;
        }
        let cell = crate::source::markdown_cell;
        if self.effective.is_empty() {
            s.push_str(
                "**Effective access unchanged**: no lane and action is allowed in new situations or in fewer.\n\n",
            );
        } else {
            let verdict = if self.widens() {
                "**Widens access**"
            } else {
                "**Narrows access only**"
            };
            s.push_str(&format!("{verdict}: {}.\n\n", self.tally()));
            for (group, list) in self.groups() {
                s.push_str(&format!(
                    "#### {}\n\n| change | lane | action | before | after | why |\n|---|---|---|---|---|---|\n",
                    cell(&capitalize(&group))
                ));
                for c in list {
                    let mark = if c.protected { " 🔒 protected" } else { "" };
                    s.push_str(&format!(
                        "| **{}** | `{}`{mark} | `{}` | {} | {} | {} |\n",
                        c.change.as_str(),
                        c.lane,
                        c.action,
                        cell(&c.before.summary),
                        cell(&c.after.summary),
                        c.why
                            .iter()
                            .map(|w| cell(w))
                            .collect::<Vec<_>>()
                            .join("<br>")
                    ));
                }
                s.push('\n');
            }
        }
        if !self.rules.is_empty() {
            s.push_str("<details><summary>Rule-level changes</summary>\n\n");
            s.push_str(rest);
            s.push_str("</details>\n");
        }
        s
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
}

/// A titled table of the Markdown review: a row per change (its kind, the
/// two middle columns already written, its details); nothing when there
/// are no changes.
fn markdown_section<'a>(
    s: &mut String,
    title: &str,
    middle: &str,
    rows: impl Iterator<Item = (&'a str, String, String)>,
) {
    let mut rows = rows.peekable();
    if rows.peek().is_none() {
        return;
    }
    s.push_str(&format!(
        "#### {title}\n\n| change | {middle} | details |\n|---|---|---|---|\n"
    ));
    for (change, what, details) in rows {
        s.push_str(&format!("| {change} | {what} | {details} |\n"));
    }
    s.push('\n');
}

/// A titled section of the text review: each change's line, its details
/// indented under it; nothing when there are no changes.
fn section(s: &mut String, title: &str, rows: impl Iterator<Item = (String, Vec<String>)>) {
    let mut rows = rows.peekable();
    if rows.peek().is_none() {
        return;
    }
    s.push_str(&format!("\n{title}:\n"));
    for (head, details) in rows {
        s.push_str(&format!("  {head}\n"));
        for line in details {
            s.push_str(&format!("           {line}\n"));
        }
    }
}

/// A term in words: `issue #573, until launch, confirm "…", requires backup_proof`.
fn describe(t: &Term) -> String {
    let mut parts = Vec::new();
    match &t.issue {
        Some(i) => parts.push(format!("issue {}", i.reference)),
        None => parts.push("no issue".to_string()),
    }
    if !t.until.is_empty() {
        parts.push(format!("until {}", t.until.join(" or ")));
    }
    if let Some(c) = &t.confirm {
        parts.push(format!("confirm \"{}\"", one_line(c)));
    }
    if !t.requires.is_empty() {
        parts.push(format!("requires {}", t.requires.join(", ")));
    }
    if let Some(r) = &t.reason {
        parts.push(format!("reason \"{}\"", one_line(r)));
    }
    if !t.unguarded.is_empty() {
        parts.push(format!("unguarded: {}", t.unguarded.join(", ")));
    }
    parts.join(", ")
}

fn show(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "(none)".into(),
        serde_json::Value::String(s) => one_line(s),
        serde_json::Value::Array(items) if items.is_empty() => "(none)".into(),
        serde_json::Value::Array(items) => items.iter().map(show).collect::<Vec<_>>().join(", "),
        // An issue: its reference and URL, as the rest of the output shows it.
        serde_json::Value::Object(m) if m.contains_key("ref") && m.contains_key("url") => {
            format!("{} ({})", show(&m["ref"]), show(&m["url"]))
        }
        other => one_line(&other.to_string()),
    }
}

/// Retirement conditions read as alternatives: `launch or 2027-01-31`.
fn show_until(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Array(items) if !items.is_empty() => {
            items.iter().map(show).collect::<Vec<_>>().join(" or ")
        }
        _ => "(never)".into(),
    }
}

fn pair_lines(c: &PairChange) -> Vec<String> {
    let mut lines: Vec<String> = match c.change {
        Change::Added => c.new.iter().map(describe).collect(),
        Change::Removed => c.old.iter().map(describe).collect(),
        // Among other terms, which one changed is said first.
        Change::Changed if !c.fields.is_empty() => (c.unchanged > 0)
            .then(|| c.old.first().map(|t| format!("the term {}", describe(t))))
            .flatten()
            .into_iter()
            .chain(c.fields.iter().map(|f| {
                let (a, b) = if f.field == "until" {
                    (show_until(&f.old), show_until(&f.new))
                } else {
                    (show(&f.old), show(&f.new))
                };
                format!("{}: {a} -> {b}", f.field)
            }))
            .collect(),
        Change::Changed => c
            .old
            .iter()
            .map(|t| format!("before: {}", describe(t)))
            .chain(c.new.iter().map(|t| format!("after: {}", describe(t))))
            .collect(),
    };
    // Of a changed pair only what differs is listed; the rest is counted.
    match c.unchanged {
        0 => {}
        1 => lines.push("1 other term unchanged".into()),
        n => lines.push(format!("{n} other terms unchanged")),
    }
    lines
}

fn item_lines(c: &ItemChange) -> Vec<String> {
    c.fields
        .iter()
        .map(|f| format!("{}: {} -> {}", f.field, show(&f.old), show(&f.new)))
        .collect()
}

impl BundleDiff {
    /// The difference for a person, one change per line with its details
    /// indented; `no semantic changes` when there are none.
    pub fn to_text(&self) -> String {
        let mut s = format!("{} -> {}\n", self.old, self.new);
        if self.is_empty() {
            s.push_str("no semantic changes: both bundles decide alike\n");
            return s;
        }
        for (title, list) in [("grants", &self.grants), ("denies", &self.denies)] {
            let rows = list.iter().map(|c| {
                let head = format!("{:<8} {} {}", c.change.as_str(), c.lane, c.action);
                (head, pair_lines(c))
            });
            section(&mut s, title, rows);
        }
        for (title, list) in [("inventory", &self.inventory), ("guards", &self.guards)] {
            let rows = list.iter().map(|c| {
                let head = format!("{:<8} {} {}", c.change.as_str(), c.kind, c.name);
                (head, item_lines(c))
            });
            section(&mut s, title, rows);
        }
        s
    }

    /// The difference as Markdown, for a pull request comment.
    pub fn to_markdown(&self) -> String {
        let short = |d: &str| {
            d.trim_start_matches("sha256:")
                .chars()
                .take(12)
                .collect::<String>()
        };
        let mut s = format!(
            "### Lane policy changes\n\n`{}` → `{}`\n\n",
            short(&self.old),
            short(&self.new)
        );
        if self.is_empty() {
            s.push_str("No semantic changes: both bundles decide alike.\n");
            return s;
        }
        let cell = crate::source::markdown_cell;
        let cells = |lines: Vec<String>| {
            lines
                .iter()
                .map(|l| cell(l))
                .collect::<Vec<_>>()
                .join("<br>")
        };
        for (title, list) in [("Grants", &self.grants), ("Denies", &self.denies)] {
            let rows = list.iter().map(|c| {
                let what = format!("`{}` | `{}`", c.lane, c.action);
                (c.change.as_str(), what, cells(pair_lines(c)))
            });
            markdown_section(&mut s, title, "lane | action", rows);
        }
        for (title, list) in [("Inventory", &self.inventory), ("Guards", &self.guards)] {
            let rows = list.iter().map(|c| {
                let what = format!("{} | `{}`", c.kind, c.name);
                (c.change.as_str(), what, cells(item_lines(c)))
            });
            markdown_section(&mut s, title, "kind | name", rows);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use crate::runtime::Runtime;
    use crate::runtime::effective::Review;

    thread_local! {
        /// Comparisons of group names made grouping effective changes.
        pub(super) static GROUP_COMPARISONS: std::cell::Cell<usize> =
            const { std::cell::Cell::new(0) };
    }

    #[test]
    fn changes_are_grouped_by_sorting_not_by_searching_the_groups() {
        // One real change, copied n times with m distinct issues (and none).
        let old = crate::bundle::real_fixture();
        let mut new = old.clone();
        new.rules[0].requires = vec!["backup_proof".into()];
        let mut review = Review::new(&Runtime::new(old), &Runtime::new(new));
        let change = review.effective.first().expect("a change").clone();
        let (n, m) = (8_000, 2_000);
        review.effective = (0..n)
            .map(|k| {
                let mut c = change.clone();
                c.lane = format!("c/l{k}");
                c.issues = match k % (m + 1) {
                    0 => Vec::new(),
                    i => vec![format!("#{i}"), "#0".into()],
                };
                c
            })
            .collect();
        GROUP_COMPARISONS.with(|c| c.set(0));
        let groups = review.groups();
        let comparisons = GROUP_COMPARISONS.with(std::cell::Cell::get);
        // A sort: n log2 n comparisons at most (13 for 8,000), with room.
        assert!(comparisons <= 14 * n, "{comparisons} comparisons");
        // What grouping in order of first appearance, then sorting the
        // groups by name, gives.
        let mut wanted: Vec<(String, Vec<&str>)> = Vec::new();
        for c in &review.effective {
            let key = if c.issues.is_empty() {
                "no issue".to_string()
            } else {
                format!("issue {}", c.issues.join(", "))
            };
            match wanted.iter_mut().find(|(k, _)| *k == key) {
                Some((_, list)) => list.push(&c.lane),
                None => wanted.push((key, vec![&c.lane])),
            }
        }
        wanted.sort_by(|a, b| a.0.cmp(&b.0));
        let got: Vec<(String, Vec<&str>)> = groups
            .iter()
            .map(|(k, list)| (k.clone(), list.iter().map(|c| c.lane.as_str()).collect()))
            .collect();
        assert_eq!(got.len(), m + 1);
        assert_eq!(got, wanted);
    }

    #[test]
    fn an_issue_shows_as_its_reference_and_url() {
        let issue = serde_json::json!({"ref": "#573", "url": "https://example.com/573"});
        assert_eq!(super::show(&issue), "#573 (https://example.com/573)");
        assert_eq!(super::show(&serde_json::Value::Null), "(none)");
    }
}

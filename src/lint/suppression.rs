//! Inline suppressions: `// lanepolicy: ignore CODE[, CODE...] reason="why"`
//! on the lines right before a rule (or `# lanepolicy: ignore ...` on the
//! line before a flagged line of `lanes.yaml`). A suppressed diagnostic is
//! kept, marked with the reason, so JSON and SARIF output still show it to
//! an auditor; it no longer counts for the exit code. Malformed
//! suppressions are E002; unused ones are L014.

use super::rules::{invalid_suppression, unused_suppression};
use crate::checks::{self, Code};
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};
use crate::suggest::did_you_mean;
use crate::syntax::ast;
use std::collections::HashMap;

/// A suppression's target: (start, end, index of the suppression).
type Target = (usize, usize, usize);

/// A distinct target: (start, end, and per code the first suppression of
/// it that names the code).
type Group = (usize, usize, Vec<(Code, usize)>);

/// One suppression comment and what it applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// The file it is in.
    pub file: FileId,
    /// The comment.
    pub span: Span,
    /// The checks it silences.
    pub codes: Vec<Code>,
    /// The checks it lists more than once (by code or by name), each once:
    /// reported as unused (L014), as Ruff reports a code repeated in a
    /// `noqa`.
    pub repeated: Vec<Code>,
    /// Why.
    pub reason: String,
    /// What it applies to: the following rule, or the following YAML line.
    pub target: Span,
}

/// A suppression's checks, those it lists more than once, and its reason.
type Parsed = (Vec<Code>, Vec<Code>, String);

/// Parses the text after `lanepolicy:`; returns the codes and the reason,
/// or the problem and a help line.
fn parse(body: &str) -> Result<Parsed, (String, String)> {
    let form = "write `lanepolicy: ignore L012 reason=\"why\"`".to_string();
    let rest = body.trim_start();
    let Some(rest) = rest
        .strip_prefix("ignore")
        .filter(|r| r.is_empty() || r.starts_with([' ', '\t']))
    else {
        return Err(("expected `ignore` after `lanepolicy:`".into(), form));
    };
    let (codes_text, reason_text) = match rest.find("reason") {
        Some(k) => (&rest[..k], Some(&rest[k + "reason".len()..])),
        None => (rest, None),
    };
    let mut codes = Vec::new();
    let mut repeated = Vec::new();
    for word in codes_text.split([',', ' ', '\t']).filter(|w| !w.is_empty()) {
        let Some(check) = checks::lookup(word) else {
            let names = checks::CHECKS.iter().flat_map(|c| [c.code, c.name]);
            let help = match did_you_mean(word, names) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "`lanepolicy rule --all` lists the checks".into(),
            };
            return Err((format!("unknown check `{word}`"), help));
        };
        if check.is_error_code() {
            return Err((
                format!(
                    "`{}` ({}) is an error and cannot be suppressed",
                    check.code, check.name
                ),
                "fix the error instead".into(),
            ));
        }
        let code = checks::CHECKS
            .iter()
            .position(|c| std::ptr::eq(c, check))
            .and_then(Code::from_index);
        match code {
            Some(code) if !codes.contains(&code) => codes.push(code),
            Some(code) if !repeated.contains(&code) => repeated.push(code),
            _ => {}
        }
    }
    if codes.is_empty() {
        return Err(("no check to ignore".into(), form));
    }
    let Some(reason_text) = reason_text else {
        return Err((
            "a suppression needs a reason".into(),
            "add `reason=\"why\"`: an auditor reads it".into(),
        ));
    };
    let value = reason_text
        .trim_start()
        .strip_prefix('=')
        .map(str::trim)
        .unwrap_or("");
    let reason = unquote(value)
        .ok_or_else(|| ("`reason` must be a quoted string".to_string(), form.clone()))?;
    // Blank as the bundle loader counts it: white space, invisible
    // characters, and characters drawn as nothing (U+2800, private use,
    // unassigned), so that a bundle `build` writes always loads.
    if crate::model::is_blank(&reason) {
        return Err((
            "the reason is empty".into(),
            "say why the finding does not apply here".into(),
        ));
    }
    Ok((codes, repeated, reason))
}

/// The value of a complete `"..."` string with the language's escapes.
fn unquote(s: &str) -> Option<String> {
    let inner = s.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                '"' => out.push('"'),
                '\\' => out.push('\\'),
                'n' => out.push('\n'),
                't' => out.push('\t'),
                _ => return None,
            },
            '"' => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

/// True when `rest` (what follows `lanepolicy:`) reads `ignore` in any
/// case, then a check's code or name.
fn names_a_check_to_ignore(rest: &str) -> bool {
    let mut words = rest.split([' ', '\t', ',']).filter(|w| !w.is_empty());
    words.next().is_some_and(|w| w.eq_ignore_ascii_case("ignore"))
        && words.next().is_some_and(|w| checks::lookup(w).is_some())
}

/// What starts a suppression comment's text.
const MARKER: &str = "lanepolicy:";

/// The body of a suppression comment, if `text` (a comment's text without
/// its `//` or `#`) is one.
fn body(text: &str) -> Option<&str> {
    text.trim_start().strip_prefix(MARKER)
}

/// True for a line that is a comment: what may stand between a
/// suppression and the rule it applies to. A blank line may not: it
/// detaches the suppression, as it detaches a doc comment, so that one
/// left behind by a deleted rule does not silence the next rule down.
fn comment_line(line: &str) -> bool {
    line.trim().starts_with("//")
}

/// True for a piece of a line that holds nothing (spaces, tabs, the `\r`
/// of a `\r\n`).
fn blank(piece: &str) -> bool {
    piece.trim().is_empty()
}

/// Answers "does the rule at `b` start the line after a run of comment
/// lines that follows the comment ending at `a`?" in O(log n) after one
/// pass over the text, so that n suppressions stacked before one rule
/// cost O(n log n), not n times the text between each and the rule.
struct Gaps<'a> {
    text: &'a str,
    /// Byte offset of each line's start.
    starts: Vec<usize>,
    /// `bad[k]`: how many of lines `0..k` are not comment lines.
    bad: Vec<usize>,
    /// Bytes looked at so far, the first pass included.
    work: usize,
}

impl<'a> Gaps<'a> {
    fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        let mut bad = Vec::with_capacity(starts.len() + 1);
        bad.push(0);
        for (k, &at) in starts.iter().enumerate() {
            let end = starts.get(k + 1).map_or(text.len(), |next| next - 1);
            bad.push(bad[k] + usize::from(!comment_line(&text[at..end])));
        }
        Gaps {
            text,
            starts,
            bad,
            work: text.len(),
        }
    }

    /// The 0-based line holding byte `offset`.
    fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset) - 1
    }

    /// True when the comment `text[c..a]` stands alone on its line and
    /// the rule at `b` starts a later line, with only comment lines in
    /// between; `last` is the verdict on the piece from `b`'s line start
    /// to `b`, when the caller knows it.
    fn right_before(&mut self, c: usize, a: usize, b: usize, last: &mut Option<bool>) -> bool {
        let (lc, la, lb) = (self.line(c), self.line(a), self.line(b));
        if la == lb || lc != la {
            return false;
        }
        // Nothing before the comment on its line (a suppression after a
        // rule's text is no suppression of the next rule), nothing after.
        let before = &self.text[self.starts[lc]..c];
        let after = &self.text[a..self.starts[la + 1] - 1];
        self.work += before.len() + after.len();
        if !blank(before) || !blank(after) || self.bad[lb] != self.bad[la + 1] {
            return false;
        }
        *last.get_or_insert_with(|| {
            self.work += b - self.starts[lb];
            blank(&self.text[self.starts[lb]..b])
        })
    }
}

/// The suppressions of a policy file; malformed ones become E002 diagnostics.
pub fn from_policy(
    file: FileId,
    text: &str,
    parsed: &ast::File,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Suppression> {
    from_policy_counted(file, text, parsed, diags).0
}

/// [`from_policy`], and how many bytes of text it looked at to place the
/// suppressions (in its tests: bounded by a multiple of the text's length).
fn from_policy_counted(
    file: FileId,
    text: &str,
    parsed: &ast::File,
    diags: &mut Vec<Diagnostic>,
) -> (Vec<Suppression>, usize) {
    let mut out = Vec::new();
    let mut invalid = invalid_suppression::Reports::new(file);
    let mut gaps: Option<Gaps> = None;
    // The verdict on the start of the line of the rule last looked at.
    let mut last_piece: (usize, Option<bool>) = (usize::MAX, None);
    for c in &parsed.comments {
        // Written almost as a suppression, it would silence nothing and
        // say nothing: `/// lanepolicy: ...` (a doc comment),
        // `// LanePolicy: ...` (the marker in another case).
        // Only a comment that goes on to ignore a check by its code or
        // name: prose that starts "LanePolicy: this file..." is prose.
        let said = c.text.trim_start();
        let marker = said.get(..MARKER.len());
        let near = marker.is_some_and(|m| m.eq_ignore_ascii_case(MARKER))
            && names_a_check_to_ignore(&said[MARKER.len()..]);
        if near && (c.doc || marker != Some(MARKER)) {
            invalid.push(
                diags,
                c.span,
                "it is not written as a suppression",
                "write `// lanepolicy: ignore CODE reason=\"why\"`: two slashes, `lanepolicy:` in lower case",
            );
            continue;
        }
        if c.doc {
            continue;
        }
        let Some(b) = body(&c.text) else { continue };
        match parse(b) {
            Err((problem, help)) => invalid.push(diags, c.span, &problem, &help),
            Ok((codes, repeated, reason)) => {
                // The next rule (rules are in source order), on the line
                // right after the comment or after more comment lines.
                let k = parsed.rules.partition_point(|r| r.span.start < c.span.end);
                let next = parsed.rules.get(k);
                let right_before = next.is_some_and(|r| {
                    if last_piece.0 != k {
                        last_piece = (k, None);
                    }
                    gaps.get_or_insert_with(|| Gaps::new(text)).right_before(
                        c.span.start,
                        c.span.end,
                        r.span.start,
                        &mut last_piece.1,
                    )
                });
                match next {
                    Some(rule) if right_before => out.push(Suppression {
                        file,
                        span: c.span,
                        codes,
                        repeated,
                        reason,
                        target: rule.span,
                    }),
                    _ => invalid.push(
                        diags,
                        c.span,
                        "it is not on the lines right before a rule",
                        "put the comment on a line of its own right before the rule it is about: a blank line, or text before the comment on its line, detaches it",
                    ),
                }
            }
        }
    }
    invalid.finish(diags);
    (out, gaps.map_or(0, |g| g.work))
}

/// The suppressions of a YAML file (`# lanepolicy: ignore ...`), each
/// applying to the next line that is neither blank nor a comment.
pub fn from_yaml(file: FileId, text: &str, diags: &mut Vec<Diagnostic>) -> Vec<Suppression> {
    let mut out = Vec::new();
    let mut invalid = invalid_suppression::Reports::new(file);
    let mut offset = 0;
    let lines: Vec<(usize, &str)> = text
        .split_inclusive('\n')
        .map(|l| {
            let at = offset;
            offset += l.len();
            (at, l)
        })
        .collect();
    // For each line, the first line from it on that is neither blank nor a
    // comment (one pass from the end, so stacked comments stay linear).
    let mut next_content = vec![None; lines.len() + 1];
    for (k, &(_, line)) in lines.iter().enumerate().rev() {
        let content = !line.trim().is_empty() && !line.trim_start().starts_with('#');
        next_content[k] = if content { Some(k) } else { next_content[k + 1] };
    }
    for (k, &(at, line)) in lines.iter().enumerate() {
        // The line without its indentation and its line end.
        let trimmed = line.trim();
        let Some(comment) = trimmed.strip_prefix('#') else {
            continue;
        };
        let Some(b) = body(comment) else { continue };
        let start = at + (line.len() - line.trim_start().len());
        let span = Span::new(start, at + line.trim_end().len());
        match parse(b) {
            Err((problem, help)) => invalid.push(diags, span, &problem, &help),
            Ok((codes, repeated, reason)) => {
                let next = next_content[k + 1].map(|n| &lines[n]);
                match next {
                    Some(&(n_at, n_line)) => out.push(Suppression {
                        file,
                        span,
                        codes,
                        repeated,
                        reason,
                        target: Span::new(n_at, n_at + n_line.trim_end().len()),
                    }),
                    None => invalid.push(
                        diags,
                        span,
                        "it stands before nothing",
                        "put the comment on the line right before the line it is about",
                    ),
                }
            }
        }
    }
    invalid.finish(diags);
    out
}

/// Marks the diagnostics that a suppression covers, and adds an L014 for
/// every suppressed code that silenced nothing (unless `is_off(code)`).
pub fn apply(
    suppressions: &[Suppression],
    diags: &mut Vec<Diagnostic>,
    is_off: impl Fn(Code) -> bool,
) {
    apply_counted(suppressions, diags, is_off);
}

/// [`apply`], and how many targets it looked at for the diagnostics (in
/// its tests: bounded by the diagnostics, whatever the suppressions).
fn apply_counted(
    suppressions: &[Suppression],
    diags: &mut Vec<Diagnostic>,
    is_off: impl Fn(Code) -> bool,
) -> usize {
    let mut used = vec![Vec::new(); suppressions.len()];
    // Per file: the distinct targets sorted by start, each with its codes
    // and, per code, the first suppression that names it (the one a
    // finding is credited to), and the longest target. A diagnostic at `p`
    // looks only at the targets that start in [p - longest, p], not at
    // every suppression: many suppressions stacked before one rule are one
    // target.
    let mut by_file: HashMap<FileId, (Vec<Target>, usize)> = HashMap::new();
    for (k, s) in suppressions.iter().enumerate() {
        let end = s.target.end.max(s.target.start + 1);
        let e = by_file.entry(s.file).or_default();
        e.0.push((s.target.start, end, k));
        e.1 = e.1.max(end - s.target.start);
    }
    let by_file: HashMap<FileId, (Vec<Group>, usize)> = by_file
        .into_iter()
        .map(|(file, (mut targets, longest))| {
            targets.sort_unstable();
            let mut groups: Vec<Group> = Vec::new();
            for (start, end, k) in targets {
                if groups.last().is_none_or(|g| (g.0, g.1) != (start, end)) {
                    groups.push((start, end, Vec::new()));
                }
                let codes = &mut groups.last_mut().expect("pushed above").2;
                for &code in &suppressions[k].codes {
                    if !codes.iter().any(|&(c, _)| c == code) {
                        codes.push((code, k));
                    }
                }
            }
            (file, (groups, longest))
        })
        .collect();
    let mut work = 0;
    for d in diags.iter_mut() {
        if d.check().is_error_code() {
            continue;
        }
        let Some((groups, longest)) = by_file.get(&d.file) else {
            continue;
        };
        let p = d.span.start;
        let upto = groups.partition_point(|g| g.0 <= p);
        let from = groups[..upto].partition_point(|g| g.0 < p.saturating_sub(*longest));
        work += upto - from;
        let hit = groups[from..upto]
            .iter()
            .filter(|g| p < g.1)
            .filter_map(|g| g.2.iter().find(|&&(c, _)| c == d.code).map(|&(_, k)| k))
            .min();
        if let Some(k) = hit {
            d.suppressed = Some(suppressions[k].reason.clone());
            used[k].push(d.code);
        }
    }
    for (s, used) in suppressions.iter().zip(used) {
        for code in s.codes.iter().filter(|c| !used.contains(c) && !is_off(**c)) {
            diags.push(unused_suppression::diagnostic(s.file, s.span, *code));
        }
        for code in s.repeated.iter().filter(|c| !is_off(**c)) {
            diags.push(unused_suppression::repeated(s.file, s.span, *code));
        }
    }
    work
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suppressions_parse_codes_names_and_escaped_reasons() {
        let (codes, repeated, reason) =
            parse(" ignore L012, shared-confirmation reason=\"two \\\"named\\\" lanes\"").unwrap();
        assert_eq!(codes, vec![Code::L012, Code::L013]);
        assert!(repeated.is_empty());
        // A check listed again, by its code or by its name: kept once, and
        // told as repeated.
        let (codes, repeated, _) =
            parse(" ignore L012, wildcard-touches-production, L012, L013 reason=\"x\"").unwrap();
        assert_eq!((codes, repeated), (vec![Code::L012, Code::L013], vec![Code::L012]));
        assert_eq!(reason, "two \"named\" lanes");
        assert!(
            parse(" ignore L012")
                .unwrap_err()
                .0
                .contains("needs a reason")
        );
        for blank in ["", " ", "\u{2800}", "\u{e000}", "\u{3000}\u{200b}"] {
            assert!(
                parse(&format!(" ignore L012 reason=\"{blank}\""))
                    .unwrap_err()
                    .0
                    .contains("empty"),
                "{blank:?}"
            );
        }
        assert!(
            parse(" ignore E101 reason=\"x\"")
                .unwrap_err()
                .0
                .contains("cannot be suppressed")
        );
        assert!(
            parse(" ignore L999 reason=\"x\"")
                .unwrap_err()
                .0
                .contains("unknown check")
        );
        assert!(
            parse(" allow L012 reason=\"x\"")
                .unwrap_err()
                .0
                .contains("expected `ignore`")
        );
        assert!(
            parse(" ignore L012 reason=x")
                .unwrap_err()
                .0
                .contains("quoted")
        );
    }

    /// `n` suppressions of L012 stacked before one rule.
    fn stacked(n: usize) -> String {
        "// lanepolicy: ignore L012 reason=\"x\"\n".repeat(n)
            + "allow deploy on ctx0/* until launch issue=#1 confirm=\"deploy {lane}\"\n"
    }

    #[test]
    fn stacked_suppressions_look_at_the_text_a_bounded_number_of_times() {
        for n in [10, 1000, 20_000] {
            let text = stacked(n);
            let parsed = crate::syntax::parse_file(&text);
            let mut diags = Vec::new();
            let (found, work) = from_policy_counted(0, &text, &parsed, &mut diags);
            assert!(diags.is_empty(), "{diags:?}");
            assert_eq!(found.len(), n);
            assert!(found.iter().all(|s| s.target == parsed.rules[0].span));
            // One pass over the text, and a few bytes per comment; never
            // the text between each comment and the rule.
            assert!(work <= text.len() + 100 * n, "n={n}: {work} bytes");
        }
        // A line of code between a comment and the rule still separates them.
        let text = format!("// lanepolicy: ignore L012 reason=\"x\"\nallow deploy on ctx0/lane0 until launch issue=#1\n{}", stacked(2));
        let parsed = crate::syntax::parse_file(&text);
        let mut diags = Vec::new();
        let (found, _) = from_policy_counted(0, &text, &parsed, &mut diags);
        assert_eq!(found.len(), 3);
        assert_eq!(found[0].target, parsed.rules[0].span);
        assert_eq!(found[1].target, parsed.rules[1].span);
    }

    /// A suppression applies to the rule that starts the line right after
    /// it, or after more comment lines (doc comments, other suppressions);
    /// a blank line, text before it on its line, or a rule that does not
    /// start its line detaches it, and a detached one is E002.
    #[test]
    fn a_suppression_applies_only_to_the_rule_right_after_it() {
        let sup = "// lanepolicy: ignore L001 reason=\"x\"";
        let rule = "allow deploy on ctx0/lane0 until launch";
        let placed = |text: &str| {
            let parsed = crate::syntax::parse_file(text);
            let mut diags = Vec::new();
            let (found, _) = from_policy_counted(0, text, &parsed, &mut diags);
            let targets: Vec<usize> = found
                .iter()
                .map(|s| parsed.rules.iter().position(|r| r.span == s.target).unwrap())
                .collect();
            let e002: Vec<String> = diags
                .iter()
                .filter(|d| d.code == Code::E002)
                .map(|d| d.message.clone())
                .collect();
            (targets, e002)
        };
        for attached in [
            format!("{sup}\n{rule}\n"),
            format!("  {sup}\r\n\t{rule}\r\n"),
            format!("{sup}\n/// what it is for\n// note\n{sup}\n{rule}\n"),
        ] {
            let (targets, e002) = placed(&attached);
            assert!(e002.is_empty(), "{attached:?}: {e002:?}");
            assert!(!targets.is_empty() && targets.iter().all(|&t| t == 0), "{attached:?}");
        }
        for detached in [
            format!("{sup}\n\n{rule}\n"),
            format!("{sup}\n{}\n// ---- section ----\n\n{rule}\n", "\n".repeat(30)),
            format!("deny deploy on ctx0/lane1 {sup}\n{rule}\n"),
        ] {
            let (targets, e002) = placed(&detached);
            assert!(targets.is_empty(), "{detached:?}: {targets:?}");
            assert_eq!(e002.len(), 1, "{detached:?}");
            assert!(e002[0].contains("not on the lines right before a rule"), "{e002:?}");
        }
        // Almost a suppression: told, not taken for a plain comment.
        for near in [
            format!("/{sup}\n{rule}\n"),
            format!("{}\n{rule}\n", sup.replace("lanepolicy:", "LanePolicy:")),
        ] {
            let (targets, e002) = placed(&near);
            assert!(targets.is_empty(), "{near:?}");
            assert_eq!(e002.len(), 1, "{near:?}");
            assert!(e002[0].contains("not written as a suppression"), "{e002:?}");
        }
        // Prose that starts so is prose.
        for prose in [
            format!("/// lanepolicy: this file is owned by the platform team\n{rule}\n"),
            format!("// Lanepolicy: Ignore the staging lanes, they are managed elsewhere\n{rule}\n"),
        ] {
            let (_, e002) = placed(&prose);
            assert!(e002.is_empty(), "{prose:?}: {e002:?}");
        }
    }

    #[test]
    fn stacked_suppressions_are_one_target_for_the_diagnostics() {
        let text = stacked(1);
        let parsed = crate::syntax::parse_file(&text);
        let rule = parsed.rules[0].span;
        for n in [10, 1000, 20_000] {
            let suppressions: Vec<Suppression> = (0..n)
                .map(|k| Suppression {
                    file: 0,
                    span: Span::new(k, k + 1),
                    codes: vec![Code::L012],
                    repeated: Vec::new(),
                    reason: format!("r{k}"),
                    target: rule,
                })
                .collect();
            let m = 100;
            let mut diags: Vec<Diagnostic> = (0..m)
                .map(|_| Diagnostic::new(Code::L012, 0, rule, "x".to_string()))
                .collect();
            let work = apply_counted(&suppressions, &mut diags, |_| false);
            assert!(work <= m, "n={n}: {work} targets looked at");
            // The first suppression silences them all; the others are unused.
            assert!(diags[..m].iter().all(|d| d.suppressed.as_deref() == Some("r0")));
            assert_eq!(diags.len(), m + n - 1);
            assert!(diags[m..].iter().all(|d| d.code == Code::L014));
        }
    }
}

//! The formatter: one canonical layout for policy files, every comment kept.
//!
//! The layout (`docs/fmt.md` shows it with an example):
//!
//! - each rule starts at column 0, and one blank line separates rules;
//! - a rule with at most one clause is one line; a rule with more clauses
//!   puts its head (`allow ACTIONS on LANES`) on the first line and each
//!   clause on a line of its own, indented four spaces;
//! - actions, lanes and clauses stay in written order; a list is written
//!   `a, b`, a clause with a value `issue=#573` or `confirm="..."`;
//! - strings are written with the language's escapes (`\"` `\\` `\n` `\t`),
//!   issue numbers without leading zeros;
//! - trailing spaces go, and the file ends with one line end. The line-end
//!   style of the file (`\n` or `\r\n`, as its first line end) and a byte
//!   order mark are kept.
//!
//! Comments stay where they belong. A comment after code stays at the end of
//! that line. A comment on its own line stays before the rule or clause it
//! precedes: above a rule at column 0, inside a rule indented like a clause;
//! comments after the last rule stay at the end of the file. Blank lines
//! between the comments above a rule are kept (at most one), so a rule's
//! `///` description, or a suppression comment, stays attached exactly as
//! it was. A comment inside a line (between two actions, say) breaks that
//! line there, and the rest of it continues four spaces deeper.
//!
//! [`format_source`] refuses text that does not parse, and checks its own
//! output before returning it: the output must parse to the same rules, doc
//! comments included, and hold the same comments in the same order.

use crate::checks::Code;
use crate::config::{self, Config};
use crate::diagnostic::Diagnostic;
use crate::project::{self, Failure, MAX_SOURCE_BYTES};
use crate::source::{SourceFile, SourceMap, Span, decode, display_path, read_limited};
use crate::syntax::ast::{Clause, ClauseKind, Comment, File, IssueRef, Retire, Rule, SyntaxError};
use crate::syntax::{parse_file, syntax_error};
use std::path::{Path, PathBuf};

/// One level of indentation: four spaces.
pub(crate) const INDENT: &str = "    ";

const BOM: char = '\u{feff}';

/// Why a text could not be formatted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatError {
    /// The text does not parse: these are its syntax errors (E001), in
    /// source order. Nothing was formatted.
    Syntax(Vec<SyntaxError>),
    /// The formatted text would not mean what the original means (a bug in
    /// the formatter, caught by its own check). Nothing was formatted.
    Meaning(String),
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FormatError::Syntax(errors) => write!(
                f,
                "the text does not parse ({} syntax error{})",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" }
            ),
            FormatError::Meaning(why) => write!(
                f,
                "formatting would change the meaning of the file ({why}); it was left as it is. \
                 This is a bug in `lanepolicy fmt`: please report it with the file"
            ),
        }
    }
}

impl std::error::Error for FormatError {}

/// Formats a policy text in the canonical layout.
///
/// `text` is the whole file as UTF-8 (a leading byte order mark is kept).
/// Returns the formatted text, which equals `text` when it is already
/// canonical, or the syntax errors when the text does not parse.
pub fn format_source(text: &str) -> Result<String, FormatError> {
    let file = parse_file(text);
    if !file.errors.is_empty() {
        return Err(FormatError::Syntax(file.errors));
    }
    let out = Printer::new(text, &file).print();
    verify(&file, &out)?;
    Ok(out)
}

/// Checks that `out` parses to the same rules and comments as `before`.
fn verify(before: &File, out: &str) -> Result<(), FormatError> {
    let after = parse_file(out);
    if let Some(e) = after.errors.first() {
        return Err(FormatError::Meaning(format!(
            "the output does not parse: {}",
            e.message
        )));
    }
    if before.rules.len() != after.rules.len() {
        return Err(FormatError::Meaning(format!(
            "{} rules became {}",
            before.rules.len(),
            after.rules.len()
        )));
    }
    for (k, (a, b)) in before.rules.iter().zip(&after.rules).enumerate() {
        if a.without_spans() != b.without_spans() {
            return Err(FormatError::Meaning(format!("rule {} changed", k + 1)));
        }
    }
    // Compared side by side, without a copy of either file's comments (a
    // file of a million comment lines held four more lists of them).
    if !before
        .comments
        .iter()
        .map(|c| &c.text)
        .eq(after.comments.iter().map(|c| &c.text))
    {
        return Err(FormatError::Meaning("the comments changed".into()));
    }
    if !places(before).eq(places(&after)) {
        return Err(FormatError::Meaning(
            "a comment moved into, out of or past a rule".into(),
        ));
    }
    Ok(())
}

/// For each comment, how many rules start before it and whether it is
/// inside one. What a comment applies to (a suppression, say) depends on
/// this alone, so formatting keeps it.
fn places(file: &File) -> impl Iterator<Item = (usize, bool)> + '_ {
    file.comments.iter().map(|c| {
        let k = file.rules.partition_point(|r| r.span.start < c.span.start);
        let inside = k > 0 && c.span.start < file.rules[k - 1].span.end;
        (k, inside)
    })
}

/// A piece of a formatted line that is never split: a keyword, a list item
/// with its comma, `issue=`. `start` is where its token begins in the
/// source; a comment is placed after the last atom that begins before it,
/// so a comment inside a rule stays inside it (the last atom is the rule's
/// last token) and one between rules stays between them. `glued` atoms
/// follow the previous one without a space (`issue=` `#573`).
struct Atom {
    text: String,
    start: usize,
    glued: bool,
}

impl Atom {
    fn new(text: impl Into<String>, start: usize) -> Self {
        Atom {
            text: text.into(),
            start,
            glued: false,
        }
    }

    fn glued(text: impl Into<String>, start: usize) -> Self {
        Atom {
            glued: true,
            ..Atom::new(text, start)
        }
    }
}

/// A comment, and whether it stands alone on its line (rather than after
/// code).
#[derive(Clone, Copy)]
struct Placed<'a> {
    comment: &'a Comment,
    own_line: bool,
}

struct Printer<'a> {
    src: &'a str,
    file: &'a File,
    /// Each comment, with whether it stands alone on its line.
    comments: Vec<Placed<'a>>,
    out: String,
}

impl<'a> Printer<'a> {
    fn new(src: &'a str, file: &'a File) -> Self {
        let comments = file
            .comments
            .iter()
            .map(|c| Placed {
                comment: c,
                own_line: line_prefix(src, c.span.start).trim().is_empty(),
            })
            .collect();
        Printer {
            src,
            file,
            comments,
            out: String::with_capacity(src.len() + src.len() / 8),
        }
    }

    /// The comment's text as written, without trailing spaces (or a
    /// carriage return, which would read as part of a line end).
    fn comment_text(&self, c: &Comment) -> &'a str {
        self.src[c.span.start..c.span.end].trim_end_matches([' ', '\t', '\r'])
    }

    /// True when a blank line separates source offsets `from` and `to`.
    fn blank_between(&self, from: usize, to: usize) -> bool {
        self.src[from..to].matches('\n').count() > 1
    }

    fn print(mut self) -> String {
        let rules = &self.file.rules;
        let mut next = 0; // the first comment not yet printed
        for (k, rule) in rules.iter().enumerate() {
            // A blank line after the previous rule, then the comments above
            // this one, at column 0.
            if !self.out.is_empty() {
                self.out.push('\n');
            }
            let lead_end = self.first_comment_from(next, rule.span.start);
            if let Some(end) = self.comment_lines(next..lead_end)
                && self.blank_between(end, rule.span.start)
            {
                self.out.push('\n');
            }

            // The rule, the comments inside it, and the one at the end of
            // its last line. Comments on lines of their own below it go with
            // the next rule (or the end of the file).
            let inside_end = self.first_comment_from(lead_end, rule.span.end);
            let next_rule = rules.get(k + 1).map_or(usize::MAX, |r| r.span.start);
            let kept = match self.comments.get(inside_end) {
                Some(p) if !p.own_line && p.comment.span.start < next_rule => inside_end + 1,
                _ => inside_end,
            };
            self.rule(rule, lead_end..kept);
            next = kept;
        }
        // Comments after the last rule (or of a file without rules).
        if next < self.comments.len() && !self.out.is_empty() {
            self.out.push('\n');
        }
        self.comment_lines(next..self.comments.len());
        self.finish()
    }

    /// Prints the comments `range` (indices) at column 0, one a line, with a
    /// blank line where the source has one between two of them. Returns
    /// the source end of the last one.
    fn comment_lines(&mut self, range: std::ops::Range<usize>) -> Option<usize> {
        let mut prev_end = None;
        for i in range {
            let c = self.comments[i].comment;
            if let Some(end) = prev_end
                && self.blank_between(end, c.span.start)
            {
                self.out.push('\n');
            }
            self.out.push_str(self.comment_text(c));
            self.out.push('\n');
            prev_end = Some(c.span.end);
        }
        prev_end
    }

    /// Applies the file's byte order mark and line-end style.
    fn finish(self) -> String {
        let bom = self.src.starts_with(BOM);
        let crlf = self
            .src
            .find('\n')
            .is_some_and(|k| self.src[..k].ends_with('\r'));
        let mut out = if crlf {
            self.out.replace('\n', "\r\n")
        } else {
            self.out
        };
        if bom {
            out.insert(0, BOM);
        }
        out
    }

    /// Where keyword `kw` is written between bytes `from` and `to`, outside
    /// comments.
    fn keyword_between(&self, kw: &str, from: usize, to: usize) -> Option<usize> {
        self.src
            .get(from..to)?
            .match_indices(kw)
            .map(|(k, _)| from + k)
            .find(|&at| !self.in_comment(at))
    }

    /// True when byte `at` is inside a comment.
    fn in_comment(&self, at: usize) -> bool {
        let k = self
            .comments
            .partition_point(|p| p.comment.span.start <= at);
        k > 0 && self.comments[k - 1].comment.span.end > at
    }

    /// The index of the first comment at or after `from` that starts at or
    /// after source offset `offset`.
    fn first_comment_from(&self, from: usize, offset: usize) -> usize {
        from + self.comments[from..].partition_point(|p| p.comment.span.start < offset)
    }

    /// Prints one rule with the comments `comments` (indices), each placed
    /// after the last atom that starts before it.
    fn rule(&mut self, rule: &Rule, comments: std::ops::Range<usize>) {
        let lines = self.rule_lines(rule);
        let mut placed = comments.peekable();
        let starts: Vec<usize> = lines.iter().flatten().map(|a| a.start).collect();
        let mut index = 0; // global atom index
        for (li, line) in lines.iter().enumerate() {
            let indent = if li == 0 { "" } else { INDENT };
            let deeper = if li == 0 { INDENT } else { "        " };
            self.out.push_str(indent);
            let mut broken = false;
            for (ai, atom) in line.iter().enumerate() {
                if ai > 0 {
                    if broken {
                        self.out.push('\n');
                        self.out.push_str(deeper);
                        broken = false;
                    } else if !atom.glued {
                        self.out.push(' ');
                    }
                }
                self.out.push_str(&atom.text);
                // The comments that come before the next atom: the first
                // stays at the end of this line if it followed code; the
                // others go on lines of their own, indented like what follows.
                let next_start = starts.get(index + 1).copied();
                let own_indent = if ai + 1 < line.len() { deeper } else { INDENT };
                let mut first = true;
                while let Some(&i) = placed.peek() {
                    let p = self.comments[i];
                    if next_start.is_some_and(|s| p.comment.span.start >= s) {
                        break;
                    }
                    placed.next();
                    if first && !p.own_line {
                        self.out.push(' ');
                    } else {
                        self.out.push('\n');
                        self.out.push_str(own_indent);
                    }
                    self.out.push_str(self.comment_text(p.comment));
                    broken = true;
                    first = false;
                }
                index += 1;
            }
            self.out.push('\n');
        }
    }

    /// The rule's atoms, line by line: the head and, when the rule has more
    /// than one clause, one line per clause; otherwise a single line.
    fn rule_lines(&self, rule: &Rule) -> Vec<Vec<Atom>> {
        let mut head = vec![Atom::new(rule.effect.as_str(), rule.keyword_span.start)];
        let n = rule.actions.len();
        for (k, a) in rule.actions.iter().enumerate() {
            head.push(Atom::new(listed(&a.name, k + 1 < n), a.span.start));
        }
        // `on` is an atom of its own where it is written, so that a comment
        // after it stays after it (`allow x on // why` moved before `on`).
        let on = rule
            .actions
            .last()
            .zip(rule.patterns.first())
            .and_then(|(a, p)| self.keyword_between("on", a.span.end, p.span.start));
        if let Some(at) = on {
            head.push(Atom::new("on", at));
        }
        let n = rule.patterns.len();
        for (k, p) in rule.patterns.iter().enumerate() {
            let text = listed(&p.text(), k + 1 < n);
            let text = if k == 0 && on.is_none() {
                format!("on {text}")
            } else {
                text
            };
            head.push(Atom::new(text, p.span.start));
        }
        let clauses: Vec<Vec<Atom>> = rule.clauses.iter().map(|c| self.clause(c)).collect();
        if clauses.len() <= 1 {
            head.extend(clauses.into_iter().flatten());
            vec![head]
        } else {
            std::iter::once(head).chain(clauses).collect()
        }
    }

    /// One clause's atoms: `until` and its conditions, `issue=` and the
    /// reference, `requires` and its proofs, ...
    fn clause(&self, c: &Clause) -> Vec<Atom> {
        let kw = c.kind.keyword();
        let at = c.keyword_span.start;
        match &c.kind {
            ClauseKind::Until(conds) => {
                let mut atoms = vec![Atom::new(kw, at)];
                let mut prev_end = at;
                for (k, r) in conds.iter().enumerate() {
                    let text = match r {
                        Retire::Event(e) => e.name.clone(),
                        Retire::Date { span, .. } => self.src[span.start..span.end].to_string(),
                    };
                    let start = r.span().start;
                    // `or` is an atom where it is written, as `on` is.
                    let or = (k > 0)
                        .then(|| self.keyword_between("or", prev_end, start))
                        .flatten();
                    if let Some(or_at) = or {
                        atoms.push(Atom::new("or", or_at));
                    }
                    let text = if k == 0 || or.is_some() {
                        text
                    } else {
                        format!("or {text}")
                    };
                    atoms.push(Atom::new(text, start));
                    prev_end = r.span().end;
                }
                atoms
            }
            ClauseKind::Issue(r, span) => {
                let value = match r {
                    IssueRef::Local(n) => format!("#{n}"),
                    IssueRef::GitHub {
                        owner,
                        repo,
                        number,
                    } => format!("{owner}/{repo}#{number}"),
                    IssueRef::Url(u) => quote(u),
                };
                vec![
                    Atom::new(format!("{kw}="), at),
                    Atom::glued(value, span.start),
                ]
            }
            ClauseKind::Confirm(s) | ClauseKind::Reason(s) => vec![
                Atom::new(format!("{kw}="), at),
                Atom::glued(quote(&s.value), s.span.start),
            ],
            ClauseKind::Requires(proofs) => {
                let mut atoms = vec![Atom::new(kw, at)];
                let n = proofs.len();
                for (k, p) in proofs.iter().enumerate() {
                    atoms.push(Atom::new(listed(&p.name, k + 1 < n), p.span.start));
                }
                atoms
            }
        }
    }
}

/// `item` followed by a comma when more items follow.
fn listed(item: &str, more: bool) -> String {
    if more {
        format!("{item},")
    } else {
        item.to_string()
    }
}

/// The text of the line that `offset` is on, up to `offset`.
fn line_prefix(src: &str, offset: usize) -> &str {
    let start = src[..offset].rfind('\n').map_or(0, |k| k + 1);
    src[start..offset].trim_start_matches(BOM)
}

/// A string literal for `value`, with the language's escapes.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// What formatting one file found. Nothing is written here: the caller
/// writes [`FileOutcome::Changed`] files with `write_atomic`, or shows them.
#[derive(Debug)]
pub enum FileOutcome {
    /// The file is already in the canonical layout.
    Unchanged,
    /// The file is not in the canonical layout: its text and the formatted
    /// text (both with the file's byte order mark, if any).
    Changed {
        /// The text as read.
        before: String,
        /// The formatted text.
        after: String,
    },
    /// The file does not parse, or is not UTF-8: E001 diagnostics against
    /// `sources`, ready to render. The file must be left as it is.
    Refused {
        /// The file, for rendering the diagnostics.
        sources: SourceMap,
        /// One E001 diagnostic per syntax error, in source order.
        diagnostics: Vec<Diagnostic>,
    },
}

/// The policy files under `paths`, each with its display path relative to
/// `root`, sorted and each once: the files `check` would read. Directories
/// are searched for `*.policy`, honouring the `include` and `exclude` of the
/// configuration found the way `check` finds it (`lanepolicy.yaml` beside
/// the nearest `lanes.yaml`); a file named explicitly is formatted unless
/// excluded.
///
/// Errors when a path does not exist, a directory cannot be read, or the
/// configuration cannot be read.
pub fn files_to_format(paths: &[PathBuf], root: &Path) -> Result<Vec<(PathBuf, String)>, Failure> {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    // Each path with the configuration of its own project: the paths may
    // come from several (a pre-commit hook passes every changed file).
    let mut files = Vec::new();
    for p in paths {
        let config = configuration(p, &root)?;
        files.extend(project::policy_files(
            std::slice::from_ref(p),
            &root,
            &config,
        )?);
    }
    let mut seen = std::collections::BTreeSet::new();
    files.retain(|p| seen.insert(p.canonicalize().unwrap_or_else(|_| p.clone())));
    files.sort();
    Ok(files
        .into_iter()
        .map(|p| {
            let abs = p.canonicalize().unwrap_or_else(|_| p.clone());
            let shown = display_path(&abs, &root);
            (p, shown)
        })
        .collect())
}

/// The configuration beside the nearest inventory from `first`, or the
/// defaults. A configuration with errors stops the formatter (exit 2):
/// formatting files that an `exclude` meant to protect would be worse than
/// formatting nothing; `check` reports the errors themselves.
fn configuration(first: &Path, root: &Path) -> Result<Config, Failure> {
    let Some(path) = project::find_inventory(first).and_then(|inv| project::config_beside(&inv))
    else {
        return Ok(Config::default());
    };
    let shown = display_path(&path, root);
    let bytes = read_limited(&path, MAX_SOURCE_BYTES).map_err(|message| Failure {
        path: shown.clone(),
        message,
    })?;
    let invalid = || Failure {
        path: shown.clone(),
        message: "the configuration has errors; `lanepolicy check` shows them".into(),
    };
    let decoded = decode(&bytes);
    if decoded.bad.is_some() {
        return Err(invalid());
    }
    let text = decoded.text;
    let base = path.parent().unwrap_or(Path::new("."));
    let (config, errors) = config::load(
        &SourceFile::new(shown.clone(), text, String::new()),
        0,
        base,
    );
    if !errors.is_empty() {
        return Err(invalid());
    }
    Ok(config)
}

/// Reads the policy file at `path` (shown as `shown` in diagnostics) and
/// formats it, without writing anything.
///
/// Errors (exit code 2 in the CLI) when the file cannot be read, is not a
/// regular file, is over [`MAX_SOURCE_BYTES`], or the formatter's own check
/// fails
/// ([`FormatError::Meaning`]). A file that is not UTF-8 or does not parse is
/// [`FileOutcome::Refused`].
pub fn format_file(path: &Path, shown: &str) -> Result<FileOutcome, Failure> {
    let fail = |message: String| Failure {
        path: shown.to_string(),
        message,
    };
    let bytes = read_limited(path, MAX_SOURCE_BYTES).map_err(fail)?;
    let decoded = decode(&bytes);
    if let Some(bad) = decoded.bad {
        let valid = bad.text_offset;
        let end = decoded.text[valid..]
            .chars()
            .next()
            .map_or(valid, |c| valid + c.len_utf8());
        let mut sources = SourceMap::default();
        let id = sources.add(SourceFile::new(shown, decoded.text, String::new()));
        let d = syntax_error::not_utf8(Code::E001, id, Span::new(valid, end), bad.byte_offset);
        return Ok(FileOutcome::Refused {
            sources,
            diagnostics: vec![d],
        });
    }
    // The formatter keeps a byte order mark.
    let text = if decoded.bom {
        format!("{BOM}{}", decoded.text)
    } else {
        decoded.text
    };
    match format_source(&text) {
        Ok(after) if after == text => Ok(FileOutcome::Unchanged),
        Ok(after) => Ok(FileOutcome::Changed {
            before: text,
            after,
        }),
        Err(FormatError::Syntax(errors)) => {
            // Diagnostics are shown against the text without its byte order
            // mark, as `check` shows them.
            let bom = if text.starts_with(BOM) {
                BOM.len_utf8()
            } else {
                0
            };
            let mut sources = SourceMap::default();
            let id = sources.add(SourceFile::new(
                shown,
                text[bom..].to_string(),
                String::new(),
            ));
            let diagnostics = errors
                .into_iter()
                .map(|mut e| {
                    e.span = Span::new(
                        e.span.start.saturating_sub(bom),
                        e.span.end.saturating_sub(bom),
                    );
                    syntax_error::diagnostic(id, &e)
                })
                .collect();
            Ok(FileOutcome::Refused {
                sources,
                diagnostics,
            })
        }
        Err(e @ FormatError::Meaning(_)) => Err(fail(e.to_string())),
    }
}

pub(crate) use crate::project::write_atomic;

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(s: &str) -> String {
        format_source(s).unwrap_or_else(|e| panic!("{e}: {s}"))
    }

    #[test]
    fn a_rule_with_one_clause_is_one_line() {
        assert_eq!(
            fmt("allow  a,b  on x/y ,z/w\n   until launch"),
            "allow a, b on x/y, z/w until launch\n"
        );
    }

    #[test]
    fn a_rule_with_more_clauses_has_one_clause_per_line() {
        assert_eq!(
            fmt("deny a on x/y until launch or 2027-01-31 issue = #0573 reason = \"r\""),
            "deny a on x/y\n    until launch or 2027-01-31\n    issue=#573\n    reason=\"r\"\n"
        );
    }

    #[test]
    fn strings_are_written_with_escapes() {
        assert_eq!(
            fmt("allow a on x/y confirm=\"a\\tb é \\\" \\\\ \\n\""),
            "allow a on x/y confirm=\"a\\tb é \\\" \\\\ \\n\"\n"
        );
    }

    #[test]
    fn trailing_and_own_line_comments_stay_in_place() {
        let src = "// head\n\n/// doc\nallow a on x/y // after head\n  // before until\n  until launch issue=#1 // after issue\n";
        assert_eq!(
            fmt(src),
            "// head\n\n/// doc\nallow a on x/y // after head\n    // before until\n    until launch\n    issue=#1 // after issue\n"
        );
    }

    /// A comment after `on` stays after it, at the end of its line.
    #[test]
    fn a_comment_after_on_stays_after_it() {
        let src =
            "allow empty_bootstrap on // c2\n cm/testing until launch issue=#573 confirm=\"x\"\n";
        let out = fmt(src);
        assert!(out.starts_with("allow empty_bootstrap on // c2\n"), "{out}");
        assert_eq!(fmt(&out), out);
        // `on` inside a comment before it is not the keyword.
        let src = "allow deploy // not on here\n  on cm/testing until launch issue=#573\n";
        let out = fmt(src);
        assert!(out.starts_with("allow deploy // not on here\n"), "{out}");
        assert!(out.contains("on cm/testing"), "{out}");
        assert_eq!(fmt(&out), out);
        // And after `or`.
        let src =
            "allow deploy on cm/testing until launch or // why the date\n 2030-01-01 issue=#1\n";
        let out = fmt(src);
        assert!(out.contains("until launch or // why the date\n"), "{out}");
        assert_eq!(fmt(&out), out);
    }

    #[test]
    fn a_comment_inside_a_list_breaks_the_line() {
        assert_eq!(
            fmt("allow a, // first\n b on x/y"),
            "allow a, // first\n    b on x/y\n"
        );
    }

    #[test]
    fn crlf_and_bom_are_kept() {
        assert_eq!(
            fmt("\u{feff}allow a on x/y\r\n\r\n\r\ndeny b on x/y\r\n"),
            "\u{feff}allow a on x/y\r\n\r\ndeny b on x/y\r\n"
        );
    }

    #[test]
    fn an_empty_file_stays_empty() {
        assert_eq!(fmt(""), "");
        assert_eq!(fmt(" \n\n"), "");
    }

    #[test]
    fn text_that_does_not_parse_is_refused() {
        assert!(matches!(
            format_source("allow a x/y"),
            Err(FormatError::Syntax(e)) if e.len() == 1
        ));
    }
}

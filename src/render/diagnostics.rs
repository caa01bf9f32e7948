//! Diagnostics for a person (`--format human`, through miette), as the
//! contract's JSON array (`--format json`) and as GitHub Actions workflow
//! commands (`--format github`); SARIF is in [`super::sarif`]. The wording
//! of each diagnostic lives with its check: nothing here invents a message.

use crate::checks::Severity;
use crate::diagnostic::{Diagnostic, Note};
use crate::source::SourceMap;
use serde::Serialize;

/// The contract's JSON form of one diagnostic (`--format json`).
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic<'a> {
    /// Check code, e.g. `L001`.
    pub code: &'static str,
    /// Check name, e.g. `missing-issue`.
    pub name: &'static str,
    /// `error` or `warning`.
    pub severity: Severity,
    /// The message.
    pub message: &'a str,
    /// The file path as shown everywhere.
    pub file: &'a str,
    /// 1-based line of the start.
    pub line: usize,
    /// 1-based character column of the start.
    pub column: usize,
    /// 1-based line of the end.
    pub end_line: usize,
    /// 1-based character column one past the end.
    pub end_column: usize,
    /// The help line, or null.
    pub help: Option<&'a str>,
    /// `{"reason": ...}` when an inline suppression silences it, else null.
    pub suppression: Option<JsonSuppression<'a>>,
}

/// Why a diagnostic is suppressed.
#[derive(Debug, Serialize)]
pub struct JsonSuppression<'a> {
    /// The suppression's reason.
    pub reason: &'a str,
}

/// Renders diagnostics as the contract's JSON array (pretty-printed, with a final newline).
pub fn render_json(diags: &[Diagnostic], sources: &SourceMap) -> String {
    let items: Vec<JsonDiagnostic> = diags
        .iter()
        .map(|d| {
            let file = sources.get(d.file);
            let (line, column) = file.line_col(d.span.start);
            let (end_line, end_column) = file.line_col(d.span.end);
            JsonDiagnostic {
                code: d.check().code,
                name: d.check().name,
                severity: d.severity,
                message: &d.message,
                file: &file.path,
                line,
                column,
                end_line,
                end_column,
                help: d.help.as_deref(),
                suppression: d
                    .suppressed
                    .as_deref()
                    .map(|reason| JsonSuppression { reason }),
            }
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".into());
    out.push('\n');
    out
}

/// Renders diagnostics as GitHub Actions workflow commands, one per line.
/// Suppressed diagnostics are left out.
pub fn render_github(diags: &[Diagnostic], sources: &SourceMap) -> String {
    let mut out = String::new();
    for d in diags.iter().filter(|d| d.suppressed.is_none()) {
        let file = sources.get(d.file);
        let (line, col) = file.line_col(d.span.start);
        let (end_line, end_col) = file.line_col(d.span.end);
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut msg = visible(&d.message);
        if let Some(h) = &d.help {
            msg.push_str("\nhelp: ");
            msg.push_str(&visible(h));
        }
        out.push_str(&format!(
            "::{level} file={},line={line},col={col},endLine={end_line},endColumn={end_col},title={} {}::{}\n",
            escape_property(&file.path),
            d.check().code,
            escape_property(d.check().name),
            escape_data(&msg)
        ));
    }
    out
}

/// `s` with each control or invisible character shown as its escape
/// (`\u{202e}`), line breaks kept: what a person's terminal or a CI log
/// shows of a message, a help line or a label that quotes a value from an
/// input file (a severity or a glob of the configuration, say). JSON and
/// SARIF keep the text as it is.
fn visible(s: &str) -> String {
    s.split('\n')
        .map(crate::model::escape_invisible)
        .collect::<Vec<_>>()
        .join("\n")
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// A diagnostic bound to its source, in the shape miette renders.
#[derive(Debug)]
struct Report {
    message: String,
    code: String,
    severity: miette::Severity,
    help: Option<String>,
    labels: Vec<miette::LabeledSpan>,
    source: Option<Window>,
}

/// The lines of a file around a diagnostic's labels, as miette reads them:
/// offsets and line numbers stay those of the whole file, but only the
/// window is copied and scanned, so rendering many diagnostics of a large
/// file stays linear.
///
/// A control or invisible character of the text (an ESC that would start
/// a terminal sequence, a U+202E that would reverse the rest of the line,
/// a zero-width space; [`crate::model::is_invisible`]) is shown as its
/// escape, `\u{202e}`, as every message shows it; a tab and the line
/// breaks are kept. The offsets after an escape move by what it adds
/// ([`Window::shown_at`]), so labels still point at what they mark.
#[derive(Debug)]
struct Window {
    /// Shown as the snippet's name: `path:line:column`.
    name: String,
    /// The window's text, invisible characters escaped.
    text: String,
    /// Byte offset of the window in the file.
    offset: usize,
    /// 0-based line of the window's first line in the file.
    line: usize,
    /// For each escaped character: the file offset just after it, and the
    /// bytes added so far (through it), in order.
    shifts: Vec<(usize, usize)>,
}

impl Window {
    /// The whole lines of `text` that hold `from..to`, and one line of
    /// context on each side unless it is longer than [`MAX_SNIPPET_LINE`].
    /// Lines are found in the file's line index, not by scanning the text.
    fn new(name: String, file: &crate::source::SourceFile, from: usize, to: usize) -> Window {
        let text = &*file.text;
        let from = from.min(text.len());
        let to = to.clamp(from, text.len());
        let mut start = file.line_span(from).start;
        if start > 0 {
            let before = file.line_span(start - 1);
            if before.len() <= MAX_SNIPPET_LINE {
                start = before.start;
            }
        }
        let mut end = (file.line_span(to).end + 1).min(text.len());
        if end < text.len() {
            let after = file.line_span(end);
            if after.len() <= MAX_SNIPPET_LINE {
                end = (after.end + 1).min(text.len());
            }
        }
        let raw = &text[start..end];
        let mut shown = String::with_capacity(raw.len());
        let mut shifts = Vec::new();
        let mut added = 0;
        let mut chars = raw.char_indices().peekable();
        while let Some((k, c)) = chars.next() {
            let kept = matches!(c, '\t' | '\n')
                || (c == '\r' && chars.peek().is_some_and(|&(_, next)| next == '\n'));
            if kept || !crate::model::is_invisible(c) {
                shown.push(c);
                continue;
            }
            let escape = c.escape_unicode().to_string();
            added += escape.len() - c.len_utf8();
            shown.push_str(&escape);
            shifts.push((start + k + c.len_utf8(), added));
        }
        Window {
            name,
            text: shown,
            offset: start,
            line: file.line_col(start).0 - 1,
            shifts,
        }
    }

    /// Where file offset `at` (in or at the end of the window) is in the
    /// shown text, counted as a file offset: moved by the escapes before it.
    fn shown_at(&self, at: usize) -> usize {
        let before = self.shifts.partition_point(|&(end, _)| end <= at);
        at + before.checked_sub(1).map_or(0, |k| self.shifts[k].1)
    }

    /// `label` moved to where it is in the shown text.
    fn place(&self, label: &miette::LabeledSpan) -> miette::LabeledSpan {
        let from = self.shown_at(label.offset());
        let to = self.shown_at(label.offset() + label.len());
        let span = (from, to - from);
        match (label.primary(), label.label()) {
            (true, text) => {
                miette::LabeledSpan::new_primary_with_span(text.map(str::to_string), span)
            }
            (false, text) => miette::LabeledSpan::new_with_span(text.map(str::to_string), span),
        }
    }
}

impl miette::SourceCode for Window {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let local = span
            .offset()
            .checked_sub(self.offset)
            .ok_or(miette::MietteError::OutOfBounds)?;
        let inner = self
            .text
            .as_str()
            .read_span(&(local, span.len()).into(), before, after)?;
        let data_span = (inner.span().offset() + self.offset, inner.span().len()).into();
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            data_span,
            inner.line() + self.line,
            inner.column(),
            inner.line_count(),
        )))
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

/// A note at most this many lines from its finding is shown in the snippet.
const NEAR_LINES: usize = 8;

/// Lines longer than this (in bytes) are not shown as snippets.
const MAX_SNIPPET_LINE: usize = 1000;

/// A note further than this (in bytes) from its finding is named in the
/// help: with lines of at most [`MAX_SNIPPET_LINE`] bytes, every note within
/// [`NEAR_LINES`] lines is nearer, and the snippet stays bounded in bytes
/// however long the lines between them.
const NEAR_BYTES: usize = (NEAR_LINES + 1) * (MAX_SNIPPET_LINE + 1);

/// The most bytes of text a snippet copies: the labels' lines and a line of
/// context on each side.
#[cfg(test)]
const MAX_WINDOW: usize = NEAR_BYTES + 4 * (MAX_SNIPPET_LINE + 1);

/// Renders diagnostics for a person, with source snippets, labels and help.
/// `color` turns on ANSI colours (the caller decides: a terminal, no `NO_COLOR`).
/// Suppressed diagnostics are left out (the summary line counts them).
pub fn render_human(diags: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    let theme = if color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    // The location line is ours (miette counts columns in bytes; we count
    // characters, as the JSON output does).
    let handler = miette::GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false)
        .without_primary_span_start();
    let mut out = String::new();
    for d in diags.iter().filter(|d| d.suppressed.is_none()) {
        let file = sources.get(d.file);
        let (line, col) = file.line_col(d.span.start);
        let mut labels = vec![miette::LabeledSpan::new_primary_with_span(
            d.label.as_deref().map(visible),
            (d.span.start, d.span.len()),
        )];
        // Snippets of very long lines are unreadable (and beyond what the
        // renderer handles): those diagnostics are shown without one. The
        // length comes from the line index: many findings on one long line
        // cost no scan of it each.
        let line_len = |offset: usize| file.line_span(offset).len();
        let snippet =
            line_len(d.span.start) <= MAX_SNIPPET_LINE && line_len(d.span.end) <= MAX_SNIPPET_LINE;
        // Notes near the finding are labels in its snippet; notes elsewhere
        // (another file, far away in this one, or when there is no snippet)
        // are named in the help.
        let near = |n: &&Note| {
            snippet
                && n.file == d.file
                && file.line_col(n.span.start).0.abs_diff(line) <= NEAR_LINES
                && n.span.start.abs_diff(d.span.start) <= NEAR_BYTES
                && line_len(n.span.start) <= MAX_SNIPPET_LINE
        };
        for n in d.notes.iter().filter(near) {
            labels.push(miette::LabeledSpan::new_with_span(
                Some(visible(&n.label)),
                (n.span.start, n.span.len()),
            ));
        }
        let mut help = d.help.as_deref().map(visible);
        for n in d.notes.iter().filter(|n| !near(n)) {
            let other = sources.get(n.file);
            let (l, c) = other.line_col(n.span.start);
            let extra = format!("{} at {}:{l}:{c}", visible(&n.label), other.path);
            help = Some(match help {
                Some(h) => format!("{h}\n{extra}"),
                None => extra,
            });
        }

        let labels_range = labels.iter().fold((d.span.start, d.span.end), |(a, b), l| {
            (a.min(l.offset()), b.max(l.offset() + l.len()))
        });
        let location = format!("{}:{line}:{col}", file.path);
        let report = Report {
            message: if snippet {
                visible(&d.message)
            } else {
                format!("{} (at {location})", visible(&d.message))
            },
            code: format!("{}({})", d.check().code, d.check().name),
            severity: match d.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
            },
            help,
            labels: Vec::new(),
            source: snippet.then(|| {
                let from = labels_range.0;
                Window::new(location, file, from, labels_range.1)
            }),
        };
        let report = Report {
            labels: match &report.source {
                Some(window) => labels.iter().map(|l| window.place(l)).collect(),
                None => Vec::new(),
            },
            ..report
        };
        let mut s = String::new();
        if handler.render_report(&mut s, &report).is_err() {
            s = format!(
                "{}:{line}:{col}: {}: {}\n",
                file.path,
                d.check().code,
                visible(&d.message)
            );
        }
        out.push_str(&s);
        out.push('\n');
    }
    out
}

/// Only the errors of `diags`, for a person (as [`render_human`]): what
/// `graph` and `test` show when the policies have errors and there is
/// nothing else to show.
pub fn render_errors(diags: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    let errors: Vec<Diagnostic> = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .cloned()
        .collect();
    render_human(&errors, sources, color)
}

/// The closing line of human output: `N errors, M warnings in K files`,
/// and how many findings suppressions silenced, if any. Findings past the
/// cap of one check per file are counted (`Diagnostic::hidden`).
pub fn summary_line(diags: &[Diagnostic], files: usize) -> String {
    // A diagnostic that counts findings past a cap stands for them all.
    let live = |sev: Severity| -> usize {
        diags
            .iter()
            .filter(|d| d.severity == sev && d.suppressed.is_none())
            .map(|d| 1 + d.hidden)
            .sum()
    };
    let (errors, warnings) = (live(Severity::Error), live(Severity::Warning));
    let suppressed: usize = diags
        .iter()
        .filter(|d| d.suppressed.is_some())
        .map(|d| 1 + d.hidden)
        .sum();
    let mut line = format!(
        "{errors} error{}, {warnings} warning{} in {files} file{}",
        plural(errors),
        plural(warnings),
        plural(files)
    );
    if suppressed > 0 {
        line.push_str(&format!(" ({suppressed} suppressed)"));
    }
    line
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// How `check` and `build` print diagnostics (`--format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiagnosticFormat {
    /// Source snippets, labels and help, then the summary line.
    Human,
    /// The contract's JSON array.
    Json,
    /// GitHub Actions workflow commands.
    Github,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
}

/// One project's findings, as `check` reports them.
pub struct Project<'a> {
    /// The inventory, as shown; named on the summary line when the report
    /// covers several projects.
    pub inventory: Option<String>,
    /// The findings, sorted.
    pub diagnostics: &'a [Diagnostic],
    /// The files they point into.
    pub sources: &'a SourceMap,
    /// How many files were read: the policy files and the inventory.
    pub files: usize,
}

/// The report of one or several projects in `format`. One project prints
/// as [`render_human`] and [`summary_line`], [`render_json`],
/// [`render_github`] or [`super::render_sarif`]. Several print one after
/// the other in the human and GitHub formats (each human summary line
/// naming its inventory), as one JSON array, or as one SARIF log with a
/// run per project. `color` is for the human format.
pub fn render_projects(projects: &[Project<'_>], format: DiagnosticFormat, color: bool) -> String {
    let several = projects.len() > 1;
    match format {
        DiagnosticFormat::Human => projects
            .iter()
            .map(|p| {
                let mut s = render_human(p.diagnostics, p.sources, color);
                s.push_str(&summary_line(p.diagnostics, p.files));
                if let (true, Some(inventory)) = (several, &p.inventory) {
                    s.push_str(&format!(" (inventory {inventory})"));
                }
                s.push('\n');
                s
            })
            .collect(),
        DiagnosticFormat::Github => projects
            .iter()
            .map(|p| render_github(p.diagnostics, p.sources))
            .collect(),
        DiagnosticFormat::Json if !several => projects
            .iter()
            .map(|p| render_json(p.diagnostics, p.sources))
            .collect(),
        DiagnosticFormat::Json => {
            let all: Vec<serde_json::Value> = projects
                .iter()
                .flat_map(|p| {
                    serde_json::from_str::<Vec<serde_json::Value>>(&render_json(
                        p.diagnostics,
                        p.sources,
                    ))
                    .unwrap_or_default()
                })
                .collect();
            super::json(&all)
        }
        DiagnosticFormat::Sarif if !several => projects
            .iter()
            .map(|p| super::render_sarif(p.diagnostics, p.sources))
            .collect(),
        DiagnosticFormat::Sarif => {
            // One SARIF log, one run per project.
            let mut logs = projects.iter().filter_map(|p| {
                serde_json::from_str::<serde_json::Value>(&super::render_sarif(
                    p.diagnostics,
                    p.sources,
                ))
                .ok()
            });
            let mut first = logs.next().unwrap_or_default();
            for log in logs {
                if let (Some(runs), Some(more)) = (
                    first.get_mut("runs").and_then(|r| r.as_array_mut()),
                    log.get("runs").and_then(|r| r.as_array()),
                ) {
                    runs.extend(more.iter().cloned());
                }
            }
            super::json(&first)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Diagnostic;
    use crate::source::{SourceFile, SourceMap, Span};

    #[test]
    fn a_snippet_is_bounded_in_bytes_whatever_the_lines_around_it() {
        for long in [2_000, 1_000_000] {
            let wide = "x".repeat(long);
            let text = format!("{wide}\nallow deploy\n{wide}\n");
            let file = SourceFile::new("p.policy", text.clone(), String::new());
            let at = text.find("deploy").unwrap();
            let w = Window::new("p".into(), &file, at, at + 6);
            assert_eq!(w.text, "allow deploy\n");
            assert_eq!((w.offset, w.line), (long + 1, 1));
        }
        // Normal lines: the lines of the labels and one on each side.
        let text = "a\nb\nallow deploy\nc\nd\n";
        let file = SourceFile::new("p.policy", text.into(), String::new());
        let at = text.find("deploy").unwrap();
        let w = Window::new("p".into(), &file, at, at + 6);
        assert_eq!(w.text, "b\nallow deploy\nc\n");
    }

    #[test]
    fn findings_on_one_long_line_each_cost_a_bounded_snippet() {
        // Findings with notes on one long line, and on short lines far
        // apart in bytes: no snippet holds more than MAX_WINDOW bytes.
        let wide = "y".repeat(1_000_000);
        let text = format!("allow a\n{wide}\nallow b\n");
        let mut sources = SourceMap::default();
        let id = sources.add(SourceFile::new("p.policy", text.clone(), String::new()));
        let file = sources.get(id);
        let a = text.find("allow a").unwrap();
        let b = text.find("allow b").unwrap();
        let d = Diagnostic::new(
            crate::checks::Code::L012,
            id,
            Span::new(a, a + 5),
            "x".to_string(),
        )
        .note(id, Span::new(b, b + 5), "there");
        let out = render_human(&[d], &sources, false);
        // The far note is named in the help, not shown with the long line.
        assert!(out.contains("there at p.policy:3:1"), "{out}");
        assert!(out.len() < MAX_WINDOW, "{} bytes", out.len());
        let w = Window::new("p".into(), file, a, a + 5);
        assert!(w.text.len() <= MAX_WINDOW);
    }

    /// A source line with a terminal escape or a text-direction control
    /// is shown with each as its escape (a snippet that printed them raw
    /// let a policy file recolour the terminal or reverse what follows),
    /// and the label still underlines what it marks: the escape of the
    /// character it is about, or the word after several escapes.
    #[test]
    fn snippets_show_invisible_characters_escaped_with_labels_in_place() {
        let text = "deny a on b/c // \u{202e}x\u{1b}[2J and \u{200b}word\r\nnext\tline\n";
        let mut sources = SourceMap::default();
        let id = sources.add(SourceFile::new("p.policy", text.to_string(), String::new()));
        let label = |d: Diagnostic| {
            let out = render_human(&[d], &sources, false);
            assert!(
                !out.chars()
                    .any(|c| crate::model::is_invisible(c) && c != '\n'),
                "{out:?}"
            );
            assert!(
                out.contains("\\u{202e}x\\u{1b}[2J and \\u{200b}word"),
                "{out}"
            );
            assert!(
                out.contains("next\tline") || out.contains("next    line"),
                "{out}"
            );
            // The snippet's line and the underline below it.
            let lines: Vec<&str> = out.lines().collect();
            let source = lines.iter().position(|l| l.contains("deny a on")).unwrap();
            (lines[source].to_string(), lines[source + 1].to_string())
        };
        let at = text.find('\u{202e}').unwrap();
        let d = Diagnostic::new(
            crate::checks::Code::E001,
            id,
            Span::new(at, at + 3),
            "rlo".to_string(),
        );
        let (line, mark) = label(d);
        let column = |s: &str, what: &str| s[..s.find(what).unwrap()].chars().count();
        let under = |mark: &str| mark.chars().position(|c| c == '─' || c == '┬').unwrap();
        assert_eq!(under(&mark), column(&line, "\\u{202e}"), "{line}\n{mark}");
        let at = text.find("word").unwrap();
        let d = Diagnostic::new(
            crate::checks::Code::E001,
            id,
            Span::new(at, at + 4),
            "w".to_string(),
        );
        let (line, mark) = label(d);
        assert_eq!(under(&mark), column(&line, "word"), "{line}\n{mark}");
        assert_eq!(
            mark.chars().filter(|&c| c == '─' || c == '┬').count(),
            4,
            "{mark}"
        );
    }

    /// A message, help or label that quotes a value of an input (a
    /// severity or a glob of the configuration) shows its invisible
    /// characters escaped, for a person and in a CI log; JSON keeps them.
    #[test]
    fn messages_helps_and_labels_show_invisible_characters_escaped() {
        let mut sources = SourceMap::default();
        let id = sources.add(SourceFile::new(
            "c.yaml",
            "checks: x\n".into(),
            String::new(),
        ));
        let mut d = Diagnostic::new(
            crate::checks::Code::E202,
            id,
            Span::new(8, 9),
            "`e\u{202e}r\u{200b}ror` is not a severity".to_string(),
        );
        d.label = Some("l\u{202e}".into());
        d.help = Some("write `error`\nnot `\u{1b}[2J`".into());
        for out in [
            render_human(std::slice::from_ref(&d), &sources, false),
            render_github(std::slice::from_ref(&d), &sources),
        ] {
            assert!(
                !out.chars()
                    .any(|c| crate::model::is_invisible(c) && c != '\n'),
                "{out:?}"
            );
            assert!(out.contains("e\\u{202e}r\\u{200b}ror"), "{out}");
        }
        let human = render_human(std::slice::from_ref(&d), &sources, false);
        assert!(
            human.contains("l\\u{202e}") && human.contains("\\u{1b}[2J"),
            "{human}"
        );
        let json = render_json(std::slice::from_ref(&d), &sources);
        assert!(
            json.contains("\\u202e") || json.contains('\u{202e}'),
            "{json}"
        );
    }
}

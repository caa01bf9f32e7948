//! One diagnostic type for every check, and its renderers.
//!
//! Checks produce plain [`Diagnostic`] values; only the renderers here turn
//! them into text (`human`, through miette), JSON (the contract's shape) or
//! GitHub workflow commands. The wording of each diagnostic lives with its
//! check; nothing here invents messages.

use crate::checks::{Check, Code};
use crate::source::{FileId, SourceMap, Span};
use serde::Serialize;

pub use crate::checks::Severity;

/// A secondary location shown with a diagnostic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// The file of the secondary location.
    pub file: FileId,
    /// Where it points.
    pub span: Span,
    /// What it says about that place.
    pub label: String,
}

/// One finding of one check, at one place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Which check fired (code, name, default severity live in the registry).
    pub code: Code,
    /// Severity after configuration.
    pub severity: Severity,
    /// What is wrong: lowercase, no final period, user input in backticks.
    pub message: String,
    /// The file the primary span is in.
    pub file: FileId,
    /// The primary location.
    pub span: Span,
    /// Text under the primary span, if any.
    pub label: Option<String>,
    /// What to do about it.
    pub help: Option<String>,
    /// Other related places.
    pub notes: Vec<Note>,
    /// The reason of the suppression that silences it, if one does.
    pub suppressed: Option<String>,
}

impl Diagnostic {
    /// A diagnostic of `code` at `span` in `file`, with the check's default severity.
    pub fn new(code: Code, file: FileId, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.check().default_severity,
            message: message.into(),
            file,
            span,
            label: None,
            help: None,
            notes: Vec::new(),
            suppressed: None,
        }
    }

    /// Sets the label shown under the primary span.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Sets the help line.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sets the help line when `help` is `Some`.
    pub fn maybe_help(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    /// Adds a secondary location.
    pub fn note(mut self, file: FileId, span: Span, label: impl Into<String>) -> Self {
        self.notes.push(Note {
            file,
            span,
            label: label.into(),
        });
        self
    }

    /// The registry entry of this diagnostic's check.
    pub fn check(&self) -> &'static Check {
        self.code.check()
    }
}

/// Sorts diagnostics into the order they are shown: by file, position, code.
pub fn sort(diags: &mut [Diagnostic], sources: &SourceMap) {
    diags.sort_by(|a, b| {
        let pa = &sources.get(a.file).path;
        let pb = &sources.get(b.file).path;
        (pa, a.span.start, a.code, &a.message).cmp(&(pb, b.span.start, b.code, &b.message))
    });
}

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
        let mut msg = d.message.clone();
        if let Some(h) = &d.help {
            msg.push_str("\nhelp: ");
            msg.push_str(h);
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
#[derive(Debug)]
struct Window {
    /// Shown as the snippet's name: `path:line:column`.
    name: String,
    /// The window's text.
    text: String,
    /// Byte offset of the window in the file.
    offset: usize,
    /// 0-based line of the window's first line in the file.
    line: usize,
}

impl Window {
    /// The whole lines of `text` that hold `from..to`, and one line of
    /// context on each side.
    fn new(name: String, file: &crate::source::SourceFile, from: usize, to: usize) -> Window {
        let text = file.text.as_str();
        let from = from.min(text.len());
        let to = to.clamp(from, text.len());
        let mut start = text[..from].rfind('\n').map_or(0, |k| k + 1);
        if start > 0 {
            start = text[..start - 1].rfind('\n').map_or(0, |k| k + 1);
        }
        let mut end = text[to..].find('\n').map_or(text.len(), |k| to + k + 1);
        if end < text.len() {
            end = text[end..].find('\n').map_or(text.len(), |k| end + k + 1);
        }
        Window {
            name,
            text: text[start..end].to_string(),
            offset: start,
            line: file.line_col(start).0 - 1,
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
            d.label.clone(),
            (d.span.start, d.span.len()),
        )];
        // Snippets of very long lines are unreadable (and beyond what the
        // renderer handles): those diagnostics are shown without one.
        let line_len = |offset: usize| {
            let start = file.text[..offset.min(file.text.len())]
                .rfind('\n')
                .map_or(0, |k| k + 1);
            file.text[start..]
                .find('\n')
                .unwrap_or(file.text.len() - start)
        };
        let snippet =
            line_len(d.span.start) <= MAX_SNIPPET_LINE && line_len(d.span.end) <= MAX_SNIPPET_LINE;
        // Notes near the finding are labels in its snippet; notes elsewhere
        // (another file, far away in this one, or when there is no snippet)
        // are named in the help.
        let near = |n: &&Note| {
            snippet
                && n.file == d.file
                && file.line_col(n.span.start).0.abs_diff(line) <= NEAR_LINES
                && line_len(n.span.start) <= MAX_SNIPPET_LINE
        };
        for n in d.notes.iter().filter(near) {
            labels.push(miette::LabeledSpan::new_with_span(
                Some(n.label.clone()),
                (n.span.start, n.span.len()),
            ));
        }
        let mut help = d.help.clone();
        for n in d.notes.iter().filter(|n| !near(n)) {
            let other = sources.get(n.file);
            let (l, c) = other.line_col(n.span.start);
            let extra = format!("{} at {}:{l}:{c}", n.label, other.path);
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
                d.message.clone()
            } else {
                format!("{} (at {location})", d.message)
            },
            code: format!("{}({})", d.check().code, d.check().name),
            severity: match d.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
            },
            help,
            labels: if snippet { labels } else { Vec::new() },
            source: snippet.then(|| {
                let from = labels_range.0;
                Window::new(location, file, from, labels_range.1)
            }),
        };
        let mut s = String::new();
        if handler.render_report(&mut s, &report).is_err() {
            s = format!(
                "{}:{line}:{col}: {}: {}\n",
                file.path,
                d.check().code,
                d.message
            );
        }
        out.push_str(&s);
        out.push('\n');
    }
    out
}

/// The closing line of human output: `N errors, M warnings in K files`,
/// and how many findings suppressions silenced, if any.
pub fn summary_line(diags: &[Diagnostic], files: usize) -> String {
    let live = |sev: Severity| {
        diags
            .iter()
            .filter(|d| d.severity == sev && d.suppressed.is_none())
            .count()
    };
    let (errors, warnings) = (live(Severity::Error), live(Severity::Warning));
    let suppressed = diags.iter().filter(|d| d.suppressed.is_some()).count();
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

/// A path as a URI reference (RFC 3986): each segment percent-encoded but
/// for unreserved characters (so a `:` cannot read as a scheme); an
/// absolute path becomes a `file://` URI.
fn uri_reference(path: &str) -> String {
    let encoded: Vec<String> = path
        .split('/')
        .map(|seg| {
            seg.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect()
        })
        .collect();
    let joined = encoded.join("/");
    if path.starts_with('/') {
        format!("file://{joined}")
    } else {
        joined
    }
}

/// The base id SARIF URIs are relative to: the repository root.
pub const SARIF_ROOT: &str = "%SRCROOT%";

/// The nearest directory at or above `dir` that holds `.git` (a directory,
/// or a file in a worktree): the repository root.
fn repository_root(dir: &std::path::Path) -> Option<&std::path::Path> {
    dir.ancestors().find(|d| d.join(".git").exists())
}

/// A result's `artifactLocation`: the path relative to the repository
/// root of the file, with `uriBaseId` [`SARIF_ROOT`], so that the same
/// file has the same URI whichever directory the linter runs from. A file
/// in no repository keeps its path as given (relative to the current
/// directory, or a `file://` URI when absolute).
fn sarif_location(path: &str) -> serde_json::Value {
    let given = std::path::Path::new(path);
    let absolute = std::fs::canonicalize(given)
        .ok()
        .or_else(|| std::path::absolute(given).ok());
    let relative = absolute.as_ref().and_then(|abs| {
        let root = repository_root(abs.parent()?)?;
        let rel = abs.strip_prefix(root).ok()?;
        let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
        Some(parts?.join("/"))
    });
    match relative {
        Some(rel) => serde_json::json!({"uri": uri_reference(&rel), "uriBaseId": SARIF_ROOT}),
        None => serde_json::json!({"uri": uri_reference(path)}),
    }
}

/// Every run of digits -> `#`: a message that names another line (`line
/// 12`) or counts days (`retires in 9 days`) must not change its finding's
/// identity when that line moves or a day passes. What the finding points
/// at (a date, an issue number) is part of the identity on its own.
fn without_numbers(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut in_digits = false;
    for c in message.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('#');
            }
            in_digits = true;
        } else {
            out.push(c);
            in_digits = false;
        }
    }
    out
}

/// The identity of a finding for code scanning, stable under unrelated
/// edits: SHA-256 (hex) of the check code, the text the finding points at
/// (white space collapsed) and its message (numbers left out), then
/// `:N`, the finding's occurrence among identical ones in its file.
/// Positions are not part of it, so lines inserted above leave it alone.
fn fingerprint(code: &str, text: &str, message: &str) -> String {
    use sha2::{Digest, Sha256};
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut h = Sha256::new();
    for part in [code, &text, &without_numbers(message)] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The key of [`fingerprint`] in `partialFingerprints`.
pub const SARIF_FINGERPRINT: &str = "lanepolicyFinding/v1";

/// Renders diagnostics as a SARIF 2.1.0 log (GitHub code scanning accepts
/// it): every check as a rule with its documentation as help, every
/// diagnostic as a result with a 1-based region; suppressed diagnostics
/// carry an `inSource` suppression with the reason. Each result's URI is
/// relative to the repository root (`uriBaseId` [`SARIF_ROOT`]) and its
/// `partialFingerprints` hold [`SARIF_FINGERPRINT`], so code scanning
/// tracks an alert across commits and wherever the linter runs from.
pub fn render_sarif(diags: &[Diagnostic], sources: &SourceMap) -> String {
    use crate::checks::CHECKS;
    use serde_json::json;
    let level = |s: Severity| match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let rules: Vec<serde_json::Value> = CHECKS
        .iter()
        .map(|c| {
            json!({
                "id": c.code,
                "name": c.name,
                "shortDescription": {"text": c.summary()},
                "fullDescription": {"text": c.summary()},
                "help": {"text": c.doc(), "markdown": c.doc()},
                "defaultConfiguration": {"level": level(c.default_severity)},
            })
        })
        .collect();
    let mut seen: std::collections::HashMap<(String, String), usize> =
        std::collections::HashMap::new();
    let results: Vec<serde_json::Value> = diags
        .iter()
        .map(|d| {
            let file = sources.get(d.file);
            let pointed = file
                .text
                .get(d.span.start..d.span.end.max(d.span.start))
                .unwrap_or_default();
            let hash = fingerprint(d.check().code, pointed, &d.message);
            let nth = seen.entry((file.path.clone(), hash.clone())).or_insert(0);
            *nth += 1;
            let identity = format!("{hash}:{nth}");
            let (start_line, start_column) = file.line_col(d.span.start);
            let (end_line, end_column) = file.line_col(d.span.end.max(d.span.start));
            let mut text = d.message.clone();
            if let Some(h) = &d.help {
                text.push_str(&format!("\nhelp: {h}"));
            }
            let mut result = json!({
                "ruleId": d.check().code,
                "ruleIndex": d.code as usize,
                "level": level(d.severity),
                "message": {"text": text},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": sarif_location(&file.path),
                        "region": {
                            "startLine": start_line,
                            "startColumn": start_column,
                            "endLine": end_line,
                            "endColumn": end_column.max(if end_line == start_line { start_column + 1 } else { 1 }),
                        }
                    }
                }],
                "partialFingerprints": {SARIF_FINGERPRINT: identity},
            });
            if let Some(reason) = &d.suppressed {
                result["suppressions"] = json!([{"kind": "inSource", "justification": reason}]);
            }
            result
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "lanepolicy",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "originalUriBaseIds": {SARIF_ROOT: {
                "description": {"text": "The repository root: the nearest directory above the linted files that holds .git."}
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut out = serde_json::to_string_pretty(&log).unwrap_or_default();
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::uri_reference;

    #[test]
    fn numbers_leave_a_fingerprint_alone() {
        assert_eq!(
            super::without_numbers("the first is on line 12; line x"),
            "the first is on line #; line x"
        );
        // A day count changes every day; the finding stays the same alert.
        assert_eq!(
            super::fingerprint("L009", "until 2027-01-10", "retires in 10 days"),
            super::fingerprint("L009", "until 2027-01-10", "retires in 9 days")
        );
        assert_eq!(
            super::fingerprint("L001", "a  b", "on line 3"),
            super::fingerprint("L001", "a b", "on line 40")
        );
        assert_ne!(
            super::fingerprint("L001", "a b", "m"),
            super::fingerprint("L002", "a b", "m")
        );
    }

    #[test]
    fn sarif_paths_are_uri_references() {
        assert_eq!(uri_reference("policies/a.policy"), "policies/a.policy");
        assert_eq!(uri_reference("my file%.policy"), "my%20file%25.policy");
        assert_eq!(uri_reference("a,b:c.policy"), "a%2Cb%3Ac.policy");
        assert_eq!(uri_reference("/abs/p.policy"), "file:///abs/p.policy");
        assert_eq!(uri_reference("dé.policy"), "d%C3%A9.policy");
    }
}

//! One diagnostic type for every check, and its renderers.
//!
//! Checks produce plain [`Diagnostic`] values; only the renderers here turn
//! them into text (`human`, through miette), JSON (the contract's shape) or
//! GitHub workflow commands. The wording of each diagnostic lives with its
//! check; nothing here invents messages.

use crate::checks::{Check, Code};
use crate::source::{FileId, SourceMap, Span};

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
    /// How many findings past a cap this one stands for besides itself
    /// (see [`cap_per_check`]); 0 for every other diagnostic. The summary
    /// line counts them.
    pub hidden: usize,
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
            hidden: 0,
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

/// Diagnostics of one check shown per file (with suppressed ones counted
/// apart): past it, one more diagnostic counts the rest, as the syntax
/// errors of a file are counted past [`crate::syntax::parser::MAX_SYNTAX_ERRORS`]
/// (clang's `-ferror-limit` does the same). A million unknown proofs on one
/// line are 101 diagnostics, not a gigabyte of report.
pub const MAX_PER_CHECK: usize = 100;

/// Caps `diags` (sorted by [`sort`]) at [`MAX_PER_CHECK`] per file, check
/// and suppression state, keeping the first by position: when a group
/// holds more than `MAX_PER_CHECK + 1`, the first `MAX_PER_CHECK` stay and
/// the rest become one diagnostic of the same check, severity and
/// suppression, at the first left out, that counts them. A group of
/// `MAX_PER_CHECK + 1` is kept whole, so a check that caps itself the same
/// way (E001, E002) keeps its own summary. The exit code is unchanged: an
/// error past the cap is still counted in an error. O(n) with a hash map.
pub fn cap_per_check(diags: &mut Vec<Diagnostic>) {
    use std::collections::HashMap;
    type Group = (FileId, Code, bool);
    let mut sizes: HashMap<Group, usize> = HashMap::new();
    for d in diags.iter() {
        *sizes
            .entry((d.file, d.code, d.suppressed.is_some()))
            .or_default() += 1;
    }
    if sizes.values().all(|&n| n <= MAX_PER_CHECK + 1) {
        return;
    }
    let mut seen: HashMap<Group, usize> = HashMap::new();
    let mut out = Vec::with_capacity(diags.len().min(sizes.len() * (MAX_PER_CHECK + 1)));
    for d in diags.drain(..) {
        let group = (d.file, d.code, d.suppressed.is_some());
        let size = sizes[&group];
        let n = seen.entry(group).or_default();
        *n += 1;
        if size <= MAX_PER_CHECK + 1 || *n <= MAX_PER_CHECK {
            out.push(d);
        } else if *n == MAX_PER_CHECK + 1 {
            let more = size - MAX_PER_CHECK;
            let check = d.code.check();
            let mut summary = Diagnostic::new(
                d.code,
                d.file,
                d.span,
                format!(
                    "{more} more {} ({}) findings in this file are not shown",
                    check.code, check.name
                ),
            )
            .label("the first of them")
            .help(format!(
                "fix the first {MAX_PER_CHECK}: past that many findings of one check in one file, they usually share one cause"
            ));
            summary.severity = d.severity;
            summary.suppressed = d.suppressed;
            summary.hidden = more - 1;
            out.push(summary);
        }
    }
    *diags = out;
}

/// Names given in one message before the rest are counted.
pub const NAMED_IN_MESSAGE: usize = 5;

/// `names` for a message, each in backticks, in the order given: at most
/// `limit` named and the rest counted, as in "`a`, `b`, `c` and 997 more",
/// so that a finding stays a sentence however many lanes a pattern
/// matches (a `*/*` over 200,000 lanes is one line, not megabytes).
pub fn quoted_list<S: AsRef<str>>(names: &[S], limit: usize) -> String {
    let shown = names
        .iter()
        .take(limit)
        .map(|n| format!("`{}`", n.as_ref()))
        .collect::<Vec<_>>()
        .join(", ");
    match names.len().saturating_sub(limit) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}

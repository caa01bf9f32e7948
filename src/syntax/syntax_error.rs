//! E001 syntax-error: the text is not in the grammar.
//!
//! ## What it does
//! Reports text that the parser cannot read as rules: a missing `=`, an
//! unterminated string, a name with capitals, a date that is not on the
//! calendar or lies outside 2000-01-01 to 9998-12-31, a file that is not
//! UTF-8, and an invisible character anywhere in the text (a control
//! character, U+2028, U+2029, or any character with the Unicode property
//! `Bidi_Control` or `Default_Ignorable_Code_Point`: zero-width spaces and
//! joiners, direction marks and overrides, Hangul fillers, variation
//! selectors, tag characters, ...). After an error the parser recovers at
//! the next `allow` or `deny`, so every broken rule in a file is reported at
//! once.
//!
//! ## Why is this bad?
//! A rule that does not parse grants nothing, and a policy file with one
//! does not compile: `build` writes no bundle. An invisible character makes
//! a phrase, a reason or a rule read differently from what it is (a
//! text-direction override can make a `deny` look commented out), and a
//! date past 9998 would compile and then leave the runtime unable to
//! decide at its last second.
//!
//! ## Example
//! ```text
//! allow empty_bootstrap on cm/testing until launch issue #573 confirm="bootstrap cm testing"
//! ```
//!
//! ## Use instead
//! ```lanepolicy
//! allow empty_bootstrap on cm/testing until launch issue=#573 confirm="bootstrap cm testing"
//! ```

use super::ast::SyntaxError;
use crate::checks::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};

/// The E001 diagnostic of a syntax error.
pub fn diagnostic(file: FileId, e: &SyntaxError) -> Diagnostic {
    let mut d =
        Diagnostic::new(Code::E001, file, e.span, e.message.clone()).maybe_help(e.help.clone());
    d.label = e.label.clone();
    d
}

/// The diagnostic for a file that stops being UTF-8 at `byte_offset`
/// (`span` is where that is in the decoded text). `code` is E001 for a
/// policy file and E201/E202 for YAML files.
pub fn not_utf8(code: Code, file: FileId, span: Span, byte_offset: usize) -> Diagnostic {
    Diagnostic::new(
        code,
        file,
        span,
        format!("file is not valid UTF-8 at byte {byte_offset}"),
    )
    .label("invalid UTF-8 here")
    .help("save the file as UTF-8")
}

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

/// One suppression comment and what it applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// The file it is in.
    pub file: FileId,
    /// The comment.
    pub span: Span,
    /// The checks it silences.
    pub codes: Vec<Code>,
    /// Why.
    pub reason: String,
    /// What it applies to: the following rule, or the following YAML line.
    pub target: Span,
}

/// Parses the text after `lanepolicy:`; returns the codes and the reason,
/// or the problem and a help line.
fn parse(body: &str) -> Result<(Vec<Code>, String), (String, String)> {
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
        if let Some(code) = code.filter(|c| !codes.contains(c)) {
            codes.push(code);
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
    if reason.trim().is_empty() {
        return Err((
            "the reason is empty".into(),
            "say why the finding does not apply here".into(),
        ));
    }
    Ok((codes, reason))
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

/// The body of a suppression comment, if `text` (a comment's text without
/// its `//` or `#`) is one.
fn body(text: &str) -> Option<&str> {
    text.trim_start().strip_prefix("lanepolicy:")
}

/// The suppressions of a policy file; malformed ones become E002 diagnostics.
pub fn from_policy(
    file: FileId,
    text: &str,
    parsed: &ast::File,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Suppression> {
    let mut out = Vec::new();
    for c in parsed.comments.iter().filter(|c| !c.doc) {
        let Some(b) = body(&c.text) else { continue };
        match parse(b) {
            Err((problem, help)) => diags.push(invalid_suppression::diagnostic(
                file, c.span, &problem, &help,
            )),
            Ok((codes, reason)) => {
                // The next rule, with nothing but comments and blank lines in between.
                let next = parsed.rules.iter().find(|r| r.span.start >= c.span.end);
                let only_trivia = next.is_some_and(|r| {
                    text[c.span.end..r.span.start]
                        .lines()
                        .all(|l| l.trim().is_empty() || l.trim_start().starts_with("//"))
                });
                match next {
                    Some(rule) if only_trivia => out.push(Suppression {
                        file,
                        span: c.span,
                        codes,
                        reason,
                        target: rule.span,
                    }),
                    _ => diags.push(invalid_suppression::diagnostic(
                        file,
                        c.span,
                        "it stands before no rule",
                        "put the comment on the line right before the rule it is about",
                    )),
                }
            }
        }
    }
    out
}

/// The suppressions of a YAML file (`# lanepolicy: ignore ...`), each
/// applying to the next line that is neither blank nor a comment.
pub fn from_yaml(file: FileId, text: &str, diags: &mut Vec<Diagnostic>) -> Vec<Suppression> {
    let mut out = Vec::new();
    let mut offset = 0;
    let lines: Vec<(usize, &str)> = text
        .split_inclusive('\n')
        .map(|l| {
            let at = offset;
            offset += l.len();
            (at, l)
        })
        .collect();
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
            Err((problem, help)) => {
                diags.push(invalid_suppression::diagnostic(file, span, &problem, &help))
            }
            Ok((codes, reason)) => {
                let next = lines[k + 1..]
                    .iter()
                    .find(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
                match next {
                    Some(&(n_at, n_line)) => out.push(Suppression {
                        file,
                        span,
                        codes,
                        reason,
                        target: Span::new(n_at, n_at + n_line.trim_end().len()),
                    }),
                    None => diags.push(invalid_suppression::diagnostic(
                        file,
                        span,
                        "it stands before nothing",
                        "put the comment on the line right before the line it is about",
                    )),
                }
            }
        }
    }
    out
}

/// Marks the diagnostics that a suppression covers, and adds an L014 for
/// every suppressed code that silenced nothing (unless `is_off(code)`).
pub fn apply(
    suppressions: &[Suppression],
    diags: &mut Vec<Diagnostic>,
    is_off: impl Fn(Code) -> bool,
) {
    let mut used = vec![Vec::new(); suppressions.len()];
    // Per file: (target start, target end, suppression) sorted by start, and
    // the longest target. A diagnostic at `p` looks only at the targets
    // that start in [p - longest, p], not at every suppression.
    let mut by_file: HashMap<FileId, (Vec<Target>, usize)> = HashMap::new();
    for (k, s) in suppressions.iter().enumerate() {
        let end = s.target.end.max(s.target.start + 1);
        let e = by_file.entry(s.file).or_default();
        e.0.push((s.target.start, end, k));
        e.1 = e.1.max(end - s.target.start);
    }
    for (targets, _) in by_file.values_mut() {
        targets.sort_unstable();
    }
    for d in diags.iter_mut() {
        if d.check().is_error_code() {
            continue;
        }
        let Some((targets, longest)) = by_file.get(&d.file) else {
            continue;
        };
        let p = d.span.start;
        let upto = targets.partition_point(|t| t.0 <= p);
        let from = targets[..upto].partition_point(|t| t.0 < p.saturating_sub(*longest));
        let hit = targets[from..upto]
            .iter()
            .filter(|&&(_, end, k)| p < end && suppressions[k].codes.contains(&d.code))
            .map(|t| t.2)
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suppressions_parse_codes_names_and_escaped_reasons() {
        let (codes, reason) =
            parse(" ignore L012, shared-confirmation reason=\"two \\\"named\\\" lanes\"").unwrap();
        assert_eq!(codes, vec![Code::L012, Code::L013]);
        assert_eq!(reason, "two \"named\" lanes");
        assert!(
            parse(" ignore L012")
                .unwrap_err()
                .0
                .contains("needs a reason")
        );
        assert!(
            parse(" ignore L012 reason=\"\"")
                .unwrap_err()
                .0
                .contains("empty")
        );
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
}

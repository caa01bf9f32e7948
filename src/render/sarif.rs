//! Diagnostics as SARIF 2.1.0 (`--format sarif`), for code scanning:
//! paths relative to the repository root and fingerprints that survive
//! unrelated edits.

use crate::checks::Severity;
use crate::diagnostic::Diagnostic;
use crate::source::SourceMap;

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

/// The key of `fingerprint` in `partialFingerprints`.
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

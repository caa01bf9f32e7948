//! What `rule` prints: one check's documentation (its Markdown, from the
//! registry) or the list of every check, as text or as JSON.

use crate::checks::{CHECKS, Check};

/// One check as `rule --format json` prints it: code, name, default
/// severity, whether the configuration may change it, summary and doc.
pub fn rule_json(c: &Check) -> serde_json::Value {
    serde_json::json!({
        "code": c.code,
        "name": c.name,
        "severity": c.default_severity.as_str(),
        "configurable": !c.is_error_code(),
        "summary": c.summary(),
        "doc": c.doc(),
    })
}

/// Every check, one per line: code, name, default severity and summary
/// (`rule --all`).
pub fn rule_list() -> String {
    CHECKS
        .iter()
        .map(|c| {
            format!(
                "{} {:<28} {:<8} {}\n",
                c.code,
                c.name,
                c.default_severity.as_str(),
                c.summary()
            )
        })
        .collect()
}

/// Every check as a JSON array of [`rule_json`] (`rule --all --format json`).
pub fn rule_list_json() -> String {
    let list: Vec<serde_json::Value> = CHECKS.iter().map(rule_json).collect();
    super::json(&list)
}

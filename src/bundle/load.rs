//! Loading and verifying a bundle. Every failure is a typed [`BundleError`];
//! a caller that fails to load a new bundle keeps the one it has.

use super::canonical::digest_of;
use super::{Bundle, FORMAT, VERSION};
use serde_json::Value;
use std::fmt;

/// The largest bundle accepted, in bytes (64 MiB).
pub const MAX_BUNDLE_BYTES: usize = 64 * 1024 * 1024;

/// Why a bundle was refused. The runtime's decision is then deny.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleError {
    /// Larger than [`MAX_BUNDLE_BYTES`].
    TooLarge {
        /// Its size in bytes.
        bytes: usize,
    },
    /// Not JSON (or not UTF-8); 1-based position of the problem.
    Json {
        /// What the JSON reader said.
        message: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// `format` is not `lanepolicy-bundle`.
    Format {
        /// What it was, if a string.
        found: Option<String>,
    },
    /// `version` is not one this build reads.
    Version {
        /// What it was.
        found: String,
    },
    /// `digest` does not match the content: the bundle was changed after it
    /// was built, or damaged.
    Digest {
        /// The digest written in the bundle.
        written: String,
        /// The digest of the content.
        computed: String,
    },
    /// The JSON does not have the bundle's shape, or contradicts itself.
    Invalid {
        /// What is wrong, with the JSON path where known.
        message: String,
    },
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BundleError::TooLarge { bytes } => write!(
                f,
                "bundle is {bytes} bytes, over the limit of {MAX_BUNDLE_BYTES} bytes"
            ),
            BundleError::Json {
                message,
                line,
                column,
            } => {
                write!(
                    f,
                    "bundle is not valid JSON at line {line}, column {column}: {message}"
                )
            }
            BundleError::Format { found } => match found {
                Some(s) => write!(
                    f,
                    "not a lanepolicy bundle: `format` is `{s}`, expected `{FORMAT}`"
                ),
                None => write!(f, "not a lanepolicy bundle: no `format: \"{FORMAT}\"`"),
            },
            BundleError::Version { found } => write!(
                f,
                "bundle version {found} is not supported: this lanepolicy reads version {VERSION}; rebuild the bundle with a matching lanepolicy"
            ),
            BundleError::Digest { written, computed } => write!(
                f,
                "bundle digest mismatch: it says {written} but its content hashes to {computed}; the bundle was modified after it was built"
            ),
            BundleError::Invalid { message } => write!(f, "bundle is malformed: {message}"),
        }
    }
}

impl std::error::Error for BundleError {}

/// Reads and verifies a bundle from bytes: size, JSON, `format`, `version`,
/// `digest`, shape, and that every rule names lanes and actions the bundle
/// declares and dates that exist.
pub fn load(bytes: &[u8]) -> Result<Bundle, BundleError> {
    if bytes.len() > MAX_BUNDLE_BYTES {
        return Err(BundleError::TooLarge { bytes: bytes.len() });
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|e| BundleError::Json {
        message: e
            .to_string()
            .split(" at line ")
            .next()
            .unwrap_or_default()
            .to_string(),
        line: e.line(),
        column: e.column(),
    })?;
    let Value::Object(map) = &value else {
        return Err(BundleError::Format { found: None });
    };
    match map.get("format") {
        Some(Value::String(s)) if s == FORMAT => {}
        Some(Value::String(s)) => {
            return Err(BundleError::Format {
                found: Some(s.clone()),
            });
        }
        _ => return Err(BundleError::Format { found: None }),
    }
    match map.get("version") {
        Some(Value::Number(n)) if n.as_u64() == Some(VERSION) => {}
        Some(other) => {
            return Err(BundleError::Version {
                found: other.to_string(),
            });
        }
        None => {
            return Err(BundleError::Version {
                found: "(missing)".into(),
            });
        }
    }
    let written = match map.get("digest") {
        Some(Value::String(s)) => s.clone(),
        _ => {
            return Err(BundleError::Invalid {
                message: "`digest` is missing".into(),
            });
        }
    };
    let computed = digest_of(&value);
    if written != computed {
        return Err(BundleError::Digest { written, computed });
    }
    let bundle: Bundle = serde_json::from_value(value).map_err(|e| BundleError::Invalid {
        message: e.to_string(),
    })?;
    check_consistency(&bundle)?;
    Ok(bundle)
}

fn check_consistency(b: &Bundle) -> Result<(), BundleError> {
    let invalid = |message: String| Err(BundleError::Invalid { message });
    for (key, lane) in &b.lanes {
        if *key != format!("{}/{}", lane.context, lane.instance) {
            return invalid(format!(
                "lane `{key}` has context/instance `{}/{}`",
                lane.context, lane.instance
            ));
        }
        if !b.products.contains_key(&lane.product) {
            return invalid(format!(
                "lane `{key}` names unknown product `{}`",
                lane.product
            ));
        }
    }
    for (k, r) in b.rules.iter().enumerate() {
        let at = format!("rules[{k}] (`{}`)", r.id);
        if let Some(a) = r.actions.iter().find(|a| !b.actions.contains_key(*a)) {
            return invalid(format!("{at} names unknown action `{a}`"));
        }
        if let Some(l) = r.lanes.iter().find(|l| !b.lanes.contains_key(*l)) {
            return invalid(format!("{at} names unknown lane `{l}`"));
        }
        if let Some(d) = r
            .until
            .dates
            .iter()
            .find(|d| d.parse::<jiff::civil::Date>().is_err())
        {
            return invalid(format!("{at} has `{d}`, which is not a date"));
        }
        if let Some(phrases) = &r.confirm
            && let Some(l) = r.lanes.iter().find(|l| !phrases.contains_key(*l))
        {
            return invalid(format!(
                "{at} asks for a phrase but has none for lane `{l}`"
            ));
        }
    }
    Ok(())
}

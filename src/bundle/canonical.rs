//! Canonical JSON: object keys sorted at every level, no whitespace. The
//! digest is computed over this form, so it does not depend on how a file
//! was pretty-printed or on map ordering in any library.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// `value` with every object's keys in sorted order.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted(&map[k])))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// The canonical compact form of `value`.
pub fn canonical_json(value: &Value) -> String {
    serde_json::to_string(&sorted(value)).unwrap_or_default()
}

/// Pretty-printed JSON with sorted keys and a final newline.
pub fn to_pretty_json(value: &Value) -> String {
    let mut s = serde_json::to_string_pretty(&sorted(value)).unwrap_or_default();
    s.push('\n');
    s
}

/// `sha256:<hex>` of the canonical form of `value` without its top-level
/// `digest` key.
pub fn digest_of(value: &Value) -> String {
    let mut v = value.clone();
    if let Value::Object(map) = &mut v {
        map.remove("digest");
    }
    let hash = Sha256::digest(canonical_json(&v).as_bytes());
    format!("sha256:{}", hex(&hash))
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

//! Canonical JSON: object keys sorted at every level, no whitespace. The
//! digest is computed over this form, so it does not depend on how a file
//! was pretty-printed or on map ordering in any library.
//!
//! The digest is streamed into SHA-256: nothing is cloned or rendered into
//! a string first. `scan` goes further and hashes a bundle straight from
//! its bytes in one pass, which is what makes loading a large bundle cheap;
//! it gives up (and the caller falls back to a [`Value`]) only when the
//! bytes have keys out of order, which `lanepolicy build` never writes.

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::cell::Cell;
use std::fmt;

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

/// Where canonical JSON goes: a byte buffer, possibly drained into a hash.
trait Sink {
    fn bytes(&mut self) -> &mut Vec<u8>;

    /// Makes room after a large write; a plain buffer keeps everything.
    fn drain(&mut self) {}

    fn raw(&mut self, b: &[u8]) {
        self.bytes().extend_from_slice(b);
    }

    /// A JSON string, escaped exactly as serde_json escapes it.
    fn string(&mut self, s: &str) {
        escape_into(self.bytes(), s);
        self.drain();
    }

    fn number(&mut self, n: &serde_json::Number) {
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(self.bytes(), n);
    }
}

impl Sink for Vec<u8> {
    fn bytes(&mut self) -> &mut Vec<u8> {
        self
    }
}

/// Appends `s` as a JSON string literal, escaped as serde_json does: `"`,
/// `\\` and control characters; everything else as is.
fn escape_into(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => {
                out.extend_from_slice(&bytes[start..i]);
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 15)]);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(esc);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Writes the canonical form of `value`; at the top level, leaves out the
/// key `skip` if given.
fn write_canonical<S: Sink>(out: &mut S, value: &Value, skip: Option<&str>) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().filter(|k| Some(k.as_str()) != skip).collect();
            keys.sort_unstable();
            out.raw(b"{");
            for (n, k) in keys.into_iter().enumerate() {
                if n > 0 {
                    out.raw(b",");
                }
                out.string(k);
                out.raw(b":");
                write_canonical(out, &map[k], None);
            }
            out.raw(b"}");
        }
        Value::Array(items) => {
            out.raw(b"[");
            for (n, v) in items.iter().enumerate() {
                if n > 0 {
                    out.raw(b",");
                }
                write_canonical(out, v, None);
            }
            out.raw(b"]");
        }
        Value::String(s) => out.string(s),
        Value::Number(n) => out.number(n),
        Value::Bool(true) => out.raw(b"true"),
        Value::Bool(false) => out.raw(b"false"),
        Value::Null => out.raw(b"null"),
    }
}

/// The canonical compact form of `value`.
pub fn canonical_json(value: &Value) -> String {
    let mut out = Vec::new();
    write_canonical(&mut out, value, None);
    // Only UTF-8 text and ASCII punctuation were written.
    String::from_utf8(out).unwrap_or_default()
}

/// Pretty-printed JSON with sorted keys and a final newline.
pub fn to_pretty_json(value: &Value) -> String {
    let mut s = serde_json::to_string_pretty(&sorted(value)).unwrap_or_default();
    s.push('\n');
    s
}

/// SHA-256 fed through a buffer, so that the many small writes of a JSON
/// serializer become few large updates.
struct HashWriter {
    hasher: Sha256,
    buf: Vec<u8>,
}

impl HashWriter {
    const CHUNK: usize = 64 * 1024;

    fn new() -> Self {
        HashWriter {
            hasher: Sha256::new(),
            buf: Vec::with_capacity(Self::CHUNK + 1024),
        }
    }

    fn finish(mut self) -> String {
        self.hasher.update(&self.buf);
        format!("sha256:{}", hex(&self.hasher.finalize()))
    }
}

impl Sink for HashWriter {
    fn bytes(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    fn drain(&mut self) {
        if self.buf.len() >= Self::CHUNK {
            self.hasher.update(&self.buf);
            self.buf.clear();
        }
    }
}

/// `sha256:<hex>` of the canonical form of `value` without its top-level
/// `digest` key.
pub fn digest_of(value: &Value) -> String {
    let mut out = HashWriter::new();
    write_canonical(&mut out, value, Some("digest"));
    out.finish()
}

/// A JSON writer over a [`Sink`]: compact (the canonical form) or pretty
/// exactly as `serde_json`'s pretty printer lays it out (two spaces, `": "`,
/// `{}` and `[]` when empty). Object keys are written in the order the
/// caller gives them; [`Json::value`] sorts a value's own keys.
struct Json<S: Sink> {
    out: S,
    pretty: bool,
    depth: usize,
}

impl<S: Sink> Json<S> {
    fn newline(&mut self) {
        let b = self.out.bytes();
        b.push(b'\n');
        for _ in 0..self.depth {
            b.extend_from_slice(b"  ");
        }
    }

    fn open(&mut self, c: u8) {
        self.out.raw(&[c]);
        self.depth += 1;
    }

    /// Closes an object or an array that held `n` entries.
    fn close(&mut self, c: u8, n: usize) {
        self.depth -= 1;
        if self.pretty && n > 0 {
            self.newline();
        }
        self.out.raw(&[c]);
        self.out.drain();
    }

    /// Starts the `n`th entry (from 0) of an object or an array.
    fn item(&mut self, n: usize) {
        if n > 0 {
            self.out.raw(b",");
        }
        if self.pretty {
            self.newline();
        }
    }

    /// Starts the `n`th entry of an object, its key written.
    fn key(&mut self, n: usize, k: &str) {
        self.item(n);
        self.out.string(k);
        self.out.raw(if self.pretty { b": " } else { b":" });
    }

    fn value(&mut self, value: &Value) {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort_unstable();
                self.open(b'{');
                for (n, k) in keys.iter().enumerate() {
                    self.key(n, k);
                    self.value(&map[*k]);
                }
                self.close(b'}', keys.len());
            }
            Value::Array(items) => {
                self.open(b'[');
                for (n, v) in items.iter().enumerate() {
                    self.item(n);
                    self.value(v);
                }
                self.close(b']', items.len());
            }
            Value::String(s) => self.out.string(s),
            Value::Number(n) => self.out.number(n),
            Value::Bool(true) => self.out.raw(b"true"),
            Value::Bool(false) => self.out.raw(b"false"),
            Value::Null => self.out.raw(b"null"),
        }
    }

    /// One part of a bundle, through its own small `Value` (never the
    /// whole bundle's).
    fn part<T: serde::Serialize>(&mut self, part: &T) {
        let value = serde_json::to_value(part).unwrap_or_default();
        self.value(&value);
    }

    fn map<'a, T: serde::Serialize + 'a>(
        &mut self,
        entries: impl Iterator<Item = (&'a String, &'a T)>,
    ) {
        self.open(b'{');
        let mut n = 0;
        for (k, v) in entries {
            self.key(n, k);
            self.part(v);
            n += 1;
        }
        self.close(b'}', n);
    }

    fn list<T: serde::Serialize>(&mut self, items: &[T]) {
        self.open(b'[');
        for (n, v) in items.iter().enumerate() {
            self.item(n);
            self.part(v);
        }
        self.close(b']', items.len());
    }

    /// Writes `b` with its keys sorted at every level, part by part: the
    /// same bytes as its whole `serde_json::Value` written sorted, without
    /// that `Value`. The top-level keys are `Bundle`'s fields in sorted
    /// order (a test holds them to the serialized bundle's); `digest` is
    /// left out when `with_digest` is false.
    fn bundle(&mut self, b: &super::Bundle, with_digest: bool) {
        self.open(b'{');
        let mut n = 0;
        let mut key = |json: &mut Self, k: &str| {
            json.key(n, k);
            n += 1;
        };
        key(self, "actions");
        self.map(b.actions.iter());
        if with_digest {
            key(self, "digest");
            self.out.string(&b.digest);
        }
        if !b.excluded_policies.is_empty() {
            key(self, "excluded_policies");
            self.list(&b.excluded_policies);
        }
        key(self, "format");
        self.out.string(&b.format);
        key(self, "issues");
        self.part(&b.issues);
        key(self, "lanes");
        self.map(b.lanes.iter());
        key(self, "lowered_checks");
        self.list(&b.lowered_checks);
        key(self, "products");
        self.map(b.products.iter());
        key(self, "rules");
        self.list(&b.rules);
        key(self, "sources");
        self.list(&b.sources);
        key(self, "version");
        self.part(&b.version);
        self.close(b'}', n);
    }
}

/// `sha256:<hex>` of the canonical form of `b` without its `digest`: what
/// [`digest_of`] gives for the bundle's `Value`, streamed part by part.
pub fn bundle_digest(b: &super::Bundle) -> String {
    let mut json = Json {
        out: HashWriter::new(),
        pretty: false,
        depth: 0,
    };
    json.bundle(b, false);
    json.out.finish()
}

/// The pretty-printed JSON of `b` with sorted keys and a final newline:
/// what [`to_pretty_json`] gives for the bundle's `Value`, written part by
/// part.
pub fn bundle_pretty(b: &super::Bundle) -> String {
    let mut json = Json {
        out: Vec::new(),
        pretty: true,
        depth: 0,
    };
    json.bundle(b, true);
    json.out.push(b'\n');
    // Only UTF-8 text and ASCII punctuation were written.
    String::from_utf8(json.out).unwrap_or_default()
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// What [`scan`] reads from a bundle's bytes in one pass.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scanned {
    /// The top-level `format`, `version` and `digest` values as written, or
    /// `None` when the top level is not an object.
    pub top: Option<Top>,
    /// [`digest_of`] the whole document.
    pub computed: String,
}

/// The envelope fields of a bundle, as written.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Top {
    pub format: Option<Value>,
    pub version: Option<Value>,
    pub digest: Option<Value>,
}

impl Top {
    /// The envelope of an already parsed document.
    pub fn of(value: &Value) -> Option<Top> {
        let map = value.as_object()?;
        Some(Top {
            format: map.get("format").cloned(),
            version: map.get("version").cloned(),
            digest: map.get("digest").cloned(),
        })
    }
}

/// Why [`scan`] stopped.
#[derive(Debug)]
pub(crate) enum ScanError {
    /// The bytes are not JSON.
    Json(serde_json::Error),
    /// Keys are not in strictly increasing order somewhere (a hand-edited
    /// or foreign bundle, or a duplicated key): hash through a [`Value`].
    Unsorted,
}

/// Parses `bytes` as JSON and computes [`digest_of`] it in the same pass,
/// without building a tree, while keys arrive sorted.
pub(crate) fn scan(bytes: &[u8]) -> Result<Scanned, ScanError> {
    let unsorted = Cell::new(false);
    let mut out = HashWriter::new();
    let mut top = None;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let seed = Canon {
        out: &mut out,
        unsorted: &unsorted,
        top: Some(&mut top),
        comma: false,
    };
    let parsed = seed.deserialize(&mut de).and_then(|()| de.end());
    match parsed {
        Ok(()) => Ok(Scanned {
            top,
            computed: out.finish(),
        }),
        Err(_) if unsorted.get() => Err(ScanError::Unsorted),
        Err(e) => Err(ScanError::Json(e)),
    }
}

/// Writes one JSON value in canonical form as it is parsed. At the top
/// level (`top` is set) it also captures the envelope fields and leaves
/// `digest` out of the hash.
///
/// `comma` asks for a `,` before the value: an array only learns that
/// another element follows when that element starts.
struct Canon<'a> {
    out: &'a mut HashWriter,
    unsorted: &'a Cell<bool>,
    top: Option<&'a mut Option<Top>>,
    comma: bool,
}

impl Canon<'_> {
    fn write<E: de::Error>(&mut self, bytes: &[u8]) -> Result<(), E> {
        if std::mem::take(&mut self.comma) {
            self.out.raw(b",");
        }
        self.out.raw(bytes);
        Ok(())
    }

    fn string<E: de::Error>(&mut self, s: &str) -> Result<(), E> {
        if std::mem::take(&mut self.comma) {
            self.out.raw(b",");
        }
        self.out.string(s);
        Ok(())
    }

    fn number<E: de::Error>(&mut self, n: serde_json::Number) -> Result<(), E> {
        if std::mem::take(&mut self.comma) {
            self.out.raw(b",");
        }
        self.out.number(&n);
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Canon<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Canon<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(mut self, v: bool) -> Result<(), E> {
        self.write(if v { b"true" } else { b"false" })
    }

    fn visit_i64<E: de::Error>(mut self, v: i64) -> Result<(), E> {
        self.number(v.into())
    }

    fn visit_u64<E: de::Error>(mut self, v: u64) -> Result<(), E> {
        self.number(v.into())
    }

    fn visit_f64<E: de::Error>(mut self, v: f64) -> Result<(), E> {
        // Exactly as a `Value` holding this number serializes (not finite: null).
        match serde_json::Number::from_f64(v) {
            Some(n) => self.number(n),
            None => self.write(b"null"),
        }
    }

    fn visit_str<E: de::Error>(mut self, v: &str) -> Result<(), E> {
        self.string(v)
    }

    /// A string borrowed from the input had no escapes there, and the
    /// reader refuses raw control characters: it needs no escaping.
    fn visit_borrowed_str<E: de::Error>(mut self, v: &'de str) -> Result<(), E> {
        self.write(b"\"")?;
        self.out.raw(v.as_bytes());
        self.out.raw(b"\"");
        self.out.drain();
        Ok(())
    }

    fn visit_unit<E: de::Error>(mut self) -> Result<(), E> {
        self.write(b"null")
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        self.write(b"[")?;
        let mut comma = false;
        while seq
            .next_element_seed(Canon {
                out: &mut *self.out,
                unsorted: self.unsorted,
                top: None,
                comma,
            })?
            .is_some()
        {
            comma = true;
        }
        self.write(b"]")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let mut envelope = self.top.as_ref().map(|_| Top::default());
        self.write(b"{")?;
        let mut prev: Option<Key<'de>> = None;
        let mut written = 0usize;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            if prev.as_ref().is_some_and(|p| p.as_str() >= key.as_str()) {
                self.unsorted.set(true);
                return Err(de::Error::custom("keys out of order"));
            }
            if let Some(env) = envelope.as_mut() {
                let slot = match key.as_str() {
                    "format" => Some(&mut env.format),
                    "version" => Some(&mut env.version),
                    "digest" => Some(&mut env.digest),
                    _ => None,
                };
                if let Some(slot) = slot {
                    let value: Value = map.next_value()?;
                    if key.as_str() != "digest" {
                        if written > 0 {
                            self.write(b",")?;
                        }
                        key.write_to(self.out);
                        self.write(b":")?;
                        write_canonical(&mut *self.out, &value, None);
                        written += 1;
                    }
                    *slot = Some(value);
                    prev = Some(key);
                    continue;
                }
            }
            if written > 0 {
                self.write(b",")?;
            }
            key.write_to(self.out);
            self.write(b":")?;
            map.next_value_seed(Canon {
                out: &mut *self.out,
                unsorted: self.unsorted,
                top: None,
                comma: false,
            })?;
            written += 1;
            prev = Some(key);
        }
        if let (Some(slot), Some(env)) = (self.top.take(), envelope) {
            *slot = Some(env);
        }
        self.write(b"}")
    }
}

/// An object key, borrowed from the input when it has no escapes.
enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s,
        }
    }

    /// Writes the key as a JSON string (a borrowed key needs no escaping,
    /// as with [`Visitor::visit_borrowed_str`] above).
    fn write_to(&self, out: &mut HashWriter) {
        match self {
            Key::Borrowed(s) => {
                out.raw(b"\"");
                out.raw(s.as_bytes());
                out.raw(b"\"");
            }
            Key::Owned(s) => out.string(s),
        }
    }
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key<'de>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Key<'de>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
        Ok(Key::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
        Ok(Key::Owned(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
        Ok(Key::Owned(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            (-1e6f64..1e6).prop_map(Value::from),
            "[a-z\"\\\\\u{e9}\u{1F600}\n\t\u{1}]{0,6}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::from),
                prop::collection::btree_map("[a-e\"\u{e9}]{0,3}", inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// The digest as first specified: clone, sort, render, hash.
    fn reference_digest(value: &Value) -> String {
        let mut v = value.clone();
        if let Value::Object(map) = &mut v {
            map.remove("digest");
        }
        let text = serde_json::to_string(&sorted(&v)).unwrap();
        format!("sha256:{}", hex(&Sha256::digest(text.as_bytes())))
    }

    proptest! {
        #[test]
        fn strings_are_escaped_as_serde_json_escapes_them(s in "\\PC*|[\u{0}-\u{7f}]{0,40}") {
            let mut out = Vec::new();
            escape_into(&mut out, &s);
            prop_assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(&s).unwrap());
        }

        #[test]
        fn streamed_digest_equals_the_rendered_one(value in arb_json(), digest in any::<bool>()) {
            let mut value = value;
            if digest && let Value::Object(map) = &mut value {
                map.insert("digest".into(), Value::from("sha256:0"));
            }
            let expected = reference_digest(&value);
            prop_assert_eq!(digest_of(&value), expected.clone());
            // Compact and pretty: the one-pass scan agrees with the digest of
            // what the text parses to (floats need not survive a round trip).
            for text in [serde_json::to_string(&value).unwrap(), to_pretty_json(&value)] {
                let parsed: Value = serde_json::from_str(&text).unwrap();
                let scanned = scan(text.as_bytes()).unwrap();
                prop_assert_eq!(&scanned.computed, &reference_digest(&parsed));
                prop_assert_eq!(scanned.top, Top::of(&parsed));
            }
        }
    }

    #[test]
    fn scan_reports_unsorted_keys_and_bad_json() {
        assert!(matches!(
            scan(br#"{"b": 1, "a": 2}"#),
            Err(ScanError::Unsorted)
        ));
        assert!(matches!(
            scan(br#"{"a": 1, "a": 2}"#),
            Err(ScanError::Unsorted)
        ));
        assert!(matches!(scan(br#"{"a": 1,"#), Err(ScanError::Json(_))));
        assert!(matches!(scan(br#"{"a": 1} x"#), Err(ScanError::Json(_))));
        assert_eq!(scan(b"[1, 2]").unwrap().top, None);
    }

    #[test]
    fn escaped_input_hashes_as_its_canonical_form() {
        let a = scan(br#"{"k\u0065y": "caf\u00e9 \/"}"#).unwrap();
        let b = scan("{\"key\":\"caf\u{e9} /\"}".as_bytes()).unwrap();
        assert_eq!(a.computed, b.computed);
    }

    #[test]
    fn long_arrays_across_buffer_edges_hash_the_same() {
        for n in [10_000usize, 16_383, 16_384, 21_845, 32_768, 40_000] {
            let value = Value::from((0..n).map(|k| k % 10).collect::<Vec<_>>());
            let text = serde_json::to_string(&value).unwrap();
            assert_eq!(
                scan(text.as_bytes()).unwrap().computed,
                reference_digest(&value)
            );
        }
    }

    /// The committed bundle fixtures, read back.
    fn fixture_bundles() -> Vec<(String, crate::bundle::Bundle)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bundles");
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            out.push((text.clone(), serde_json::from_str(&text).unwrap()));
        }
        assert!(out.len() >= 3);
        out
    }

    /// The streamed writers against the whole-`Value` path they replace.
    fn assert_streamed_as_whole_value(b: &crate::bundle::Bundle) {
        let value = serde_json::to_value(b).unwrap();
        assert_eq!(bundle_pretty(b), to_pretty_json(&value));
        assert_eq!(bundle_digest(b), digest_of(&value));
    }

    #[test]
    fn streamed_bundle_is_the_committed_fixtures_byte_for_byte() {
        for (text, b) in fixture_bundles() {
            assert_eq!(bundle_pretty(&b), text);
            assert_eq!(bundle_digest(&b), b.digest);
            assert_streamed_as_whole_value(&b);
        }
    }

    #[test]
    fn streamed_bundle_writes_every_top_level_key() {
        for (_, mut b) in fixture_bundles() {
            for excluded in [vec![], vec!["a.policy".to_string()]] {
                b.excluded_policies = excluded;
                b.issues = None;
                let written: Value = serde_json::from_str(&bundle_pretty(&b)).unwrap();
                let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
                assert_eq!(keys(&written), keys(&serde_json::to_value(&b).unwrap()));
                assert_streamed_as_whole_value(&b);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn streamed_bundle_equals_the_whole_value_path(
            extras in prop::collection::vec(
                prop::collection::btree_map("[a-z_\u{e9}\"]{1,8}", arb_json(), 0..4), 0..6),
            issues in proptest::option::of("[a-z:/\u{e9}\"\\\\]{0,12}"),
            excluded in prop::collection::vec("[a-z/\u{1}]{1,6}\\.policy", 0..3),
            doc in proptest::option::of("[a-z\n\t\"\u{1F600}]{0,12}"),
        ) {
            for (_, mut b) in fixture_bundles() {
                for (lane, extra) in b.lanes.values_mut().zip(&extras) {
                    lane.extra = extra.clone().into_iter().collect();
                }
                b.issues = issues.clone();
                b.excluded_policies = excluded.clone();
                if let Some(rule) = b.rules.first_mut() {
                    rule.doc = doc.clone();
                }
                assert_streamed_as_whole_value(&b);
            }
        }
    }
}

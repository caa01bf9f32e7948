//! Canonical JSON: object keys sorted at every level, no whitespace. The
//! digest is computed over this form, so it does not depend on how a file
//! was pretty-printed or on map ordering in any library.
//!
//! The digest is computed two ways, both streamed into SHA-256 (nothing is
//! cloned or rendered into a string first): [`digest_of`] a [`Value`], for
//! `build` and for the loader's step-by-step path, and `parse_hashed`,
//! which reads a bundle into its types and hashes it in the same pass over
//! its bytes, which is what makes loading a large bundle cheap. The second
//! gives up (and the loader falls back to a [`Value`]) when the bytes have
//! keys out of order, which `lanepolicy build` never writes. A property
//! test holds the two equal.

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use sha2::{Digest, Sha256};
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
#[cfg(test)]
pub fn bundle_pretty(b: &super::Bundle) -> String {
    let mut out = Vec::new();
    let _ = write_bundle_pretty(b, &mut out, u64::MAX);
    // Only UTF-8 text and ASCII punctuation were written.
    String::from_utf8(out).unwrap_or_default()
}

/// Writes what [`bundle_pretty`] gives to `w`, in chunks of about 64 KiB,
/// so that the text is never held whole (144 MB at 100,000 rules).
/// Returns the text's length in bytes. Past `limit` bytes nothing more is
/// written, but the length is still counted and returned.
///
/// # Errors
///
/// The first error `w` returned; nothing is written after it.
pub(crate) fn write_bundle_pretty<W: std::io::Write>(
    b: &super::Bundle,
    w: W,
    limit: u64,
) -> std::io::Result<u64> {
    let mut json = Json {
        out: WriteSink {
            w,
            buf: Vec::with_capacity(WriteSink::<W>::CHUNK + 1024),
            len: 0,
            limit,
            error: None,
        },
        pretty: true,
        depth: 0,
    };
    json.bundle(b, true);
    json.out.buf.push(b'\n');
    json.out.pass();
    match json.out.error {
        Some(e) => Err(e),
        None => json.out.w.flush().map(|()| json.out.len),
    }
}

/// A sink that passes its bytes on to a writer in chunks and counts them;
/// it stops writing past `limit` bytes, or after the writer's first error
/// (kept in `error`), and goes on counting.
struct WriteSink<W> {
    w: W,
    buf: Vec<u8>,
    len: u64,
    limit: u64,
    error: Option<std::io::Error>,
}

impl<W: std::io::Write> WriteSink<W> {
    const CHUNK: usize = 64 * 1024;

    /// Passes the buffer on and empties it.
    fn pass(&mut self) {
        self.len += self.buf.len() as u64;
        if self.error.is_none()
            && self.len <= self.limit
            && let Err(e) = self.w.write_all(&self.buf)
        {
            self.error = Some(e);
        }
        self.buf.clear();
    }
}

impl<W: std::io::Write> Sink for WriteSink<W> {
    fn bytes(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    fn drain(&mut self) {
        if self.buf.len() >= Self::CHUNK {
            self.pass();
        }
    }
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

/// Deserializes a `T` from `bytes` and computes [`digest_of`] the document
/// in the same pass, with no tree built in between: the
/// typed reader's every step is also written, in canonical form, into the
/// hash.
///
/// `None` whenever the fast path cannot vouch for the result: the bytes
/// are not UTF-8 JSON, the top level is not an object, a key is out of order or
/// written twice, or `T` refuses what it reads. The caller then takes the
/// slow path (a [`Value`] and [`digest_of`], then a separate parse), which
/// says precisely what
/// is wrong; a `Some` is exactly what that path would read and hash.
pub(crate) fn parse_hashed<'de, T: de::Deserialize<'de>>(bytes: &'de [u8]) -> Option<(T, String)> {
    let mut out = HashWriter::new();
    // UTF-8 is checked once for the whole text (JSON is UTF-8), so that the
    // reader does not check each string again.
    let text = std::str::from_utf8(bytes).ok()?;
    let mut de = serde_json::Deserializer::from_str(text);
    let tee = Tee {
        de: &mut de,
        out: &mut out,
        comma: false,
        top: true,
    };
    let value = T::deserialize(tee).ok()?;
    de.end().ok()?;
    Some((value, out.finish()))
}

/// A deserializer that hands what it reads to the typed reader and writes
/// its canonical form into the hash. `top` marks the document itself: it
/// must be an object, and its `digest` is left out of the hash. `comma`
/// asks for a `,` before the value: an array only learns that another
/// element follows when that element starts.
struct Tee<'a, D> {
    de: D,
    out: &'a mut HashWriter,
    comma: bool,
    top: bool,
}

impl<'a, D> Tee<'a, D> {
    fn visitor<V>(self, v: V) -> (D, TeeVisitor<'a, V>) {
        (
            self.de,
            TeeVisitor {
                v,
                out: self.out,
                comma: self.comma,
                top: self.top,
            },
        )
    }
}

/// Forwards `deserialize_*` methods to the wrapped deserializer, with the
/// visitor wrapped.
macro_rules! forward_tee {
    ($($method:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
                let (de, v) = self.visitor(visitor);
                de.$method($($arg,)* v)
            }
        )*
    };
}

impl<'de, D: de::Deserializer<'de>> de::Deserializer<'de> for Tee<'_, D> {
    type Error = D::Error;

    forward_tee! {
        deserialize_any(), deserialize_bool(), deserialize_i8(), deserialize_i16(),
        deserialize_i32(), deserialize_i64(), deserialize_u8(), deserialize_u16(),
        deserialize_u32(), deserialize_u64(), deserialize_f32(), deserialize_f64(),
        deserialize_char(), deserialize_str(), deserialize_string(), deserialize_bytes(),
        deserialize_byte_buf(), deserialize_option(), deserialize_unit(),
        deserialize_unit_struct(name: &'static str),
        deserialize_newtype_struct(name: &'static str),
        deserialize_seq(), deserialize_tuple(len: usize),
        deserialize_tuple_struct(name: &'static str, len: usize),
        deserialize_map(),
        deserialize_struct(name: &'static str, fields: &'static [&'static str]),
        deserialize_identifier(),
    }

    /// Ignored values are still hashed: read as any value.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        let (de, v) = self.visitor(visitor);
        de.deserialize_any(v)
    }

    /// An enum of the bundle is a string naming a unit variant; anything
    /// else is left to the slow path.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        if self.top {
            return Err(de::Error::custom("not an object"));
        }
        let key = self.de.deserialize_str(KeySeed)?;
        if self.comma {
            self.out.raw(b",");
        }
        key.write_to(self.out);
        self.out.drain();
        match key {
            Key::Borrowed(s) => {
                de::value::BorrowedStrDeserializer::new(s).deserialize_enum(name, variants, visitor)
            }
            Key::Owned(s) => {
                de::value::StringDeserializer::new(s).deserialize_enum(name, variants, visitor)
            }
        }
    }

    fn is_human_readable(&self) -> bool {
        self.de.is_human_readable()
    }
}

/// A visitor that writes each value it is given into the hash, then hands
/// it to the typed reader's visitor `v`.
struct TeeVisitor<'a, V> {
    v: V,
    out: &'a mut HashWriter,
    comma: bool,
    top: bool,
}

impl<V> TeeVisitor<'_, V> {
    /// Writes the pending comma; refuses a document that is not an object.
    fn start<E: de::Error>(&mut self, object: bool) -> Result<(), E> {
        if self.top && !object {
            return Err(de::Error::custom("not an object"));
        }
        if std::mem::take(&mut self.comma) {
            self.out.raw(b",");
        }
        Ok(())
    }

    fn number<E: de::Error>(&mut self, n: &serde_json::Number) -> Result<(), E> {
        self.start(false)?;
        self.out.number(n);
        Ok(())
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for TeeVisitor<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.v.expecting(f)
    }

    fn visit_bool<E: de::Error>(mut self, x: bool) -> Result<V::Value, E> {
        self.start(false)?;
        self.out.raw(if x { b"true" } else { b"false" });
        self.v.visit_bool(x)
    }

    fn visit_i64<E: de::Error>(mut self, x: i64) -> Result<V::Value, E> {
        self.number(&x.into())?;
        self.v.visit_i64(x)
    }

    fn visit_u64<E: de::Error>(mut self, x: u64) -> Result<V::Value, E> {
        self.number(&x.into())?;
        self.v.visit_u64(x)
    }

    fn visit_f64<E: de::Error>(mut self, x: f64) -> Result<V::Value, E> {
        // Exactly as a `Value` holding this number serializes (not finite:
        // null).
        match serde_json::Number::from_f64(x) {
            Some(n) => self.number(&n)?,
            None => {
                self.start(false)?;
                self.out.raw(b"null");
            }
        }
        self.v.visit_f64(x)
    }

    fn visit_str<E: de::Error>(mut self, x: &str) -> Result<V::Value, E> {
        self.start(false)?;
        self.out.string(x);
        self.v.visit_str(x)
    }

    /// A string borrowed from the input had no escapes there, and the
    /// reader refuses raw control characters: it is written as is.
    fn visit_borrowed_str<E: de::Error>(mut self, x: &'de str) -> Result<V::Value, E> {
        self.start(false)?;
        self.out.raw(b"\"");
        self.out.raw(x.as_bytes());
        self.out.raw(b"\"");
        self.out.drain();
        self.v.visit_borrowed_str(x)
    }

    fn visit_string<E: de::Error>(mut self, x: String) -> Result<V::Value, E> {
        self.start(false)?;
        self.out.string(&x);
        self.v.visit_string(x)
    }

    fn visit_none<E: de::Error>(mut self) -> Result<V::Value, E> {
        self.start(false)?;
        self.out.raw(b"null");
        self.v.visit_none()
    }

    fn visit_unit<E: de::Error>(mut self) -> Result<V::Value, E> {
        self.start(false)?;
        self.out.raw(b"null");
        self.v.visit_unit()
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.v.visit_some(Tee {
            de: d,
            out: self.out,
            comma: self.comma,
            top: self.top,
        })
    }

    fn visit_newtype_struct<D: de::Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.v.visit_newtype_struct(Tee {
            de: d,
            out: self.out,
            comma: self.comma,
            top: self.top,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, seq: A) -> Result<V::Value, A::Error> {
        self.start(false)?;
        self.out.raw(b"[");
        let value = self.v.visit_seq(TeeSeq {
            seq,
            out: &mut *self.out,
            first: true,
        })?;
        self.out.raw(b"]");
        Ok(value)
    }

    fn visit_map<A: MapAccess<'de>>(mut self, map: A) -> Result<V::Value, A::Error> {
        self.start(true)?;
        self.out.raw(b"{");
        let value = self.v.visit_map(TeeMap {
            map,
            out: &mut *self.out,
            prev: None,
            written: 0,
            top: self.top,
            skip: false,
        })?;
        self.out.raw(b"}");
        Ok(value)
    }
}

/// A [`DeserializeSeed`] whose value is read through a [`Tee`].
struct TeeSeed<'a, S> {
    seed: S,
    out: &'a mut HashWriter,
    comma: bool,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for TeeSeed<'_, S> {
    type Value = S::Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(Tee {
            de: d,
            out: self.out,
            comma: self.comma,
            top: false,
        })
    }
}

/// The elements of an array, each read through a [`Tee`].
struct TeeSeq<'a, A> {
    seq: A,
    out: &'a mut HashWriter,
    first: bool,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for TeeSeq<'_, A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        let value = self.seq.next_element_seed(TeeSeed {
            seed,
            out: &mut *self.out,
            comma: !self.first,
        })?;
        if value.is_some() {
            self.first = false;
        }
        Ok(value)
    }

    fn size_hint(&self) -> Option<usize> {
        self.seq.size_hint()
    }
}

/// The entries of an object: keys must arrive in strictly increasing order
/// (which also refuses a key written twice); each value is read through a
/// [`Tee`]. At the top level, `digest`'s value is hashed into a sink that
/// is thrown away.
struct TeeMap<'a, 'de, A> {
    map: A,
    out: &'a mut HashWriter,
    prev: Option<Key<'de>>,
    written: usize,
    top: bool,
    /// The current value is the top-level `digest`.
    skip: bool,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for TeeMap<'_, 'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let Some(key) = self.map.next_key_seed(KeySeed)? else {
            return Ok(None);
        };
        if self
            .prev
            .as_ref()
            .is_some_and(|p| p.as_str() >= key.as_str())
        {
            return Err(de::Error::custom("keys out of order"));
        }
        self.skip = self.top && key.as_str() == "digest";
        if !self.skip {
            if self.written > 0 {
                self.out.raw(b",");
            }
            key.write_to(self.out);
            self.out.raw(b":");
            self.written += 1;
        }
        let value = match &key {
            Key::Borrowed(s) => seed.deserialize(de::value::BorrowedStrDeserializer::new(s))?,
            Key::Owned(s) => seed.deserialize(de::value::StrDeserializer::new(s))?,
        };
        self.prev = Some(key);
        Ok(Some(value))
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        if std::mem::take(&mut self.skip) {
            let mut discard = HashWriter::new();
            return self.map.next_value_seed(TeeSeed {
                seed,
                out: &mut discard,
                comma: false,
            });
        }
        self.map.next_value_seed(TeeSeed {
            seed,
            out: &mut *self.out,
            comma: false,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
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
            // Compact and pretty: the one-pass reader reads what a plain
            // parse reads and agrees with the digest of it (floats need not
            // survive a round trip); it takes only objects.
            for text in [serde_json::to_string(&value).unwrap(), to_pretty_json(&value)] {
                let parsed: Value = serde_json::from_str(&text).unwrap();
                let hashed = parse_hashed::<Value>(text.as_bytes());
                if parsed.is_object() {
                    let digest = reference_digest(&parsed);
                    prop_assert_eq!(hashed, Some((parsed, digest)));
                } else {
                    prop_assert_eq!(hashed, None);
                }
            }
        }
    }

    #[test]
    fn the_one_pass_reader_refuses_what_it_cannot_vouch_for() {
        for bad in [
            &br#"{"b": 1, "a": 2}"#[..],
            br#"{"a": 1, "a": 2}"#,
            br#"{"a": 1,"#,
            br#"{"a": 1} x"#,
            b"[1, 2]",
            b"null",
            b"\"text\"",
        ] {
            assert_eq!(parse_hashed::<Value>(bad), None, "{bad:?}");
        }
        // Only the top level's `digest` is left out, as by `digest_of`.
        for text in [
            &br#"{"a": {"digest": 1}, "digest": "x", "z": [true, null, 1.5, -2]}"#[..],
            br#"{"digest": "x"}"#,
            br#"{"k\u0065y": "caf\u00e9 \/", "l": "\u0001"}"#,
        ] {
            let (value, computed) = parse_hashed::<Value>(text).expect("an object");
            assert_eq!(computed, digest_of(&value));
            assert_eq!(computed, reference_digest(&value));
        }
    }

    #[test]
    fn escaped_input_hashes_as_its_canonical_form() {
        let a = parse_hashed::<Value>(br#"{"k\u0065y": "caf\u00e9 \/"}"#).unwrap();
        let b = parse_hashed::<Value>("{\"key\":\"caf\u{e9} /\"}".as_bytes()).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn long_arrays_across_buffer_edges_hash_the_same() {
        for n in [10_000usize, 16_383, 16_384, 21_845, 32_768, 40_000] {
            let items = Value::from((0..n).map(|k| k % 10).collect::<Vec<_>>());
            let value = serde_json::json!({ "items": items });
            let text = serde_json::to_string(&value).unwrap();
            assert_eq!(
                parse_hashed::<Value>(text.as_bytes()).unwrap().1,
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

    /// A writer that records the size of each write and fails once it has
    /// taken `fail_after` bytes.
    struct Recorder {
        writes: Vec<usize>,
        taken: usize,
        fail_after: usize,
    }

    impl std::io::Write for Recorder {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.taken >= self.fail_after {
                return Err(std::io::Error::other("disk full"));
            }
            self.writes.push(buf.len());
            self.taken += buf.len();
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A fixture bundle grown to `n` rules (copies of its first).
    fn large_bundle(n: usize) -> crate::bundle::Bundle {
        let (_, mut b) = fixture_bundles().remove(0);
        let rule = b.rules[0].clone();
        b.rules = (0..n).map(|_| rule.clone()).collect();
        b
    }

    #[test]
    fn the_bundle_is_written_in_chunks_never_whole() {
        let b = large_bundle(2_000);
        let whole = bundle_pretty(&b);
        let mut w = Recorder {
            writes: Vec::new(),
            taken: 0,
            fail_after: usize::MAX,
        };
        let len = write_bundle_pretty(&b, &mut w, u64::MAX).unwrap();
        assert_eq!(len, whole.len() as u64);
        assert_eq!(w.taken, whole.len());
        assert!(w.writes.len() > 10, "{} writes", w.writes.len());
        // A chunk is a little over 64 KiB: one string past the threshold.
        let largest = w.writes.iter().max().copied().unwrap_or(0);
        assert!(largest < 2 * 64 * 1024, "a write of {largest} bytes");
    }

    #[test]
    fn past_the_limit_nothing_more_is_written_but_the_length_is_counted() {
        let b = large_bundle(2_000);
        let whole = bundle_pretty(&b).len();
        let limit = (whole / 2) as u64;
        let mut w = Recorder {
            writes: Vec::new(),
            taken: 0,
            fail_after: usize::MAX,
        };
        assert_eq!(
            write_bundle_pretty(&b, &mut w, limit).unwrap(),
            whole as u64
        );
        assert!(
            w.taken as u64 <= limit && w.taken > 0,
            "{} bytes taken",
            w.taken
        );
    }

    #[test]
    fn the_writers_first_error_is_returned_and_nothing_is_written_after_it() {
        let b = large_bundle(2_000);
        let mut w = Recorder {
            writes: Vec::new(),
            taken: 0,
            fail_after: 100_000,
        };
        let e = write_bundle_pretty(&b, &mut w, u64::MAX).unwrap_err();
        assert_eq!(e.to_string(), "disk full");
        let taken = w.taken;
        assert!(
            (100_000..100_000 + 2 * 64 * 1024).contains(&taken),
            "{taken}"
        );
        // `write_all` tried once more and failed; nothing after that.
        assert_eq!(w.writes.iter().sum::<usize>(), taken);
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

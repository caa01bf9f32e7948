//! A JSON value read with every key of every object once: what the bundle
//! loader reads a bundle into before hashing it, and what the inventory
//! reads a lane field's value into.

use serde::de::{Deserialize, Deserializer, Error, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt;

/// A [`Value`] read from any self-describing format (JSON, YAML) with a
/// key written twice in an object, at any depth, refused as ``duplicate
/// key `K` ``.
///
/// `serde_json::Value` keeps the last of two equal keys: in a bundle, two
/// readers could then see two different bundles behind one digest; in a
/// lane field's value (`meta: {1: a, "1": b}`, two keys YAML tells apart
/// that read as one text), one value would silently vanish. Numbers,
/// strings, booleans and null read as `serde_json::Value` reads them (a
/// float that is not finite as null).
#[derive(Debug, Clone, PartialEq)]
pub struct StrictValue(pub Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor::<false>).map(StrictValue)
    }
}

/// A [`StrictValue`] that also refuses, at any depth, a whole number it
/// cannot carry exactly: what the inventory reads a lane field's value
/// into.
///
/// A YAML integer beyond 64 bits (`id: 12345678901234567890123`) reaches
/// the reader as a float, and would be carried into the bundle as
/// `1.2345678901234568e22`, another number, without a word. Integers from
/// -2^63 to 2^64 - 1 arrive as integers and are kept exactly, so a whole
/// float outside that range is refused as ``… cannot be carried exactly``
/// (a float written so, `1e20`, is refused alike: quote either to keep
/// it as text).
#[derive(Debug, Clone, PartialEq)]
pub struct ExactValue(pub Value);

impl<'de> Deserialize<'de> for ExactValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor::<true>).map(ExactValue)
    }
}

/// Reads one value; `EXACT` refuses whole floats beyond 64-bit integers.
struct StrictVisitor<const EXACT: bool>;

/// One value of the same kind as the visitor reading its container.
struct Element<const EXACT: bool>;

impl<'de, const EXACT: bool> serde::de::DeserializeSeed<'de> for Element<EXACT> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(StrictVisitor::<EXACT>)
    }
}

/// True for a whole float where an integer literal out of 64-bit range
/// may have landed: at or below -2^63, or at or above 2^64. Readers fall
/// back to floats for integers outside [-2^63, 2^64); those round to
/// floats outside (-2^63, 2^64) (`-9223372036854775809` rounds to -2^63
/// itself), while -2^63 written as an integer arrives as an integer.
fn beyond_integers(v: f64) -> bool {
    const LOW: f64 = -9_223_372_036_854_775_808.0; // -2^63
    const HIGH: f64 = 18_446_744_073_709_551_616.0; // 2^64
    v.is_finite() && v.fract() == 0.0 && !(v > LOW && v < HIGH)
}

impl<'de, const EXACT: bool> Visitor<'de> for StrictVisitor<EXACT> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: Error>(self, v: f64) -> Result<Value, E> {
        if EXACT && beyond_integers(v) {
            return Err(E::custom(format_args!(
                "this number cannot be carried exactly: it reads as {v:e}, and whole numbers are kept exactly only from -2^63 to 2^64 - 1; quote it to keep it as text"
            )));
        }
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(Element::<EXACT>)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(A::Error::custom(format_args!("duplicate key `{key}`")));
            }
            let v = map.next_value_seed(Element::<EXACT>)?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::StrictValue;
    use proptest::prelude::*;

    /// Without a repeated key, it reads what `serde_json::Value` reads.
    #[test]
    fn it_reads_what_a_value_reads() {
        for text in [
            r#"{"a": [1, -2, 2.5, true, null, "x"], "b": {"c": {}}}"#,
            "[]",
            "18446744073709551615",
            r#""\u00e9""#,
        ] {
            let strict: StrictValue = serde_json::from_str(text).unwrap();
            let plain: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(strict.0, plain, "{text}");
        }
    }

    #[test]
    fn a_key_written_twice_at_any_depth_is_refused() {
        for text in [r#"{"a": 1, "a": 2}"#, r#"[{"b": {"c": 1, "c": 1}}]"#] {
            let e = serde_json::from_str::<StrictValue>(text).unwrap_err();
            assert!(e.to_string().contains("duplicate key `"), "{e}");
        }
    }

    #[test]
    fn a_whole_number_beyond_64_bits_is_refused_only_where_it_must_be_exact() {
        use super::ExactValue;
        for text in [
            "[18446744073709551615, -9223372036854775808, 1e19, 2.5, -1.5e-300]",
            r#"{"a": {"b": [9223372036854775807]}}"#,
        ] {
            let exact: ExactValue = serde_json::from_str(text).unwrap();
            let plain: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(exact.0, plain, "{text}");
        }
        for (text, reads_as) in [
            ("18446744073709551616", "1.8446744073709552e19"),
            ("-9223372036854775809", "-9.223372036854776e18"),
            ("-9223372036854776833", "-9.223372036854778e18"),
            (
                r#"{"a": [1, {"b": 12345678901234567890123}]}"#,
                "1.2345678901234568e22",
            ),
            ("-1.5e300", "-1.5e300"),
        ] {
            let e = serde_json::from_str::<ExactValue>(text).unwrap_err();
            assert!(
                e.to_string().contains(&format!(
                    "cannot be carried exactly: it reads as {reads_as},"
                )),
                "{text}: {e}"
            );
            // The bundle's reader keeps what serde_json keeps.
            assert!(serde_json::from_str::<StrictValue>(text).is_ok(), "{text}");
        }
    }

    proptest! {
        #[test]
        fn any_json_reads_as_a_value_does(v in any_json()) {
            let text = serde_json::to_string(&v).unwrap();
            let strict: StrictValue = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(strict.0, v);
        }
    }

    fn any_json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<u64>().prop_map(serde_json::Value::from),
            "[a-z\u{e9} ]{0,6}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
                prop::collection::btree_map("[a-c]{1,2}", inner, 0..4)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }
}

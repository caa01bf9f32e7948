//! Compact containers for what the inventory and the bundle hold by the
//! hundred thousand: [`SortedMap`] (a product's events, a rule's phrases,
//! a lane's fields as written) and [`exact_list`] (a rule's short lists).

use litemap::LiteMap;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;
use std::ops::{Deref, DerefMut};

/// A map kept as one vector of `(key, value)` sorted by key, each key once
/// (a [`LiteMap`]): lookups by binary search, iteration in key order, one
/// allocation of exactly its entries.
///
/// It stands where a `BTreeMap` would, for maps of a few entries held by
/// the hundred thousand: a `BTreeMap` keeps even one entry in a node with
/// room for eleven (a rule's two phrases cost 544 bytes in one, 96 here;
/// at 100,000 rules `build` peaked 54 MB higher).
///
/// Read and written as a JSON or YAML map, exactly as a `BTreeMap` is: in
/// key order; of a key given twice, the last value is kept; anything but a
/// map is refused with serde's "expected a map".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortedMap<K, V>(LiteMap<K, V>);

impl<K, V> Default for SortedMap<K, V> {
    fn default() -> Self {
        SortedMap(LiteMap::new())
    }
}

impl<K, V> Deref for SortedMap<K, V> {
    type Target = LiteMap<K, V>;

    fn deref(&self) -> &LiteMap<K, V> {
        &self.0
    }
}

impl<K, V> DerefMut for SortedMap<K, V> {
    /// The map, to change: [`LiteMap::insert`] keeps it sorted.
    fn deref_mut(&mut self) -> &mut LiteMap<K, V> {
        &mut self.0
    }
}

impl<K, V> SortedMap<K, V> {
    /// The values, in key order, to change (the keys stay).
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.0.iter_mut().map(|(_, v)| v)
    }
}

impl<K: Ord, V> SortedMap<K, V> {
    /// The value of each of `keys` (sorted, each once), in their order:
    /// one walk of both lists, O(keys + entries), where a `get` per key
    /// would cost O(keys log entries). A rule's phrase of each of its
    /// lanes is read this way.
    pub fn along<'s>(&'s self, keys: &'s [K]) -> impl Iterator<Item = Option<&'s V>> {
        let mut entries = self.0.as_slice().iter().peekable();
        keys.iter().map(move |key| {
            while entries.next_if(|(k, _)| k < key).is_some() {}
            entries.next_if(|(k, _)| k == key).map(|(_, v)| v)
        })
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for SortedMap<K, V> {
    /// Sorted by key (one pass when already sorted); of a key given twice,
    /// the last value is kept, as `BTreeMap::from_iter` keeps it. The
    /// vector holds no spare room.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        // In the vector the entries come in (a vector's own is reused): a
        // map read from a bundle or built from sorted entries is checked
        // in one pass and neither sorted nor copied.
        let mut entries: Vec<(K, V)> = iter.into_iter().collect();
        if !entries.windows(2).all(|w| w[0].0 < w[1].0) {
            // Stable, so that of equal keys the last written is last.
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            // `dedup_by` drops `later` when it returns true: its value is
            // first moved into the entry that stays.
            entries.dedup_by(|later, kept| {
                let same = later.0 == kept.0;
                if same {
                    std::mem::swap(later, kept);
                }
                same
            });
        }
        if entries.capacity() > entries.len() {
            // Moved to a vector of their own size: `shrink_to_fit` may keep
            // the block (an allocator keeps one that the entries fill to
            // half or more), and a map read entry by entry has grown by
            // doubling.
            let mut exact = Vec::with_capacity(entries.len());
            exact.append(&mut entries);
            entries = exact;
        }
        SortedMap(LiteMap::from_sorted_store_unchecked(entries))
    }
}

impl<K: Ord, V, const N: usize> From<[(K, V); N]> for SortedMap<K, V> {
    fn from(entries: [(K, V); N]) -> Self {
        entries.into_iter().collect()
    }
}

impl<'a, K, V> IntoIterator for &'a SortedMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.as_slice().iter().map(|(k, v)| (k, v))
    }
}

impl<K, V> IntoIterator for SortedMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;

    /// The entries, by value, in key order.
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_tuple_vec().into_iter()
    }
}

impl<K: Serialize, V: Serialize> Serialize for SortedMap<K, V> {
    /// A map in key order, empty or not (`{}`: a `LiteMap` of its own
    /// would write an empty map as `[]`).
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self)
    }
}

impl<'de, K: Ord + Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for SortedMap<K, V> {
    /// A map only (a `LiteMap` of its own would also take a list of
    /// pairs), its entries then sorted as [`FromIterator`] sorts them.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(map_entries(d)?.into_iter().collect())
    }
}

/// A map's entries as they are written, in one vector: what a map type
/// that is built in one step is read from ([`SortedMap`] and the bundle's
/// large maps). Expects what `BTreeMap` expects ("a map"), so
/// that messages do not change.
pub(crate) fn map_entries<'de, D, K, V>(d: D) -> Result<Vec<(K, V)>, D::Error>
where
    D: serde::Deserializer<'de>,
    K: Deserialize<'de>,
    V: Deserialize<'de>,
{
    struct Visit<K, V>(std::marker::PhantomData<(K, V)>);
    impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> serde::de::Visitor<'de> for Visit<K, V> {
        type Value = Vec<(K, V)>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a map")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut a: A,
        ) -> Result<Self::Value, A::Error> {
            // Up to four entries (a product's events, a rule's phrases, a
            // lane's fields) are kept on the stack and then moved into one
            // vector of their size; past that, the vector grows.
            let mut out: SmallVec<[(K, V); 4]> = SmallVec::new();
            if let Some(n) = a.size_hint() {
                out.reserve(n.min(4096));
            }
            while let Some(entry) = a.next_entry()? {
                out.push(entry);
            }
            Ok(exact_vec(out))
        }
    }
    d.deserialize_map(Visit(std::marker::PhantomData))
}

/// The items of `items` in a vector of exactly their number when they
/// were held on the stack (`SmallVec::into_vec` would give room for four);
/// the grown vector itself otherwise.
fn exact_vec<T>(mut items: SmallVec<[T; 4]>) -> Vec<T> {
    if items.spilled() {
        return items.into_vec();
    }
    let mut out = Vec::with_capacity(items.len());
    out.extend(items.drain(..));
    out
}

/// A list read as serde reads a `Vec` ("a sequence"), into a vector of
/// exactly its length when it has up to four items (a rule's actions,
/// lanes, patterns, events, dates and proofs): serde's own reader, given
/// no length by JSON, makes room for four at the first item.
pub(crate) fn exact_list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Visit<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Visit<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a sequence")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Vec<T>, A::Error> {
            let mut out: SmallVec<[T; 4]> = SmallVec::new();
            if let Some(n) = a.size_hint() {
                out.reserve(n.min(4096));
            }
            while let Some(item) = a.next_element()? {
                out.push(item);
            }
            Ok(exact_vec(out))
        }
    }
    d.deserialize_seq(Visit(std::marker::PhantomData))
}

#[cfg(test)]
mod tests {
    use super::SortedMap;
    use std::collections::BTreeMap;

    /// Read, a `SortedMap` holds what a `BTreeMap` holds, and writes the
    /// same text: sorted or not, keys repeated (the last kept), empty,
    /// large; and it refuses what a `BTreeMap` refuses.
    #[test]
    fn a_sorted_map_reads_and_writes_as_a_btree_map_does() {
        let large: String = (0..5_000)
            .map(|k| format!("\"k{:05}\": {k}", (k * 7919) % 5_000))
            .collect::<Vec<_>>()
            .join(", ");
        for text in [
            "{}".to_string(),
            r#"{"a": 1, "b": 2, "c": 3}"#.to_string(),
            r#"{"c": 3, "a": 1, "b": 2}"#.to_string(),
            r#"{"a": 1, "b": 2, "a": 3, "b": 4, "a": 5}"#.to_string(),
            format!("{{{large}}}"),
        ] {
            let sorted: SortedMap<String, u32> = serde_json::from_str(&text).unwrap();
            let btree: BTreeMap<String, u32> = serde_json::from_str(&text).unwrap();
            assert!(sorted.iter().eq(btree.iter()), "{text}");
            assert_eq!(
                serde_json::to_string(&sorted).unwrap(),
                serde_json::to_string(&btree).unwrap()
            );
            for (k, v) in &btree {
                assert_eq!(sorted.get(k), Some(v));
            }
            assert_eq!(sorted.get("absent"), None);
        }
        for bad in ["[]", r#"[["a", 1]]"#, "1", "null", r#"{"a": "x"}"#] {
            let sorted =
                serde_json::from_str::<SortedMap<String, u32>>(bad).map_err(|e| e.to_string());
            let btree =
                serde_json::from_str::<BTreeMap<String, u32>>(bad).map_err(|e| e.to_string());
            assert!(sorted.is_err(), "{bad}");
            assert_eq!(sorted.err(), btree.err(), "{bad}");
        }
    }

    proptest::proptest! {
        /// Built from any entries, in any order, with any repeats, a
        /// `SortedMap` holds what a `BTreeMap` built from them holds, and
        /// finds each key as it does.
        #[test]
        fn a_sorted_map_holds_what_a_btree_map_holds(
            entries in proptest::collection::vec(("[a-e]{0,2}", 0u8..4), 0..40),
            asked in proptest::collection::btree_set("[a-f]{0,2}", 0..20),
        ) {
            let sorted: SortedMap<String, u8> = entries.iter().cloned().collect();
            let btree: BTreeMap<String, u8> = entries.iter().cloned().collect();
            proptest::prop_assert!(sorted.iter().eq(btree.iter()));
            for (k, _) in &entries {
                proptest::prop_assert_eq!(sorted.get(k), btree.get(k));
            }
            // Keys it holds and keys it does not, sorted, each once.
            let keys: Vec<String> = btree.keys().cloned().chain(asked).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
            let along: Vec<Option<&u8>> = sorted.along(&keys).collect();
            let got: Vec<Option<&u8>> = keys.iter().map(|k| btree.get(k)).collect();
            proptest::prop_assert_eq!(along, got);
        }
    }

    #[derive(serde::Deserialize)]
    struct Exact {
        #[serde(deserialize_with = "super::exact_list")]
        l: Vec<String>,
    }

    #[derive(serde::Deserialize)]
    struct Plain {
        l: Vec<String>,
    }

    /// A list read by `exact_list` is what serde reads into a `Vec`, with
    /// the same messages when it is not a list of strings, and a short
    /// one has no spare room.
    #[test]
    fn an_exact_list_reads_as_a_vec_does_without_spare_room() {
        for n in 0..12 {
            let items: Vec<String> = (0..n).map(|k| format!("\"i{k}\"")).collect();
            let text = format!(r#"{{"l": [{}]}}"#, items.join(", "));
            let exact: Exact = serde_json::from_str(&text).unwrap();
            let plain: Plain = serde_json::from_str(&text).unwrap();
            assert_eq!(exact.l, plain.l);
            if n <= 4 {
                assert_eq!(exact.l.capacity(), n, "{text}");
            }
        }
        for bad in [
            r#"{"l": {}}"#,
            r#"{"l": "a"}"#,
            r#"{"l": [1]}"#,
            r#"{"l": null}"#,
        ] {
            let exact = serde_json::from_str::<Exact>(bad)
                .map(|_| ())
                .map_err(|e| e.to_string());
            let plain = serde_json::from_str::<Plain>(bad)
                .map(|_| ())
                .map_err(|e| e.to_string());
            assert!(exact.is_err(), "{bad}");
            assert_eq!(exact, plain, "{bad}");
        }
    }

    /// Built from entries in any order, the map is sorted, keeps the last
    /// of a repeated key, and its vector has no spare room.
    #[test]
    fn a_sorted_map_is_built_exact() {
        let m: SortedMap<String, u32> = [("b", 1), ("a", 2), ("b", 3), ("c", 4)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        let entries: Vec<(String, u32)> = m.clone().into_iter().collect();
        assert_eq!(
            entries,
            [
                ("a".to_string(), 2),
                ("b".to_string(), 3),
                ("c".to_string(), 4)
            ]
        );
        let v = m.0.into_tuple_vec();
        assert_eq!(v.capacity(), v.len());
    }
}

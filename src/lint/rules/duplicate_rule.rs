//! L010 duplicate-rule: an allow is fully covered by another allow.
//!
//! ## What it does
//! Reports an `allow` when another `allow`, in any policy file, already
//! allows every request it allows: the same or more actions on the same or
//! more lanes, asking no other phrase, no more proofs, and retiring no
//! earlier. Of two identical rules, the second is reported.
//!
//! ## Why is this bad?
//! The covered rule can be deleted without changing any decision, but it
//! will not be retired when someone edits the other one, and a reviewer has
//! to read both to know what is allowed.
//!
//! ## Example
//! ```lanepolicy
//! allow empty_bootstrap on cm/* until launch issue=#573 confirm="bootstrap {context} {instance}"
//! allow empty_bootstrap on cm/testing until launch issue=#573 confirm="bootstrap {context} {instance}"
//! ```
//!
//! ## Use instead
//! ```lanepolicy
//! allow empty_bootstrap on cm/* until launch issue=#573 confirm="bootstrap {context} {instance}"
//! ```

use super::covers;
use crate::checks::Code;
use crate::diagnostic::Diagnostic;
use crate::lint::LintContext;
use crate::model::normalized_phrase;
use crate::sema::Rule;
use crate::syntax::ast::Retire;
use std::hash::BuildHasher;
/// The index's maps hash with foldhash (randomly seeded, so keys written
/// to collide cannot be chosen in advance): they are only looked up, never
/// iterated, so the hasher cannot change what is reported.
type HashMap<K, V> = foldhash::HashMap<K, V>;

fn diagnostic(rule: &Rule, by: &Rule) -> Diagnostic {
    Diagnostic::new(
        Code::L010,
        rule.file,
        rule.keyword_span,
        "this `allow` is covered by another `allow`",
    )
    .label("allows nothing the other rule does not")
    .note(by.file, by.keyword_span, "covered by this rule")
    .help("delete one of the two rules, or make them differ in what they allow")
}

/// An `until` condition as text, for the index.
fn condition(c: &Retire) -> String {
    match c {
        Retire::Event(e) => e.name.clone(),
        Retire::Date { date, .. } => date.to_string(),
    }
}

/// What [`covers`] compares of a rule, normalized: two rules with the same
/// signature (that do cover each other) allow the same requests. Conditions
/// and phrases are by their ids in [`Names`].
#[derive(PartialEq, Eq, Hash)]
struct Signature<'a> {
    actions: Vec<&'a str>,
    lanes: &'a [String],
    requires: Vec<&'a str>,
    until: Vec<usize>,
    phrases: Option<Vec<usize>>,
}

/// Conditions and normalized phrases by id, each text once: the index
/// then compares and hashes numbers, and holds no text of its own. The
/// texts by id are kept only where they are read again (`texts`: the
/// conditions, whose text breaks ties of rarity).
#[derive(Default)]
struct Names {
    ids: HashMap<String, usize>,
    texts: Option<Vec<String>>,
}

impl Names {
    /// Names whose texts are kept by id.
    fn with_texts() -> Self {
        Names {
            ids: HashMap::default(),
            texts: Some(Vec::new()),
        }
    }

    fn id(&mut self, text: impl AsRef<str> + Into<String>) -> usize {
        if let Some(&id) = self.ids.get(text.as_ref()) {
            return id;
        }
        let id = self.ids.len();
        let text: String = text.into();
        if let Some(texts) = &mut self.texts {
            texts.push(text.clone());
        }
        self.ids.insert(text, id);
        id
    }

    /// The text of `id` (kept by [`Names::with_texts`]; empty otherwise).
    fn text(&self, id: usize) -> &str {
        self.texts
            .as_ref()
            .and_then(|t| t.get(id))
            .map_or("", String::as_str)
    }
}

/// A rule's conditions (in `until` order) and, per lane (in `lanes`
/// order), the id of its normalized phrase if it has one there.
struct Interned {
    conditions: Vec<usize>,
    phrases: Vec<Option<usize>>,
}

fn intern(r: &Rule, conditions: &mut Names, phrases: &mut Names) -> Interned {
    Interned {
        conditions: r
            .until
            .iter()
            .map(|c| conditions.id(condition(c)))
            .collect(),
        phrases: r
            .phrases
            .along(&r.lanes)
            .map(|p| p.map(|p| phrases.id(normalized_phrase(p))))
            .collect(),
    }
}

/// The rule's phrase ids per lane, a missing phrase as the empty one's
/// (`empty`), when it asks a phrase.
fn phrase_ids(r: &Rule, names: &Interned, empty: usize) -> Option<Vec<usize>> {
    r.confirm
        .as_ref()
        .map(|_| names.phrases.iter().map(|p| p.unwrap_or(empty)).collect())
}

fn signature<'a>(r: &'a Rule, names: &Interned, empty: usize) -> Signature<'a> {
    fn sorted(mut v: Vec<&str>) -> Vec<&str> {
        v.sort_unstable();
        v.dedup();
        v
    }
    let mut until = names.conditions.clone();
    until.sort_unstable();
    until.dedup();
    Signature {
        actions: sorted(r.actions.iter().map(|a| a.name.as_str()).collect()),
        lanes: &r.lanes,
        requires: sorted(r.requires.iter().map(|p| p.name.as_str()).collect()),
        until,
        phrases: phrase_ids(r, names, empty),
    }
}

pub(crate) fn run(ctx: &LintContext, out: &mut Vec<Diagnostic>) {
    let allows: Vec<&Rule> = super::allows(ctx).collect();
    for (a, b) in covered(&allows).0 {
        out.push(diagnostic(allows[a], allows[b]));
    }
}

/// No phrase, or no condition, in a [`Key`].
const NONE: usize = usize::MAX;

/// An index entry's key: (lane, action id, phrase id or [`NONE`], rarest
/// condition id or [`NONE`]).
type Key<'a> = (&'a str, usize, usize, usize);

/// Sorted (key, value) pairs looked up by binary search: the lookups of a
/// hash map of vectors in one allocation without a vector per key (at
/// 100,000 rules the index took 35 MB as a map, 10 MB as pairs).
struct Sorted<K, V>(Vec<(K, V)>);

impl<K: Ord, V: Ord> Sorted<K, V> {
    fn new(mut pairs: Vec<(K, V)>) -> Self {
        pairs.sort_unstable();
        Sorted(pairs)
    }

    /// The values of `key`, in order. O(log n) to find the first.
    fn get<'s>(&'s self, key: &'s K) -> impl Iterator<Item = &'s V> + 's {
        let start = self.0.partition_point(|(k, _)| k < key);
        self.0[start..]
            .iter()
            .take_while(move |(k, _)| k == key)
            .map(|(_, v)| v)
    }
}

impl<K: Ord> Sorted<K, usize> {
    /// Each distinct key of `keys` with how many times it occurs.
    fn counted(mut keys: Vec<K>) -> Self {
        keys.sort_unstable();
        let mut counted: Vec<(K, usize)> = Vec::new();
        for k in keys {
            match counted.last_mut() {
                Some((last, n)) if *last == k => *n += 1,
                _ => counted.push((k, 1)),
            }
        }
        Sorted(counted)
    }
}

/// For each allow covered by another, (its index, the index of the first
/// rule that covers it); and how many times [`covers`] was called.
///
/// Identical rules (same [`Signature`]) are grouped first, and only the
/// first of each group is indexed and compared: n copies of one rule cost
/// O(n), not O(n^2). A rule `b` that covers `a` matches every (lane,
/// action) of `a`, asks either no phrase or `a`'s phrase there, and retires
/// at no condition `a` lacks; so `b` is indexed by each of its (lane,
/// action) pairs, its phrase there, and its rarest condition, and `a` looks
/// only in the buckets of its rarest (lane, action) pair.
fn covered(allows: &[&Rule]) -> (Vec<(usize, usize)>, usize) {
    let mut comparisons = 0usize;
    let mut check = |outer: &Rule, inner: &Rule| {
        comparisons += 1;
        covers(outer, inner)
    };
    let mut condition_names = Names::with_texts();
    let mut phrase_names = Names::default();
    let empty = phrase_names.id(String::new());
    let names: Vec<Interned> = allows
        .iter()
        .map(|r| intern(r, &mut condition_names, &mut phrase_names))
        .collect();
    // Group identical rules under the first of them (its representative).
    // By a hash of the signature (foldhash, randomly seeded): a rule whose
    // hash matches a representative whose signature differs (a collision)
    // is its own representative, which costs comparisons, never a result.
    let hasher = foldhash::fast::RandomState::default();
    let mut groups: HashMap<u64, usize> = HashMap::default();
    let mut rep: Vec<usize> = Vec::with_capacity(allows.len());
    for (i, a) in allows.iter().enumerate() {
        // A rule that names no lane or no action is never reported.
        if a.lanes.is_empty() || a.actions.is_empty() {
            rep.push(i);
            continue;
        }
        let sig = signature(a, &names[i], empty);
        let r = *groups.entry(hasher.hash_one(&sig)).or_insert(i);
        let r = if r == i || signature(allows[r], &names[r], empty) == sig {
            r
        } else {
            i
        };
        let same = r == i || (check(allows[r], a) && check(a, allows[r]));
        rep.push(if same { r } else { i });
    }
    drop(groups);
    let reps = || (0..allows.len()).filter(|&i| rep[i] == i);
    // Actions by id, so the index's keys hold one string (the lane).
    let mut action_names = Names::default();
    let action_ids: Vec<Vec<usize>> = allows
        .iter()
        .map(|b| {
            let mut ids: Vec<usize> = b.actions.iter().map(|a| action_names.id(a.name.as_str())).collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        })
        .collect();
    // How often each condition and each (lane, action) pair occurs.
    let mut condition_count: Vec<usize> = vec![0; condition_names.ids.len()];
    let mut pairs: Vec<(&str, usize)> = Vec::new();
    for j in reps() {
        let b = allows[j];
        let mut conds = names[j].conditions.clone();
        conds.sort_unstable();
        conds.dedup();
        for c in conds {
            condition_count[c] += 1;
        }
        for lane in &b.lanes {
            pairs.extend(action_ids[j].iter().map(|&x| (lane.as_str(), x)));
        }
    }
    let pair_count = Sorted::counted(pairs);
    let mut index: Vec<(Key, usize)> = Vec::new();
    for j in reps() {
        let b = allows[j];
        // The rarest condition; of equally rare ones, the first in text order.
        let rarest = names[j]
            .conditions
            .iter()
            .copied()
            .min_by_key(|&c| (condition_count[c], condition_names.text(c)))
            .unwrap_or(NONE);
        let phrases = phrase_ids(b, &names[j], empty);
        for (k, lane) in b.lanes.iter().enumerate() {
            let phrase = phrases.as_ref().map_or(NONE, |p| p[k]);
            for &action in &action_ids[j] {
                index.push(((lane.as_str(), action, phrase, rarest), j));
            }
        }
    }
    let index = Sorted::new(index);
    // The first rule that covers each representative (None: none does).
    let mut first_cover: Vec<Option<usize>> = vec![None; allows.len()];
    let mut found = Vec::new();
    for (i, a) in allows.iter().enumerate() {
        let r = rep[i];
        if r != i {
            // A copy of an earlier rule: covered by whatever covers that
            // rule first, if earlier than it, else by that rule.
            let by = first_cover[r].filter(|&j| j < r);
            found.push((i, by.unwrap_or(r)));
            continue;
        }
        let pair = a
            .lanes
            .iter()
            .enumerate()
            .flat_map(|(k, l)| action_ids[i].iter().map(move |&x| (k, l.as_str(), x)))
            .min_by_key(|&(_, l, x)| pair_count.get(&(l, x)).next().copied().unwrap_or(0));
        let Some((k, lane, action)) = pair else {
            continue;
        };
        let phrases = [NONE, names[i].phrases[k].unwrap_or(NONE)];
        let conditions: Vec<usize> = std::iter::once(NONE)
            .chain(names[i].conditions.iter().copied())
            .collect();
        let mut candidates: Vec<usize> = Vec::new();
        for phrase in phrases
            .iter()
            .filter(|&&p| p == NONE || a.confirm.is_some())
        {
            for cond in &conditions {
                let key = (lane, action, *phrase, *cond);
                candidates.extend(index.get(&key));
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        // Another rule covers `a`; when they cover each other, only the later one is reported.
        let by = candidates.into_iter().find(|&j| {
            let b = allows[j];
            j != i && check(b, a) && (j < i || !check(a, b))
        });
        first_cover[i] = by;
        if let Some(j) = by {
            found.push((i, j));
        }
    }
    (found, comparisons)
}

#[cfg(test)]
mod tests {
    use super::covered;
    use crate::sema::Rule;

    const INVENTORY: &str = "issues: https://github.com/example/ops/issues/\nactions:\n  deploy: {operation: deploy, destructive: false}\nproducts:\n  p:\n    context: ctx0\n    events: {launch: pending}\n    lanes:\n      lane0: {production: false, phase: prelaunch}\n      lane1: {production: false, phase: prelaunch}\n";

    fn rules(policy: &str) -> Vec<Rule> {
        super::super::resolved(INVENTORY, policy)
    }

    /// (covered rule, by) pairs and the number of `covers` calls for n
    /// rules that `rule(k)` writes.
    fn run(n: usize, rule: impl Fn(usize) -> String) -> (Vec<(usize, usize)>, usize) {
        let text: String = (0..n).map(|k| rule(k) + "\n").collect();
        let rules = rules(&text);
        let refs: Vec<&Rule> = rules.iter().collect();
        covered(&refs)
    }

    #[test]
    fn identical_rules_on_one_lane_cost_linear_comparisons() {
        for n in [10, 100, 2000] {
            let (found, comparisons) = run(n, |_| {
                "allow deploy on ctx0/lane0 until launch issue=#1 confirm=\"deploy {lane}\"".into()
            });
            // Every copy after the first is covered by the first.
            assert_eq!(found, (1..n).map(|k| (k, 0)).collect::<Vec<_>>());
            assert!(comparisons <= 3 * n, "n={n}: {comparisons} comparisons");
        }
    }

    #[test]
    fn rules_that_do_not_cover_each_other_are_not_all_compared() {
        // n rules on one lane and action, each retiring at its own date as
        // well as at launch: none covers another, and each is compared
        // with a bounded number of others, not with all n.
        for n in [10, 100, 1000] {
            let (found, comparisons) = run(n, |k| {
                format!(
                    "allow deploy on ctx0/lane0 until launch or {} issue=#1",
                    jiff::civil::date(2030, 1, 1)
                        .checked_add(jiff::Span::new().days(k as i64))
                        .unwrap()
                )
            });
            assert_eq!(found, vec![]);
            assert!(comparisons <= 2 * n, "n={n}: {comparisons} comparisons");
        }
        // Distinct phrases on one lane: the same.
        for n in [10, 1000] {
            let (found, comparisons) = run(n, |k| {
                format!("allow deploy on ctx0/lane0 until launch issue=#1 confirm=\"deploy {k}\"")
            });
            assert_eq!(found, vec![]);
            assert!(comparisons <= 2 * n, "n={n}: {comparisons} comparisons");
        }
    }

    /// The index finds, for every rule, the rule that comparing it with
    /// every other finds: the first that covers it (earlier, or later and
    /// not covered back). On 500 generated programs of up to 10 rules over
    /// three lanes, two actions, two events, two dates, phrases that
    /// differ by case and spacing, and proofs.
    #[test]
    fn the_index_finds_what_comparing_every_pair_finds() {
        const INV: &str = "issues: https://github.com/example/ops/issues/\nactions:\n  deploy: {operation: deploy, destructive: false}\n  restart: {operation: restart, destructive: false}\nproducts:\n  p:\n    context: ctx0\n    events: {launch: pending, go: pending}\n    lanes:\n      lane0: {production: false, phase: prelaunch}\n      lane1: {production: false, phase: prelaunch}\n      lane2: {production: false, phase: prelaunch}\n";
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |n: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        let pick = |bits: u64, items: &[&str]| -> Vec<String> {
            items
                .iter()
                .enumerate()
                .filter(|(k, _)| bits & (1 << k) != 0)
                .map(|(_, x)| x.to_string())
                .collect()
        };
        let mut reported = 0;
        for _ in 0..500 {
            let n = 1 + next(10);
            let mut text = String::new();
            for _ in 0..n {
                let actions = pick(1 + next(3), &["deploy", "restart"]);
                let lanes = pick(1 + next(15), &["ctx0/*", "ctx0/lane0", "ctx0/lane1", "ctx0/lane2"]);
                let until = pick(next(16), &["launch", "go", "2030-01-01", "2031-01-01"]);
                let mut rule = format!("allow {} on {}", actions.join(","), lanes.join(","));
                if !until.is_empty() {
                    rule += &format!(" until {}", until.join(" or "));
                }
                rule += " issue=#1";
                match next(4) {
                    0 => rule += " confirm=\"deploy {lane}\"",
                    1 => rule += " confirm=\"Deploy  {lane}\"",
                    2 => rule += " confirm=\"other {instance}\"",
                    _ => {}
                }
                let proofs = pick(next(4), &["backup", "ticket"]);
                if !proofs.is_empty() {
                    rule += &format!(" requires {}", proofs.join(","));
                }
                text += &rule;
                text.push('\n');
            }
            let rules = super::super::resolved(INV, &text);
            let refs: Vec<&Rule> = rules.iter().collect();
            let expected: Vec<(usize, usize)> = (0..refs.len())
                .filter(|&i| !refs[i].lanes.is_empty() && !refs[i].actions.is_empty())
                .filter_map(|i| {
                    (0..refs.len())
                        .find(|&j| {
                            j != i
                                && super::covers(refs[j], refs[i])
                                && (j < i || !super::covers(refs[i], refs[j]))
                        })
                        .map(|j| (i, j))
                })
                .collect();
            assert_eq!(covered(&refs).0, expected, "{text}");
            reported += expected.len();
        }
        // The programs do cover each other, often.
        assert!(reported > 300, "{reported} covered rules");
    }

    #[test]
    fn a_broader_earlier_rule_covers_every_copy() {
        let rules = rules(
            "allow deploy on ctx0/* until launch issue=#1\n\
             allow deploy on ctx0/lane0 until launch issue=#2\n\
             allow deploy on ctx0/lane0 until launch issue=#3\n\
             allow deploy on ctx0/lane1 until launch or 2030-01-01 issue=#4\n",
        );
        let refs: Vec<&Rule> = rules.iter().collect();
        assert_eq!(covered(&refs).0, vec![(1, 0), (2, 0), (3, 0)]);
    }
}

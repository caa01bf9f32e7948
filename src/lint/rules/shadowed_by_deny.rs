//! L011 shadowed-by-deny: an allow can never take effect because a deny covers it.
//!
//! ## What it does
//! Reports an `allow` when, for every lane and action it opens, a `deny`
//! that lives at least as long closes it again (deny always wins).
//!
//! ## Why is this bad?
//! The allow reads like a permission but grants nothing: either the deny is
//! too wide or the allow is dead and should go.
//!
//! ## Example
//! ```lanepolicy
//! allow deploy on hq/staging until 2027-06-30 issue=#573
//! deny deploy on hq/* reason="hq is frozen"
//! ```
//!
//! ## Use instead
//! ```lanepolicy
//! allow deploy on hq/staging until 2027-06-30 issue=#573
//! deny deploy on hq/prod reason="hq production is frozen"
//! ```

use super::{Condition, condition};
use crate::checks::Code;
use crate::diagnostic::Diagnostic;
use crate::lint::LintContext;
use crate::model::Effect;
use crate::sema::Rule;
use std::collections::{HashMap, HashSet};

fn diagnostic(rule: &Rule, by: &Rule) -> Diagnostic {
    Diagnostic::new(
        Code::L011,
        rule.file,
        rule.keyword_span,
        "this `allow` never takes effect: a `deny` covers it",
    )
    .label("always overridden")
    .note(by.file, by.keyword_span, "this deny wins")
    .help("narrow the deny, or delete the allow")
}

pub(crate) fn run(ctx: &LintContext, out: &mut Vec<Diagnostic>) {
    let rules = &ctx.program.rules;
    for (allow, by) in shadowed(rules) {
        out.push(diagnostic(&rules[allow], &rules[by]));
    }
}

#[cfg(test)]
thread_local! {
    /// Subset tests of a deny's `until` conditions against an allow's.
    static SUBSET_TESTS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// (lane, action, condition number): where a deny's set of conditions is
/// filed.
type Filed<'a> = (&'a str, &'a str, u32);

/// The denies of the program, indexed so that an allow finds the first
/// deny (in rule order) of one (lane, action) that lives at least as long
/// as it does without looking at the others.
///
/// A deny lives at least as long as an allow when each of its `until`
/// conditions is one of the allow's ([`super::retires_no_earlier`]): its
/// set of conditions is a subset of the allow's. Such a set holds its own
/// rarest condition, so each distinct set of conditions is filed under
/// that condition, and an allow looks only under its own conditions, at
/// sets that could be subsets. Denies with the same set are one (the first
/// in rule order answers for all), and a deny that never retires (no
/// conditions) is kept apart: it covers every allow, and no deny after it
/// on the same (lane, action) can be the first. So distinct dates or
/// events cost one lookup each, whatever the number of denies; only many
/// distinct sets made of the same few common conditions share a list.
struct Denies<'a> {
    /// Condition -> its number.
    ids: HashMap<Condition<'a>, u32>,
    /// Each distinct set of conditions, as sorted numbers.
    sets: Vec<Vec<u32>>,
    /// (lane, action) -> the first deny there that never retires.
    never: HashMap<(&'a str, &'a str), usize>,
    /// (lane, action, rarest condition) -> (deny, set), in rule order, one
    /// entry per distinct set.
    filed: HashMap<Filed<'a>, Vec<(usize, u32)>>,
}

impl<'a> Denies<'a> {
    fn new(rules: &'a [Rule]) -> Self {
        let mut ids: HashMap<Condition<'a>, u32> = HashMap::new();
        let mut set_ids: HashMap<Vec<u32>, u32> = HashMap::new();
        let mut sets: Vec<Vec<u32>> = Vec::new();
        // Each deny's set of conditions, by number.
        let mut of_deny: Vec<(usize, u32)> = Vec::new();
        for (k, d) in rules.iter().enumerate() {
            if d.effect != Effect::Deny {
                continue;
            }
            let mut set: Vec<u32> = d
                .until
                .iter()
                .map(|c| {
                    let next = ids.len() as u32;
                    *ids.entry(condition(c)).or_insert(next)
                })
                .collect();
            set.sort_unstable();
            set.dedup();
            let next = sets.len() as u32;
            let id = *set_ids.entry(set).or_insert_with_key(|set| {
                sets.push(set.clone());
                next
            });
            of_deny.push((k, id));
        }
        // How many distinct sets hold each condition; each set is filed
        // under its rarest (ties: the smallest number).
        let mut count = vec![0usize; ids.len()];
        for set in &sets {
            for &c in set {
                count[c as usize] += 1;
            }
        }
        let key: Vec<Option<u32>> = sets
            .iter()
            .map(|set| set.iter().copied().min_by_key(|&c| (count[c as usize], c)))
            .collect();
        let mut never: HashMap<(&str, &str), usize> = HashMap::new();
        let mut filed: HashMap<Filed, Vec<(usize, u32)>> = HashMap::new();
        let mut seen: HashSet<(&str, &str, u32)> = HashSet::new();
        for (k, set) in of_deny {
            let d = &rules[k];
            let mut actions: Vec<&str> = d.actions.iter().map(|a| a.name.as_str()).collect();
            actions.sort_unstable();
            actions.dedup();
            for lane in &d.lanes {
                for &action in &actions {
                    let pair = (lane.as_str(), action);
                    if never.contains_key(&pair) {
                        continue;
                    }
                    match key[set as usize] {
                        None => {
                            never.insert(pair, k);
                        }
                        Some(c) => {
                            if seen.insert((pair.0, pair.1, set)) {
                                filed.entry((pair.0, pair.1, c)).or_default().push((k, set));
                            }
                        }
                    }
                }
            }
        }
        Denies {
            ids,
            sets,
            never,
            filed,
        }
    }

    fn is_empty(&self) -> bool {
        self.never.is_empty() && self.filed.is_empty()
    }

    /// The sorted numbers of an allow's conditions that some deny has (no
    /// other can be in a deny's set).
    fn conditions_of(&self, allow: &Rule) -> Vec<u32> {
        let mut set: Vec<u32> = allow
            .until
            .iter()
            .filter_map(|c| self.ids.get(&condition(c)).copied())
            .collect();
        set.sort_unstable();
        set.dedup();
        set
    }

    /// The first deny (in rule order) of `lane` and `action` whose
    /// conditions are all among `conditions` (an allow's, from
    /// [`Denies::conditions_of`]); with `any`, whichever is found first.
    fn covering(&self, lane: &str, action: &str, conditions: &[u32], any: bool) -> Option<usize> {
        let mut best = self.never.get(&(lane, action)).copied();
        if any && best.is_some() {
            return best;
        }
        for &c in conditions {
            let Some(filed) = self.filed.get(&(lane, action, c)) else {
                continue;
            };
            for &(k, set) in filed {
                if best.is_some_and(|b| b < k) {
                    break;
                }
                #[cfg(test)]
                SUBSET_TESTS.with(|n| n.set(n.get() + 1));
                let set = &self.sets[set as usize];
                if set.len() <= conditions.len()
                    && set.iter().all(|x| conditions.binary_search(x).is_ok())
                {
                    best = Some(k);
                    break;
                }
            }
            if any && best.is_some() {
                break;
            }
        }
        best
    }
}

/// (allow, deny) by position in `rules`: each allow that a deny covers on
/// every lane and action it names, with the first deny in rule order that
/// covers its first lane and action.
fn shadowed(rules: &[Rule]) -> Vec<(usize, usize)> {
    let denies = Denies::new(rules);
    let mut out = Vec::new();
    if denies.is_empty() {
        return out;
    }
    for (k, allow) in rules.iter().enumerate() {
        if allow.effect != Effect::Allow || allow.lanes.is_empty() {
            continue;
        }
        let conditions = denies.conditions_of(allow);
        let mut first: Option<usize> = None;
        let all_denied = allow.lanes.iter().all(|lane| {
            allow.actions.iter().all(|action| {
                let by = denies.covering(lane, &action.name, &conditions, first.is_some());
                first = first.or(by);
                by.is_some()
            })
        });
        if let (true, Some(by)) = (all_denied, first) {
            out.push((k, by));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{SUBSET_TESTS, shadowed};
    use crate::model::Effect;
    use crate::sema::Rule;

    const INVENTORY: &str = "issues: https://github.com/example/ops/issues/\nactions:\n  deploy: {operation: deploy, destructive: false}\n  restart: {operation: restart, destructive: false}\nproducts:\n  p:\n    context: ctx0\n    events: {launch: pending, cutover: pending}\n    lanes:\n      lane0: {production: false, phase: prelaunch}\n      lane1: {production: false, phase: prelaunch}\n";

    fn rules(policy: &str) -> Vec<Rule> {
        super::super::resolved(INVENTORY, policy)
    }

    fn date(k: usize) -> jiff::civil::Date {
        jiff::civil::date(2030, 1, 1)
            .checked_add(jiff::Span::new().days(k as i64))
            .expect("a date")
    }

    /// The definition: for each (lane, action) of an allow, the denies of
    /// that pair in rule order, the first that retires no earlier.
    fn naive(rules: &[Rule]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for (k, allow) in rules.iter().enumerate() {
            if allow.effect != Effect::Allow || allow.lanes.is_empty() {
                continue;
            }
            let mut first = None;
            let all = allow.lanes.iter().all(|lane| {
                allow.actions.iter().all(|action| {
                    let by = rules.iter().position(|d| {
                        d.effect == Effect::Deny
                            && d.lanes.contains(lane)
                            && d.actions.iter().any(|a| a.name == action.name)
                            && super::super::retires_no_earlier(d, allow)
                    });
                    first = first.or(by);
                    by.is_some()
                })
            });
            if let (true, Some(by)) = (all, first) {
                out.push((k, by));
            }
        }
        out
    }

    /// (allows shadowed, subset tests) for the policy `text`.
    fn counted(text: &str) -> (Vec<(usize, usize)>, usize) {
        let rules = rules(text);
        SUBSET_TESTS.with(|n| n.set(0));
        let found = shadowed(&rules);
        (found, SUBSET_TESTS.with(std::cell::Cell::get))
    }

    #[test]
    fn the_first_covering_deny_is_named_as_the_scan_of_every_deny_names_it() {
        // Small programs of every kind of `until`: the index finds what
        // the scan of every deny of a pair finds, the same deny included.
        let conditions = ["launch", "cutover", "2030-01-01", "2030-01-02", "2030-01-03"];
        let lanes = ["ctx0/lane0", "ctx0/lane1", "ctx0/*"];
        let actions = ["deploy", "restart", "deploy, restart"];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut fired = 0;
        for _ in 0..400 {
            let mut text = String::new();
            for _ in 0..(2 + next(10)) {
                let effect = if next(2) == 0 { "allow" } else { "deny" };
                let mut until: Vec<&str> = Vec::new();
                for c in conditions {
                    if next(3) == 0 {
                        until.push(c);
                    }
                }
                let until = if until.is_empty() {
                    String::new()
                } else {
                    format!(" until {}", until.join(" or "))
                };
                text.push_str(&format!(
                    "{effect} {} on {}{until} issue=#1\n",
                    actions[next(3)],
                    lanes[next(3)]
                ));
            }
            let rules = rules(&text);
            let found = shadowed(&rules);
            assert_eq!(found, naive(&rules), "{text}");
            fired += found.len();
        }
        assert!(fired > 50, "only {fired} findings: the programs test little");
    }

    #[test]
    fn denies_with_distinct_dates_cost_one_lookup_per_allow() {
        for n in [10, 100, 2000] {
            // n denies and n allows on one lane, each with its own date:
            // no deny covers an allow, and none is even compared.
            let mut text: String = (0..n)
                .map(|k| format!("deny deploy on ctx0/lane0 until {}\n", date(k)))
                .collect();
            text.extend((0..n).map(|k| {
                format!("allow deploy on ctx0/lane0 until {} issue=#1\n", date(n + k))
            }));
            let (found, tests) = counted(&text);
            assert_eq!(found, vec![]);
            assert_eq!(tests, 0, "n={n}");
            // Each allow retiring at its deny's date or later: each is
            // covered by its own deny, found with one subset test.
            let mut text: String = (0..n)
                .map(|k| format!("deny deploy on ctx0/lane0 until launch or {}\n", date(k)))
                .collect();
            text.extend((0..n).map(|k| {
                format!(
                    "allow deploy on ctx0/lane0 until launch or {} or {} issue=#1\n",
                    date(k),
                    date(n + k)
                )
            }));
            let (found, tests) = counted(&text);
            assert_eq!(found, (0..n).map(|k| (n + k, k)).collect::<Vec<_>>());
            assert!(tests <= n, "n={n}: {tests} subset tests");
        }
    }

    #[test]
    fn repeated_denies_are_compared_once() {
        for n in [10, 100, 2000] {
            // n copies of a deny that covers no allow, and n allows that
            // share its rarest condition: one subset test per allow, not n.
            let mut text: String = (0..n)
                .map(|_| "deny deploy on ctx0/* until launch or 2030-01-01\n".to_string())
                .collect();
            text.extend((0..n).map(|k| {
                format!(
                    "allow deploy on ctx0/lane0 until launch or {} issue=#1\n",
                    date(k + 1)
                )
            }));
            let (found, tests) = counted(&text);
            assert_eq!(found, vec![]);
            assert!(tests <= n, "n={n}: {tests} subset tests");
            // A deny that never retires, after them, covers every allow,
            // and the first deny that covers one is still named.
            text.push_str("deny deploy on ctx0/lane0\n");
            text.push_str("allow deploy on ctx0/lane0 until launch or 2030-01-01 issue=#1\n");
            let (found, tests) = counted(&text);
            let never = 2 * n;
            let mut wanted: Vec<(usize, usize)> = (0..n).map(|k| (n + k, never)).collect();
            wanted.push((never + 1, 0));
            assert_eq!(found, wanted);
            assert!(tests <= 2 * n + 1, "n={n}: {tests} subset tests");
        }
    }
}

//! Semantic analysis: resolves each parsed rule against the inventory
//! (actions, lanes, events, proofs, issue links, confirmation templates)
//! and reports the E1xx errors, one check per file.
//!
//! The result is a [`Program`]: rules whose patterns are expanded to the
//! inventory's lanes and whose phrases are expanded per lane. Rules with
//! errors are kept (lints still run on what resolved) but `build` writes
//! nothing while any error stands.

mod duplicate_clause;
mod empty_confirmation;
mod long_confirmation;
mod too_many_grants;
pub use long_confirmation::MAX_PHRASE_CHARS;
pub use too_many_grants::GrantCount;
mod unknown_action;
mod unknown_event;
mod unknown_lane;
mod unknown_placeholder;
mod unknown_proof;
mod unresolved_issue;

use crate::diagnostic::Diagnostic;
use crate::inventory::Inventory;
use crate::model::Effect;
use crate::source::{FileId, Span};
use crate::syntax::ast::{self, ClauseKind, Ident, Retire, StringLit};
use std::collections::{BTreeMap, HashMap};

/// Every rule of every policy file, resolved.
#[derive(Debug, Default, Clone)]
pub struct Program {
    /// Rules in (file, position) order.
    pub rules: Vec<Rule>,
}

/// A lane pattern and the inventory lanes it matches.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// As written.
    pub pattern: ast::Pattern,
    /// Matching lane keys, sorted.
    pub lanes: Vec<String>,
}

/// A resolved issue reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// As written: `#573`, `owner/repo#573` or the URL.
    pub reference: String,
    /// Where it points.
    pub url: String,
    /// Where it is written.
    pub span: Span,
}

/// One rule, resolved against the inventory.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The policy file.
    pub file: FileId,
    /// `allow` or `deny`.
    pub effect: Effect,
    /// The effect keyword.
    pub keyword_span: Span,
    /// The whole rule.
    pub span: Span,
    /// Actions as written (unknown ones included; see E101).
    pub actions: Vec<Ident>,
    /// Patterns with their lanes.
    pub patterns: Vec<Pattern>,
    /// Every matched lane, sorted, once each.
    pub lanes: Vec<String>,
    /// `until` conditions (empty: never retires).
    pub until: Vec<Retire>,
    /// The `until` keyword, if written.
    pub until_span: Option<Span>,
    /// The approval issue (None also when it could not be resolved: E107).
    pub issue: Option<Issue>,
    /// True when an `issue=` clause is written, resolved or not.
    pub issue_written: bool,
    /// The confirmation template as written.
    pub confirm: Option<StringLit>,
    /// The phrase per matched lane, templates expanded.
    pub phrases: Phrases,
    /// Required proofs.
    pub requires: Vec<Ident>,
    /// The `reason=` text.
    pub reason: Option<StringLit>,
    /// The doc comment lines.
    pub doc: Vec<String>,
    /// The suppressions written before the rule: (check, reason).
    pub suppressions: Vec<(crate::checks::Code, String)>,
    /// The findings on the rule of checks that the configuration lowered
    /// (turned off, or from error to warning): (check, configured
    /// severity, `None` for off, message). The bundle records them, so a
    /// grant that shipped without a guard says so.
    pub lowered: Vec<(
        crate::checks::Code,
        Option<crate::diagnostic::Severity>,
        String,
    )>,
    /// Entries of the rule's lists written again (L016), in the order
    /// actions, patterns, `until` conditions, proofs. `actions`,
    /// `patterns`, `until` and `requires` hold each entry once, as first
    /// written, so no later pass pays for a repeat.
    pub repeats: Vec<Repeat>,
}

/// A rule's confirmation phrase per lane (`context/instance` to phrase),
/// sorted by lane, one per lane: a map's lookups in one exact vector,
/// which costs a fifth of a `BTreeMap`'s node for the few lanes a rule
/// usually matches. The bundle takes it as it is (`bundle::Rule::confirm`).
pub type Phrases = crate::sorted_map::SortedMap<String, String>;

/// An entry a rule's list names a second (or later) time.
#[derive(Debug, Clone)]
pub struct Repeat {
    /// What kind of entry: `action`, `lane pattern`, `condition`, `proof`.
    pub what: &'static str,
    /// The entry, as text.
    pub name: String,
    /// Where it is first written again.
    pub again: Span,
    /// Where it is first written.
    pub first: Span,
    /// How many more times it is written after `again`: an entry listed n
    /// times is one record (with `more` n - 2), so a list that names one
    /// thing a million times costs one record, not a million.
    pub more: usize,
}

/// `items` once each, by `key`, in the order first written; each entry
/// written more than once is one record in `repeats` (in the order of its
/// first repeat), counting the rest. One pass with a map: O(n) whatever
/// the repeats.
fn once_each<T: Clone>(
    items: &[T],
    what: &'static str,
    key: impl Fn(&T) -> (String, Span),
    repeats: &mut Vec<Repeat>,
) -> Vec<T> {
    // Each entry: where it is first written, and its record once repeated.
    let mut first: HashMap<String, (Span, Option<usize>)> = HashMap::with_capacity(items.len());
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let (name, span) = key(item);
        match first.get_mut(&name) {
            Some((_, Some(k))) => repeats[*k].more += 1,
            Some((f, record)) => {
                *record = Some(repeats.len());
                repeats.push(Repeat {
                    what,
                    name,
                    again: span,
                    first: *f,
                    more: 0,
                });
            }
            None => {
                first.insert(name, (span, None));
                out.push(item.clone());
            }
        }
    }
    out.shrink_to_fit();
    out
}

/// An `until` condition as text and where it is written.
fn condition_key(c: &Retire) -> (String, Span) {
    match c {
        Retire::Event(e) => (e.name.clone(), e.span),
        Retire::Date { date, span } => (date.to_string(), *span),
    }
}

impl Rule {
    /// True when `requires` names `proof`.
    pub fn requires(&self, proof: &str) -> bool {
        self.requires.iter().any(|p| p.name == proof)
    }

    /// True when an `until` condition is an event.
    pub fn retires_at_event(&self) -> bool {
        self.until.iter().any(|r| matches!(r, Retire::Event(_)))
    }

    /// Pattern of this rule that matches `lane` first (for pointing at it).
    pub fn pattern_for(&self, lane: &str) -> Option<&Pattern> {
        // A pattern's lanes are sorted: a binary search each, not a scan
        // (a finding per lane of a wide pattern would be lanes x lanes).
        self.patterns
            .iter()
            .find(|p| p.lanes.binary_search_by(|l| l.as_str().cmp(lane)).is_ok())
    }
}

/// True when glob segment `pat` (where `*` matches any run of characters,
/// possibly empty) matches `text` exactly, in time linear in their
/// lengths: the literal text before the first `*` must start `text`, the
/// text after the last must end it, and each literal run between stars is
/// found, leftmost, after the one before it (leftmost is always right
/// when `*` is the only wildcard; `str::find` is linear). A comparison is
/// what E110's budget of names counts, so it must not cost more than
/// its lengths: backtracking cost names x pattern, and 640 patterns such
/// as `big/*aaa...abaaa...c*` over 100,000 names sharing a long run of
/// `a` took over a minute within that budget.
pub fn glob_match(pat: &str, text: &str) -> bool {
    if pat.bytes().filter(|&c| c != b'*').count() > text.len() {
        return false;
    }
    let (Some(first), Some(last)) = (pat.find('*'), pat.rfind('*')) else {
        return pat == text;
    };
    let (prefix, suffix) = (&pat[..first], &pat[last + 1..]);
    // They fit in `text` side by side (checked above), and as they are
    // text, what lies between them starts and ends on a character.
    if !text.starts_with(prefix) || !text.ends_with(suffix) {
        return false;
    }
    let mut rest = &text[prefix.len()..text.len() - suffix.len()];
    for run in pat[first..=last].split('*').filter(|r| !r.is_empty()) {
        match rest.find(run) {
            Some(at) => rest = &rest[at + run.len()..],
            None => return false,
        }
    }
    true
}

/// The inventory's lanes indexed for pattern matching: by context (each
/// context's instances sorted) and by instance (each instance's contexts
/// sorted), so that a pattern with a literal segment looks only at the
/// lanes that segment names, and a glob segment with a literal prefix
/// (`ctx1*`, `g7-*`) only at the names in that range, found by binary
/// search. Built once per compilation, in O(lanes log lanes); a pattern
/// costs O(log lanes) plus the names in its prefix's range.
pub struct LaneIndex<'a> {
    /// Context -> (instance, lane key), sorted by instance.
    by_context: BTreeMap<&'a str, Vec<(&'a str, &'a str)>>,
    /// Instance -> (context, lane key), sorted by context.
    by_instance: HashMap<&'a str, Vec<(&'a str, &'a str)>>,
    /// Product -> the number of its set of event names: products that
    /// declare the same events (the usual case: every product has
    /// `launch`) share a number, so E103 asks each distinct set once per
    /// rule rather than each product.
    event_set: foldhash::HashMap<&'a str, u32>,
    /// The events of each set, by its number.
    event_sets: Vec<&'a crate::inventory::Events>,
    /// What is left of the compilation's budget for "did you mean"
    /// searches (E101, E102, E103), in distance cells and bytes of
    /// candidates looked at. The index is made once per compilation, so it
    /// holds the budget.
    suggestion_work: std::cell::Cell<usize>,
    /// The lists of `until` events seen (by number), and the (list, set)
    /// pairs whose set declares every event of its list, found once for
    /// the compilation: rules that share their events (`until launch`)
    /// over products with sets of their own check each set once, not once
    /// per rule.
    complete: std::cell::RefCell<EventChecks>,
}

/// What [`LaneIndex`] remembers of E103's checks: each distinct list of
/// `until` events by number, and the (list, set) pairs found complete.
#[derive(Default)]
struct EventChecks {
    lists: foldhash::HashMap<Vec<String>, u32>,
    complete: foldhash::HashSet<(u32, u32)>,
}

#[cfg(test)]
thread_local! {
    /// Lookups of an event in a set of events ([`LaneIndex::has_event`]).
    pub(crate) static EVENT_LOOKUPS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The budget of "did you mean" searches for unknown lanes, actions and
/// events in one compilation, in distance cells plus bytes of candidates
/// (about a second of work): 2,000 unknown lanes against 20,000 took 26 s
/// without it.
pub const SUGGESTION_WORK: usize = 100_000_000;

impl<'a> LaneIndex<'a> {
    /// Indexes the inventory's lanes.
    pub fn new(inv: &'a Inventory) -> Self {
        let mut by_context: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
        let mut by_instance: HashMap<&str, Vec<(&str, &str)>> = HashMap::new();
        for (key, lane) in &inv.lanes {
            by_context
                .entry(lane.context.as_str())
                .or_default()
                .push((lane.instance.as_str(), key.as_str()));
            by_instance
                .entry(lane.instance.as_str())
                .or_default()
                .push((lane.context.as_str(), key.as_str()));
        }
        for v in by_context.values_mut().chain(by_instance.values_mut()) {
            v.sort_unstable();
        }
        let (event_set, event_sets) = crate::model::number_event_sets(
            inv.products.iter().map(|(name, p)| (name, &p.events)),
        );
        LaneIndex {
            by_context,
            by_instance,
            event_set,
            event_sets,
            suggestion_work: std::cell::Cell::new(SUGGESTION_WORK),
            complete: std::cell::RefCell::default(),
        }
    }

    /// The number of the list of `until` events `names`, the same for
    /// every rule that lists the same events in the same order.
    pub(crate) fn event_list(&self, names: Vec<String>) -> u32 {
        let mut c = self.complete.borrow_mut();
        let next = c.lists.len() as u32;
        *c.lists.entry(names).or_insert(next)
    }

    /// Whether event set `set` was found to declare every event of list
    /// `list` ([`LaneIndex::event_list`]).
    pub(crate) fn is_complete(&self, list: u32, set: u32) -> bool {
        self.complete.borrow().complete.contains(&(list, set))
    }

    /// Records that event set `set` declares every event of list `list`.
    pub(crate) fn mark_complete(&self, list: u32, set: u32) {
        self.complete.borrow_mut().complete.insert((list, set));
    }

    /// The number of `product`'s set of event names (see
    /// [`LaneIndex::has_event`]), `None` for a product the inventory lacks.
    pub(crate) fn event_set(&self, product: &str) -> Option<u32> {
        self.event_set.get(product).copied()
    }

    /// Whether the products of event set `set` declare `event`.
    pub(crate) fn has_event(&self, set: u32, event: &str) -> bool {
        #[cfg(test)]
        EVENT_LOOKUPS.with(|c| c.set(c.get() + 1));
        self.event_sets
            .get(set as usize)
            .is_some_and(|e| e.contains_key(event))
    }

    /// The event names of the products of event set `set`, sorted.
    pub(crate) fn events_of(&self, set: u32) -> impl Iterator<Item = &'a str> + use<'a> {
        let events: Option<&'a crate::inventory::Events> =
            self.event_sets.get(set as usize).copied();
        events
            .into_iter()
            .flat_map(|e| e.keys().map(String::as_str))
    }

    /// True while the budget of suggestions is not spent.
    pub(crate) fn suggestions_left(&self) -> bool {
        self.suggestion_work.get() > 0
    }

    /// "Did you mean" for `word` among `candidates`, charged to the
    /// compilation's budget: `None` once it is spent.
    pub(crate) fn suggest<'c>(
        &self,
        word: &str,
        candidates: impl IntoIterator<Item = &'c str>,
    ) -> Option<&'c str> {
        if !self.suggestions_left() {
            return None;
        }
        let (found, cells, scanned) = crate::suggest::did_you_mean_counted(word, candidates);
        self.charge_suggestions(cells + scanned);
        found
    }

    /// Spends `work` of the budget of suggestions.
    pub(crate) fn charge_suggestions(&self, work: usize) {
        self.suggestion_work
            .set(self.suggestion_work.get().saturating_sub(work));
    }

    /// The keys of the lanes of `context`, in instance order.
    pub fn lanes_of<'s>(&'s self, context: &str) -> impl Iterator<Item = &'a str> + 's {
        self.by_context
            .get(context)
            .into_iter()
            .flatten()
            .map(|(_, k)| *k)
    }

    /// The keys of the lanes that glob pattern `p` matches, sorted.
    pub fn matching(&self, p: &ast::Pattern) -> Vec<String> {
        self.matching_counted(p).0
    }

    /// [`LaneIndex::matching`], with the number of names it looked at
    /// (compared against a segment), which tests hold to the size of the
    /// answer.
    fn matching_counted(&self, p: &ast::Pattern) -> (Vec<String>, usize) {
        let mut out: Vec<&str> = Vec::new();
        let mut looked = 0;
        if !p.context.contains('*') {
            if let Some(lanes) = self.by_context.get(p.context.as_str()) {
                looked += named(lanes, &p.instance, &mut out);
            }
        } else if !p.instance.contains('*') {
            if let Some(lanes) = self.by_instance.get(p.instance.as_str()) {
                looked += named(lanes, &p.context, &mut out);
            }
        } else {
            let prefix = literal_prefix(&p.context);
            for (context, lanes) in self
                .by_context
                .range::<str, _>((
                    std::ops::Bound::Included(prefix),
                    std::ops::Bound::Unbounded,
                ))
                .take_while(|(c, _)| c.starts_with(prefix))
            {
                looked += 1;
                if glob_match(&p.context, context) {
                    looked += named(lanes, &p.instance, &mut out);
                }
            }
        }
        out.sort_unstable();
        (out.into_iter().map(str::to_string).collect(), looked)
    }
}

/// Pushes to `out` the keys of `lanes` (sorted by name) whose name
/// matches `segment`, a literal name or a glob: a literal by binary
/// search, a glob over the range of its literal prefix. Returns how many
/// names it compared.
fn named<'a>(lanes: &[(&'a str, &'a str)], segment: &str, out: &mut Vec<&'a str>) -> usize {
    if !segment.contains('*') {
        if let Ok(k) = lanes.binary_search_by(|(name, _)| (*name).cmp(segment)) {
            out.push(lanes[k].1);
        }
        return 1;
    }
    let prefix = literal_prefix(segment);
    let from = lanes.partition_point(|(name, _)| *name < prefix);
    let mut looked = 0;
    for (name, key) in lanes[from..]
        .iter()
        .take_while(|(name, _)| name.starts_with(prefix))
    {
        looked += 1;
        if glob_match(segment, name) {
            out.push(key);
        }
    }
    looked
}

/// The part of a glob segment before its first `*`.
fn literal_prefix(segment: &str) -> &str {
    segment.split('*').next().unwrap_or_default()
}

/// Resolves one parsed file's rules against the inventory, its lanes
/// indexed once ([`LaneIndex::new`]) for every file, pushing E1xx
/// diagnostics to `diags`. The syntax tree is consumed: each rule's tree
/// is freed once the rule is resolved, so a large file's trees and its
/// resolved rules are never all held at once (the compilation's peak of
/// memory).
pub fn resolve_indexed(
    file: FileId,
    parsed: ast::File,
    inv: &Inventory,
    index: &LaneIndex,
    grants: &mut GrantCount,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Rule> {
    let mut parsed = parsed;
    let mut rules = std::mem::take(&mut parsed.rules);
    drop(parsed);
    // Taken from the end of the reversed list, so that the list's own
    // buffer can shrink as it empties: the trees still to resolve and the
    // rules resolved so far then hold about one file's worth of rules
    // between them, not two.
    rules.reverse();
    let mut out = Vec::with_capacity(rules.len());
    while let Some(r) = rules.pop() {
        out.push(resolve_rule(file, &r, inv, index, grants, diags));
        drop(r);
        if rules.capacity() >= SHRINK_FROM && rules.len() < rules.capacity() / 2 {
            rules.shrink_to_fit();
        }
    }
    out
}

/// How many rules' trees a file's list must have room for before
/// [`resolve_indexed`] gives back the part it has consumed: below it, the
/// copy costs more than the memory.
const SHRINK_FROM: usize = 4096;

fn resolve_rule(
    file: FileId,
    r: &ast::Rule,
    inv: &Inventory,
    index: &LaneIndex,
    grants: &mut GrantCount,
    diags: &mut Vec<Diagnostic>,
) -> Rule {
    duplicate_clause::check(file, r, diags);
    let mut repeats = Vec::new();
    let actions = once_each(
        &r.actions,
        "action",
        |a| (a.name.clone(), a.span),
        &mut repeats,
    );
    for a in &actions {
        unknown_action::check(file, a, inv, index, diags);
    }
    let written = once_each(
        &r.patterns,
        "lane pattern",
        |p| (p.text(), p.span),
        &mut repeats,
    );
    // Each pattern's grants (its lanes x the rule's actions) are counted
    // as it is matched. Past the limit (E110) no pattern is matched and
    // the rule keeps no lanes: what matching, the lints, the phrases and
    // the bundle cost stays bounded by the limit, however many rules or
    // patterns follow.
    let mut patterns: Vec<Pattern> = Vec::with_capacity(written.len());
    for p in &written {
        let mut lanes: Vec<String> = if grants.passed() {
            Vec::new()
        } else if p.is_glob() {
            let (lanes, looked) = index.matching_counted(p);
            if grants.look(file, p.span, looked, diags) {
                lanes
            } else {
                Vec::new()
            }
        } else {
            let key = p.text();
            let lanes: Vec<String> = inv.lanes.get(&key).map(|_| key).into_iter().collect();
            if lanes.is_empty() {
                unknown_lane::check(file, p, inv, index, diags);
            }
            lanes
        };
        if !lanes.is_empty() && !grants.count(file, p.span, lanes.len(), actions.len(), diags) {
            lanes = Vec::new();
        }
        patterns.push(Pattern {
            pattern: p.clone(),
            lanes,
        });
    }
    if grants.passed() {
        for p in &mut patterns {
            p.lanes = Vec::new();
        }
    }
    let mut lanes: Vec<String> = patterns
        .iter()
        .flat_map(|p| p.lanes.iter().cloned())
        .collect();
    lanes.sort();
    lanes.dedup();

    let mut rule = Rule {
        file,
        effect: r.effect,
        keyword_span: r.keyword_span,
        span: r.span,
        actions,
        patterns,
        lanes,
        until: Vec::new(),
        until_span: None,
        issue: None,
        issue_written: false,
        confirm: None,
        phrases: Phrases::default(),
        requires: Vec::new(),
        reason: None,
        doc: r.doc.clone(),
        suppressions: Vec::new(),
        lowered: Vec::new(),
        repeats,
    };
    // The first of each clause counts; repeats are E105 (reported above).
    for c in &r.clauses {
        match &c.kind {
            ClauseKind::Until(conds) if rule.until_span.is_none() => {
                rule.until = once_each(conds, "condition", condition_key, &mut rule.repeats);
                rule.until_span = Some(c.keyword_span);
                unknown_event::check(file, &rule, inv, index, diags);
            }
            ClauseKind::Issue(reference, span) if !rule.issue_written => {
                rule.issue_written = true;
                rule.issue = unresolved_issue::resolve(file, reference, *span, inv, diags);
            }
            ClauseKind::Confirm(s) if rule.confirm.is_none() => {
                rule.confirm = Some(s.clone());
                if empty_confirmation::check(file, s, diags)
                    && unknown_placeholder::check(file, s, diags)
                    && long_confirmation::check(
                        file,
                        s,
                        rule.lanes.iter().filter_map(|l| inv.lanes.get(l)),
                        diags,
                    )
                {
                    rule.phrases = rule
                        .lanes
                        .iter()
                        .filter_map(|l| inv.lanes.get(l))
                        .map(|l| {
                            (
                                l.key(),
                                expand(&s.value, &l.product, &l.context, &l.instance),
                            )
                        })
                        .collect();
                }
            }
            ClauseKind::Requires(proofs) if rule.requires.is_empty() => {
                rule.requires = once_each(
                    proofs,
                    "proof",
                    |p| (p.name.clone(), p.span),
                    &mut rule.repeats,
                );
                for p in &rule.requires {
                    unknown_proof::check(file, p, diags);
                }
            }
            ClauseKind::Reason(s) if rule.reason.is_none() => rule.reason = Some(s.clone()),
            _ => {}
        }
    }
    rule
}

/// The placeholders a confirmation template may use.
pub const PLACEHOLDERS: [&str; 4] = ["product", "context", "instance", "lane"];

/// Expands a confirmation template for one lane. Assumes the template
/// passed the E104 check (only known placeholders, balanced braces).
pub fn expand(template: &str, product: &str, context: &str, instance: &str) -> String {
    template
        .replace("{product}", product)
        .replace("{context}", context)
        .replace("{instance}", instance)
        .replace("{lane}", &format!("{context}/{instance}"))
}

#[cfg(test)]
mod tests {
    use super::{Repeat, glob_match, once_each};
    use crate::source::Span;

    #[test]
    fn each_repeated_entry_is_one_record_with_its_count() {
        // `a` six times, `b` twice, `c` once, `d` three times: the records
        // are one per repeated entry, in the order of its first repeat, so
        // a million repeats cost one record, not a million.
        let names = ["a", "b", "a", "c", "a", "d", "b", "d", "a", "a", "a", "d"];
        let items: Vec<(String, Span)> = names
            .iter()
            .enumerate()
            .map(|(k, n)| (n.to_string(), Span::new(k, k + 1)))
            .collect();
        let mut repeats: Vec<Repeat> = Vec::new();
        let once = once_each(&items, "proof", |i| i.clone(), &mut repeats);
        let kept: Vec<&str> = once.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(kept, ["a", "b", "c", "d"]);
        let records: Vec<(&str, usize, usize, usize)> = repeats
            .iter()
            .map(|r| (r.name.as_str(), r.first.start, r.again.start, r.more))
            .collect();
        assert_eq!(records, [("a", 0, 2, 4), ("b", 1, 6, 0), ("d", 5, 7, 1)]);
        let mut big: Vec<Repeat> = Vec::new();
        let many = vec![("x".to_string(), Span::new(0, 1)); 100_000];
        once_each(&many, "proof", |i| i.clone(), &mut big);
        assert_eq!(big.len(), 1);
        assert_eq!(big[0].more, 100_000 - 2);
    }

    /// The matcher with its shortcuts agrees with the definition: `*`
    /// matches any run of bytes, anything else itself.
    #[test]
    fn glob_match_agrees_with_the_definition() {
        fn reference(p: &[u8], t: &[u8]) -> bool {
            match p.split_first() {
                None => t.is_empty(),
                Some((b'*', rest)) => (0..=t.len()).any(|k| reference(rest, &t[k..])),
                Some((c, rest)) => t.first() == Some(c) && reference(rest, &t[1..]),
            }
        }
        use proptest::prelude::*;
        proptest!(ProptestConfig::with_cases(4000), |(p in "[a\u{e9}b*]{0,7}", t in "[a\u{e9}b]{0,7}")| {
            prop_assert_eq!(glob_match(&p, &t), reference(p.as_bytes(), t.as_bytes()), "{} {}", p, t);
        });
    }

    #[test]
    fn glob_segments_match_whole_names() {
        assert!(glob_match("*", "prod"));
        assert!(glob_match("*", ""));
        assert!(glob_match("cm", "cm"));
        assert!(!glob_match("cm", "cmx"));
        assert!(glob_match("c*", "cm"));
        assert!(glob_match("*-prod", "eu-prod"));
        assert!(!glob_match("*-prod", "prod"));
        assert!(glob_match("a*b*c", "aXbYc"));
        assert!(!glob_match("a*b*c", "aXbY"));
        assert!(glob_match("**", "x"));
        // More characters besides `*` than the name has: no match.
        assert!(!glob_match("ab*", "a"));
        assert!(!glob_match(&format!("*{}", "a".repeat(65)), &"a".repeat(64)));
        assert!(glob_match(&format!("*{}", "a".repeat(64)), &"a".repeat(64)));
        assert!(glob_match("a*b", "ab"));
        assert!(glob_match("*a*", "a"));
    }
}

#[cfg(test)]
mod index_tests {
    use super::{LaneIndex, glob_match};
    use crate::source::SourceFile;
    use crate::source::Span;
    use crate::syntax::ast::Pattern;

    #[test]
    fn the_index_matches_what_a_scan_of_every_lane_matches() {
        let mut yaml = String::from(
            "actions:\n  deploy: {operation: deploy, destructive: false}\nproducts:\n",
        );
        for c in ["cm", "cm-a", "cmx", "opw", "o", "ab"] {
            yaml.push_str(&format!("  p-{c}:\n    context: {c}\n    lanes:\n"));
            for i in ["prod", "testing", "p", "prod-eu", "t1"] {
                yaml.push_str(&format!(
                    "      {i}: {{production: false, phase: prelaunch}}\n"
                ));
            }
        }
        let src = SourceFile::new("lanes.yaml", yaml, String::new());
        let inv = crate::inventory::load(&src, 0).expect("the inventory loads");
        let index = LaneIndex::new(&inv);
        let segments = [
            "*", "cm*", "c*", "*m", "cm", "o*", "*-*", "p*", "prod", "*t*", "x*", "", "**",
        ];
        for context in segments {
            for instance in segments {
                let p = Pattern {
                    context: context.into(),
                    instance: instance.into(),
                    span: Span::new(0, 0),
                };
                if !p.is_glob() {
                    continue;
                }
                let scan: Vec<String> = inv
                    .lanes
                    .values()
                    .filter(|l| {
                        glob_match(context, &l.context) && glob_match(instance, &l.instance)
                    })
                    .map(|l| l.key())
                    .collect();
                assert_eq!(index.matching(&p), scan, "{context}/{instance}");
            }
        }
        assert_eq!(index.lanes_of("cm").count(), 5);
        assert_eq!(index.lanes_of("nope").count(), 0);
    }

    #[test]
    fn a_glob_with_a_literal_prefix_looks_only_at_its_range() {
        // 200 groups of 5 contexts, 2 lanes each: `g7-*/lane0` must not
        // look at the other 995 contexts' lanes named `lane0`.
        let mut yaml = String::from(
            "actions:\n  deploy: {operation: deploy, destructive: false}\nproducts:\n",
        );
        for g in 0..200 {
            for c in 0..5 {
                yaml.push_str(&format!("  p-g{g}-c{c}:\n    context: g{g}-c{c}\n    lanes:\n"));
                for i in ["lane0", "lane1"] {
                    yaml.push_str(&format!(
                        "      {i}: {{production: false, phase: prelaunch}}\n"
                    ));
                }
            }
        }
        let src = SourceFile::new("lanes.yaml", yaml, String::new());
        let inv = crate::inventory::load(&src, 0).expect("the inventory loads");
        let index = LaneIndex::new(&inv);
        let pattern = |context: &str, instance: &str| Pattern {
            context: context.into(),
            instance: instance.into(),
            span: Span::new(0, 0),
        };
        for (p, matches, bound) in [
            // Five contexts of `g7-`, one name each.
            (pattern("g7-*", "lane0"), 5, 5),
            // Five contexts, then two instances in each.
            (pattern("g7-*", "*"), 10, 15),
            (pattern("g7-c1", "lane*"), 2, 2),
            // `g1*` is the range g1-, g10- .. g19-, g100- .. g199-.
            (pattern("g1*", "lane1"), 555, 555),
        ] {
            let (found, looked) = index.matching_counted(&p);
            assert_eq!(found.len(), matches, "{}/{}", p.context, p.instance);
            assert!(
                looked <= bound,
                "{}/{}: looked at {looked} names",
                p.context,
                p.instance
            );
        }
    }
}

//! Loading and verifying a bundle. Every failure is a typed [`BundleError`];
//! a caller that fails to load a new bundle keeps the one it has.

use super::canonical::{Top, digest_of, parse_hashed};
use super::{Bundle, FORMAT, VERSION};
use crate::config::MAX_GRANTS_LIMIT;
use serde_json::Value;
/// Sets that are only looked up, never iterated: foldhash, randomly
/// seeded, so keys written to collide cannot be chosen in advance.
type HashSet<T> = foldhash::HashSet<T>;
use std::fmt;

/// The largest bundle accepted by default, in bytes (256 MiB: a bundle of
/// 100,000 rules over 200,000 lanes, each rule with a phrase per lane, is
/// about 140 MB). A caller that runs a larger fleet raises it with
/// [`load_within`] (the CLI's `--max-bundle-bytes`).
pub const MAX_BUNDLE_BYTES: usize = 256 * 1024 * 1024;

/// A bundle limit as a caller gives it (the CLI's `--max-bundle-bytes`,
/// the Python package's `max_bytes`), checked once for both.
///
/// # Errors
///
/// A message for 0, which would refuse every bundle.
pub fn bundle_limit(max_bytes: usize) -> Result<usize, String> {
    match max_bytes {
        0 => Err("a bundle limit of 0 bytes refuses every bundle: give at least 1".into()),
        n => Ok(n),
    }
}

/// Why a bundle was refused. The runtime's decision is then deny.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleError {
    /// Larger than the limit it was read under ([`MAX_BUNDLE_BYTES`] by
    /// default).
    TooLarge {
        /// Its size in bytes.
        bytes: usize,
        /// The limit, in bytes.
        limit: usize,
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
    /// Keys are trusted ([`super::signature::TrustedKeys`]) and the bundle
    /// has no signature.
    Unsigned,
    /// The signature does not parse, is by a key that is not trusted, or
    /// does not match the bundle's bytes.
    Signature {
        /// What is wrong.
        message: String,
    },
}

impl fmt::Display for BundleError {
    /// The message, with every invisible character in it (control,
    /// bidi, zero-width; [`crate::model::is_invisible`]) written as its
    /// escape: the values it quotes come from the refused bundle, and no
    /// message may carry a terminal escape or reorder itself.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::model::escape_invisible(
            &Unescaped(self).to_string(),
        ))
    }
}

/// A [`BundleError`]'s message as composed, before its invisible
/// characters are escaped.
struct Unescaped<'a>(&'a BundleError);

impl fmt::Display for Unescaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            BundleError::TooLarge { bytes, limit } => write!(
                f,
                "bundle is {bytes} bytes, over the limit of {limit} bytes"
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
            BundleError::Unsigned => write!(
                f,
                "bundle is not signed, and signatures are required (trusted keys are given): sign it with `lanepolicy build --sign-key` or `minisign -Sm`"
            ),
            BundleError::Signature { message } => {
                write!(f, "bundle signature refused: {message}")
            }
        }
    }
}

impl std::error::Error for BundleError {}

/// Reads and verifies a bundle from bytes: size, JSON, `format`, `version`,
/// `digest`, shape, and that every rule names lanes and actions the bundle
/// declares and dates that exist.
///
/// A bundle as `lanepolicy build` writes it is read, hashed and checked in
/// one pass over its bytes ([`parse_hashed`]); any other (a refused one,
/// or one whose keys are not in sorted order) is read into a JSON tree and
/// checked step by step, with the same result for an accepted bundle. Unknown fields are kept in the digest and ignored
/// by the reader, so a bundle may gain fields without a version bump.
///
/// # Errors
///
/// The first problem found, in the order above, as a [`BundleError`].
pub fn load(bytes: &[u8]) -> Result<Bundle, BundleError> {
    load_within(bytes, MAX_BUNDLE_BYTES)
}

/// [`load`] for bundles of at most `max_bytes` bytes rather than
/// [`MAX_BUNDLE_BYTES`].
///
/// # Errors
///
/// [`BundleError::TooLarge`] when `bytes` is longer than `max_bytes`, then
/// as [`load`].
pub fn load_within(bytes: &[u8], max_bytes: usize) -> Result<Bundle, BundleError> {
    if bytes.len() > max_bytes {
        return Err(BundleError::TooLarge {
            bytes: bytes.len(),
            limit: max_bytes,
        });
    }
    if let Some(bundle) = load_in_one_pass(bytes) {
        return Ok(bundle);
    }
    load_in_steps(bytes)
}

/// The bundle, when it is read, hashed and found sound in one pass
/// ([`parse_hashed`]): JSON with keys in order, of the bundle's shape, of
/// this format and version, whose digest matches, that agrees with itself.
/// `None` otherwise, including for bundles that are fine but written in
/// another way (keys out of order): [`load_in_steps`] then decides, and
/// says what is wrong. Every bundle this accepts, [`load_in_steps`]
/// accepts as the same bundle (`tests::one_pass_and_steps_agree_*`).
fn load_in_one_pass(bytes: &[u8]) -> Option<Bundle> {
    let (bundle, computed) = parse_hashed::<Bundle>(bytes)?;
    let sound = bundle.format == FORMAT
        && bundle.version == VERSION
        && bundle.digest == computed
        && check_consistency(&bundle).is_ok();
    sound.then_some(bundle)
}

/// [`load()`] one check after the other, in the documented order: the
/// bytes are read into a JSON tree (refusing a key written twice), the
/// envelope checked, the tree hashed and the digest compared, then the
/// bytes read into a [`Bundle`] and checked for consistency. Only bundles
/// that [`load_in_one_pass`] does not take come here: refused ones, and
/// ones whose keys are out of order, which `build` never writes.
fn load_in_steps(bytes: &[u8]) -> Result<Bundle, BundleError> {
    let value: Value = serde_json::from_slice::<crate::strict_value::StrictValue>(bytes)
        .map(|s| s.0)
        .map_err(|e| json_error(&e))?;
    let Some(top) = Top::of(&value) else {
        return Err(BundleError::Format { found: None });
    };
    match top.format {
        Some(Value::String(s)) if s == FORMAT => {}
        Some(Value::String(s)) => return Err(BundleError::Format { found: Some(s) }),
        _ => return Err(BundleError::Format { found: None }),
    }
    match top.version {
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
    let written = match top.digest {
        Some(Value::String(s)) => s,
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
    let bundle: Bundle = serde_json::from_slice(bytes).map_err(|e| BundleError::Invalid {
        message: e.to_string(),
    })?;
    check_consistency(&bundle)?;
    Ok(bundle)
}

fn json_error(e: &serde_json::Error) -> BundleError {
    BundleError::Json {
        message: e
            .to_string()
            .split(" at line ")
            .next()
            .unwrap_or_default()
            .to_string(),
        line: e.line(),
        column: e.column(),
    }
}

#[cfg(test)]
thread_local! {
    /// Sets of events the consistency check held a rule's events against.
    static EVENT_SET_CHECKS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Checks that the bundle agrees with itself: lanes with their products,
/// rules with the lanes, actions and events they name.
fn check_consistency(b: &Bundle) -> Result<(), BundleError> {
    let invalid = |message: String| Err(BundleError::Invalid { message });
    if let Some(message) = bad_name(b) {
        return invalid(message);
    }
    for (key, lane) in &b.lanes {
        // As the inventory writes them: sorted, each once.
        if lane.allowed_sources.windows(2).any(|w| w[0] >= w[1]) {
            return invalid(format!(
                "lane `{key}` has `allowed_sources` out of order or listed twice, which `lanepolicy build` never writes"
            ));
        }
        if key.split_once('/') != Some((lane.context.as_str(), lane.instance.as_str())) {
            return invalid(format!(
                "lane `{key}` has context/instance `{}/{}`",
                lane.context, lane.instance
            ));
        }
        match b.products.get(&lane.product) {
            None => {
                return invalid(format!(
                    "lane `{key}` names unknown product `{}`",
                    lane.product
                ));
            }
            Some(p) if p.context != lane.context => {
                return invalid(format!(
                    "lane `{key}` is in context `{}` but its product `{}` is `{}`",
                    lane.context, lane.product, p.context
                ));
            }
            Some(_) => {}
        }
    }
    for (name, a) in &b.actions {
        if !a.destructive
            && let Some(why) = crate::inventory::destructive::must_be_destructive(
                name,
                &a.operation,
                a.data_source,
            )
        {
            return invalid(format!(
                "action `{}` is declared non-destructive, but {why}",
                crate::model::shown(name)
            ));
        }
        if let Some(known) =
            crate::inventory::destructive::launchplane_kind_misspelled(&a.operation)
        {
            return invalid(format!(
                "action `{}` has operation `{}`, which reads as Launchplane's `{known}` but is not written as it",
                crate::model::shown(name),
                crate::model::shown(&a.operation)
            ));
        }
        // A rebuild without its source would skip the lane's data policy.
        if let Some((why, _)) = crate::inventory::destructive::rebuild_source_problem(
            &crate::model::shown(name),
            &a.operation,
            a.data_source,
        ) {
            return invalid(why);
        }
    }
    let left_out = LeftOut::new(&b.excluded_policies);
    let mut ids: HashSet<&str> =
        HashSet::with_capacity_and_hasher(b.rules.len(), Default::default());
    // Reused from rule to rule, so that a rule costs no allocation.
    let mut seen: HashSet<&str> = HashSet::default();
    let mut grants: u64 = 0;
    // Products by their set of event names: products that declare the
    // same events answer for each other, so a rule costs its lanes plus
    // its events times the distinct sets among its products.
    let (event_set, event_sets) =
        crate::model::number_event_sets(b.products.iter().map(|(name, p)| (name, &p.events)));
    // Each lane's set of events (none when its product declares no set),
    // by key: a rule's lanes are looked up by hash, once each, rather
    // than down the lanes' tree and then the products'.
    let lane_sets: foldhash::HashMap<&str, Option<u32>> = b
        .lanes
        .iter()
        .map(|(key, lane)| (key.as_str(), event_set.get(lane.product.as_str()).copied()))
        .collect();
    // Each (list of `until` events, set of events) pair is checked once
    // for the whole bundle: rules usually share their conditions (`until
    // launch`), and rules that each spread over products with sets of
    // their own cost each pair once, not rules x sets x events.
    // Lists are keyed as sets (sorted, each event once): rules that write
    // the same events in orders of their own share their checks (1,500
    // such rules over 300 products with sets of their own took 20 s to
    // load).
    let mut lists: foldhash::HashMap<Vec<&str>, u32> = foldhash::HashMap::default();
    let mut checked: HashSet<(u32, u32)> = HashSet::default();
    for (k, r) in b.rules.iter().enumerate() {
        if !is_rule_id(&r.id) {
            return invalid(format!(
                "rules[{k}] has id `{}`, which is not 12 hex digits (and `-N` for a repeat) as `lanepolicy build` writes",
                crate::model::shown(&r.id)
            ));
        }
        let at = || format!("rules[{k}] (`{}`)", r.id);
        if !ids.insert(r.id.as_str()) {
            return invalid(format!("{} has the id of an earlier rule", at()));
        }
        for (what, list) in [
            ("action", &r.actions),
            ("lane", &r.lanes),
            ("event", &r.until.events),
            ("date", &r.until.dates),
            ("proof", &r.requires),
            ("pattern", &r.patterns),
        ] {
            if let Some(x) = repeated(list, &mut seen) {
                return invalid(format!("{} lists {what} `{x}` twice", at()));
            }
        }
        // The compiler counts each pattern's lanes x actions against
        // `max-grants` (E110), at most MAX_GRANTS_LIMIT: no bundle it
        // writes opens more distinct grants, and every report of the
        // runtime (`lanes`, `export`, `diff`) costs at least one step each.
        grants =
            grants.saturating_add((r.lanes.len() as u64).saturating_mul(r.actions.len() as u64));
        if grants > MAX_GRANTS_LIMIT {
            return invalid(format!(
                "the rules up to {} open {grants} grants (lanes x actions), more than the {MAX_GRANTS_LIMIT} any configuration lets `lanepolicy build` write (E110)",
                at()
            ));
        }
        if let Some(p) = r
            .patterns
            .iter()
            .find(|p| !crate::syntax::parser::is_pattern(p))
        {
            return invalid(format!(
                "{} has lane pattern `{}`, which is not `context/instance` as the language writes it",
                at(),
                crate::model::shown(p)
            ));
        }
        if let Some(i) = &r.issue
            && !crate::syntax::parser::is_url_with_host(&i.url, &["https", "http"])
        {
            return invalid(format!(
                "{} has issue URL `{}`, which is not a URL with a host",
                at(),
                crate::model::shown(&i.url)
            ));
        }
        if let Some((what, text)) = unseen_text(r) {
            return invalid(format!(
                "{} has {what} `{}` with a control or invisible character, which policy text cannot hold",
                at(),
                crate::model::shown(text)
            ));
        }
        if let Some(p) = r
            .requires
            .iter()
            .find(|p| !crate::model::PROOFS.contains(&p.as_str()))
        {
            return invalid(format!(
                "{} requires proof `{}`, which is not a proof the language knows ({}; E106)",
                at(),
                crate::model::shown(p),
                crate::model::PROOFS.join(", ")
            ));
        }
        // A rule never comes from a policy file the configuration left out.
        if left_out.holds(&path_key(&r.source.path)) {
            return invalid(format!(
                "{} comes from `{}`, one of the bundle's `excluded_policies`, whose rules do not apply",
                at(),
                crate::model::shown(&r.source.path),
            ));
        }
        if let Some(a) = r.actions.iter().find(|a| !b.actions.contains_key(*a)) {
            return invalid(format!("{} names unknown action `{a}`", at()));
        }
        if let Some((lane, _)) = r
            .confirm
            .iter()
            .flatten()
            .find(|(_, p)| p.chars().count() > crate::sema::MAX_PHRASE_CHARS)
        {
            return invalid(format!(
                "{} gives lane `{lane}` a confirmation phrase of more than {} characters, which the compiler refuses (E109)",
                at(),
                crate::sema::MAX_PHRASE_CHARS
            ));
        }
        // Each set of events among the products of the rule's lanes is
        // checked against the rule's events (an event the lane's product
        // lacks could never retire the rule there) once per distinct list
        // of events in the bundle: O(lanes + pairs x events), stopping at
        // the first event a product lacks.
        let next = lists.len() as u32;
        let mut key: Vec<&str> = r.until.events.iter().map(String::as_str).collect();
        key.sort_unstable();
        key.dedup();
        let list = *lists.entry(key).or_insert(next);
        for l in &r.lanes {
            let Some(&set) = lane_sets.get(l.as_str()) else {
                return invalid(format!("{} names unknown lane `{l}`", at()));
            };
            if r.until.events.is_empty() || set.is_some_and(|n| !checked.insert((list, n))) {
                continue;
            }
            let events = set.and_then(|n| event_sets.get(n as usize));
            #[cfg(test)]
            EVENT_SET_CHECKS.with(|c| c.set(c.get() + 1));
            if let Some(e) = r
                .until
                .events
                .iter()
                .find(|e| !events.is_some_and(|ev| ev.contains_key(*e)))
            {
                return invalid(format!(
                    "{} retires at `{e}`, which is not an event of lane `{l}`'s product",
                    at()
                ));
            }
        }
        if let Some(d) = r.until.dates.iter().find(|d| {
            !d.parse::<jiff::civil::Date>()
                .is_ok_and(crate::model::date_in_window)
        }) {
            return invalid(format!(
                "{} has `{d}`, which is not a date from {} to {}",
                at(),
                crate::model::FIRST_DATE,
                crate::model::LAST_DATE
            ));
        }
        if let Some(phrases) = &r.confirm {
            if let Some(l) = r.lanes.iter().find(|l| !phrases.contains_key(*l)) {
                return invalid(format!(
                    "{} asks for a phrase but has none for lane `{l}`",
                    at()
                ));
            }
            if let Some((l, _)) = phrases.iter().find(|(_, p)| crate::model::is_blank(p)) {
                return invalid(format!("{} has an empty phrase for lane `{l}`", at()));
            }
            // Each lane has its phrase (above) and the lanes are distinct,
            // so one more phrase than lanes is a phrase for no lane of
            // the rule: no command would show it, yet the digest covers it.
            if phrases.len() != r.lanes.len() {
                let lanes: HashSet<&str> = r.lanes.iter().map(String::as_str).collect();
                let extra = phrases
                    .keys()
                    .find(|l| !lanes.contains(l.as_str()))
                    .map_or("", String::as_str);
                return invalid(format!(
                    "{} has a phrase for lane `{}`, which is not a lane of the rule",
                    at(),
                    crate::model::shown(extra)
                ));
            }
        }
    }
    Ok(())
}

/// A path as the loader compares it with `excluded_policies`: `/` and `\`
/// both separators, empty and `.` segments dropped, `..` taking the one
/// before it, in lower case (`exclude` itself matches whatever the case).
/// `./policies//drafts/../drafts/WIP.policy` is `policies/drafts/wip.policy`.
fn path_key(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/").to_lowercase()
}

/// The bundle's `excluded_policies` as [`path_key`]s, with a keyed hash of
/// each: a rule's path and each directory above it are looked up by a hash
/// streamed along the path once, so a path of a million segments costs
/// its length, not a hash of each of its prefixes (that was quadratic: 32
/// s for an 800 KB path).
struct LeftOut {
    keys: HashSet<String>,
    hashes: std::collections::HashSet<u64>,
    state: std::hash::RandomState,
}

impl LeftOut {
    fn new(paths: &[String]) -> Self {
        let state = std::hash::RandomState::new();
        let keys: HashSet<String> = paths.iter().map(|p| path_key(p)).collect();
        let hashes = keys
            .iter()
            .map(|k| {
                let mut h = std::hash::BuildHasher::build_hasher(&state);
                std::hash::Hasher::write(&mut h, k.as_bytes());
                std::hash::Hasher::finish(&h)
            })
            .collect();
        LeftOut {
            keys,
            hashes,
            state,
        }
    }

    /// True when `path` (a [`path_key`]) is one of these or under one.
    fn holds(&self, path: &str) -> bool {
        if self.keys.is_empty() {
            return false;
        }
        if self.keys.contains(path) {
            return true;
        }
        // SipHash reads its input as one stream: the hash of a prefix is
        // the hasher's state there, and a match is confirmed by the text.
        let mut h = std::hash::BuildHasher::build_hasher(&self.state);
        let mut from = 0;
        for (k, _) in path.match_indices('/') {
            std::hash::Hasher::write(&mut h, &path.as_bytes()[from..k]);
            from = k;
            if self.hashes.contains(&std::hash::Hasher::finish(&h))
                && self.keys.contains(&path[..k])
            {
                return true;
            }
        }
        false
    }
}

/// The first record of a check that `build` could not have written: a
/// check the configuration lowered (`lowered_checks`), a suppression or a
/// lowered finding on a rule, whose code is not a check of the registry
/// or whose name is not that check's, whose severity is not `error`,
/// `warning` or `off`, or whose reason or message holds a control or
/// invisible character (`\t` and `\n` aside). `lanes`, `diff` and the
/// exports print these.
fn bad_check_record(b: &Bundle) -> Option<String> {
    let check = |code: &str, name: &str| -> Option<String> {
        match crate::checks::lookup(code) {
            Some(c) if c.code == code && c.name == name => None,
            _ => Some(format!(
                "names check `{}` `{}`, which is not a check of lanepolicy",
                crate::model::shown(code),
                crate::model::shown(name)
            )),
        }
    };
    let level = |s: &str| -> Option<String> {
        (!matches!(s, "error" | "warning" | "off"))
            .then(|| format!("has severity `{}`", crate::model::shown(s)))
    };
    let text = |s: &str| -> Option<String> {
        s.chars()
            .any(|c| !matches!(c, '\n' | '\t') && (c.is_control() || crate::model::is_invisible(c)))
            .then(|| {
                format!(
                    "has text `{}` with a control or invisible character",
                    crate::model::shown(s)
                )
            })
    };
    let mut codes: HashSet<&str> = HashSet::default();
    for l in &b.lowered_checks {
        if !codes.insert(&l.code) {
            return Some(format!(
                "the configuration lowers check `{}` twice",
                crate::model::shown(&l.code)
            ));
        }
        if let Some(why) = check(&l.code, &l.name)
            .or_else(|| level(&l.default))
            .or_else(|| level(&l.severity))
        {
            return Some(format!("a check lowered by the configuration {why}"));
        }
        // Its default as the registry has it, and a severity below it: a
        // check at its default is not lowered.
        let default = crate::checks::lookup(&l.code).map(|c| c.default_severity.as_str());
        if default != Some(l.default.as_str()) || l.severity == l.default || l.severity == "error" {
            return Some(format!(
                "the configuration lowers check `{}` from `{}` to `{}`, which is not lowering its default",
                crate::model::shown(&l.code),
                crate::model::shown(&l.default),
                crate::model::shown(&l.severity)
            ));
        }
    }
    // Sorted and each once, as `build` writes them.
    if b.excluded_policies.windows(2).any(|w| w[0] >= w[1]) {
        return Some("`excluded_policies` is out of order or lists a file twice".into());
    }
    if b.sources.windows(2).any(|w| w[0].path >= w[1].path) {
        return Some("`sources` is out of order or lists a file twice".into());
    }
    if let Some(r) = b
        .rules
        .iter()
        .find(|r| r.source.line == 0 || r.source.column == 0)
    {
        return Some(format!(
            "rule {} is at line {}, column {}: both start at 1",
            crate::model::shown(&r.id),
            r.source.line,
            r.source.column
        ));
    }
    for r in &b.rules {
        // One record per (check, reason), as `build` writes them.
        let mut records: Vec<(&str, &str)> = r
            .suppressions
            .iter()
            .map(|s| (s.code.as_str(), s.reason.as_str()))
            .collect();
        records.sort_unstable();
        if let Some(w) = records.windows(2).find(|w| w[0] == w[1]) {
            return Some(format!(
                "rule {} records the suppression of `{}` twice",
                r.id,
                crate::model::shown(w[0].0)
            ));
        }
        for s in &r.suppressions {
            if let Some(why) = check(&s.code, &s.name).or_else(|| text(&s.reason)) {
                return Some(format!("rule {} has a suppression that {why}", r.id));
            }
            // A suppression comment needs a reason (E002), and the
            // unused-suppression finding is made after suppressions apply,
            // so no suppression ever silences it.
            if crate::model::is_blank(&s.reason) {
                return Some(format!(
                    "rule {} records a suppression of `{}` without a reason, which a suppression comment cannot be",
                    r.id,
                    crate::model::shown(&s.code)
                ));
            }
            if s.code == crate::checks::Code::L014.check().code {
                return Some(format!(
                    "rule {} records a suppression of `{}`, which no suppression comment silences",
                    r.id, s.code
                ));
            }
        }
        for f in &r.lowered_findings {
            if let Some(why) = check(&f.code, &f.name)
                .or_else(|| level(&f.severity))
                .or_else(|| text(&f.message))
            {
                return Some(format!("rule {} has a lowered finding that {why}", r.id));
            }
        }
    }
    // A source's digest is lowercase hex (or empty when the text was
    // given in memory, with no file).
    if let Some(s) = b.sources.iter().find(|s| {
        !(s.sha256.is_empty()
            || (s.sha256.len() == 64
                && s.sha256
                    .bytes()
                    .all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))))
    }) {
        return Some(format!(
            "source `{}` has digest `{}`, which is not 64 lowercase hex digits",
            crate::model::shown(&s.path),
            crate::model::shown(&s.sha256)
        ));
    }
    None
}

/// The first name in the bundle that the inventory would have refused
/// (contexts, instances, actions and events are identifiers; products are
/// product names; operation kinds are visible text), as a message. Names
/// are printed by every renderer, so a re-sealed bundle cannot carry
/// control characters or look-alike blanks into a terminal or a report.
fn bad_name(b: &Bundle) -> Option<String> {
    if let Some(message) = bad_check_record(b) {
        return Some(message);
    }
    use crate::inventory::{is_name, is_product_name};
    let shown = crate::model::shown;
    for (name, p) in &b.products {
        if !is_product_name(name) {
            return Some(format!("product `{}` is not a product name", shown(name)));
        }
        if !is_name(&p.context) {
            return Some(format!(
                "product `{name}` has context `{}`, which is not a name",
                shown(&p.context)
            ));
        }
        if let Some(e) = p.events.keys().find(|e| !is_name(e)) {
            return Some(format!(
                "product `{name}` has event `{}`, which is not a name",
                shown(e)
            ));
        }
    }
    for (key, lane) in &b.lanes {
        if !is_name(&lane.context) || !is_name(&lane.instance) {
            return Some(format!(
                "lane `{}` is not `context/instance` of names",
                shown(key)
            ));
        }
        // Launchplane's own fields and any other lane field: visible text
        // only, as the inventory requires (E201).
        for (field, value) in &lane.extra {
            let key_unseen = field
                .chars()
                .any(|c| c.is_control() || crate::model::is_invisible(c));
            if let Some(text) = key_unseen
                .then_some(field.as_str())
                .or_else(|| unseen_in_json(value))
            {
                return Some(format!(
                    "lane `{key}` has `{}` `{}` with a control or invisible character",
                    shown(field),
                    shown(text)
                ));
            }
        }
    }
    let paths = b
        .sources
        .iter()
        .map(|s| s.path.as_str())
        .chain(b.excluded_policies.iter().map(String::as_str));
    for path in paths {
        if path
            .chars()
            .any(|c| c.is_control() || crate::model::is_invisible(c))
        {
            return Some(format!(
                "source path `{}` has a control or invisible character",
                shown(path)
            ));
        }
    }
    if let Some(base) = &b.issues
        && !crate::syntax::parser::is_url_with_host(base, &["https", "http"])
    {
        return Some(format!(
            "`issues` `{}` is not a URL with a host",
            shown(base)
        ));
    }
    for (name, a) in &b.actions {
        if !is_name(name) {
            return Some(format!("action `{}` is not a name", shown(name)));
        }
        if crate::model::is_blank(&a.operation)
            || a.operation
                .chars()
                .any(|c| c.is_control() || crate::model::is_invisible(c))
        {
            return Some(format!(
                "action `{name}` has operation `{}`, which is not visible text",
                shown(&a.operation)
            ));
        }
    }
    None
}

/// The first text of rule `r` that the compiler could not have written: a
/// phrase, reason, pattern, issue reference or URL, or source path with a
/// control or invisible character other than the line end and tab the
/// language's strings and doc comments may hold (`\n`, `\t`). Every renderer prints these, so the loader refuses them rather
/// than trusting each to escape.
fn unseen_text(r: &super::Rule) -> Option<(&'static str, &str)> {
    use crate::model::is_invisible;
    let bad = |s: &str, allow: &[char]| {
        s.chars()
            .any(|c| !allow.contains(&c) && (c.is_control() || is_invisible(c)))
    };
    // A blank phrase is refused as empty, further on.
    let phrases = r
        .confirm
        .iter()
        .flat_map(|m| m.values())
        .filter(|p| !crate::model::is_blank(p));
    let texts = phrases
        .map(|p| ("a phrase", p.as_str()))
        .chain(r.reason.iter().map(|t| ("a reason", t.as_str())))
        .chain(r.patterns.iter().map(|t| ("a lane pattern", t.as_str())))
        .chain(
            r.issue
                .iter()
                .map(|i| ("an issue reference", i.reference.as_str())),
        )
        .chain(r.issue.iter().map(|i| ("an issue URL", i.url.as_str())))
        .chain(std::iter::once(("a source path", r.source.path.as_str())));
    for (what, text) in texts {
        // Strings of the language may hold `\t` and `\n` (its escapes);
        // a path may not.
        let allowed: &[char] = if what == "a source path" {
            &[]
        } else {
            &['\n', '\t']
        };
        if bad(text, allowed) {
            return Some((what, text));
        }
    }
    r.doc
        .as_deref()
        .filter(|d| bad(d, &['\n', '\t']))
        .map(|d| ("a doc comment", d))
}

/// The first string in `v` (a lane field's value, at any depth, object
/// keys included) with a control or invisible character.
fn unseen_in_json(v: &serde_json::Value) -> Option<&str> {
    use serde_json::Value;
    let unseen = |s: &str| {
        s.chars()
            .any(|c| c.is_control() || crate::model::is_invisible(c))
    };
    match v {
        Value::String(s) => unseen(s).then_some(s.as_str()),
        Value::Array(items) => items.iter().find_map(unseen_in_json),
        Value::Object(m) => m.iter().find_map(|(k, v)| {
            if unseen(k) {
                Some(k.as_str())
            } else {
                unseen_in_json(v)
            }
        }),
        _ => None,
    }
}

/// True for an id `lanepolicy build` writes: 12 lower-case hex digits, then
/// `-N` (N from 2) for the N-th rule with the same text.
fn is_rule_id(id: &str) -> bool {
    let (base, n) = match id.split_once('-') {
        Some((base, n)) => (base, Some(n)),
        None => (id, None),
    };
    base.len() == 12
        && base.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
        && n.is_none_or(|n| {
            !n.starts_with('0')
                && n.bytes().all(|c| c.is_ascii_digit())
                && n.parse::<u32>().is_ok_and(|n| n >= 2)
        })
}

/// The first entry of `list` that an earlier one repeats. A short list is
/// compared pair by pair; a long one goes through `seen` (emptied first),
/// which the caller keeps from list to list.
fn repeated<'a>(list: &'a [String], seen: &mut HashSet<&'a str>) -> Option<&'a str> {
    const SHORT: usize = 8;
    if list.len() <= SHORT {
        return list
            .iter()
            .enumerate()
            .find(|(n, x)| list[..*n].contains(x))
            .map(|(_, x)| x.as_str());
    }
    seen.clear();
    list.iter().map(String::as_str).find(|x| !seen.insert(x))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EventState;

    fn real() -> Bundle {
        crate::bundle::real_fixture()
    }

    /// The bundle as `build` would write it, with its digest recomputed.
    fn sealed(mut b: Bundle) -> Vec<u8> {
        let value = serde_json::to_value(&b).expect("a bundle serializes");
        b.digest = digest_of(&value);
        let value = serde_json::to_value(&b).expect("a bundle serializes");
        super::super::to_pretty_json(&value).into_bytes()
    }

    fn refused(b: Bundle) -> String {
        match load(&sealed(b)) {
            Err(BundleError::Invalid { message }) => message,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/fixtures/bundles/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("a fixture bundle")
    }

    /// `load` is `load_in_steps`, for `bytes`: the same bundle or the same
    /// error; and the one pass accepts only what the steps accept.
    fn agree(bytes: &[u8]) -> Result<(), String> {
        let steps = load_in_steps(bytes);
        if let Some(fast) = load_in_one_pass(bytes)
            && steps.as_ref() != Ok(&fast)
        {
            return Err(format!("one pass accepts, the steps say {steps:?}"));
        }
        if load(bytes) != steps {
            return Err("load and load_in_steps differ".into());
        }
        Ok(())
    }

    #[test]
    fn what_build_writes_loads_in_one_pass() {
        // The fast path is the one taken for the bundles `build` writes.
        for name in ["real.json", "cm-only.json", "wide.json"] {
            let bytes = fixture(name);
            let fast = load_in_one_pass(&bytes).expect(name);
            assert_eq!(load_in_steps(&bytes), Ok(fast), "{name}");
        }
        let resealed = sealed(real());
        assert!(load_in_one_pass(&resealed).is_some());
    }

    #[test]
    fn one_pass_and_steps_agree_on_refusals() {
        let real = fixture("real.json");
        let text = String::from_utf8(real.clone()).expect("UTF-8");
        let value: Value = serde_json::from_slice(&real).expect("JSON");
        let mut cases: Vec<Vec<u8>> = vec![
            Vec::new(),
            b"[]".to_vec(),
            b"null".to_vec(),
            real[..real.len() / 2].to_vec(),
            [&real[..], b" x"].concat(),
            // Keys out of order, and a key written twice: the steps decide.
            text.replacen("\"actions\"", "\"zzz\": 1, \"actions\"", 1)
                .into_bytes(),
            text.replacen("\"actions\"", "\"actions\": 1, \"actions\"", 1)
                .into_bytes(),
            text.replacen("\"version\": 1", "\"version\": 1.0", 1)
                .into_bytes(),
            text.replacen("\"version\": 1", "\"version\": 2", 1)
                .into_bytes(),
            text.replacen("\"effect\": \"allow\"", "\"effect\": {\"allow\": null}", 1)
                .into_bytes(),
            text.replace("bootstrap cm prod", "yes").into_bytes(),
        ];
        // The whole document as an array of its values: never a bundle.
        let values: Vec<&Value> = value.as_object().expect("an object").values().collect();
        cases.push(serde_json::to_vec(&values).expect("JSON"));
        // Resealed: an unknown field, a missing one, a wrong type, escapes.
        for edit in [
            |v: &mut Value| v["rules"][0]["zzz"] = Value::from(1),
            |v: &mut Value| v["lanes"]["cm/prod"]["zzz"] = Value::from("\u{1b}"),
            |v: &mut Value| {
                v["lanes"]["cm/prod"]
                    .as_object_mut()
                    .map(|m| m.remove("phase"));
            },
            |v: &mut Value| v["rules"][0]["source"]["line"] = Value::from(-1),
            |v: &mut Value| v["rules"][0]["doc"] = Value::from("a \"quoted\"\tdoc"),
            |v: &mut Value| v["rules"][0]["lanes"][0] = Value::from("zz/prod"),
        ] {
            let mut v = value.clone();
            edit(&mut v);
            v["digest"] = Value::from(digest_of(&v));
            cases.push(super::super::to_pretty_json(&v).into_bytes());
            cases.push(serde_json::to_vec(&v).expect("JSON"));
        }
        for (n, case) in cases.iter().enumerate() {
            assert_eq!(agree(case), Ok(()), "case {n}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Damage anywhere in a real bundle: the one pass never accepts what
        /// the steps refuse, and `load` says what the steps say.
        #[test]
        fn one_pass_and_steps_agree_on_damaged_bytes(
            edits in proptest::collection::vec((0usize..1 << 20, 0u8..=255, 0u8..3), 1..4)
        ) {
            let mut bytes = fixture("real.json");
            for (at, byte, how) in edits {
                let at = at % bytes.len();
                match how {
                    0 => bytes[at] = byte,
                    1 => { bytes.remove(at); }
                    _ => bytes.insert(at, byte),
                }
            }
            proptest::prop_assert_eq!(agree(&bytes), Ok(()));
        }
    }

    #[test]
    fn a_resealed_bundle_loads() {
        assert!(load(&sealed(real())).is_ok());
    }

    #[test]
    fn repeats_in_a_rule_are_refused() {
        let mut b = real();
        let action = b.rules[0].actions[0].clone();
        b.rules[0].actions = vec![action; 1000];
        assert!(refused(b).ends_with("lists action `empty_bootstrap` twice"));

        let mut b = real();
        let lane = b.rules[0].lanes[0].clone();
        b.rules[0].lanes.push(lane);
        assert!(refused(b).contains("lists lane `cm/prod` twice"));

        let mut b = real();
        b.rules[0].until.events = vec!["launch".into(); 3];
        assert!(refused(b).contains("lists event `launch` twice"));
    }

    /// A refusal's message shows every invisible character it quotes
    /// escaped, whatever the field: lane names, actions, events, dates,
    /// rule ids, lane keys.
    #[test]
    fn refusals_show_invisible_characters_escaped() {
        let hidden = ["\u{202e}", "\u{1b}[2J", "\u{200b}", "\u{fe0f}"];
        for h in hidden {
            let mut cases: Vec<Bundle> = Vec::new();
            let mut b = real();
            b.rules[0].lanes.push(format!("cm/te{h}st"));
            cases.push(b);
            let mut b = real();
            b.rules[0].actions.push(format!("deploy{h}"));
            cases.push(b);
            let mut b = real();
            b.rules[0].until.events.push(format!("launch{h}"));
            cases.push(b);
            let mut b = real();
            b.rules[0].until.dates.push(format!("2026-01-01{h}"));
            cases.push(b);
            let mut b = real();
            b.rules[0].id = format!("0e2c3badef9d{h}");
            cases.push(b);
            let mut b = real();
            let lane = b.lanes.values().next().expect("a lane").clone();
            b.lanes.insert(format!("cm/x{h}"), lane);
            cases.push(b);
            for b in cases {
                let e = load(&sealed(b)).expect_err("refused");
                let shown = e.to_string();
                assert!(!shown.chars().any(crate::model::is_invisible), "{shown:?}");
            }
        }
    }

    /// What `build` never writes is refused, however it is resealed: a
    /// phrase for a lane the rule does not match (which no command would
    /// show, though the digest covers it), rebuild sources out of order
    /// or listed twice, a check lowered twice, a suppression recorded
    /// twice.
    #[test]
    fn records_build_never_writes_are_refused() {
        let with_phrase = |lane: &str| {
            let mut b = real();
            let r = b
                .rules
                .iter_mut()
                .find(|r| r.confirm.is_some())
                .expect("a rule with phrases");
            r.confirm
                .as_mut()
                .expect("phrases")
                .insert(lane.into(), "go".into());
            refused(b)
        };
        for lane in ["nope/lane", "hq/prod"] {
            let m = with_phrase(lane);
            assert!(
                m.contains(&format!(
                    "has a phrase for lane `{lane}`, which is not a lane of the rule"
                )),
                "{m}"
            );
        }

        for sources in [
            vec![
                crate::model::DataSource::Empty,
                crate::model::DataSource::Empty,
            ],
            vec![
                crate::model::DataSource::UpstreamRestore,
                crate::model::DataSource::Empty,
            ],
        ] {
            let mut b = real();
            b.lanes.values_mut().next().expect("a lane").allowed_sources = sources;
            assert!(refused(b).contains("has `allowed_sources` out of order or listed twice"));
        }

        let mut b = real();
        let lowered = super::super::LoweredCheck {
            code: "L001".into(),
            name: "missing-issue".into(),
            default: "error".into(),
            severity: "off".into(),
        };
        b.lowered_checks = vec![lowered.clone(), lowered];
        assert!(refused(b).contains("the configuration lowers check `L001` twice"));

        let mut b = real();
        let record = super::super::SuppressionRecord {
            code: "L012".into(),
            name: "wildcard-touches-production".into(),
            reason: "both lanes are prelaunch".into(),
        };
        b.rules[0].suppressions = vec![record.clone(), record.clone()];
        assert!(refused(b).contains("records the suppression of `L012` twice"));
        // A check lowered to its own default, or from a default it does
        // not have; files out of order or twice; a rule at line 0.
        let lowered = |default: &str, severity: &str| super::super::LoweredCheck {
            code: "L001".into(),
            name: "missing-issue".into(),
            default: default.into(),
            severity: severity.into(),
        };
        for l in [
            lowered("error", "error"),
            lowered("off", "off"),
            lowered("warning", "off"),
        ] {
            let mut b = real();
            b.lowered_checks = vec![l];
            assert!(refused(b).contains("which is not lowering its default"));
        }
        let mut b = real();
        b.lowered_checks = vec![lowered("error", "warning")];
        assert!(load(&sealed(b)).is_ok());
        let mut b = real();
        b.excluded_policies = vec!["b.policy".into(), "a.policy".into()];
        assert!(refused(b).contains("`excluded_policies` is out of order or lists a file twice"));
        let mut b = real();
        b.sources.reverse();
        assert!(refused(b).contains("`sources` is out of order or lists a file twice"));
        let mut b = real();
        b.rules[0].source.line = 0;
        assert!(refused(b).contains("both start at 1"));

        // Two reasons for one check are two records, as `build` writes them.
        let mut b = real();
        let mut other = record.clone();
        other.reason = "and reviewed".into();
        b.rules[0].suppressions = vec![other, record.clone()];
        assert!(load(&sealed(b)).is_ok());

        // A suppression without a reason, or of unused-suppression.
        let mut b = real();
        let mut blank = record.clone();
        blank.reason = " \n".into();
        b.rules[0].suppressions = vec![blank];
        assert!(refused(b).contains("records a suppression of `L012` without a reason"));
        let mut b = real();
        b.rules[0].suppressions = vec![super::super::SuppressionRecord {
            code: "L014".into(),
            name: "unused-suppression".into(),
            reason: "r".into(),
        }];
        assert!(refused(b).contains("records a suppression of `L014`, which no suppression"));

        // A digest that is not lowercase hex; an empty digest is what a
        // compilation of texts given in memory writes.
        for digest in ["ABC", &"A".repeat(64), &"g".repeat(64), &"a".repeat(63)] {
            let mut b = real();
            b.sources[0].sha256 = digest.to_string();
            assert!(
                refused(b).contains("which is not 64 lowercase hex digits"),
                "{digest}"
            );
        }
        let mut b = real();
        b.sources[0].sha256.clear();
        assert!(load(&sealed(b)).is_ok());
    }

    /// No configuration lets the compiler write more grants than
    /// `MAX_GRANTS_LIMIT` (E110); a re-sealed bundle with more, small on
    /// disk, would cost every report of the runtime a step per grant.
    #[test]
    fn more_grants_than_any_build_writes_are_refused() {
        let mut b = real();
        let k = b
            .rules
            .iter()
            .position(|r| r.lanes.iter().any(|l| l == "cm/testing"))
            .expect("a rule on cm/testing");
        let mut lane = b.lanes.get("cm/testing").expect("a lane").clone();
        lane.extra.clear();
        let base = b.actions.values().next().expect("an action").clone();
        for n in 0..3000 {
            b.actions.insert(format!("extra{n:04}"), base.clone());
        }
        let mut lanes = Vec::new();
        for n in 0..3000 {
            let key = format!("cm/x{n:04}");
            b.lanes.insert(
                key.clone(),
                crate::bundle::Lane {
                    instance: format!("x{n:04}"),
                    ..lane.clone()
                },
            );
            lanes.push(key);
        }
        let r = &mut b.rules[k];
        if let Some(phrases) = r.confirm.as_mut() {
            for l in &lanes {
                phrases.insert(l.clone(), format!("go {l}"));
            }
        }
        r.lanes.extend(lanes);
        r.actions = b.actions.keys().cloned().collect();
        let message = refused(b);
        assert!(
            message.contains("grants (lanes x actions), more than the 8388608"),
            "{message}"
        );
    }

    /// A rule's patterns are shown by every report: a re-sealed bundle
    /// may not carry one no policy can write (near-duplicates of a real
    /// pattern included).
    #[test]
    fn patterns_are_as_the_language_writes_them() {
        for bad in [
            "cm/testing  ",
            "CM/testing",
            "cm",
            "cm/",
            "/testing",
            "cm/allow",
            "cm/te sting",
            "cm/a/b",
        ] {
            let mut b = real();
            b.rules[0].patterns = vec![bad.to_string()];
            let message = refused(b);
            assert!(
                message.contains("which is not `context/instance` as the language writes it"),
                "{bad:?}: {message}"
            );
        }
        for good in ["cm/*", "*/prod", "c*/t-1_x*", "*/*", "cm/testing"] {
            let mut b = real();
            b.rules[0].patterns = vec![good.to_string()];
            b.rules[0].lanes = b
                .lanes
                .keys()
                .filter(|l| crate::sema::glob_match(good, l))
                .cloned()
                .collect();
            b.rules[0].confirm = None;
            b.rules[0].until.events.clear();
            b.rules[0].until.dates = vec!["2027-01-01".into()];
            let loaded = load(&sealed(b));
            assert!(loaded.is_ok(), "{good:?}: {loaded:?}");
        }
    }

    /// A rule from a policy file the bundle lists among those the
    /// configuration left out is refused: re-sealed, it was taken, and
    /// `lanes` printed the file as left out beside the grant it made.
    #[test]
    fn a_rule_of_a_file_left_out_is_refused() {
        let mut b = real();
        let path = b.rules[0].source.path.clone();
        b.excluded_policies = vec![path];
        assert!(
            refused(b)
                .contains("one of the bundle's `excluded_policies`, whose rules do not apply")
        );
        // A path of 200,000 segments is looked up along its length once
        // (each of its prefixes was hashed: quadratic), left out or not.
        let deep = "a/".repeat(200_000);
        let mut b = real();
        b.excluded_policies = vec!["zz/none.policy".into()];
        b.rules[0].source.path = format!("{deep}r.policy");
        assert!(load(&sealed(b)).is_ok());
        let mut b = real();
        b.excluded_policies = vec![format!("{}", &deep[..deep.len() - 1])];
        b.rules[0].source.path = format!("{deep}r.policy");
        assert!(refused(b).contains("one of the bundle's `excluded_policies`"));
        // Written another way, or under a directory listed as left out.
        for (listed, path) in [
            (
                "policies/drafts/wip.policy",
                "./policies//drafts/../drafts/WIP.policy",
            ),
            (
                "policies/drafts/wip.policy",
                "policies\\drafts\\wip.policy/",
            ),
            ("policies/drafts", "policies/drafts/wip.policy"),
        ] {
            let mut b = real();
            b.excluded_policies = vec![listed.into()];
            b.rules[0].source.path = path.into();
            assert!(
                refused(b).contains("one of the bundle's `excluded_policies`"),
                "{listed} {path}"
            );
        }
    }

    /// Names are held to the inventory's 64 characters, not only product
    /// names: a re-sealed bundle may not name what `build` refuses.
    #[test]
    fn names_longer_than_the_inventory_allows_are_refused() {
        let long = format!("a{}", "b".repeat(64));
        let mut b = real();
        let a = b.actions.values().next().expect("an action").clone();
        b.actions.insert(long.clone(), a);
        assert!(refused(b).contains("is not a name"));
        let mut b = real();
        let p = b.products.values_mut().next().expect("a product");
        p.events
            .insert(long.clone(), crate::model::EventState::Pending);
        assert!(refused(b).contains("which is not a name"));
    }

    #[test]
    fn a_rule_id_written_twice_is_refused() {
        let mut b = real();
        let first = b.rules[0].id.clone();
        b.rules[1].id = first.clone();
        assert_eq!(
            refused(b),
            format!("rules[1] (`{first}`) has the id of an earlier rule")
        );
    }

    #[test]
    fn an_action_that_rebuilds_data_cannot_be_non_destructive() {
        let mut b = real();
        let a = b.actions.get_mut("empty_bootstrap").expect("the action");
        a.destructive = false;
        assert_eq!(
            refused(b),
            "action `empty_bootstrap` is declared non-destructive, but it rebuilds the lane from data source `empty`"
        );
        let mut b = real();
        let a = b.actions.get_mut("backup_restore").expect("the action");
        a.destructive = false;
        assert!(refused(b).starts_with("action `backup_restore` is declared non-destructive, but"));
    }

    #[test]
    fn rule_ids_are_what_build_writes() {
        for bad in [
            "",
            "x",
            "0e2c3badef9",
            "0E2C3BADEF9D",
            "0e2c3badef9d-1",
            "0e2c3badef9d-02",
            "0e2c3badef9d-",
            "0e2c3badef9d\n\u{1b}[2J",
            "0e2c3badef9d-2-3",
        ] {
            let mut b = real();
            b.rules[0].id = bad.to_string();
            let m = refused(b);
            assert!(m.starts_with("rules[0] has id `"), "{bad:?}: {m}");
            assert!(!m.contains('\n') && !m.contains('\u{1b}'), "{m}");
        }
        for good in ["0e2c3badef9d", "0e2c3badef9d-2", "0e2c3badef9d-17"] {
            assert!(is_rule_id(good), "{good}");
        }
    }

    /// A rebuild that names no source would skip every lane's data
    /// policy: `build` refuses such an inventory, and the loader such a
    /// bundle.
    #[test]
    fn a_rebuild_without_its_source_is_refused() {
        let mut b = real();
        let a = b
            .actions
            .get_mut("empty_bootstrap")
            .expect("empty_bootstrap");
        assert_eq!(a.operation, "stable_bootstrap");
        a.data_source = None;
        assert!(refused(b).contains("action `empty_bootstrap` runs `stable_bootstrap`, a rebuild"),);
        let mut b = real();
        let a = b
            .actions
            .get_mut("empty_bootstrap")
            .expect("empty_bootstrap");
        a.data_source = Some(crate::model::DataSource::UpstreamRestore);
        assert!(refused(b).contains("which does not start from `upstream_restore`"));
        // Nor is the kind written otherwise, which would pass for another.
        for cased in [
            "Stable_Bootstrap",
            " stable_bootstrap ",
            "ｓｔａｂｌｅ_bootstrap",
        ] {
            let mut b = real();
            let a = b
                .actions
                .get_mut("empty_bootstrap")
                .expect("empty_bootstrap");
            a.operation = cased.into();
            a.data_source = None;
            assert!(
                refused(b).contains("reads as Launchplane's `stable_bootstrap`"),
                "{cased}"
            );
        }
    }

    #[test]
    fn names_carry_no_control_characters() {
        let mut b = real();
        let a = b.actions.remove("deploy").expect("deploy");
        b.actions.insert("deploy\u{1b}[2J".into(), a);
        assert!(refused(b).starts_with("action `deploy\\u{1b}[2J` is not a name"));

        let mut b = real();
        let p = b.products.values_mut().next().expect("a product");
        let state = p.events.values().next().cloned().expect("an event");
        p.events.insert("launch\n".into(), state);
        assert!(refused(b).contains("has event `launch\\n`, which is not a name"));

        let mut b = real();
        b.actions.get_mut("deploy").expect("deploy").operation = "\u{200b}".into();
        assert!(refused(b).contains("which is not visible text"));
    }

    #[test]
    fn text_holds_no_control_or_invisible_character() {
        for (field, value) in [
            ("confirm", "boot\u{1b}[8mstrap"),
            ("confirm", "boot\u{200b}strap"),
            ("confirm", "bootstrap cm testing\u{fe0f}"),
            ("confirm", "bootstrap\u{3164}cm"),
            ("reason", "frozen\u{202e}"),
            ("reason", "frozen\u{1b}[2J"),
            ("path", "policies/a\u{7}.policy"),
        ] {
            let mut b = real();
            let r = &mut b.rules[0];
            match field {
                "confirm" => {
                    for (_, p) in r.confirm.as_mut().expect("phrases").iter_mut() {
                        *p = value.to_string();
                    }
                }
                "reason" => r.reason = Some(value.to_string()),
                _ => r.source.path = value.to_string(),
            }
            let m = refused(b);
            assert!(
                m.contains("with a control or invisible character"),
                "{field}: {m}"
            );
            // Shown escaped, not as it is: a variation selector or a
            // Hangul filler would print as nothing.
            assert!(!m.chars().any(crate::model::is_invisible), "{m:?}");
        }
    }

    #[test]
    fn lane_fields_paths_and_the_issue_base_hold_no_hidden_character() {
        let mut b = real();
        let lane = b.lanes.values_mut().next().expect("a lane");
        lane.extra
            .insert("upstream_source".into(), serde_json::json!("a\u{202e}b"));
        assert!(refused(b).contains("with a control or invisible character"));
        let mut b = real();
        let lane = b.lanes.values_mut().next().expect("a lane");
        lane.extra.insert(
            "domains".into(),
            serde_json::json!(["x.example.com\u{1b}[2J"]),
        );
        assert!(refused(b).contains("`domains`"));
        let mut b = real();
        b.excluded_policies = vec!["drafts/\u{202e}x.policy".into()];
        assert!(refused(b).starts_with("source path"));
        let mut b = real();
        b.issues = Some("https:///".into());
        assert!(refused(b).contains("is not a URL with a host"));
    }

    #[test]
    fn proof_names_are_names() {
        for bad in [
            "",
            " ",
            "backup proof",
            "Proof",
            "\u{2800}",
            "magic_proof",
            "backup_proof_",
        ] {
            let mut b = real();
            b.rules[0].requires = vec![bad.to_string()];
            assert!(
                refused(b).contains("which is not a proof the language knows"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn events_are_checked_once_per_product_not_per_lane() {
        // A rule over every lane, retiring at an event one product lacks:
        // still refused, naming the first lane of that product.
        let mut b = real();
        let lanes: Vec<String> = b.lanes.keys().cloned().collect();
        b.rules[0].lanes = lanes;
        b.rules[0].patterns = vec!["*/*".into()];
        b.rules[0].confirm = None;
        b.rules[0].until.events = vec!["launch".into(), "nope".into()];
        assert!(refused(b).contains("retires at `nope`, which is not an event of lane"));
    }

    /// Rules that share their `until` events, each over many products
    /// whose sets of events all differ, check each (events, set) pair
    /// once: n rules over n products took n x n checks of n events each
    /// (400 of them: 6.7 s to load a 3.7 MB bundle). The events are a set:
    /// each rule here writes them in an order of its own.
    #[test]
    fn rules_sharing_their_events_check_each_set_once() {
        let mut b = real();
        let events: Vec<String> = (0..30).map(|n| format!("e{n}")).collect();
        let shared: crate::sorted_map::SortedMap<String, EventState> = events
            .iter()
            .map(|e| (e.clone(), EventState::Pending))
            .collect();
        let mut lanes = super::super::add_products(&mut b, 200, &shared);
        // Each its own set: the shared events and one of its own.
        for k in 0..200 {
            let p = b.products.get_mut(&format!("p{k}")).expect("a new product");
            p.events.insert(format!("own{k}"), EventState::Pending);
        }
        lanes.sort();
        let template = b.rules[0].clone();
        b.rules = (0..200)
            .map(|k| {
                let mut r = template.clone();
                r.id = format!("{:012x}", k + 1);
                r.lanes = lanes.clone();
                r.patterns = vec!["c*/*".into()];
                r.confirm = None;
                r.until.events = events.clone();
                r.until.events.rotate_left(k % events.len());
                if k % 2 == 1 {
                    r.until.events.reverse();
                }
                r.until.dates.clear();
                r
            })
            .collect();
        EVENT_SET_CHECKS.with(|c| c.set(0));
        load(&sealed(b)).expect("the bundle loads");
        // One per set; it was one per rule and set, 40,000.
        assert_eq!(EVENT_SET_CHECKS.with(|c| c.get()), 200);
    }

    #[test]
    fn products_with_the_same_events_are_checked_once_per_rule() {
        // 2,000 products that declare the same 100 events, and a rule over
        // a lane of each retiring at all of them: one check of the events
        // per distinct set, not per product.
        let mut b = real();
        let key = b.lanes.keys().next().cloned().expect("a lane");
        let events: crate::sorted_map::SortedMap<String, EventState> = (0..100)
            .map(|n| (format!("e{n}"), EventState::Pending))
            .collect();
        let mut lanes = vec![key];
        lanes.extend(super::super::add_products(&mut b, 2000, &events));
        let r = &mut b.rules[0];
        r.lanes = lanes[1..].to_vec();
        r.patterns = vec!["*/*".into()];
        r.confirm = None;
        r.until.events = events.keys().cloned().collect();
        EVENT_SET_CHECKS.with(|c| c.set(0));
        load(&sealed(b.clone())).expect("the bundle loads");
        let checks = EVENT_SET_CHECKS.with(|c| c.get());
        assert!(
            checks <= b.rules.len() * 4,
            "{checks} checks of a rule's events for {} rules",
            b.rules.len()
        );
        // And the product that lacks them is still found.
        b.rules[0].lanes = lanes;
        assert!(refused(b).contains("retires at `e0`, which is not an event of lane"));
    }
}

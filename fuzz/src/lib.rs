//! The code paths the fuzz targets drive and the properties they check.
//!
//! Each `pub fn` here takes one input, runs it through the library's public
//! API the way the command line would, panics when a property fails (that
//! is how a fuzzer sees a finding), and returns a one-line summary of what
//! happened to the input (its class: which error, or what loaded).
//!
//! The same file is compiled into `tests/fuzz_regressions.rs` (by path), so
//! that every committed finding under `tests/fixtures/fuzz/<target>/` is
//! replayed on stable by `cargo test`, through exactly this code.
//!
//! Fixed inputs: the repository's inventory and policy (`policies/`), its
//! real bundle (`tests/fixtures/bundles/real.json`), and a fixed day,
//! [`TODAY`], so that every run is reproducible.

use lanepolicy::bundle::{self, Bundle};
use lanepolicy::checks::Code;
use lanepolicy::config;
use lanepolicy::diagnostic::{self, Diagnostic, Severity};
use lanepolicy::export;
use lanepolicy::fmt::{FormatError, format_source};
use lanepolicy::inventory::{self, Inventory};
use lanepolicy::lint::{self, LintContext, suppression};
use lanepolicy::model::Phase;
use lanepolicy::policy_tests::cases;
use lanepolicy::project::{self, Options};
use lanepolicy::render;
use lanepolicy::runtime::{Facts, Request, Runtime, StepOutcome};
use lanepolicy::sema::{self, Program};
use lanepolicy::source::{SourceFile, SourceMap};
use lanepolicy::syntax::ast::{File, Rule as AstRule};
use lanepolicy::syntax::parse_file;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The repository's inventory.
pub const INVENTORY: &str = include_str!("../../policies/lanes.yaml");
/// The repository's policy.
pub const POLICY: &str = include_str!("../../policies/odoo-prelaunch.policy");
/// The bundle built from them.
pub const REAL_BUNDLE: &[u8] = include_bytes!("../../tests/fixtures/bundles/real.json");
/// Other bundles the structure-aware target starts from.
pub const BASE_BUNDLES: [&[u8]; 3] = [
    REAL_BUNDLE,
    include_bytes!("../../tests/fixtures/bundles/cm-only.json"),
    include_bytes!("../../tests/fixtures/bundles/wide.json"),
];

/// The day every date-based check is run on: `2026-12-01`.
pub const TODAY: &str = "2026-12-01";

fn today() -> jiff::civil::Date {
    TODAY.parse().expect("a date")
}

fn now() -> jiff::Timestamp {
    "2026-12-01T00:00:00Z".parse().expect("a timestamp")
}

/// The inventory of `policies/`, loaded once as file 0.
fn real_inventory() -> &'static Inventory {
    static INV: OnceLock<Inventory> = OnceLock::new();
    INV.get_or_init(|| {
        let src = SourceFile::new("lanes.yaml", INVENTORY.to_string(), String::new());
        inventory::load(&src, 0).expect("the repository's inventory loads")
    })
}

/// The runtime over the real bundle.
fn real_runtime() -> &'static Runtime {
    static RT: OnceLock<Runtime> = OnceLock::new();
    RT.get_or_init(|| Runtime::from_bytes(REAL_BUNDLE).expect("the real bundle loads"))
}

/// The repository's policy, parsed once.
fn real_policy() -> &'static File {
    static P: OnceLock<File> = OnceLock::new();
    P.get_or_init(|| parse_file(POLICY))
}

// ---------------------------------------------------------------------------
// Diagnostics: every one points inside its file and renders in every format.
// ---------------------------------------------------------------------------

/// Checks that every diagnostic names a file of `sources`, has a span inside
/// that file's text on character boundaries (and so do its notes), and that
/// all four renderings work. Returns the codes, sorted and deduplicated.
fn check_diagnostics(diags: &[Diagnostic], sources: &SourceMap) -> Vec<&'static str> {
    for d in diags {
        assert!(
            !d.message.is_empty(),
            "a diagnostic without a message: {d:?}"
        );
        let places =
            std::iter::once((d.file, d.span)).chain(d.notes.iter().map(|n| (n.file, n.span)));
        for (file, span) in places {
            assert!(file < sources.files().len(), "diagnostic in no file: {d:?}");
            let text = &sources.get(file).text;
            assert!(
                span.start <= span.end && span.end <= text.len(),
                "span {span:?} outside the text ({} bytes): {d:?}",
                text.len()
            );
            assert!(
                text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
                "span {span:?} splits a character: {d:?}"
            );
            let (line, column) = sources.get(file).line_col(span.start);
            assert!(line >= 1 && column >= 1, "position {line}:{column}: {d:?}");
        }
    }
    // Suppressed diagnostics are not shown, only counted.
    let human = render::render_human(diags, sources, false);
    assert!(
        diags.iter().all(|d| d.suppressed.is_some()) || !human.is_empty(),
        "diagnostics rendered as nothing"
    );
    let _ = render::render_human(diags, sources, true);
    let json = render::render_json(diags, sources);
    serde_json::from_str::<Value>(&json).expect("render_json writes JSON");
    let sarif = render::render_sarif(diags, sources);
    serde_json::from_str::<Value>(&sarif).expect("render_sarif writes JSON");
    let _ = render::render_github(diags, sources);
    let _ = render::summary_line(diags, 1);
    let mut codes: Vec<&'static str> = diags.iter().map(|d| d.check().code).collect();
    codes.sort_unstable();
    codes.dedup();
    codes
}

fn has_errors(diags: &[Diagnostic]) -> bool {
    diags
        .iter()
        .any(|d| d.severity == Severity::Error && d.suppressed.is_none())
}

/// Serializes a bundle the way `lanepolicy build` writes it.
fn bundle_text(b: &Bundle) -> String {
    let value = serde_json::to_value(b).expect("a bundle serializes");
    bundle::to_pretty_json(&value)
}

/// A bundle the compiler built must load in the runtime, and hold.
fn load_built(b: &Bundle) -> Runtime {
    let text = bundle_text(b);
    match Runtime::from_bytes(text.as_bytes()) {
        Ok(rt) => {
            check_runtime(&rt, &[]);
            rt
        }
        Err(e) => panic!("the compiler built a bundle its runtime refuses: {e}\n{text}"),
    }
}

// ---------------------------------------------------------------------------
// Policy files.
// ---------------------------------------------------------------------------

/// A policy file's raw bytes through `project::compile`, exactly as
/// `lanepolicy build` reads it: written as `policies/fuzz.policy` beside the
/// repository's inventory in a scratch directory. Diagnostics must point
/// inside the file and render; a built bundle must load and hold
/// ([`check_runtime`]).
pub fn policy_bytes(bytes: &[u8]) -> String {
    let dir = scratch_dir();
    let policies = dir.join("policies");
    std::fs::create_dir_all(&policies).expect("scratch directory");
    let inv = policies.join("lanes.yaml");
    if !inv.exists() {
        std::fs::write(&inv, INVENTORY).expect("scratch inventory");
    }
    let file = policies.join("fuzz.policy");
    std::fs::write(&file, bytes).expect("scratch policy");
    let mut opts = Options::new(vec![file.clone()], dir.clone(), today());
    opts.inventory = Some(inv);
    let outcome = match project::compile(&opts) {
        Ok(o) => o,
        Err(f) => panic!(
            "a readable policy file is a failure: {}: {}",
            f.path, f.message
        ),
    };
    let codes = check_diagnostics(&outcome.diagnostics, &outcome.sources);
    let errors = has_errors(&outcome.diagnostics);
    assert_eq!(
        errors,
        outcome.bundle.is_none(),
        "a bundle is built exactly when there is no error"
    );
    match &outcome.bundle {
        Some(b) => {
            load_built(b);
            format!("built, {} rules; codes {codes:?}", b.rules.len())
        }
        None => format!("not built; codes {codes:?}"),
    }
}

/// A directory of this process and thread for [`policy_bytes`].
fn scratch_dir() -> PathBuf {
    let thread = format!("{:?}", std::thread::current().id());
    let thread: String = thread.chars().filter(char::is_ascii_digit).collect();
    std::env::temp_dir().join(format!("lanepolicy-fuzz-{}-{thread}", std::process::id()))
}

/// A policy text through the compiler in memory (parse, suppressions,
/// resolve against the repository's inventory, lint, suppress), then, when
/// it has no error, the bundle build, load and [`check_runtime`].
pub fn policy_utf8(text: &str) -> String {
    let mut sources = SourceMap::default();
    let inv_id = sources.add(SourceFile::new(
        "lanes.yaml",
        INVENTORY.to_string(),
        String::new(),
    ));
    let id = sources.add(SourceFile::new(
        "fuzz.policy",
        text.to_string(),
        String::new(),
    ));
    let file = parse_file(text);
    let mut diags: Vec<Diagnostic> = file
        .errors
        .iter()
        .map(|e| lanepolicy::syntax::syntax_error::diagnostic(id, e))
        .collect();
    for e in &file.errors {
        assert!(
            e.span.end <= text.len() && text.is_char_boundary(e.span.start),
            "syntax error span {:?} outside the text",
            e.span
        );
    }
    let supp = suppression::from_policy(id, text, &file, &mut diags);
    let inv = real_inventory();
    let program = Program {
        rules: sema::resolve_indexed(
            id,
            file.clone(),
            inv,
            &sema::LaneIndex::new(inv),
            &mut sema::GrantCount::new(lanepolicy::config::MAX_GRANTS),
            &mut diags,
        ),
    };
    let ctx = LintContext {
        program: &program,
        inventory: inv,
        today: today(),
        expires_soon_days: config::DEFAULT_EXPIRES_SOON_DAYS,
        closed_issues: BTreeSet::new(),
    };
    diags.extend(lint::run(&ctx));
    suppression::apply(&supp, &mut diags, |_| false);
    diagnostic::sort(&mut diags, &sources);
    let codes = check_diagnostics(&diags, &sources);
    if has_errors(&diags) {
        return format!("not built; codes {codes:?}");
    }
    let b = bundle::build(
        program,
        inv.clone(),
        &sources,
        &[inv_id, id],
        Vec::new(),
        Vec::new(),
    );
    load_built(&b);
    format!("built, {} rules; codes {codes:?}", b.rules.len())
}

// ---------------------------------------------------------------------------
// YAML inputs.
// ---------------------------------------------------------------------------

/// An inventory text through `inventory::load` (and its suppression
/// comments). Refused: only E201s, at least one, every one inside the file.
/// Loaded: the repository's policy is resolved and linted against it and,
/// when clean, built, loaded and checked; so is a bundle with no rules.
pub fn inventory(text: &str) -> String {
    let mut sources = SourceMap::default();
    let inv_id = sources.add(SourceFile::new(
        "lanes.yaml",
        text.to_string(),
        String::new(),
    ));
    let mut diags = Vec::new();
    let _ = suppression::from_yaml(inv_id, text, &mut diags);
    let loaded = inventory::load(sources.get(inv_id), inv_id);
    let inv = match loaded {
        Err(mut d) => {
            assert!(!d.is_empty(), "an inventory refused without a diagnostic");
            assert!(
                d.iter().all(|d| d.code == Code::E201),
                "an inventory refused with another code: {d:?}"
            );
            assert!(has_errors(&d), "an inventory refused without an error");
            diags.append(&mut d);
            let codes = check_diagnostics(&diags, &sources);
            return format!("refused; codes {codes:?}");
        }
        Ok(inv) => inv,
    };
    check_diagnostics(&diags, &sources);
    // No rules at all.
    let empty = bundle::build(
        Program::default(),
        inv.clone(),
        &sources,
        &[inv_id],
        Vec::new(),
        Vec::new(),
    );
    load_built(&empty);
    // The repository's policy against it.
    let id = sources.add(SourceFile::new(
        "fuzz.policy",
        POLICY.to_string(),
        String::new(),
    ));
    let program = Program {
        rules: sema::resolve_indexed(
            id,
            real_policy().clone(),
            &inv,
            &sema::LaneIndex::new(&inv),
            &mut sema::GrantCount::new(lanepolicy::config::MAX_GRANTS),
            &mut diags,
        ),
    };
    let ctx = LintContext {
        program: &program,
        inventory: &inv,
        today: today(),
        expires_soon_days: config::DEFAULT_EXPIRES_SOON_DAYS,
        closed_issues: BTreeSet::new(),
    };
    diags.extend(lint::run(&ctx));
    diagnostic::sort(&mut diags, &sources);
    let codes = check_diagnostics(&diags, &sources);
    if has_errors(&diags) {
        return format!(
            "loaded, {} lanes; policy not built; codes {codes:?}",
            inv.lanes.len()
        );
    }
    let lanes = inv.lanes.len();
    let b = bundle::build(
        program,
        inv,
        &sources,
        &[inv_id, id],
        Vec::new(),
        Vec::new(),
    );
    load_built(&b);
    format!("loaded, {lanes} lanes; policy built; codes {codes:?}")
}

/// A `lanepolicy.yaml` text through `config::load`: its diagnostics are all
/// E202 and inside the file; the configuration answers for every check and
/// for a few paths.
pub fn config(text: &str) -> String {
    let mut sources = SourceMap::default();
    let id = sources.add(SourceFile::new(
        "lanepolicy.yaml",
        text.to_string(),
        String::new(),
    ));
    let (config, diags) = config::load(sources.get(id), id, Path::new("."));
    assert!(
        diags.iter().all(|d| d.code == Code::E202),
        "a configuration problem with another code: {diags:?}"
    );
    let codes = check_diagnostics(&diags, &sources);
    let mut off = 0;
    for k in 0.. {
        let Some(code) = Code::from_index(k) else {
            break;
        };
        let severity = config.severity(code);
        if code.check().is_error_code() {
            // Errors are never configured off (the compiler keeps them whatever the file says).
            let _ = severity;
        }
        if config.is_off(code) {
            off += 1;
        }
    }
    for p in [
        "fuzz.policy",
        "drafts/x.policy",
        "a/b/c.policy",
        "lanes.yaml",
    ] {
        let _ = config.walks(Path::new(p));
        let _ = config.excludes(Path::new(p));
    }
    format!(
        "{}; {off} checks off; codes {codes:?}",
        if diags.is_empty() {
            "loaded"
        } else {
            "refused"
        }
    )
}

/// A policy test file (`*.test.yaml`) through `cases::parse`; when it reads,
/// its facts are checked against the real bundle and, when they hold, every
/// case is run and each case's request is checked with [`check_request`].
pub fn test_file(text: &str) -> String {
    let tf = match cases::parse(text) {
        Err(errors) => {
            assert!(!errors.is_empty(), "a test file refused without an error");
            for e in &errors {
                assert!(!e.message.is_empty(), "an error without a message: {e:?}");
                let _ = e.to_string();
            }
            return format!("refused, {} errors", errors.len());
        }
        Ok(tf) => tf,
    };
    let rt = real_runtime();
    if let Err(errors) = tf.check(rt) {
        assert!(!errors.is_empty(), "facts refused without an error");
        return format!("read, {} cases; facts refused", tf.cases.len());
    }
    let results = tf.run(rt, now());
    assert_eq!(results.len(), tf.cases.len());
    let model = ReadModels::default();
    for (case, result) in tf.cases.iter().zip(&results) {
        let facts = case.facts(tf.now, now());
        // A result is the decision without what the report does not show.
        let mut full = rt.decide(&case.request, &facts);
        full.until.clear();
        full.retired.clear();
        assert_eq!(result.decision, full);
        check_request(rt, &case.request, &facts, &model);
    }
    let passed = results.iter().filter(|r| r.passed()).count();
    format!("read, {} cases, {passed} pass", tf.cases.len())
}

// ---------------------------------------------------------------------------
// Bundles.
// ---------------------------------------------------------------------------

/// A bundle's bytes through `Runtime::from_bytes`. Refused: a typed error
/// with a message, and `Runtime::reload` keeps the last good bundle.
/// Loaded: [`check_runtime`], plus `diff` against the real bundle and the
/// Launchplane export.
pub fn bundle_bytes(bytes: &[u8]) -> String {
    bundle_bytes_with(bytes, &[])
}

/// [`bundle_bytes`], with more (request, facts) pairs to check when it
/// loads.
pub fn bundle_bytes_with(bytes: &[u8], extra: &[(Request, Facts)]) -> String {
    match Runtime::from_bytes(bytes) {
        Err(e) => {
            assert!(!e.to_string().is_empty());
            let mut rt = real_runtime().clone();
            let before = rt.digest().to_string();
            assert_eq!(
                rt.reload(bytes),
                Err(e.clone()),
                "reload and from_bytes disagree"
            );
            assert_eq!(rt.digest(), before, "a failed reload changed the bundle");
            let class = format!("{e:?}");
            let class = class.split([' ', '{', '(']).next().unwrap_or_default();
            format!("refused: {class}")
        }
        Ok(rt) => {
            check_runtime(&rt, extra);
            let d = bundle::diff::diff(real_runtime().bundle(), rt.bundle());
            let _ = (d.to_text(), d.to_markdown(), d.is_empty());
            let ex = export::launchplane(&rt, &Facts::at(now()));
            serde_json::to_string(&ex).expect("the export serializes");
            format!(
                "loaded, {} lanes, {} rules",
                rt.bundle().lanes.len(),
                rt.bundle().rules.len()
            )
        }
    }
}

/// Seals a bundle-shaped JSON value as `lanepolicy build` would: its
/// `digest` set to the digest of the rest, written with sorted keys.
pub fn reseal(mut value: Value) -> Vec<u8> {
    if let Some(map) = value.as_object_mut() {
        map.remove("digest");
        let digest = bundle::digest_of(&Value::Object(map.clone()));
        map.insert("digest".into(), Value::String(digest));
    }
    bundle::to_pretty_json(&value).into_bytes()
}

/// The read model under each set of facts, computed once.
#[derive(Default)]
struct ReadModels(std::cell::RefCell<Vec<(FactsKey, Vec<lanepolicy::runtime::LaneView>)>>);

type FactsKey = (
    BTreeSet<(String, String)>,
    BTreeMap<String, Phase>,
    jiff::Timestamp,
);

impl ReadModels {
    fn get(&self, rt: &Runtime, facts: &Facts) -> Vec<lanepolicy::runtime::LaneView> {
        let key = (facts.occurred.clone(), facts.phases.clone(), facts.now);
        let mut cache = self.0.borrow_mut();
        if let Some((_, v)) = cache.iter().find(|(k, _)| *k == key) {
            return v.clone();
        }
        let v = rt.lanes(facts);
        cache.push((key, v.clone()));
        v
    }
}

/// The verdict an explanation's steps show. The steps before the first
/// confirmation step are the walk up to the allow rules (bundle, lane,
/// action, deny rules, allow rules); then each active allow rule is checked
/// in turn (confirmation, proofs, data source) until one passes. So the
/// steps show an allow when the walk passes and the last rule checked
/// passes every check.
fn explained_allow(steps: &[lanepolicy::runtime::Step]) -> bool {
    use lanepolicy::runtime::StepCheck;
    let first = steps
        .iter()
        .position(|s| s.check == StepCheck::Confirmation);
    let last = steps
        .iter()
        .rposition(|s| s.check == StepCheck::Confirmation);
    let (Some(first), Some(last)) = (first, last) else {
        return false;
    };
    let pass = |s: &lanepolicy::runtime::Step| s.outcome == StepOutcome::Pass;
    steps[..first].iter().all(pass) && steps[last..].iter().all(pass)
}

/// The properties of one request under facts the bundle accepts:
///
/// - `explain` carries `decide`'s decision, and its steps show an allow
///   ([`explained_allow`]) exactly when that decision is an allow;
/// - an allow has no reason, a deny at least one;
/// - an allow is shown by the read model (`Runtime::lanes`) as a grant of
///   that action on that lane, and the action is not shown as closed there.
///
/// Facts the bundle refuses (`check_facts`) are not decided on.
fn check_request(rt: &Runtime, req: &Request, facts: &Facts, model: &ReadModels) {
    if rt.check_facts(facts).is_err() {
        return;
    }
    let d = rt.decide(req, facts);
    let e = rt.explain(req, facts);
    assert_eq!(
        e.decision, d,
        "explain carries another decision than decide for {req:?}"
    );
    let steps_pass = explained_allow(&e.steps);
    assert_eq!(
        steps_pass,
        d.is_allow(),
        "explain's steps say {} but decide says {} for {req:?} at {}: {:?} / {:?}",
        if steps_pass { "allow" } else { "deny" },
        d.decision,
        facts.now,
        e.steps,
        d.reasons
    );
    let _ = e.to_text();
    assert_eq!(d.is_allow(), d.reasons.is_empty(), "reasons of {d:?}");
    if d.is_allow() {
        let lanes = model.get(rt, facts);
        let view = lanes
            .iter()
            .find(|v| v.lane == req.lane)
            .unwrap_or_else(|| panic!("allowed on lane {} the read model lacks", req.lane));
        assert!(
            view.grants.iter().any(|g| g.action == req.action),
            "decide allows {req:?} but the read model shows no grant of `{}` on `{}`",
            req.action,
            req.lane
        );
        assert!(
            !view.denies.iter().any(|g| g.action == req.action),
            "decide allows {req:?} but the read model shows `{}` closed on `{}`",
            req.action,
            req.lane
        );
    }
}

/// The facts a bundle is checked under: the fixed day, the end of time,
/// the days around the rules' `until` dates; with no event occurred or every
/// event occurred; with the bundle's phases or every lane live.
fn facts_for(b: &Bundle) -> Vec<Facts> {
    let mut times = vec![now(), jiff::Timestamp::MIN, jiff::Timestamp::MAX];
    let dates: BTreeSet<&String> = b.rules.iter().flat_map(|r| &r.until.dates).collect();
    for d in dates.into_iter().take(2) {
        let Ok(date) = d.parse::<jiff::civil::Date>() else {
            continue;
        };
        for day in [Some(date), date.tomorrow().ok()].into_iter().flatten() {
            if let Ok(z) = day.to_zoned(jiff::tz::TimeZone::UTC) {
                times.push(z.timestamp());
            }
        }
    }
    let mut out = Vec::new();
    for t in times {
        out.push(Facts::at(t));
    }
    let mut all = Facts::at(now());
    for (p, product) in b.products.iter().take(8) {
        for e in product.events.keys().take(4) {
            all = all.with_occurred(p.clone(), e.clone());
        }
    }
    out.push(all.clone());
    let mut live = Facts::at(now());
    for lane in b.lanes.keys().take(16) {
        live = live.with_phase(lane.clone(), Phase::Live);
    }
    out.push(live.clone());
    let mut both = live;
    both.occurred = all.occurred;
    out.push(both);
    out
}

/// The properties of a loaded bundle, over the requests its rules name
/// (with nothing presented, and with each rule's phrase and every proof any
/// rule names) and [`facts_for`] it, plus `extra`:
///
/// - every request holds [`check_request`];
/// - every grant the read model shows, presented with exactly its phrase
///   and its proofs, is allowed by `decide`;
/// - the read model's lanes are the bundle's, in order.
pub fn check_runtime(rt: &Runtime, extra: &[(Request, Facts)]) {
    let b = rt.bundle();
    let model = ReadModels::default();
    let mut proofs: BTreeSet<&str> = ["backup_proof", "restore_proof"].into();
    proofs.extend(
        b.rules
            .iter()
            .flat_map(|r| r.requires.iter().map(String::as_str)),
    );
    let mut requests = Vec::new();
    let mut pairs = BTreeSet::new();
    for r in b.rules.iter().take(16) {
        for lane in r.lanes.iter().take(4) {
            for action in r.actions.iter().take(4) {
                pairs.insert((lane.as_str(), action.as_str()));
                let mut req = Request::new(lane.as_str(), action.as_str());
                if let Some(phrase) = r.confirm.as_ref().and_then(|c| c.get(lane)) {
                    req = req.confirm(phrase.as_str());
                }
                for p in &proofs {
                    req = req.proof(*p, "record-1");
                }
                requests.push(req);
            }
        }
    }
    for (lane, action) in pairs {
        requests.push(Request::new(lane, action));
    }
    if let (Some(lane), Some(action)) = (b.lanes.keys().next(), b.actions.keys().next()) {
        requests.push(Request::new(lane.as_str(), "no-such-action"));
        requests.push(Request::new("no/such-lane", action.as_str()));
    }
    for facts in facts_for(b) {
        for req in &requests {
            check_request(rt, req, &facts, &model);
        }
        if rt.check_facts(&facts).is_err() {
            continue;
        }
        let lanes = model.get(rt, &facts);
        let keys: Vec<&String> = lanes.iter().map(|v| &v.lane).collect();
        assert_eq!(
            keys,
            b.lanes.keys().collect::<Vec<_>>(),
            "the read model's lanes"
        );
        for view in &lanes {
            for g in &view.grants {
                let mut req = Request::new(view.lane.as_str(), g.action.as_str());
                if let Some(p) = &g.confirm {
                    req = req.confirm(p.as_str());
                }
                for q in &g.requires {
                    req = req.proof(q.as_str(), "record-1");
                }
                let d = rt.decide(&req, &facts);
                assert!(
                    d.is_allow(),
                    "the read model shows a grant of `{}` on `{}` (phrase {:?}, proofs {:?}) that decide refuses: {:?}",
                    g.action,
                    view.lane,
                    g.confirm,
                    g.requires,
                    d.reasons
                );
                check_request(rt, &req, &facts, &model);
            }
        }
    }
    for (req, facts) in extra {
        check_request(rt, req, facts, &model);
    }
}

// ---------------------------------------------------------------------------
// The formatter.
// ---------------------------------------------------------------------------

fn rules(file: &File) -> Vec<AstRule> {
    file.rules.iter().map(AstRule::without_spans).collect()
}

fn comment_texts(file: &File) -> Vec<String> {
    file.comments.iter().map(|c| c.text.clone()).collect()
}

/// For each comment: how many rules start before it, and whether it is
/// inside one (what a suppression applies to depends on this).
fn comment_places(file: &File) -> Vec<(usize, bool)> {
    file.comments
        .iter()
        .map(|c| {
            let before: Vec<_> = file
                .rules
                .iter()
                .filter(|r| r.span.start < c.span.start)
                .collect();
            let inside = before.last().is_some_and(|r| c.span.start < r.span.end);
            (before.len(), inside)
        })
        .collect()
}

/// A text through `fmt::format_source`: refused exactly when it does not
/// parse (with the parser's errors); otherwise the output parses to the same
/// rules, doc comments included, keeps every comment in its place, and
/// formatting it again changes nothing.
pub fn fmt(text: &str) -> String {
    let before = parse_file(text);
    match format_source(text) {
        Err(FormatError::Syntax(errors)) => {
            assert!(!before.errors.is_empty(), "refused a text that parses");
            assert_eq!(
                errors, before.errors,
                "the formatter's errors are the parser's"
            );
            "refused: syntax".into()
        }
        Err(FormatError::Meaning(why)) => {
            panic!("the formatter would change the meaning ({why}) of:\n{text:?}")
        }
        Ok(out) => {
            assert!(
                before.errors.is_empty(),
                "formatted a text that does not parse"
            );
            let after = parse_file(&out);
            assert!(
                after.errors.is_empty(),
                "the output does not parse: {:?}\n{out:?}",
                after.errors
            );
            assert_eq!(
                rules(&before),
                rules(&after),
                "the rules changed:\n{text:?}\n=>\n{out:?}"
            );
            assert_eq!(
                comment_texts(&before),
                comment_texts(&after),
                "the comments changed: {out:?}"
            );
            assert_eq!(
                comment_places(&before),
                comment_places(&after),
                "comments moved: {out:?}"
            );
            let again = format_source(&out).expect("the output formats");
            assert_eq!(again, out, "formatting twice differs from once:\n{text:?}");
            format!(
                "formatted, {} rules{}",
                before.rules.len(),
                if out == text { ", unchanged" } else { "" }
            )
        }
    }
}

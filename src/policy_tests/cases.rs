//! Policy test cases (`*.test.yaml`): requests with the facts they are
//! decided under and the decision expected, run against a [`Runtime`].
//!
//! ```yaml
//! now: 2026-12-01T00:00:00Z          # optional: the clock for every case
//! cases:
//!   - name: cm testing bootstrap with the phrase
//!     request: {lane: cm/testing, action: empty_bootstrap, confirm: "bootstrap cm testing"}
//!     expect: allow
//!   - name: after CM launches the grant is gone
//!     facts: {occurred: ["odoo-tenant-cm:launch"]}
//!     request: {lane: cm/testing, action: empty_bootstrap, confirm: "bootstrap cm testing"}
//!     expect: {decision: deny, reason: rule-retired}
//! ```
//!
//! - `request`: `lane`, `action`, and optionally `confirm` (the phrase
//!   typed) and `proofs` (`{backup_proof: RECORD_ID}`).
//! - `facts` (optional): `occurred` (`PRODUCT:EVENT` strings), `phases`
//!   (`{LANE: prelaunch|live}`) and `now` (RFC 3339). A case's `now`
//!   overrides the file's; with neither, the case runs at the current time.
//! - `expect`: `allow`, `deny`, or `{decision: deny, reason: CODE}`; with a
//!   reason the case passes only when the decision has that reason code.
//!
//! Reading is strict: an unknown key, a reason code that does not exist or
//! a malformed fact is an error at its line and column, never a case that
//! silently passes.

use crate::model::Phase;
use crate::runtime::{Decision, FactError, Facts, ReasonCode, Request, Runtime};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;
use std::fmt;

/// Every reason code, as written in a test file.
const REASONS: [ReasonCode; 11] = [
    ReasonCode::BundleInvalid,
    ReasonCode::InvalidRequest,
    ReasonCode::UnknownLane,
    ReasonCode::UnknownAction,
    ReasonCode::DeniedByRule,
    ReasonCode::NoMatchingRule,
    ReasonCode::RuleRetired,
    ReasonCode::ConfirmationRequired,
    ReasonCode::ConfirmationMismatch,
    ReasonCode::ProofRequired,
    ReasonCode::SourceNotAllowed,
];

/// A problem in a test file, at a 1-based line and column (0 when the YAML
/// reader could not say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong: lowercase, user input in backticks.
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
}

impl fmt::Display for CaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)?;
        if let Some(h) = &self.help {
            write!(f, " (help: {h})")?;
        }
        Ok(())
    }
}

impl std::error::Error for CaseError {}

/// The decision a case expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expect {
    /// `true` for allow.
    pub allow: bool,
    /// For a deny: a reason code the decision must have.
    pub reason: Option<ReasonCode>,
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.allow { "allow" } else { "deny" })?;
        if let Some(r) = self.reason {
            write!(f, " ({})", r.as_str())?;
        }
        Ok(())
    }
}

/// One test case.
#[derive(Debug, Clone)]
pub struct Case {
    /// Its name, unique in the file.
    pub name: String,
    /// 1-based line of the case.
    pub line: usize,
    /// The request.
    pub request: Request,
    /// Occurred events, `(product, event)`, each with its line and column.
    pub occurred: Vec<((String, String), (usize, usize))>,
    /// Phase facts, by lane, each with its line and column.
    pub phases: Vec<((String, Phase), (usize, usize))>,
    /// The case's own clock, if set.
    pub now: Option<jiff::Timestamp>,
    /// What is expected.
    pub expect: Expect,
    /// Where the request's names are written.
    pub at: RequestAt,
}

/// Where a case's request names its lane, action and proofs: 1-based
/// (line, column), so that a name the bundle lacks is reported there.
#[derive(Debug, Clone, Default)]
pub struct RequestAt {
    /// The lane's value.
    pub lane: (usize, usize),
    /// The action's value.
    pub action: (usize, usize),
    /// Each proof's value, by proof name.
    pub proofs: BTreeMap<String, (usize, usize)>,
}

/// A parsed test file.
#[derive(Debug, Clone)]
pub struct TestFile {
    /// The clock for cases that set none.
    pub now: Option<jiff::Timestamp>,
    /// The cases, in file order.
    pub cases: Vec<Case>,
}

/// The outcome of one case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// The case's name.
    pub name: String,
    /// 1-based line of the case.
    pub line: usize,
    /// What was expected.
    pub expect: Expect,
    /// What came, without the rule's `until` conditions and the retired
    /// rules (`Decision::until`, `Decision::retired` are empty): the report
    /// does not show them, and a suite of C cases on a rule retiring at E
    /// events held C x E names (20,000 of each: 12.6 GB).
    pub decision: Decision,
}

impl CaseResult {
    /// True when the decision is the one expected.
    pub fn passed(&self) -> bool {
        self.decision.is_allow() == self.expect.allow
            && self
                .expect
                .reason
                .is_none_or(|code| self.decision.reasons.iter().any(|r| r.code == code))
    }
}

/// An optional key whose value, when written, must be of its type: `~`
/// or `null` is refused (a blank `now:` would otherwise run the case at
/// another time, a `confirm: ~` present no phrase), as every other value
/// of a test file is read.
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default, deserialize_with = "present")]
    now: Option<Spanned<String>>,
    cases: Vec<Spanned<RawCase>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    name: Spanned<String>,
    #[serde(default, deserialize_with = "present")]
    facts: Option<RawFacts>,
    request: RawRequest,
    expect: Spanned<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFacts {
    #[serde(default)]
    occurred: Vec<Spanned<String>>,
    #[serde(default)]
    phases: BTreeMap<String, Spanned<String>>,
    #[serde(default, deserialize_with = "present")]
    now: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequest {
    lane: Spanned<String>,
    action: Spanned<String>,
    #[serde(default, deserialize_with = "present")]
    confirm: Option<String>,
    #[serde(default)]
    proofs: BTreeMap<String, Spanned<String>>,
}

fn pos<T>(s: &Spanned<T>) -> (usize, usize) {
    (s.referenced.line() as usize, s.referenced.column() as usize)
}

/// The one way a [`CaseError`] is made: the names it quotes come from the
/// test file, so every invisible character in them is shown escaped
/// (`\u{202e}`), as the compiler's diagnostics show them.
fn error_at((line, column): (usize, usize), message: String, help: Option<String>) -> CaseError {
    CaseError {
        line,
        column,
        message: crate::model::escape_invisible(&message),
        help: help.map(|h| crate::model::escape_invisible(&h)),
    }
}

fn timestamp(s: &Spanned<String>) -> Result<jiff::Timestamp, CaseError> {
    crate::model::parse_rfc3339(s.value.trim()).map_err(|problem| {
        error_at(
            pos(s),
            problem,
            Some("write it like `2026-12-01T00:00:00Z`".into()),
        )
    })
}

/// The closest of `names` to `word`, as a help line.
fn did_you_mean<'a>(word: &str, names: impl IntoIterator<Item = &'a str>) -> Option<String> {
    crate::suggest::did_you_mean(word, names).map(|n| format!("did you mean `{n}`?"))
}

/// [`did_you_mean`] charged to `budget` (distance cells plus bytes of
/// candidates looked at): a test file's searches share one budget, as a
/// compilation's do ([`crate::sema::SUGGESTION_WORK`]), so a thousand
/// cases naming unknown lanes against 20,000 long lane names cost about a
/// second, not minutes. `None` once it is spent.
fn did_you_mean_within<'a>(
    budget: &std::cell::Cell<usize>,
    word: &str,
    names: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    if budget.get() == 0 {
        return None;
    }
    let (found, cells, scanned) = crate::suggest::did_you_mean_counted(word, names);
    budget.set(budget.get().saturating_sub(cells + scanned));
    #[cfg(test)]
    SUGGESTION_SPENT.with(|c| c.set(c.get() + cells + scanned));
    found.map(|n| format!("did you mean `{n}`?"))
}

#[cfg(test)]
thread_local! {
    /// Suggestion work spent by [`did_you_mean_within`].
    static SUGGESTION_SPENT: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

fn expect(raw: &Spanned<serde_json::Value>) -> Result<Expect, CaseError> {
    let at = pos(raw);
    let verdict = |word: &str| match word {
        "allow" => Ok(true),
        "deny" => Ok(false),
        other => Err(error_at(
            at,
            format!("expected decision `{other}` is neither `allow` nor `deny`"),
            did_you_mean(other, ["allow", "deny"]),
        )),
    };
    match &raw.value {
        serde_json::Value::String(word) => Ok(Expect {
            allow: verdict(word)?,
            reason: None,
        }),
        serde_json::Value::Object(map) => {
            if let Some(k) = map.keys().find(|k| *k != "decision" && *k != "reason") {
                return Err(error_at(
                    at,
                    format!("unknown key `{k}` in `expect`"),
                    Some("`expect` has `decision` and `reason`".into()),
                ));
            }
            let Some(serde_json::Value::String(word)) = map.get("decision") else {
                return Err(error_at(
                    at,
                    "`expect` needs `decision: allow` or `decision: deny`".into(),
                    None,
                ));
            };
            let allow = verdict(word)?;
            let reason = match map.get("reason") {
                None => None,
                // Written but empty: refused like every optional key
                // written as null, not read as "any reason".
                Some(serde_json::Value::Null) => {
                    return Err(error_at(
                        at,
                        "`reason` is null: write a reason code, or leave `reason` out".into(),
                        None,
                    ));
                }
                Some(serde_json::Value::String(code)) => {
                    let Some(found) = REASONS.iter().find(|r| r.as_str() == code) else {
                        return Err(error_at(
                            at,
                            format!("`{code}` is not a reason code"),
                            did_you_mean(code, REASONS.iter().map(|r| r.as_str())).or_else(|| {
                                Some(format!(
                                    "reason codes: {}",
                                    REASONS
                                        .iter()
                                        .map(|r| r.as_str())
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ))
                            }),
                        ));
                    };
                    Some(*found)
                }
                Some(other) => {
                    return Err(error_at(
                        at,
                        format!("`reason` must be a reason code, found `{other}`"),
                        None,
                    ));
                }
            };
            if allow && reason.is_some() {
                return Err(error_at(
                    at,
                    "an allow has no reason code: `reason` goes with `decision: deny`".into(),
                    Some("remove `reason`, or expect `deny`".into()),
                ));
            }
            Ok(Expect { allow, reason })
        }
        other => Err(error_at(
            at,
            format!("`expect` must be `allow`, `deny` or `{{decision, reason}}`, found `{other}`"),
            None,
        )),
    }
}

/// Reads a test file. Returns every problem found, each at its position.
pub fn parse(text: &str) -> Result<TestFile, Vec<CaseError>> {
    // The same reader as the inventory's: strict booleans, a node budget.
    // The same reader as the inventory's, and every value must be of its
    // type: `backup_proof: false` is not the text `false`.
    let raw: RawFile = crate::yaml::read_typed(text).map_err(|e| {
        let (line, column, message) = (e.line, e.column, e.message);
        let help = message.contains("unknown field").then(|| {
            "a test file has `now` and `cases`; a case has `name`, `facts`, `request` and `expect`; `facts` has `occurred`, `phases` and `now`; `request` has `lane`, `action`, `confirm` and `proofs`".to_string()
        });
        vec![error_at(
            (line, column),
            format!("invalid test file: {}", lowercase_first(&message)),
            help,
        )]
    })?;
    let mut errors = Vec::new();
    let now = match raw.now.as_ref().map(timestamp).transpose() {
        Ok(n) => n,
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let mut cases = Vec::new();
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    for rc in &raw.cases {
        let at = pos(rc);
        let c = &rc.value;
        let name = c.name.value.trim().to_string();
        if name.is_empty() {
            errors.push(error_at(pos(&c.name), "a case needs a name".into(), None));
        } else if let Some(first) = names.get(&name) {
            errors.push(error_at(
                pos(&c.name),
                format!("two cases are named `{name}`; the first is on line {first}"),
                Some("give each case its own name, so a failure points at one".into()),
            ));
        } else {
            names.insert(name.clone(), at.0);
        }
        let expect = match expect(&c.expect) {
            Ok(e) => e,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let mut case = Case {
            name,
            line: at.0,
            request: Request {
                // As written, as `decide` takes them: ` cm/testing ` is
                // no lane there, and is none here.
                lane: c.request.lane.value.clone(),
                action: c.request.action.value.clone(),
                confirm: c.request.confirm.clone(),
                // Trimmed, as `decide --proof NAME=ID` takes them.
                proofs: c
                    .request
                    .proofs
                    .iter()
                    .map(|(k, v)| (k.clone(), v.value.trim().to_string()))
                    .collect(),
            },
            at: RequestAt {
                lane: pos(&c.request.lane),
                action: pos(&c.request.action),
                proofs: c
                    .request
                    .proofs
                    .iter()
                    .map(|(k, v)| (k.clone(), pos(v)))
                    .collect(),
            },
            occurred: Vec::new(),
            phases: Vec::new(),
            now: None,
            expect,
        };
        // An empty id is refused, as `decide --proof backup_proof=` is: to
        // present no proof, leave it out.
        for (name, id) in &c.request.proofs {
            if id.value.trim().is_empty() {
                errors.push(error_at(
                    pos(id),
                    format!("proof `{name}` has an empty record id"),
                    Some("give the record id, or leave the proof out to present none".into()),
                ));
            }
        }
        if let Some(f) = &c.facts {
            for o in &f.occurred {
                match o.value.split_once(':') {
                    Some((p, e)) if !p.trim().is_empty() && !e.trim().is_empty() => case
                        .occurred
                        .push(((p.trim().to_string(), e.trim().to_string()), pos(o))),
                    _ => errors.push(error_at(
                        pos(o),
                        format!("`{}` is not an event", o.value),
                        Some("write `PRODUCT:EVENT`, e.g. `odoo-tenant-cm:launch`".into()),
                    )),
                }
            }
            for (lane, phase) in &f.phases {
                match Phase::parse(phase.value.trim()) {
                    Some(p) => case.phases.push(((lane.clone(), p), pos(phase))),
                    None => errors.push(error_at(
                        pos(phase),
                        format!("`{}` is not a phase", phase.value),
                        Some("write `prelaunch` or `live`".into()),
                    )),
                }
            }
            match f.now.as_ref().map(timestamp).transpose() {
                Ok(n) => case.now = n,
                Err(e) => errors.push(e),
            }
        }
        cases.push(case);
    }
    if raw.cases.is_empty() {
        errors.push(error_at(
            (1, 1),
            "the test file has no cases".into(),
            Some("add cases under `cases:`".into()),
        ));
    }
    if errors.is_empty() {
        Ok(TestFile { now, cases })
    } else {
        Err(errors)
    }
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl Case {
    /// The facts this case is decided under; `default_now` when neither the
    /// case nor the file sets a clock.
    pub fn facts(&self, file_now: Option<jiff::Timestamp>, default_now: jiff::Timestamp) -> Facts {
        let mut f = Facts::at(self.now.or(file_now).unwrap_or(default_now));
        f.occurred = self.occurred.iter().map(|(o, _)| o.clone()).collect();
        f.phases = self.phases.iter().map(|(p, _)| p.clone()).collect();
        f
    }
}

impl TestFile {
    /// Checks every case's facts against the runtime's bundle, so that a
    /// typo in a fact is an error at its position rather than a different
    /// decision.
    ///
    /// # Errors
    ///
    /// Every fact that names a product, event or lane the bundle lacks;
    /// every request that names a lane or an action the bundle lacks,
    /// unless the case expects exactly that (`reason: unknown-lane`,
    /// `reason: unknown-action`); every proof that is not one of
    /// [`crate::model::PROOFS`]. A typo must not make a case pass by
    /// another reason than the one it tests.
    pub fn check(&self, runtime: &Runtime) -> Result<(), Vec<CaseError>> {
        self.check_within(runtime, &std::cell::Cell::new(crate::sema::SUGGESTION_WORK))
    }

    /// [`TestFile::check`], its "did you mean" searches charged to
    /// `budget` (distance cells plus bytes of candidates looked at), which
    /// a run shares between its files; past it, errors come without one.
    pub(crate) fn check_within(
        &self,
        runtime: &Runtime,
        budget: &std::cell::Cell<usize>,
    ) -> Result<(), Vec<CaseError>> {
        let mut errors = Vec::new();
        let bundle = runtime.bundle();
        for case in &self.cases {
            let expects = |code: ReasonCode| case.expect.reason == Some(code);
            let req = &case.request;
            if !bundle.lanes.contains_key(&req.lane) && !expects(ReasonCode::UnknownLane) {
                errors.push(error_at(
                    case.at.lane,
                    format!("unknown lane `{}` in the request", req.lane),
                    did_you_mean_within(budget, &req.lane, bundle.lanes.keys().map(String::as_str)).or_else(
                        || {
                            Some(
                                "to test that an unknown lane is denied, expect `{decision: deny, reason: unknown-lane}`"
                                    .into(),
                            )
                        },
                    ),
                ));
            }
            if !bundle.actions.contains_key(&req.action) && !expects(ReasonCode::UnknownAction) {
                errors.push(error_at(
                    case.at.action,
                    format!("unknown action `{}` in the request", req.action),
                    did_you_mean_within(budget, &req.action, bundle.actions.keys().map(String::as_str))
                        .or_else(|| {
                            Some(
                                "to test that an unknown action is denied, expect `{decision: deny, reason: unknown-action}`"
                                    .into(),
                            )
                        }),
                ));
            }
            for name in req.proofs.keys() {
                if !crate::model::PROOFS.contains(&name.as_str()) {
                    errors.push(error_at(
                        case.at.proofs.get(name).copied().unwrap_or((case.line, 1)),
                        format!("unknown proof `{name}` in the request"),
                        did_you_mean(name, crate::model::PROOFS).or_else(|| {
                            Some(format!(
                                "the proofs are {}",
                                crate::model::PROOFS.join(", ")
                            ))
                        }),
                    ));
                }
            }
            for ((product, event), at) in &case.occurred {
                let facts = Facts::at(jiff::Timestamp::UNIX_EPOCH)
                    .with_occurred(product.clone(), event.clone());
                if let Err(e) = runtime.check_facts_within(&facts, budget) {
                    // The suggestion goes in the help line, not the message.
                    let (message, suggestion) = match &e {
                        FactError::UnknownProduct {
                            product,
                            event,
                            suggestion,
                        } => (
                            format!("unknown product `{product}` in `{product}:{event}`"),
                            suggestion,
                        ),
                        FactError::UnknownEvent {
                            product,
                            event,
                            known,
                            suggestion,
                        } => (
                            format!(
                                "product `{product}` has no event `{event}` (it has: {})",
                                if known.is_empty() {
                                    "none".to_string()
                                } else {
                                    known.join(", ")
                                }
                            ),
                            suggestion,
                        ),
                        _ => (e.to_string(), &None),
                    };
                    errors.push(error_at(
                        *at,
                        message,
                        suggestion.as_ref().map(|s| format!("did you mean `{s}`?")),
                    ));
                }
            }
            for ((lane, phase), at) in &case.phases {
                match runtime.bundle().lanes.get(lane) {
                    None => errors.push(error_at(
                        *at,
                        format!("unknown lane `{lane}` in `phases`"),
                        did_you_mean_within(
                            budget,
                            lane,
                            runtime.bundle().lanes.keys().map(String::as_str),
                        ),
                    )),
                    Some(l) if l.phase == Phase::Live && *phase == Phase::Prelaunch => {
                        errors.push(error_at(
                            *at,
                            format!(
                                "lane `{lane}` is live in the bundle; a fact cannot make it prelaunch again"
                            ),
                            None,
                        ))
                    }
                    Some(_) => {}
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Runs every case, in file order.
    pub fn run(&self, runtime: &Runtime, default_now: jiff::Timestamp) -> Vec<CaseResult> {
        self.cases
            .iter()
            .map(|case| {
                let decision =
                    runtime.decide_briefly(&case.request, &case.facts(self.now, default_now));
                CaseResult {
                    name: case.name.clone(),
                    line: case.line,
                    expect: case.expect,
                    decision,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_example_reads() {
        let f = parse(
            r#"
cases:
  - name: cm testing bootstrap with the phrase
    request: {lane: cm/testing, action: empty_bootstrap, confirm: "bootstrap cm testing"}
    expect: allow
  - name: after CM launches the grant is gone
    facts: {occurred: ["odoo-tenant-cm:launch"]}
    request: {lane: cm/testing, action: empty_bootstrap, confirm: "bootstrap cm testing"}
    expect: {decision: deny, reason: rule-retired}
"#,
        )
        .unwrap();
        assert_eq!(f.cases.len(), 2);
        assert_eq!(f.cases[0].line, 3);
        assert!(f.cases[0].expect.allow);
        assert_eq!(f.cases[1].expect.reason, Some(ReasonCode::RuleRetired));
        assert_eq!(
            f.cases[1].occurred[0].0,
            ("odoo-tenant-cm".to_string(), "launch".to_string())
        );
    }

    /// The results of a suite hold no copy per case of what the report
    /// does not show: C cases on a rule retiring at E events, or on a lane
    /// with R retired rules, held C x E (or C x R) names.
    #[test]
    fn results_hold_no_copy_of_a_rules_conditions_per_case() {
        let mut b = crate::bundle::real_fixture();
        let events: Vec<String> = (0..300).map(|n| format!("e{n}")).collect();
        let product = b
            .lanes
            .get("cm/testing")
            .expect("cm/testing")
            .product
            .clone();
        let p = b.products.get_mut(&product).expect("its product");
        for e in &events {
            p.events
                .insert(e.clone(), crate::model::EventState::Pending);
        }
        for r in b
            .rules
            .iter_mut()
            .filter(|r| r.lanes.iter().any(|l| l == "cm/testing"))
        {
            r.until.events.extend(events.iter().cloned());
        }
        let runtime = Runtime::new(b);
        let case = "  - name: c{n}\n    request: {lane: cm/testing, action: empty_bootstrap, confirm: \"bootstrap cm testing\"}\n    expect: allow\n";
        let text: String = std::iter::once("cases:\n".to_string())
            .chain((0..200).map(|n| case.replace("{n}", &n.to_string())))
            .collect();
        let file = parse(&text).expect("a test file");
        let now = "2026-12-01T00:00:00Z".parse().expect("a time");
        let results = file.run(&runtime, now);
        assert_eq!(results.len(), 200);
        assert!(results.iter().all(CaseResult::passed));
        // The decision itself names them all.
        let full = runtime.decide(&file.cases[0].request, &file.cases[0].facts(file.now, now));
        assert!(full.until.len() > 300);
        assert!(
            results
                .iter()
                .all(|r| r.decision.until.is_empty() && r.decision.retired.is_empty())
        );
    }

    fn first_error(text: &str) -> CaseError {
        parse(text).unwrap_err().remove(0)
    }

    /// A test file's names are quoted with their invisible characters
    /// escaped, in every message: a bidi control in a case name, a reason
    /// code or a lane cannot reorder the line it is printed on.
    #[test]
    fn messages_show_invisible_characters_escaped() {
        let e = first_error(
            "cases:\n  - name: a\n    request: {lane: cm/prod, action: deploy}\n    expect: {decision: deny, reason: rule-retired\u{202e}}\n",
        );
        assert!(e.message.contains("\\u{202e}"), "{e}");
        let e = first_error(
            "cases:\n  - name: \"n\u{202e}\"\n    request: {lane: cm/prod, action: deploy}\n    expect: allow\n  - name: \"n\u{202e}\"\n    request: {lane: cm/prod, action: deploy}\n    expect: allow\n",
        );
        assert!(
            !e.to_string().chars().any(crate::model::is_invisible),
            "{e}"
        );
        assert!(e.message.contains("\\u{202e}"), "{e}");
        assert_eq!(
            crate::source::one_line("a\u{202e}b\u{1b}c\u{200b}"),
            "a\\u{202e}b\\u{1b}c\\u{200b}"
        );
    }

    #[test]
    fn mistakes_point_at_their_line_and_column() {
        let e = first_error(
            "cases:\n  - name: a\n    request: {lane: cm/prod, action: deploy}\n    expect: {decision: deny, reason: rule-retierd}\n",
        );
        assert_eq!((e.line, e.column), (4, 13));
        assert_eq!(e.message, "`rule-retierd` is not a reason code");
        assert_eq!(e.help.as_deref(), Some("did you mean `rule-retired`?"));

        let e = first_error(
            "cases:\n  - name: a\n    requst: {lane: cm/prod, action: deploy}\n    expect: allow\n",
        );
        assert_eq!(e.line, 3);
        assert!(
            e.message
                .starts_with("invalid test file: unknown field `requst`"),
            "{e}"
        );

        let e = first_error("cases:\n  - name: a\n    request: {lane: cm/prod, action: [deploy\n");
        assert!(e.line >= 3, "{e}");

        let e = first_error(
            "cases:\n  - name: a\n    facts: {occurred: [launch]}\n    request: {lane: cm/prod, action: deploy}\n    expect: allow\n",
        );
        assert_eq!(
            (e.line, e.message.as_str()),
            (3, "`launch` is not an event")
        );

        let e = first_error(
            "cases:\n  - name: a\n    request: {lane: cm/prod, action: deploy}\n    expect: alow\n",
        );
        assert_eq!(e.help.as_deref(), Some("did you mean `allow`?"));

        let e = first_error(
            "now: tomorrow\ncases:\n  - name: a\n    request: {lane: cm/prod, action: deploy}\n    expect: allow\n",
        );
        assert_eq!((e.line, e.column), (1, 6));
    }

    #[test]
    fn names_are_unique_and_an_allow_has_no_reason() {
        let errors = parse(
            "cases:\n  - name: a\n    request: {lane: x/y, action: z}\n    expect: deny\n  - name: a\n    request: {lane: x/y, action: z}\n    expect: {decision: allow, reason: unknown-lane}\n",
        )
        .unwrap_err();
        assert_eq!(errors.len(), 2);
        assert!(errors[0].message.contains("the first is on line 2"));
        assert_eq!(
            errors[1].message,
            "an allow has no reason code: `reason` goes with `decision: deny`"
        );
    }

    #[test]
    fn every_reason_code_is_listed() {
        for code in REASONS {
            let text = format!(
                "cases:\n  - name: a\n    request: {{lane: x/y, action: z}}\n    expect: {{decision: deny, reason: {}}}\n",
                code.as_str()
            );
            assert_eq!(parse(&text).unwrap().cases[0].expect.reason, Some(code));
        }
    }

    #[test]
    fn the_suggestions_of_a_test_file_share_one_budget() {
        // 300 cases naming unknown lanes of 60 characters against 20,000
        // lanes of 60 characters: every case is still an error, and the
        // searches together stop at the file's budget (plus the one search
        // that crossed it), not 300 full searches.
        let mut bundle = crate::bundle::real_fixture();
        let lane = bundle.lanes.values().next().cloned().expect("a lane");
        for n in 0..20_000 {
            let mut l = lane.clone();
            l.instance = format!("{}{n:08}", "i".repeat(52));
            bundle
                .lanes
                .insert(format!("{}/{}", l.context, l.instance), l);
        }
        let runtime = Runtime::new(bundle);
        let mut text = String::from("cases:\n");
        for n in 0..300 {
            text.push_str(&format!(
                "  - name: c{n}\n    request: {{lane: {}/{}{n:08}, action: deploy}}\n    expect: allow\n",
                lane.context,
                "j".repeat(52)
            ));
        }
        let file = parse(&text).expect("the file reads");
        SUGGESTION_SPENT.with(|c| c.set(0));
        let errors = file.check(&runtime).expect_err("unknown lanes");
        let spent = SUGGESTION_SPENT.with(|c| c.get());
        assert_eq!(
            errors
                .iter()
                .filter(|e| e.message.starts_with("unknown lane"))
                .count(),
            300
        );
        assert!(
            spent <= crate::sema::SUGGESTION_WORK + crate::suggest::MAX_WORK,
            "{spent} of work for suggestions"
        );
    }
}

//! The inventory, `lanes.yaml`: which lanes exist, which product each
//! belongs to, and what each one is. Read with `serde-saphyr` (panic-free,
//! with line and column for every value); every problem is an E201
//! diagnostic pointing at the YAML line and column.
//!
//! Known keys are checked strictly (an unknown key is an error), except on a
//! lane: Launchplane keeps more per-lane data than lanepolicy needs
//! (`target`, `domains`, `upstream_source`, ...), so other lane keys are kept
//! as written and carried into the bundle, unless they look like a typo of a
//! known key. `monitoring_intent`, Launchplane's monitoring intent, is kept
//! the same way but checked: one of its three values, and not `prelaunch`
//! on a live lane.

mod invalid_inventory;

use crate::diagnostic::Diagnostic;
use crate::model::{DataAuthority, DataSource, EventState, MonitoringIntent, Phase};
use crate::source::{FileId, SourceFile, Span};
use crate::syntax::parser::{did_you_mean, is_ident};
use crate::yaml::{self, Spans};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;

/// The lane keys lanepolicy reads; any other lane key is an extra field.
pub const LANE_KEYS: [&str; 4] = ["production", "phase", "data_authority", "allowed_sources"];

/// The lane's Launchplane monitoring intent (`public`, `private` or
/// `prelaunch`): optional, checked here, and carried into the bundle as an
/// extra field for `export launchplane`.
pub const MONITORING_INTENT: &str = "monitoring_intent";

/// Lane fields Launchplane keeps that lanepolicy carries as they are.
const KNOWN_EXTRA_KEYS: [&str; 7] = [
    "target",
    "domains",
    "upstream_source",
    MONITORING_INTENT,
    "requires_backup_before_destroy",
    "requires_restore_proof",
    "requires_runtime_identity",
];

/// Lane keys that the bundle derives from the product and the lane's name;
/// a lane cannot set them.
const DERIVED_LANE_KEYS: [&str; 3] = ["product", "context", "instance"];

/// Product names: Launchplane profile keys such as `odoo-tenant-cm`.
fn is_product_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | '.'))
}

/// A loaded, valid inventory.
#[derive(Debug, Clone)]
pub struct Inventory {
    /// The `lanes.yaml` file.
    pub file: FileId,
    /// Base URL that `#N` issue references resolve against, ending in `/`.
    pub issues: Option<String>,
    /// Declared actions by name.
    pub actions: BTreeMap<String, Action>,
    /// Products by name (Launchplane's profile key, e.g. `odoo-tenant-cm`).
    pub products: BTreeMap<String, Product>,
    /// Lanes by key `context/instance`.
    pub lanes: BTreeMap<String, Lane>,
}

/// An action a rule may allow or deny.
#[derive(Debug, Clone)]
pub struct Action {
    /// Launchplane's operation kind, e.g. `stable_bootstrap`.
    pub operation: String,
    /// The rebuild data source, for rebuilds.
    pub data_source: Option<DataSource>,
    /// Whether it destroys the lane's current data.
    pub destructive: bool,
    /// Where it is declared.
    pub span: Span,
}

/// A product and its events.
#[derive(Debug, Clone)]
pub struct Product {
    /// The context its lanes live in (`cm`).
    pub context: String,
    /// Events (`launch`, `cutover`) and whether each has occurred.
    pub events: BTreeMap<String, EventState>,
    /// Where it is declared.
    pub span: Span,
}

/// One lane.
#[derive(Debug, Clone)]
pub struct Lane {
    /// The product it belongs to.
    pub product: String,
    /// Its context (`cm`).
    pub context: String,
    /// Its instance (`testing`).
    pub instance: String,
    /// Real production or not, as declared (never guessed from a name).
    pub production: bool,
    /// `prelaunch` or `live`; `live` when not written (fail closed).
    pub phase: Phase,
    /// Launchplane's data authority; `unknown` when not written.
    pub data_authority: DataAuthority,
    /// Rebuild sources this lane's data may come from.
    pub allowed_sources: Vec<DataSource>,
    /// Every other key, kept as written (`target`, `domains`, ...).
    pub extra: BTreeMap<String, serde_json::Value>,
    /// Where the lane's name is written.
    pub span: Span,
}

impl Lane {
    /// `context/instance`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.context, self.instance)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInventory {
    #[serde(default)]
    issues: Option<Spanned<String>>,
    #[serde(default)]
    actions: BTreeMap<String, Spanned<RawAction>>,
    #[serde(default)]
    products: BTreeMap<String, Spanned<RawProduct>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAction {
    operation: Spanned<String>,
    #[serde(default)]
    data_source: Option<Spanned<String>>,
    destructive: Spanned<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProduct {
    context: Spanned<String>,
    #[serde(default)]
    events: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    lanes: BTreeMap<String, Spanned<BTreeMap<String, serde_json::Value>>>,
}

struct Loader<'a> {
    src: &'a SourceFile,
    file: FileId,
    diags: Vec<Diagnostic>,
}

impl Loader<'_> {
    fn span<T>(&self, s: &Spanned<T>) -> Span {
        Spans { src: self.src }.of(s)
    }

    fn span_at(&self, line: usize, column: usize) -> Span {
        Spans { src: self.src }.at(line, column)
    }

    fn key_span(&self, key: &str, value: Span) -> Span {
        Spans { src: self.src }.key(key, value)
    }

    /// The span of lane field `key`'s value, found from the lane's name.
    fn field_span(&self, key: &str, lane: Span) -> Span {
        Spans { src: self.src }.value_after(key, lane)
    }

    /// The span of lane field `key` itself.
    fn field_key_span(&self, key: &str, lane: Span) -> Span {
        Spans { src: self.src }.key_after(key, lane).unwrap_or(lane)
    }

    fn error(&mut self, span: Span, message: String, help: Option<String>) {
        self.diags.push(invalid_inventory::diagnostic(
            self.file, span, message, help,
        ));
    }
}

/// Loads `lanes.yaml` from `src` (already added to the source map as `file`).
/// Returns the inventory, or the E201 diagnostics that make it unusable.
pub fn load(src: &SourceFile, file: FileId) -> Result<Inventory, Vec<Diagnostic>> {
    let mut l = Loader {
        src,
        file,
        diags: Vec::new(),
    };
    if yaml::is_blank(&src.text) {
        l.error(
            Span::new(0, 0),
            "the inventory is empty".into(),
            Some("declare `issues`, `actions` and `products` with their `lanes`".into()),
        );
        return Err(l.diags);
    }
    let raw: RawInventory = match yaml::read(&src.text) {
        Ok(r) => r,
        Err(e) => {
            let span = l.span_at(e.line, e.column);
            let help = yaml_help(&e.message);
            l.error(span, format!("invalid inventory: {}", e.message), help);
            return Err(l.diags);
        }
    };
    let issues = raw.issues.as_ref().and_then(|s| {
        let v = s.value.trim();
        if !v.starts_with("https://") && !v.starts_with("http://") {
            let span = l.span(s);
            l.error(
                span,
                format!("`issues` must be a URL, found `{v}`"),
                Some("write the base that `#N` issue references resolve against, e.g. `https://github.com/owner/repo/issues/`".into()),
            );
            return None;
        }
        Some(if v.ends_with('/') { v.to_string() } else { format!("{v}/") })
    });

    let mut actions = BTreeMap::new();
    for (name, a) in &raw.actions {
        let span = l.key_span(name, l.span(a));
        if !is_ident(name) {
            l.error(
                span,
                format!("`{name}` is not a valid action name"),
                Some(ident_help()),
            );
            continue;
        }
        let data_source = match &a.value.data_source {
            None => None,
            Some(ds) => match DataSource::parse(&ds.value) {
                Some(d) => Some(d),
                None => {
                    let s = l.span(ds);
                    l.error(
                        s,
                        format!("`{}` is not a data source", ds.value),
                        Some(one_of(&DataSource::ALL, &ds.value)),
                    );
                    continue;
                }
            },
        };
        actions.insert(
            name.clone(),
            Action {
                operation: a.value.operation.value.clone(),
                data_source,
                destructive: a.value.destructive.value,
                span,
            },
        );
    }

    let mut products = BTreeMap::new();
    let mut lanes: BTreeMap<String, Lane> = BTreeMap::new();
    for (pname, p) in &raw.products {
        let pspan = l.key_span(pname, l.span(p));
        if !is_product_name(pname) {
            l.error(
                pspan,
                format!("`{pname}` is not a valid product name"),
                Some("product names are lower-case letters, digits, `_`, `-` and `.`, starting with a letter or digit".into()),
            );
            continue;
        }
        let context = p.value.context.value.clone();
        if !is_ident(&context) {
            let s = l.span(&p.value.context);
            l.error(
                s,
                format!("`{context}` is not a valid context name"),
                Some(ident_help()),
            );
            continue;
        }
        let mut events = BTreeMap::new();
        for (ename, state) in &p.value.events {
            let s = l.span(state);
            let st = match state.value.as_str() {
                "pending" => EventState::Pending,
                "occurred" => EventState::Occurred,
                other => {
                    l.error(
                        s,
                        format!("`{other}` is not an event state"),
                        Some(one_of(&EventState::ALL, other)),
                    );
                    continue;
                }
            };
            if !is_ident(ename) {
                let ks = l.key_span(ename, s);
                l.error(
                    ks,
                    format!("`{ename}` is not a valid event name"),
                    Some(ident_help()),
                );
                continue;
            }
            events.insert(ename.clone(), st);
        }
        products.insert(
            pname.clone(),
            Product {
                context: context.clone(),
                events,
                span: pspan,
            },
        );
        for (instance, fields) in &p.value.lanes {
            let vspan = l.span(fields);
            let span = l.key_span(instance, vspan);
            let key = format!("{context}/{instance}");
            if !is_ident(instance) {
                l.error(
                    span,
                    format!("`{instance}` is not a valid instance name"),
                    Some(ident_help()),
                );
                continue;
            }
            if let Some(prev) = lanes.get(&key) {
                let (line, _) = src.line_col(prev.span.start);
                l.error(
                    span,
                    format!("lane `{key}` is declared twice"),
                    Some(format!(
                        "products `{}` and `{pname}` both declare it; the first is on line {line}",
                        prev.product
                    )),
                );
                continue;
            }
            if let Some(lane) = l.lane(pname, &context, instance, &fields.value, span) {
                lanes.insert(key, lane);
            }
        }
    }
    if !l.diags.is_empty() {
        return Err(l.diags);
    }
    Ok(Inventory {
        file,
        issues,
        actions,
        products,
        lanes,
    })
}

impl Loader<'_> {
    fn lane(
        &mut self,
        product: &str,
        context: &str,
        instance: &str,
        fields: &BTreeMap<String, serde_json::Value>,
        span: Span,
    ) -> Option<Lane> {
        let key = format!("{context}/{instance}");
        let before = self.diags.len();
        let production = match fields.get("production") {
            None => {
                self.error(
                    span,
                    format!("lane `{key}` does not say whether it is production"),
                    Some("write `production: true` or `production: false`: a lane's name is never authority".into()),
                );
                false
            }
            Some(v) => match *v {
                serde_json::Value::Bool(b) => b,
                ref other => {
                    let s = self.field_span("production", span);
                    self.error(
                        s,
                        format!(
                            "`production` must be `true` or `false`, found {}",
                            show(other)
                        ),
                        None,
                    );
                    false
                }
            },
        };
        let phase = self
            .enum_field(fields, span, "phase", &Phase::ALL, Phase::parse)
            .unwrap_or(Phase::Live);
        let data_authority = self
            .enum_field(
                fields,
                span,
                "data_authority",
                &DataAuthority::ALL,
                DataAuthority::parse,
            )
            .unwrap_or_default();
        let mut allowed_sources = Vec::new();
        if let Some(v) = fields.get("allowed_sources") {
            let s = self.field_span("allowed_sources", span);
            match v {
                serde_json::Value::Array(items) => {
                    for item in items {
                        match item.as_str().and_then(DataSource::parse) {
                            Some(d) if !allowed_sources.contains(&d) => allowed_sources.push(d),
                            Some(_) => {}
                            None => self.error(
                                s,
                                format!(
                                    "`allowed_sources` has {}, which is not a data source",
                                    show(item)
                                ),
                                Some(one_of(&DataSource::ALL, item.as_str().unwrap_or(""))),
                            ),
                        }
                    }
                }
                other => self.error(
                    s,
                    format!("`allowed_sources` must be a list, found {}", show(other)),
                    Some("write e.g. `allowed_sources: [empty]`".into()),
                ),
            }
        }
        allowed_sources.sort();
        let mut extra = BTreeMap::new();
        for (k, v) in fields {
            if LANE_KEYS.contains(&k.as_str()) {
                continue;
            }
            if DERIVED_LANE_KEYS.contains(&k.as_str()) {
                let s = self.field_key_span(k, span);
                self.error(
                    s,
                    format!("a lane cannot set `{k}`"),
                    Some(
                        "a lane's product, context and instance come from where it is declared"
                            .into(),
                    ),
                );
                continue;
            }
            // `monitoring` is not Launchplane's name for the intent: a lane
            // that writes it means `monitoring_intent`, which would otherwise
            // silently default.
            if k == "monitoring" {
                let s = self.field_key_span(k, span);
                self.error(
                    s,
                    format!("unknown lane key `{k}`"),
                    Some(format!(
                        "did you mean `{MONITORING_INTENT}`? write one of {}",
                        list(&MonitoringIntent::ALL)
                    )),
                );
                continue;
            }
            // Launchplane's own lane fields are kept as they are; anything
            // else that is one typo away from a key lanepolicy reads is an error.
            if !KNOWN_EXTRA_KEYS.contains(&k.as_str())
                && let Some(known) = did_you_mean(
                    k,
                    LANE_KEYS
                        .into_iter()
                        .chain(std::iter::once(MONITORING_INTENT)),
                )
            {
                let s = self.field_key_span(k, span);
                self.error(
                    s,
                    format!("unknown lane key `{k}`"),
                    Some(format!("did you mean `{known}`?")),
                );
                continue;
            }
            extra.insert(k.clone(), v.clone());
        }
        self.monitoring_intent(fields, span, phase);
        if self.diags.len() > before {
            return None;
        }
        Some(Lane {
            product: product.to_string(),
            context: context.to_string(),
            instance: instance.to_string(),
            production,
            phase,
            data_authority,
            allowed_sources,
            extra,
            span,
        })
    }

    /// Checks the optional `monitoring_intent`: one of Launchplane's three
    /// values, and never `prelaunch` on a live lane (Launchplane would let a
    /// prelaunch rebuild record be enabled on it).
    fn monitoring_intent(
        &mut self,
        fields: &BTreeMap<String, serde_json::Value>,
        lane: Span,
        phase: Phase,
    ) {
        let Some(intent) = self.enum_field(
            fields,
            lane,
            MONITORING_INTENT,
            &MonitoringIntent::ALL,
            MonitoringIntent::parse,
        ) else {
            return;
        };
        if intent == MonitoringIntent::Prelaunch && phase == Phase::Live {
            let s = self.field_span(MONITORING_INTENT, lane);
            let written = if fields.contains_key("phase") {
                "`phase: live`"
            } else {
                "no `phase`, so it is live"
            };
            self.error(
                s,
                "a live lane cannot have `monitoring_intent: prelaunch`".into(),
                Some(format!(
                    "the lane has {written}; write `monitoring_intent: public` or `private`, or `phase: prelaunch` if it has not launched"
                )),
            );
        }
    }

    fn enum_field<T>(
        &mut self,
        fields: &BTreeMap<String, serde_json::Value>,
        lane: Span,
        name: &str,
        all: &[&str],
        parse: fn(&str) -> Option<T>,
    ) -> Option<T> {
        let v = fields.get(name)?;
        let parsed = v.as_str().and_then(parse);
        if parsed.is_none() {
            let s = self.field_span(name, lane);
            self.error(
                s,
                format!("`{name}` must be one of {}, found {}", list(all), show(v)),
                Some(one_of(all, v.as_str().unwrap_or(""))),
            );
        }
        parsed
    }
}

fn yaml_help(message: &str) -> Option<String> {
    if message.contains("unknown field") {
        Some("the inventory has `issues`, `actions` and `products`; products have `context`, `events` and `lanes`; actions have `operation`, `data_source` and `destructive`".into())
    } else if message.contains("missing field `destructive`") {
        Some("say whether the action destroys the lane's data: `destructive: true` or `destructive: false`".into())
    } else {
        None
    }
}

fn ident_help() -> String {
    "names are lower-case letters, digits, `_` and `-`, starting with a letter, and not a reserved word of the policy language".into()
}

fn list(all: &[&str]) -> String {
    all.iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn one_of(all: &[&str], got: &str) -> String {
    match did_you_mean(got, all.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!("write one of {}", list(all)),
    }
}

fn show(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "nothing".into(),
        serde_json::Value::String(s) => format!("`{s}`"),
        other => format!("`{other}`"),
    }
}

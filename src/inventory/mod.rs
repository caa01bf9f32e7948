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

pub(crate) mod destructive;
mod invalid_inventory;


use crate::diagnostic::Diagnostic;
use crate::model::{DataAuthority, DataSource, EventState, MonitoringIntent, Phase};
use crate::source::{FileId, SourceFile, Span, first_invisible, is_invisible};
use crate::suggest::did_you_mean;
use crate::model::MAX_NAME_LEN;
use crate::syntax::parser::is_ident;
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

/// The lane keys lanepolicy or Launchplane reads, and `monitoring` (taken
/// for `monitoring_intent`): a key that reads as one of them without
/// being it is an error ([`crate::model::reads_as`]).
static KEYS_READ: std::sync::LazyLock<crate::model::KnownNames<'static>> =
    std::sync::LazyLock::new(|| {
        let mut names: Vec<&str> = LANE_KEYS.to_vec();
        names.extend(KNOWN_EXTRA_KEYS);
        names.push("monitoring");
        crate::model::KnownNames::new(&names)
    });

/// Product names: Launchplane profile keys such as `odoo-tenant-cm`.
pub(crate) fn is_product_name(s: &str) -> bool {
    s.len() <= MAX_NAME_LEN
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
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
    pub events: Events,
    /// Where it is declared.
    pub span: Span,
}

/// A product's events by name (`launch`, `cutover`) and whether each has
/// occurred; sorted, each once, in one exact vector. A product declares
/// one or a few events, and a `BTreeMap` would hold each product's in a
/// node with room for eleven (at 100,000 products, 29 MB against 3 MB).
/// The bundle takes it as it is (`bundle::Product::events`).
pub type Events = crate::sorted_map::SortedMap<String, EventState>;

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
    /// Every other key, kept as written (`target`, `domains`, ...),
    /// sorted by name.
    pub extra: crate::sorted_map::SortedMap<String, serde_json::Value>,
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
#[serde(bound = "F: Field")]
struct RawInventory<F> {
    #[serde(default)]
    issues: Option<Spanned<String>>,
    #[serde(default)]
    actions: Entries<Spanned<RawAction>>,
    #[serde(default)]
    products: Entries<Spanned<RawProduct<F>>>,
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
#[serde(bound = "F: Field")]
struct RawProduct<F> {
    context: Spanned<String>,
    #[serde(default)]
    events: Entries<Spanned<String>>,
    #[serde(default)]
    lanes: Entries<Spanned<Entries<F>>>,
}

/// A YAML mapping with text keys, read as a map is (sorted by key, the
/// last of equal keys kept) into one vector: a product's few events and
/// lanes, and a lane's few fields, cost their entries rather than a map
/// node each (a `BTreeMap` node holds room for eleven).
///
/// Two keys that YAML tells apart but that read as one text (`1` and
/// `"1"`, `-1` and `'-1'`) are refused as a key written twice, as the reader
/// refuses two keys written alike: kept as a map, one would silently lose.
struct Entries<V>(crate::sorted_map::SortedMap<String, V>);

impl<V> std::ops::Deref for Entries<V> {
    type Target = crate::sorted_map::SortedMap<String, V>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<V> Default for Entries<V> {
    fn default() -> Self {
        Entries(crate::sorted_map::SortedMap::default())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Entries<V> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let entries: Vec<(String, V)> = crate::sorted_map::map_entries(d)?;
        if entries.len() > 1 {
            let mut keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
            keys.sort_unstable();
            if let Some(w) = keys.windows(2).find(|w| w[0] == w[1]) {
                // The reader's own words, which `yaml` words for the file.
                return Err(serde::de::Error::custom(format_args!(
                    "duplicate mapping key: {}",
                    w[0]
                )));
            }
        }
        Ok(Entries(entries.into_iter().collect()))
    }
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

    /// The span of lane field `key`'s value, found from the lane's name:
    /// for a field known only from the loaded lane (`target`, `domains`).
    fn field_span(&self, key: &str, lane: Span) -> Span {
        Spans { src: self.src }.value_after(key, lane)
    }

    /// The span of a lane field's value where it is written: the reader's
    /// position of the node (through an alias or a merge key, the
    /// anchored node), or, when the reader gives none, the first `key:`
    /// after the lane's name.
    fn value_span<F: Field>(&self, key: &str, v: &F, lane: Span) -> Span {
        if !F::PLACED {
            return lane;
        }
        v.place(self.src)
            .filter(|at| !(at.is_empty() && at.start == 0))
            .unwrap_or_else(|| self.field_span(key, lane))
    }

    /// The span of lane field `key` itself: the nearest `key:` before its
    /// value.
    fn field_key_span<F: Field>(&self, key: &str, v: &F, lane: Span) -> Span {
        if !F::PLACED {
            return lane;
        }
        let value = self.value_span(key, v, lane);
        let k = self.key_span(key, value);
        if k == value {
            Spans { src: self.src }.key_after(key, lane).unwrap_or(lane)
        } else {
            k
        }
    }

    fn error(&mut self, span: Span, message: String, help: Option<String>) {
        self.diags.push(invalid_inventory::diagnostic(
            self.file, span, message, help,
        ));
    }

    /// A name that is not valid; one that holds an invisible character
    /// (written through a YAML escape) says so, and is shown escaped.
    fn bad_name(&mut self, span: Span, kind: &str, name: &str, help: String) {
        match first_invisible(name, |_| false) {
            Some((_, c)) => self.error(
                span,
                format!(
                    "invisible character `{}` in the {kind} name `{}`",
                    c.escape_unicode(),
                    escaped(name)
                ),
                Some(format!("remove it; {help}")),
            ),
            None => self.error(
                span,
                format!("`{name}` is not a valid {kind} name"),
                Some(help),
            ),
        }
    }

    /// The span of each item of the list at `list`: the list's node, or
    /// its key when the list is a block below it.
    fn list_items(&self, list: Span) -> Vec<Span> {
        #[cfg(test)]
        LIST_READS.with(|c| c.set(c.get() + 1));
        let spans = Spans { src: self.src };
        match spans.items(list) {
            items if items.is_empty() => spans.items(spans.node_after(list)),
            items => items,
        }
    }

    /// Refuses an invisible character in a value shown to operators (an
    /// extra lane field, `operation`, `issues`), including one written
    /// through a YAML escape (`"\u200b"`), which the text scan cannot see.
    /// `what` names the field. Keys of nested mappings are checked too.
    fn visible_value(&mut self, span: Span, what: &str, v: &serde_json::Value) {
        match v {
            serde_json::Value::String(s) => self.visible_text(span, what, s),
            serde_json::Value::Array(items) => {
                // Each item where it is written, once one is wrong.
                let mut places: Option<Vec<Span>> = None;
                for (k, item) in items.iter().enumerate() {
                    if !holds_invisible(item) {
                        continue;
                    }
                    let at = places
                        .get_or_insert_with(|| self.list_items(span))
                        .get(k)
                        .copied()
                        .unwrap_or(span);
                    self.visible_value(at, what, item);
                }
            }
            serde_json::Value::Object(map) => {
                for (k, item) in map {
                    self.visible_text(span, what, k);
                    self.visible_value(span, what, item);
                }
            }
            _ => {}
        }
    }

    fn visible_text(&mut self, span: Span, what: &str, s: &str) {
        if let Some((_, c)) = first_invisible(s, |_| false) {
            self.error(
                span,
                format!(
                    "invisible character `{}` in `{what}`: `{}`",
                    c.escape_unicode(),
                    escaped(s)
                ),
                Some(invisible_help()),
            );
        }
    }
}

/// Refuses every invisible character written in the inventory's text
/// (keys, values and comments alike; see [`crate::source::is_invisible`]):
/// a text-direction control in a comment can make a key read as commented
/// out, and one in a value makes what an operator reads differ from what
/// is compared. Tabs and the line ends `\n` and `\r\n` are the only
/// control characters kept (YAML itself refuses tabs where they matter).
fn scan_text(l: &mut Loader<'_>) {
    let text = &l.src.text;
    let mut found = Vec::new();
    // Line ends written as a lone `\r` (old Mac files), which lanepolicy
    // does not take (columns and editors would disagree on the lines):
    // one finding for all of them, at the first, not one per line.
    let mut lone_returns: Option<(usize, usize)> = None;
    for (k, c) in text.char_indices() {
        let line_end = c == '\n' || (c == '\r' && text[k + 1..].starts_with('\n'));
        if c == '\t' || line_end || !is_invisible(c) {
            continue;
        }
        if c == '\r' {
            let (_, n) = lone_returns.get_or_insert((k, 0));
            *n += 1;
            continue;
        }
        found.push((k, c));
    }
    if let Some((k, n)) = lone_returns {
        l.error(
            Span::new(k, k + 1),
            format!(
                "{n} line end{} a lone carriage return (`\\r`): the inventory's line ends are `\\n` or `\\r\\n`",
                if n == 1 { " is" } else { "s are" }
            ),
            Some("write line ends as `\\n` (or `\\r\\n`): convert the file's line endings".into()),
        );
    }
    for (k, c) in found {
        l.error(
            Span::new(k, k + c.len_utf8()),
            format!(
                "invisible character `{}` in the inventory",
                c.escape_unicode()
            ),
            Some(invisible_help()),
        );
    }
}

/// True when a text of `v` (a string, a key, or one within) holds an
/// invisible character: what [`Loader::visible_value`] reports.
fn holds_invisible(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::String(s) => first_invisible(s, |_| false).is_some(),
        serde_json::Value::Array(items) => items.iter().any(holds_invisible),
        serde_json::Value::Object(map) => map
            .iter()
            .any(|(k, item)| first_invisible(k, |_| false).is_some() || holds_invisible(item)),
        _ => false,
    }
}

fn invisible_help() -> String {
    "remove it: the inventory holds only what a person can read and type (control, zero-width, text-direction and other default-ignorable characters are refused)".into()
}

use crate::model::escape_invisible as escaped;
use crate::strict_value::ExactValue;

/// Loads `lanes.yaml` from `src` (already added to the source map as `file`).
/// Returns the inventory, or the E201 diagnostics that make it unusable.
pub fn load(src: &SourceFile, file: FileId) -> Result<Inventory, Vec<Diagnostic>> {
    // Lane fields are read without their positions, which would cost
    // every field of every lane its reader's locations (about 40 MB at
    // 200,000 lanes); an inventory with findings is read again with them,
    // so that each finding points at where its value is written.
    match load_as::<ExactValue>(src, file) {
        Err(first) => match load_as::<Spanned<ExactValue>>(src, file) {
            Err(placed) => Err(placed),
            // Both readings find the same; should they not, the first stands.
            Ok(_) => Err(first),
        },
        loaded => loaded,
    }
}

/// A lane field's value as read: plain, or with the reader's position of
/// its node ([`load`] reads positions only for an inventory with findings).
trait Field: for<'de> Deserialize<'de> {
    /// Whether the reader's positions are kept. Without them a finding is
    /// placed at its lane: the pass without positions is only asked
    /// whether there are findings ([`load`] reads again to place them), and
    /// searching a one-line lane of 20,000 fields for each field's key was
    /// quadratic.
    const PLACED: bool;
    /// The value.
    fn value(&self) -> &serde_json::Value;
    /// Where its node is written, when read with positions.
    fn place(&self, src: &SourceFile) -> Option<Span>;
}

impl Field for ExactValue {
    const PLACED: bool = false;

    fn value(&self) -> &serde_json::Value {
        &self.0
    }

    fn place(&self, _: &SourceFile) -> Option<Span> {
        None
    }
}

impl Field for Spanned<ExactValue> {
    const PLACED: bool = true;

    fn value(&self) -> &serde_json::Value {
        &self.value.0
    }

    fn place(&self, src: &SourceFile) -> Option<Span> {
        Some(Spans { src }.defined(self))
    }
}

/// [`load`], reading lane fields as `F`.
fn load_as<F: Field>(src: &SourceFile, file: FileId) -> Result<Inventory, Vec<Diagnostic>> {
    let mut l = Loader {
        src,
        file,
        diags: Vec::new(),
    };
    // Invisible characters first: a file whose line ends are lone
    // carriage returns is one line, which reads as blank when it starts
    // with a comment.
    scan_text(&mut l);
    if !l.diags.is_empty() {
        return Err(l.diags);
    }
    if yaml::is_blank(&src.text) {
        l.error(
            Span::new(0, 0),
            "the inventory is empty".into(),
            Some("declare `issues`, `actions` and `products` with their `lanes`".into()),
        );
        return Err(l.diags);
    }
    let raw: RawInventory<F> = match yaml::read(&src.text) {
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
        if first_invisible(v, |_| false).is_some() {
            let span = l.span(s);
            l.visible_text(span, "issues", v);
            return None;
        }
        if !crate::syntax::parser::is_url_with_host(v, &["https", "http"]) {
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
    for (name, a) in raw.actions.iter() {
        let span = l.key_span(name, l.span(a));
        if !is_name(name) {
            l.bad_name(span, "action", name, ident_help());
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
        let operation = &a.value.operation;
        if operation.value.trim().is_empty() {
            let s = l.span(operation);
            l.error(
                s,
                format!("action `{name}` has an empty `operation`"),
                Some(
                    "write Launchplane's operation kind, e.g. `operation: stable_bootstrap`".into(),
                ),
            );
            continue;
        }
        if first_invisible(&operation.value, |_| false).is_some() {
            let s = l.span(operation);
            l.visible_text(s, "operation", &operation.value);
            continue;
        }
        if let Some(known) = destructive::launchplane_kind_misspelled(&operation.value) {
            let s = l.span(operation);
            l.error(
                s,
                format!("operation `{}` reads as Launchplane's `{known}` but is not written as it", operation.value),
                Some(format!("write `{known}`: operation kinds are read exactly, and a kind written otherwise would skip the checks that `{known}` gets")),
            );
            continue;
        }
        if !a.value.destructive.value
            && let Some(why) = destructive::must_be_destructive(name, &operation.value, data_source)
        {
            let s = l.key_span("destructive", l.span(&a.value.destructive));
            l.error(
                s,
                format!("action `{name}` cannot be declared `destructive: false`: {why}"),
                Some("an action that rebuilds, restores, replaces or imports a lane's data destroys what the lane holds; write `destructive: true`, so that protected lanes need backup and restore proof for it".into()),
            );
            continue;
        }
        if let Some((message, help)) =
            destructive::rebuild_source_problem(name, &operation.value, data_source)
        {
            let s = match &a.value.data_source {
                Some(ds) => l.span(ds),
                None => l.span(operation),
            };
            l.error(s, message, Some(help));
            continue;
        }
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
    // Each product's raw form is dropped once converted, so that the raw
    // and the loaded inventory are not both held whole.
    for (pname, p) in raw.products.0 {
        let pname = &pname;
        let p = &p;
        let pspan = l.key_span(pname, l.span(p));
        if !is_product_name(pname) {
            l.bad_name(
                pspan,
                "product",
                pname,
                format!("product names are lower-case letters, digits, `_`, `-` and `.`, starting with a letter or digit, at most {MAX_NAME_LEN} characters"),
            );
            continue;
        }
        let context = p.value.context.value.clone();
        if !is_name(&context) {
            let s = l.span(&p.value.context);
            l.bad_name(s, "context", &context, ident_help());
            continue;
        }
        let mut events: Vec<(String, EventState)> = Vec::new();
        for (ename, state) in p.value.events.iter() {
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
            if !is_name(ename) {
                let ks = l.key_span(ename, s);
                l.bad_name(ks, "event", ename, ident_help());
                continue;
            }
            events.push((ename.clone(), st));
        }
        let events: Events = events.into_iter().collect();
        products.insert(
            pname.clone(),
            Product {
                context: context.clone(),
                events,
                span: pspan,
            },
        );
        for (instance, fields) in p.value.lanes.iter() {
            let vspan = l.span(fields);
            let span = l.key_span(instance, vspan);
            let key = format!("{context}/{instance}");
            if !is_name(instance) {
                l.bad_name(span, "instance", instance, ident_help());
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
    l.shared_places(&lanes);
    if !l.diags.is_empty() {
        return Err(l.diags);
    }
    // Built again from their sorted entries, a map's nodes are full: grown
    // one insertion at a time they are about half full, which at 200,000
    // lanes held 20 MB of empty slots for as long as the inventory lives.
    Ok(Inventory {
        file,
        issues,
        actions,
        products: products.into_iter().collect(),
        lanes: lanes.into_iter().collect(),
    })
}

impl Loader<'_> {
    /// Two lanes may not share a `target` or a domain: Launchplane runs a
    /// lane's rebuild on its target, so a rebuild granted on one would
    /// replace the other's data (a testing lane pointed at production's
    /// target wipes production). O(lanes log lanes).
    fn shared_places(&mut self, lanes: &BTreeMap<String, Lane>) {
        let mut seen: BTreeMap<(&str, String), &str> = BTreeMap::new();
        for (key, lane) in lanes {
            let target = lane.extra.get("target").and_then(|v| v.as_str());
            // A domain with its place in the list, to point at it.
            let domains = lane
                .extra
                .get("domains")
                .and_then(|v| v.as_array())
                .into_iter()
                .flatten()
                .enumerate()
                .filter_map(|(k, d)| Some((k, d.as_str()?)));
            // Compared as they are exported: the target trimmed, each
            // domain as DNS looks it up (`crate::model::domain_host`, which
            // every domain of a loaded lane has); shown as exported.
            let places = target
                .map(|t| ("target", t.trim().to_string(), t.trim().to_string(), None))
                .into_iter()
                .chain(domains.map(|(k, d)| {
                    let shown = crate::model::host_of_domain(d);
                    let compared = crate::model::domain_host(d).unwrap_or_else(|| shown.clone());
                    ("domains", shown, compared, Some(k))
                }));
            // The list's items, found once per lane when one is shared: a
            // lane sharing n domains would otherwise read its list n times.
            let mut items: Option<(Span, Vec<Span>)> = None;
            for (what, place, compared, item) in places {
                match seen.entry((what, compared)) {
                    std::collections::btree_map::Entry::Vacant(e) => {
                        e.insert(key);
                    }
                    // A repeat within one lane is dropped, as Launchplane
                    // drops it: one lane cannot replace its own data.
                    std::collections::btree_map::Entry::Occupied(e) if *e.get() == key => {}
                    std::collections::btree_map::Entry::Occupied(e) => {
                        let first = *e.get();
                        let s = match item {
                            None => self.field_span(what, lane.span),
                            Some(k) => {
                                let (list, at) = items.get_or_insert_with(|| {
                                    let list = self.field_span(what, lane.span);
                                    (list, self.list_items(list))
                                });
                                at.get(k).copied().unwrap_or(*list)
                            }
                        };
                        let noun = if what == "target" { "target" } else { "domain" };
                        self.error(
                            s,
                            format!("lane `{key}` has the {noun} `{place}` of lane `{first}`"),
                            Some(format!(
                                "each lane has its own {noun}: a rebuild granted on one would replace the other's data"
                            )),
                        );
                    }
                }
            }
        }
    }

    fn lane<F: Field>(
        &mut self,
        product: &str,
        context: &str,
        instance: &str,
        fields: &Entries<F>,
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
            Some(v) => match *v.value() {
                serde_json::Value::Bool(b) => b,
                ref other => {
                    let s = self.value_span("production", v, span);
                    self.error(
                        s,
                        format!(
                            "`production` must be `true` or `false`, found {}",
                            show(other)
                        ),
                        match other {
                            serde_json::Value::String(_) => Some(
                                "it is quoted, so YAML reads it as text: write `production: true` or `production: false` without quotes".into(),
                            ),
                            _ => None,
                        },
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
            let s = self.value_span("allowed_sources", v, span);
            match v.value() {
                serde_json::Value::Array(items) => {
                    // Each item's position, found once the first is wrong.
                    let mut places: Option<Vec<Span>> = None;
                    for (k, item) in items.iter().enumerate() {
                        match item.as_str().and_then(DataSource::parse) {
                            Some(d) if !allowed_sources.contains(&d) => allowed_sources.push(d),
                            Some(_) => {}
                            None => self.error(
                                places
                                    .get_or_insert_with(|| Spans { src: self.src }.items(s))
                                    .get(k)
                                    .copied()
                                    .unwrap_or(s),
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
        let mut extra = Vec::new();
        for (k, v) in fields.iter() {
            if LANE_KEYS.contains(&k.as_str()) {
                continue;
            }
            if DERIVED_LANE_KEYS.contains(&k.as_str()) {
                let s = self.field_key_span(k, v, span);
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
            // A key lanepolicy or Launchplane reads, written in another
            // case, with other separators or in look-alike letters
            // (`DATA_AUTHORITY`, `DataAuthority`, `ｄａｔａ＿ａｕｔｈｏｒｉｔｙ`),
            // would be carried as an extra field while the key it means
            // silently defaults.
            if !KNOWN_EXTRA_KEYS.contains(&k.as_str())
                && let Some(known) = KEYS_READ.read_as(k)
            {
                let s = self.field_key_span(k, v, span);
                let known = if known == "monitoring" { MONITORING_INTENT } else { known };
                self.error(
                    s,
                    format!("unknown lane key `{k}`"),
                    Some(format!(
                        "did you mean `{known}`? lane keys are read exactly as written: ASCII, lower case, with `_`"
                    )),
                );
                continue;
            }
            // `monitoring` is not Launchplane's name for the intent: a lane
            // that writes it means `monitoring_intent`, which would otherwise
            // silently default.
            if k == "monitoring" {
                let s = self.field_key_span(k, v, span);
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
                    LANE_KEYS.into_iter().chain([
                        MONITORING_INTENT,
                        // A typo of these would leave the lane out of the
                        // check that no two lanes share a target or a
                        // domain, or drop its upstream source.
                        "target",
                        "domains",
                        "upstream_source",
                    ]),
                )
            {
                let s = self.field_key_span(k, v, span);
                self.error(
                    s,
                    format!("unknown lane key `{k}`"),
                    Some(format!("did you mean `{known}`?")),
                );
                continue;
            }
            let before_value = self.diags.len();
            if first_invisible(k, |_| false).is_some() {
                self.visible_text(span, "a lane key", k);
                continue;
            }
            let s = self.value_span(k, v, span);
            let v = v.value();
            self.visible_value(s, k, v);
            if self.diags.len() > before_value {
                continue;
            }
            // A list of domains with one that is not: that item.
            if k == "domains"
                && let Some((i, bad)) = v.as_array().and_then(|items| {
                    items.iter().enumerate().find(|(_, d)| {
                        !matches!(d, serde_json::Value::String(s) if crate::model::domain_host(s).is_some())
                    })
                })
            {
                let at = self.list_items(s).get(i).copied().unwrap_or(s);
                let found = match bad {
                    serde_json::Value::String(s) if crate::model::is_blank(s) => {
                        "a blank string".to_string()
                    }
                    other => show(other),
                };
                self.error(
                    at,
                    format!("`domains` has {found}, which is not a domain"),
                    Some(
                        "Launchplane reads `domains` as a list of host names, each trimmed, lower-cased, without `https://` and a trailing `/`: write e.g. `domains: [cm-testing.example.com]`"
                            .into(),
                    ),
                );
                continue;
            }
            if let Some((expected, example)) = launchplane_type_error(k, v) {
                self.error(
                    s,
                    format!("`{k}` must be {expected}, found {}", show(v)),
                    Some(format!(
                        "Launchplane reads `{k}` as {expected}: write e.g. `{k}: {example}`"
                    )),
                );
                continue;
            }
            extra.push((k.clone(), v.clone()));
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
            // In key order already: the fields are.
            extra: extra.into_iter().collect(),
            span,
        })
    }

    /// Checks the optional `monitoring_intent`: one of Launchplane's three
    /// values, and never `prelaunch` on a live lane (Launchplane would let a
    /// prelaunch rebuild record be enabled on it).
    fn monitoring_intent<F: Field>(
        &mut self,
        fields: &Entries<F>,
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
        if intent == MonitoringIntent::Prelaunch
            && phase == Phase::Live
            && let Some(v) = fields.get(MONITORING_INTENT)
        {
            let s = self.value_span(MONITORING_INTENT, v, lane);
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

    fn enum_field<T, F: Field>(
        &mut self,
        fields: &Entries<F>,
        lane: Span,
        name: &str,
        all: &[&str],
        parse: fn(&str) -> Option<T>,
    ) -> Option<T> {
        let spanned = fields.get(name)?;
        let v = spanned.value();
        let parsed = v.as_str().and_then(parse);
        if parsed.is_none() {
            let s = self.value_span(name, spanned, lane);
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
    format!("names are lower-case letters, digits, `_` and `-`, starting with a letter, at most {MAX_NAME_LEN} characters, and not a reserved word of the policy language")
}

/// True for a valid action, context, event or instance name: an
/// identifier of at most [`MAX_NAME_LEN`] characters.
pub(crate) fn is_name(s: &str) -> bool {
    s.len() <= MAX_NAME_LEN && is_ident(s)
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

/// For one of Launchplane's own lane fields with a value of the wrong type:
/// the type Launchplane's lane profile gives it and an example. Types
/// follow Launchplane's lane profile: `target` and `upstream_source` are
/// non-empty strings, `domains` a list of strings, the `requires_*` flags
/// booleans. Other extra fields are not Launchplane's and stay free.
fn launchplane_type_error(
    key: &str,
    v: &serde_json::Value,
) -> Option<(&'static str, &'static str)> {
    use serde_json::Value;
    let ok = match key {
        "target" | "upstream_source" => {
            matches!(v, Value::String(s) if !crate::model::is_blank(s))
        }
        // Its items are checked before, each where it is written.
        "domains" => v.is_array(),
        "requires_backup_before_destroy"
        | "requires_restore_proof"
        | "requires_runtime_identity" => v.is_boolean(),
        _ => true,
    };
    if ok {
        return None;
    }
    Some(match key {
        "target" => ("a non-empty string", "cm-testing"),
        "upstream_source" => ("a non-empty string", "odoo-tenant-opw/opw/prod-upstream"),
        "domains" => ("a list of non-empty strings", "[cm-testing.example.com]"),
        _ => ("`true` or `false`", "true"),
    })
}

/// A wrong value as a message shows it: at most [`SHOWN_CHARS`]
/// characters, so that a list of thousands of items is not repeated whole.
fn show(v: &serde_json::Value) -> String {
    let cut = |text: String| match text.char_indices().nth(SHOWN_CHARS) {
        Some((end, _)) => format!("`{}…`", &text[..end]),
        None => format!("`{text}`"),
    };
    match v {
        serde_json::Value::Null => "nothing".into(),
        serde_json::Value::String(s) if s.is_empty() => "an empty string".into(),
        // Control and invisible characters escaped: a block scalar's line
        // break must not start a line of its own in the message, nor a
        // line separator or a direction override reorder it.
        serde_json::Value::String(s) => cut(escaped(&crate::source::one_line(s))),
        other => cut(escaped(&other.to_string())),
    }
}

/// The most characters of a wrong value a message shows.
const SHOWN_CHARS: usize = 120;

#[cfg(test)]
thread_local! {
    /// How many times a list was read for its items' places.
    static LIST_READS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

#[cfg(test)]
mod tests {
    use super::Entries;
    use std::collections::BTreeMap;

    /// A lane sharing n domains with another has its list read once for
    /// the places of all n findings, not once per finding.
    #[test]
    fn a_lane_sharing_many_domains_reads_its_list_once() {
        let domains: Vec<String> = (0..200).map(|k| format!("d{k}.example.com")).collect();
        let list = domains.join(", ");
        let text = format!(
            "issues: https://github.com/example/ops/issues/\nactions:\n  deploy: {{operation: deploy, destructive: false}}\nproducts:\n  p:\n    context: c\n    events: {{launch: pending}}\n    lanes:\n      a: {{production: false, domains: [{list}]}}\n      x: {{production: false, domains: [{list}]}}\n"
        );
        let src = crate::source::SourceFile::new("lanes.yaml", text, String::new());
        super::LIST_READS.with(|c| c.set(0));
        let found = super::load(&src, 0).unwrap_err();
        assert_eq!(found.len(), 200);
        // Once in each of the two readings (without positions, then with
        // them); it was once per finding, 200 here.
        assert_eq!(super::LIST_READS.with(std::cell::Cell::get), 2);
    }

    /// Keys that YAML tells apart but that read as one text are a key
    /// written twice, at every level of a product: its lanes, a lane's
    /// fields, its events.
    #[test]
    fn keys_that_read_alike_are_written_twice() {
        for text in ["1: one\n\"1\": quoted\n", "a: x\n-1: y\n'-1': z\n"] {
            let read = crate::yaml::read::<Entries<serde_json::Value>>(text);
            let e = read.err().unwrap_or_else(|| panic!("{text}: accepted"));
            assert!(e.message.contains("is written twice"), "{text}: {}", e.message);
        }
        // In a lane's fields, and at any depth of a field's value.
        for lane in [
            "{production: false, 1: x, \"1\": y}",
            "{production: false, meta: {1: a, \"1\": b}}",
            "{production: false, meta: [{tags: {x: 1}}, {tags: {-1: a, '-1': b}}]}",
        ] {
            let text = format!(
                "actions:\n  deploy: {{operation: deploy, destructive: false}}\nproducts:\n  p:\n    context: c\n    lanes:\n      a: {lane}\n"
            );
            let src = crate::source::SourceFile::new("lanes.yaml", text, String::new());
            let found = super::load(&src, 0).unwrap_err();
            assert!(
                found.iter().any(|d| d.message.contains("is written twice")),
                "{lane}: {found:?}"
            );
        }
        // Products and actions too: one product would vanish whole.
        for top in [
            "products:\n  1: {context: c, lanes: {l: {production: false}}}\n  '1': {context: d, lanes: {l: {production: false}}}\n",
            "actions:\n  1: {operation: deploy, destructive: false}\n  '1': {operation: deploy, destructive: false}\n",
        ] {
            let src = crate::source::SourceFile::new("lanes.yaml", top.to_string(), String::new());
            let found = super::load(&src, 0).unwrap_err();
            assert!(
                found.iter().any(|d| d.message.contains("key `1` is written twice")),
                "{top}: {found:?}"
            );
        }
    }

    /// An inventory written on one line, with a finding on each of its
    /// lanes: each finding reads the line up to its own key, not to the
    /// line's end (that was quadratic: 10,000 such lanes took 39 s).
    #[test]
    fn findings_on_one_line_read_it_once_in_all() {
        let lanes: Vec<String> = (0..400)
            .map(|k| format!("l{k}: {{production: false, data_authority: bogus{k}}}"))
            .collect();
        let text = format!(
            "{{issues: 'https://github.com/example/ops/issues/', actions: {{deploy: {{operation: deploy, destructive: false}}}}, products: {{p: {{context: c, events: {{launch: pending}}, lanes: {{{}}}}}}}}}\n",
            lanes.join(", ")
        );
        let src = crate::source::SourceFile::new("lanes.yaml", text.clone(), String::new());
        crate::yaml::UNCOMMENTED_BYTES.with(|n| n.set(0));
        let found = super::load(&src, 0).unwrap_err();
        assert_eq!(found.len(), 400, "{found:?}");
        let read = crate::yaml::UNCOMMENTED_BYTES.with(std::cell::Cell::get);
        assert!(read <= 4 * text.len(), "{read} bytes read for a {}-byte line", text.len());
    }

    /// A lane of thousands of extra fields on one line is read without a
    /// search for each field's key (that was quadratic: 40,000 fields,
    /// 17 s), whether it is clean or has findings among its fields.
    #[test]
    fn a_lane_of_many_fields_on_one_line_is_not_searched_per_field() {
        for typo in ["", ", phasx: 1", ", phas0: 1, phas1: 1"] {
            let fields: Vec<String> = (0..3000).map(|k| format!("k{k}: 1")).collect();
            let text = format!(
                "actions:\n  deploy: {{operation: deploy, destructive: false}}\nproducts:\n  p:\n    context: cm\n    lanes:\n      prod: {{production: false, phase: live, data_authority: authoritative, {}{typo}}}\n",
                fields.join(", ")
            );
            let src = crate::source::SourceFile::new("lanes.yaml", text.clone(), String::new());
            crate::yaml::UNCOMMENTED_BYTES.with(|n| n.set(0));
            let loaded = super::load(&src, 0);
            assert_eq!(loaded.is_ok(), typo.is_empty(), "{typo}: {loaded:?}");
            if let Err(found) = loaded {
                // Each finding placed at its key, in the read with positions.
                for d in &found {
                    assert!(text[d.span.start..d.span.end].starts_with("phas"), "{d:?}");
                }
            }
            let read = crate::yaml::UNCOMMENTED_BYTES.with(std::cell::Cell::get);
            assert!(read <= 4 * text.len(), "{typo}: {read} bytes read for a {}-byte text", text.len());
        }
    }

    /// `Entries` reads a mapping exactly as a `BTreeMap` does: the same
    /// entries in the same order, the same errors.
    #[test]
    fn entries_read_as_a_map_does() {
        for text in [
            "b: 1\na: 2\nc: [x]\n",
            "1: one\n'01': other\n",
            "z: {q: 1}\ny: ~\nx: \"\"\n",
            "{}\n",
            "5\n",
            "[a, b]\n",
        ] {
            let map = crate::yaml::read::<BTreeMap<String, serde_json::Value>>(text);
            let entries = crate::yaml::read::<Entries<serde_json::Value>>(text);
            match (map, entries) {
                (Ok(map), Ok(entries)) => {
                    let map: Vec<_> = map.into_iter().collect();
                    let entries: Vec<_> = entries.0.into_iter().collect();
                    assert_eq!(map, entries, "{text}");
                }
                (Err(a), Err(b)) => assert_eq!(a, b, "{text}"),
                (a, b) => panic!("{text}: {:?} against {:?}", a.is_ok(), b.is_ok()),
            }
        }
    }

    /// `Events` answers as the `BTreeMap` of the same entries: order,
    /// lookups, and the last state of a name given twice.
    #[test]
    fn events_answer_as_a_map_does() {
        use super::Events;
        use crate::model::EventState::{Occurred, Pending};
        let names = ["launch", "cutover", "a", "launch", "z", "cutover", "m"];
        for n in 0..=names.len() {
            let given: Vec<_> = names[..n]
                .iter()
                .enumerate()
                .map(|(k, e)| (e.to_string(), if k % 2 == 0 { Occurred } else { Pending }))
                .collect();
            let map: BTreeMap<_, _> = given.iter().cloned().collect();
            let events: Events = given.into_iter().collect();
            assert!(events.iter().eq(map.iter()), "{n}");
            assert_eq!(events.len(), map.len());
            for probe in ["launch", "cutover", "a", "z", "m", "b", ""] {
                assert_eq!(events.get(probe), map.get(probe), "{n} {probe}");
            }
        }
    }
}

//! Requests: hover, definition, completion, code actions, formatting and
//! document symbols. What is under the cursor comes from the parser's AST
//! (spans on every node); facts come from the inventory as loaded by
//! [`crate::inventory::load`] from the open buffer or the file.

use super::Server;
use super::convert::{path_to_uri, position_to_offset, source_range, span_to_range, uri_to_path};
use crate::checks::CHECKS;
use crate::inventory::{self, Inventory};
use crate::source::{SourceFile, Span};
use crate::syntax::ast::{self, ClauseKind, Retire};
use crate::syntax::parser::parse_file;
use lsp_server::Request;
use lsp_types as lt;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// Why a request got no result: JSON-RPC's error code and a message.
pub(super) type Refusal = (lsp_server::ErrorCode, String);

/// Runs a request; `Err` is MethodNotFound for a method the server does not
/// serve, InvalidParams for parameters that do not read.
pub(super) fn dispatch(server: &Server, req: Request) -> Result<Value, Refusal> {
    use lt::request::Request as _;
    let m = req.method.as_str();
    let p = req.params;
    let bad = |e: serde_json::Error| {
        (
            lsp_server::ErrorCode::InvalidParams,
            format!("invalid parameters: {e}"),
        )
    };
    let out = match m {
        lt::request::HoverRequest::METHOD => {
            let p: lt::HoverParams = serde_json::from_value(p).map_err(bad)?;
            serde_json::to_value(hover(server, &p.text_document_position_params))
        }
        lt::request::GotoDefinition::METHOD => {
            let p: lt::GotoDefinitionParams = serde_json::from_value(p).map_err(bad)?;
            serde_json::to_value(definition(server, &p.text_document_position_params))
        }
        lt::request::Completion::METHOD => {
            let p: lt::CompletionParams = serde_json::from_value(p).map_err(bad)?;
            serde_json::to_value(completion(server, &p.text_document_position))
        }
        lt::request::CodeActionRequest::METHOD => {
            let p: lt::CodeActionParams = serde_json::from_value(p).map_err(bad)?;
            serde_json::to_value(code_actions(server, &p))
        }
        lt::request::Formatting::METHOD => {
            let p: lt::DocumentFormattingParams = serde_json::from_value(p).map_err(bad)?;
            serde_json::to_value(formatting(server, &p.text_document.uri))
        }
        lt::request::DocumentSymbolRequest::METHOD => {
            let p: lt::DocumentSymbolParams = serde_json::from_value(p).map_err(bad)?;
            serde_json::to_value(symbols(server, &p.text_document.uri))
        }
        // The session is initialized once (LSP: a second `initialize` is
        // an invalid request, not an unknown method).
        lt::request::Initialize::METHOD => {
            return Err((
                lsp_server::ErrorCode::InvalidRequest,
                "the server is already initialized".into(),
            ));
        }
        other => {
            return Err((
                lsp_server::ErrorCode::MethodNotFound,
                format!("unsupported request `{other}`"),
            ));
        }
    };
    out.map_err(|e| (lsp_server::ErrorCode::InternalError, e.to_string()))
}

/// The document's path and text.
fn document(server: &Server, uri: &lt::Uri) -> Option<(PathBuf, String)> {
    let path = uri_to_path(uri)?;
    let path = super::canonical(&path);
    let text = server.text(&path)?;
    Some((path, text))
}

/// The inventory of `path`'s project (the unsaved buffer if open), with
/// its source; `None` when there is none or it does not load. A leading
/// byte order mark is left out, as `check` leaves it out. Read again only
/// when its text differs from the last one read, whether that one loaded
/// or not (`Server::inventories`).
fn inventory_for(server: &Server, path: &Path) -> Option<(PathBuf, crate::lsp::ReadInventory)> {
    let inv_path = server.inventory_of(path)?;
    let text = server.text(&inv_path)?;
    let body = text.strip_prefix('\u{FEFF}').unwrap_or(&text);
    let cached = server
        .inventories
        .borrow()
        .get(&inv_path)
        .filter(|hit| *hit.0.text == *body)
        .cloned();
    let loaded = match cached {
        Some(hit) => hit,
        None => {
            #[cfg(test)]
            INVENTORY_LOADS.with(|n| n.set(n.get() + 1));
            let src = SourceFile::new(
                inv_path.display().to_string(),
                body.to_string(),
                String::new(),
            );
            let inv = inventory::load(&src, 0).ok();
            let loaded = Rc::new((src, inv));
            server
                .inventories
                .borrow_mut()
                .insert(inv_path.clone(), loaded.clone());
            loaded
        }
    };
    loaded.1.is_some().then_some((inv_path, loaded))
}

#[cfg(test)]
thread_local! {
    /// Inventories loaded by [`inventory_for`].
    pub(crate) static INVENTORY_LOADS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// What the cursor is on in a policy file.
enum Target<'a> {
    Action(&'a ast::Ident),
    Pattern(&'a ast::Pattern),
    Event(&'a ast::Ident),
    Issue(&'a ast::IssueRef, Span),
    Proof(&'a ast::Ident),
}

fn inside(span: Span, offset: usize) -> bool {
    span.start <= offset && offset <= span.end
}

fn target_at(file: &ast::File, offset: usize) -> Option<(&ast::Rule, Target<'_>)> {
    let rule = file.rules.iter().find(|r| inside(r.span, offset))?;
    if let Some(a) = rule.actions.iter().find(|a| inside(a.span, offset)) {
        return Some((rule, Target::Action(a)));
    }
    if let Some(p) = rule.patterns.iter().find(|p| inside(p.span, offset)) {
        return Some((rule, Target::Pattern(p)));
    }
    for c in &rule.clauses {
        match &c.kind {
            ClauseKind::Until(rs) => {
                for r in rs {
                    if let Retire::Event(e) = r
                        && inside(e.span, offset)
                    {
                        return Some((rule, Target::Event(e)));
                    }
                }
            }
            ClauseKind::Issue(i, span) if inside(*span, offset) => {
                return Some((rule, Target::Issue(i, *span)));
            }
            ClauseKind::Requires(ps) => {
                if let Some(p) = ps.iter().find(|p| inside(p.span, offset)) {
                    return Some((rule, Target::Proof(p)));
                }
            }
            _ => {}
        }
    }
    None
}

/// Lane keys matching a pattern (`*` in a segment matches any run), in
/// key order: the compiler's own segment matching
/// ([`crate::sema::glob_match`]), nothing compiled, one pass over the lanes.
fn matches(pattern: &ast::Pattern, inv: &Inventory) -> Vec<String> {
    if !pattern.context.contains('*') && !pattern.instance.contains('*') {
        let key = format!("{}/{}", pattern.context, pattern.instance);
        return inv
            .lanes
            .get_key_value(&key)
            .map(|(k, _)| k.clone())
            .into_iter()
            .collect();
    }
    inv.lanes
        .iter()
        .filter(|(_, l)| {
            crate::sema::glob_match(&pattern.context, &l.context)
                && crate::sema::glob_match(&pattern.instance, &l.instance)
        })
        .map(|(k, _)| k.clone())
        .collect()
}

/// The products of the lanes a rule touches, sorted: the lanes through
/// one index of the inventory ([`crate::sema::LaneIndex`]), so a rule of
/// many patterns over many lanes costs what the compiler's resolution does.
fn products(rule: &ast::Rule, inv: &Inventory) -> Vec<String> {
    let index = crate::sema::LaneIndex::new(inv);
    let mut out: Vec<&str> = rule
        .patterns
        .iter()
        .flat_map(|p| index.matching(p))
        .filter_map(|k| inv.lanes.get(&k).map(|l| l.product.as_str()))
        .collect();
    out.sort_unstable();
    out.dedup();
    out.into_iter().map(str::to_string).collect()
}

/// Lanes listed in a hover over a pattern; the rest are counted.
const HOVER_LANES: usize = 50;

/// The word (check code or name) at `offset` in a comment line.
fn word_at(text: &str, offset: usize) -> &str {
    let is = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let start = text[..offset]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is(*c))
        .last()
        .map_or(offset, |(i, _)| i);
    let end = text[offset..]
        .char_indices()
        .find(|(_, c)| !is(*c))
        .map_or(text.len(), |(i, _)| offset + i);
    &text[start..end]
}

fn markdown(value: String, range: Option<lt::Range>) -> lt::Hover {
    lt::Hover {
        contents: lt::HoverContents::Markup(lt::MarkupContent {
            kind: lt::MarkupKind::Markdown,
            value,
        }),
        range,
    }
}

fn lane_facts(key: &str, inv: &Inventory) -> String {
    match inv.lanes.get(key) {
        Some(l) => format!(
            "- `{key}`: product `{}`, production {}, phase {}, data_authority {}, {}",
            l.product,
            l.production,
            l.phase.as_str(),
            l.data_authority.as_str(),
            // As the runtime reads it (language.md: production and live,
            // or authoritative data), not a lane field of that name.
            if crate::model::is_protected(l.production, l.phase, l.data_authority) {
                "**protected**"
            } else {
                "not protected"
            }
        ),
        None => format!("- `{key}`"),
    }
}

fn hover(server: &Server, at: &lt::TextDocumentPositionParams) -> Option<lt::Hover> {
    let (path, text) = document(server, &at.text_document.uri)?;
    let offset = position_to_offset(&text, at.position);
    // A check code or name, in a suppression comment or anywhere.
    let word = word_at(&text, offset);
    if !word.is_empty()
        && let Some(check) = CHECKS.iter().find(|c| c.code == word || c.name == word)
    {
        return Some(markdown(check.doc(), None));
    }
    let file = parse_file(&text);
    let (rule, target) = target_at(&file, offset)?;
    let (_, loaded) = inventory_for(server, &path)?;
    let inv = loaded.1.as_ref()?;
    let (value, span) = match target {
        Target::Pattern(p) => {
            let lanes = matches(p, inv);
            // In code, not bold: `*/*` in bold is read as emphasis marks.
            let mut s = format!("`{}` matches {} lane(s)\n\n", p.text(), lanes.len());
            for k in lanes.iter().take(HOVER_LANES) {
                s.push_str(&lane_facts(k, inv));
                s.push('\n');
            }
            if lanes.len() > HOVER_LANES {
                s.push_str(&format!("- and {} more\n", lanes.len() - HOVER_LANES));
            }
            (s, p.span)
        }
        Target::Action(a) => match inv.actions.get(&a.name) {
            Some(act) => (
                format!(
                    "**{}**: operation `{}`, {}",
                    a.name,
                    act.operation,
                    if act.destructive {
                        "destructive"
                    } else {
                        "not destructive"
                    }
                ),
                a.span,
            ),
            None => (
                format!("**{}**: not declared in the inventory", a.name),
                a.span,
            ),
        },
        Target::Event(e) => {
            let mut s = format!("**{}**", e.name);
            for prod in products(rule, inv) {
                if let Some(state) = inv.products.get(&prod).and_then(|p| p.events.get(&e.name)) {
                    s.push_str(&format!("\n\n- product `{prod}`: {state:?}"));
                }
            }
            (s, e.span)
        }
        Target::Issue(i, span) => {
            let url = match i {
                ast::IssueRef::Url(u) => Some(u.clone()),
                ast::IssueRef::GitHub {
                    owner,
                    repo,
                    number,
                } => Some(format!("https://github.com/{owner}/{repo}/issues/{number}")),
                ast::IssueRef::Local(n) => inv.issues.as_ref().map(|b| format!("{b}{n}")),
            };
            (
                url.unwrap_or_else(|| "no `issues` base URL in lanes.yaml".into()),
                span,
            )
        }
        Target::Proof(p) => (format!("proof **{}**", p.name), p.span),
    };
    Some(markdown(value, Some(span_to_range(&text, span))))
}

fn definition(
    server: &Server,
    at: &lt::TextDocumentPositionParams,
) -> Option<lt::GotoDefinitionResponse> {
    let (path, text) = document(server, &at.text_document.uri)?;
    let offset = position_to_offset(&text, at.position);
    let file = parse_file(&text);
    let (rule, target) = target_at(&file, offset)?;
    let (inv_path, loaded) = inventory_for(server, &path)?;
    let (inv_src, inv) = (&loaded.0, loaded.1.as_ref()?);
    let spans: Vec<Span> = match target {
        Target::Action(a) => inv
            .actions
            .get(&a.name)
            .map(|a| a.span)
            .into_iter()
            .collect(),
        Target::Pattern(p) => matches(p, inv)
            .iter()
            .filter_map(|k| inv.lanes.get(k).map(|l| l.span))
            .collect(),
        Target::Event(_) => products(rule, inv)
            .iter()
            .filter_map(|p| inv.products.get(p).map(|p| p.span))
            .collect(),
        _ => Vec::new(),
    };
    let uri = path_to_uri(&inv_path)?;
    let locations: Vec<lt::Location> = spans
        .into_iter()
        .map(|s| lt::Location {
            uri: uri.clone(),
            // Through the inventory's line index, not a scan per location.
            range: source_range(inv_src, s),
        })
        .collect();
    (!locations.is_empty()).then_some(lt::GotoDefinitionResponse::Array(locations))
}

const KEYWORDS: &[&str] = &[
    "allow", "deny", "on", "until", "issue=", "confirm=", "requires", "reason=",
];

/// Whether `rest`, the text after a string's opening quote, holds its
/// closing quote: a `"` not escaped by a `\\`.
fn closes_string(rest: &str) -> bool {
    let mut escaped = false;
    for c in rest.chars() {
        match c {
            '"' if !escaped => return true,
            '\\' => escaped = !escaped,
            _ => escaped = false,
        }
    }
    false
}

/// The most completion items one answer gives of each kind the inventory
/// supplies (actions; lanes and contexts; events). Past it the answer is
/// marked incomplete (`isIncomplete`), so that the editor asks again as
/// more is typed: an inventory of 200,000 lanes would otherwise send every
/// lane, megabytes of JSON, on each keystroke.
const COMPLETION_LIMIT: usize = 1_000;

fn completion(
    server: &Server,
    at: &lt::TextDocumentPositionParams,
) -> Option<lt::CompletionResponse> {
    let (path, text) = document(server, &at.text_document.uri)?;
    let offset = position_to_offset(&text, at.position);
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..offset];
    let item =
        |label: String, kind: lt::CompletionItemKind, detail: Option<String>| lt::CompletionItem {
            label,
            kind: Some(kind),
            detail,
            ..Default::default()
        };
    // Inside a comment: nothing to complete (a comment is text, not rules).
    if parse_file(&text)
        .comments
        .iter()
        .any(|c| c.span.start < offset && offset <= c.span.end)
    {
        return Some(lt::CompletionResponse::Array(Vec::new()));
    }
    let mut items = Vec::new();
    // Inside confirm="...": the placeholders that start with what follows
    // the last `{` (a `\"` is an escaped quote, not the end).
    if let Some(i) = line.rfind("confirm=\"")
        && !closes_string(&line[i + 9..])
    {
        let inside = &line[i + 9..];
        let typed = inside.rfind('{').map_or("", |k| &inside[k..]);
        // Each replaces what is typed from the `{` on, so that a typed
        // `{` is not doubled (`{{product}`) by editors that insert the
        // label after the word.
        let from = lt::Position::new(
            at.position.line,
            at.position
                .character
                .saturating_sub(typed.encode_utf16().count() as u32),
        );
        for p in crate::sema::PLACEHOLDERS
            .iter()
            .filter(|p| format!("{{{p}}}").starts_with(typed))
        {
            let label = format!("{{{p}}}");
            items.push(lt::CompletionItem {
                text_edit: Some(lt::CompletionTextEdit::Edit(lt::TextEdit {
                    range: lt::Range::new(from, at.position),
                    new_text: label.clone(),
                })),
                ..item(label, lt::CompletionItemKind::VARIABLE, None)
            });
        }
        return Some(lt::CompletionResponse::Array(items));
    }
    // The word being typed: only what starts with it is offered, at most
    // COMPLETION_LIMIT items of each kind the inventory supplies.
    let typed = &line[line
        .trim_end_matches(|c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '/' | '.' | '*'))
        .len()..];
    let offered = |label: &str| {
        label
            .as_bytes()
            .get(..typed.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(typed.as_bytes()))
    };
    let mut incomplete = false;
    // After `until` or `or`, only a retirement condition can follow: the
    // events of the products the line's lane patterns touch (a rule being
    // typed does not parse yet), or of every product when none is found.
    let before_word = line[..line.len() - typed.len()].trim_end();
    if (before_word.ends_with(" until") || before_word.ends_with(" or"))
        && let Some((_, loaded)) = inventory_for(server, &path)
        && let Some(inv) = &loaded.1
    {
        // The rule being written: from the last line at or before the
        // cursor that starts with `allow` or `deny` (a rule may continue
        // on the next lines), within the last 64 lines.
        let before = &text[..offset.min(text.len())];
        let rule_text = before
            .rmatch_indices('\n')
            .take(64)
            .map(|(i, _)| i + 1)
            .chain(std::iter::once(0))
            .find(|&start| {
                let head = before[start..].trim_start();
                head.starts_with("allow") || head.starts_with("deny")
            })
            .map_or(line, |start| &before[start..]);
        let patterns: Vec<&str> = rule_text
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|w| w.contains('/'))
            .collect();
        let mut prods: std::collections::BTreeSet<&str> = inv
            .lanes
            .iter()
            .filter(|(k, _)| patterns.iter().any(|p| crate::sema::glob_match(p, k)))
            .map(|(_, l)| l.product.as_str())
            .collect();
        if prods.is_empty() {
            prods = inv.products.keys().map(String::as_str).collect();
        }
        // Only events every one of those products declares: `until` on a
        // rule over two products needs an event of both (E103 otherwise),
        // as the quick fix's skeleton does.
        let mut shared: Option<std::collections::BTreeSet<&String>> = None;
        for p in prods.iter().filter_map(|p| inv.products.get(*p)) {
            let own: std::collections::BTreeSet<&String> = p.events.keys().collect();
            shared = Some(match shared {
                None => own,
                Some(s) => s.intersection(&own).copied().collect(),
            });
        }
        let events: Vec<&String> = shared
            .unwrap_or_default()
            .into_iter()
            .filter(|e| offered(e))
            .collect();
        let items: Vec<lt::CompletionItem> = events
            .into_iter()
            .take(COMPLETION_LIMIT)
            .map(|e| {
                item(
                    e.clone(),
                    lt::CompletionItemKind::EVENT,
                    Some("event".into()),
                )
            })
            .collect();
        return Some(lt::CompletionResponse::Array(items));
    }
    for k in KEYWORDS.iter().filter(|k| offered(k)) {
        items.push(item(k.to_string(), lt::CompletionItemKind::KEYWORD, None));
    }
    if let Some((_, loaded)) = inventory_for(server, &path)
        && let Some(inv) = &loaded.1
    {
        let base = items.len();
        for (k, a) in inv.actions.iter().filter(|(k, _)| offered(k)) {
            if items.len() - base >= COMPLETION_LIMIT {
                incomplete = true;
                break;
            }
            items.push(item(
                k.clone(),
                lt::CompletionItemKind::FUNCTION,
                Some(format!(
                    "{}{}",
                    a.operation,
                    if a.destructive { ", destructive" } else { "" }
                )),
            ));
        }
        // Lanes and contexts can be many (a fleet's inventory): past the
        // limit the list is incomplete, and the editor asks again as more
        // is typed.
        let contexts: std::collections::BTreeSet<String> = inv
            .products
            .values()
            .map(|p| format!("{}/*", p.context))
            .filter(|c| offered(c))
            .collect();
        let base = items.len();
        for c in contexts {
            if items.len() - base >= COMPLETION_LIMIT {
                incomplete = true;
                break;
            }
            items.push(item(
                c,
                lt::CompletionItemKind::CONSTANT,
                Some("every lane of the context".into()),
            ));
        }
        for (k, l) in inv.lanes.iter().filter(|(k, _)| offered(k)) {
            if items.len() - base >= COMPLETION_LIMIT {
                incomplete = true;
                break;
            }
            items.push(item(
                k.clone(),
                lt::CompletionItemKind::CONSTANT,
                Some(format!("product {}", l.product)),
            ));
        }
        // Events of the products the rule under the cursor touches (all when none).
        let file = parse_file(&text);
        // The first rule that starts on the cursor's line, before the
        // cursor (or ends the line before it): rules are in text order, so
        // only those starting from that line are looked at.
        let before = &text[..offset.min(text.len())];
        let line_start = before
            .strip_suffix('\n')
            .unwrap_or(before)
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let from = file.rules.partition_point(|r| r.span.start < line_start);
        let prods = file.rules[from..]
            .iter()
            .take_while(|r| r.span.start <= offset)
            .find(|r| text[r.span.start..offset].lines().count() <= 1)
            .map(|r| products(r, inv))
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| inv.products.keys().cloned().collect());
        let mut events = std::collections::BTreeSet::new();
        for p in prods {
            if let Some(prod) = inv.products.get(&p) {
                events.extend(prod.events.keys().cloned());
            }
        }
        let base = items.len();
        for e in events.into_iter().filter(|e| offered(e)) {
            if items.len() - base >= COMPLETION_LIMIT {
                incomplete = true;
                break;
            }
            items.push(item(e, lt::CompletionItemKind::EVENT, Some("event".into())));
        }
    }
    for proof in crate::model::PROOFS.iter().filter(|p| offered(p)) {
        items.push(item(
            proof.to_string(),
            lt::CompletionItemKind::VALUE,
            Some("proof".into()),
        ));
    }
    Some(if incomplete {
        lt::CompletionResponse::List(lt::CompletionList {
            is_incomplete: true,
            items,
        })
    } else {
        lt::CompletionResponse::Array(items)
    })
}

fn code_actions(server: &Server, p: &lt::CodeActionParams) -> Option<lt::CodeActionResponse> {
    let (path, text) = document(server, &p.text_document.uri)?;
    let file = parse_file(&text);
    let uri = p.text_document.uri.clone();
    let mut out = Vec::new();
    let edit = |range: lt::Range, new_text: String| lt::WorkspaceEdit {
        changes: Some(
            [(uri.clone(), vec![lt::TextEdit { range, new_text }])]
                .into_iter()
                .collect(),
        ),
        ..Default::default()
    };
    let lines = super::convert::LineStarts::new(&text);
    // The document as a source file: ranges through its line index.
    let src = SourceFile::new("", text.to_string(), String::new());
    for d in &p.context.diagnostics {
        let help = d
            .data
            .as_ref()
            .and_then(|v| v.get("help"))
            .and_then(Value::as_str)
            .unwrap_or("");
        // "did you mean `X`?": replace the range with X, only while the
        // range still holds the text the diagnostic was about (a
        // diagnostic from before the last edit would replace other text).
        let was = d
            .data
            .as_ref()
            .and_then(|v| v.get("text"))
            .and_then(Value::as_str);
        let (a, b) = (
            lines.offset(&text, d.range.start),
            lines.offset(&text, d.range.end),
        );
        let still = was.is_some_and(|was| a <= b && text.get(a..b) == Some(was));
        if let Some(rest) = help.strip_prefix("did you mean `")
            && let Some(x) = rest.strip_suffix("`?")
            && still
        {
            out.push(lt::CodeActionOrCommand::CodeAction(lt::CodeAction {
                title: format!("Replace with `{x}`"),
                kind: Some(lt::CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![d.clone()]),
                edit: Some(edit(d.range, x.to_string())),
                is_preferred: Some(true),
                ..Default::default()
            }));
        }
        let code = match &d.code {
            Some(lt::NumberOrString::String(c)) => c.clone(),
            _ => continue,
        };
        let start = lines.offset(&text, d.range.start);
        // Rules are in text order: the last that starts at or before the
        // diagnostic, if it holds it.
        let before = file.rules.partition_point(|r| r.span.start <= start);
        let Some(rule) = before
            .checked_sub(1)
            .map(|k| &file.rules[k])
            .filter(|r| inside(r.span, start))
        else {
            continue;
        };
        // A missing clause: a skeleton at the end of the rule.
        let end = source_range(&src, Span::new(rule.span.end, rule.span.end));
        // The checks that ask for a clause: L001 no issue, L002 never
        // retires (an event every product the rule touches declares; none
        // offered without one), L004 no confirmation phrase (the action's
        // name and the lane, as L004's help suggests).
        let skeleton = match code.as_str() {
            "L001" => Some(("issue", " issue=#".to_string())),
            "L002" => shared_event(server, &path, rule).map(|e| ("until", format!(" until {e}"))),
            "L004" => rule.actions.first().map(|a| {
                (
                    "confirm",
                    format!(" confirm=\"{} {{context}} {{instance}}\"", a.name),
                )
            }),
            _ => None,
        };
        if let Some((keyword, skeleton)) = skeleton
            && !rule.clauses.iter().any(|c| c.kind.keyword() == keyword)
        {
            out.push(lt::CodeActionOrCommand::CodeAction(lt::CodeAction {
                title: format!("Add `{}`", skeleton.trim()),
                kind: Some(lt::CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![d.clone()]),
                edit: Some(edit(end, skeleton.to_string())),
                ..Default::default()
            }));
        }
        // A suppression comment on the line before the rule (L-codes
        // only). A rule that does not start its line (another rule's text
        // before it) is moved to a line of its own under the comment: at
        // the line's start the comment would be another rule's.
        if code.starts_with('L') {
            let line_start = src.line_span(rule.span.start).start;
            let before = &text[line_start..rule.span.start];
            let indent: String = before.chars().take_while(|c| c.is_whitespace()).collect();
            let comment = format!("{indent}// lanepolicy: ignore {code} reason=\"TODO: why\"\n");
            let (at, new_text) = if before.trim().is_empty() {
                (line_start, comment)
            } else {
                (rule.span.start, format!("\n{comment}{indent}"))
            };
            out.push(lt::CodeActionOrCommand::CodeAction(lt::CodeAction {
                title: format!("Suppress {code} for this rule (give the reason)"),
                kind: Some(lt::CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![d.clone()]),
                edit: Some(edit(source_range(&src, Span::new(at, at)), new_text)),
                ..Default::default()
            }));
        }
    }
    Some(out)
}

/// An event that every product `rule` touches declares, for an `until`
/// skeleton: `launch` when they all have it, else the first in name order;
/// `None` without an inventory, a lane, or an event they share.
fn shared_event(server: &Server, path: &Path, rule: &ast::Rule) -> Option<String> {
    let (_, loaded) = inventory_for(server, path)?;
    let inv = loaded.1.as_ref()?;
    let products = products(rule, inv);
    let mut shared: Option<Vec<&str>> = None;
    for p in &products {
        let events: Vec<&str> = inv
            .products
            .get(p)?
            .events
            .keys()
            .map(String::as_str)
            .collect();
        shared = Some(match shared {
            None => events,
            Some(s) => s.into_iter().filter(|e| events.contains(e)).collect(),
        });
    }
    let shared = shared?;
    shared
        .iter()
        .find(|e| **e == "launch")
        .or_else(|| shared.iter().min())
        .map(|e| e.to_string())
}

fn formatting(server: &Server, uri: &lt::Uri) -> Option<Vec<lt::TextEdit>> {
    let (_, text) = document(server, uri)?;
    // Text that does not parse is left alone (its errors are diagnostics).
    let formatted = crate::fmt::format_source(&text).ok()?;
    if formatted == text {
        return Some(Vec::new());
    }
    Some(vec![lt::TextEdit {
        range: span_to_range(&text, Span::new(0, text.len())),
        new_text: formatted,
    }])
}

#[allow(deprecated)] // `DocumentSymbol::deprecated` must still be set.
fn symbols(server: &Server, uri: &lt::Uri) -> Option<lt::DocumentSymbolResponse> {
    let (_, text) = document(server, uri)?;
    let file = parse_file(&text);
    // One line index for every rule's range.
    let src = SourceFile::new("", text.clone(), String::new());
    let symbols = file
        .rules
        .iter()
        .map(|r| {
            let effect = text
                .get(r.keyword_span.start..r.keyword_span.end)
                .unwrap_or("rule");
            let actions: Vec<&str> = r.actions.iter().map(|a| a.name.as_str()).collect();
            let lanes: Vec<String> = r.patterns.iter().map(|p| p.text()).collect();
            lt::DocumentSymbol {
                name: format!("{effect} {} on {}", actions.join(", "), lanes.join(", ")),
                detail: r.doc.first().cloned(),
                kind: lt::SymbolKind::FUNCTION,
                tags: None,
                deprecated: None,
                range: source_range(&src, r.span),
                selection_range: source_range(&src, r.keyword_span),
                children: None,
            }
        })
        .collect();
    Some(lt::DocumentSymbolResponse::Nested(symbols))
}

#[cfg(test)]
mod tests {
    use super::{INVENTORY_LOADS, inventory_for};
    use crate::lsp::Server;

    /// Requests on one project load its inventory once, and again only
    /// when its text (the open buffer) changes.
    #[test]
    fn an_unchanged_inventory_is_loaded_once() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().canonicalize().unwrap();
        let lanes = "issues: https://github.com/example/ops/issues/\nactions:\n  deploy: {operation: deploy, destructive: false}\nproducts:\n  p:\n    context: c\n    events: {launch: pending}\n    lanes:\n      x: {production: false, phase: prelaunch}\n";
        std::fs::write(d.join("lanes.yaml"), lanes).unwrap();
        std::fs::write(
            d.join("a.policy"),
            "allow deploy on c/x until launch issue=#1\n",
        )
        .unwrap();
        let mut server = Server::empty();
        let policy = d.join("a.policy");
        INVENTORY_LOADS.with(|n| n.set(0));
        for _ in 0..5 {
            let (_, loaded) = inventory_for(&server, &policy).expect("the inventory loads");
            assert!(loaded.1.as_ref().unwrap().lanes.contains_key("c/x"));
        }
        assert_eq!(INVENTORY_LOADS.with(|n| n.get()), 1);
        // An edited, unsaved inventory is loaded again, once.
        server
            .docs
            .insert(d.join("lanes.yaml"), lanes.replace("x:", "y:"));
        for _ in 0..3 {
            let (_, loaded) = inventory_for(&server, &policy).expect("the inventory loads");
            assert!(loaded.1.as_ref().unwrap().lanes.contains_key("c/y"));
        }
        assert_eq!(INVENTORY_LOADS.with(|n| n.get()), 2);
        // A broken inventory gives nothing, and is read once while it
        // stays as it is.
        server.docs.insert(
            d.join("lanes.yaml"),
            lanes.replace("phase: prelaunch", "phase: prelaunched"),
        );
        for _ in 0..3 {
            assert!(inventory_for(&server, &policy).is_none());
        }
        assert_eq!(INVENTORY_LOADS.with(|n| n.get()), 3);
        // A byte order mark is left out, as `check` leaves it out.
        server
            .docs
            .insert(d.join("lanes.yaml"), format!("\u{FEFF}{lanes}"));
        let (_, loaded) = inventory_for(&server, &policy).expect("the inventory loads");
        assert!(loaded.1.as_ref().unwrap().lanes.contains_key("c/x"));
        assert_eq!(INVENTORY_LOADS.with(|n| n.get()), 4);
    }
}

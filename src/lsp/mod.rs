//! `lanepolicy lsp`: a Language Server Protocol server over stdio.
//!
//! The server shows what `check` says: every diagnostic comes from
//! [`project::compile`] on the project of the edited file (the directory of
//! its `lanes.yaml`), with the editor's unsaved buffers passed in through
//! [`project::Options::overlay`]. Pending changes are coalesced: the
//! project is compiled once after the queue of incoming messages is empty.
//!
//! Requests served: hover (check codes, lanes, patterns, actions, events,
//! issues), go to definition (lane, action, event to `lanes.yaml`),
//! document symbols (one per rule), formatting (with [`crate::fmt`]) and
//! quick fixes (the "did you mean" replacements and a suppression comment).

mod convert;
mod features;
mod transport;

use crate::diagnostic::{Diagnostic as Diag, Severity};
use crate::project::{self, INVENTORY_FILE};
use crate::source::SourceMap;
use lsp_server::{Connection, Message, Notification, Request, Response};
use lsp_types as lt;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub use convert::path_to_uri;
pub(crate) use convert::{source_range, uri_to_path};

/// An error that stops the server: the connection broke.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// Runs the server on stdin/stdout until `exit`. Returns the process exit
/// code: 0 after `shutdown` then `exit`, 1 when `exit` came without
/// `shutdown` or the connection failed.
pub fn serve_stdio() -> u8 {
    let (connection, threads) = transport::stdio();
    let code = match run(connection) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("lanepolicy lsp: {e}");
            1
        }
    };
    // The reader may still wait on input after `exit`: only the writer is
    // waited for, so that every response is flushed.
    let mut threads = threads;
    match threads.pop().map(std::thread::JoinHandle::join) {
        Some(Err(_)) => 1,
        _ => code,
    }
}

/// The server's capabilities: full-text sync, hover, definition,
/// completion, code actions, formatting and document symbols.
pub fn capabilities() -> lt::ServerCapabilities {
    lt::ServerCapabilities {
        text_document_sync: Some(lt::TextDocumentSyncCapability::Options(
            lt::TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(lt::TextDocumentSyncKind::FULL),
                save: Some(lt::TextDocumentSyncSaveOptions::Supported(true)),
                ..Default::default()
            },
        )),
        hover_provider: Some(lt::HoverProviderCapability::Simple(true)),
        definition_provider: Some(lt::OneOf::Left(true)),
        completion_provider: Some(lt::CompletionOptions {
            trigger_characters: Some(vec!["/".into(), "{".into(), " ".into()]),
            ..Default::default()
        }),
        code_action_provider: Some(lt::CodeActionProviderCapability::Simple(true)),
        document_formatting_provider: Some(lt::OneOf::Left(true)),
        document_symbol_provider: Some(lt::OneOf::Left(true)),
        ..Default::default()
    }
}

/// Runs the server on `connection`: the initialize handshake, then messages
/// until `exit`.
///
/// # Errors
/// When the connection fails or `exit` comes without `shutdown`.
pub fn run(connection: Connection) -> Result<(), Error> {
    let caps = serde_json::to_value(capabilities())?;
    // The handshake: answer `initialize` and serve at once. `lsp-server`'s
    // `initialize_finish` would stop the server on any message before
    // `initialized` (a `$/setTrace`, say); `initialized` is then an
    // ordinary notification, ignored like any other.
    let (id, params) = connection.initialize_start()?;
    connection.sender.send(Message::Response(Response::new_ok(
        id,
        serde_json::json!({ "capabilities": caps }),
    )))?;
    let params: lt::InitializeParams = serde_json::from_value(params).unwrap_or_default();
    let docs_url = params
        .initialization_options
        .as_ref()
        .and_then(|o| o.get("docsUrl"))
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| DEFAULT_DOCS_URL.to_string());
    let mut server = Server {
        docs: BTreeMap::new(),
        dirty: BTreeSet::new(),
        published: BTreeMap::new(),
        docs_url,
        today: None,
        inventories: Default::default(),
    };
    if let Some(today) = params
        .initialization_options
        .as_ref()
        .and_then(|o| o.get("today"))
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse().ok())
    {
        server.today = Some(today);
    }
    loop {
        let msg = connection.receiver.recv()?;
        if server.handle(&connection, msg)? {
            return Ok(());
        }
        // Coalesce: handle everything already queued before compiling.
        while let Ok(msg) = connection.receiver.try_recv() {
            if server.handle(&connection, msg)? {
                return Ok(());
            }
        }
        server.publish(&connection)?;
    }
}

/// Where the checks' documentation pages live (`CODE-name.md` is appended);
/// overridden by the `docsUrl` initialization option.
pub const DEFAULT_DOCS_URL: &str = concat!("file://", env!("CARGO_MANIFEST_DIR"), "/docs/rules/");

/// The server's state: open documents and what was last published.
pub(crate) struct Server {
    /// Open documents' text, by canonical path.
    pub(crate) docs: BTreeMap<PathBuf, String>,
    /// Projects (inventory directories) to re-check.
    dirty: BTreeSet<PathBuf>,
    /// Files that got diagnostics, per project, to clear them later.
    published: BTreeMap<PathBuf, BTreeSet<PathBuf>>,
    /// Base URL of the check documentation pages.
    pub(crate) docs_url: String,
    /// Fixed date for date-based lints (tests); today (UTC) otherwise.
    today: Option<jiff::civil::Date>,
    /// The inventory last read for each project, by its file's path, with
    /// the source it was read from, and `None` for one that did not load:
    /// a hover, a completion or a definition reads the inventory's text
    /// (the buffer or the file) and loads it again only when that text
    /// changed (loading a 24 MB inventory took seconds on every request,
    /// and an inventory with one typo was read twice, with positions the
    /// second time, on every request while it stayed broken).
    pub(crate) inventories: std::cell::RefCell<BTreeMap<PathBuf, ReadInventory>>,
}

/// An inventory as the server last read it: the source it was read from,
/// and the inventory, `None` when it did not load.
pub(crate) type ReadInventory = std::rc::Rc<(
    crate::source::SourceFile,
    Option<crate::inventory::Inventory>,
)>;

fn canonical(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}

impl Server {
    /// Handles one message; true on `exit`.
    fn handle(&mut self, conn: &Connection, msg: Message) -> Result<bool, Error> {
        match msg {
            Message::Request(req) => {
                // `handle_shutdown` answers `shutdown` and waits for `exit`.
                if conn.handle_shutdown(&req)? {
                    return Ok(true);
                }
                let resp = self.request(req);
                conn.sender.send(Message::Response(resp))?;
            }
            Message::Notification(n) => {
                if n.method == "exit" {
                    return Err("exit without shutdown".into());
                }
                self.notification(n);
            }
            Message::Response(_) => {}
        }
        Ok(false)
    }

    fn notification(&mut self, n: Notification) {
        use lt::notification::Notification as _;
        let path_of = |uri: &lt::Uri| uri_to_path(uri).map(|p| canonical(&p));
        match n.method.as_str() {
            lt::notification::DidOpenTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<lt::DidOpenTextDocumentParams>(n.params)
                    && let Some(path) = path_of(&p.text_document.uri)
                {
                    self.docs.insert(path.clone(), p.text_document.text);
                    self.mark(&path);
                }
            }
            lt::notification::DidChangeTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<lt::DidChangeTextDocumentParams>(n.params)
                    && let Some(path) = path_of(&p.text_document.uri)
                    && let Some(change) = p.content_changes.into_iter().last()
                {
                    self.docs.insert(path.clone(), change.text);
                    self.mark(&path);
                }
            }
            lt::notification::DidSaveTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<lt::DidSaveTextDocumentParams>(n.params)
                    && let Some(path) = path_of(&p.text_document.uri)
                {
                    if let Some(text) = p.text {
                        self.docs.insert(path.clone(), text);
                    }
                    self.mark(&path);
                }
            }
            lt::notification::DidCloseTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<lt::DidCloseTextDocumentParams>(n.params)
                    && let Some(path) = path_of(&p.text_document.uri)
                {
                    // The file on disk counts again.
                    self.docs.remove(&path);
                    self.mark(&path);
                }
            }
            _ => {}
        }
    }

    /// Marks the project of `path` for re-checking.
    fn mark(&mut self, path: &Path) {
        if let Some(inv) = project::find_inventory(path) {
            let dir = canonical(inv.parent().unwrap_or(Path::new(".")));
            self.dirty.insert(dir);
        }
    }

    /// The inventory file of `path`'s project.
    pub(crate) fn inventory_of(&self, path: &Path) -> Option<PathBuf> {
        project::find_inventory(path).map(|p| canonical(&p))
    }

    /// The text of `path`: the open buffer, or the file on disk when it is
    /// a regular file within the compiler's input limit, as `check` reads
    /// it (a `lanes.yaml` linked to `/dev/zero` or a pipe would otherwise
    /// fill memory or block the server for good), and UTF-8.
    pub(crate) fn text(&self, path: &Path) -> Option<String> {
        self.docs.get(path).cloned().or_else(|| {
            crate::source::read_limited(path, crate::project::MAX_SOURCE_BYTES)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
        })
    }

    /// Compiles `dir` (a project directory) with the open buffers.
    pub(crate) fn compile(&self, dir: &Path) -> Result<project::Compilation, project::Failure> {
        let today = self.today.unwrap_or_else(|| {
            jiff::Timestamp::now()
                .to_zoned(jiff::tz::TimeZone::UTC)
                .date()
        });
        let mut opts = project::Options::new(vec![dir.to_path_buf()], dir.to_path_buf(), today);
        opts.build = false;
        opts.overlay = self.docs.clone();
        project::compile(&opts)
    }

    /// Re-checks the dirty projects and publishes their diagnostics.
    fn publish(&mut self, conn: &Connection) -> Result<(), Error> {
        for dir in std::mem::take(&mut self.dirty) {
            let mut by_file: BTreeMap<PathBuf, Vec<lt::Diagnostic>> = BTreeMap::new();
            match self.compile(&dir) {
                Ok(outcome) => {
                    for d in &outcome.diagnostics {
                        if d.suppressed.is_some() {
                            continue;
                        }
                        let path = dir.join(&outcome.sources.get(d.file).path);
                        by_file
                            .entry(canonical(&path))
                            .or_default()
                            .push(self.to_lsp(d, &outcome.sources, &dir));
                    }
                }
                Err(failure) => {
                    // Not about a file's content: shown at the top of the inventory.
                    let inv = canonical(&dir.join(INVENTORY_FILE));
                    by_file.entry(inv).or_default().push(lt::Diagnostic {
                        range: lt::Range::default(),
                        severity: Some(lt::DiagnosticSeverity::ERROR),
                        source: Some("lanepolicy".into()),
                        message: failure.to_string(),
                        ..Default::default()
                    });
                }
            }
            let before = self.published.remove(&dir).unwrap_or_default();
            for gone in before.difference(&by_file.keys().cloned().collect()) {
                send_diagnostics(conn, gone, Vec::new())?;
            }
            let now: BTreeSet<PathBuf> = by_file.keys().cloned().collect();
            for (path, diags) in by_file {
                send_diagnostics(conn, &path, diags)?;
            }
            // Open files without findings get an empty list once.
            for open in self.docs.keys() {
                if !now.contains(open)
                    && self
                        .inventory_of(open)
                        .and_then(|i| i.parent().map(Path::to_path_buf))
                        == Some(dir.clone())
                {
                    send_diagnostics(conn, open, Vec::new())?;
                }
            }
            self.published.insert(dir, now);
        }
        Ok(())
    }

    /// One diagnostic in LSP terms: range in UTF-16, severity, code, link
    /// to its documentation, help appended, notes as related information.
    fn to_lsp(&self, d: &Diag, sources: &SourceMap, dir: &Path) -> lt::Diagnostic {
        let src = sources.get(d.file);
        let check = d.check();
        let mut message = d.message.clone();
        if let Some(label) = &d.label {
            message.push_str(&format!(" ({label})"));
        }
        if let Some(help) = &d.help {
            message.push_str(&format!("\nhelp: {help}"));
        }
        let related = d
            .notes
            .iter()
            .filter_map(|n| {
                let f = sources.get(n.file);
                Some(lt::DiagnosticRelatedInformation {
                    location: lt::Location {
                        uri: path_to_uri(&canonical(&dir.join(&f.path)))?,
                        range: source_range(f, n.span),
                    },
                    message: n.label.clone(),
                })
            })
            .collect::<Vec<_>>();
        lt::Diagnostic {
            range: source_range(src, d.span),
            severity: Some(match d.severity {
                Severity::Error => lt::DiagnosticSeverity::ERROR,
                Severity::Warning => lt::DiagnosticSeverity::WARNING,
            }),
            code: Some(lt::NumberOrString::String(check.code.to_string())),
            code_description: format!("{}{}-{}.md", self.docs_url, check.code, check.name)
                .parse()
                .ok()
                .map(|href| lt::CodeDescription { href }),
            source: Some("lanepolicy".into()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            tags: None,
            data: d.help.as_ref().map(|h| serde_json::json!({ "help": h })),
        }
    }

    fn request(&mut self, req: Request) -> Response {
        let id = req.id.clone();
        match features::dispatch(self, req) {
            Ok(value) => Response::new_ok(id, value),
            Err((code, message)) => Response::new_err(id, code as i32, message),
        }
    }
}

fn send_diagnostics(
    conn: &Connection,
    path: &Path,
    diagnostics: Vec<lt::Diagnostic>,
) -> Result<(), Error> {
    use lt::notification::Notification as _;
    let Some(uri) = path_to_uri(path) else {
        return Ok(());
    };
    let params = lt::PublishDiagnosticsParams {
        uri,
        diagnostics,
        version: None,
    };
    conn.sender.send(Message::Notification(Notification::new(
        lt::notification::PublishDiagnostics::METHOD.into(),
        params,
    )))?;
    Ok(())
}

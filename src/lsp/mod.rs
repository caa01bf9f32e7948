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

/// Waits for the `initialize` request and gives its id and parameters. A
/// request before it is answered `-32002` ServerNotInitialized, naming its
/// method (at most 64 characters of it, never its parameters: a megabyte
/// sent early is not echoed back); a notification or a response before it
/// is dropped.
///
/// # Errors
/// When input ends, or `exit` comes, before `initialize`.
fn await_initialize(
    connection: &Connection,
) -> Result<(lsp_server::RequestId, serde_json::Value), Error> {
    for msg in &connection.receiver {
        match msg {
            Message::Request(req) if req.method == "initialize" => return Ok((req.id, req.params)),
            Message::Request(req) => {
                let message = format!(
                    "the server is not initialized: `{}` came before `initialize`",
                    transport::brief(&req.method)
                );
                connection.sender.send(Message::Response(Response::new_err(
                    req.id,
                    lsp_server::ErrorCode::ServerNotInitialized as i32,
                    message,
                )))?;
            }
            Message::Notification(n) if n.method == "exit" => {
                return Err("exit before initialize".into());
            }
            Message::Notification(_) | Message::Response(_) => {}
        }
    }
    Err("the input ended before initialize".into())
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
    let (id, params) = await_initialize(&connection)?;
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
        // A base without its final `/` would run into the page's name.
        .map(|u| {
            if u.ends_with('/') {
                u.to_string()
            } else {
                format!("{u}/")
            }
        })
        .unwrap_or_else(|| DEFAULT_DOCS_URL.to_string());
    let mut server = Server {
        shut_down: false,
        docs: BTreeMap::new(),
        versions: BTreeMap::new(),
        uris: BTreeMap::new(),
        dirty: BTreeSet::new(),
        orphans: BTreeSet::new(),
        published: BTreeMap::new(),
        docs_url,
        today: None,
        inventories: Default::default(),
    };
    if let Some(given) = params
        .initialization_options
        .as_ref()
        .and_then(|o| o.get("today"))
    {
        match given.as_str().and_then(|s| s.parse().ok()) {
            Some(today) => server.today = Some(today),
            // Checked as of today instead, and the client is told so: a
            // date it meant to pin (a test, a review of a future date)
            // silently replaced would show other findings.
            None => {
                let warning = lt::ShowMessageParams {
                    typ: lt::MessageType::WARNING,
                    message: format!(
                        "lanepolicy: initializationOptions.today {given} is not a date (YYYY-MM-DD); checking as of today"
                    ),
                };
                connection
                    .sender
                    .send(Message::Notification(Notification::new(
                        <lt::notification::ShowMessage as lt::notification::Notification>::METHOD
                            .to_string(),
                        warning,
                    )))?;
            }
        }
    }
    loop {
        let msg = match connection.receiver.recv() {
            Ok(msg) => msg,
            // The client went away after `shutdown`: as good as `exit`.
            Err(_) if server.shut_down => return Ok(()),
            Err(e) => return Err(e.into()),
        };
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
    /// True once `shutdown` was answered: then only `exit` is expected.
    shut_down: bool,
    /// Open documents' text, by canonical path.
    pub(crate) docs: BTreeMap<PathBuf, String>,
    /// The URI the editor opened each open document by, by canonical
    /// path: diagnostics go to it, not to the canonical path's URI (a
    /// project opened through a symbolic link, or macOS's `/tmp`, would
    /// see none in the buffer being edited).
    pub(crate) uris: BTreeMap<PathBuf, lt::Uri>,
    /// The version of each open document, as the editor last numbered it:
    /// a change numbered below it came late and is not applied (the
    /// protocol's versions only grow; a stale whole text replaced a newer
    /// one).
    versions: BTreeMap<PathBuf, i32>,
    /// Projects (inventory directories) to re-check.
    dirty: BTreeSet<PathBuf>,
    /// Policy files changed with no `lanes.yaml` above them: an open one
    /// is told so, as `check` would tell it; a closed one is cleared.
    orphans: BTreeSet<PathBuf>,
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

/// `p` with its links resolved. A file not yet on disk (a new buffer) is
/// its directory's canonical path and its name, so that a new file under
/// a linked directory belongs to the project the directory resolves to.
pub(crate) fn canonical(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(
        |_| match (p.parent().map(Path::canonicalize), p.file_name()) {
            (Some(Ok(dir)), Some(name)) => dir.join(name),
            _ => p.to_path_buf(),
        },
    )
}

impl Server {
    /// A server with nothing open, for tests.
    #[cfg(test)]
    pub(crate) fn empty() -> Server {
        Server {
            shut_down: false,
            docs: Default::default(),
            versions: Default::default(),
            uris: Default::default(),
            dirty: Default::default(),
            orphans: Default::default(),
            published: Default::default(),
            docs_url: String::new(),
            today: None,
            inventories: Default::default(),
        }
    }

    /// Handles one message; true on `exit`.
    fn handle(&mut self, conn: &Connection, msg: Message) -> Result<bool, Error> {
        match msg {
            Message::Request(req) => {
                // After `shutdown`, a request is an error (the protocol's
                // InvalidRequest) and the server waits for `exit`, however
                // long: a client may still send a request or a
                // `$/cancelRequest` on its way out.
                let resp = if self.shut_down {
                    Response::new_err(
                        req.id,
                        lsp_server::ErrorCode::InvalidRequest as i32,
                        "the server is shut down; only `exit` is expected".into(),
                    )
                } else if req.method == "shutdown" {
                    self.shut_down = true;
                    Response::new_ok(req.id, ())
                } else {
                    self.request(req)
                };
                conn.sender.send(Message::Response(resp))?;
            }
            Message::Notification(n) => {
                if n.method == "exit" {
                    return if self.shut_down {
                        Ok(true)
                    } else {
                        Err("exit without shutdown".into())
                    };
                }
                if !self.shut_down
                    && let Some(warning) = self.notification(n)
                {
                    use lt::notification::Notification as _;
                    let params = lt::LogMessageParams {
                        typ: lt::MessageType::WARNING,
                        message: warning,
                    };
                    conn.sender.send(Message::Notification(Notification::new(
                        lt::notification::LogMessage::METHOD.to_string(),
                        params,
                    )))?;
                }
            }
            Message::Response(_) => {}
        }
        Ok(false)
    }

    /// Handles a notification; gives a warning for the client's log when
    /// a document's open, change, save or close does not read (negative or
    /// fractional positions, a range without its end): the server's text of
    /// that document may then differ from the editor's.
    fn notification(&mut self, n: Notification) -> Option<String> {
        use lt::notification::Notification as _;
        let path_of = |uri: &lt::Uri| uri_to_path(uri).map(|p| canonical(&p));
        let unread = |e: serde_json::Error| {
            Some(format!(
                "lanepolicy: `{}` does not read ({}); the server's copy of the document may differ from the editor's until it is saved or reopened",
                n.method,
                transport::brief(&e.to_string())
            ))
        };
        match n.method.as_str() {
            lt::notification::DidOpenTextDocument::METHOD => {
                let p = match serde_json::from_value::<lt::DidOpenTextDocumentParams>(n.params) {
                    Ok(p) => p,
                    Err(e) => return unread(e),
                };
                if let Some(path) = path_of(&p.text_document.uri) {
                    self.versions.insert(path.clone(), p.text_document.version);
                    self.docs.insert(path.clone(), p.text_document.text);
                    self.uris.insert(path.clone(), p.text_document.uri);
                    self.mark(&path);
                }
            }
            lt::notification::DidChangeTextDocument::METHOD => {
                let p = match serde_json::from_value::<lt::DidChangeTextDocumentParams>(n.params) {
                    Ok(p) => p,
                    Err(e) => return unread(e),
                };
                let version = p.text_document.version;
                let path = path_of(&p.text_document.uri);
                if let Some(&last) = path.as_ref().and_then(|p| self.versions.get(p))
                    && version < last
                {
                    return Some(format!(
                        "lanepolicy: a change to version {version} of {} came after version {last} and is not applied",
                        transport::brief(p.text_document.uri.as_str())
                    ));
                }
                if let Some(path) = path
                    && !p.content_changes.is_empty()
                    // A document the editor never opened has no buffer to
                    // change: the file on disk stays what counts.
                    && let Some(text) = self.docs.remove(&path)
                {
                    let text = apply_changes(text, p.content_changes);
                    self.versions.insert(path.clone(), version);
                    self.docs.insert(path.clone(), text);
                    self.mark(&path);
                }
            }
            lt::notification::DidSaveTextDocument::METHOD => {
                let p = match serde_json::from_value::<lt::DidSaveTextDocumentParams>(n.params) {
                    Ok(p) => p,
                    Err(e) => return unread(e),
                };
                if let Some(path) = path_of(&p.text_document.uri) {
                    if let Some(text) = p.text {
                        self.docs.insert(path.clone(), text);
                    }
                    self.mark(&path);
                }
            }
            lt::notification::DidCloseTextDocument::METHOD => {
                let p = match serde_json::from_value::<lt::DidCloseTextDocumentParams>(n.params) {
                    Ok(p) => p,
                    Err(e) => return unread(e),
                };
                if let Some(path) = path_of(&p.text_document.uri) {
                    // The file on disk counts again.
                    self.docs.remove(&path);
                    self.versions.remove(&path);
                    self.uris.remove(&path);
                    self.mark(&path);
                }
            }
            _ => {}
        }
        None
    }

    /// Marks the project of `path` for re-checking.
    fn mark(&mut self, path: &Path) {
        match project::find_inventory(path) {
            Some(inv) => {
                let dir = canonical(inv.parent().unwrap_or(Path::new(".")));
                self.dirty.insert(dir);
            }
            None if project::is_policy_file(path) => {
                self.orphans.insert(path.to_path_buf());
            }
            None => {}
        }
        // The projects that last published diagnostics for the file are
        // checked again too: its `lanes.yaml` may be gone, or another
        // nearer, and their diagnostics on it would otherwise stay.
        let stale: Vec<PathBuf> = self
            .published
            .iter()
            .filter(|(_, files)| files.contains(path))
            .map(|(dir, _)| dir.clone())
            .collect();
        self.dirty.extend(stale);
    }

    /// The inventory file of `path`'s project.
    pub(crate) fn inventory_of(&self, path: &Path) -> Option<PathBuf> {
        project::find_inventory(path).map(|p| canonical(&p))
    }

    /// The URI of the file at canonical `path`: the one the editor opened
    /// it by, or the path's own.
    pub(crate) fn uri_of(&self, path: &Path) -> Option<lt::Uri> {
        self.uris.get(path).cloned().or_else(|| path_to_uri(path))
    }

    /// Whether the text of `path` (the open buffer, or the file on disk)
    /// starts with a byte order mark.
    fn starts_with_bom(&self, path: &Path) -> bool {
        match self.docs.get(path) {
            Some(text) => text.starts_with('\u{FEFF}'),
            None => {
                let mut head = [0u8; 3];
                std::fs::File::open(path)
                    .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
                    .is_ok_and(|()| head == [0xEF, 0xBB, 0xBF])
            }
        }
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
        opts.overlay = self.overlay_for(dir);
        project::compile(&opts)
    }

    /// The open buffers project `dir` can read: those under its directory,
    /// and policy files anywhere (a linked directory's). Every open buffer
    /// was copied on each keystroke: eight unrelated 55 MB YAML files open
    /// made each check of a small policy 170 ms slower.
    fn overlay_for(&self, dir: &Path) -> BTreeMap<PathBuf, String> {
        self.docs
            .iter()
            .filter(|(path, _)| path.starts_with(dir) || project::is_policy_file(path))
            .map(|(path, text)| (path.clone(), text.clone()))
            .collect()
    }

    /// Re-checks the dirty projects and publishes their diagnostics.
    fn publish(&mut self, conn: &Connection) -> Result<(), Error> {
        for dir in std::mem::take(&mut self.dirty) {
            let mut by_file: BTreeMap<PathBuf, Vec<lt::Diagnostic>> = BTreeMap::new();
            match self.compile(&dir) {
                Ok(outcome) => {
                    // Which files start with a byte order mark in the
                    // editor (or on disk): the compiler's positions are
                    // those of the text without it.
                    let marked: Vec<bool> = outcome
                        .sources
                        .files()
                        .iter()
                        .map(|f| self.starts_with_bom(&canonical(&dir.join(&f.path))))
                        .collect();
                    for d in &outcome.diagnostics {
                        if d.suppressed.is_some() {
                            continue;
                        }
                        let path = dir.join(&outcome.sources.get(d.file).path);
                        by_file
                            .entry(canonical(&path))
                            .or_default()
                            .push(self.to_lsp(d, &outcome.sources, &dir, &marked));
                    }
                }
                Err(failure) => {
                    // Not about a file's content: shown at the top of the
                    // inventory. A project whose inventory is gone (from
                    // disk and from the editor) is no project: its
                    // diagnostics are cleared, and none is published to a
                    // file that does not exist.
                    let inv = canonical(&dir.join(INVENTORY_FILE));
                    if !self.docs.contains_key(&inv) && !inv.exists() {
                        by_file.clear();
                    } else {
                        by_file.entry(inv).or_default().push(lt::Diagnostic {
                            range: lt::Range::default(),
                            severity: Some(lt::DiagnosticSeverity::ERROR),
                            source: Some("lanepolicy".into()),
                            message: failure.to_string(),
                            ..Default::default()
                        });
                    }
                }
            }
            let before = self.published.remove(&dir).unwrap_or_default();
            for gone in before.difference(&by_file.keys().cloned().collect()) {
                send_diagnostics(conn, self.uri_of(gone), Vec::new())?;
            }
            let now: BTreeSet<PathBuf> = by_file.keys().cloned().collect();
            for (path, diags) in by_file {
                send_diagnostics(conn, self.uri_of(&path), diags)?;
            }
            // Open files without findings get an empty list once.
            for open in self.docs.keys() {
                if !now.contains(open)
                    && self
                        .inventory_of(open)
                        .and_then(|i| i.parent().map(Path::to_path_buf))
                        == Some(dir.clone())
                {
                    send_diagnostics(conn, self.uri_of(open), Vec::new())?;
                }
            }
            self.published.insert(dir, now);
        }
        // Last: a project whose inventory is gone cleared the file above.
        for path in std::mem::take(&mut self.orphans) {
            // A project found since publishes for the file itself.
            if project::find_inventory(&path).is_some() {
                continue;
            }
            let diags = if self.docs.contains_key(&path) {
                vec![lt::Diagnostic {
                    range: lt::Range::default(),
                    severity: Some(lt::DiagnosticSeverity::ERROR),
                    source: Some("lanepolicy".into()),
                    message: format!(
                        "no {INVENTORY_FILE} found beside this file or in any directory above it: a policy is checked against its project's inventory"
                    ),
                    ..Default::default()
                }]
            } else {
                Vec::new()
            };
            send_diagnostics(conn, self.uri_of(&path), diags)?;
        }
        Ok(())
    }

    /// One diagnostic in LSP terms: range in UTF-16, severity, code, link
    /// to its documentation, help appended, notes as related information.
    fn to_lsp(&self, d: &Diag, sources: &SourceMap, dir: &Path, marked: &[bool]) -> lt::Diagnostic {
        let range = |file: usize, span| {
            after_bom(
                source_range(sources.get(file), span),
                marked.get(file).copied().unwrap_or(false),
            )
        };
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
                        uri: self.uri_of(&canonical(&dir.join(&f.path)))?,
                        range: range(n.file, n.span),
                    },
                    message: n.label.clone(),
                })
            })
            .collect::<Vec<_>>();
        lt::Diagnostic {
            range: range(d.file, d.span),
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
            // The help, for quick fixes, and the text the finding is
            // about (short spans only), so that a quick fix asked for a
            // diagnostic the text has since moved under edits nothing.
            data: d.help.as_ref().map(|h| {
                let text = sources
                    .get(d.file)
                    .text
                    .get(d.span.start..d.span.end)
                    .filter(|t| t.len() <= MAX_FIXED_TEXT);
                match text {
                    Some(t) => serde_json::json!({ "help": h, "text": t }),
                    None => serde_json::json!({ "help": h }),
                }
            }),
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

/// The longest text a diagnostic's `data` carries for its quick fix to
/// check against, in bytes: names and patterns are far shorter.
pub(crate) const MAX_FIXED_TEXT: usize = 1024;

/// The text after `changes`, in order. The server asks for whole texts
/// (full sync), but a change with a range replaces only that range (its
/// positions in UTF-16, clamped to the text), as the protocol defines it:
/// a client that sends ranges anyway would otherwise leave the server
/// checking a fragment.
fn apply_changes(mut text: String, changes: Vec<lt::TextDocumentContentChangeEvent>) -> String {
    for change in changes {
        match change.range {
            None => text = change.text,
            Some(range) => {
                let start = convert::position_to_offset(&text, range.start);
                let end = convert::position_to_offset(&text, range.end).max(start);
                text.replace_range(start..end, &change.text);
            }
        }
    }
    text
}

fn send_diagnostics(
    conn: &Connection,
    uri: Option<lt::Uri>,
    diagnostics: Vec<lt::Diagnostic>,
) -> Result<(), Error> {
    use lt::notification::Notification as _;
    let Some(uri) = uri else {
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

/// `range`, computed on a text without its byte order mark, in the text
/// with it when `bom`: one UTF-16 unit later on the first line (the mark is
/// U+FEFF, which an editor counts), so that a quick fix edits what its
/// diagnostic marks.
fn after_bom(range: lt::Range, bom: bool) -> lt::Range {
    let shift = |p: lt::Position| {
        if bom && p.line == 0 {
            lt::Position::new(0, p.character + 1)
        } else {
            p
        }
    };
    lt::Range::new(shift(range.start), shift(range.end))
}

#[cfg(test)]
mod tests {
    use super::Server;
    use lsp_types as lt;
    use std::path::PathBuf;

    /// Ranged changes replace their range (UTF-16 positions), in order;
    /// a change without a range replaces the whole text.
    #[test]
    fn changes_with_ranges_edit_the_text_in_order() {
        let change = |range: Option<((u32, u32), (u32, u32))>, text: &str| {
            lt::TextDocumentContentChangeEvent {
                range: range.map(|((l0, c0), (l1, c1))| {
                    lt::Range::new(lt::Position::new(l0, c0), lt::Position::new(l1, c1))
                }),
                range_length: None,
                text: text.into(),
            }
        };
        let text = "allow deplyo on cm/testing\n// 😀 note\n".to_string();
        let edited = super::apply_changes(
            text,
            vec![
                change(Some(((0, 6), (0, 12))), "deploy"),
                // After the emoji (two UTF-16 units): ` note` becomes `!`.
                change(Some(((1, 5), (1, 10))), "!"),
                // Past the end clamps to the end.
                change(Some(((9, 0), (9, 4))), "deny deploy on cm/prod\n"),
            ],
        );
        assert_eq!(
            edited,
            "allow deploy on cm/testing\n// 😀!\ndeny deploy on cm/prod\n"
        );
        assert_eq!(
            super::apply_changes(
                edited,
                vec![change(None, "x"), change(Some(((0, 1), (0, 1))), "y")]
            ),
            "xy"
        );
    }

    /// A project's check reads the open buffers under its directory and
    /// policy buffers anywhere, not every open buffer (a large YAML file of
    /// another project was copied on each keystroke).
    #[test]
    fn a_project_reads_its_own_buffers() {
        let mut server = Server::empty();
        for path in [
            "/p/lanes.yaml",
            "/p/policies/a.policy",
            "/elsewhere/linked.policy",
            "/q/lanes.yaml",
            "/q/big.yaml",
            "/pq/other.yaml",
        ] {
            server.docs.insert(PathBuf::from(path), String::new());
        }
        let read: Vec<PathBuf> = server
            .overlay_for(std::path::Path::new("/p"))
            .into_keys()
            .collect();
        let expected: Vec<PathBuf> = [
            "/elsewhere/linked.policy",
            "/p/lanes.yaml",
            "/p/policies/a.policy",
        ]
        .into_iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(read, expected);
    }
}

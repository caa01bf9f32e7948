//! `lanepolicy lsp` driven over stdio with JSON-RPC (Content-Length
//! framing), as an editor does.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

struct Client {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
    next_id: i64,
}

fn uri(p: &Path) -> String {
    lanepolicy::lsp::path_to_uri(p)
        .unwrap()
        .as_str()
        .to_string()
}

impl Client {
    fn start(root: &Path) -> Client {
        Client::start_with(
            root,
            json!({"today": "2026-11-29", "docsUrl": "https://example.com/rules/"}),
        )
    }

    /// A session initialized with `options` as `initializationOptions`.
    fn start_with(root: &Path, options: Value) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lanepolicy"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut len = 0usize;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        len = n.parse().unwrap();
                    }
                }
                let mut body = vec![0; len];
                r.read_exact(&mut body).unwrap();
                if tx.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        let mut c = Client {
            child,
            stdin,
            rx,
            next_id: 0,
        };
        let init = c.request(
            "initialize",
            json!({
                "capabilities": {},
                "rootUri": uri(root),
                "initializationOptions": options
            }),
        );
        assert_eq!(init["capabilities"]["hoverProvider"], json!(true));
        c.notify("initialized", json!({}));
        c
    }

    /// `shutdown`, then `exit`: the server ends with 0.
    fn finish(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        assert_eq!(self.child.wait().unwrap().code(), Some(0));
    }

    fn send(&mut self, msg: Value) {
        let body = msg.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{}", body.len(), body).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn recv(&self) -> Value {
        self.rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the server answers within 30 s")
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let m = self.recv();
            if m["id"] == json!(id) {
                assert!(m.get("error").is_none(), "{m}");
                return m["result"].clone();
            }
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        loop {
            let m = self.recv();
            if m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri {
                return m["params"]["diagnostics"].as_array().unwrap().clone();
            }
        }
    }
}

fn codes(diags: &[Value]) -> Vec<String> {
    diags
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

fn project() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let inv = root.join("lanes.yaml");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check/lanes.yaml"),
        &inv,
    )
    .unwrap();
    let policy = root.join("a.policy");
    std::fs::write(&policy, CLEAN).unwrap();
    (dir, inv, policy)
}

const CLEAN: &str = "allow deploy on hq/stag* until 2027-03-01 issue=#12\n";

#[test]
fn a_session_from_initialize_to_exit() {
    let (_dir, inv, policy) = project();
    let mut c = Client::start(inv.parent().unwrap());
    let p = uri(&policy);
    c.open(&p, CLEAN);
    assert_eq!(c.diagnostics(&p), Vec::<Value>::new());

    // An unsaved typo: the diagnostic of `check`, at its place.
    let typo = "// é😀\nallow deplyo on hq/stag* until 2027-03-01 issue=#12\n";
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": p, "version": 2}, "contentChanges": [{"text": typo}]}),
    );
    let d = c.diagnostics(&p);
    assert_eq!(codes(&d), ["E101"]);
    // Line 1, after `allow ` (UTF-16 units; the comment line's characters do not count).
    assert_eq!(
        d[0]["range"],
        json!({"start": {"line": 1, "character": 6}, "end": {"line": 1, "character": 12}})
    );
    assert_eq!(d[0]["severity"], json!(1));
    assert_eq!(
        d[0]["codeDescription"]["href"],
        "https://example.com/rules/E101-unknown-action.md"
    );
    assert_eq!(
        d[0]["message"],
        "unknown action `deplyo` (not declared in the inventory)\nhelp: did you mean `deploy`?"
    );

    // The quick fix from the help.
    let actions = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": p}, "range": d[0]["range"], "context": {"diagnostics": d}}),
    );
    assert_eq!(actions[0]["title"], "Replace with `deploy`");
    assert_eq!(actions[0]["edit"]["changes"][&p][0]["newText"], "deploy");
    assert_eq!(actions[0]["edit"]["changes"][&p][0]["range"], d[0]["range"]);

    // Hover, definition, completion on the fixed text.
    let text = "allow deploy on hq/stag* until 2027-03-01 issue=#12\n";
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": p, "version": 3}, "contentChanges": [{"text": text}]}),
    );
    assert_eq!(c.diagnostics(&p), Vec::<Value>::new());
    let at = |line: u32, character: u32| json!({"textDocument": {"uri": p}, "position": {"line": line, "character": character}});
    let h = c.request("textDocument/hover", at(0, 8));
    assert_eq!(
        h["contents"]["value"],
        "**deploy**: operation `deploy`, not destructive"
    );
    let h = c.request("textDocument/hover", at(0, 18));
    let v = h["contents"]["value"].as_str().unwrap();
    assert!(
        v.starts_with("`hq/stag*` matches 1 lane(s)\n\n- `hq/staging`: product"),
        "{v}"
    );
    // hq/staging is live but neither production nor authoritative.
    assert!(v.trim_end().ends_with(", not protected"), "{v}");
    let h = c.request("textDocument/hover", at(0, 50));
    assert_eq!(
        h["contents"]["value"],
        "https://github.com/cbusillo/launchplane/issues/12"
    );

    let def = c.request("textDocument/definition", at(0, 8));
    assert_eq!(def[0]["uri"], uri(&inv));
    let inv_text = std::fs::read_to_string(&inv).unwrap();
    let line = inv_text
        .lines()
        .position(|l| l.trim_start().starts_with("deploy:"))
        .unwrap();
    assert_eq!(def[0]["range"]["start"]["line"], json!(line));

    let comp = c.request("textDocument/completion", at(0, 0));
    let labels: Vec<&str> = comp
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    for want in [
        "until",
        "issue=",
        "deploy",
        "empty_bootstrap",
        "cm/testing",
        "cm/*",
        "backup_proof",
    ] {
        assert!(labels.contains(&want), "{want} in {labels:?}");
    }
    // Events only of the products the rule touches: hq has none.
    assert!(!labels.contains(&"launch"), "{labels:?}");

    let syms = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": p}}),
    );
    assert_eq!(syms[0]["name"], "allow deploy on hq/stag*");

    // Formatting: the library formatter's layout as one edit.
    let messy = "allow   deploy on hq/stag*   until 2027-03-01 issue=#12\n";
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": p, "version": 4}, "contentChanges": [{"text": messy}]}),
    );
    let edits = c.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": p}, "options": {"tabSize": 4, "insertSpaces": true}}),
    );
    assert_eq!(
        edits[0]["newText"],
        lanepolicy::fmt::format_source(messy).unwrap()
    );
    assert_eq!(
        edits[0]["range"],
        json!({"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}})
    );

    let shutdown = c.request("shutdown", Value::Null);
    assert_eq!(shutdown, Value::Null);
    c.notify("exit", Value::Null);
    let status = c.child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn editing_the_inventory_rechecks_open_policies() {
    let (_dir, inv, policy) = project();
    let mut c = Client::start(inv.parent().unwrap());
    let p = uri(&policy);
    c.open(&p, CLEAN);
    assert_eq!(c.diagnostics(&p), Vec::<Value>::new());
    // The unsaved inventory renames the action: the policy now names an unknown one.
    let text = std::fs::read_to_string(&inv)
        .unwrap()
        .replace("  deploy:", "  ship:");
    let i = uri(&inv);
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": i, "languageId": "yaml", "version": 1, "text": text}}),
    );
    let d = c.diagnostics(&p);
    assert_eq!(codes(&d), ["E101"]);
    assert_eq!(
        d[0]["range"],
        json!({"start": {"line": 0, "character": 6}, "end": {"line": 0, "character": 12}})
    );
    // Closing it without saving: the file on disk counts again.
    c.notify("textDocument/didClose", json!({"textDocument": {"uri": i}}));
    assert_eq!(c.diagnostics(&p), Vec::<Value>::new());
    c.finish();
}

/// Quick fixes write text that checks: the `until` skeleton names an
/// event the rule's product declares (none is offered without one), the
/// `confirm=` skeleton only the language's placeholders, a suppression of
/// a rule that shares its line goes on a line of its own before that rule,
/// and a "did you mean" fix for a diagnostic the text has moved under
/// since edits nothing.
#[test]
fn quick_fixes_write_text_that_checks() {
    let (_dir, inv, policy) = project();
    let mut c = Client::start(inv.parent().unwrap());
    let p = uri(&policy);
    // Each text in a buffer of its own, not on disk: its first diagnostics
    // are of that text, never of the one before.
    let mut n = 0;
    let mut fixes = |c: &mut Client, text: &str| -> Vec<(String, Vec<String>, Value)> {
        n += 1;
        let p = uri(&inv.parent().unwrap().join(format!("new{n}.policy")));
        c.open(&p, text);
        let d = c.diagnostics(&p);
        let mut out = Vec::new();
        for one in &d {
            let actions = c.request(
                "textDocument/codeAction",
                json!({"textDocument": {"uri": p}, "range": one["range"], "context": {"diagnostics": [one]}}),
            );
            for a in actions.as_array().unwrap() {
                let mut edited = text.to_string();
                let edit = &a["edit"]["changes"][&p][0];
                let offset = |pos: &Value| {
                    let line = pos["line"].as_u64().unwrap() as usize;
                    let ch = pos["character"].as_u64().unwrap() as usize;
                    text.split_inclusive('\n')
                        .take(line)
                        .map(str::len)
                        .sum::<usize>()
                        + ch
                };
                let (a0, b0) = (
                    offset(&edit["range"]["start"]),
                    offset(&edit["range"]["end"]),
                );
                edited.replace_range(a0..b0, edit["newText"].as_str().unwrap());
                let dir = tempfile::tempdir().unwrap();
                std::fs::copy(&inv, dir.path().join("lanes.yaml")).unwrap();
                std::fs::write(dir.path().join("a.policy"), &edited).unwrap();
                let out_json = std::process::Command::new(env!("CARGO_BIN_EXE_lanepolicy"))
                    .args(["check", "--format", "json", "--today", "2026-11-29"])
                    .arg(dir.path())
                    .output()
                    .unwrap();
                let after: Vec<Value> = serde_json::from_slice(&out_json.stdout).unwrap();
                // What still shows: suppressed findings are listed apart.
                let shown: Vec<Value> = after
                    .into_iter()
                    .filter(|d| d["suppression"].is_null())
                    .collect();
                out.push((
                    a["title"].as_str().unwrap().to_string(),
                    codes(&shown),
                    Value::String(edited),
                ));
            }
        }
        c.notify("textDocument/didClose", json!({"textDocument": {"uri": p}}));
        out
    };

    // opw's event is `cutover`; `launch` would be E103.
    let got = fixes(&mut c, "allow upstream_restore on opw/testing issue=#1\n");
    let until = got
        .iter()
        .find(|f| f.0.starts_with("Add `until"))
        .expect("an until fix");
    assert_eq!(until.0, "Add `until cutover`");
    assert!(!until.1.iter().any(|c| c.starts_with('E')), "{until:?}");
    let confirm = got
        .iter()
        .find(|f| f.0.starts_with("Add `confirm"))
        .expect("a confirm fix");
    assert_eq!(
        confirm.0,
        "Add `confirm=\"upstream_restore {context} {instance}\"`"
    );
    assert!(!confirm.1.iter().any(|c| c.starts_with('E')), "{confirm:?}");
    // hq declares no event: no `until` skeleton.
    let got = fixes(&mut c, "allow deploy on hq/staging issue=#1\n");
    assert!(
        !got.iter().any(|f| f.0.starts_with("Add `until")),
        "{got:?}"
    );

    // Two rules on one line; the second's L001 suppressed, not the first's.
    let got = fixes(
        &mut c,
        "allow deploy on hq/staging until 2027-01-01 issue=#2 allow deploy on hq/prod until 2027-01-01\n",
    );
    let sup = got
        .iter()
        .find(|f| f.0 == "Suppress L001 for this rule (give the reason)")
        .unwrap_or_else(|| panic!("a suppression: {got:?}"));
    assert!(
        !sup.1.contains(&"L001".to_string()) && !sup.1.contains(&"L014".to_string()),
        "{sup:?}"
    );
    assert_eq!(
        sup.2,
        "allow deploy on hq/staging until 2027-01-01 issue=#2 \n// lanepolicy: ignore L001 reason=\"TODO: why\"\nallow deploy on hq/prod until 2027-01-01\n"
    );

    // A diagnostic from before an edit: its range now holds other text.
    c.open(
        &p,
        "allow deplyo on hq/staging until 2027-03-01 issue=#12\n",
    );
    let d = c.diagnostics(&p);
    assert_eq!(codes(&d), ["E101"]);
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": p, "version": 2}, "contentChanges": [{"text": "allow deploy on hq/staging until 2027-03-01 issue=#12\n"}]}),
    );
    let mut stale = d[0].clone();
    stale["range"] =
        json!({"start": {"line": 0, "character": 16}, "end": {"line": 0, "character": 26}});
    let actions = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": p}, "range": stale["range"], "context": {"diagnostics": [stale]}}),
    );
    assert!(
        !actions
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["title"].as_str().unwrap().starts_with("Replace")),
        "{actions}"
    );
    // The same diagnostic on its own text still gets its fix.
    let fresh = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": p}, "range": d[0]["range"], "context": {"diagnostics": d}}),
    );
    assert!(
        fresh.as_array().unwrap().is_empty(),
        "the text no longer holds `deplyo`: {fresh}"
    );
    c.finish();
}

#[test]
fn clause_skeletons_suppressions_and_check_docs() {
    let (_dir, inv, policy) = project();
    let mut c = Client::start(inv.parent().unwrap());
    let p = uri(&policy);
    let text = "allow deploy on hq/staging until 2027-03-01\n";
    c.open(&p, text);
    let d = c.diagnostics(&p);
    assert_eq!(codes(&d), ["L001"]);
    assert_eq!(d[0]["severity"], json!(1)); // L001 is an error by default
    let actions = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": p}, "range": d[0]["range"], "context": {"diagnostics": d}}),
    );
    let titles: Vec<&str> = actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Add `issue=#`",
            "Suppress L001 for this rule (give the reason)"
        ]
    );
    let add = &actions[0]["edit"]["changes"][&p][0];
    assert_eq!(add["newText"], " issue=#");
    assert_eq!(add["range"]["start"], json!({"line": 0, "character": 43}));
    let suppress = &actions[1]["edit"]["changes"][&p][0];
    assert_eq!(
        suppress["newText"],
        "// lanepolicy: ignore L001 reason=\"TODO: why\"\n"
    );
    assert_eq!(
        suppress["range"]["start"],
        json!({"line": 0, "character": 0})
    );

    // Hover on a check code in a suppression comment: its documentation.
    let text = "// lanepolicy: ignore L001 reason=\"tracked elsewhere\"\nallow deploy on hq/staging until 2027-03-01\n";
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": p, "version": 2}, "contentChanges": [{"text": text}]}),
    );
    assert_eq!(c.diagnostics(&p), Vec::<Value>::new());
    let h = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": p}, "position": {"line": 0, "character": 23}}),
    );
    let doc = h["contents"]["value"].as_str().unwrap();
    assert!(doc.starts_with("L001 missing-issue"), "{doc}");

    // Placeholders inside confirm="...".
    let text = "allow empty_bootstrap on cm/testing until launch issue=#1 confirm=\"boot {\n";
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": p, "version": 3}, "contentChanges": [{"text": text}]}),
    );
    let comp = c.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": p}, "position": {"line": 0, "character": 73}}),
    );
    let labels: Vec<&str> = comp
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["{product}", "{context}", "{instance}", "{lane}"]);

    // Inside a comment: nothing.
    let text = "// allow de\nallow deploy on hq/stag* until 2027-03-01 issue=#12\n";
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": p, "version": 4}, "contentChanges": [{"text": text}]}),
    );
    let comp = c.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": p}, "position": {"line": 0, "character": 11}}),
    );
    assert_eq!(comp, json!([]));

    // Just after a character of more than one byte, at every position of
    // the line and the next: a list, never a crash.
    let text = "deny deploy on cm/prod reason=\"é\nallow dé";
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": p, "version": 5}, "contentChanges": [{"text": text}]}),
    );
    for (line, last) in [(0u32, 32u32), (1, 8)] {
        for character in 0..=last {
            let comp = c.request(
                "textDocument/completion",
                json!({"textDocument": {"uri": p}, "position": {"line": line, "character": character}}),
            );
            assert!(comp.is_array(), "{line}:{character}: {comp}");
        }
    }
    c.finish();
}

impl Client {
    /// Writes raw bytes, framing included.
    fn raw(&mut self, bytes: &[u8]) {
        self.stdin.write_all(bytes).unwrap();
        self.stdin.flush().unwrap();
    }

    /// Opens `uri` in the editor at version 1 with `text`.
    fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "lanepolicy", "version": 1, "text": text}}),
        );
    }

    /// The text of the next `window/logMessage`.
    fn log_message(&mut self) -> String {
        loop {
            let m = self.recv();
            if m["method"] == "window/logMessage" {
                return m["params"]["message"].as_str().unwrap().to_string();
            }
        }
    }

    /// The next response that carries an error.
    fn next_error(&mut self) -> Value {
        loop {
            let m = self.recv();
            if m.get("error").is_some() {
                return m;
            }
        }
    }
}

#[test]
fn malformed_messages_are_answered_and_the_server_reads_on() {
    let (_dir, inv, policy) = project();
    let mut c = Client::start(inv.parent().unwrap());
    let framed = |body: &str| format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes();
    for (bytes, code, id) in [
        (framed("{bad}"), -32700, Value::Null),
        (framed("[]"), -32600, Value::Null),
        (framed("{\"jsonrpc\":\"2.0\"}"), -32600, Value::Null),
        (framed("\"method\""), -32600, Value::Null),
        (
            framed("{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"textDocument/hover\"}"),
            -32600,
            Value::Null,
        ),
        (
            framed(
                "{\"jsonrpc\":\"2.0\",\"method\":\"textDocument/didChange\",\"params\":{\"text\":\"\\ud800\"}}",
            ),
            -32700,
            Value::Null,
        ),
        (b"Content-Length: abc\r\n\r\n".to_vec(), -32700, Value::Null),
        (b"X-Other: 1\r\n\r\n".to_vec(), -32700, Value::Null),
        // A header line of a megabyte is skipped to its end, not held.
        (
            [vec![b'X'; 1 << 20], b"\r\n\r\n".to_vec()].concat(),
            -32700,
            Value::Null,
        ),
        (
            framed("{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"shutdown\"}"),
            -32600,
            Value::Null,
        ),
        (
            framed("{\"jsonrpc\":\"2.0\",\"id\":18446744073709551616,\"method\":\"shutdown\"}"),
            -32600,
            Value::Null,
        ),
    ] {
        c.raw(&bytes);
        let e = c.next_error();
        assert_eq!(
            e["error"]["code"],
            json!(code),
            "{}: {e}",
            String::from_utf8_lossy(&bytes)
        );
        assert_eq!(e["id"], id, "{e}");
    }
    // An unknown method is MethodNotFound, with its id.
    c.next_id += 1;
    let id = c.next_id;
    c.send(json!({"jsonrpc": "2.0", "id": id, "method": "foo/bar", "params": {}}));
    let e = c.next_error();
    assert_eq!(
        (e["id"].clone(), e["error"]["code"].clone()),
        (json!(id), json!(-32601))
    );
    // A second `initialize` is an invalid request.
    c.next_id += 1;
    let id = c.next_id;
    c.send(
        json!({"jsonrpc": "2.0", "id": id, "method": "initialize", "params": {"capabilities": {}}}),
    );
    let e = c.next_error();
    assert_eq!(
        (e["id"].clone(), e["error"]["code"].clone()),
        (json!(id), json!(-32600))
    );
    // Still serving.
    let p = uri(&policy);
    c.open(&p, "allow deplyo on hq/stag* until 2027-03-01 issue=#12\n");
    assert_eq!(codes(&c.diagnostics(&p)), ["E101"]);
    c.finish();
}

/// A message whose body was not read (no length, a length that does not
/// read, two lengths) runs into the next message's header: the server
/// finds that header where it starts and answers every later request; a
/// change that does not read is told in the client's log.
#[test]
fn a_message_without_a_usable_length_does_not_desync_the_ones_after_it() {
    let (_dir, inv, policy) = project();
    let mut c = Client::start(inv.parent().unwrap());
    let body = r#"{"jsonrpc":"2.0","id":99,"method":"shutdown"}"#;
    for bad in [
        format!("Content-Type: application/json\r\n\r\n{body}"),
        "Content-Length: 2\r\nContent-Length: 5\r\n\r\n{}".to_string(),
        format!("Content-Length: 18446744073709551616\r\n\r\n{body}"),
        format!("Content-Length: 0x10\r\n\r\n{body}"),
        "Content-Length: 5 5\r\n\r\n{\n  \"a\": 1\n}".to_string(),
        // The header's name inside the unread body is not a header.
        r#"X-Foo: 1

{"jsonrpc":"2.0","method":"x","params":{"t":"Content-Length:"}}"#
            .replace('\n', "\r\n"),
        "X-Foo: 1\r\n\r\n{\"t\":\"Content-Length: 90\"}\r\n".to_string(),
    ] {
        c.raw(bad.as_bytes());
        let e = c.next_error();
        assert_eq!(e["error"]["code"], json!(-32700), "{bad}: {e}");
        // The next request is answered, not read as the bad one's body.
        let symbols = c.request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": uri(&policy)}}),
        );
        assert!(symbols.is_array(), "{bad}: {symbols}");
    }
    // Two lengths: the message is refused, whichever is right.
    c.raw(b"Content-Length: 2\r\nContent-Length: 5\r\n\r\n{}");
    let e = c.next_error();
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("two `Content-Length`"),
        "{e}"
    );
    // A ranged change with a negative position does not read: told, not
    // dropped in silence.
    let p = uri(&policy);
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": p, "version": 2}, "contentChanges": [
            {"range": {"start": {"line": -1, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "x"}
        ]}),
    );
    let text = c.log_message();
    assert!(
        text.contains("textDocument/didChange` does not read"),
        "{text}"
    );
    c.finish();
}

/// A ranged change past the end of a line of a CRLF document lands at the
/// line's end, before its `\r\n` (it went between the two, and the editor
/// was shown a `\r` in a comment that its buffer does not hold).
#[test]
fn a_change_past_the_end_of_a_crlf_line_lands_before_the_line_end() {
    let (_dir, inv, policy) = project();
    let mut c = Client::start(inv.parent().unwrap());
    let p = uri(&policy);
    let text = "allow deploy on hq/staging until 2027-03-01 issue=#12\r\n// ab\r\n// cd\r\n";
    c.open(&p, text);
    assert_eq!(codes(&c.diagnostics(&p)), Vec::<String>::new());
    for (character, version) in [(6, 2), (50, 3)] {
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": p, "version": version}, "contentChanges": [
                {"range": {"start": {"line": 1, "character": character}, "end": {"line": 1, "character": character}}, "text": "X"}
            ]}),
        );
        assert_eq!(
            codes(&c.diagnostics(&p)),
            Vec::<String>::new(),
            "{character}"
        );
    }
    let edits = c.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": p}, "options": {"tabSize": 4, "insertSpaces": true}}),
    );
    let formatted = edits.to_string();
    assert!(formatted.contains("// abXX"), "{formatted}");
    c.finish();
}

/// A change numbered below the document's version came late: it is not
/// applied, and the client's log says so (a stale whole text replaced a
/// newer one).
#[test]
fn a_change_older_than_the_document_is_not_applied() {
    let (_dir, inv, policy) = project();
    let mut c = Client::start(inv.parent().unwrap());
    let p = uri(&policy);
    let good = "allow deploy on hq/staging until 2027-03-01 issue=#12\n";
    c.open(&p, good);
    assert_eq!(codes(&c.diagnostics(&p)), Vec::<String>::new());
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": p, "version": 3}, "contentChanges": [{"text": "allow deplyo on hq/staging until 2027-03-01 issue=#12\n"}]}),
    );
    assert_eq!(codes(&c.diagnostics(&p)), ["E101"]);
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": p, "version": 2}, "contentChanges": [{"text": good}]}),
    );
    let text = c.log_message();
    assert!(
        text.contains("came after version 3 and is not applied"),
        "{text}"
    );
    // The newer text stands: its finding is still there.
    let symbols = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": p}}),
    );
    assert!(symbols.to_string().contains("deplyo"), "{symbols}");
    c.finish();
}

/// A request before `initialize` is refused with its method named, never
/// its parameters echoed back.
#[test]
fn a_request_before_initialize_is_refused_without_echoing_it() {
    let big = "x".repeat(1 << 20);
    let early =
        json!({"jsonrpc": "2.0", "id": 7, "method": "textDocument/hover", "params": {"junk": big}})
            .to_string();
    let out = raw_session(&[
        early.as_str(),
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#,
        r#"{"jsonrpc":"2.0","id":2,"method":"shutdown"}"#,
        r#"{"jsonrpc":"2.0","method":"exit"}"#,
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.len() < 10_000, "{} bytes", stdout.len());
    assert!(
        stdout.contains("`textDocument/hover` came before `initialize`")
            && stdout.contains("-32002"),
        "{stdout}"
    );
}

/// A server given `bodies`, each framed, then the end of input: its output.
fn raw_session(bodies: &[&str]) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lanepolicy"))
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for body in bodies {
        write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    }
    drop(stdin);
    child.wait_with_output().unwrap()
}

#[test]
fn a_new_policy_file_not_yet_saved_is_checked() {
    let (_dir, inv, _policy) = project();
    let mut c = Client::start(inv.parent().unwrap());
    let fresh = inv.parent().unwrap().join("drafts/new.policy");
    let p = uri(&fresh);
    c.open(&p, "allow deplyo on hq/stag* until 2027-03-01 issue=#12\n");
    assert_eq!(codes(&c.diagnostics(&p)), ["E101"]);
    c.finish();
}

#[test]
fn a_message_before_initialized_does_not_stop_the_server() {
    let out = raw_session(&[
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#,
        r#"{"jsonrpc":"2.0","method":"$/setTrace","params":{"value":"off"}}"#,
        r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#,
        r#"{"jsonrpc":"2.0","id":2,"method":"shutdown"}"#,
        r#"{"jsonrpc":"2.0","method":"exit"}"#,
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(r#""id":2,"result":null"#), "{stdout}");
}

/// The server, like every command that reads no large bundle, runs
/// without transparent huge pages: the flag is set before the first
/// allocation (see `SMALL_PAGES_FIRST` in `src/main.rs`). Read from the
/// running process's `/proc/PID/status`; a kernel that does not report
/// the flag has nothing to check.
#[cfg(target_os = "linux")]
#[test]
fn the_server_runs_without_huge_pages() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Client::start(dir.path());
    let status = std::fs::read_to_string(format!("/proc/{}/status", c.child.id())).unwrap();
    if let Some(line) = status.lines().find(|l| l.starts_with("THP_enabled:")) {
        assert_eq!(line.split_whitespace().nth(1), Some("0"), "{line}");
    }
    drop(c.stdin);
    // Closed without `shutdown`: the server exits (with 1, as the protocol says).
    c.child.wait().unwrap();
}

/// Completion offers what starts with the word being typed, and at most a
/// thousand items: an inventory of 3,000 lanes gives an incomplete list
/// at the start of a word, and every matching lane once the word narrows.
#[test]
fn completion_is_bounded_and_narrows_as_a_word_is_typed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let mut inv = String::from(
        "issues: https://github.com/example/ops/issues/\nactions:\n  deploy: {operation: deploy, destructive: false}\n",
    );
    for a in 0..1_200 {
        inv.push_str(&format!(
            "  act{a}: {{operation: deploy, destructive: false}}\n"
        ));
    }
    inv.push_str("products:\n");
    for p in 0..300 {
        inv.push_str(&format!(
            "  p{p}:\n    context: c{p}\n    events: {{launch: pending}}\n    lanes:\n"
        ));
        for l in 0..10 {
            inv.push_str(&format!("      l{l}: {{production: false}}\n"));
        }
    }
    std::fs::write(root.join("lanes.yaml"), inv).unwrap();
    let policy = root.join("a.policy");
    std::fs::write(&policy, "").unwrap();
    let mut c = Client::start(&root);
    let p = uri(&policy);
    let mut complete = |text: &str| {
        c.open(&p, text);
        let at =
            json!({"textDocument": {"uri": p}, "position": {"line": 0, "character": text.len()}});
        c.request("textDocument/completion", at)
    };
    let labels = |items: &Value| -> Vec<String> {
        items
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["label"].as_str().unwrap().to_string())
            .collect()
    };

    let all = complete("allow deploy on ");
    assert_eq!(all["isIncomplete"], json!(true), "{all}");
    let items = labels(&all["items"]);
    assert!(items.len() <= 3 * 1_000 + 10, "{}", items.len());
    assert!(items.contains(&"c0/l0".to_string()));

    let narrowed = complete("allow deploy on C12/");
    let items = labels(&narrowed);
    let want: Vec<String> = (0..10).map(|l| format!("c12/l{l}")).collect();
    assert_eq!(items, [vec!["c12/*".to_string()], want].concat());

    let keyword = complete("allow deploy on c1/l0 unt");
    assert_eq!(labels(&keyword), ["until"]);

    // Actions are bounded too.
    let actions = complete("allow a");
    assert_eq!(actions["isIncomplete"], json!(true));
    assert!(labels(&actions["items"]).len() <= 1_000 + 10);

    // Inside a phrase, after an escaped quote: the placeholders that start
    // with what is typed.
    let typed = "allow deploy on c1/l0 until launch issue=#1 confirm=\"a \\\" b {la";
    let phrase = complete(typed);
    assert_eq!(labels(&phrase), ["{lane}"]);
    // It replaces the `{la` typed, not follows it.
    let n = typed.len() as u64;
    assert_eq!(
        phrase[0]["textEdit"],
        json!({"range": {"start": {"line": 0, "character": n - 3}, "end": {"line": 0, "character": n}}, "newText": "{lane}"})
    );
}

/// An inventory that is not a regular file (a link to `/dev/zero`, a
/// pipe) is not read by a hover, a completion or a definition, as `check`
/// does not read it: reading `/dev/zero` filled memory, and a pipe blocked
/// the server for good.
#[cfg(unix)]
#[test]
fn an_inventory_that_is_not_a_regular_file_is_not_read_by_requests() {
    let (_dir, inv, policy) = project();
    let mut checked = 0;
    for target in ["/dev/zero", "fifo"] {
        std::fs::remove_file(&inv).unwrap();
        if target == "fifo" {
            let made = std::process::Command::new("mkfifo").arg(&inv).status();
            if !made.is_ok_and(|s| s.success()) {
                continue;
            }
        } else {
            std::os::unix::fs::symlink(target, &inv).unwrap();
        }
        let mut c = Client::start(inv.parent().unwrap());
        let p = uri(&policy);
        c.open(&p, CLEAN);
        let at = json!({"textDocument": {"uri": p}, "position": {"line": 0, "character": 18}});
        // Answered (within the client's 30 s), with nothing to show.
        let h = c.request("textDocument/hover", at.clone());
        assert!(h.is_null(), "{target}: {h}");
        let d = c.request("textDocument/definition", at);
        assert!(d.is_null(), "{target}: {d}");
        checked += 1;
        c.request("shutdown", Value::Null);
        c.notify("exit", Value::Null);
        assert_eq!(c.child.wait().unwrap().code(), Some(0), "{target}");
        std::fs::remove_file(&inv).unwrap();
        std::fs::write(&inv, "").unwrap();
    }
    assert!(checked >= 1);
}

/// A buffer that starts with a byte order mark: the compiler reads the
/// text without it, and its positions are moved past it on the first line,
/// so a diagnostic and its quick fix mark what the editor shows (the fix
/// would have replaced `n deplo` in `allow deplyo on`).
#[test]
fn positions_on_a_first_line_after_a_byte_order_mark_mark_the_same_text() {
    let (_dir, inv, policy) = project();
    let mut c = Client::start(inv.parent().unwrap());
    let p = uri(&policy);
    let text = "\u{FEFF}allow deplyo on hq/stag* until 2027-03-01 issue=#12\nallow deplyo on hq/stag* until 2027-03-01 issue=#13\n";
    c.open(&p, text);
    let d = c.diagnostics(&p);
    let ranges: Vec<&Value> = d
        .iter()
        .filter(|x| x["code"] == "E101")
        .map(|x| &x["range"])
        .collect();
    // `deplyo` after the mark and `allow ` on the first line (7 units),
    // after `allow ` alone on the second.
    assert_eq!(
        ranges,
        [
            &json!({"start": {"line": 0, "character": 7}, "end": {"line": 0, "character": 13}}),
            &json!({"start": {"line": 1, "character": 6}, "end": {"line": 1, "character": 12}}),
        ],
        "{d:?}"
    );
    c.finish();
}

/// A project opened through a symbolic link: diagnostics go to the URI
/// the editor opened the file by, not to the path the link resolves to
/// (the buffer being edited showed none).
#[cfg(unix)]
#[test]
fn diagnostics_go_to_the_uri_the_editor_opened() {
    let (_dir, inv, policy) = project();
    let elsewhere = tempfile::tempdir().unwrap();
    let through = elsewhere.path().join("project");
    std::os::unix::fs::symlink(inv.parent().unwrap(), &through).unwrap();
    let mut c = Client::start(&through);
    let p = uri(&through.join(policy.file_name().unwrap()));
    c.open(&p, "allow deplyo on hq/stag* until 2027-03-01 issue=#12\n");
    assert_eq!(codes(&c.diagnostics(&p)), ["E101"]);
    c.finish();
}

/// After `shutdown`, a request is answered with InvalidRequest and a
/// notification (`$/cancelRequest`, which clients send on their way out)
/// is ignored; `exit` still ends the server with 0. Both used to stop it
/// with 1.
#[test]
fn after_shutdown_requests_are_refused_and_exit_still_ends_with_0() {
    let (_dir, inv, policy) = project();
    let mut c = Client::start(inv.parent().unwrap());
    c.request("shutdown", Value::Null);
    c.notify("$/cancelRequest", json!({"id": 1}));
    c.next_id += 1;
    let id = c.next_id;
    c.send(json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/hover", "params": {"textDocument": {"uri": uri(&policy)}, "position": {"line": 0, "character": 8}}}));
    let e = c.next_error();
    assert_eq!(
        (e["id"].clone(), e["error"]["code"].clone()),
        (json!(id), json!(-32600)),
        "{e}"
    );
    c.notify("exit", Value::Null);
    assert_eq!(c.child.wait().unwrap().code(), Some(0));
}

/// A file whose `lanes.yaml` is gone: its project is checked again on the
/// next change, so the diagnostics it published are replaced, not left in
/// the editor for good.
#[test]
fn diagnostics_of_a_project_whose_inventory_is_gone_are_replaced() {
    let (_dir, inv, policy) = project();
    let mut c = Client::start(inv.parent().unwrap());
    let p = uri(&policy);
    c.open(&p, "allow deplyo on hq/stag* until 2027-03-01 issue=#12\n");
    assert_eq!(codes(&c.diagnostics(&p)), ["E101"]);
    std::fs::rename(&inv, inv.with_extension("gone")).unwrap();
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": p, "version": 2}, "contentChanges": [{"text": CLEAN}]}),
    );
    // Nothing is published to the `lanes.yaml` that is gone: an editor
    // would show a file that does not exist among its problems, for good.
    // The rest of the change's diagnostics comes before the answer to a
    // request sent once the file's own have come.
    let gone = json!(uri(&inv));
    let mut asked = false;
    loop {
        let m = c.recv();
        if m["id"] == json!(99) {
            break;
        }
        if m["method"] != "textDocument/publishDiagnostics" {
            continue;
        }
        let at = &m["params"]["uri"];
        assert!(
            at != &gone || m["params"]["diagnostics"] == json!([]),
            "{m}"
        );
        if at == &json!(p) && !asked {
            assert_eq!(m["params"]["diagnostics"], json!([]), "{m}");
            c.send(json!({"jsonrpc": "2.0", "id": 99, "method": "shutdown", "params": null}));
            asked = true;
        }
    }
    c.notify("exit", Value::Null);
    assert_eq!(c.child.wait().unwrap().code(), Some(0));
}

/// An `initializationOptions.today` that is not a date is told to the
/// user (the session then checks as of today), and a `docsUrl` without its
/// final `/` still links to the pages.
#[test]
fn initialization_options_that_cannot_be_used_are_told() {
    let (_dir, inv, policy) = project();
    let mut c = Client::start_with(
        inv.parent().unwrap(),
        json!({"today": "2027-02-30", "docsUrl": "https://x.example/rules"}),
    );
    let told = loop {
        let m = c.recv();
        if m["method"] == "window/showMessage" {
            break m;
        }
    };
    assert_eq!(told["params"]["type"], json!(2), "{told}");
    assert!(
        told["params"]["message"]
            .as_str()
            .unwrap()
            .contains("\"2027-02-30\" is not a date"),
        "{told}"
    );
    let p = uri(&policy);
    c.open(&p, "allow deplyo on hq/stag* until 2027-03-01 issue=#12\n");
    let d = c.diagnostics(&p);
    assert_eq!(
        d[0]["codeDescription"]["href"],
        "https://x.example/rules/E101-unknown-action.md"
    );
    c.finish();
}

/// After `until` or `or`, completion offers only the events every product
/// the line's patterns touch declares: `cutover` on an opw rule, not
/// `launch`, and nothing for hq, which declares none, or for a rule over
/// opw and cm, which share none.
#[test]
fn after_until_only_the_rules_events_are_offered() {
    let (_dir, inv, policy) = project();
    let mut c = Client::start(inv.parent().unwrap());
    let p = uri(&policy);
    let mut complete = |text: &str| -> Vec<String> {
        c.open(&p, text);
        let at =
            json!({"textDocument": {"uri": p}, "position": {"line": 0, "character": text.len()}});
        let r = c.request("textDocument/completion", at);
        let items = r.get("items").unwrap_or(&r).as_array().unwrap().clone();
        items
            .iter()
            .map(|i| i["label"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        complete("allow upstream_restore on opw/testing until "),
        ["cutover"]
    );
    // Over two products, only an event both declare: none here.
    assert!(complete("allow deploy on opw/*, cm/testing until 2027-01-01 or ").is_empty());
    assert_eq!(
        complete("allow deploy on opw/testing, opw/prod until 2027-01-01 or "),
        ["cutover"]
    );
    assert_eq!(complete("allow deploy on cm/testing until la"), ["launch"]);
    assert!(complete("allow deploy on hq/staging until ").is_empty());
    // A rule continued on the next line: its patterns are still read.
    let r = {
        let text = "allow upstream_restore on opw/testing\n  until ";
        c.open(&p, text);
        c.request(
            "textDocument/completion",
            json!({"textDocument": {"uri": p}, "position": {"line": 1, "character": 8}}),
        )
    };
    let labels: Vec<&str> = r
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["cutover"]);
    c.finish();
}

/// A policy with no `lanes.yaml` above it is told so, as `check` tells
/// it, and an unsaved `lanepolicy.yaml` with none on disk configures its
/// project, as an unsaved one over a saved file does.
#[test]
fn an_orphan_policy_is_told_and_an_unsaved_configuration_counts() {
    let (_dir, inv, policy) = project();
    let mut c = Client::start(inv.parent().unwrap());
    let orphan_dir = tempfile::tempdir().unwrap();
    let orphan = uri(&orphan_dir.path().canonicalize().unwrap().join("x.policy"));
    c.open(&orphan, CLEAN);
    let d = c.diagnostics(&orphan);
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(
        d[0]["message"]
            .as_str()
            .unwrap()
            .contains("no lanes.yaml found"),
        "{d:?}"
    );

    let p = uri(&policy);
    c.open(&p, "allow deploy on hq/* until 2027-03-01 issue=#12\n");
    assert_eq!(codes(&c.diagnostics(&p)), ["L012"]);
    // The hover says which lanes are protected, as the runtime reads it.
    let h = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": p}, "position": {"line": 0, "character": 17}}),
    );
    let v = h["contents"]["value"].as_str().unwrap();
    assert!(
        v.contains("- `hq/prod`: product") && v.contains("authoritative, **protected**"),
        "{v}"
    );
    assert!(v.contains("unknown, not protected"), "{v}");
    let config = uri(&inv.parent().unwrap().join("lanepolicy.yaml"));
    assert!(!inv.parent().unwrap().join("lanepolicy.yaml").exists());
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": config, "languageId": "yaml", "version": 1, "text": "checks: {L012: error}\n"}}),
    );
    let d = c.diagnostics(&p);
    assert_eq!(codes(&d), ["L012"]);
    assert_eq!(
        d[0]["severity"],
        json!(1),
        "raised to an error by the buffer: {d:?}"
    );
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": config, "version": 2}, "contentChanges": [{"text": "checks: {L012: eror}\n"}]}),
    );
    // (The buffer's first, clean, version got an empty list first.)
    let mut d = c.diagnostics(&config);
    if d.is_empty() {
        d = c.diagnostics(&config);
    }
    assert_eq!(codes(&d), ["E202"]);
    c.finish();
}

/// A new file, not yet on disk, opened under a linked directory belongs to
/// the project the directory resolves to, and gets its diagnostics.
#[cfg(unix)]
#[test]
fn a_new_file_under_a_linked_directory_is_checked() {
    let (_dir, inv, _policy) = project();
    let elsewhere = tempfile::tempdir().unwrap();
    let through = elsewhere.path().join("project");
    std::os::unix::fs::symlink(inv.parent().unwrap(), &through).unwrap();
    let mut c = Client::start(&through);
    let p = uri(&through.join("new.policy"));
    c.open(&p, "allow deplyo on hq/stag* until 2027-03-01 issue=#12\n");
    assert_eq!(codes(&c.diagnostics(&p)), ["E101"]);
    c.finish();
}

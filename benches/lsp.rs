//! The language server's latency: from a `didChange` of a 1,000-rule file
//! (over 500 lanes) to its published diagnostics, in process over an
//! in-memory connection. Target: under 50 ms.
//!
//! `cargo bench --bench lsp`

use criterion::{Criterion, criterion_group, criterion_main};
use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::json;

#[path = "../examples/gen_policies.rs"]
#[allow(dead_code)]
mod gen_policies;

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let (inventory, policy) = gen_policies::lanepolicy_bench_project(1000, 500);
    std::fs::write(root.join("lanes.yaml"), inventory).unwrap();
    let file = root.join("generated.policy");
    std::fs::write(&file, &policy).unwrap();
    let uri = lanepolicy::lsp::path_to_uri(&file).unwrap();

    let (server, client) = Connection::memory();
    let handle = std::thread::spawn(move || lanepolicy::lsp::run(server));
    let send = |m: Message| client.sender.send(m).unwrap();
    let notify = |method: &str, params: serde_json::Value| {
        send(Message::Notification(Notification::new(
            method.into(),
            params,
        )))
    };
    send(Message::Request(Request::new(
        RequestId::from(1),
        "initialize".into(),
        json!({"capabilities": {}, "initializationOptions": {"today": "2026-11-29"}}),
    )));
    let _ = client.receiver.recv().unwrap();
    notify("initialized", json!({}));
    // Waits for the diagnostics of the file; returns how many there are.
    let wait = || loop {
        if let Message::Notification(n) = client.receiver.recv().unwrap()
            && n.method == "textDocument/publishDiagnostics"
            && n.params["uri"] == uri.as_str()
        {
            return n.params["diagnostics"].as_array().map_or(0, Vec::len);
        }
    };
    notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "lanepolicy", "version": 1, "text": policy}}),
    );
    // The generated rules check clean; the edit adds one error.
    let before = wait();
    let mut version = 1;
    c.bench_function("lsp diagnostics after a change, 1000 rules", |b| {
        b.iter(|| {
            version += 1;
            // An edit that introduces one unknown action.
            let text = policy.replacen("deploy", "deplyo", 1);
            notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
            );
            assert_eq!(wait(), before + 1);
        })
    });
    send(Message::Request(Request::new(
        RequestId::from(2),
        "shutdown".into(),
        json!(null),
    )));
    let _ = client.receiver.recv();
    notify("exit", json!(null));
    handle.join().unwrap().unwrap();
}

criterion_group!(benches, bench);
criterion_main!(benches);

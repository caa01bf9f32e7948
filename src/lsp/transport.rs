//! The stdio transport: Language Server Protocol framing (`Content-Length`
//! headers, then a JSON body), read by lanepolicy so that a malformed
//! message is answered, not fatal.
//!
//! `lsp-server`'s own stdio reader stops the connection on the first
//! message it cannot read. Here a message whose header or body does not
//! read gets a JSON-RPC error response (`-32700` Parse error for text that
//! is not JSON or not UTF-8, `-32600` Invalid Request for JSON that is not
//! a message, with the request's id when it has a usable one, else
//! `null`), and the server reads on. Only the end of input or a failing
//! stream stops it.

use lsp_server::{Connection, ErrorCode, Message};
use serde_json::{Value, json};
use std::io::{self, BufRead, Read, Write};
use std::sync::mpsc;
use std::thread::JoinHandle;

/// The largest message body read, in bytes (64 MiB, the largest input
/// file the compiler reads). A larger one is skipped and answered with an
/// error.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

/// What the writer sends: a message of the server, or an error response
/// of the transport (its id may be `null`, which `lsp-server` cannot say).
enum Out {
    Message(Message),
    Refusal(Value),
    /// The server is done: everything before this is written, then the
    /// writer ends (the reader may still be waiting on input).
    Done,
}

/// A connection over stdin and stdout, and the threads that read and write
/// them; they end when input ends and the server drops its side.
pub fn stdio() -> (Connection, Vec<JoinHandle<()>>) {
    let (server, client) = Connection::memory();
    let (out, outgoing) = mpsc::channel::<Out>();
    let refusals = out.clone();
    let to_server = client.sender;
    let reader = std::thread::spawn(move || {
        let stdin = io::stdin();
        let mut input = stdin.lock();
        loop {
            match read_message(&mut input) {
                Ok(Some(Ok(msg))) => {
                    let exit = matches!(&msg, Message::Notification(n) if n.method == "exit");
                    if to_server.send(msg).is_err() || exit {
                        return;
                    }
                }
                Ok(Some(Err(refusal))) => {
                    if refusals.send(Out::Refusal(refusal)).is_err() {
                        return;
                    }
                }
                // End of input, or the stream broke: the server sees the
                // channel close.
                Ok(None) | Err(_) => return,
            }
        }
    });
    let from_server = client.receiver;
    let bridge = std::thread::spawn(move || {
        for msg in from_server {
            if out.send(Out::Message(msg)).is_err() {
                return;
            }
        }
        let _ = out.send(Out::Done);
    });
    let writer = std::thread::spawn(move || {
        let stdout = io::stdout();
        for o in outgoing {
            let mut w = stdout.lock();
            let written = match o {
                Out::Message(msg) => msg.write(&mut w),
                Out::Refusal(value) => {
                    let body = value.to_string();
                    write!(w, "Content-Length: {}\r\n\r\n{body}", body.len())
                }
                Out::Done => return,
            };
            if written.and_then(|()| w.flush()).is_err() {
                return;
            }
        }
    });
    (server, vec![reader, bridge, writer])
}

/// The longest header line read, in bytes: `Content-Length` and
/// `Content-Type` lines are a few dozen.
pub const MAX_HEADER_LINE: usize = 8 * 1024;

/// Reads one framed message: `Ok(None)` at the end of input, `Ok(Some(Err))`
/// with the JSON-RPC error response for a message that does not read,
/// `Err` when the stream fails.
///
/// # Errors
/// When reading fails.
pub fn read_message(input: &mut impl BufRead) -> io::Result<Option<Result<Message, Value>>> {
    let mut length: Option<Result<usize, String>> = None;
    let mut saw_header = false;
    loop {
        // A header line is read up to `MAX_HEADER_LINE` bytes: a line
        // without an end (megabytes of `X`) is skipped to its end, not held.
        let mut line = Vec::new();
        let read = (&mut *input)
            .take(MAX_HEADER_LINE as u64 + 1)
            .read_until(b'\n', &mut line)?;
        if read == 0 {
            return Ok(None);
        }
        if line.len() > MAX_HEADER_LINE && !line.ends_with(b"\n") {
            input.skip_until(b'\n')?;
            return Ok(Some(Err(error(
                Value::Null,
                ErrorCode::ParseError,
                &format!("a header line is longer than {MAX_HEADER_LINE} bytes"),
            ))));
        }
        let line = String::from_utf8_lossy(&line);
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if saw_header {
                break;
            }
            // Blank lines between messages are skipped.
            continue;
        }
        // A body that was not read (its message had no usable length)
        // runs into the next message's header line: the header is found
        // where it starts, and what came before it is dropped, so one bad
        // message does not make every later one unreadable.
        let line = match content_length_at(line) {
            Some(at) if at > 0 => {
                // Only a header with a length resyncs: the text
                // `Content-Length:` inside a JSON string of the unread body
                // is followed by a quote, not by digits and the line's end.
                let header = &line[at..];
                let digits = header.split_once(':').is_some_and(|(_, v)| {
                    !v.trim().is_empty() && v.trim().bytes().all(|b| b.is_ascii_digit())
                });
                if !digits {
                    continue;
                }
                length = None;
                header
            }
            _ => line,
        };
        saw_header = true;
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            if length.is_some() {
                // Which of two lengths is the body's cannot be known: the
                // message is refused, and the next header found resyncs.
                length = Some(Err("the message has two `Content-Length` headers".into()));
                continue;
            }
            length =
                Some(value.trim().parse::<usize>().map_err(|_| {
                    format!("`Content-Length: {}` is not a length", brief(value.trim()))
                }));
        }
    }
    let length = match length {
        None => {
            return Ok(Some(Err(error(
                Value::Null,
                ErrorCode::ParseError,
                "the message has no `Content-Length` header",
            ))));
        }
        Some(Err(message)) => {
            return Ok(Some(Err(error(
                Value::Null,
                ErrorCode::ParseError,
                &message,
            ))));
        }
        Some(Ok(n)) => n,
    };
    if length > MAX_MESSAGE_BYTES {
        io::copy(&mut input.take(length as u64), &mut io::sink())?;
        return Ok(Some(Err(error(
            Value::Null,
            ErrorCode::InvalidRequest,
            &format!("the message is {length} bytes, over the limit of {MAX_MESSAGE_BYTES}"),
        ))));
    }
    let mut body = vec![0; length];
    input.read_exact(&mut body)?;
    Ok(Some(parse_body(&body)))
}

/// Where the last `Content-Length:` header starts in `line` (any case), if
/// one does: a body that runs into the next header ends with it.
fn content_length_at(line: &str) -> Option<usize> {
    const NAME: &[u8] = b"content-length:";
    line.as_bytes()
        .windows(NAME.len())
        .rposition(|w| w.eq_ignore_ascii_case(NAME))
}

/// At most the first 64 characters of a client's text, for a message
/// that quotes it: an error never echoes a megabyte back.
pub(crate) fn brief(text: &str) -> String {
    match text.char_indices().nth(64) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_string(),
    }
}

/// A message from its JSON body, or the error response that says why not.
fn parse_body(body: &[u8]) -> Result<Message, Value> {
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return Err(error(
                Value::Null,
                ErrorCode::ParseError,
                &format!("the message is not JSON: {e}"),
            ));
        }
    };
    // The id, when it is one JSON-RPC allows (a number or a string); any
    // other id makes the message invalid (it would otherwise read as a
    // notification, and its sender would wait for an answer forever).
    let id = match value.get("id") {
        // An integer id as the server can answer it (32 bits); another
        // number would otherwise read as a notification.
        Some(Value::Number(n)) if n.as_i64().is_some_and(|n| i32::try_from(n).is_ok()) => {
            Value::Number(n.clone())
        }
        Some(id @ Value::String(_)) => id.clone(),
        None => Value::Null,
        Some(other) => {
            return Err(error(
                Value::Null,
                ErrorCode::InvalidRequest,
                &format!("`id` must be an integer or a string, not `{other}`"),
            ));
        }
    };
    serde_json::from_value::<Message>(value).map_err(|e| {
        error(
            id,
            ErrorCode::InvalidRequest,
            &format!("not a JSON-RPC message: {e}"),
        )
    })
}

/// A JSON-RPC error response.
fn error(id: Value, code: ErrorCode, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code as i32, "message": message}})
}

#[cfg(test)]
mod tests {
    use super::{MAX_HEADER_LINE, read_message};

    /// A header line past the limit is answered with a parse error and
    /// skipped to its end, holding at most the limit; the next message
    /// reads.
    #[test]
    fn a_header_line_past_the_limit_is_skipped() {
        let body = r#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#;
        let text = format!(
            "{}\r\n\r\nContent-Length: {}\r\n\r\n{body}",
            "X".repeat(10 * MAX_HEADER_LINE),
            body.len()
        );
        let mut input = std::io::BufReader::with_capacity(64, text.as_bytes());
        let first = read_message(&mut input).unwrap().unwrap().unwrap_err();
        assert!(
            first["error"]["message"]
                .as_str()
                .unwrap()
                .contains("longer than"),
            "{first}"
        );
        assert!(read_message(&mut input).unwrap().unwrap().is_ok());
    }
}

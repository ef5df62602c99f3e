//! A stand-in for Anthropic's Messages API on 127.0.0.1, so that the real Claude Code runs whole
//! turns offline (`ANTHROPIC_BASE_URL` pointed here, with a dummy `ANTHROPIC_API_KEY` or a fake
//! claude.ai login). Every test that runs the client talks to this one stand-in, so that what the
//! API does is written, and kept in step with the client, once.
//!
//! - Every request is kept as received ([`StandIn::requests`]), to check exactly what reached the
//!   model ([`StandIn::instructions`]: CLAUDE.md, rules, output style, skills, settings).
//! - Every reply carries known usage, numbers of its own per reply ([`Usage::nth`]), and is kept
//!   ([`StandIn::sent`]): a test knows exactly what the transcripts must add up to, and a reply
//!   counted twice or missed shows. Streamed as the API streams them (`message_start` with
//!   usage, content blocks, `message_delta` with the output count, `message_stop`), or as one
//!   JSON message when the client does not ask for a stream.
//! - It plays one conversation: a prompt holding [`USE_AGENT`] gets a reply of two text blocks
//!   and a call of the Agent tool, whose subagent (its prompt holds [`SUBTASK`]) answers in turn;
//!   any other turn gets two text blocks. Every text block holds [`ANSWER`], for a test to find
//!   in the client's output.
//! - As a subscriber's API ([`Options::limits`]) it adds the rate-limit headers the client reads
//!   into its status line; in [`Mode::Limited`] it refuses every turn with a 429 for the 5-hour
//!   limit.
//!
//! Loopback only, and bounded: each connection has read and write timeouts, the server takes at
//! most `MAX_CONNECTIONS`, and it stops when dropped.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

/// Enough for the longest test (a turn, its subagent, the side requests the client makes around
/// them, retries), and a bound on how many threads a client gone wrong can make the test start.
const MAX_CONNECTIONS: usize = 500;
/// How long a connection may stall on a read or a write, so that a client that hangs or stops
/// reading cannot keep a thread (and the test) waiting forever.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest body read: far above any turn the tests send, and no more memory than that.
const MAX_BODY: usize = 64 << 20;
/// The model a reply names when the request names none (the client always names one).
const DEFAULT_MODEL: &str = "claude-sonnet-4-5";

/// Words the stand-in reacts to in a prompt.
pub(crate) const USE_AGENT: &str = "PLEASE-USE-AN-AGENT";
pub(crate) const SUBTASK: &str = "SUBTASK-FOR-THE-AGENT";
/// A prompt holding this word, then an absolute path, gets a call of the Read tool on the path,
/// then (after its result) a call of the Write tool that writes it anew: an edit, which the
/// client backs up into `file-history/` first.
pub(crate) const EDIT_FILE: &str = "PLEASE-EDIT-FILE";
/// A prompt holding this word gets a call of the Bash tool printing more than the client keeps
/// inline, which it saves under the session's `tool-results/`.
pub(crate) const PRINT_A_LOT: &str = "PLEASE-PRINT-A-LOT";
/// What every text block of a reply holds, and so what the client prints for a turn; a word no
/// message of the client's own holds.
pub(crate) const ANSWER: &str = "STAND-IN-ANSWER";

/// How the stand-in answers a turn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Mode {
    #[default]
    Answer,
    /// Every turn refused for the 5-hour limit, which resets at `resets_at` (Unix seconds).
    Limited { resets_at: i64 },
}

/// The rate limits a subscriber's API reports: 5-hour and 7-day use (0–1) and reset times (Unix
/// seconds).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub(crate) five_hour: (f64, i64),
    pub(crate) seven_day: (f64, i64),
}

/// Token counts of a reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Usage {
    pub(crate) input: u64,
    pub(crate) output: u64,
    pub(crate) cache_creation: u64,
    pub(crate) cache_read: u64,
}

impl Default for Usage {
    /// Four counts of different sizes, so that one taken for another shows.
    fn default() -> Self {
        Self {
            input: 100,
            output: 50,
            cache_creation: 1000,
            cache_read: 10_000,
        }
    }
}

impl Usage {
    /// What the `n`th reply (from 1) reports: these numbers plus `n` in each count, so that no
    /// two replies report the same.
    pub(crate) fn nth(self, n: u64) -> Usage {
        Usage {
            input: self.input + n,
            output: self.output + n,
            cache_creation: self.cache_creation + n,
            cache_read: self.cache_read + n,
        }
    }

    /// Input, output, cache-creation and cache-read tokens: the order `ccs usage --json` and
    /// ccusage count them in.
    pub(crate) fn tokens(self) -> [u64; 4] {
        [
            self.input,
            self.output,
            self.cache_creation,
            self.cache_read,
        ]
    }

    /// The API's `usage` object; `output` apart, because `message_start` reports 1 output token
    /// and only `message_delta` the final count.
    fn json(self, output: u64) -> Value {
        json!({
            "input_tokens": self.input,
            "output_tokens": output,
            "cache_creation_input_tokens": self.cache_creation,
            "cache_read_input_tokens": self.cache_read,
            "cache_creation": {"ephemeral_5m_input_tokens": self.cache_creation,
                "ephemeral_1h_input_tokens": 0},
        })
    }
}

/// What a stand-in plays. The default answers every turn with the default usage and no
/// rate-limit headers, as the API answers an API key.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Options {
    pub(crate) mode: Mode,
    /// The rate-limit headers of a subscriber's API; none for an API key.
    pub(crate) limits: Option<Limits>,
    /// What the first reply's numbers grow from ([`Usage::nth`]).
    pub(crate) usage: Usage,
}

/// One request as received.
#[derive(Clone, Debug)]
pub(crate) struct Request {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) body: Vec<u8>,
}

impl Request {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The path without its query (the client sends `/v1/messages?beta=true`).
    fn route(&self) -> &str {
        self.path.split('?').next().unwrap_or_default()
    }

    /// Whether it is a turn sent to the model (`POST /v1/messages`).
    #[cfg(unix)]
    pub(crate) fn is_turn(&self) -> bool {
        self.method == "POST" && self.route() == "/v1/messages"
    }
}

/// A reply the stand-in sent to a turn.
#[derive(Clone, Debug)]
pub(crate) struct Sent {
    pub(crate) id: String,
    pub(crate) usage: Usage,
    pub(crate) model: String,
    /// Streamed replies are the conversation's, which the client writes into its transcripts;
    /// the others are its side requests.
    pub(crate) streamed: bool,
}

pub(crate) struct StandIn {
    pub(crate) url: String,
    port: u16,
    shared: Arc<Shared>,
}

/// What the server threads and the test share.
struct Shared {
    options: Options,
    turns: AtomicU64,
    requests: Mutex<Vec<Request>>,
    sent: Mutex<Vec<Sent>>,
    stop: AtomicBool,
}

impl StandIn {
    pub(crate) fn start(options: Options) -> StandIn {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            options,
            turns: AtomicU64::new(0),
            requests: Mutex::new(Vec::new()),
            sent: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let serving = shared.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(MAX_CONNECTIONS) {
                if serving.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let shared = serving.clone();
                std::thread::spawn(move || {
                    // A client that hangs up or stalls loses its answer, nothing more.
                    let _ = serve(stream, &shared);
                });
            }
        });
        StandIn {
            url: format!("http://127.0.0.1:{port}"),
            port,
            shared,
        }
    }

    /// Every reply sent to a turn, in order.
    pub(crate) fn sent(&self) -> Vec<Sent> {
        self.shared.sent.lock().unwrap().clone()
    }
}

/// What reached the model, for the tests of what the client sends it (Unix only, as every test
/// that asks this is).
#[cfg(unix)]
impl StandIn {
    /// Every request received, in order.
    pub(crate) fn requests(&self) -> Vec<Request> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// The bodies of the turns sent to the model.
    pub(crate) fn messages(&self) -> Vec<Value> {
        self.requests()
            .iter()
            .filter(|r| r.is_turn())
            .map(Request::json)
            .collect()
    }

    /// Everything a turn told the model before the conversation: the system prompt and the
    /// first user message (where Claude Code puts CLAUDE.md and rules), as one text.
    pub(crate) fn instructions(&self) -> String {
        self.messages()
            .iter()
            .map(|m| format!("{}\n{}", m["system"], m["messages"]))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(stream: TcpStream, shared: &Shared) -> io::Result<()> {
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let Some(request) = read_request(&stream)? else {
        return Ok(());
    };
    // Kept before it is answered, so that it is there once the client has its answer.
    shared.requests.lock().unwrap().push(request.clone());
    let mut out = stream;
    match (request.method.as_str(), request.route()) {
        ("POST", "/v1/messages") => turn(&mut out, shared, &request.json()),
        ("POST", "/v1/messages/count_tokens") => {
            respond(&mut out, "200 OK", &[], &json!({"input_tokens": 10}))
        }
        _ => respond(&mut out, "404 Not Found", &[], &json!({})),
    }
}

/// The request line, the headers (only the length is used) and the body; `None` for a
/// connection closed before a request.
fn read_request(stream: &TcpStream) -> io::Result<Option<Request>> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut words = line.split_whitespace();
    let method = words.next().unwrap_or_default().to_owned();
    let path = words.next().unwrap_or_default().to_owned();
    let mut length = 0usize;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length.min(MAX_BODY)];
    reader.read_exact(&mut body)?;
    Ok(Some(Request { method, path, body }))
}

/// Answers a turn as the options say, and keeps what it sent.
fn turn(out: &mut TcpStream, shared: &Shared, request: &Value) -> io::Result<()> {
    if let Mode::Limited { resets_at } = shared.options.mode {
        return refuse(out, resets_at);
    }
    let n = shared.turns.fetch_add(1, Ordering::SeqCst) + 1;
    let sent = Sent {
        id: format!("msg_standin_{n:04}"),
        usage: shared.options.usage.nth(n),
        model: request["model"]
            .as_str()
            .unwrap_or(DEFAULT_MODEL)
            .to_owned(),
        streamed: request["stream"] == true,
    };
    shared.sent.lock().unwrap().push(sent.clone());
    let blocks = blocks(request, n);
    let mut headers = vec![("request-id".to_owned(), format!("req_standin_{n:04}"))];
    if let Some(limits) = &shared.options.limits {
        headers.extend(limit_headers(limits));
    }
    if sent.streamed {
        return stream_reply(out, &headers, &sent, &blocks);
    }
    let reply = json!({"id": sent.id, "type": "message", "role": "assistant",
        "model": sent.model, "content": blocks, "stop_reason": stop_reason(&blocks),
        "stop_sequence": null, "usage": sent.usage.json(sent.usage.output)});
    respond(out, "200 OK", &headers, &reply)
}

/// What to answer: an Agent call to the first turn of a prompt asking for one, text otherwise.
fn blocks(request: &Value, n: u64) -> Vec<Value> {
    let messages = request["messages"].as_array().cloned().unwrap_or_default();
    let all = Value::Array(messages.clone()).to_string();
    let answered = messages.iter().any(|m| m["role"] == "assistant");
    let mut blocks = vec![
        json!({"type": "text", "text": format!("{ANSWER} {n}, part one")}),
        json!({"type": "text", "text": format!("part two of {n}, {ANSWER}")}),
    ];
    blocks.extend(tool_call(&messages, n));
    if all.contains(USE_AGENT) && !all.contains(SUBTASK) && !answered {
        blocks.push(
            json!({"type": "tool_use", "id": format!("toolu_standin_{n:04}"),
            "name": "Agent", "input": {"description": "a stand-in task",
            "prompt": format!("{SUBTASK}: reply done"), "subagent_type": "general-purpose"}}),
        );
    }
    blocks
}

/// The call [`EDIT_FILE`] and [`PRINT_A_LOT`] ask for, decided by the last message alone: the
/// prompt, or the result of the call before.
fn tool_call(messages: &[Value], n: u64) -> Option<Value> {
    let last = messages.last()?;
    let text = last["content"].to_string();
    let prompt = last["content"].as_array().map_or_else(
        || last["content"].as_str().unwrap_or_default().to_owned(),
        |blocks| {
            blocks
                .iter()
                .filter(|b| b["type"] == "text")
                .filter_map(|b| b["text"].as_str())
                .collect::<Vec<_>>()
                .join(" ")
        },
    );
    let asked = |word: &str| {
        prompt.split(word).nth(1).map(|rest| {
            rest.split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned()
        })
    };
    let call = |id: &str, name: &str, input: Value| {
        Some(
            json!({"type": "tool_use", "id": format!("toolu_{id}_{n:04}"), "name": name,
            "input": input}),
        )
    };
    if text.contains("toolu_read_") {
        // The Read just answered: write the file, whose path the Read's input named.
        let path = messages
            .iter()
            .rev()
            .flat_map(|m| m["content"].as_array().cloned().unwrap_or_default())
            .find(|b| b["type"] == "tool_use" && b["name"] == "Read")?["input"]["file_path"]
            .clone();
        return call(
            "write",
            "Write",
            json!({"file_path": path, "content": format!("edited by reply {n}\n")}),
        );
    }
    if text.contains("tool_result") {
        return None;
    }
    if let Some(path) = asked(EDIT_FILE) {
        return call("read", "Read", json!({"file_path": path}));
    }
    if prompt.contains(PRINT_A_LOT) {
        return call(
            "bash",
            "Bash",
            json!({"command": "seq 1 200000", "description": "print a lot"}),
        );
    }
    None
}

/// `tool_use` when the reply calls a tool (the client then runs it and sends the next turn).
fn stop_reason(blocks: &[Value]) -> &'static str {
    if blocks.iter().any(|b| b["type"] == "tool_use") {
        "tool_use"
    } else {
        "end_turn"
    }
}

/// The headers a subscriber's API sends with every answer: how much of each window is used.
fn limit_headers(limits: &Limits) -> Vec<(String, String)> {
    let (five_hour, seven_day) = (limits.five_hour, limits.seven_day);
    unified(&[
        ("status", "allowed"),
        ("5h-utilization", &five_hour.0.to_string()),
        ("5h-reset", &five_hour.1.to_string()),
        ("7d-utilization", &seven_day.0.to_string()),
        ("7d-reset", &seven_day.1.to_string()),
    ])
}

/// `anthropic-ratelimit-unified-*` headers: the limits of a subscriber's account, all the client
/// knows of them.
fn unified(headers: &[(&str, &str)]) -> Vec<(String, String)> {
    let name = |name| format!("anthropic-ratelimit-unified-{name}");
    headers
        .iter()
        .map(|(n, value)| (name(n), value.to_string()))
        .collect()
}

/// A reply as the API streams it: each block opened empty, filled by one delta, closed.
fn stream_reply(
    out: &mut TcpStream,
    headers: &[(String, String)],
    sent: &Sent,
    blocks: &[Value],
) -> io::Result<()> {
    // No length: the stream ends when the connection closes.
    let mut head = status_line("200 OK", "text/event-stream", headers);
    head.push_str("cache-control: no-cache\r\n\r\n");
    out.write_all(head.as_bytes())?;
    let mut event = |name: &str, data: Value| {
        out.write_all(format!("event: {name}\ndata: {data}\n\n").as_bytes())
    };
    event(
        "message_start",
        json!({"type": "message_start", "message": {"id": sent.id,
        "type": "message", "role": "assistant", "model": sent.model, "content": [],
        "stop_reason": null, "stop_sequence": null, "usage": sent.usage.json(1)}}),
    )?;
    for (index, block) in blocks.iter().enumerate() {
        let (empty, delta) = if block["type"] == "tool_use" {
            (
                json!({"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}),
                json!({"type": "input_json_delta", "partial_json": block["input"].to_string()}),
            )
        } else {
            (
                json!({"type": "text", "text": ""}),
                json!({"type": "text_delta", "text": block["text"]}),
            )
        };
        event(
            "content_block_start",
            json!({"type": "content_block_start", "index": index, "content_block": empty}),
        )?;
        event(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": index, "delta": delta}),
        )?;
        event(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": index}),
        )?;
    }
    event(
        "message_delta",
        json!({"type": "message_delta",
        "delta": {"stop_reason": stop_reason(blocks), "stop_sequence": null},
        "usage": {"output_tokens": sent.usage.output}}),
    )?;
    event("message_stop", json!({"type": "message_stop"}))?;
    out.flush()
}

/// The 429 a subscriber gets at the 5-hour limit.
fn refuse(out: &mut TcpStream, resets_at: i64) -> io::Result<()> {
    let reset = resets_at.to_string();
    let mut headers = unified(&[
        ("status", "rejected"),
        ("reset", &reset),
        ("representative-claim", "five_hour"),
        ("5h-utilization", "1.0"),
        ("5h-reset", &reset),
        ("5h-status", "rejected"),
        ("overage-status", "rejected"),
        ("overage-disabled-reason", "org_level_disabled"),
    ]);
    headers.extend([
        ("x-should-retry".to_owned(), "false".to_owned()),
        ("request-id".to_owned(), "req_standin_refused".to_owned()),
    ]);
    let body = json!({"type": "error", "error": {"type": "rate_limit_error",
        "message": "This request would exceed your account's rate limit. Please try again later."}});
    respond(out, "429 Too Many Requests", &headers, &body)
}

/// A JSON answer, whole.
fn respond(
    out: &mut TcpStream,
    status: &str,
    headers: &[(String, String)],
    body: &Value,
) -> io::Result<()> {
    let body = body.to_string();
    let mut head = status_line(status, "application/json", headers);
    head.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    out.write_all(head.as_bytes())?;
    out.write_all(body.as_bytes())?;
    out.flush()
}

/// The status line and the headers every answer has, open for more. Every connection carries
/// one request, so that no answer waits on a connection the client keeps open.
fn status_line(status: &str, content_type: &str, headers: &[(String, String)]) -> String {
    let mut head =
        format!("HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\nconnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head
}

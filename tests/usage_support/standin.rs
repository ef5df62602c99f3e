//! A stand-in for Anthropic's Messages API on 127.0.0.1 that answers the real Claude Code with
//! known usage: every reply gets numbers of its own, streamed as the API streams them
//! (`message_start` with usage, content blocks, `message_delta` with the output count,
//! `message_stop`), so a test knows exactly what the transcripts must add up to.
//!
//! It plays one conversation: a prompt holding [`USE_AGENT`] gets a reply of two text blocks and
//! a call of the Agent tool, whose subagent (its prompt holds [`SUBTASK`]) answers in turn; any
//! other turn gets two text blocks. As a subscriber's API it adds the rate-limit headers the
//! client reads into its status line; in [`Mode::Limited`] it refuses every turn with a 429 for
//! the 5-hour limit.
//!
//! Loopback only, and bounded: each connection has a read timeout, at most `MAX_CONNECTIONS` are
//! taken, and the server stops when dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

const MAX_CONNECTIONS: usize = 400;

/// Words the stand-in reacts to.
pub const USE_AGENT: &str = "PLEASE-USE-AN-AGENT";
pub const SUBTASK: &str = "SUBTASK-FOR-THE-AGENT";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Answer,
    /// Every turn refused for the 5-hour limit, which resets at `resets_at`.
    Limited {
        resets_at: i64,
    },
}

/// A reply the stand-in sent.
#[derive(Clone, Debug)]
pub struct Sent {
    pub id: String,
    /// Input, output, cache-creation, cache-read tokens.
    pub usage: [u64; 4],
    pub model: String,
    pub streamed: bool,
}

/// The rate limits the stand-in reports: 5-hour and 7-day use (0–1) and reset times.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub five_hour: (f64, i64),
    pub seven_day: (f64, i64),
}

pub struct StandIn {
    pub url: String,
    sent: Arc<Mutex<Vec<Sent>>>,
    stop: Arc<AtomicBool>,
    port: u16,
}

struct Shared {
    mode: Mode,
    limits: Limits,
    count: AtomicU64,
    sent: Arc<Mutex<Vec<Sent>>>,
}

impl StandIn {
    pub fn start(mode: Mode, limits: Limits) -> StandIn {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let sent = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Shared {
            mode,
            limits,
            count: AtomicU64::new(0),
            sent: sent.clone(),
        });
        let stopping = stop.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(MAX_CONNECTIONS) {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let shared = shared.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &shared);
                });
            }
        });
        StandIn {
            url: format!("http://127.0.0.1:{port}"),
            sent,
            stop,
            port,
        }
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap().clone()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(());
    }
    let mut words = line.split_whitespace();
    let (method, path) = (
        words.next().unwrap_or_default().to_owned(),
        words.next().unwrap_or_default().to_owned(),
    );
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
    let mut body = vec![0; length.min(64 << 20)];
    reader.read_exact(&mut body)?;
    let mut out = stream;
    let is_turn = method == "POST" && (path == "/v1/messages" || path.starts_with("/v1/messages?"));
    if path.starts_with("/v1/messages/count_tokens") {
        return respond(&mut out, "200 OK", &[], &json!({"input_tokens": 10}));
    }
    if !is_turn {
        return respond(&mut out, "404 Not Found", &[], &json!({}));
    }
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if let Mode::Limited { resets_at } = shared.mode {
        return refuse(&mut out, resets_at);
    }
    let n = shared.count.fetch_add(1, Ordering::SeqCst) + 1;
    let model = request["model"]
        .as_str()
        .unwrap_or("claude-opus-5-5")
        .to_owned();
    let usage = [100 + n, 50 + n, 1000 + n, 10_000 + n];
    let id = format!("msg_standin_{n:04}");
    let streamed = request["stream"] == Value::Bool(true);
    let blocks = blocks(&request, n);
    shared.sent.lock().unwrap().push(Sent {
        id: id.clone(),
        usage,
        model: model.clone(),
        streamed,
    });
    let headers = limit_headers(&shared.limits, n);
    if streamed {
        stream_reply(&mut out, &headers, &id, &model, usage, &blocks)
    } else {
        let [input, output, creation, read] = usage;
        let reply = json!({"id": id, "type": "message", "role": "assistant", "model": model,
            "content": blocks, "stop_reason": "end_turn", "stop_sequence": null,
            "usage": {"input_tokens": input, "output_tokens": output,
                "cache_creation_input_tokens": creation, "cache_read_input_tokens": read,
                "cache_creation": {"ephemeral_5m_input_tokens": creation, "ephemeral_1h_input_tokens": 0}}});
        respond(&mut out, "200 OK", &headers, &reply)
    }
}

/// What to answer: an Agent call to the first turn of a prompt asking for one, text otherwise.
fn blocks(request: &Value, n: u64) -> Vec<Value> {
    let messages = request["messages"].as_array().cloned().unwrap_or_default();
    let all = Value::Array(messages.clone()).to_string();
    let answered = messages.iter().any(|m| m["role"] == "assistant");
    let mut blocks = vec![
        json!({"type": "text", "text": format!("answer {n}, part one")}),
        json!({"type": "text", "text": format!("part two of {n}")}),
    ];
    if all.contains(USE_AGENT) && !all.contains(SUBTASK) && !answered {
        blocks.push(
            json!({"type": "tool_use", "id": format!("toolu_standin_{n:04}"),
            "name": "Agent", "input": {"description": "a stand-in task",
            "prompt": format!("{SUBTASK}: reply done"), "subagent_type": "general-purpose"}}),
        );
    }
    blocks
}

/// The headers a subscriber's API sends with every answer: how much of each window is used.
fn limit_headers(limits: &Limits, n: u64) -> Vec<(String, String)> {
    vec![
        ("request-id".into(), format!("req_standin_{n:04}")),
        (
            "anthropic-ratelimit-unified-status".into(),
            "allowed".into(),
        ),
        (
            "anthropic-ratelimit-unified-5h-utilization".into(),
            limits.five_hour.0.to_string(),
        ),
        (
            "anthropic-ratelimit-unified-5h-reset".into(),
            limits.five_hour.1.to_string(),
        ),
        (
            "anthropic-ratelimit-unified-7d-utilization".into(),
            limits.seven_day.0.to_string(),
        ),
        (
            "anthropic-ratelimit-unified-7d-reset".into(),
            limits.seven_day.1.to_string(),
        ),
    ]
}

fn stream_reply(
    out: &mut TcpStream,
    headers: &[(String, String)],
    id: &str,
    model: &str,
    [input, output, creation, read]: [u64; 4],
    blocks: &[Value],
) -> std::io::Result<()> {
    let mut head = String::from(
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nconnection: close\r\n",
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    let mut event = |name: &str, data: Value| {
        out.write_all(format!("event: {name}\ndata: {data}\n\n").as_bytes())
    };
    event(
        "message_start",
        json!({"type": "message_start", "message": {"id": id,
        "type": "message", "role": "assistant", "model": model, "content": [],
        "stop_reason": null, "stop_sequence": null,
        "usage": {"input_tokens": input, "output_tokens": 1,
            "cache_creation_input_tokens": creation, "cache_read_input_tokens": read,
            "cache_creation": {"ephemeral_5m_input_tokens": creation, "ephemeral_1h_input_tokens": 0}}}}),
    )?;
    let mut calls_a_tool = false;
    for (index, block) in blocks.iter().enumerate() {
        if block["type"] == "tool_use" {
            calls_a_tool = true;
            event(
                "content_block_start",
                json!({"type": "content_block_start", "index": index,
                "content_block": {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}}),
            )?;
            event(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": index,
                "delta": {"type": "input_json_delta", "partial_json": block["input"].to_string()}}),
            )?;
        } else {
            event(
                "content_block_start",
                json!({"type": "content_block_start", "index": index,
                "content_block": {"type": "text", "text": ""}}),
            )?;
            event(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": index,
                "delta": {"type": "text_delta", "text": block["text"]}}),
            )?;
        }
        event(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": index}),
        )?;
    }
    let stop = if calls_a_tool { "tool_use" } else { "end_turn" };
    event(
        "message_delta",
        json!({"type": "message_delta",
        "delta": {"stop_reason": stop, "stop_sequence": null}, "usage": {"output_tokens": output}}),
    )?;
    event("message_stop", json!({"type": "message_stop"}))?;
    out.flush()
}

/// The 429 a subscriber gets at the 5-hour limit.
fn refuse(out: &mut TcpStream, resets_at: i64) -> std::io::Result<()> {
    let reset = resets_at.to_string();
    let headers: Vec<(String, String)> = [
        ("anthropic-ratelimit-unified-status", "rejected"),
        ("anthropic-ratelimit-unified-reset", &reset),
        (
            "anthropic-ratelimit-unified-representative-claim",
            "five_hour",
        ),
        ("anthropic-ratelimit-unified-5h-utilization", "1.0"),
        ("anthropic-ratelimit-unified-5h-reset", &reset),
        ("anthropic-ratelimit-unified-5h-status", "rejected"),
        ("anthropic-ratelimit-unified-overage-status", "rejected"),
        (
            "anthropic-ratelimit-unified-overage-disabled-reason",
            "org_level_disabled",
        ),
        ("x-should-retry", "false"),
        ("request-id", "req_standin_refused"),
    ]
    .map(|(n, v)| (n.to_owned(), v.to_owned()))
    .into();
    let body = json!({"type": "error", "error": {"type": "rate_limit_error",
        "message": "This request would exceed your account's rate limit. Please try again later."}});
    respond(out, "429 Too Many Requests", &headers, &body)
}

fn respond(
    out: &mut TcpStream,
    status: &str,
    headers: &[(String, String)],
    body: &Value,
) -> std::io::Result<()> {
    let body = body.to_string();
    let mut head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    out.write_all(body.as_bytes())?;
    out.flush()
}

//! A stand-in for Anthropic's Messages API on 127.0.0.1, so the real Claude Code runs whole turns
//! offline (`ANTHROPIC_BASE_URL` pointed here, a dummy `ANTHROPIC_API_KEY`): every request it
//! sends is kept, to check exactly what reached the model (instructions, settings), and every
//! answer carries known usage numbers, to check what the client wrote into its transcripts.
//!
//! Loopback only, and bounded: each connection has a read timeout, the server takes at most
//! `MAX_CONNECTIONS`, and it stops when dropped.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const MAX_CONNECTIONS: usize = 500;

/// The token counts every answer reports.
#[derive(Clone, Copy, Debug)]
pub struct Usage {
    pub input: u64,
    pub output: u64,
    pub cache_creation: u64,
    pub cache_read: u64,
}

impl Default for Usage {
    fn default() -> Self {
        Self {
            input: 11,
            output: 7,
            cache_creation: 5,
            cache_read: 3,
        }
    }
}

/// One request as received.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub body: Vec<u8>,
}

impl Request {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

pub struct FakeApi {
    pub url: String,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    port: u16,
}

impl FakeApi {
    pub fn start(usage: Usage) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (kept, stopping) = (requests.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().take(MAX_CONNECTIONS) {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let kept = kept.clone();
                let counter = kept.lock().unwrap().len();
                std::thread::spawn(move || serve(stream, &kept, usage, counter));
            }
        });
        Self {
            url: format!("http://127.0.0.1:{port}"),
            requests,
            stop,
            port,
        }
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// The bodies of the turns sent to the model (`POST /v1/messages`).
    pub fn messages(&self) -> Vec<serde_json::Value> {
        self.requests()
            .iter()
            .filter(|r| {
                r.method == "POST" && r.path.starts_with("/v1/messages?")
                    || r.path == "/v1/messages"
            })
            .map(Request::json)
            .collect()
    }

    /// Everything a turn told the model before the conversation: the system prompt and the
    /// first user message (where Claude Code puts CLAUDE.md and rules), as one text.
    pub fn instructions(&self) -> String {
        self.messages()
            .iter()
            .map(|m| format!("{}\n{}", m["system"], m["messages"]))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(stream: TcpStream, kept: &Mutex<Vec<Request>>, usage: Usage, n: usize) {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let mut length = 0usize;
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length.min(64 << 20)];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let request = Request { method, path, body };
    let reply = answer(&request, usage, n);
    kept.lock().unwrap().push(request);
    let mut stream = stream;
    let _ = stream.write_all(reply.as_bytes());
}

fn answer(request: &Request, usage: Usage, n: usize) -> String {
    let path = request.path.split('?').next().unwrap_or_default();
    match (request.method.as_str(), path) {
        ("POST", "/v1/messages") if request.json()["stream"] == true => http(
            "text/event-stream",
            &stream_events(&request.json(), usage, n),
        ),
        ("POST", "/v1/messages") => http("application/json", &message(&request.json(), usage, n)),
        ("POST", "/v1/messages/count_tokens") => http("application/json", r#"{"input_tokens":10}"#),
        _ => "HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: 2\r\n\r\n{}"
            .to_owned(),
    }
}

fn http(content_type: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\nrequest-id: req_fake{}\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len(),
        body.len()
    )
}

fn usage_json(usage: Usage) -> serde_json::Value {
    serde_json::json!({
        "input_tokens": usage.input,
        "output_tokens": usage.output,
        "cache_creation_input_tokens": usage.cache_creation,
        "cache_read_input_tokens": usage.cache_read,
    })
}

fn model(request: &serde_json::Value) -> String {
    request["model"]
        .as_str()
        .unwrap_or("claude-sonnet-4-5")
        .to_owned()
}

fn message(request: &serde_json::Value, usage: Usage, n: usize) -> String {
    serde_json::json!({
        "id": format!("msg_fake{n:06}"),
        "type": "message",
        "role": "assistant",
        "model": model(request),
        "content": [{"type": "text", "text": "ok"}],
        "stop_reason": "end_turn",
        "stop_sequence": null,
        "usage": usage_json(usage),
    })
    .to_string()
}

fn stream_events(request: &serde_json::Value, usage: Usage, n: usize) -> String {
    let mut start_usage = usage_json(usage);
    start_usage["output_tokens"] = 1.into();
    let events = [
        (
            "message_start",
            serde_json::json!({"type": "message_start", "message": {
                "id": format!("msg_fake{n:06}"), "type": "message", "role": "assistant",
                "model": model(request), "content": [], "stop_reason": null,
                "stop_sequence": null, "usage": start_usage}}),
        ),
        (
            "content_block_start",
            serde_json::json!({"type": "content_block_start", "index": 0,
                "content_block": {"type": "text", "text": ""}}),
        ),
        (
            "content_block_delta",
            serde_json::json!({"type": "content_block_delta", "index": 0,
                "delta": {"type": "text_delta", "text": "ok"}}),
        ),
        (
            "content_block_stop",
            serde_json::json!({"type": "content_block_stop", "index": 0}),
        ),
        (
            "message_delta",
            serde_json::json!({"type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": null},
                "usage": usage_json(usage)}),
        ),
        ("message_stop", serde_json::json!({"type": "message_stop"})),
    ];
    events
        .iter()
        .map(|(event, data)| format!("event: {event}\ndata: {data}\n\n"))
        .collect()
}

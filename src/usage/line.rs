//! One transcript line: the usage it records, and the usage limit it reports.
//!
//! Claude Code writes one JSON object per line into `projects/**/*.jsonl`. An assistant reply is
//! written as one line per content block, each carrying the reply's `message.id`, the request's
//! `requestId` and the usage (see `dedup` for how the copies are told apart). Older clients also
//! wrote a subagent's replies into the parent transcript, nested as
//! `{"type":"progress","data":{"message":{…,"message":{"usage":…}}}}`.
//!
//! What makes a line count is what ccusage counts (the peer this is tested against, see
//! tests/it/usage.rs): the shape below, with the types it declares. A line whose shape is right but
//! whose types are not (a token count written as a string) is broken, not silently zero. Message
//! text is never read: serde skips over it.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::Tokens;
use super::limits::{self, LimitEvent};
use super::time::{Millis, parse_rfc3339};
use crate::contract::HANDED_FROM_KEY;

/// A usage record found on a line, borrowing from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Record<'a> {
    pub timestamp: Millis,
    pub tokens: Tokens,
    /// As the client wrote it; `<synthetic>` (its own error messages) included.
    pub model: Option<Cow<'a, str>>,
    pub message_id: Option<Cow<'a, str>>,
    pub request_id: Option<Cow<'a, str>>,
    /// The line's `sessionId`; `None` when absent (the file's path then says, see `scan`).
    pub session_id: Option<Cow<'a, str>>,
    pub sidechain: bool,
    /// `usage.speed` was given (ccusage prefers such a copy of a reply, other things equal).
    pub has_speed: bool,
}

/// What one line holds.
#[derive(Debug, Default)]
pub(crate) struct Parsed<'a> {
    pub records: Vec<Record<'a>>,
    pub limit: Option<LimitEvent>,
    /// The line mentions usage but is not sound: not UTF-8, not JSON, or a usage of the wrong
    /// shape. Counted for the notice; nothing on it is.
    pub broken: bool,
}

/// Reads one complete line (without its newline). Lines that cannot hold usage cost one
/// substring search.
pub(crate) fn parse(line: &[u8]) -> Parsed<'_> {
    let mut parsed = Parsed::default();
    if memchr::memmem::find(line, b"\"usage\"").is_none() {
        return parsed;
    }
    let Ok(text) = std::str::from_utf8(line) else {
        parsed.broken = true;
        return parsed;
    };
    if handed_over(line, text) {
        return parsed;
    }
    let Some(record) = record(text) else {
        parsed.broken = mentions_a_usage(text);
        return parsed;
    };
    if memchr::memmem::find(line, b"\"isApiErrorMessage\":true").is_some() {
        parsed.limit = limits::from_error_line(text, record.timestamp);
    }
    let advisors = advisor_records(text, &record);
    parsed.records.push(record);
    parsed.records.extend(advisors);
    parsed
}

/// Whether `ccs continue` copied the line from another profile (it names it in
/// [`HANDED_FROM_KEY`]): its reply and any limit it reports are that profile's, counted there.
/// A full parse only for a line that holds the key's text.
fn handed_over(line: &[u8], text: &str) -> bool {
    #[derive(Deserialize)]
    struct Marked {
        #[serde(rename = "ccsHandedFrom")]
        from: Option<IgnoredAny>,
    }
    let needle = format!("\"{HANDED_FROM_KEY}\":");
    memchr::memmem::find(line, needle.as_bytes()).is_some()
        && serde_json::from_str::<Marked>(text).is_ok_and(|m| m.from.is_some())
}

// --- the shapes counted -----------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Direct<'a> {
    #[serde(borrow)]
    timestamp: Cow<'a, str>,
    #[serde(borrow)]
    message: Message<'a>,
    #[serde(borrow)]
    session_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    request_id: Option<Cow<'a, str>>,
    is_sidechain: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Progress<'a> {
    #[serde(borrow)]
    session_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    data: ProgressData<'a>,
}

#[derive(Deserialize)]
struct ProgressData<'a> {
    #[serde(borrow)]
    message: ProgressMessage<'a>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProgressMessage<'a> {
    #[serde(borrow)]
    timestamp: Cow<'a, str>,
    #[serde(borrow)]
    message: Message<'a>,
    #[serde(borrow)]
    request_id: Option<Cow<'a, str>>,
    is_sidechain: Option<bool>,
}

#[derive(Deserialize)]
struct Message<'a> {
    usage: Usage,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Usage {
    input_tokens: u64,
    output_tokens: u64,
    #[serde(default)]
    cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    cache_read_input_tokens: u64,
    cache_creation: Option<Buckets>,
    speed: Option<IgnoredAny>,
}

/// Cache writes by lifetime, which newer replies give beside the total.
#[derive(Deserialize)]
struct Buckets {
    #[serde(default)]
    ephemeral_5m_input_tokens: u64,
    #[serde(default)]
    ephemeral_1h_input_tokens: u64,
}

impl Usage {
    fn tokens(&self) -> Tokens {
        // Claude's own total when given; the buckets only stand in for a missing one. (ccusage
        // prefers the buckets; they agree on every reply the API sends.)
        let cache_creation = self.cache_creation_input_tokens.unwrap_or_else(|| {
            self.cache_creation.as_ref().map_or(0, |b| {
                b.ephemeral_5m_input_tokens
                    .saturating_add(b.ephemeral_1h_input_tokens)
            })
        });
        Tokens {
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            cache_creation_input_tokens: cache_creation,
            cache_read_input_tokens: self.cache_read_input_tokens,
        }
    }
}

/// The usage record of a line in either shape, if it is one.
fn record(text: &str) -> Option<Record<'_>> {
    if let Ok(d) = serde_json::from_str::<Direct>(text) {
        return Some(Record {
            timestamp: parse_rfc3339(&d.timestamp)?,
            tokens: d.message.usage.tokens(),
            has_speed: d.message.usage.speed.is_some(),
            model: d.message.model,
            message_id: d.message.id,
            request_id: d.request_id,
            session_id: d.session_id,
            sidechain: d.is_sidechain == Some(true),
        });
    }
    let p = serde_json::from_str::<Progress>(text).ok()?;
    let m = p.data.message;
    Some(Record {
        timestamp: parse_rfc3339(&m.timestamp)?,
        tokens: m.message.usage.tokens(),
        has_speed: m.message.usage.speed.is_some(),
        model: m.message.model,
        message_id: m.message.id,
        request_id: m.request_id,
        session_id: p.session_id,
        sidechain: m.is_sidechain == Some(true),
    })
}

/// Whether a line that is not a usage record still holds a `message.usage` object (in either
/// shape): then it is a usage written wrongly, not a line of another kind. Only lines that failed
/// get here, so the second parse costs nothing in the usual case.
fn mentions_a_usage(text: &str) -> bool {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return true;
    };
    let usage_in =
        |v: &serde_json::Value| v.pointer("/message/usage").is_some_and(|u| u.is_object());
    usage_in(&value) || value.pointer("/data/message").is_some_and(usage_in)
}

// --- the advisor ------------------------------------------------------------------------------

#[derive(Deserialize)]
struct IterationsLine<'a> {
    #[serde(borrow)]
    message: IterationsMessage<'a>,
}

#[derive(Deserialize)]
struct IterationsMessage<'a> {
    #[serde(borrow)]
    usage: IterationsUsage<'a>,
}

#[derive(Deserialize)]
struct IterationsUsage<'a> {
    #[serde(default, borrow)]
    iterations: Vec<Iteration<'a>>,
}

#[derive(Deserialize)]
struct Iteration<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    input_tokens: u64,
    output_tokens: u64,
    #[serde(default)]
    cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    cache_read_input_tokens: u64,
    cache_creation: Option<Buckets>,
}

/// The usage of the advisor model a reply consulted. The reply's own usage leaves it out: the
/// client counts each `advisor_message` iteration on top, under the advisor's model, and so does
/// ccusage (as a reply of its own, `<id>:advisor:<n>`).
fn advisor_records<'a>(text: &'a str, reply: &Record<'a>) -> Vec<Record<'a>> {
    if !text.contains("\"advisor_message\"") {
        return Vec::new();
    }
    let Ok(line) = serde_json::from_str::<IterationsLine>(text) else {
        return Vec::new();
    };
    line.message
        .usage
        .iterations
        .into_iter()
        .filter(|i| i.kind == "advisor_message")
        .filter_map(|mut i| Some((i.model.take().filter(|m| !m.is_empty())?, i)))
        .enumerate()
        .map(|(n, (model, i))| {
            let usage = Usage {
                input_tokens: i.input_tokens,
                output_tokens: i.output_tokens,
                cache_creation_input_tokens: i.cache_creation_input_tokens,
                cache_read_input_tokens: i.cache_read_input_tokens,
                cache_creation: i.cache_creation,
                speed: None,
            };
            Record {
                tokens: usage.tokens(),
                model: Some(model),
                message_id: reply
                    .message_id
                    .as_ref()
                    .map(|id| Cow::Owned(format!("{id}:advisor:{n}"))),
                has_speed: false,
                ..reply.clone()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "2026-11-20T10:00:00.000Z";
    const T_MS: Millis = 1_795_168_800_000;

    fn assistant(extra: &str, usage: &str) -> String {
        format!(
            r#"{{"parentUuid":null,"isSidechain":false,"type":"assistant","message":{{"id":"msg_1","model":"claude-opus-5-5","role":"assistant","content":[{{"type":"text","text":"never read \"usage\":{{}}"}}],"usage":{usage}}},"requestId":"req_1","timestamp":"{T}","sessionId":"s1"{extra}}}"#
        )
    }

    const USAGE: &str = r#"{"input_tokens":1,"cache_creation_input_tokens":2,"cache_read_input_tokens":3,"output_tokens":4,"cache_creation":{"ephemeral_5m_input_tokens":2,"ephemeral_1h_input_tokens":0},"speed":"standard"}"#;

    #[test]
    fn a_line_handed_over_from_another_profile_counts_there_only() {
        let marked = assistant(r#","ccsHandedFrom":"work""#, USAGE);
        let parsed = parse(marked.as_bytes());
        assert!(parsed.records.is_empty() && !parsed.broken, "{marked}");
        // The key's text in a message is not the member.
        let said = assistant(r#","note":"\"ccsHandedFrom\":""#, USAGE);
        assert_eq!(parse(said.as_bytes()).records.len(), 1, "{said}");
    }

    #[test]
    fn an_assistant_line_gives_its_usage_and_keys() {
        let line = assistant("", USAGE);
        let parsed = parse(line.as_bytes());
        assert!(!parsed.broken && parsed.limit.is_none());
        assert_eq!(
            parsed.records,
            [Record {
                timestamp: T_MS,
                tokens: Tokens {
                    input_tokens: 1,
                    output_tokens: 4,
                    cache_creation_input_tokens: 2,
                    cache_read_input_tokens: 3,
                },
                model: Some("claude-opus-5-5".into()),
                message_id: Some("msg_1".into()),
                request_id: Some("req_1".into()),
                session_id: Some("s1".into()),
                sidechain: false,
                has_speed: true,
            }]
        );
    }

    #[test]
    fn a_progress_line_gives_the_nested_reply() {
        let line = format!(
            r#"{{"type":"progress","sessionId":"s1","timestamp":"{T}","data":{{"message":{{"timestamp":"{T}","requestId":"req_p","isSidechain":true,"message":{{"id":"msg_p","model":"m","usage":{{"input_tokens":3,"output_tokens":4}}}}}}}}}}"#
        );
        let records = parse(line.as_bytes()).records;
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].tokens.input_tokens, 3);
        assert_eq!(records[0].request_id.as_deref(), Some("req_p"));
        assert!(records[0].sidechain);
    }

    #[test]
    fn lines_of_other_kinds_are_neither_counted_nor_broken() {
        for line in [
            r#"{"type":"user","message":{"role":"user","content":"hi"},"timestamp":"2026-11-20T10:00:00.000Z"}"#,
            r#"{"type":"user","toolUseResult":{"usage":{"input_tokens":1,"output_tokens":1}},"message":{"role":"user","content":"x"},"timestamp":"2026-11-20T10:00:00.000Z"}"#,
            "",
            "not json and no usage",
        ] {
            let parsed = parse(line.as_bytes());
            assert!(parsed.records.is_empty() && !parsed.broken, "{line}");
        }
    }

    #[test]
    fn a_usage_that_is_not_sound_makes_the_line_broken() {
        let torn = assistant("", USAGE);
        let torn = &torn[..torn.len() - 10];
        let mut not_utf8 = assistant("", USAGE).into_bytes();
        let at = not_utf8.windows(4).position(|w| w == b"read").unwrap();
        not_utf8[at] = 0xff;
        for line in [
            torn.as_bytes().to_vec(),
            not_utf8,
            assistant("", r#"{"input_tokens":"7","output_tokens":1}"#).into_bytes(),
            assistant("", r#"{"input_tokens":-7,"output_tokens":1}"#).into_bytes(),
            assistant("", r#"{"input_tokens":7}"#).into_bytes(),
            assistant(
                "",
                r#"{"input_tokens":7,"output_tokens":1,"cache_read_input_tokens":null}"#,
            )
            .into_bytes(),
            assistant(r#","isSidechain":"yes""#, USAGE).into_bytes(),
            assistant("", USAGE).replace(T, "yesterday").into_bytes(),
        ] {
            let parsed = parse(&line);
            assert!(
                parsed.records.is_empty() && parsed.broken,
                "{}",
                String::from_utf8_lossy(&line)
            );
        }
    }

    #[test]
    fn claudes_cache_total_wins_over_the_buckets() {
        let both = r#"{"input_tokens":0,"output_tokens":0,"cache_creation_input_tokens":1001,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0}}"#;
        let buckets_only = r#"{"input_tokens":0,"output_tokens":0,"cache_creation":{"ephemeral_5m_input_tokens":30,"ephemeral_1h_input_tokens":20}}"#;
        let cache = |usage| {
            parse(assistant("", usage).as_bytes()).records[0]
                .tokens
                .cache_creation_input_tokens
        };
        assert_eq!(cache(both), 1001);
        assert_eq!(cache(buckets_only), 50);
    }

    #[test]
    fn the_advisor_counts_as_a_reply_of_its_own() {
        let usage = r#"{"input_tokens":10,"output_tokens":5,"iterations":[{"type":"message","input_tokens":10,"output_tokens":5},{"type":"advisor_message","model":"claude-opus-4-7","input_tokens":1000,"output_tokens":100,"cache_read_input_tokens":7}]}"#;
        let line = assistant("", usage);
        let records = parse(line.as_bytes()).records;
        assert_eq!(records.len(), 2);
        assert_eq!(records[1].message_id.as_deref(), Some("msg_1:advisor:0"));
        assert_eq!(records[1].model.as_deref(), Some("claude-opus-4-7"));
        assert_eq!(
            (
                records[1].tokens.input_tokens,
                records[1].tokens.cache_read_input_tokens
            ),
            (1000, 7)
        );
    }
}

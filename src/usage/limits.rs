//! Usage limits the client recorded in a transcript: when a request is refused for the account's
//! limit, Claude Code writes an error reply of its own (`"isApiErrorMessage":true`, model
//! `<synthetic>`, zero usage) into the transcript.
//!
//! How it says until when changed over the client's versions:
//!
//! - `Claude AI usage limit reached|1796029200`: the reset in Unix seconds, in the text;
//! - `5-hour limit reached ∙ resets 2am`: a clock time in the writer's own zone;
//! - `You've hit your limit · resets 6pm (Asia/Hong_Kong)`, and (2.1.3xx)
//!   `You've hit your 5-hour limit · resets Jan 1, 2031, 12am (UTC)`: a clock time, with a date
//!   when more than a day away, in the zone named;
//! - 2.1.3xx also records the reset exactly beside the text: `quotaLimits.resetsAt` and
//!   `apiErrorParams.rate_limit_info.resetsAt` (Unix seconds), with the window
//!   (`rateLimitType`). That is read first.
//!
//! A clock time is the first such time at or after the line was written.

use serde_json::Value;

use super::time::{Millis, SECOND};

/// A limit the client hit, as recorded on one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LimitEvent {
    /// When the line was written.
    pub at: Millis,
    /// When the limit lifts, in Unix seconds.
    pub resets_at: i64,
    /// Which limit, in the client's words (`five_hour`, `seven_day`, …), when it said.
    pub window: Option<String>,
}

/// The limit an error line records, if it records one.
pub(crate) fn from_error_line(text: &str, at: Millis) -> Option<LimitEvent> {
    let value: Value = serde_json::from_str(text).ok()?;
    if value.get("isApiErrorMessage") != Some(&Value::Bool(true)) {
        return None;
    }
    structured(&value, at).or_else(|| from_text(&message_text(&value)?, at))
}

/// `quotaLimits` or `apiErrorParams.rate_limit_info`: `{status, resetsAt, rateLimitType}`.
fn structured(value: &Value, at: Millis) -> Option<LimitEvent> {
    [
        value.get("quotaLimits"),
        value.pointer("/apiErrorParams/rate_limit_info"),
    ]
    .into_iter()
    .flatten()
    .filter(|info| info.get("status").and_then(Value::as_str) == Some("rejected"))
    .find_map(|info| {
        let resets_at = info.get("resetsAt")?.as_f64()?;
        (resets_at.is_finite() && resets_at > 0.0).then(|| LimitEvent {
            at,
            resets_at: resets_at as i64,
            window: info
                .get("rateLimitType")
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    })
}

/// The text of the client's error reply.
fn message_text(value: &Value) -> Option<String> {
    let content = value.pointer("/message/content")?;
    if let Some(text) = content.as_str() {
        return Some(text.to_owned());
    }
    let texts: Vec<&str> = content
        .as_array()?
        .iter()
        .filter_map(|block| block.get("text")?.as_str())
        .collect();
    (!texts.is_empty()).then(|| texts.join("\n"))
}

/// A limit said in words, in any of the forms the module comment lists.
pub(crate) fn from_text(text: &str, at: Millis) -> Option<LimitEvent> {
    if let Some(rest) = text.split("Claude AI usage limit reached|").nth(1) {
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let resets_at: i64 = digits.parse().ok().filter(|&s| s > 0)?;
        return Some(LimitEvent {
            at,
            resets_at,
            window: None,
        });
    }
    if !text.contains("limit") {
        return None;
    }
    let spec = text.split(" resets ").nth(1)?;
    Some(LimitEvent {
        at,
        resets_at: resets_at_clock(spec, at)?,
        window: window_named_in(text),
    })
}

/// Which limit the words name.
fn window_named_in(text: &str) -> Option<String> {
    let window = if text.contains("5-hour") || text.contains("session limit") {
        "five_hour"
    } else if text.contains("weekly") {
        "seven_day"
    } else {
        return None;
    };
    Some(window.to_owned())
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The instant `resets …` means, for a line written at `at`: `2am`, `2:30pm`, `Dec 3, 6pm`,
/// `Jan 1, 2031, 12am`, each optionally followed by `(Zone/Name)`; without a zone, the local one.
fn resets_at_clock(spec: &str, at: Millis) -> Option<i64> {
    let (when, zone) = split_zone(spec);
    let zone = match zone {
        Some(name) => jiff::tz::TimeZone::get(name).ok()?,
        None => super::time::local_zone(),
    };
    let parts: Vec<&str> = when.split(',').map(str::trim).collect();
    let (date, year, time) = match parts.as_slice() {
        [time] => (None, None, *time),
        [date, time] => (Some(*date), None, *time),
        [date, year, time] => (Some(*date), Some(year.parse::<i16>().ok()?), *time),
        _ => return None,
    };
    let (hour, minute) = clock_time(time)?;
    let written = jiff::Timestamp::from_millisecond(at).ok()?;
    let local = zone.to_datetime(written);
    let (month, day) = match date {
        Some(date) => month_day(date)?,
        None => (local.month(), local.day()),
    };
    let at_year = |year: i16| {
        let dt = jiff::civil::DateTime::new(year, month, day, hour, minute, 0, 0).ok()?;
        zone.to_timestamp(dt).ok()
    };
    let mut reset = at_year(year.unwrap_or(local.year()))?;
    if reset < written && year.is_none() {
        // A bare clock time that has passed today means tomorrow; a date that has passed this
        // year means next year.
        reset = match date {
            None => reset
                .checked_add(jiff::SignedDuration::from_hours(24))
                .ok()?,
            Some(_) => at_year(local.year() + 1)?,
        };
    }
    Some(reset.as_millisecond().div_euclid(SECOND))
}

/// `6pm (Asia/Hong_Kong)` into `6pm` and `Asia/Hong_Kong`.
fn split_zone(spec: &str) -> (&str, Option<&str>) {
    let spec = spec.lines().next().unwrap_or("").trim();
    match spec.split_once(" (") {
        Some((when, rest)) => (when.trim(), rest.split(')').next()),
        None => {
            // The time may be followed by more words (` · progress saved`): stop at them.
            let end = spec
                .find(" ·")
                .or_else(|| spec.find(" ∙"))
                .unwrap_or(spec.len());
            (spec[..end].trim_end_matches('.').trim(), None)
        }
    }
}

/// `2am`, `12pm`, `2:30pm` (or `2 PM`) as a 24-hour clock.
fn clock_time(text: &str) -> Option<(i8, i8)> {
    let text = text.trim().to_ascii_lowercase();
    let (number, pm) = if let Some(n) = text.strip_suffix("pm") {
        (n.trim(), true)
    } else {
        (text.strip_suffix("am")?.trim(), false)
    };
    let (hour, minute) = match number.split_once(':') {
        Some((h, m)) => (h.parse::<i8>().ok()?, m.parse::<i8>().ok()?),
        None => (number.parse::<i8>().ok()?, 0),
    };
    if !(1..=12).contains(&hour) || !(0..60).contains(&minute) {
        return None;
    }
    Some((hour % 12 + if pm { 12 } else { 0 }, minute))
}

/// `Dec 3` as month and day.
fn month_day(text: &str) -> Option<(i8, i8)> {
    let (month, day) = text.split_once(' ')?;
    let month = MONTHS.iter().position(|m| *m == month)? as i8 + 1;
    Some((month, day.trim().parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-20T10:00:00Z, a Friday.
    const AT: Millis = 1_795_168_800_000;
    const AT_S: i64 = 1_795_168_800;

    fn reset(text: &str) -> Option<i64> {
        from_text(text, AT).map(|e| e.resets_at)
    }

    #[test]
    fn the_oldest_form_says_the_instant() {
        assert_eq!(
            reset("Claude AI usage limit reached|1796029200"),
            Some(1_796_029_200)
        );
        assert_eq!(reset("Claude AI usage limit reached|"), None);
        assert_eq!(reset("Claude AI usage limit reached|0"), None);
    }

    #[test]
    fn clock_times_in_a_named_zone_are_the_next_such_time() {
        // 10:00 UTC is 18:00 in Hong Kong: 6pm there is now, 7pm an hour on, 2am tomorrow.
        let hk = |t: &str| {
            reset(&format!(
                "You've hit your limit · resets {t} (Asia/Hong_Kong)"
            ))
        };
        assert_eq!(hk("6pm"), Some(AT_S));
        assert_eq!(hk("7pm"), Some(AT_S + 3600));
        assert_eq!(hk("6:30pm"), Some(AT_S + 1800));
        assert_eq!(hk("2am"), Some(AT_S + 8 * 3600));
        assert_eq!(hk("5pm"), Some(AT_S + 23 * 3600));
        assert_eq!(
            reset("You've hit your 5-hour limit · resets Jan 1, 2031, 12am (UTC)"),
            Some(1_924_992_000)
        );
        assert_eq!(
            reset("You've hit your weekly limit · resets Dec 3, 6pm (UTC)"),
            Some(AT_S + 13 * 86_400 + 8 * 3600)
        );
        // A date already past this year is next year's.
        assert_eq!(
            reset("You've hit your weekly limit · resets Jan 2, 12am (UTC)"),
            Some(1_798_848_000)
        );
    }

    #[test]
    fn a_clock_time_without_a_zone_is_local() {
        let local = super::super::time::local_zone();
        let got = reset("5-hour limit reached ∙ resets 2am").unwrap();
        let shown = jiff::Timestamp::from_second(got)
            .unwrap()
            .to_zoned_datetime(local);
        assert_eq!((shown.hour(), shown.minute()), (2, 0));
        assert!((AT_S..AT_S + 86_400).contains(&got));
    }

    #[test]
    fn windows_are_named_when_the_text_names_them() {
        let window = |t: &str| from_text(t, AT).and_then(|e| e.window);
        assert_eq!(
            window("You've hit your 5-hour limit · resets 2am (UTC)").as_deref(),
            Some("five_hour")
        );
        assert_eq!(
            window("5-hour limit reached ∙ resets 2am").as_deref(),
            Some("five_hour")
        );
        assert_eq!(
            window("You've hit your weekly limit · resets Mon 2am (UTC)"),
            None,
            "a weekday is not a form the client writes"
        );
        assert_eq!(window("You've hit your limit · resets 2am (UTC)"), None);
    }

    #[test]
    fn other_errors_are_not_limits() {
        for text in [
            "API Error: 500 Internal Server Error",
            "Prompt is too long",
            "You've hit your limit",
            "resets 2am",
            "You've hit your limit · resets soon",
            "You've hit your limit · resets 13pm (UTC)",
            "You've hit your limit · resets 2am (Not/A_Zone)",
        ] {
            assert_eq!(reset(text), None, "{text}");
        }
    }

    #[test]
    fn the_exact_reset_beside_the_text_wins() {
        let line = r#"{"type":"assistant","isApiErrorMessage":true,"message":{"model":"<synthetic>","content":[{"type":"text","text":"You've hit your 5-hour limit · resets Jan 1, 2031, 12am (UTC)"}],"usage":{"input_tokens":0,"output_tokens":0}},"apiErrorParams":{"rate_limit_info":{"status":"rejected","resetsAt":1924992001,"rateLimitType":"five_hour"}},"quotaLimits":{"status":"rejected","resetsAt":1924992001,"rateLimitType":"five_hour"},"timestamp":"2026-11-20T10:00:00.000Z"}"#;
        assert_eq!(
            from_error_line(line, AT),
            Some(LimitEvent {
                at: AT,
                resets_at: 1_924_992_001,
                window: Some("five_hour".into())
            })
        );
        let not_flagged = line.replace("\"isApiErrorMessage\":true", "\"isApiErrorMessage\":false");
        assert_eq!(from_error_line(&not_flagged, AT), None);
        let text_only = r#"{"isApiErrorMessage":true,"message":{"content":[{"type":"text","text":"Claude AI usage limit reached|1796029200"}]}}"#;
        assert_eq!(
            from_error_line(text_only, AT).map(|e| e.resets_at),
            Some(1_796_029_200)
        );
    }
}

//! Instants as transcripts write them and as people read them.
//!
//! Transcript timestamps are parsed by hand: there is one on every line counted, and Claude Code
//! always writes the same shape (`2026-11-20T10:00:00.000Z`, JavaScript's `toISOString`). Any
//! other valid RFC 3339 instant is read too. Showing a time to a person (`resets 14:00`) and
//! reading one the client wrote in a zone (`resets 6pm (Asia/Hong_Kong)`) needs the time zone
//! database, which `jiff` reads.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
pub(crate) type Millis = i64;

pub(crate) const SECOND: Millis = 1000;
pub(crate) const HOUR: Millis = 3600 * SECOND;
pub(crate) const DAY: Millis = 24 * HOUR;

/// Now, in milliseconds since the epoch.
pub(crate) fn now_millis() -> Millis {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => Millis::try_from(d.as_millis()).unwrap_or(Millis::MAX),
        Err(e) => -Millis::try_from(e.duration().as_millis()).unwrap_or(Millis::MAX),
    }
}

/// An RFC 3339 instant (`2026-11-20T10:00:00.000Z`, `2026-11-20T12:00:00+02:00`) in
/// milliseconds, or `None` for anything else. Digits past the millisecond are dropped.
pub(crate) fn parse_rfc3339(text: &str) -> Option<Millis> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let year = digits(&b[0..4])?;
    let (month, day) = (digits(&b[5..7])?, digits(&b[8..10])?);
    let (hour, minute, second) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    );
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut rest = &b[19..];
    let mut millis = 0;
    if let Some(fraction) = rest.strip_prefix(b".") {
        let len = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if len == 0 || len > 9 {
            return None;
        }
        for (i, c) in fraction[..len].iter().take(3).enumerate() {
            millis += i64::from(c - b'0') * [100, 10, 1][i];
        }
        rest = &fraction[len..];
    }
    let offset_minutes = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (h, m) = (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?);
            if h > 23 || m > 59 {
                return None;
            }
            let minutes = h * 60 + m;
            if *sign == b'-' { -minutes } else { minutes }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds * SECOND + millis)
}

/// A run of ASCII digits as a number.
fn digits(bytes: &[u8]) -> Option<i64> {
    bytes.iter().try_fold(0i64, |n, &c| {
        c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
    })
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `millis` floored to the start of its hour (UTC), where a 5-hour block starts.
pub(crate) fn floor_to_hour(millis: Millis) -> Millis {
    millis.div_euclid(HOUR) * HOUR
}

/// The local time zone: `TZ`, else the system's.
pub(crate) fn local_zone() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::system()
}

/// A reset time for a person, in `zone`: `14:00` when it is within a day of `now`, else
/// `Tue 14:00`, or `12 Dec 14:00` when more than a week away.
pub(crate) fn clock(at_seconds: i64, now: Millis, zone: &jiff::tz::TimeZone) -> String {
    let Ok(at) = jiff::Timestamp::from_second(at_seconds) else {
        return at_seconds.to_string();
    };
    let zoned = at.to_zoned_datetime(zone.clone());
    let ahead = at_seconds * SECOND - now;
    let format = if (-DAY..DAY).contains(&ahead) {
        "%H:%M"
    } else if (-7 * DAY..7 * DAY).contains(&ahead) {
        "%a %H:%M"
    } else {
        "%-d %b %H:%M"
    };
    zoned.strftime(format).to_string()
}

/// How long ago `then` was, for a person: `40s`, `12m`, `3h`, `2d`.
pub(crate) fn age(then: Millis, now: Millis) -> String {
    let seconds = (now - then).max(0) / SECOND;
    match seconds {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_instants_claude_code_writes_and_other_rfc3339_ones() {
        let base = 1_795_168_800_000; // 2026-11-20T10:00:00Z
        for (text, want) in [
            ("2026-11-20T10:00:00.000Z", Some(base)),
            ("2026-11-20T10:00:00Z", Some(base)),
            ("2026-11-20T10:00:00.123Z", Some(base + 123)),
            ("2026-11-20T10:00:00.5Z", Some(base + 500)),
            ("2026-11-20T10:00:00.123456789Z", Some(base + 123)),
            ("2026-11-20t10:00:00z", Some(base)),
            ("2026-11-20T12:00:00+02:00", Some(base)),
            ("2026-11-20T04:30:00.000-05:30", Some(base)),
            ("1970-01-01T00:00:00Z", Some(0)),
            ("1969-12-31T23:59:59Z", Some(-1000)),
            ("2024-02-29T00:00:00Z", Some(1_709_164_800_000)),
        ] {
            assert_eq!(parse_rfc3339(text), want, "{text}");
        }
        for bad in [
            "",
            "bogus",
            "2026-11-20 10:00:00",
            "2026-11-20T10:00:00",
            "2026-11-20T10:00Z",
            "2026-11-20T10:00:00+0200",
            "2026-11-20T10:00:60Z",
            "2026-11-20T24:00:00Z",
            "2026-02-29T10:00:00Z",
            "2026-13-01T10:00:00Z",
            "2026-11-20T10:00:00.Z",
            "2026-11-20T10:00:00.1234567890Z",
            " 2026-11-20T10:00:00Z",
            "2026-11-20T10:00:00Z ",
            "+02026-11-20T10:00:00Z",
            "2026-11-20T10:00:00,5Z",
            "２026-11-20T10:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_hand_parser_agrees_with_jiff() {
        let mut t = -86_400_000i64 * 800;
        while t < 86_400_000i64 * 365 * 80 {
            let ts = jiff::Timestamp::from_millisecond(t).unwrap();
            let text = ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
            assert_eq!(parse_rfc3339(&text), Some(t), "{text}");
            t += 3_600_000 * 37 + 123_457;
        }
    }

    #[test]
    fn hours_floor_towards_the_past() {
        assert_eq!(floor_to_hour(HOUR + 1), HOUR);
        assert_eq!(floor_to_hour(HOUR), HOUR);
        assert_eq!(floor_to_hour(-1), -HOUR);
    }

    #[test]
    fn clock_times_say_only_what_is_needed() {
        let utc = jiff::tz::TimeZone::UTC;
        let now = 1_795_168_800_000; // Friday 2026-11-20 10:00 UTC
        assert_eq!(clock(1_795_168_800 + 4 * 3600, now, &utc), "14:00");
        assert_eq!(clock(1_795_168_800 + 3 * 86_400, now, &utc), "Mon 10:00");
        assert_eq!(
            clock(1_795_168_800 + 30 * 86_400, now, &utc),
            "20 Dec 10:00"
        );
        let hk = jiff::tz::TimeZone::get("Asia/Hong_Kong").unwrap();
        assert_eq!(clock(1_795_168_800, now, &hk), "18:00");
    }

    #[test]
    fn ages_are_short() {
        assert_eq!(age(0, 40_000), "40s");
        assert_eq!(age(0, 12 * 60_000), "12m");
        assert_eq!(age(0, 3 * HOUR), "3h");
        assert_eq!(age(0, 2 * DAY), "2d");
        assert_eq!(age(10, 0), "0s");
    }
}

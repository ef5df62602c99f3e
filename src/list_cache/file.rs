//! `$CCS_HOME/list-cache.tsv`, as written and read, and the state of a file it keys entries on.
//!
//! Written and read by hand, not with serde: it is read for every profile on every `ccs list`,
//! and the hand-written reader is what brought 1,000 profiles from 15.4 M to 10.0 M instructions
//! (callgrind) and 4.5-5.9 ms to 3.7 ms (bench/run; README, performance).

use std::fs;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{Entry, Facts, SharingFacts};
use crate::claude_code::account::Account;
use crate::profile_name::ProfileName;
use crate::share::{Item, Mode, Status};

/// The first line of the cache; a file from another version of the format is ignored.
pub(super) const FORMAT: &str = "ccs list cache 3";

/// The state of a file or directory, which changes whenever it does: device, inode, mtime and
/// ctime (seconds and nanoseconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct StatKey([i64; 6]);

impl StatKey {
    #[cfg(unix)]
    pub(super) fn of(meta: &fs::Metadata) -> Option<StatKey> {
        use std::os::unix::fs::MetadataExt;
        Some(StatKey([
            meta.dev() as i64,
            meta.ino() as i64,
            meta.mtime(),
            meta.mtime_nsec(),
            meta.ctime(),
            meta.ctime_nsec(),
        ]))
    }

    /// Without inode and ctime a state cannot be trusted: nothing is cached.
    #[cfg(not(unix))]
    pub(super) fn of(_meta: &fs::Metadata) -> Option<StatKey> {
        None
    }

    /// Whether the last change (mtime or ctime) is at least `settle` before `now`.
    pub(super) fn changed_before(&self, now: SystemTime, settle: Duration) -> bool {
        let [.., mtime, mtime_ns, ctime, ctime_ns] = self.0;
        let last = (mtime, mtime_ns).max((ctime, ctime_ns));
        let (Ok(secs), Ok(nanos)) = (u64::try_from(last.0), u32::try_from(last.1)) else {
            return false;
        };
        let last = UNIX_EPOCH + Duration::new(secs, nanos);
        now.duration_since(last).is_ok_and(|age| age >= settle)
    }

    /// Reads back what `Display` wrote: six integers joined by `:`. Hand-rolled because it runs
    /// for every profile on every `ccs list`.
    fn parse(text: &str) -> Option<StatKey> {
        let mut key = [0i64; 6];
        let mut fields = split_on(text, b':');
        for slot in &mut key {
            *slot = parse_integer(fields.next()?)?;
        }
        fields.next().is_none().then_some(StatKey(key))
    }
}

/// A decimal integer, optionally negative (times before 1970 are valid).
fn parse_integer(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if digits.is_empty() {
        return None;
    }
    let mut value: i64 = 0;
    for byte in digits.bytes() {
        if !byte.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(i64::from(byte - b'0'))?;
    }
    Some(if negative { -value } else { value })
}

impl std::fmt::Display for StatKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [dev, ino, mtime, mtime_ns, ctime, ctime_ns] = self.0;
        write!(f, "{dev}:{ino}:{mtime}:{mtime_ns}:{ctime}:{ctime_ns}")
    }
}

// --- the file ---------------------------------------------------------------------------------
//
// Written and read by hand, not with serde: it is read for every profile on every `ccs list`,
// and the hand-written reader is what brought 1,000 profiles from 15.4 M to 10.0 M instructions
// (callgrind) and 4.5-5.9 ms to 3.7 ms (bench/run; README, performance).
//
// Line 1: FORMAT. Line 2: the source's key. Then one line per profile, fields separated by tabs:
// name, keys (`name=key` joined by `/`), sized_at, size, logged_in (0/1), subscription, e-mail,
// organisation, mode (empty: `.ccs.json` unreadable), the status word of each item in
// `Item::ALL` order (joined by `,`), summary, session records (0/1).
// Tabs and newlines cannot occur in a field: account fields are stripped of control characters
// when read, and the rest is ccs's own words.

/// Each profile's line with its name, sorted by name (as written: a sorted file costs one pass to
/// check); empty when the file is another version's or the source changed. A sorted list
/// searched by halving costs less here than hashing a thousand names.
pub(super) fn cached_lines<'a>(text: &'a str, source_key: &str) -> Vec<(&'a str, &'a str)> {
    // Lines are long enough for `split`'s memchr to pay; fields are not (see `split_on`).
    let mut lines = text.split('\n');
    if lines.next() != Some(FORMAT) || lines.next() != Some(source_key) {
        return Vec::new();
    }
    let mut cached: Vec<_> = lines
        .filter(|line| !line.is_empty())
        .filter_map(|line| Some((split_on(line, b'\t').next()?, line)))
        .collect();
    cached.sort_unstable_by(|a, b| a.0.cmp(b.0));
    cached
}

/// `text` split at each `separator` byte (an ASCII character, so every piece is a `str`).
/// What `str::split` does, without its general pattern search, which `ccs list` would run
/// for every field of every profile.
fn split_on(text: &str, separator: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        match current.bytes().position(|b| b == separator) {
            Some(at) => {
                rest = Some(&current[at + 1..]);
                Some(&current[..at])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

impl Entry {
    pub(super) fn parse(line: &str) -> Option<Entry> {
        let mut fields = split_on(line, b'\t');
        let mut next = || fields.next();
        let (_name, keys, sized_at, size) = (next()?, next()?, next()?, next()?);
        let (logged_in, subscription, email, organization) = (next()?, next()?, next()?, next()?);
        let (mode, items, summary, sessions) = (next()?, next()?, next()?, next()?);
        if next().is_some() {
            return None;
        }
        // Plain loops rather than collecting into `Option<Vec<_>>`: this runs for every profile
        // on every `ccs list`, and the adapters cost more than the parsing.
        let mut parsed_keys = Vec::with_capacity(1);
        for k in split_on(keys, b'/') {
            let (name, key) = k.split_once('=')?;
            let name = match name {
                "." => ".",
                item => Item::from_file_name(item)?.file_name(),
            };
            parsed_keys.push((name, StatKey::parse(key)?));
        }
        let optional = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        let sharing = if mode.is_empty() {
            None
        } else {
            let mut words = split_on(items, b',');
            let mut parsed_items = Vec::with_capacity(Item::ALL.len());
            for item in Item::ALL {
                parsed_items.push((item.file_name(), Status::known_word(words.next()?)?));
            }
            if words.next().is_some() {
                return None;
            }
            Some(SharingFacts {
                mode: Mode::from_word(mode)?,
                items: parsed_items,
                summary: summary.to_owned(),
            })
        };
        Some(Entry {
            keys: parsed_keys,
            sized_at: sized_at.parse().ok()?,
            facts: Facts {
                account: Account {
                    logged_in: logged_in == "1",
                    subscription: optional(subscription),
                    email: optional(email),
                    organization: optional(organization),
                },
                size: size.parse().ok()?,
                sharing,
                session_records: match sessions {
                    "1" => true,
                    "0" => false,
                    _ => return None,
                },
            },
        })
    }

    pub(super) fn line(&self, name: &ProfileName) -> String {
        let keys: Vec<String> = self.keys.iter().map(|(n, k)| format!("{n}={k}")).collect();
        let account = &self.facts.account;
        let (mode, items, summary) = match &self.facts.sharing {
            Some(s) => (
                s.mode.as_str(),
                s.items
                    .iter()
                    .map(|(_, word)| *word)
                    .collect::<Vec<_>>()
                    .join(","),
                s.summary.as_str(),
            ),
            None => ("", String::new(), ""),
        };
        [
            name.as_str(),
            &keys.join("/"),
            &self.sized_at.to_string(),
            &self.facts.size.to_string(),
            if account.logged_in { "1" } else { "0" },
            account.subscription.as_deref().unwrap_or(""),
            account.email.as_deref().unwrap_or(""),
            account.organization.as_deref().unwrap_or(""),
            mode,
            &items,
            summary,
            if self.facts.session_records { "1" } else { "0" },
        ]
        .join("\t")
    }
}

/// Whether every text field can be written as one field of one line.
pub(super) fn fits_in_a_field(facts: &Facts) -> bool {
    let account = &facts.account;
    [&account.subscription, &account.email, &account.organization]
        .into_iter()
        .flatten()
        .chain(facts.sharing.as_ref().map(|s| &s.summary))
        .all(|text| !text.contains(|c: char| c.is_control()))
}

#[cfg(test)]
mod tests {
    use super::super::SETTLE;
    use super::*;

    #[test]
    fn stat_keys_read_back_what_they_wrote() {
        for key in [
            StatKey([0; 6]),
            StatKey([i64::MAX, -1, -86_400, 999_999_999, 1_795_469_148, 1]),
        ] {
            assert_eq!(StatKey::parse(&key.to_string()), Some(key));
        }
        for bad in [
            "",
            "1:2:3:4:5",
            "1:2:3:4:5:6:7",
            "1:2:3:4:5:x",
            "1::3:4:5:6",
            "+1:2:3:4:5:6",
        ] {
            assert_eq!(StatKey::parse(bad), None, "{bad:?}");
        }
        assert_eq!(parse_integer("99999999999999999999"), None, "overflow");
    }

    #[test]
    fn a_change_counts_as_settled_only_after_the_settling_time() {
        let now = UNIX_EPOCH + Duration::new(1000, 500_000_000);
        let changed_at = |secs, nanos| StatKey([1, 1, secs, nanos, secs, nanos]);
        assert!(changed_at(998, 500_000_000).changed_before(now, SETTLE));
        assert!(!changed_at(998, 500_000_001).changed_before(now, SETTLE));
        assert!(
            !changed_at(2000, 0).changed_before(now, SETTLE),
            "the future"
        );
        // ctime counts too: it moves on any change, and cannot be set back.
        assert!(!StatKey([1, 1, 0, 0, 999, 0]).changed_before(now, SETTLE));
    }

    #[test]
    fn split_on_cuts_where_str_split_does() {
        for text in [
            "",
            "a",
            "\t",
            "a\tb",
            "\ta\t",
            "a\t\tb",
            "é\tß\t日本\t",
            "no tab at all",
        ] {
            let ours: Vec<&str> = split_on(text, b'\t').collect();
            let std: Vec<&str> = text.split('\t').collect();
            assert_eq!(ours, std, "{text:?}");
        }
    }

    #[test]
    fn cached_lines_are_found_in_any_order_and_blank_lines_are_skipped() {
        let text = format!("{FORMAT}\n-\nzed\tz\n\nalpha\ta\nmid\tm\n");
        let lines = cached_lines(&text, "-");
        let names: Vec<&str> = lines.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, ["alpha", "mid", "zed"]);
        assert_eq!(lines[2].1, "zed\tz");
        assert!(cached_lines(&text, "another source").is_empty());
        assert!(cached_lines("ccs list cache 1\n-\nalpha\ta\n", "-").is_empty());
    }
}

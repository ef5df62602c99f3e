//! What `ccs list` shows for each profile (account, size, sharing), and the cache that lets it
//! show a thousand profiles in a few milliseconds.
//!
//! Measuring one profile costs dozens of system calls: its two account files (`.claude.json`
//! grows to megabytes), every file under it for the size, each shared item. So the facts are
//! kept in `$CCS_HOME/list-cache.tsv` and reused while the profile's instance directory is
//! unchanged, which costs one `stat` per profile:
//!
//! - Claude Code replaces `.claude.json` and `.credentials.json` by renaming a new file into place,
//!   and ccs does the same with `.ccs.json`, links and copies, so a change of account or sharing
//!   is a change of the directory's mtime. Items that are real directories are watched too: a
//!   file added inside an empty `commands/` makes it the profile's own.
//! - Sharing also depends on the source (`~/.claude`): the cache is dropped when it changes.
//! - The size is re-measured when the directory changes (Claude Code rewrites `.claude.json` all
//!   through a session) and at least every [`SIZE_MAX_AGE`]; `ccs du` always measures afresh.
//! - A directory changed within [`SETTLE`] of now is measured but not cached: a change made in the
//!   same clock tick as the one measured would leave the mtime as it was.
//! - Copy-mode profiles, links pointing elsewhere and broken links depend on files outside the
//!   directory, so those profiles are measured every time.
//!
//! A missing, foreign or broken cache is ignored and rewritten; one that cannot be written is
//! not an error. The file is private (it names accounts) and never holds a token.

use std::borrow::Cow;
use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::account::Account;
use crate::client;
use crate::fsx;
use crate::names::LIST_CACHE_FILE as CACHE_FILE;
use crate::profile_name::ProfileName;
use crate::share::{self, Item, Mode, Sharing, Status};
use crate::size;
use crate::store::{Profile, Store};

/// The first line of the cache; a file from another version of the format is ignored.
const FORMAT: &str = "ccs list cache 3";
pub const SIZE_MAX_AGE: Duration = Duration::from_secs(3600);
pub const SETTLE: Duration = Duration::from_secs(2);

/// Everything `ccs list` says about one profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    pub account: Account,
    /// Bytes on disk, as `du` counts them.
    pub size: u64,
    /// `None` when `.ccs.json` is unreadable.
    pub sharing: Option<SharingFacts>,
    /// The client's `sessions/` holds records of running sessions (whether their processes
    /// still run is checked at each listing: one killed outright leaves its record).
    pub session_records: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharingFacts {
    pub mode: Mode,
    /// Each item's file name and status word, as `--json` shows them.
    pub items: Vec<(&'static str, &'static str)>,
    /// The phrase the table shows: `5 shared`, `isolated, 1 own`.
    pub summary: String,
}

/// The facts of each profile, from the cache where it is still true. `profiles` come with their
/// metadata, as [`Store::profiles_with_metadata`] lists them.
pub fn facts(store: &Store, profiles: &[Profile]) -> Vec<Facts> {
    let source = share::source_dir().ok();
    let path = store.root().join(CACHE_FILE);
    let source_key = source_key(source.as_deref());
    let text = fs::read_to_string(&path).unwrap_or_default();
    let cached = cached_lines(&text, &source_key);
    let now = SystemTime::now();
    // The cache as it will be written: the lines that still hold, and new ones.
    let mut kept: Vec<Cow<str>> = Vec::with_capacity(profiles.len());
    let mut added = false;
    let facts = profiles
        .iter()
        .map(|profile| {
            let (name, meta) = (&profile.name, &profile.meta);
            let hit = cached
                .binary_search_by(|(cached_name, _)| (*cached_name).cmp(name.as_str()))
                .ok()
                .and_then(|at| {
                    let line = cached[at].1;
                    Some((line, Entry::parse(line)?))
                })
                .filter(|(_, entry)| entry.holds(store, profile, now));
            if let Some((line, entry)) = hit {
                kept.push(Cow::Borrowed(line));
                return entry.facts;
            }
            let measured = measure(&store.instance_dir(name), meta.as_ref(), source.as_deref());
            if let Some(entry) = Entry::worth_keeping(&measured, now) {
                kept.push(Cow::Owned(entry.line(name)));
                added = true;
            }
            measured.facts
        })
        .collect();
    // Written only when it changed: a profile measured every time (copy mode) costs no write.
    if added || kept.len() != cached.len() {
        let mut text = format!("{FORMAT}\n{source_key}\n");
        for line in kept {
            text.push_str(&line);
            text.push('\n');
        }
        // Without fsync: a cache lost in a crash is measured again.
        let _ = fsx::replace_file(&path, text.as_bytes(), 0o600, false);
    }
    facts
}

/// One profile's facts, measured now, with the state of what they were measured from.
struct Measured {
    facts: Facts,
    /// The instance directory (`.`) and each item that is a real directory, with their state
    /// taken before anything was read, so a change made while measuring shows up next time.
    /// `None` when some state could not be read.
    keys: Option<Vec<(&'static str, StatKey)>>,
    /// The facts depend on files outside what `keys` covers.
    depends_outside: bool,
}

fn measure(dir: &Path, meta: Option<&fs::Metadata>, source: Option<&Path>) -> Measured {
    let sharing = Sharing::load(dir).ok();
    let keys = state_of(dir, meta, sharing.as_ref());
    let statuses = sharing
        .as_ref()
        .map(|s| share::status(dir, s, source))
        .unwrap_or_default();
    let depends_outside = sharing.as_ref().is_some_and(|s| s.mode == Mode::Copy)
        || statuses
            .iter()
            .any(|s| matches!(s.status, Status::Broken | Status::Elsewhere(_)));
    let sharing = sharing.map(|s| SharingFacts {
        mode: s.mode,
        items: statuses
            .iter()
            .map(|i| (i.item.file_name(), i.status.word()))
            .collect(),
        summary: share::summary(&s, &statuses),
    });
    Measured {
        facts: Facts {
            account: Account::read(dir),
            size: size::disk_usage(dir),
            sharing,
            session_records: has_session_records(dir),
        },
        keys,
        depends_outside,
    }
}

/// Whether the client's `sessions/` holds a record (`<pid>.json`).
fn has_session_records(dir: &Path) -> bool {
    fs::read_dir(dir.join("sessions"))
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| client::is_session_record(&e.file_name()))
}

/// The state of the instance directory and of each item in it that is a real directory: the
/// contents of those decide whether they are the profile's own, and a file added inside one does
/// not change the instance directory's mtime. Not an item shared entry by entry (`skills/` of a
/// linking profile): ccs changes its links itself and then touches the instance directory
/// (`share::apply`), and what the client writes into it per account decides nothing here. A
/// `stat` of it at every listing cost a third of the listing's time (2.8 ms to 4.1 ms for 1,000
/// profiles).
fn state_of(
    dir: &Path,
    meta: Option<&fs::Metadata>,
    sharing: Option<&Sharing>,
) -> Option<Vec<(&'static str, StatKey)>> {
    let mut keys = vec![(".", StatKey::of(meta?)?)];
    let by_entry = |item: Item| {
        !item.per_account().is_empty()
            && sharing.is_some_and(|s| s.mode == Mode::Link && !s.not_shared.contains(&item))
    };
    for item in Item::ALL.into_iter().filter(|&i| !by_entry(i)) {
        let name = item.file_name();
        if let Ok(meta) = fs::symlink_metadata(dir.join(name))
            && meta.is_dir()
        {
            keys.push((name, StatKey::of(&meta)?));
        }
    }
    Some(keys)
}

/// A cached profile: its facts and the state of what they were measured from.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    keys: Vec<(&'static str, StatKey)>,
    /// When the size was measured (seconds since the epoch).
    sized_at: u64,
    facts: Facts,
}

impl Entry {
    /// The entry to cache for facts just measured, if they may be cached.
    fn worth_keeping(measured: &Measured, now: SystemTime) -> Option<Entry> {
        let keys = measured.keys.clone()?;
        let settled = keys.iter().all(|(_, key)| key.changed_before(now, SETTLE));
        if measured.depends_outside || !settled || !fits_in_a_field(&measured.facts) {
            return None;
        }
        Some(Entry {
            keys,
            sized_at: seconds(now),
            facts: measured.facts.clone(),
        })
    }

    /// Whether the entry still describes profile `name` (whose instance directory's metadata is
    /// `meta`): nothing it was measured from has changed since, and its size is not too old.
    fn holds(&self, store: &Store, profile: &Profile, now: SystemTime) -> bool {
        let size_age = seconds(now).saturating_sub(self.sized_at);
        size_age < SIZE_MAX_AGE.as_secs()
            && self.keys.iter().all(|(item, key)| {
                let now = if *item == "." {
                    profile.meta.as_ref().and_then(StatKey::of)
                } else {
                    fs::symlink_metadata(store.instance_dir(&profile.name).join(item))
                        .ok()
                        .and_then(|m| StatKey::of(&m))
                };
                now.as_ref() == Some(key)
            })
    }
}

/// The state of a file or directory, which changes whenever it does: device, inode, mtime and
/// ctime (seconds and nanoseconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct StatKey([i64; 6]);

impl StatKey {
    #[cfg(unix)]
    fn of(meta: &fs::Metadata) -> Option<StatKey> {
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
    fn of(_meta: &fs::Metadata) -> Option<StatKey> {
        None
    }

    /// Whether the last change (mtime or ctime) is at least `settle` before `now`.
    fn changed_before(&self, now: SystemTime, settle: Duration) -> bool {
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

fn seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The state of the source and of each item in it (following links: a shared item may itself
/// be a link), or `-` when there is no source.
fn source_key(source: Option<&Path>) -> String {
    let Some(source) = source else {
        return "-".to_owned();
    };
    std::iter::once(source.to_path_buf())
        .chain(Item::ALL.into_iter().map(|i| source.join(i.file_name())))
        .map(|path| {
            fs::metadata(path)
                .ok()
                .and_then(|m| StatKey::of(&m))
                .map_or_else(|| "-".to_owned(), |k| k.to_string())
        })
        .collect::<Vec<_>>()
        .join(" ")
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
fn cached_lines<'a>(text: &'a str, source_key: &str) -> Vec<(&'a str, &'a str)> {
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
    fn parse(line: &str) -> Option<Entry> {
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

    fn line(&self, name: &ProfileName) -> String {
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
fn fits_in_a_field(facts: &Facts) -> bool {
    let account = &facts.account;
    [&account.subscription, &account.email, &account.organization]
        .into_iter()
        .flatten()
        .chain(facts.sharing.as_ref().map(|s| &s.summary))
        .all(|text| !text.contains(|c: char| c.is_control()))
}

#[cfg(test)]
mod tests {
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

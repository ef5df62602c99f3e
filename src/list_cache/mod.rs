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
//! not an error. The file is private (it names accounts) and never holds a token. Its format is
//! `file`.

mod file;

use std::borrow::Cow;
use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use self::file::{FORMAT, StatKey, cached_lines, fits_in_a_field};
use crate::claude_code::account::Account;
use crate::claude_code::sessions;
use crate::contract::LIST_CACHE_FILE as CACHE_FILE;
use crate::disk;
use crate::fsx;
use crate::share::{self, Item, Mode, Sharing, Status};
use crate::store::{Profile, Store};

pub(crate) const SIZE_MAX_AGE: Duration = Duration::from_secs(3600);
pub(crate) const SETTLE: Duration = Duration::from_secs(2);

/// Everything `ccs list` says about one profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Facts {
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
pub(crate) struct SharingFacts {
    pub mode: Mode,
    /// Each item's file name and status word, as `--json` shows them.
    pub items: Vec<(&'static str, &'static str)>,
    /// The phrase the table shows: `5 shared`, `isolated, 1 own`.
    pub summary: String,
}

/// The facts of each profile, from the cache where it is still true. `profiles` come with their
/// metadata, as [`Store::profiles_with_metadata`] lists them.
pub(crate) fn facts(store: &Store, profiles: &[Profile]) -> Vec<Facts> {
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
    let depends_outside = sharing.as_ref().is_some_and(Sharing::keeps_copies)
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
            size: disk::disk_usage(dir),
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
        .any(|e| sessions::is_session_record(&e.file_name()))
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
        let settle = settle_time();
        let settled = keys.iter().all(|(_, key)| key.changed_before(now, settle));
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

/// [`SETTLE`], or for the tests only `CCS_TEST_LIST_SETTLE_MS` milliseconds, so that a test of the
/// cache need not wait two seconds for it. Read only when a profile was measured.
fn settle_time() -> Duration {
    std::env::var_os("CCS_TEST_LIST_SETTLE_MS")
        .and_then(|ms| ms.to_str()?.parse().ok())
        .map_or(SETTLE, Duration::from_millis)
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

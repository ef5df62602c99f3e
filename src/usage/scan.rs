//! Finding a profile's transcripts and reading what is new in each.
//!
//! Transcripts are `projects/**/*.jsonl` in the profile (subagents' in
//! `projects/<project>/<session>/subagents/`). `projects` itself may be a link (the client writes
//! through it, so what it holds is this profile's); links inside it are not followed, as the
//! client never makes one and one could lead to another profile's history or into a loop.
//!
//! Claude Code only appends to a transcript. What was counted in a file is kept with the file's
//! state (device, inode, size, modification and change times) and the offset after its last
//! complete line: a file whose state is unchanged is not opened; one that grew is read from that
//! offset, once its first and last counted 4 KiB are found unchanged; any other change (a file
//! replaced, truncated or rewritten) is counted afresh. An unterminated last line is what the
//! client is writing: it counts if it is already whole, and is read again next time.

use std::borrow::Cow;
use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use memchr::memmem;
use xxhash_rust::xxh3::xxh3_64;

use super::dedup::{Entry, Key, NO_MODEL, key, model_index};
use super::limits::LimitEvent;
use super::line::{self, Record};
use super::time::Millis;

/// How much of a file's start and of the end of what was counted is compared before trusting
/// that it only grew.
const PROBE: u64 = 4096;

/// What a file's metadata says about its content: any write changes one of these.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Stat {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub mtime: (i64, i64),
    pub ctime: (i64, i64),
}

impl Stat {
    #[cfg(unix)]
    pub(crate) fn of(meta: &fs::Metadata) -> Stat {
        use std::os::unix::fs::MetadataExt;
        Stat {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }

    /// Without inodes a file cannot be recognised: every file reads as new (size 0 never matches
    /// a cached state with content).
    #[cfg(not(unix))]
    pub(crate) fn of(meta: &fs::Metadata) -> Stat {
        Stat {
            size: meta.len(),
            ..Stat::default()
        }
    }
}

/// A transcript found under `projects/`.
#[derive(Clone, Debug)]
pub(crate) struct Found {
    /// Its path under `projects/`, `/`-separated: what the cache and the order of counting use.
    pub rel: String,
    pub path: PathBuf,
    pub stat: Stat,
}

/// What a walk of `projects/` found.
#[derive(Debug, Default)]
pub(crate) struct Walk {
    /// Sorted by `rel`, the order ccusage counts in.
    pub files: Vec<Found>,
    /// Links inside `projects/`, not followed.
    pub links: Vec<PathBuf>,
    /// Directories and files that could not be read, with why.
    pub unreadable: Vec<(PathBuf, io::Error)>,
    /// The directories' entries, for the next walk: only those of directories that had been
    /// left alone for a while when listed (see [`Listing`]), sorted by `rel`.
    pub listings: Vec<Listing>,
}

/// A directory's entries that matter to a walk, as listed when the directory was in state
/// `stat`. A directory's modification time changes whenever an entry is added, removed or
/// renamed in it, so while its state is the same the listing holds, and the next walk takes
/// one `stat` for it instead of reading it (five system calls: most of a walk's cost when a
/// history has thousands of sessions). One caveat is the clock's grain: a change in the same
/// tick as the one before leaves the time as it was, so a listing is kept only if nothing
/// changed in the directory for [`SETTLED`] before it was listed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Listing {
    /// The directory's path under `projects/` (empty for `projects/` itself).
    pub rel: String,
    pub stat: Stat,
    pub dirs: Vec<OsString>,
    /// Regular `*.jsonl` files.
    pub files: Vec<OsString>,
    pub links: Vec<OsString>,
}

/// How long a directory must have been left alone for its listing to be kept (never where
/// directories have no times a `stat` shows: see [`settled`]).
#[cfg(unix)]
const SETTLED: Millis = 2000;

/// Every `*.jsonl` file under `projects`, which need not exist, at `now`. `listed`: the
/// listings an earlier walk kept, sorted by `rel`; a directory still in the state one names is
/// not read again.
pub(crate) fn walk(projects: &Path, listed: &[Listing], now: Millis) -> Walk {
    let mut found = Walk::default();
    let mut dirs = vec![(projects.to_path_buf(), String::new())];
    while let Some((dir, rel)) = dirs.pop() {
        let before = listed
            .binary_search_by(|l| l.rel.as_str().cmp(&rel))
            .ok()
            .map(|at| &listed[at]);
        // The same directory as listed before (`projects` itself may be a link: followed).
        let same = before.filter(|b| fs::metadata(&dir).is_ok_and(|m| Stat::of(&m) == b.stat));
        let (listing, keep) = match same {
            Some(before) => (Cow::Borrowed(before), true),
            None => match list(&dir, &rel, now) {
                Ok((listing, keep, error)) => {
                    if let Some(e) = error {
                        found.unreadable.push((dir.clone(), e));
                    }
                    (Cow::Owned(listing), keep)
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound && rel.is_empty() => continue,
                Err(e) => {
                    found.unreadable.push((dir, e));
                    continue;
                }
            },
        };
        let child_rel = |name: &OsString| {
            let name = name.to_string_lossy();
            if rel.is_empty() {
                name.into_owned()
            } else {
                format!("{rel}/{name}")
            }
        };
        found
            .links
            .extend(listing.links.iter().map(|name| dir.join(name)));
        for name in &listing.dirs {
            dirs.push((dir.join(name), child_rel(name)));
        }
        for name in &listing.files {
            let path = dir.join(name);
            match fs::symlink_metadata(&path) {
                Ok(meta) => found.files.push(Found {
                    rel: child_rel(name),
                    path,
                    stat: Stat::of(&meta),
                }),
                Err(e) => found.unreadable.push((path, e)),
            }
        }
        if keep {
            found.listings.push(listing.into_owned());
        }
    }
    found.files.sort_by(|a, b| a.rel.cmp(&b.rel));
    found.listings.sort_by(|a, b| a.rel.cmp(&b.rel));
    found
}

/// Reads a directory's entries, and whether the listing may be kept: the directory was left
/// alone for [`SETTLED`], and every name is UTF-8 (the cache keeps names as text). An error
/// while reading ends the listing there, and comes with it.
fn list(dir: &Path, rel: &str, now: Millis) -> io::Result<(Listing, bool, Option<io::Error>)> {
    let stat = Stat::of(&fs::metadata(dir)?);
    let mut listing = Listing {
        rel: rel.to_owned(),
        stat,
        ..Listing::default()
    };
    let mut keep = settled(&stat, now);
    for entry in fs::read_dir(dir)? {
        let entry = match entry {
            Ok(entry) => entry,
            // What was listed so far is walked, and the directory named as unreadable.
            Err(e) => return Ok((listing, false, Some(e))),
        };
        let Ok(kind) = entry.file_type() else {
            keep = false;
            continue;
        };
        let name = entry.file_name();
        keep &= name.to_str().is_some();
        if kind.is_symlink() {
            listing.links.push(name);
        } else if kind.is_dir() {
            listing.dirs.push(name);
        } else if kind.is_file() && name.to_string_lossy().ends_with(".jsonl") {
            listing.files.push(name);
        }
    }
    Ok((listing, keep, None))
}

/// Whether a directory in state `stat` was left alone for [`SETTLED`] before `now`. Never
/// without inodes and times (the state says nothing there).
#[cfg(unix)]
fn settled(stat: &Stat, now: Millis) -> bool {
    let millis = |(secs, nanos): (i64, i64)| secs.saturating_mul(1000) + nanos / 1_000_000;
    millis(stat.mtime).max(millis(stat.ctime)) < now - SETTLED
}

#[cfg(not(unix))]
fn settled(_: &Stat, _: Millis) -> bool {
    false
}

/// The session a transcript's path names, for lines that do not say (ccusage's rule):
/// `<project>/<session>.jsonl`, `<project>/<session>/subagents/<agent>.jsonl`, else the name of
/// the file's directory.
pub(crate) fn session_of_path(rel: &str) -> Key {
    let parts: Vec<&str> = rel.split('/').collect();
    let n = parts.len();
    if n == 2
        && let Some(stem) = parts[1].strip_suffix(".jsonl").filter(|s| !s.is_empty())
    {
        return key(stem);
    }
    if n >= 4 && parts[n - 2] == "subagents" {
        return key(parts[n - 3]);
    }
    key(parts[n.saturating_sub(2)])
}

/// What was counted in one file, and where to go on from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counted {
    /// The file's state when it was read.
    pub stat: Stat,
    /// The offset after its last complete line.
    pub consumed: u64,
    /// Hashes of the first [`PROBE`] bytes and of the last `PROBE` bytes before `consumed`.
    pub head: u64,
    pub anchor: u64,
    /// The model names entries point into.
    pub models: Vec<String>,
    /// From complete lines, in order.
    pub entries: Vec<Entry>,
    /// From an unterminated last line that is already whole; counted while the file is as read.
    pub tail: Vec<Entry>,
    pub limits: Vec<LimitEvent>,
    /// Complete lines with usage that were not sound.
    pub broken: u32,
}

impl Counted {
    /// Whether this still describes a file now in state `stat`.
    pub(crate) fn is_current(&self, stat: &Stat) -> bool {
        self.stat == *stat
    }
}

/// Reads `path`, going on from `before` where the file only grew since. `buffer` is lent by the
/// caller and reused from file to file: memory touched once is not faulted in again for each.
pub(crate) fn read(
    path: &Path,
    rel: &str,
    before: Option<Counted>,
    buffer: &mut Vec<u8>,
) -> io::Result<Counted> {
    read_in_chunks(path, rel, before, CHUNK, buffer)
}

fn read_in_chunks(
    path: &Path,
    rel: &str,
    before: Option<Counted>,
    chunk: usize,
    data: &mut Vec<u8>,
) -> io::Result<Counted> {
    let mut file = File::open(path)?;
    // The state is taken before reading: what is appended while reading shows as growth next
    // time, never as a state already seen.
    let stat = Stat::of(&file.metadata()?);
    let session = session_of_path(rel);
    let mut counted = match before {
        Some(before) if grew_from(&mut file, &stat, &before)? => before,
        _ => Counted::default(),
    };
    counted.stat = stat;
    counted.tail.clear();
    file.seek(SeekFrom::Start(counted.consumed))?;
    // In chunks, so that a transcript of gigabytes never sits in memory whole: only its complete
    // lines are handed on, and the rest of the last one waits for the next chunk.
    data.clear();
    loop {
        let start = data.len();
        let left = stat.size.saturating_sub(counted.consumed + start as u64);
        // Sized for what is left of the file (most are far smaller than a chunk); `read_to_end`
        // fills it without zeroing it first.
        data.reserve((left as usize).clamp(1, chunk));
        let n = (&mut file).take(chunk as u64).read_to_end(data)?;
        if n == 0 {
            break;
        }
        let Some(last) = memchr::memrchr(b'\n', &data[start..]) else {
            continue;
        };
        let complete = start + last + 1;
        each_usage_line(&data[..complete], |line| counted.add(line, session, false));
        counted.consumed += complete as u64;
        data.drain(..complete);
    }
    if !data.is_empty() {
        counted.add(data, session, true);
    }
    counted.head = hash_range(&mut file, 0, counted.consumed.min(PROBE))?;
    counted.anchor = anchor_of(&mut file, counted.consumed)?;
    Ok(counted)
}

/// How much is read at a time.
const CHUNK: usize = 8 << 20;

/// Whether the file in state `stat` is `before`'s with lines appended: the same file, longer,
/// with the same first bytes and the same bytes before where counting stopped. (A change that
/// keeps the size is a rewrite: appending always adds bytes.)
fn grew_from(file: &mut File, stat: &Stat, before: &Counted) -> io::Result<bool> {
    let same_file = (stat.dev, stat.ino) == (before.stat.dev, before.stat.ino);
    if !same_file || stat.size <= before.stat.size || before.consumed == 0 {
        return Ok(false);
    }
    Ok(
        hash_range(file, 0, before.consumed.min(PROBE))? == before.head
            && anchor_of(file, before.consumed)? == before.anchor,
    )
}

fn anchor_of(file: &mut File, consumed: u64) -> io::Result<u64> {
    let start = consumed.saturating_sub(PROBE);
    hash_range(file, start, consumed - start)
}

fn hash_range(file: &mut File, start: u64, len: u64) -> io::Result<u64> {
    let mut bytes = vec![0; len as usize];
    file.seek(SeekFrom::Start(start))?;
    file.read_exact(&mut bytes)?;
    Ok(fingerprint(&bytes))
}

/// A hash of file content, stored in the cache: XXH3 64-bit, fixed by its specification.
pub(crate) fn fingerprint(bytes: &[u8]) -> u64 {
    xxh3_64(bytes)
}

/// Calls `each` with every line of `data` (complete lines, without their newline) that mentions
/// usage. Lines that do not are skipped without looking for their end: most of a transcript's
/// bytes are prompts, tool results and attachments.
fn each_usage_line(data: &[u8], mut each: impl FnMut(&[u8])) {
    let finder = memmem::Finder::new(b"\"usage\"");
    let mut pos = 0;
    while let Some(hit) = finder.find(&data[pos..]) {
        let hit = pos + hit;
        // `pos` is always a line's start, so the line holding the hit starts after the last
        // newline between the two.
        let start = memchr::memrchr(b'\n', &data[pos..hit]).map_or(pos, |at| pos + at + 1);
        let end = memchr::memchr(b'\n', &data[hit..]).map_or(data.len(), |at| hit + at);
        each(&data[start..end]);
        pos = (end + 1).min(data.len());
        if pos >= data.len() {
            break;
        }
    }
}

impl Counted {
    /// Counts one line; `tail` marks an unterminated last line, which is not broken while the
    /// client may still be writing it.
    fn add(&mut self, line: &[u8], path_session: Key, tail: bool) {
        let parsed = line::parse(line);
        if parsed.broken && !tail {
            self.broken += 1;
        }
        if !tail {
            self.limits.extend(parsed.limit);
        }
        for record in parsed.records {
            let entry = self.entry(&record, path_session);
            if tail {
                self.tail.push(entry);
            } else {
                self.entries.push(entry);
            }
        }
    }

    fn entry(&mut self, r: &Record, path_session: Key) -> Entry {
        let id = |id: &Option<std::borrow::Cow<str>>| {
            id.as_deref().filter(|s| !s.is_empty()).map_or(0, key)
        };
        Entry {
            timestamp: r.timestamp,
            tokens: r.tokens,
            model: r
                .model
                .as_deref()
                .map_or(NO_MODEL, |m| model_index(&mut self.models, m)),
            message: id(&r.message_id),
            request: id(&r.request_id),
            session: r.session_id.as_deref().map_or(path_session, key),
            sidechain: r.sidechain,
            has_speed: r.has_speed,
        }
    }

    /// The model name an entry of this file points at.
    pub(crate) fn model(&self, entry: &Entry) -> Option<&str> {
        self.models
            .get(usize::from(entry.model))
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hashes of file content the cache stores: XXH3-64 as its reference implementation
    /// computes it (`xxhsum -H3`, xxHash 0.8.1). A change here discards every usage cache.
    #[test]
    fn content_is_fingerprinted_with_xxh3_64() {
        assert_eq!(
            fingerprint(br#"{"type":"assistant"}"#),
            0x0218_5800_546a_b524
        );
        assert_eq!(fingerprint(&[0; 4096]), 0x93d7_6fe1_48c6_89ba);
    }

    #[test]
    fn sessions_come_from_the_path_as_ccusage_reads_it() {
        assert_eq!(session_of_path("proj/abc.jsonl"), key("abc"));
        assert_eq!(
            session_of_path("proj/abc/subagents/agent-1.jsonl"),
            key("abc")
        );
        assert_eq!(session_of_path("proj/abc/chat.jsonl"), key("abc"));
        assert_eq!(session_of_path("x.jsonl"), key("x.jsonl"));
        assert_eq!(session_of_path("proj/.jsonl"), key("proj"));
    }

    #[test]
    fn lines_across_chunks_count_as_in_one_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        let line = |n: u64| {
            format!(
                r#"{{"type":"assistant","timestamp":"2026-11-20T10:00:00.000Z","requestId":"r{n}","message":{{"id":"m{n}","model":"x","content":[{{"type":"text","text":"{}"}}],"usage":{{"input_tokens":{n},"output_tokens":1}}}}}}"#,
                "z".repeat(n as usize * 13)
            )
        };
        let mut text: String = (1..20).map(|n| line(n) + "\n").collect();
        text.push_str(&line(99)); // unterminated, whole
        std::fs::write(&path, &text).unwrap();
        let buffer = &mut Vec::new();
        let whole = read_in_chunks(&path, "p/s.jsonl", None, 1 << 20, buffer).unwrap();
        assert_eq!(whole.entries.len(), 19);
        assert_eq!(whole.tail.len(), 1);
        assert_eq!(whole.consumed as usize, text.rfind('\n').unwrap() + 1);
        for chunk in [1, 7, 100, 333, 4096] {
            let read = read_in_chunks(&path, "p/s.jsonl", None, chunk, buffer).unwrap();
            assert_eq!(read, whole, "chunks of {chunk}");
        }
    }

    #[test]
    fn only_complete_lines_that_mention_usage_are_visited() {
        let data = b"{\"a\":1}\n{\"usage\":1}\n\n{\"b\":\"usage\"}\n{\"usage\":2}\n{\"usage\":3}";
        let mut seen = Vec::new();
        each_usage_line(data, |l| seen.push(String::from_utf8_lossy(l).into_owned()));
        // A line with the word as a value is visited too (the parser tells); an unterminated
        // last line too (`read` cuts it off before).
        assert_eq!(
            seen,
            [
                "{\"usage\":1}",
                "{\"b\":\"usage\"}",
                "{\"usage\":2}",
                "{\"usage\":3}"
            ]
        );
    }

    /// Sets a directory's modification time (and so its change time, to now) a minute back.
    #[cfg(unix)]
    fn age(dir: &Path) {
        let minute_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
        File::open(dir)
            .unwrap()
            .set_times(fs::FileTimes::new().set_modified(minute_ago))
            .unwrap();
    }

    #[cfg(unix)]
    fn rels(walk: &Walk) -> Vec<&str> {
        walk.files.iter().map(|f| f.rel.as_str()).collect()
    }

    /// A directory in the state it was listed in is not read again; one that changed is, and
    /// one that changed just before it was listed is not kept (the clock's grain could hide
    /// the next change).
    #[cfg(unix)]
    #[test]
    fn a_directory_as_it_was_listed_is_not_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let projects = dir.path().join("projects");
        fs::create_dir_all(projects.join("p")).unwrap();
        fs::write(projects.join("p/a.jsonl"), "{}\n").unwrap();
        fs::write(projects.join("p/notes.txt"), "").unwrap();
        // Changed a moment ago: listed, not kept.
        let now = super::super::time::now_millis();
        let first = walk(&projects, &[], now);
        assert_eq!(rels(&first), ["p/a.jsonl"]);
        assert!(first.listings.is_empty(), "{:?}", first.listings);

        age(&projects);
        age(&projects.join("p"));
        // The change time moved to now with the modification time; a change time two seconds
        // old is what a directory left alone has.
        let later = now + 5000;
        let settled = walk(&projects, &[], later);
        assert_eq!(rels(&settled), ["p/a.jsonl"]);
        let kept: Vec<&str> = settled.listings.iter().map(|l| l.rel.as_str()).collect();
        assert_eq!(kept, ["", "p"]);
        assert_eq!(settled.listings[1].files, ["a.jsonl"]);

        // Kept listings are believed while the directory's state is theirs: a listing naming a
        // file that is not there shows that the directory was not read.
        let mut believed = settled.listings.clone();
        believed[1].files.push("ghost.jsonl".into());
        let again = walk(&projects, &believed, later);
        assert_eq!(rels(&again), ["p/a.jsonl"]);
        assert_eq!(again.unreadable.len(), 1);
        assert!(again.unreadable[0].0.ends_with("p/ghost.jsonl"));
        assert_eq!(again.listings, believed, "kept again as they were");

        // A file added changes its directory: read again.
        fs::write(projects.join("p/b.jsonl"), "{}\n").unwrap();
        let grown = walk(&projects, &believed, later);
        assert_eq!(rels(&grown), ["p/a.jsonl", "p/b.jsonl"]);
        assert!(grown.unreadable.is_empty());
    }
}

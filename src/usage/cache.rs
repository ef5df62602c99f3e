//! What was counted in each of a profile's transcripts, kept between runs in
//! `$CCS_HOME/usage-cache/<profile>` so that a repeated `ccs usage` reads only what was appended.
//!
//! A compact binary file, written and read by hand, in two parts:
//!
//! - the head: the profile's [`Summary`] (what the sums need, sized by a week's use), the newest
//!   limit recorded, and each transcript's path and state. A repeated `ccs usage` that finds
//!   every transcript in the state the head names reads nothing else: its cost grows with the
//!   number of transcripts, not with the replies they hold;
//! - the ledger: every usage record of every transcript (hashed ids, counts, timestamps), which
//!   deduplication across files needs. It is read only when a transcript changed.
//!
//! All numbers are little-endian. Anything that does not read back exactly (another version,
//! hashes of another algorithm, a truncated file) makes the cache (or, when only the ledger is
//! broken, its records) unknown, and every transcript is counted afresh; a cache that cannot be
//! written is not an error. It holds no message text: ids only as hashes, model names, counts.

use std::ffi::OsString;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::Tokens;
use super::dedup::{Entry, key};
use super::limits::LimitEvent;
use super::scan::{Counted, Listing, Stat, fingerprint};
use super::tally::{LastBlock, Recent, Summary, Tally};
use crate::fsx;

/// Version 3: a head read on every run, the records after it (version 2 held only the records;
/// version 1 hashed with std's `DefaultHasher`).
const MAGIC: &[u8] = b"ccs usage cache 3\n";

/// A value that changes if a hash the cache stores would come out otherwise (another algorithm
/// for ids or for file content): a cache written with other hashes is not used, even where a
/// change of algorithm forgot to change [`MAGIC`].
fn hash_check() -> u128 {
    const PROBE: &str = "ccs usage cache key check";
    key(PROBE) ^ u128::from(fingerprint(PROBE.as_bytes()))
}

/// A profile's cached files, by path under `projects/`, sorted.
pub(crate) type Files = Vec<(String, Counted)>;

/// A transcript as the cache last saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Known {
    /// Its path under `projects/`.
    pub rel: String,
    pub stat: Stat,
    /// Complete lines with usage that were not sound.
    pub broken: u32,
}

/// The head of a cache: enough to answer when no transcript changed.
#[derive(Debug)]
pub(crate) struct Head {
    pub summary: Summary,
    /// The newest limit the client recorded in any transcript.
    pub limit: Option<LimitEvent>,
    /// Sorted by `rel`.
    pub files: Vec<Known>,
    /// The directories' entries, for the walk; in the order the walk visited them.
    pub listings: Vec<Listing>,
    /// The open cache, where the ledger starts: read from the same file as the head even if
    /// another `ccs` replaces the cache meanwhile.
    rest: Option<File>,
}

impl Head {
    /// What was counted in each file, for going on from it; empty when the ledger does not read
    /// back exactly.
    pub(crate) fn ledger(self) -> Files {
        let Some(mut rest) = self.rest else {
            return Files::new();
        };
        let mut bytes = Vec::new();
        if rest.read_to_end(&mut bytes).is_err() {
            return Files::new();
        }
        decode_ledger(&bytes, self.files).unwrap_or_default()
    }
}

/// The head of the cache at `path`; `None` when missing, foreign or broken.
pub(crate) fn load(path: &Path) -> Option<Head> {
    let mut file = File::open(path).ok()?;
    let size = file.metadata().ok()?.len();
    let mut start = [0; MAGIC.len() + 16 + 8];
    file.read_exact(&mut start).ok()?;
    let mut r = In(start.strip_prefix(MAGIC)?);
    if r.u128()? != hash_check() {
        return None;
    }
    let len = r.u64()?;
    if len > size {
        return None;
    }
    let mut bytes = vec![0; len as usize];
    file.read_exact(&mut bytes).ok()?;
    let mut head = decode_head(&bytes)?;
    head.rest = Some(file);
    Some(head)
}

/// Writes the cache (without fsync: a cache lost in a crash is counted again).
pub(crate) fn save(path: &Path, saved: &Saved) {
    let _ = fsx::replace_file(path, &encode(saved), 0o600, false);
}

/// What a cache is written from.
pub(crate) struct Saved<'a> {
    pub summary: &'a Summary,
    pub limit: Option<&'a LimitEvent>,
    pub files: &'a Files,
    pub listings: &'a [Listing],
}

pub(crate) fn encode(saved: &Saved) -> Vec<u8> {
    let Saved {
        summary,
        limit,
        files,
        listings,
    } = *saved;
    let mut head = Out(Vec::with_capacity(
        256 + summary.recent.len() * RECENT_SIZE + files.len() * 160,
    ));
    head.summary(summary);
    head.0.push(u8::from(limit.is_some()));
    if let Some(l) = limit {
        head.limit(l);
    }
    head.u32(files.len() as u32);
    for (rel, c) in files {
        head.text(rel);
        head.stat(&c.stat);
        head.u32(c.broken);
    }
    head.u32(listings.len() as u32);
    for l in listings {
        head.text(&l.rel);
        head.stat(&l.stat);
        for names in [&l.dirs, &l.files, &l.links] {
            head.u32(names.len() as u32);
            for name in names {
                // Only listings of UTF-8 names are kept (scan::walk).
                head.text(&name.to_string_lossy());
            }
        }
    }
    let entries: usize = files
        .iter()
        .map(|(_, c)| c.entries.len() + c.tail.len())
        .sum();
    let mut out = Out(Vec::with_capacity(
        MAGIC.len() + 24 + head.0.len() + files.len() * 80 + entries * ENTRY_SIZE,
    ));
    out.0.extend_from_slice(MAGIC);
    out.u128(hash_check());
    out.u64(head.0.len() as u64);
    out.0.extend_from_slice(&head.0);
    for (_, c) in files {
        for n in [c.consumed, c.head, c.anchor] {
            out.u64(n);
        }
        out.u32(c.models.len() as u32);
        for model in &c.models {
            out.text(model);
        }
        for list in [&c.entries, &c.tail] {
            out.u32(list.len() as u32);
            for e in list {
                out.entry(e);
            }
        }
        out.u32(c.limits.len() as u32);
        for l in &c.limits {
            out.limit(l);
        }
    }
    out.0
}

fn decode_head(bytes: &[u8]) -> Option<Head> {
    let mut r = In(bytes);
    let summary = r.summary()?;
    let limit = if r.flag()? { Some(r.limit()?) } else { None };
    let count = r.u32()?;
    let mut files = Vec::with_capacity(count.min(1 << 20) as usize);
    for _ in 0..count {
        files.push(Known {
            rel: r.text()?,
            stat: r.stat()?,
            broken: r.u32()?,
        });
    }
    let count = r.u32()?;
    let mut listings = Vec::with_capacity(count.min(1 << 20) as usize);
    for _ in 0..count {
        let (rel, stat) = (r.text()?, r.stat()?);
        let mut names = || {
            (0..r.u32()?)
                .map(|_| r.text().map(OsString::from))
                .collect::<Option<Vec<_>>>()
        };
        let (dirs, files, links) = (names()?, names()?, names()?);
        listings.push(Listing {
            rel,
            stat,
            dirs,
            files,
            links,
        });
    }
    r.0.is_empty().then_some(Head {
        summary,
        limit,
        files,
        listings,
        rest: None,
    })
}

fn decode_ledger(bytes: &[u8], known: Vec<Known>) -> Option<Files> {
    let mut r = In(bytes);
    let mut files = Vec::with_capacity(known.len());
    for k in known {
        let (consumed, head, anchor) = (r.u64()?, r.u64()?, r.u64()?);
        let models = (0..r.u32()?)
            .map(|_| r.text())
            .collect::<Option<Vec<_>>>()?;
        let entries = r.entries()?;
        let tail = r.entries()?;
        let limits = (0..r.u32()?)
            .map(|_| r.limit())
            .collect::<Option<Vec<_>>>()?;
        let counted = Counted {
            stat: k.stat,
            consumed,
            head,
            anchor,
            models,
            entries,
            tail,
            limits,
            broken: k.broken,
        };
        files.push((k.rel, counted));
    }
    r.0.is_empty().then_some(files)
}

/// A reply of the summary's last seven days: timestamp, four counts, model.
const RECENT_SIZE: usize = 8 + 4 * 8 + 2;

/// timestamp, four counts, model, three keys, flags.
const ENTRY_SIZE: usize = 8 + 4 * 8 + 2 + 3 * 16 + 1;

struct Out(Vec<u8>);

impl Out {
    fn u32(&mut self, n: u32) {
        self.0.extend_from_slice(&n.to_le_bytes());
    }
    fn u64(&mut self, n: u64) {
        self.0.extend_from_slice(&n.to_le_bytes());
    }
    fn i64(&mut self, n: i64) {
        self.0.extend_from_slice(&n.to_le_bytes());
    }
    fn u128(&mut self, n: u128) {
        self.0.extend_from_slice(&n.to_le_bytes());
    }
    fn text(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.0.extend_from_slice(s.as_bytes());
    }
    fn tokens(&mut self, t: &Tokens) {
        for n in [
            t.input_tokens,
            t.output_tokens,
            t.cache_creation_input_tokens,
            t.cache_read_input_tokens,
        ] {
            self.u64(n);
        }
    }
    fn stat(&mut self, s: &Stat) {
        for n in [s.dev, s.ino, s.size] {
            self.u64(n);
        }
        for n in [s.mtime.0, s.mtime.1, s.ctime.0, s.ctime.1] {
            self.i64(n);
        }
    }
    fn limit(&mut self, l: &LimitEvent) {
        self.i64(l.at);
        self.i64(l.resets_at);
        self.text(l.window.as_deref().unwrap_or(""));
    }
    fn tally(&mut self, t: &Tally) {
        self.tokens(&t.tokens);
        self.u32(t.models.len() as u32);
        for (model, tokens) in &t.models {
            self.text(model);
            self.tokens(tokens);
        }
    }
    fn summary(&mut self, s: &Summary) {
        self.i64(s.made_at);
        self.tally(&s.total);
        self.u32(s.models.len() as u32);
        for model in &s.models {
            self.text(model);
        }
        self.u32(s.recent.len() as u32);
        for r in &s.recent {
            self.i64(r.timestamp);
            self.tokens(&r.tokens);
            self.0.extend_from_slice(&r.model.to_le_bytes());
        }
        self.0.push(u8::from(s.last_block.is_some()));
        if let Some(b) = &s.last_block {
            self.i64(b.start);
            self.i64(b.last);
            self.tally(&b.tally);
        }
        self.0.push(u8::from(s.last_reply.is_some()));
        self.i64(s.last_reply.unwrap_or(0));
    }
    fn entry(&mut self, e: &Entry) {
        self.i64(e.timestamp);
        self.tokens(&e.tokens);
        self.0.extend_from_slice(&e.model.to_le_bytes());
        for k in [e.message, e.request, e.session] {
            self.u128(k);
        }
        self.0
            .push(u8::from(e.sidechain) | (u8::from(e.has_speed) << 1));
    }
}

struct In<'a>(&'a [u8]);

impl In<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take().map(u8::from_le_bytes)
    }
    fn u16(&mut self) -> Option<u16> {
        self.take().map(u16::from_le_bytes)
    }
    fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_le_bytes)
    }
    fn u64(&mut self) -> Option<u64> {
        self.take().map(u64::from_le_bytes)
    }
    fn i64(&mut self) -> Option<i64> {
        self.take().map(i64::from_le_bytes)
    }
    fn u128(&mut self) -> Option<u128> {
        self.take().map(u128::from_le_bytes)
    }
    fn text(&mut self) -> Option<String> {
        let len = self.u32()? as usize;
        let bytes = self.0.get(..len)?;
        self.0 = &self.0[len..];
        String::from_utf8(bytes.to_vec()).ok()
    }
    fn tokens(&mut self) -> Option<Tokens> {
        Some(Tokens {
            input_tokens: self.u64()?,
            output_tokens: self.u64()?,
            cache_creation_input_tokens: self.u64()?,
            cache_read_input_tokens: self.u64()?,
        })
    }
    fn stat(&mut self) -> Option<Stat> {
        Some(Stat {
            dev: self.u64()?,
            ino: self.u64()?,
            size: self.u64()?,
            mtime: (self.i64()?, self.i64()?),
            ctime: (self.i64()?, self.i64()?),
        })
    }
    fn limit(&mut self) -> Option<LimitEvent> {
        let (at, resets_at, window) = (self.i64()?, self.i64()?, self.text()?);
        Some(LimitEvent {
            at,
            resets_at,
            window: (!window.is_empty()).then_some(window),
        })
    }
    fn tally(&mut self) -> Option<Tally> {
        let tokens = self.tokens()?;
        let mut models = std::collections::BTreeMap::new();
        for _ in 0..self.u32()? {
            let (model, tokens) = (self.text()?, self.tokens()?);
            models.insert(model, tokens);
        }
        Some(Tally { tokens, models })
    }
    /// Some and only some: a flag that is neither 0 nor 1 is a broken cache.
    fn flag(&mut self) -> Option<bool> {
        match self.u8()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
    fn summary(&mut self) -> Option<Summary> {
        let made_at = self.i64()?;
        let total = self.tally()?;
        let models = (0..self.u32()?)
            .map(|_| self.text())
            .collect::<Option<Vec<_>>>()?;
        let count = self.u32()? as usize;
        let bytes = self.0.get(..count.checked_mul(RECENT_SIZE)?)?;
        self.0 = &self.0[bytes.len()..];
        let recent = bytes
            .chunks_exact(RECENT_SIZE)
            .map(|b| {
                let mut r = In(b);
                Some(Recent {
                    timestamp: r.i64()?,
                    tokens: r.tokens()?,
                    model: r.u16()?,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let last_block = if self.flag()? {
            Some(LastBlock {
                start: self.i64()?,
                last: self.i64()?,
                tally: self.tally()?,
            })
        } else {
            None
        };
        let has_last_reply = self.flag()?;
        let last_reply = self.i64()?;
        Some(Summary {
            made_at,
            total,
            recent,
            models,
            last_block,
            last_reply: has_last_reply.then_some(last_reply),
        })
    }
    fn entries(&mut self) -> Option<Vec<Entry>> {
        let count = self.u32()? as usize;
        let bytes = self.0.get(..count.checked_mul(ENTRY_SIZE)?)?;
        self.0 = &self.0[bytes.len()..];
        Some(bytes.chunks_exact(ENTRY_SIZE).map(entry).collect())
    }
}

/// One entry from its fixed-size record (the length is checked by the caller).
fn entry(b: &[u8]) -> Entry {
    let u64_at = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or_default());
    let u128_at = |at: usize| u128::from_le_bytes(b[at..at + 16].try_into().unwrap_or_default());
    let flags = b[ENTRY_SIZE - 1];
    Entry {
        timestamp: u64_at(0) as i64,
        tokens: Tokens {
            input_tokens: u64_at(8),
            output_tokens: u64_at(16),
            cache_creation_input_tokens: u64_at(24),
            cache_read_input_tokens: u64_at(32),
        },
        model: u16::from_le_bytes([b[40], b[41]]),
        message: u128_at(42),
        request: u128_at(58),
        session: u128_at(74),
        sidechain: flags & 1 != 0,
        has_speed: flags & 2 != 0,
    }
}

#[cfg(test)]
mod tests {
    use super::super::dedup::key;
    use super::super::tally::{Counted as Reply, summarize};
    use super::*;

    fn sample() -> Files {
        let entry = Entry {
            timestamp: -5,
            tokens: Tokens {
                input_tokens: 1,
                output_tokens: u64::MAX,
                cache_creation_input_tokens: 3,
                cache_read_input_tokens: 4,
            },
            model: 0,
            message: key("m"),
            request: 0,
            session: u128::MAX,
            sidechain: true,
            has_speed: true,
        };
        let counted = Counted {
            stat: Stat {
                dev: 1,
                ino: 2,
                size: 3,
                mtime: (4, 5),
                ctime: (-6, 7),
            },
            consumed: 3,
            head: 8,
            anchor: 9,
            models: vec!["claude-opus-5-5".into(), "ünï".into()],
            entries: vec![entry, Entry { model: 1, ..entry }],
            tail: vec![entry],
            limits: vec![
                LimitEvent {
                    at: 1,
                    resets_at: 2,
                    window: Some("five_hour".into()),
                },
                LimitEvent {
                    at: 3,
                    resets_at: 4,
                    window: None,
                },
            ],
            broken: 2,
        };
        vec![
            ("p/a.jsonl".into(), counted),
            ("p/b.jsonl".into(), Counted::default()),
        ]
    }

    /// A summary with every part: totals per model, recent replies with and without a model,
    /// a last block and a last reply.
    fn summary_of(files: &Files) -> Summary {
        let mut replies: Vec<Reply> = files
            .iter()
            .flat_map(|(_, c)| c.entries.iter().map(move |e| (c, e)))
            .map(|(c, e)| Reply {
                timestamp: e.timestamp,
                tokens: &e.tokens,
                model: c.model(e),
            })
            .collect();
        let tokens = Tokens::default();
        replies.push(Reply {
            timestamp: 0,
            tokens: &tokens,
            model: None,
        });
        summarize(&mut replies, 1)
    }

    fn listings() -> Vec<Listing> {
        let stat = Stat {
            dev: 1,
            ino: 9,
            size: 4096,
            mtime: (10, 11),
            ctime: (12, 13),
        };
        vec![
            Listing {
                rel: String::new(),
                stat,
                dirs: vec!["p".into()],
                files: vec![],
                links: vec!["elsewhere".into()],
            },
            Listing {
                rel: "p".into(),
                stat: Stat { ino: 10, ..stat },
                dirs: vec![],
                files: vec!["a.jsonl".into(), "b.jsonl".into()],
                links: vec![],
            },
        ]
    }

    fn written(bytes: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("work");
        std::fs::write(&path, bytes).unwrap();
        (dir, path)
    }

    #[test]
    fn the_cache_reads_back_what_it_wrote() {
        let files = sample();
        let summary = summary_of(&files);
        assert!(summary.last_block.is_some() && summary.recent.len() == 3);
        let limit = &files[0].1.limits[0];
        let listings = listings();
        let (_dir, path) = written(&encode(&Saved {
            summary: &summary,
            limit: Some(limit),
            files: &files,
            listings: &listings,
        }));
        let head = load(&path).unwrap();
        assert_eq!(head.summary, summary);
        assert_eq!(head.limit.as_ref(), Some(limit));
        assert_eq!(head.listings, listings);
        let known: Vec<(&str, Stat, u32)> = head
            .files
            .iter()
            .map(|k| (k.rel.as_str(), k.stat, k.broken))
            .collect();
        assert_eq!(
            known,
            [
                ("p/a.jsonl", files[0].1.stat, 2),
                ("p/b.jsonl", Stat::default(), 0)
            ]
        );
        assert_eq!(head.ledger(), files);

        let (_dir, path) = written(&encode(&Saved {
            summary: &Summary::default(),
            limit: None,
            files: &Vec::new(),
            listings: &[],
        }));
        let head = load(&path).unwrap();
        assert_eq!(
            (head.summary.clone(), head.limit.clone()),
            (Summary::default(), None)
        );
        assert_eq!(head.listings, []);
        assert_eq!(head.ledger(), Vec::new());
    }

    #[test]
    fn a_cache_that_does_not_read_back_exactly_is_unknown() {
        let files = sample();
        let bytes = encode(&Saved {
            summary: &summary_of(&files),
            limit: None,
            files: &files,
            listings: &listings(),
        });
        let head_end = MAGIC.len() + 24 + {
            let len: [u8; 8] = bytes[MAGIC.len() + 16..][..8].try_into().unwrap();
            u64::from_le_bytes(len) as usize
        };
        // A head cut short: nothing is known.
        for cut in [
            0,
            1,
            MAGIC.len(),
            MAGIC.len() + 16,
            head_end / 2,
            head_end - 1,
        ] {
            let (_dir, path) = written(&bytes[..cut]);
            assert!(load(&path).is_none(), "cut at {cut}");
        }
        // The head whole, the records not: the head answers, the records are unknown.
        for cut in [head_end, head_end + 1, bytes.len() - 1] {
            let (_dir, path) = written(&bytes[..cut]);
            assert_eq!(load(&path).unwrap().ledger(), Vec::new(), "cut at {cut}");
        }
        let (_dir, path) = written(&[&bytes[..], &[0]].concat());
        assert_eq!(load(&path).unwrap().ledger(), Vec::new());
        // Another hash algorithm, another version.
        let mut other_keys = bytes.clone();
        other_keys[MAGIC.len()] ^= 1;
        let (_dir, path) = written(&other_keys);
        assert!(load(&path).is_none());
        let mut other_version = bytes;
        other_version[MAGIC.len() - 2] = b'0';
        let (_dir, path) = written(&other_version);
        assert!(load(&path).is_none());
    }

    /// A cache as version 2 wrote it (the records only, right after the magic line and the hash
    /// check) is not read as version 3's head: every transcript is counted afresh.
    #[test]
    fn a_cache_of_version_2_is_discarded() {
        let mut old = b"ccs usage cache 2\n".to_vec();
        old.extend_from_slice(&hash_check().to_le_bytes());
        old.extend_from_slice(&0u32.to_le_bytes());
        let (_dir, path) = written(&old);
        assert!(load(&path).is_none());
        // Even one whose length field would read as a small head.
        old.extend_from_slice(&[0; 64]);
        let (_dir, path) = written(&old);
        assert!(load(&path).is_none());
    }
}

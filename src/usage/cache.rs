//! What was counted in each of a profile's transcripts, kept between runs in
//! `$CCS_HOME/usage-cache/<profile>` so that a repeated `ccs usage` reads only what was appended.
//!
//! A compact binary file, written and read by hand: a profile with a year of history holds
//! hundreds of thousands of replies, and reading them back must take milliseconds. All numbers
//! are little-endian. Anything that does not read back exactly (another version, hashes of
//! another algorithm, a truncated file) makes the whole cache unknown, and every
//! transcript is counted afresh; a cache that cannot be written is not an error. It holds no
//! message text: ids only as hashes, model names, counts.

use std::fs;
use std::path::Path;

use super::Tokens;
use super::dedup::{Entry, key};
use super::limits::LimitEvent;
use super::scan::{Counted, Stat, fingerprint};
use crate::fsx;

/// Version 2: ids and file content hashed with XXH3 (version 1 used std's `DefaultHasher`).
const MAGIC: &[u8] = b"ccs usage cache 2\n";

/// A value that changes if a hash the cache stores would come out otherwise (another algorithm
/// for ids or for file content): a cache written with other hashes is not used, even where a
/// change of algorithm forgot to change [`MAGIC`].
fn hash_check() -> u128 {
    const PROBE: &str = "ccs usage cache key check";
    key(PROBE) ^ u128::from(fingerprint(PROBE.as_bytes()))
}

/// A profile's cached files, by path under `projects/`, sorted.
pub(crate) type Files = Vec<(String, Counted)>;

/// The cache at `path`; empty when missing, foreign or broken.
pub(crate) fn load(path: &Path) -> Files {
    fs::read(path)
        .ok()
        .and_then(|bytes| decode(&bytes))
        .unwrap_or_default()
}

/// Writes the cache (without fsync: a cache lost in a crash is counted again).
pub(crate) fn save(path: &Path, files: &Files) {
    let _ = fsx::replace_file(path, &encode(files), 0o600, false);
}

pub(crate) fn encode(files: &Files) -> Vec<u8> {
    let entries: usize = files
        .iter()
        .map(|(_, c)| c.entries.len() + c.tail.len())
        .sum();
    let mut out = Out(Vec::with_capacity(
        64 + files.len() * 160 + entries * ENTRY_SIZE,
    ));
    out.0.extend_from_slice(MAGIC);
    out.u128(hash_check());
    out.u32(files.len() as u32);
    for (rel, c) in files {
        out.text(rel);
        let s = &c.stat;
        for n in [s.dev, s.ino, s.size] {
            out.u64(n);
        }
        for n in [s.mtime.0, s.mtime.1, s.ctime.0, s.ctime.1] {
            out.i64(n);
        }
        for n in [c.consumed, c.head, c.anchor] {
            out.u64(n);
        }
        out.u32(c.broken);
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
            out.i64(l.at);
            out.i64(l.resets_at);
            out.text(l.window.as_deref().unwrap_or(""));
        }
    }
    out.0
}

pub(crate) fn decode(bytes: &[u8]) -> Option<Files> {
    let mut r = In(bytes.strip_prefix(MAGIC)?);
    if r.u128()? != hash_check() {
        return None;
    }
    let count = r.u32()?;
    let mut files = Vec::with_capacity(count.min(1 << 20) as usize);
    for _ in 0..count {
        let rel = r.text()?;
        let stat = Stat {
            dev: r.u64()?,
            ino: r.u64()?,
            size: r.u64()?,
            mtime: (r.i64()?, r.i64()?),
            ctime: (r.i64()?, r.i64()?),
        };
        let (consumed, head, anchor, broken) = (r.u64()?, r.u64()?, r.u64()?, r.u32()?);
        let models = (0..r.u32()?)
            .map(|_| r.text())
            .collect::<Option<Vec<_>>>()?;
        let entries = r.entries()?;
        let tail = r.entries()?;
        let mut limits = Vec::new();
        for _ in 0..r.u32()? {
            let (at, resets_at, window) = (r.i64()?, r.i64()?, r.text()?);
            limits.push(LimitEvent {
                at,
                resets_at,
                window: (!window.is_empty()).then_some(window),
            });
        }
        let counted = Counted {
            stat,
            consumed,
            head,
            anchor,
            models,
            entries,
            tail,
            limits,
            broken,
        };
        files.push((rel, counted));
    }
    r.0.is_empty().then_some(files)
}

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
    fn entry(&mut self, e: &Entry) {
        self.i64(e.timestamp);
        let t = &e.tokens;
        for n in [
            t.input_tokens,
            t.output_tokens,
            t.cache_creation_input_tokens,
            t.cache_read_input_tokens,
        ] {
            self.u64(n);
        }
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

    #[test]
    fn the_cache_reads_back_what_it_wrote() {
        let files = sample();
        assert_eq!(decode(&encode(&files)), Some(files));
        assert_eq!(decode(&encode(&Vec::new())), Some(Vec::new()));
    }

    #[test]
    fn a_cache_that_does_not_read_back_exactly_is_unknown() {
        let bytes = encode(&sample());
        for cut in [
            0,
            1,
            MAGIC.len(),
            MAGIC.len() + 16,
            bytes.len() / 2,
            bytes.len() - 1,
        ] {
            assert_eq!(decode(&bytes[..cut]), None, "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(&longer), None);
        let mut other_keys = bytes.clone();
        other_keys[MAGIC.len()] ^= 1;
        assert_eq!(decode(&other_keys), None);
        let mut other_version = bytes;
        other_version[MAGIC.len() - 2] = b'0';
        assert_eq!(decode(&other_version), None);
    }
}

//! What was counted in each of a profile's transcripts, kept between runs in
//! `$CCS_HOME/usage-cache/<profile>` so that a repeated `ccs usage` reads only what was appended.
//!
//! A compact binary file, written and read by hand, in four parts:
//!
//! - the stamp (fixed size, at a fixed place, so that a count that found nothing changed can
//!   write it in place): what the config dir's register and project directories were when the
//!   walk began (see [`super::stamp`]). A repeated `ccs usage` whose stamp holds reads only
//!   the answer: its cost is one `stat` per project directory, not one per transcript;
//! - the answer: the profile's [`Summary`] (what the sums need, sized by a week's use), the
//!   newest limit recorded, the transcripts with broken lines, and the project directories;
//! - what the walk found: each transcript's path and state, and the directories' listings. A
//!   repeated `ccs usage` that finds every transcript in the state named here reads nothing
//!   else: its cost grows with the number of transcripts, not with the replies they hold;
//! - the ledger: every usage record of every transcript (hashed ids, counts, timestamps), which
//!   deduplication across files needs. It is read only when a transcript changed.
//!
//! All numbers are little-endian. Anything that does not read back exactly (another version,
//! hashes of another algorithm, a truncated file) makes the cache (or, when only a later part
//! is broken, that part) unknown, and every transcript is counted afresh; a cache that cannot
//! be written is not an error. It holds no message text: ids only as hashes, model names,
//! counts.

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::Path;

use super::Tokens;
use super::dedup::{Entry, key};
use super::limits::LimitEvent;
use super::scan::{Counted, Listing, Stat, fingerprint};
use super::stamp::Stamp;
use super::tally::{LastBlock, Recent, Summary, Tally};
use crate::fsx;

/// Version 4: the stamp, the answer, what the walk found, the records (version 3 had no stamp
/// and one head for the answer and the walk; version 2 held only the records; version 1 hashed
/// with std's `DefaultHasher`).
const MAGIC: &[u8] = b"ccs usage cache 4\n";

/// Where the stamp is: after the magic line and the hash check.
const STAMP_AT: usize = MAGIC.len() + 16;

/// A flag, the register's state, the instant, the directories' hash, and a check of those
/// (a stamp written in place while another `ccs` reads it reads as none).
const STAMP_SIZE: usize = 1 + 16 + 8 + 16 + 8;

/// A value that changes if a hash the cache stores would come out otherwise (another algorithm
/// for ids or for file content): a cache written with other hashes is not used, even where a
/// change of algorithm forgot to change [`MAGIC`].
fn hash_check() -> u128 {
    const PROBE: &str = "ccs usage cache key check";
    key(PROBE) ^ u128::from(fingerprint(PROBE.as_bytes()))
}

/// A profile's counted files, by path under `projects/`, sorted.
#[cfg(test)]
type Files = Vec<(String, Counted)>;

/// A transcript as the cache last saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Known {
    /// Its path under `projects/`.
    pub rel: String,
    pub stat: Stat,
    /// Complete lines with usage that were not sound.
    pub broken: u32,
}

/// What the last walk found.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Walked {
    /// Sorted by `rel`.
    pub files: Vec<Known>,
    /// The directories' entries, for the walk; in the order the walk visited them.
    pub listings: Vec<Listing>,
}

/// The start of a cache: enough to answer when nothing changed.
#[derive(Debug)]
pub(crate) struct Head {
    pub stamp: Option<Stamp>,
    pub summary: Summary,
    /// The newest limit the client recorded in any transcript.
    pub limit: Option<LimitEvent>,
    /// The transcripts with complete lines that were not sound, and how many, by path.
    pub broken: Vec<(String, u32)>,
    /// The directories in `projects/`, in the order the walk visited them.
    pub tops: Vec<String>,
    /// The open cache, where what the walk found starts: read from the same file as the
    /// answer even if another `ccs` replaces the cache meanwhile (and the stamp written there).
    rest: Option<File>,
}

impl Head {
    /// What the last walk found; `None` when it does not read back exactly (then the ledger
    /// is unknown too).
    pub(crate) fn walked(&mut self) -> Option<Walked> {
        let walked = self.rest.as_mut().and_then(|file| {
            let len = usize::try_from(u64::from_le_bytes(read_array(file)?)).ok()?;
            let bytes = read_exactly(file, len)?;
            decode_walked(&bytes)
        });
        if walked.is_none() {
            self.rest = None;
        }
        walked
    }

    /// What was counted in each of the `files` transcripts [`Head::walked`] read, each file's
    /// record kept as bytes; `None` when the ledger does not read back exactly.
    pub(crate) fn ledger(self, files: usize) -> Option<Ledger> {
        let mut rest = self.rest?;
        // Sized once: tens of megabytes after a year, not to be copied as the buffer grows.
        let left = rest.metadata().ok()?.len() - std::io::Seek::stream_position(&mut rest).ok()?;
        let mut bytes = Vec::with_capacity(usize::try_from(left).ok()?);
        rest.read_to_end(&mut bytes).ok()?;
        let mut records = Vec::with_capacity(files);
        let mut at = 0;
        for _ in 0..files {
            let len = record_len(&bytes[at..])?;
            records.push(at..at + len);
            at += len;
        }
        (at == bytes.len()).then_some(Ledger { bytes, records })
    }

    /// Writes `stamp` in place, into the cache this head was read from (a count that found
    /// everything as this cache says). A cache replaced meanwhile keeps its own.
    pub(crate) fn restamp(&self, stamp: &Stamp) {
        if let Some(file) = &self.rest {
            write_at(file, &stamp_bytes(Some(stamp)), STAMP_AT as u64);
        }
    }
}

#[cfg(unix)]
fn write_at(file: &File, bytes: &[u8], at: u64) {
    let _ = std::os::unix::fs::FileExt::write_all_at(file, bytes, at);
}

#[cfg(windows)]
fn write_at(file: &File, bytes: &[u8], at: u64) {
    let _ = std::os::windows::fs::FileExt::seek_write(file, bytes, at);
}

#[cfg(not(any(unix, windows)))]
fn write_at(_: &File, _: &[u8], _: u64) {}

fn read_array<const N: usize>(file: &mut File) -> Option<[u8; N]> {
    let mut bytes = [0; N];
    file.read_exact(&mut bytes).ok()?;
    Some(bytes)
}

/// `len` bytes, where the file has them: a broken length is no reason to allocate it.
fn read_exactly(file: &mut File, len: usize) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    file.take(len as u64).read_to_end(&mut bytes).ok()?;
    (bytes.len() == len).then_some(bytes)
}

/// The head of the cache at `path`; `None` when missing, foreign or broken. Opened for writing
/// as well where it can be, for [`Head::restamp`].
pub(crate) fn load(path: &Path) -> Option<Head> {
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .or_else(|_| File::open(path))
        .ok()?;
    let start: [u8; STAMP_AT + STAMP_SIZE + 8] = read_array(&mut file)?;
    let mut r = In(start.strip_prefix(MAGIC)?);
    if r.u128()? != hash_check() {
        return None;
    }
    let stamp = decode_stamp(r.0.get(..STAMP_SIZE)?);
    r.0 = &r.0[STAMP_SIZE..];
    let len = usize::try_from(r.u64()?).ok()?;
    let bytes = read_exactly(&mut file, len)?;
    let mut head = decode_answer(&bytes)?;
    head.stamp = stamp;
    head.rest = Some(file);
    Some(head)
}

/// Writes the cache (without fsync: a cache lost in a crash is counted again). The records
/// of transcripts that did not change go from the ledger read to the file as they are.
pub(crate) fn save(path: &Path, saved: &Saved) {
    let _ = fsx::replace_file_with(path, 0o600, false, |file| {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
        write_parts(saved, &mut |part| out.write_all(part))?;
        out.flush()
    });
}

/// What a cache is written from.
pub(crate) struct Saved<'a> {
    pub stamp: Option<&'a Stamp>,
    pub summary: &'a Summary,
    pub limit: Option<&'a LimitEvent>,
    /// Sorted by path.
    pub files: &'a [SavedFile<'a>],
    pub listings: &'a [Listing],
    pub tops: &'a [String],
}

/// A transcript as a cache is written with it: its path under `projects/`, its state, its
/// broken lines, and what was counted in it.
pub(crate) struct SavedFile<'a> {
    pub rel: &'a str,
    pub stat: Stat,
    pub broken: u32,
    pub record: Record<'a>,
}

/// What was counted in a transcript: as counted now, or its record in the cache before,
/// copied as it is.
pub(crate) enum Record<'a> {
    Counted(&'a Counted),
    Cached(&'a [u8]),
}

impl<'a> SavedFile<'a> {
    pub(crate) fn counted(rel: &'a str, c: &'a Counted) -> Self {
        SavedFile {
            rel,
            stat: c.stat,
            broken: c.broken,
            record: Record::Counted(c),
        }
    }
}

/// The cache's bytes, whole.
#[cfg(test)]
pub(crate) fn encode(saved: &Saved) -> Vec<u8> {
    let mut bytes = Vec::new();
    let _ = write_parts(saved, &mut |part| {
        bytes.extend_from_slice(part);
        Ok(())
    });
    bytes
}

/// Hands the cache's bytes to `write`, in order, in parts.
fn write_parts(
    saved: &Saved,
    write: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let Saved {
        stamp,
        summary,
        limit,
        files,
        listings,
        tops,
    } = *saved;
    let mut answer = Out(Vec::with_capacity(256 + summary.recent.len() * RECENT_SIZE));
    answer.summary(summary);
    answer.0.push(u8::from(limit.is_some()));
    if let Some(l) = limit {
        answer.limit(l);
    }
    let broken: Vec<_> = files.iter().filter(|f| f.broken > 0).collect();
    answer.u32(broken.len() as u32);
    for f in broken {
        answer.text(f.rel);
        answer.u32(f.broken);
    }
    answer.u32(tops.len() as u32);
    for name in tops {
        answer.text(name);
    }
    let mut walked = Out(Vec::with_capacity(files.len() * 160));
    walked.u32(files.len() as u32);
    for f in files {
        walked.text(f.rel);
        walked.stat(&f.stat);
        walked.u32(f.broken);
    }
    walked.u32(listings.len() as u32);
    for l in listings {
        walked.text(&l.rel);
        walked.stat(&l.stat);
        for names in [&l.dirs, &l.files, &l.links] {
            walked.u32(names.len() as u32);
            for name in names {
                // Only listings of UTF-8 names are kept (scan::walk).
                walked.text(&name.to_string_lossy());
            }
        }
    }
    let mut head = Out(Vec::with_capacity(
        STAMP_AT + STAMP_SIZE + 16 + answer.0.len() + walked.0.len(),
    ));
    head.0.extend_from_slice(MAGIC);
    head.u128(hash_check());
    head.0.extend_from_slice(&stamp_bytes(stamp));
    for part in [&answer.0, &walked.0] {
        head.u64(part.len() as u64);
        head.0.extend_from_slice(part);
    }
    write(&head.0)?;
    let mut record = Out(Vec::new());
    for f in files {
        match f.record {
            Record::Counted(c) => {
                record.0.clear();
                record.record(c);
                write(&record.0)?;
            }
            Record::Cached(bytes) => write(bytes)?,
        }
    }
    Ok(())
}

/// A transcript's record as the ledger holds it (for tests elsewhere).
#[cfg(test)]
pub(crate) fn record_of(c: &Counted) -> Vec<u8> {
    let mut out = Out(Vec::new());
    out.record(c);
    out.0
}

/// The stamp's bytes, a check of them last; all zeros but the check for none.
fn stamp_bytes(stamp: Option<&Stamp>) -> Vec<u8> {
    let mut out = Out(Vec::with_capacity(STAMP_SIZE));
    match stamp {
        Some(s) => {
            out.0.push(1);
            out.u128(s.register);
            out.i64(s.at);
            out.u128(s.dirs);
        }
        None => out.0.resize(STAMP_SIZE - 8, 0),
    }
    let check = fingerprint(&out.0);
    out.u64(check);
    out.0
}

/// The stamp in `bytes` (its [`STAMP_SIZE`]), if there is one and its check holds.
fn decode_stamp(bytes: &[u8]) -> Option<Stamp> {
    let (body, check) = bytes.split_last_chunk::<8>()?;
    if fingerprint(body) != u64::from_le_bytes(*check) {
        return None;
    }
    let mut r = In(body);
    if !r.flag()? {
        return None;
    }
    Some(Stamp {
        register: r.u128()?,
        at: r.i64()?,
        dirs: r.u128()?,
    })
}

fn decode_answer(bytes: &[u8]) -> Option<Head> {
    let mut r = In(bytes);
    let summary = r.summary()?;
    let limit = if r.flag()? { Some(r.limit()?) } else { None };
    let broken = (0..r.u32()?)
        .map(|_| Some((r.text()?, r.u32()?)))
        .collect::<Option<Vec<_>>>()?;
    let tops = (0..r.u32()?)
        .map(|_| r.text())
        .collect::<Option<Vec<_>>>()?;
    r.0.is_empty().then_some(Head {
        stamp: None,
        summary,
        limit,
        broken,
        tops,
        rest: None,
    })
}

fn decode_walked(bytes: &[u8]) -> Option<Walked> {
    let mut r = In(bytes);
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
    r.0.is_empty().then_some(Walked { files, listings })
}

/// The records of what was counted in each transcript, as the cache holds them: each decoded
/// only where it is needed (a count that found a few transcripts changed copies the others'
/// records into the next cache as they are).
pub(crate) struct Ledger {
    bytes: Vec<u8>,
    records: Vec<std::ops::Range<usize>>,
}

impl Ledger {
    /// The record of the `at`th transcript (in the order of what the walk found).
    pub(crate) fn record(&self, at: usize) -> &[u8] {
        &self.bytes[self.records[at].clone()]
    }

    /// The `at`th transcript's record decoded, for `known`, its state.
    pub(crate) fn counted(&self, at: usize, known: &Known) -> Counted {
        decode_record(self.record(at), known.stat, known.broken)
    }
}

/// How long the record at the start of `bytes` is; `None` if it is cut short or would not
/// decode (a name that is not UTF-8), as a damaged ledger must be thrown away whole.
fn record_len(bytes: &[u8]) -> Option<usize> {
    let mut r = In(bytes);
    r.skip(24)?;
    for _ in 0..r.u32()? {
        std::str::from_utf8(r.text_bytes()?).ok()?;
    }
    for _ in 0..2 {
        let count = r.u32()? as usize;
        r.skip(count.checked_mul(ENTRY_SIZE)?)?;
    }
    for _ in 0..r.u32()? {
        r.skip(16)?;
        std::str::from_utf8(r.text_bytes()?).ok()?;
    }
    Some(bytes.len() - r.0.len())
}

/// A transcript's record as a [`Ledger`] holds it, decoded, for a file in state `stat` with
/// `broken` broken lines. Every record was read through when the ledger was split, so it
/// decodes (a record that did not would count as nothing).
pub(crate) fn decode_record(bytes: &[u8], stat: Stat, broken: u32) -> Counted {
    let decoded = (|| {
        let mut r = In(bytes);
        let (consumed, head, anchor) = (r.u64()?, r.u64()?, r.u64()?);
        let models = (0..r.u32()?)
            .map(|_| r.text())
            .collect::<Option<Vec<_>>>()?;
        let entries = r.entries()?;
        let tail = r.entries()?;
        let limits = (0..r.u32()?)
            .map(|_| r.limit())
            .collect::<Option<Vec<_>>>()?;
        r.0.is_empty().then_some(Counted {
            stat,
            consumed,
            head,
            anchor,
            models,
            entries,
            tail,
            limits,
            broken,
        })
    })();
    decoded.unwrap_or_default()
}

/// Calls `each` with every usage record in `record` (a transcript's, as the cache holds it:
/// its complete lines', then its tail's) after the first `skip` whose message id `wanted`
/// says, with the name of its model; decoding nothing else.
pub(crate) fn each_entry<'a>(
    record: &'a [u8],
    skip: usize,
    wanted: &dyn Fn(u128) -> bool,
    each: &mut dyn FnMut(Entry, Option<&'a str>),
) {
    let mut r = In(record);
    let Some(()) = r.skip(24) else { return };
    let mut models = Vec::new();
    for _ in 0..r.u32().unwrap_or(0) {
        let Some(name) = r.text_bytes() else { return };
        models.push(std::str::from_utf8(name).ok());
    }
    let mut index = 0;
    for _ in 0..2 {
        let count = r.u32().unwrap_or(0) as usize;
        let Some(bytes) = r.0.get(..count.saturating_mul(ENTRY_SIZE)) else {
            return;
        };
        r.0 = &r.0[bytes.len()..];
        for b in bytes.chunks_exact(ENTRY_SIZE) {
            index += 1;
            let message = u128::from_le_bytes(b[42..58].try_into().unwrap_or_default());
            if index > skip && wanted(message) {
                let e = entry(b);
                each(e, models.get(usize::from(e.model)).copied().flatten());
            }
        }
    }
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
        self.0.extend_from_slice(&s.to_le_bytes());
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
    /// What was counted in one transcript: where to go on from, its models, its records (of
    /// complete lines, then of the tail), its limits.
    fn record(&mut self, c: &Counted) {
        for n in [c.consumed, c.head, c.anchor] {
            self.u64(n);
        }
        self.u32(c.models.len() as u32);
        for model in &c.models {
            self.text(model);
        }
        for list in [&c.entries, &c.tail] {
            self.u32(list.len() as u32);
            for e in list {
                self.entry(e);
            }
        }
        self.u32(c.limits.len() as u32);
        for l in &c.limits {
            self.limit(l);
        }
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

impl<'a> In<'a> {
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
    fn skip(&mut self, n: usize) -> Option<()> {
        self.0 = self.0.get(n..)?;
        Some(())
    }
    fn text_bytes(&mut self) -> Option<&'a [u8]> {
        let len = self.u32()? as usize;
        let bytes = self.0.get(..len)?;
        self.0 = &self.0[len..];
        Some(bytes)
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

    fn a_stamp() -> Stamp {
        Stamp {
            register: u128::MAX / 3,
            at: 1_800_000_000_000,
            dirs: u128::MAX - 3,
        }
    }

    fn as_saved(files: &Files) -> Vec<SavedFile<'_>> {
        files
            .iter()
            .map(|(rel, c)| SavedFile::counted(rel, c))
            .collect()
    }

    /// What the ledger holds for each file `walked` found, decoded; `None` when it does not
    /// read back exactly.
    fn decoded(head: Head, walked: &Walked) -> Option<Files> {
        let ledger = head.ledger(walked.files.len())?;
        let each = |(at, k): (usize, &Known)| (k.rel.clone(), ledger.counted(at, k));
        Some(walked.files.iter().enumerate().map(each).collect())
    }

    fn saved<'a>(
        files: &'a [SavedFile<'a>],
        summary: &'a Summary,
        listings: &'a [Listing],
    ) -> Saved<'a> {
        Saved {
            stamp: None,
            summary,
            limit: None,
            files,
            listings,
            tops: &[],
        }
    }

    #[test]
    fn the_cache_reads_back_what_it_wrote() {
        let files = sample();
        let summary = summary_of(&files);
        assert!(summary.last_block.is_some() && summary.recent.len() == 3);
        let limit = &files[0].1.limits[0];
        let listings = listings();
        let tops = vec!["p".to_owned(), "ünï q".to_owned()];
        let (_dir, path) = written(&encode(&Saved {
            stamp: Some(&a_stamp()),
            limit: Some(limit),
            tops: &tops,
            ..saved(&as_saved(&files), &summary, &listings)
        }));
        let mut head = load(&path).unwrap();
        assert_eq!(head.stamp, Some(a_stamp()));
        assert_eq!(head.summary, summary);
        assert_eq!(head.limit.as_ref(), Some(limit));
        assert_eq!(head.broken, [("p/a.jsonl".to_owned(), 2)]);
        assert_eq!(head.tops, tops);
        let walked = head.walked().unwrap();
        assert_eq!(walked.listings, listings);
        let known: Vec<(&str, Stat, u32)> = walked
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
        assert_eq!(decoded(head, &walked), Some(files.clone()));

        let empty = Summary::default();
        let (_dir, path) = written(&encode(&saved(&[], &empty, &[])));
        let mut head = load(&path).unwrap();
        assert_eq!(
            (head.stamp, head.summary.clone(), head.limit.clone()),
            (None, Summary::default(), None)
        );
        assert!(head.broken.is_empty() && head.tops.is_empty());
        let walked = head.walked().unwrap();
        assert_eq!(walked, Walked::default());
        assert_eq!(decoded(head, &walked), Some(Vec::new()));
    }

    /// A count that found everything as the cache says writes its stamp in place; a stamp
    /// that does not check (written while read) is none, and the rest of the cache still
    /// answers.
    #[test]
    fn a_stamp_is_written_in_place_and_a_torn_one_is_none() {
        let files = sample();
        let summary = summary_of(&files);
        let listings = listings();
        let bytes = encode(&saved(&as_saved(&files), &summary, &listings));
        let (_dir, path) = written(&bytes);
        load(&path).unwrap().restamp(&a_stamp());
        let stamped = std::fs::read(&path).unwrap();
        assert_eq!(stamped.len(), bytes.len());
        assert_eq!(
            stamped[STAMP_AT + STAMP_SIZE..],
            bytes[STAMP_AT + STAMP_SIZE..]
        );
        let mut head = load(&path).unwrap();
        assert_eq!(head.stamp, Some(a_stamp()));
        let walked = head.walked().unwrap();
        assert_eq!(decoded(head, &walked), Some(files.clone()));

        // The flag, the instant, the check.
        for at in [STAMP_AT, STAMP_AT + 1 + 16, STAMP_AT + STAMP_SIZE - 1] {
            let mut torn = stamped.clone();
            torn[at] ^= 0x40;
            let (_dir, path) = written(&torn);
            let mut head = load(&path).unwrap();
            assert_eq!(head.stamp, None, "byte {at} changed");
            assert_eq!(head.summary, summary);
            let walked = head.walked().unwrap();
            assert_eq!(decoded(head, &walked), Some(files.clone()));
        }
    }

    #[test]
    fn a_cache_that_does_not_read_back_exactly_is_unknown() {
        let files = sample();
        let summary = summary_of(&files);
        let listings = listings();
        let bytes = encode(&saved(&as_saved(&files), &summary, &listings));
        let len_at = |at: usize| {
            let len: [u8; 8] = bytes[at..][..8].try_into().unwrap();
            at + 8 + u64::from_le_bytes(len) as usize
        };
        let answer_end = len_at(STAMP_AT + STAMP_SIZE);
        let walked_end = len_at(answer_end);
        // The answer cut short: nothing is known.
        for cut in [
            0,
            1,
            MAGIC.len(),
            STAMP_AT,
            STAMP_AT + STAMP_SIZE,
            answer_end / 2,
            answer_end - 1,
        ] {
            let (_dir, path) = written(&bytes[..cut]);
            assert!(load(&path).is_none(), "cut at {cut}");
        }
        // The answer whole, what the walk found not: the answer answers, the rest is unknown.
        for cut in [answer_end, answer_end + 3, walked_end - 1] {
            let (_dir, path) = written(&bytes[..cut]);
            let mut head = load(&path).unwrap();
            assert_eq!(head.summary, summary);
            assert_eq!(head.walked(), None, "cut at {cut}");
            assert!(head.ledger(0).is_none(), "cut at {cut}");
        }
        // Both whole, the records not: the records are unknown.
        for cut in [walked_end, walked_end + 1, bytes.len() - 1] {
            let (_dir, path) = written(&bytes[..cut]);
            let mut head = load(&path).unwrap();
            let walked = head.walked().unwrap();
            assert_eq!(decoded(head, &walked), None, "cut at {cut}");
        }
        let (_dir, path) = written(&[&bytes[..], &[0]].concat());
        let mut head = load(&path).unwrap();
        let walked = head.walked().unwrap();
        assert_eq!(decoded(head, &walked), None);
        // A model's name in the records that is not UTF-8: the records are unknown.
        let name = b"claude-opus-5-5";
        let at = walked_end
            + bytes[walked_end..]
                .windows(name.len())
                .position(|w| w == name)
                .unwrap();
        let mut damaged = bytes.clone();
        damaged[at] = 0xff;
        let (_dir, path) = written(&damaged);
        let mut head = load(&path).unwrap();
        let walked = head.walked().unwrap();
        assert_eq!(decoded(head, &walked), None);
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

    /// Caches of earlier versions are not read as this one's: every transcript is counted
    /// afresh. Version 2 held the records right after the magic line and the hash check,
    /// version 3 a head with the walk's findings and no stamp.
    #[test]
    fn caches_of_earlier_versions_are_discarded() {
        for version in [2, 3] {
            let mut old = format!("ccs usage cache {version}\n").into_bytes();
            assert_ne!(MAGIC, old, "a new format has a new version");
            old.extend_from_slice(&hash_check().to_le_bytes());
            old.extend_from_slice(&0u32.to_le_bytes());
            let (_dir, path) = written(&old);
            assert!(load(&path).is_none());
            // Even one whose length field would read as a small head.
            old.extend_from_slice(&[0; 256]);
            let (_dir, path) = written(&old);
            assert!(load(&path).is_none());
        }
    }

    /// a cache written with some records copied from the ledger (as a count that
    /// found a few transcripts changed writes it) reads back as one written whole.
    #[test]
    fn records_copied_from_the_ledger_read_back() {
        let files = sample();
        let summary = summary_of(&files);
        let listings = listings();
        let records: Vec<Vec<u8>> = files.iter().map(|(_, c)| record_of(c)).collect();
        let mixed: Vec<SavedFile> = files
            .iter()
            .zip(&records)
            .enumerate()
            .map(|(i, ((rel, c), r))| SavedFile {
                record: if i == 0 {
                    Record::Cached(r)
                } else {
                    Record::Counted(c)
                },
                ..SavedFile::counted(rel, c)
            })
            .collect();
        let (_dir, path) = written(&encode(&saved(&mixed, &summary, &listings)));
        let mut head = load(&path).unwrap();
        let walked = head.walked().unwrap();
        assert_eq!(decoded(head, &walked), Some(files.clone()));
    }
}

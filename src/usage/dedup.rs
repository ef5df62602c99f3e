//! Which usage records are copies of one another.
//!
//! The client writes a reply once per content block: every copy has the reply's `message.id` and
//! the request's `requestId`, and the usage of the reply as it stood when that block was written
//! (older clients wrote a growing `output_tokens`). A subagent's or a `/btw` side question's
//! transcript may replay a parent's reply under a new request id, marked `isSidechain`. The rules,
//! as ccusage 20.0.24 applies them (each one checked against it, tests/it/usage.rs):
//!
//! - same `message.id` and `requestId`: one reply, wherever the copies are (another session file
//!   after a resume included);
//! - no `requestId`: one reply only with the same session and timestamp;
//! - same `message.id` and session, one of the two a sidechain: a replay;
//! - no `message.id`: never a copy.
//!
//! Of the copies the one kept is the main thread's over a sidechain's, then the larger total, then
//! the one that says its speed. Records are taken in the order ccusage takes them (files sorted by
//! path, lines in order), so the same copy survives.
//!
//! Keys are 128-bit hashes of the ids (see `Key`), so the cache stores fixed-size records.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use xxhash_rust::xxh3::xxh3_128;

use super::Tokens;
use super::time::Millis;

/// A 128-bit hash of an id; 0 means none. Two different ids share a key with a probability of
/// about 2⁻¹²⁸: a transcript would need more replies than atoms for one collision to be likely.
pub(crate) type Key = u128;

/// The key of an id: its XXH3 128-bit hash. The cache stores keys, so their algorithm must not
/// change under it: XXH3's output is fixed by its specification (xxHash 0.8), where std's
/// `DefaultHasher` may change with any Rust release.
pub(crate) fn key(id: &str) -> Key {
    xxh3_128(id.as_bytes()).max(1)
}

/// One usage record, as counted and cached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub timestamp: Millis,
    pub tokens: Tokens,
    /// Index into the file's model names, or [`NO_MODEL`].
    pub model: u16,
    pub message: Key,
    pub request: Key,
    /// The line's session, else the one the file's path gives.
    pub session: Key,
    pub sidechain: bool,
    pub has_speed: bool,
}

pub(crate) const NO_MODEL: u16 = u16::MAX;

/// The index of `model` in a table of model names, added if new; [`NO_MODEL`] once the table
/// is full (65,535 names).
pub(crate) fn model_index(models: &mut Vec<String>, model: &str) -> u16 {
    if let Some(at) = models.iter().position(|m| m == model) {
        return at as u16;
    }
    if models.len() >= usize::from(NO_MODEL) {
        return NO_MODEL;
    }
    models.push(model.to_owned());
    (models.len() - 1) as u16
}

/// The records that remain once copies are dropped, in order of first appearance. `items` are
/// in the order they were read; `entry` gives each one's record.
pub(crate) fn survivors<T>(items: &[T], entry: impl Fn(&T) -> &Entry) -> Vec<&T> {
    let mut kept: Vec<&T> = Vec::new();
    let mut with_request: Map<(Key, Key), usize> = Map::default();
    let mut without_request: Map<(Key, Key, Millis), usize> = Map::default();
    // Every kept reply by message and session (also under a session it was found copied in),
    // where replays are looked for.
    let mut by_session: Map<(Key, Key), Vec<usize>> = Map::default();
    for item in items {
        let e = entry(item);
        if e.message == 0 {
            kept.push(item);
            continue;
        }
        let exact = if e.request != 0 {
            with_request.get(&(e.message, e.request)).copied()
        } else {
            without_request
                .get(&(e.message, e.session, e.timestamp))
                .copied()
        };
        let found = exact.or_else(|| {
            by_session
                .get(&(e.message, e.session))?
                .iter()
                .copied()
                .find(|&at| e.sidechain || entry(kept[at]).sidechain)
        });
        let at = match found {
            Some(at) if !replaces(e, entry(kept[at])) => at,
            Some(at) => {
                kept[at] = item;
                at
            }
            None => {
                kept.push(item);
                kept.len() - 1
            }
        };
        // The exact key of the copy kept leads to it (a dropped copy's does not, as in ccusage);
        // the session of every copy leads to it, so a replay in either session is found.
        if std::ptr::eq(kept[at], item) {
            if e.request != 0 {
                with_request.insert((e.message, e.request), at);
            } else {
                without_request.insert((e.message, e.session, e.timestamp), at);
            }
        }
        let routes = by_session.entry((e.message, e.session)).or_default();
        if !routes.contains(&at) {
            routes.push(at);
        }
    }
    kept
}

/// Whether `candidate` is the better copy of the reply `kept` holds.
fn replaces(candidate: &Entry, kept: &Entry) -> bool {
    if candidate.sidechain != kept.sidechain {
        return kept.sidechain;
    }
    let (new, old) = (candidate.tokens.total(), kept.tokens.total());
    if new != old {
        return new > old;
    }
    candidate.has_speed && !kept.has_speed
}

/// Keys are hashes already: the map's hasher only folds them.
type Map<K, V> = HashMap<K, V, BuildHasherDefault<Fold>>;

/// A set of keys, hashed as [`Map`]'s are.
pub(crate) type KeySet = std::collections::HashSet<Key, BuildHasherDefault<Fold>>;

#[derive(Default)]
pub(crate) struct Fold(u64);

impl Hasher for Fold {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_u128(&mut self, n: u128) {
        self.write_u64(n as u64 ^ (n >> 64) as u64);
    }

    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(message: &str, request: &str, session: &str, at: Millis, output: u64) -> Entry {
        let optional = |id: &str| if id.is_empty() { 0 } else { key(id) };
        Entry {
            timestamp: at,
            tokens: Tokens {
                input_tokens: 10,
                output_tokens: output,
                ..Tokens::default()
            },
            model: NO_MODEL,
            message: optional(message),
            request: optional(request),
            session: key(session),
            sidechain: false,
            has_speed: false,
        }
    }

    fn sidechain(mut entry: Entry) -> Entry {
        entry.sidechain = true;
        entry
    }

    fn outputs(entries: &[Entry]) -> Vec<u64> {
        survivors(entries, |e| e)
            .iter()
            .map(|e| e.tokens.output_tokens)
            .collect()
    }

    // Each case below is one ccusage 20.0.24 was run on (tests/it/usage.rs holds the comparison on
    // whole transcripts); the expected outputs are what it counted.

    #[test]
    fn copies_of_one_reply_count_once_and_the_largest_is_kept() {
        let first = reply("m", "r", "s", 0, 5);
        let later = reply("m", "r", "s", 5, 50);
        assert_eq!(outputs(&[first, later]), [50]);
        assert_eq!(outputs(&[later, first]), [50]);
    }

    #[test]
    fn a_reply_copied_into_another_session_counts_once() {
        assert_eq!(
            outputs(&[reply("m", "r", "s1", 0, 5), reply("m", "r", "s2", 5, 5)]),
            [5]
        );
    }

    #[test]
    fn the_same_message_under_another_request_is_another_reply_unless_replayed() {
        let parent = reply("m", "r1", "s", 0, 5);
        assert_eq!(outputs(&[parent, reply("m", "r2", "s", 5, 7)]), [5, 7]);
        // A sidechain replay in the same session is the parent's reply: the parent's copy stays.
        let replay = sidechain(reply("m", "r2", "s", 5, 5000));
        assert_eq!(outputs(&[parent, replay]), [5]);
        assert_eq!(outputs(&[replay, parent]), [5]);
        // In another session it is not a replay.
        let elsewhere = sidechain(reply("m", "r2", "s2", 5, 5000));
        assert_eq!(outputs(&[parent, elsewhere]), [5, 5000]);
        // Two sidechain copies: the larger.
        let small = sidechain(reply("m", "r1", "s", 0, 20));
        assert_eq!(outputs(&[small, replay]), [5000]);
    }

    #[test]
    fn without_a_request_only_the_same_instant_in_the_same_session_is_a_copy() {
        let at = |t, s| reply("m", "", s, t, 5);
        assert_eq!(outputs(&[at(0, "s"), at(0, "s")]), [5]);
        assert_eq!(outputs(&[at(0, "s"), at(1, "s")]), [5, 5]);
        assert_eq!(outputs(&[at(0, "s"), at(0, "s2")]), [5, 5]);
        assert_eq!(outputs(&[reply("m", "r", "s", 0, 5), at(0, "s")]), [5, 5]);
    }

    #[test]
    fn without_a_message_id_nothing_is_a_copy() {
        let anonymous = reply("", "r", "s", 0, 5);
        assert_eq!(outputs(&[anonymous, anonymous]), [5, 5]);
    }

    #[test]
    fn keys_are_stable_and_never_zero() {
        assert_eq!(key("msg_1"), key("msg_1"));
        assert_ne!(key("msg_1"), key("msg_2"));
        assert_ne!(key(""), 0);
    }

    /// The keys of the cache on disk: XXH3-128 as its reference implementation computes it
    /// (`printf %s ID | xxhsum -H2`, xxHash 0.8.1). A change here discards every usage cache.
    #[test]
    fn keys_are_xxh3_128_of_the_id() {
        assert_eq!(
            key("msg_01XFDUDYJgAACzvnptvVoYEL"),
            0x0228d4b7_0c2f6e69_1959b0f3_10909312
        );
        assert_eq!(
            key("req_011CSHqnUbtUNM5UxU5NsN8Z"),
            0xdc30cbf7_4dbeb35e_489c5432_65517897
        );
        assert_eq!(
            key("8f0e9c1a-4a2b-4c3d-9e8f-0123456789ab"),
            0xef6a3c23_8ca82230_1d45e4de_095b21b5
        );
    }
}

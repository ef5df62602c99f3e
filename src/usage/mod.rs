//! Which account has room left: each profile's token use, counted from the transcripts Claude
//! Code writes into it, its usage limit if the client recorded one, and the last 5-hour and 7-day
//! use the client reported to `ccs statusline`.
//!
//! - `line`: one transcript line (usage, limit), `dedup`: which records are copies, `tally`: the
//!   sums (in all, 7 days, the 5-hour block), `limits`: the client's limit messages;
//! - `scan`: finding transcripts and reading what is new, `cache`: what was counted per file;
//! - `snapshot`: the rate limits `ccs statusline` records per profile, `room`: which account has
//!   room (one rule for `usage`, `statusline` and `continue`), `settings_file`: editing
//!   its line into Claude Code's `settings.json`;
//! - `time`: instants, parsed and shown.
//!
//! Counting agrees with ccusage (checked against ccusage 20.0.24 in tests/it/usage.rs), which
//! merges every config dir it is given; here each profile is counted on its own.

pub(crate) mod cache;
pub(crate) mod dedup;
pub(crate) mod delta;
pub(crate) mod limits;
pub(crate) mod line;
pub(crate) mod room;
pub(crate) mod scan;
pub(crate) mod settings_file;
pub(crate) mod snapshot;
pub(crate) mod stamp;
pub(crate) mod tally;
pub(crate) mod time;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;

use crate::claude_code::transcripts::PROJECTS_DIR;
use crate::contract::USAGE_CACHE_DIR;
use crate::fsx;
use crate::profile_name::ProfileName;
use crate::store::Store;
use limits::LimitEvent;
use scan::Counted;
use stamp::{RegisterState, Stamp};
use tally::{Counted as Reply, Summary, Sums};
use time::Millis;

/// Whose use ccs keeps beside the store (what was counted, in `usage-cache/`, and the recorded
/// rate limits, in `rate-limits/`): a profile's, under its name, or the default config's
/// (`~/.claude`), under [`DEFAULT_KEY`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Owner<'a> {
    Profile(&'a ProfileName),
    DefaultConfig,
}

/// The key of the default config's use: no profile name can be it (a name starts with a letter
/// or digit and holds no parentheses), so `prune`, which keeps only profile names it knows,
/// skips it, and no profile's `rename` or `remove` reaches it.
pub(crate) const DEFAULT_KEY: &str = "(default)";

impl Owner<'_> {
    /// The file name its records are kept under.
    pub(crate) fn key(&self) -> &str {
        match self {
            Owner::Profile(name) => name.as_str(),
            Owner::DefaultConfig => DEFAULT_KEY,
        }
    }
}

impl<'a> From<&'a ProfileName> for Owner<'a> {
    fn from(name: &'a ProfileName) -> Self {
        Owner::Profile(name)
    }
}

/// Token counts under Claude's own names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Tokens {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_creation_input_tokens: u64,
    pub cache_read_input_tokens: u64,
}

impl Tokens {
    pub(crate) fn total(&self) -> u64 {
        self.input_tokens
            .saturating_add(self.output_tokens)
            .saturating_add(self.cache_creation_input_tokens)
            .saturating_add(self.cache_read_input_tokens)
    }

    /// `self` less `other`, if no count would go below zero or was saturated (then what it held
    /// is not known).
    pub(crate) fn checked_sub(&self, other: &Tokens) -> Option<Tokens> {
        let fields = |t: &Tokens| {
            [
                t.input_tokens,
                t.output_tokens,
                t.cache_creation_input_tokens,
                t.cache_read_input_tokens,
            ]
        };
        let [a, b, c, d] = fields(self);
        let [e, f, g, h] = fields(other);
        if [a, b, c, d].contains(&u64::MAX) {
            return None;
        }
        Some(Tokens {
            input_tokens: a.checked_sub(e)?,
            output_tokens: b.checked_sub(f)?,
            cache_creation_input_tokens: c.checked_sub(g)?,
            cache_read_input_tokens: d.checked_sub(h)?,
        })
    }

    pub(crate) fn add(&mut self, other: &Tokens) {
        self.input_tokens = self.input_tokens.saturating_add(other.input_tokens);
        self.output_tokens = self.output_tokens.saturating_add(other.output_tokens);
        self.cache_creation_input_tokens = self
            .cache_creation_input_tokens
            .saturating_add(other.cache_creation_input_tokens);
        self.cache_read_input_tokens = self
            .cache_read_input_tokens
            .saturating_add(other.cache_read_input_tokens);
    }
}

/// One profile's use, as counted from its transcripts.
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub sums: Sums,
    /// The limit the client last recorded, while it holds: not yet reset, and no reply since.
    pub limit: Option<LimitEvent>,
    pub problems: Problems,
}

/// What could not be counted, for one notice each.
#[derive(Debug, Default)]
pub(crate) struct Problems {
    /// Complete lines with usage that are not sound (not UTF-8, not JSON, wrong types), and the
    /// files holding them.
    pub broken_lines: u64,
    pub broken_files: Vec<String>,
    pub unreadable: Vec<(PathBuf, io::Error)>,
    pub links: Vec<PathBuf>,
}

/// Counts each config dir's transcripts (`dirs`: whose, and the config dir), reading only what
/// changed since the last count, and keeps what was counted for next time.
pub(crate) fn measure(store: &Store, dirs: &[(Owner, &Path)], now: Millis) -> Vec<Report> {
    let cache_dir = store.root().join(USAGE_CACHE_DIR);
    // A walk is one `stat` per transcript and directory, in the kernel: profiles are walked on
    // threads. (Measured at five profiles on two cores: a thread for each profile, or their
    // directories shared out among the cores, took more CPU time and no less time in all.)
    let mut plans: Vec<Option<Plan>> = dirs.iter().map(|_| None).collect();
    fsx::in_parallel(dirs, &mut plans, 1, |plans, dirs| {
        for (plan, (owner, dir)) in plans.iter_mut().zip(dirs) {
            *plan = Some(Plan::new(&cache_dir.join(owner.key()), dir, now));
        }
    });
    let mut plans: Vec<Plan> = plans.into_iter().flatten().collect();
    read_changed(&mut plans);
    plans.into_iter().map(|plan| plan.finish(now)).collect()
}

/// What ccs keeps about a profile's usage beside the store follows the profile: on a rename the
/// account's last reported use moves with it (what was counted is counted afresh once, its paths
/// having changed); on a removal both go.
pub(crate) fn follow_rename(store: &Store, old: &ProfileName, new: &ProfileName) {
    let _ = std::fs::remove_file(store.root().join(USAGE_CACHE_DIR).join(old.as_str()));
    snapshot::rename(store, old, new);
}

/// See [`follow_rename`].
pub(crate) fn forget(store: &Store, name: &ProfileName) {
    let _ = std::fs::remove_file(store.root().join(USAGE_CACHE_DIR).join(name.as_str()));
    snapshot::remove(store, name);
}

/// Removes the caches of profiles that no longer exist (renamed or removed). The default
/// config's ([`DEFAULT_KEY`]) is no profile name, and stays.
pub(crate) fn prune(store: &Store, profiles: &[ProfileName]) {
    let dir = store.root().join(USAGE_CACHE_DIR);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(name) = file_name.to_str().and_then(ProfileName::from_disk) else {
            continue;
        };
        if !profiles.contains(&name) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// One profile's files: each counted already, or to be read.
struct Plan {
    cache: PathBuf,
    walk: scan::Walk,
    /// Parallel to `walk.files`; empty when `unchanged`.
    files: Vec<Slot>,
    /// The cache's head, when its stamp holds, or every file is as it says, and its summary
    /// answers for now: then nothing more is read.
    unchanged: Option<cache::Head>,
    /// What the cache held, when this count goes on from it.
    before: Option<Before>,
    /// The client's register before the walk, if this count may be stamped with it.
    register: Option<RegisterState>,
}

/// What the cache held that a count goes on from.
struct Before {
    summary: Summary,
    limit: Option<LimitEvent>,
    ledger: cache::Ledger,
    /// The transcripts it knew, in the ledger's order (by path).
    known: Vec<cache::Known>,
    /// Where each of the walk's files is among `known`, if it is.
    places: Vec<Option<usize>>,
    /// Those of `known` the walk did not find, each with the place among the walk's files it
    /// would have had.
    gone: Vec<(usize, usize)>,
    /// The cache names other project directories than the walk found.
    other_tops: bool,
}

enum Slot {
    /// As the cache's record of it says.
    Current,
    /// To be read, going on from what was counted before, if anything.
    Read(Option<Counted>),
    Done(io::Result<scan::Reread>),
}

impl Plan {
    fn new(cache_path: &Path, dir: &Path, now: Millis) -> Plan {
        let mut plan = Plan {
            cache: cache_path.to_path_buf(),
            walk: scan::Walk::default(),
            files: Vec::new(),
            unchanged: None,
            before: None,
            register: None,
        };
        let mut head = cache::load(cache_path);
        if let Some(h) = head.take_if(|h| {
            h.summary.answers_for(now)
                && h.stamp.is_some_and(|stamp| stamp.holds(dir, &h.tops, now))
        }) {
            // No client has run since the last walk, and no directory that holds transcripts
            // changed (see `stamp`): nothing is walked.
            plan.unchanged = Some(h);
            return plan;
        }
        // Before the walk, so that what a client does meanwhile shows on the next count.
        plan.register = stamp::quiet_register(dir, now);
        let walked = head.as_mut().and_then(|h| h.walked());
        let cached = walked.as_ref().map_or(0, |w| w.files.len());
        // Moved into the walk: what it keeps is saved with the cache, when that is written.
        let (known, listed) = walked.map_or_else(Default::default, |w| (w.files, w.listings));
        plan.walk = scan::walk(&dir.join(PROJECTS_DIR), listed, cached, now);
        plan.files = plan.walk.files.iter().map(|_| Slot::Read(None)).collect();
        let Some(mut head) = head else {
            return plan;
        };
        let same_tops = plan
            .walk
            .tops
            .iter()
            .skip(1)
            .map(|(name, _)| name)
            .eq(&head.tops);
        if head.summary.answers_for(now) && same_tops && all_as_known(&plan.walk.files, &known) {
            // Only the head's summary and what was broken are used from here on: the rest goes
            // now, and the next profile walked on this thread takes its memory (fresh pages cost
            // more than the rest of a walk but its `stat`s).
            plan.walk.files = Vec::new();
            plan.walk.listings = Vec::new();
            plan.files = Vec::new();
            plan.unchanged = Some(head);
            return plan;
        }
        let (summary, limit) = (std::mem::take(&mut head.summary), head.limit.take());
        let Some(ledger) = head.ledger(known.len()) else {
            return plan;
        };
        // Both lists are sorted by path: merge them.
        let mut places = Vec::with_capacity(plan.walk.files.len());
        let mut gone = Vec::new();
        let mut next = 0;
        for (at, found) in plan.walk.files.iter().enumerate() {
            while known.get(next).is_some_and(|k| k.rel < found.rel) {
                gone.push((at, next));
                next += 1;
            }
            let place = known.get(next).filter(|k| k.rel == found.rel).map(|_| next);
            if let Some(place) = place {
                next += 1;
                plan.files[at] = if known[place].stat == found.stat {
                    Slot::Current
                } else {
                    Slot::Read(Some(ledger.counted(place, &known[place])))
                };
            }
            places.push(place);
        }
        gone.extend((next..known.len()).map(|place| (plan.walk.files.len(), place)));
        plan.before = Some(Before {
            summary,
            limit,
            ledger,
            known,
            places,
            gone,
            other_tops: !same_tops,
        });
        plan
    }

    /// What a count from this walk is stamped with, if it may be: the register was quiet
    /// before it, its top directories were settled, and nothing it met needs saying again on
    /// the next count (`problems`: a link, or a file that could not be read, must be named
    /// every time, and one made readable counted).
    fn stamp(
        register: Option<RegisterState>,
        walk: &scan::Walk,
        problems: &Problems,
        now: Millis,
    ) -> Option<Stamp> {
        let register = register?;
        let settled = walk.tops.iter().all(|(_, s)| scan::settled(s, now));
        (settled && problems.links.is_empty() && problems.unreadable.is_empty()).then(|| Stamp {
            register,
            at: now,
            dirs: stamp::hash_states(walk.tops.iter().map(|(_, s)| s)),
        })
    }

    /// Sums up, and saves the cache when anything was read or is gone.
    fn finish(mut self, now: Millis) -> Report {
        let mut problems = Problems {
            links: std::mem::take(&mut self.walk.links),
            unreadable: std::mem::take(&mut self.walk.unreadable),
            ..Problems::default()
        };
        if let Some(head) = self.unchanged {
            if let Some(stamp) = Plan::stamp(self.register, &self.walk, &problems, now) {
                head.restamp(&stamp);
            }
            for (rel, broken) in head.broken {
                problems.broken_lines += u64::from(broken);
                problems.broken_files.push(rel);
            }
            return report(&head.summary, head.limit, problems, now);
        }
        let found = std::mem::take(&mut self.walk.files);
        let mut counted: Vec<Now> = Vec::with_capacity(found.len());
        for (found, slot) in found.iter().zip(std::mem::take(&mut self.files)) {
            counted.push(match slot {
                Slot::Current => Now::Cached,
                Slot::Done(Ok(read)) => Now::Counted(Box::new(read)),
                Slot::Done(Err(e)) => {
                    problems.unreadable.push((found.path.clone(), e));
                    Now::Unread
                }
                Slot::Read(_) => {
                    let e = io::Error::other("not read");
                    problems.unreadable.push((found.path.clone(), e));
                    Now::Unread
                }
            });
        }
        let before = self.before.as_ref();
        let files = current_files(&found, &counted, before);
        for f in files.iter().filter(|f| f.broken > 0) {
            problems.broken_lines += u64::from(f.broken);
            problems.broken_files.push(f.rel.to_owned());
        }
        let changed = before.is_none_or(|b| b.other_tops || !b.gone.is_empty())
            || counted.iter().any(|c| !matches!(c, Now::Cached));
        let (summary, limit) = match before.and_then(|b| brought_up_to_date(b, &counted, now)) {
            Some(up_to_date) => up_to_date,
            None => summed_up_afresh(&files, now),
        };
        if changed {
            let stamp = Plan::stamp(self.register, &self.walk, &problems, now);
            let tops: Vec<String> = (self.walk.tops.iter().skip(1))
                .map(|(name, _)| name.clone())
                .collect();
            let saved = cache::Saved {
                stamp: stamp.as_ref(),
                summary: &summary,
                limit: limit.as_ref(),
                files: &files,
                listings: &self.walk.listings,
                tops: &tops,
            };
            cache::save(&self.cache, &saved);
        }
        report(&summary, limit, problems, now)
    }
}

/// What a count has of a transcript the walk found.
enum Now {
    /// What the cache holds: it is as the cache says.
    Cached,
    /// Read now, and what it held before.
    Counted(Box<scan::Reread>),
    /// It could not be read: it is not counted.
    Unread,
}

/// The transcripts counted now, in order: as read now, or as the cache holds them. A file that
/// could not be read is left out.
fn current_files<'a>(
    found: &'a [scan::Found],
    counted: &'a [Now],
    before: Option<&'a Before>,
) -> Vec<cache::SavedFile<'a>> {
    let mut files = Vec::with_capacity(found.len());
    for (at, (f, now)) in found.iter().zip(counted).enumerate() {
        match now {
            Now::Counted(read) => files.push(cache::SavedFile::counted(&f.rel, &read.counted)),
            Now::Cached => {
                // A file is `Cached` only when the cache knew it (`Plan::new`).
                if let Some((b, place)) = before.and_then(|b| Some((b, b.places[at]?))) {
                    let known = &b.known[place];
                    files.push(cache::SavedFile {
                        rel: &f.rel,
                        stat: known.stat,
                        broken: known.broken,
                        record: cache::Record::Cached(b.ledger.record(place)),
                    });
                }
            }
            Now::Unread => {}
        }
    }
    files
}

/// The sums and the newest limit brought up to date with what changed (see `delta`); `None`
/// where that cannot be told, or a file that was counted could not be read again.
fn brought_up_to_date<'b>(
    before: &'b Before,
    counted: &'b [Now],
    now: Millis,
) -> Option<(Summary, Option<LimitEvent>)> {
    let ledger = &before.ledger;
    let cached = |place: usize| delta::Records::Cached(ledger.record(place));
    let mut files = Vec::with_capacity(counted.len() + before.gone.len());
    let mut gone = before.gone.iter().peekable();
    let mut limits_lost = false;
    let mut limits_added = Vec::new();
    // A file counted before and not now: whether it held a limit.
    let lose = |place: usize, files: &mut Vec<delta::File<'b>>| {
        files.push(delta::File::Changed {
            before: Some(cached(place)),
            after: None,
            shared: 0,
        });
        !ledger
            .counted(place, &before.known[place])
            .limits
            .is_empty()
    };
    for (at, now) in counted.iter().enumerate() {
        while let Some((_, place)) = gone.next_if(|(before_at, _)| *before_at == at) {
            limits_lost |= lose(*place, &mut files);
        }
        let place = before.places[at];
        let (c, was) = match (now, place) {
            (Now::Counted(read), _) => (&read.counted, &read.before),
            (Now::Cached, Some(place)) => {
                files.push(delta::File::Same(cached(place)));
                continue;
            }
            (Now::Unread, Some(place)) => {
                limits_lost |= lose(place, &mut files);
                continue;
            }
            (Now::Unread, None) => continue,
            (Now::Cached, None) => return None,
        };
        let after = Some(delta::Records::of(c));
        let (before_records, shared) = match was {
            scan::Before::New => {
                limits_added.extend(&c.limits);
                (None, 0)
            }
            scan::Before::Grew {
                entries,
                limits,
                tail,
            } => {
                limits_added.extend(c.limits.get(*limits..)?);
                let kept = delta::Records::Counted {
                    entries: c.entries.get(..*entries)?,
                    tail,
                    models: &c.models,
                };
                (Some(kept), *entries)
            }
            scan::Before::Replaced(old) => {
                limits_lost |= !old.limits.is_empty();
                limits_added.extend(&c.limits);
                (Some(delta::Records::of(old)), 0)
            }
        };
        files.push(delta::File::Changed {
            before: before_records,
            after,
            shared,
        });
    }
    for (_, place) in gone {
        limits_lost |= lose(*place, &mut files);
    }
    let limit = newest_after(before.limit.as_ref(), limits_lost, &limits_added)?;
    let summary = delta::updated(&before.summary, &files, now)?;
    Some((summary, limit))
}

/// Whether the transcripts found are exactly those known, each in the state known.
fn all_as_known(found: &[scan::Found], known: &[cache::Known]) -> bool {
    found.len() == known.len()
        && found
            .iter()
            .zip(known)
            .all(|(f, k)| f.rel == k.rel && f.stat == k.stat)
}

/// The newest limit once the files that changed are counted: the one before, or a limit
/// added since if newer; `None` where that cannot be told (a file that held a limit is gone or
/// was replaced, or one added is as old as the newest, whose order is the files').
fn newest_after(
    newest: Option<&LimitEvent>,
    lost: bool,
    added: &[&LimitEvent],
) -> Option<Option<LimitEvent>> {
    if lost || added.iter().any(|a| newest.is_some_and(|n| n.at == a.at)) {
        return None;
    }
    let added = added.iter().copied().max_by_key(|l| l.at);
    Some(
        newest
            .into_iter()
            .chain(added)
            .max_by_key(|l| l.at)
            .cloned(),
    )
}

/// The sums and the newest limit of `files`, every reply summed up: the records the cache
/// holds decoded for it.
fn summed_up_afresh(files: &[cache::SavedFile], now: Millis) -> (Summary, Option<LimitEvent>) {
    let decoded: Vec<Counted> = files
        .iter()
        .filter_map(|f| match f.record {
            cache::Record::Cached(record) => Some(cache::decode_record(record, f.stat, f.broken)),
            cache::Record::Counted(_) => None,
        })
        .collect();
    let mut decoded = decoded.iter();
    let all: Vec<&Counted> = files
        .iter()
        .filter_map(|f| match f.record {
            cache::Record::Counted(c) => Some(c),
            cache::Record::Cached(_) => decoded.next(),
        })
        .collect();
    (summarize(&all, now), newest_limit(&all))
}

/// Reads every file that changed, of all profiles at once, on as many threads as there are
/// cores: the biggest first, so that no thread is left with a large file at the end.
fn read_changed(plans: &mut [Plan]) {
    struct Job {
        path: PathBuf,
        rel: String,
        before: Option<Counted>,
    }
    let mut places = Vec::new();
    let mut jobs = Vec::new();
    for (p, plan) in plans.iter_mut().enumerate() {
        for (f, slot) in plan.files.iter_mut().enumerate() {
            if let Slot::Read(before) = slot {
                let found = &plan.walk.files[f];
                let before = before.take();
                let bytes = found.stat.size
                    - before
                        .as_ref()
                        .map_or(0, |b| b.consumed.min(found.stat.size));
                places.push((bytes, p, f));
                jobs.push(Job {
                    path: found.path.clone(),
                    rel: found.rel.clone(),
                    before,
                });
            }
        }
    }
    if jobs.is_empty() {
        return;
    }
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&j| std::cmp::Reverse(places[j].0));
    let jobs: Vec<Mutex<Option<Job>>> = jobs.into_iter().map(|j| Mutex::new(Some(j))).collect();
    let results: Vec<Mutex<Option<io::Result<scan::Reread>>>> =
        jobs.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let work = || {
        let mut buffer = Vec::new();
        while let Some(&j) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
            let job = jobs[j].lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(job) = job {
                let counted = scan::read(&job.path, &job.rel, job.before, &mut buffer);
                *results[j].lock().unwrap_or_else(|e| e.into_inner()) = Some(counted);
            }
        }
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(order.len());
    std::thread::scope(|scope| {
        for _ in 1..threads {
            scope.spawn(work);
        }
        work();
    });
    for ((_, p, f), result) in places.into_iter().zip(results) {
        let result = result.into_inner().unwrap_or_else(|e| e.into_inner());
        plans[p].files[f] = Slot::Done(result.unwrap_or_else(|| Err(io::Error::other("not read"))));
    }
}

/// What the sums need of a profile's counted files (in order), copies dropped (see `dedup`).
fn summarize(files: &[&Counted], now: Millis) -> Summary {
    // Each entry with the file it came from, whose table names its model.
    let entries: Vec<(&Counted, &dedup::Entry)> = files
        .iter()
        .flat_map(|c| c.entries.iter().chain(&c.tail).map(move |e| (*c, e)))
        .collect();
    let mut replies: Vec<Reply> = dedup::survivors(&entries, |(_, e)| e)
        .into_iter()
        .map(|(c, e)| Reply {
            timestamp: e.timestamp,
            tokens: &e.tokens,
            model: c.model(e),
        })
        .collect();
    tally::summarize(&mut replies, now)
}

/// The newest limit recorded in any file (the last of equals, in path order).
fn newest_limit(files: &[&Counted]) -> Option<LimitEvent> {
    files
        .iter()
        .flat_map(|c| &c.limits)
        .max_by_key(|l| l.at)
        .cloned()
}

/// The sums at `now`, and the newest limit if it still holds: not reset, and no reply since.
fn report(
    summary: &Summary,
    newest: Option<LimitEvent>,
    problems: Problems,
    now: Millis,
) -> Report {
    let sums = summary.at(now);
    let limit = newest.filter(|l| {
        let reset = l.resets_at.saturating_mul(1000) <= now;
        let answered_since = sums.last_reply.is_some_and(|t| t > l.at);
        !reset && !answered_since
    });
    Report {
        sums,
        limit,
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `newest_after` answers as `newest_limit` of the files as they now are, whenever
    /// it tells: files whose limits grow, are added, removed or replaced, `at`s often equal.
    #[test]
    fn newest_after_equals_newest_limit() {
        let mut s = 0x1234_5678_9abc_def1_u64;
        let mut next = move |n: u64| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s % n
        };
        let mut told = 0;
        for round in 0..5000 {
            let limit = |next: &mut dyn FnMut(u64) -> u64| LimitEvent {
                at: next(6) as Millis,
                resets_at: next(1000) as i64,
                window: None,
            };
            let before: Vec<Counted> = (0..1 + next(4))
                .map(|_| Counted {
                    limits: (0..next(3)).map(|_| limit(&mut next)).collect(),
                    ..Counted::default()
                })
                .collect();
            let newest = newest_limit(&before.iter().collect::<Vec<_>>());
            let mut after = Vec::new();
            let mut lost = false;
            let mut added: Vec<LimitEvent> = Vec::new();
            for c in &before {
                match next(4) {
                    0 => lost |= !c.limits.is_empty(),
                    1 => {
                        let mut c = c.clone();
                        let more: Vec<LimitEvent> =
                            (0..next(3)).map(|_| limit(&mut next)).collect();
                        added.extend(more.iter().cloned());
                        c.limits.extend(more);
                        after.push(c);
                    }
                    _ => after.push(c.clone()),
                }
            }
            let added_refs: Vec<&LimitEvent> = added.iter().collect();
            let Some(got) = newest_after(newest.as_ref(), lost, &added_refs) else {
                continue;
            };
            told += 1;
            let truth = newest_limit(&after.iter().collect::<Vec<_>>());
            assert_eq!(got, truth, "round {round}");
        }
        assert!(told > 1000, "{told}");
    }
}

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
    /// A file was read or is gone since the cache was written, or the cache names other
    /// project directories than the walk found.
    changed: bool,
    /// The client's register before the walk, if this count may be stamped with it.
    register: Option<RegisterState>,
}

enum Slot {
    Current(Counted),
    /// To be read, going on from what was counted before, if anything.
    Read(Option<Counted>),
    Done(io::Result<Counted>),
}

impl Plan {
    fn new(cache_path: &Path, dir: &Path, now: Millis) -> Plan {
        let mut plan = Plan {
            cache: cache_path.to_path_buf(),
            walk: scan::Walk::default(),
            files: Vec::new(),
            unchanged: None,
            changed: false,
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
        let Some(head) = head else {
            plan.files = plan.walk.files.iter().map(|_| Slot::Read(None)).collect();
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
            plan.unchanged = Some(head);
            return plan;
        }
        let mut cached = head.ledger(known).into_iter().peekable();
        let mut changed = !same_tops;
        plan.files = plan
            .walk
            .files
            .iter()
            .map(|found| {
                // Both lists are sorted by path: merge them.
                while cached.next_if(|(rel, _)| *rel < found.rel).is_some() {
                    changed = true;
                }
                match cached.next_if(|(rel, _)| *rel == found.rel) {
                    Some((_, c)) if c.is_current(&found.stat) => Slot::Current(c),
                    before => Slot::Read(before.map(|(_, c)| c)),
                }
            })
            .collect();
        plan.changed = changed | cached.next().is_some();
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

    /// Sums up, and saves the cache when anything was read.
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
        let mut kept: cache::Files = Vec::with_capacity(self.files.len());
        let mut changed = self.changed;
        let files = std::mem::take(&mut self.files);
        for (found, slot) in std::mem::take(&mut self.walk.files).into_iter().zip(files) {
            match slot {
                Slot::Current(c) => kept.push((found.rel, c)),
                Slot::Done(Ok(c)) => {
                    changed = true;
                    kept.push((found.rel, c));
                }
                Slot::Done(Err(e)) => {
                    changed = true;
                    problems.unreadable.push((found.path, e));
                }
                Slot::Read(_) => {
                    problems
                        .unreadable
                        .push((found.path, io::Error::other("not read")));
                }
            }
        }
        for (rel, c) in &kept {
            if c.broken > 0 {
                problems.broken_lines += u64::from(c.broken);
                problems.broken_files.push(rel.clone());
            }
        }
        let summary = summarize(&kept, now);
        let limit = newest_limit(&kept);
        if changed {
            let stamp = Plan::stamp(self.register, &self.walk, &problems, now);
            let tops: Vec<String> = self
                .walk
                .tops
                .into_iter()
                .skip(1)
                .map(|(name, _)| name)
                .collect();
            let saved = cache::Saved {
                stamp: stamp.as_ref(),
                summary: &summary,
                limit: limit.as_ref(),
                files: &kept,
                listings: &self.walk.listings,
                tops: &tops,
            };
            cache::save(&self.cache, &saved);
        }
        report(&summary, limit, problems, now)
    }
}

/// Whether the transcripts found are exactly those known, each in the state known.
fn all_as_known(found: &[scan::Found], known: &[cache::Known]) -> bool {
    found.len() == known.len()
        && found
            .iter()
            .zip(known)
            .all(|(f, k)| f.rel == k.rel && f.stat == k.stat)
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
    let results: Vec<Mutex<Option<io::Result<Counted>>>> =
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

/// What the sums need of a profile's counted files, copies dropped (see `dedup`).
fn summarize(files: &cache::Files, now: Millis) -> Summary {
    // Each entry with the file it came from, whose table names its model.
    let entries: Vec<(&Counted, &dedup::Entry)> = files
        .iter()
        .flat_map(|(_, c)| c.entries.iter().chain(&c.tail).map(move |e| (c, e)))
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
fn newest_limit(files: &cache::Files) -> Option<LimitEvent> {
    files
        .iter()
        .flat_map(|(_, c)| &c.limits)
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

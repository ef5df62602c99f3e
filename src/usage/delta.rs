//! Bringing a profile's sums up to date with what changed, without summing up every reply.
//!
//! Which records are copies of one another is decided reply by reply: every rule of `dedup`
//! compares records of one `message.id` only (the same id and request, the same id and session,
//! the same id, session and time). So when some files changed, only the replies whose ids
//! appear in what changed can have another copy kept: those records are gathered from every
//! file, in the order a full count takes them, once as they were and once as they are; the
//! copies kept of the first are taken out of the summary and those of the second put in
//! ([`Summary::updated`]). Records without an id are never copies: they go out and in as they
//! are. A profile's records are read to find the ids, but neither decoded whole nor sorted.

use super::Tokens;
use super::cache;
use super::dedup::{self, Entry, Key};
use super::tally::{Counted as Reply, Summary};
use super::time::Millis;

/// Past this many replies changed a summing-up afresh is as quick (and the gathered records
/// would take memory): the delta is not tried.
const MOST_CHANGED: usize = 50_000;

/// One file's usage records, as a delta reads them.
#[derive(Clone, Copy)]
pub(crate) enum Records<'a> {
    /// As the cache holds them (see [`cache::each_entry`]).
    Cached(&'a [u8]),
    /// As counted: `entries` then `tail`, their models named in `models`.
    Counted {
        entries: &'a [Entry],
        tail: &'a [Entry],
        models: &'a [String],
    },
}

/// A file in the order a count takes them (by path).
pub(crate) enum File<'a> {
    /// The same as when the summary was made.
    Same(Records<'a>),
    /// Added (no `before`), removed (no `after`), or changed; the first `shared` records of
    /// both are the same (a file that grew).
    Changed {
        before: Option<Records<'a>>,
        after: Option<Records<'a>>,
        shared: usize,
    },
}

impl<'a> Records<'a> {
    pub(crate) fn of(c: &'a super::scan::Counted) -> Self {
        Records::Counted {
            entries: &c.entries,
            tail: &c.tail,
            models: &c.models,
        }
    }

    /// Calls `each` with every record (those of complete lines, then the tail's) after the
    /// first `skip` whose id `wanted` says, with the name of its model.
    fn each(
        &self,
        skip: usize,
        wanted: &dyn Fn(Key) -> bool,
        each: &mut dyn FnMut(Entry, Option<&'a str>),
    ) {
        match *self {
            Records::Cached(record) => cache::each_entry(record, skip, wanted, each),
            Records::Counted {
                entries,
                tail,
                models,
            } => {
                for e in entries.iter().chain(tail).skip(skip) {
                    if wanted(e.message) {
                        each(*e, models.get(usize::from(e.model)).map(String::as_str));
                    }
                }
            }
        }
    }
}

/// `summary` brought up to date at `now` with the changes among `files`; `None` where that
/// cannot be told (then the replies are summed up afresh).
pub(crate) fn updated(summary: &Summary, files: &[File], now: Millis) -> Option<Summary> {
    // The ids of what changed, and the records without one that went or came.
    let mut ids = dedup::KeySet::default();
    let mut gone_alone = Vec::new();
    let mut came_alone = Vec::new();
    let any = |_: Key| true;
    for file in files {
        let File::Changed {
            before,
            after,
            shared,
        } = file
        else {
            continue;
        };
        for (records, alone) in [(before, &mut gone_alone), (after, &mut came_alone)] {
            if let Some(records) = records {
                records.each(*shared, &any, &mut |e, model| {
                    if e.message == 0 {
                        alone.push((e, model));
                    } else {
                        ids.insert(e.message);
                    }
                });
            }
        }
        if ids.len() + gone_alone.len() + came_alone.len() > MOST_CHANGED {
            return None;
        }
    }
    // Every record of those replies, in a full count's order, as it was and as it is.
    let mut was = Vec::new();
    let mut is = Vec::new();
    let wanted = |id: Key| id != 0 && ids.contains(&id);
    for file in files {
        match file {
            File::Same(records) => records.each(0, &wanted, &mut |e, model| {
                was.push((e, model));
                is.push((e, model));
            }),
            File::Changed { before, after, .. } => {
                if let Some(records) = before {
                    records.each(0, &wanted, &mut |e, model| was.push((e, model)));
                }
                if let Some(records) = after {
                    records.each(0, &wanted, &mut |e, model| is.push((e, model)));
                }
            }
        }
    }
    let mut gone = replies(dedup::survivors(&was, |(e, _)| e), &gone_alone);
    let mut came = replies(dedup::survivors(&is, |(e, _)| e), &came_alone);
    // What went and came again the same (a line that was the unfinished tail and is now whole,
    // a reply whose copy kept did not change) cancels out, so that the summary is not asked to
    // take out and put back what it need not.
    gone.sort_unstable();
    came.sort_unstable();
    let (gone, came) = without_common(gone, came);
    let tokens: Vec<(Millis, Tokens, Option<&str>)> = gone
        .iter()
        .chain(&came)
        .map(|&(timestamp, [a, b, c, d], model)| {
            let tokens = Tokens {
                input_tokens: a,
                output_tokens: b,
                cache_creation_input_tokens: c,
                cache_read_input_tokens: d,
            };
            (timestamp, tokens, model)
        })
        .collect();
    let (gone, came) = tokens.split_at(gone.len());
    summary.updated(&as_replies(gone), &as_replies(came), now)
}

fn as_replies<'a>(list: &'a [(Millis, Tokens, Option<&'a str>)]) -> Vec<Reply<'a>> {
    list.iter()
        .map(|(timestamp, tokens, model)| Reply {
            timestamp: *timestamp,
            tokens,
            model: *model,
        })
        .collect()
}

/// A reply as the delta compares them: when, its four counts, its model.
type Compared<'a> = (Millis, [u64; 4], Option<&'a str>);

/// The replies among `kept` and `alone`.
fn replies<'a>(
    kept: Vec<&(Entry, Option<&'a str>)>,
    alone: &[(Entry, Option<&'a str>)],
) -> Vec<Compared<'a>> {
    let t = |e: &Entry| {
        let t = &e.tokens;
        [
            t.input_tokens,
            t.output_tokens,
            t.cache_creation_input_tokens,
            t.cache_read_input_tokens,
        ]
    };
    kept.into_iter()
        .chain(alone)
        .map(|(e, model)| (e.timestamp, t(e), *model))
        .collect()
}

/// Both sorted lists without what they have in common (as multisets).
fn without_common<T: Ord>(a: Vec<T>, b: Vec<T>) -> (Vec<T>, Vec<T>) {
    let (mut only_a, mut only_b) = (Vec::new(), Vec::new());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    loop {
        match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if x == y => {
                a.next();
                b.next();
            }
            (Some(x), Some(y)) if x < y => only_a.extend(a.next()),
            (Some(_), Some(_)) => only_b.extend(b.next()),
            (Some(_), None) => only_a.extend(a.next()),
            (None, Some(_)) => only_b.extend(b.next()),
            (None, None) => return (only_a, only_b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::scan::Counted;
    use super::super::tally::{BLOCK, WEEK};
    use super::super::time::{DAY, HOUR};
    use super::*;

    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
        fn one_in(&mut self, n: u64) -> bool {
            self.below(n) == 0
        }
    }

    const BASE: Millis = 1_795_168_800_000;

    /// A record as the client's copies make them: a few replies' ids shared among files (a
    /// resumed session's copies, a subagent's replays, a reply per content block), some
    /// without a request id or without an id, sidechains, and counts that differ between
    /// copies.
    fn entry(rng: &mut Rng, models: usize, span: Millis) -> Entry {
        let message = rng.below(60);
        let n = |rng: &mut Rng| rng.below(4);
        Entry {
            timestamp: BASE
                + (message as Millis * 7_919_000 + rng.below(3) as Millis * 1000) % span,
            tokens: Tokens {
                input_tokens: n(rng),
                output_tokens: n(rng),
                cache_creation_input_tokens: n(rng),
                cache_read_input_tokens: n(rng),
            },
            model: rng.below(models as u64) as u16,
            message: if rng.one_in(15) {
                0
            } else {
                dedup::key(&format!("m{message}"))
            },
            request: if rng.one_in(6) {
                0
            } else {
                dedup::key(&format!("r{}", message / 2 + rng.below(2)))
            },
            session: dedup::key(&format!("s{}", rng.below(3))),
            sidechain: rng.one_in(4),
            has_speed: rng.one_in(2),
        }
    }

    fn counted(rng: &mut Rng, span: Millis) -> Counted {
        let models: Vec<String> = ["claude-a", "claude-b", "<synthetic>"]
            [..1 + rng.below(3) as usize]
            .iter()
            .map(|m| (*m).to_owned())
            .collect();
        let entries = (0..rng.below(12))
            .map(|_| entry(rng, models.len(), span))
            .collect();
        let tail = (0..rng.below(2))
            .map(|_| entry(rng, models.len(), span))
            .collect();
        Counted {
            models,
            entries,
            tail,
            ..Counted::default()
        }
    }

    /// Sums at `t` of `files`, every reply summed up (as a count with no cache does).
    fn afresh(files: &[Counted], made: Millis) -> Summary {
        super::super::summarize(&files.iter().collect::<Vec<_>>(), made)
    }

    /// What became of a profile's files: each kept, grown (its last line finished or not, lines
    /// and a tail added: the first `shared` records the same), replaced or removed; and files
    /// added.
    struct Changes {
        after: Vec<Option<Counted>>,
        shared: Vec<usize>,
        added: Vec<Counted>,
    }

    impl Changes {
        /// `before` changed at random; `shape` makes over each new record (its time, its counts).
        fn random(
            rng: &mut Rng,
            before: &[Counted],
            span: Millis,
            shape: &dyn Fn(&mut Rng, &mut Entry),
        ) -> Self {
            let new_entry = |rng: &mut Rng, models: usize| {
                let mut e = entry(rng, models, span);
                shape(rng, &mut e);
                e
            };
            let (mut after, mut shared) = (Vec::new(), Vec::new());
            for c in before {
                let mut c = c.clone();
                let share = match rng.below(6) {
                    0 => {
                        after.push(None);
                        shared.push(0);
                        continue;
                    }
                    1 => {
                        c = counted(rng, span);
                        for e in c.entries.iter_mut().chain(c.tail.iter_mut()) {
                            shape(rng, e);
                        }
                        0
                    }
                    2 | 3 => {
                        let kept = c.entries.len();
                        let old_tail = std::mem::take(&mut c.tail);
                        if rng.one_in(2) {
                            c.entries.extend(old_tail);
                        }
                        for _ in 0..rng.below(4) {
                            let e = new_entry(rng, c.models.len());
                            c.entries.push(e);
                        }
                        if rng.one_in(3) {
                            let e = new_entry(rng, c.models.len());
                            c.tail.push(e);
                        }
                        kept
                    }
                    _ => c.entries.len(),
                };
                after.push(Some(c));
                shared.push(share);
            }
            let added = (0..rng.below(2)).map(|_| counted(rng, span)).collect();
            Changes {
                after,
                shared,
                added,
            }
        }

        /// The files as the delta is handed them (`records`: `before`'s as the cache holds
        /// them). A file that is the same, or what a replaced or removed one held, is read at
        /// random from its record or as counted; a file that grew is seen as `Plan` sees it:
        /// its first records as they are now, and the tail it had.
        fn files<'a>(
            &'a self,
            rng: &mut Rng,
            before: &'a [Counted],
            records: &'a [Vec<u8>],
        ) -> Vec<File<'a>> {
            let mut either = |i: usize| {
                if rng.one_in(2) {
                    Records::Cached(&records[i])
                } else {
                    Records::of(&before[i])
                }
            };
            let mut files = Vec::new();
            for (i, (b, a)) in before.iter().zip(&self.after).enumerate() {
                let shared = self.shared[i];
                if a.as_ref() == Some(b) && shared == b.entries.len() {
                    files.push(File::Same(either(i)));
                    continue;
                }
                let was = match a {
                    Some(a) if shared > 0 => Records::Counted {
                        entries: &a.entries[..shared],
                        tail: &b.tail,
                        models: &a.models,
                    },
                    _ => either(i),
                };
                files.push(File::Changed {
                    before: Some(was),
                    after: a.as_ref().map(Records::of),
                    shared,
                });
            }
            for a in &self.added {
                files.push(File::Changed {
                    before: None,
                    after: Some(Records::of(a)),
                    shared: 0,
                });
            }
            files
        }

        /// The files as they now are.
        fn now(&self) -> Vec<Counted> {
            let kept = self.after.iter().flatten();
            kept.chain(&self.added).cloned().collect()
        }
    }

    /// A profile's files changed at random, and the summary brought up to date: whenever the
    /// delta tells, it answers at every later instant as the files summed up afresh. Files
    /// grow (whole lines, a tail finished or not), are added, removed or replaced, some left
    /// as the cache holds them (read from their records) and some as counted.
    #[test]
    fn the_sums_brought_up_to_date_equal_the_sums_afresh() {
        let mut rng = Rng(0x853c_49e6_748f_ea9b);
        let mut told = 0;
        let rounds = 3000;
        for round in 0..rounds {
            let span = [2 * DAY, 9 * DAY, 12 * HOUR][rng.below(3) as usize];
            let before: Vec<Counted> = (0..1 + rng.below(6))
                .map(|_| counted(&mut rng, span))
                .collect();
            let made = BASE + rng.below(span as u64) as Millis;
            let now = made + rng.below(DAY as u64) as Millis;
            let summary = afresh(&before, made);
            let changes = Changes::random(&mut rng, &before, span, &|_, _| {});
            let records: Vec<Vec<u8>> = before.iter().map(cache::record_of).collect();
            let files = changes.files(&mut rng, &before, &records);
            let Some(updated) = updated(&summary, &files, now) else {
                continue;
            };
            told += 1;
            let truth = afresh(&changes.now(), now);
            let mut later = vec![now, now + 1, now + BLOCK, now + WEEK, now + 3 * DAY];
            later.extend((0..8).map(|_| now + rng.below(9 * DAY as u64) as Millis));
            for t in later {
                assert_eq!(updated.at(t), truth.at(t), "round {round}, at {t}");
            }
        }
        assert!(told > rounds / 3, "told in {told} rounds of {rounds}");
    }

    /// Deltas one after the other, each on the summary the last one made (or a summing-up
    /// afresh where it could not tell), with times on an hour grid (equal times, gaps of
    /// exactly five hours), counts of zero, and days between counts.
    #[test]
    fn chained_deltas_equal_afresh() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let (mut told, mut tried) = (0, 0);
        for round in 0..2000 {
            let span = [2 * DAY, 9 * DAY, 12 * HOUR, 20 * HOUR][rng.below(4) as usize];
            let shape = move |rng: &mut Rng, e: &mut Entry| {
                if rng.one_in(2) {
                    e.timestamp = BASE + rng.below((span / HOUR) as u64) as Millis * HOUR;
                }
                if rng.one_in(3) {
                    e.tokens = Tokens::default();
                }
            };
            let mut files: Vec<Counted> = (0..1 + rng.below(5))
                .map(|_| {
                    let mut c = counted(&mut rng, span);
                    for e in c.entries.iter_mut().chain(c.tail.iter_mut()) {
                        shape(&mut rng, e);
                    }
                    c
                })
                .collect();
            let mut now = BASE + rng.below(span as u64) as Millis;
            let mut summary = afresh(&files, now);
            for step in 0..5 {
                let pause = [0, HOUR, DAY, 6 * DAY][rng.below(4) as usize];
                now += pause + rng.below(HOUR as u64) as Millis;
                let changes = Changes::random(&mut rng, &files, span, &shape);
                let records: Vec<Vec<u8>> = files.iter().map(cache::record_of).collect();
                let delta_files = changes.files(&mut rng, &files, &records);
                let truth = afresh(&changes.now(), now);
                tried += 1;
                summary = match updated(&summary, &delta_files, now) {
                    Some(u) => {
                        told += 1;
                        let later = [now, now + 1, now + BLOCK - 1, now + BLOCK, now + WEEK];
                        for t in later {
                            assert_eq!(u.at(t), truth.at(t), "round {round}, step {step}, at {t}");
                        }
                        u
                    }
                    None => truth,
                };
                drop(delta_files);
                files = changes.now();
            }
        }
        assert!(told > tried / 5, "told in {told} steps of {tried}");
    }
}

//! Adding up the replies that count: in all, in the last seven days, in the current 5-hour block,
//! each per model.
//!
//! The block is ccusage's (`ccusage blocks`): replies in time order; a block starts at the hour
//! (UTC) of its first reply and holds every reply until one comes more than five hours after the
//! block's start or after the reply before it. The current block is the last one, while it is
//! running: less than five hours since its start and since its last reply.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Tokens;
use super::dedup::{NO_MODEL, model_index};
use super::time::{DAY, HOUR, Millis, floor_to_hour};

pub(crate) const BLOCK: Millis = 5 * HOUR;
pub(crate) const WEEK: Millis = 7 * DAY;

/// The client's name for its own error replies: counted (they are zero) but not a model.
const SYNTHETIC: &str = "<synthetic>";

/// Tokens in all and per model.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Tally {
    #[serde(flatten)]
    pub tokens: Tokens,
    pub models: BTreeMap<String, Tokens>,
}

impl Tally {
    pub(crate) fn add(&mut self, tokens: &Tokens, model: Option<&str>) {
        self.tokens.add(tokens);
        if let Some(model) = model.filter(|m| *m != SYNTHETIC) {
            match self.models.get_mut(model) {
                Some(sum) => sum.add(tokens),
                None => {
                    self.models.insert(model.to_owned(), *tokens);
                }
            }
        }
    }
}

impl Tally {
    /// Takes `tokens` of `model` out again; `None` where what remains is not known from the
    /// tally alone: a count that would go below zero or had saturated, or a model's tally taken
    /// down to nothing (whether another reply of that model, of no tokens, remains is not
    /// known, and a summing-up afresh names the model only if one does).
    fn sub(&mut self, tokens: &Tokens, model: Option<&str>) -> Option<()> {
        self.tokens = self.tokens.checked_sub(tokens)?;
        if let Some(model) = model.filter(|m| *m != SYNTHETIC) {
            let sum = self.models.get_mut(model)?;
            *sum = sum.checked_sub(tokens)?;
            if sum.total() == 0 {
                return None;
            }
        }
        Some(())
    }
}

/// The 5-hour block under way.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Block {
    #[serde(flatten)]
    pub tally: Tally,
    /// Unix seconds.
    pub start: i64,
    /// Unix seconds: `start` plus five hours.
    pub end: i64,
}

/// A reply that counts: when, how much, which model.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Counted<'a> {
    pub timestamp: Millis,
    pub tokens: &'a Tokens,
    pub model: Option<&'a str>,
}

/// Everything `ccs usage` adds up for one profile.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Sums {
    pub total: Tally,
    pub seven_days: Tally,
    pub five_hour: Option<Block>,
    /// The newest reply with tokens from the model (not the client's own error replies).
    pub last_reply: Option<Millis>,
}

/// What the sums need of a profile's replies at the instant it was made and at any later one,
/// as long as the replies stay the same: the total, the last seven days' replies one by one
/// (the window is cut to the millisecond), the last 5-hour block whether it still runs or not,
/// and the newest reply. Its size grows with a week's use, not with the history: it is what a
/// repeated `ccs usage` reads when no transcript changed (see `cache`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Summary {
    /// When it was made: it answers for this instant and any later one.
    pub made_at: Millis,
    pub total: Tally,
    /// The replies from seven days before `made_at` on, oldest first.
    pub recent: Vec<Recent>,
    /// The model names `recent` points at.
    pub models: Vec<String>,
    pub last_block: Option<LastBlock>,
    pub last_reply: Option<Millis>,
}

/// A reply of the last seven days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Recent {
    pub timestamp: Millis,
    pub tokens: Tokens,
    /// Index into [`Summary::models`], or [`NO_MODEL`] for none.
    pub model: u16,
}

/// The last block of a profile's replies: what it holds, when it started (at the hour) and its
/// last reply.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct LastBlock {
    pub tally: Tally,
    pub start: Millis,
    pub last: Millis,
}

/// Sums up `replies` (in any order) at `now`, into what answers for `now` and later.
pub(crate) fn summarize(replies: &mut [Counted], now: Millis) -> Summary {
    replies.sort_by_key(|r| r.timestamp);
    let mut summary = Summary {
        made_at: now,
        ..Summary::default()
    };
    let week_ago = now.saturating_sub(WEEK);
    for r in replies.iter() {
        summary.total.add(r.tokens, r.model);
        if r.timestamp >= week_ago {
            let model = r
                .model
                .map_or(NO_MODEL, |m| model_index(&mut summary.models, m));
            summary.recent.push(Recent {
                timestamp: r.timestamp,
                tokens: *r.tokens,
                model,
            });
        }
        if is_reply(r.tokens, r.model) {
            summary.last_reply = Some(r.timestamp);
        }
    }
    summary.last_block = last_block(replies);
    summary
}

impl Summary {
    /// Whether it answers for `now`: made then or before (a clock set back needs a recount,
    /// the replies of the week before `now` being no longer all in `recent`).
    pub(crate) fn answers_for(&self, now: Millis) -> bool {
        now >= self.made_at
    }

    /// The sums at `now`, one the summary [answers for](Self::answers_for).
    pub(crate) fn at(&self, now: Millis) -> Sums {
        let week_ago = now.saturating_sub(WEEK);
        let from = self.recent.partition_point(|r| r.timestamp < week_ago);
        let mut seven_days = Tally::default();
        for r in &self.recent[from..] {
            seven_days.add(
                &r.tokens,
                self.models.get(usize::from(r.model)).map(String::as_str),
            );
        }
        let five_hour = self
            .last_block
            .as_ref()
            .filter(|b| now - b.last < BLOCK && now < b.start + BLOCK)
            .map(|b| Block {
                tally: b.tally.clone(),
                start: b.start / 1000,
                end: (b.start + BLOCK) / 1000,
            });
        Sums {
            total: self.total.clone(),
            seven_days,
            five_hour,
            last_reply: self.last_reply,
        }
    }
}

impl Summary {
    /// The summary of the same replies with `gone` taken out and `came` added, made at `now`;
    /// `None` where the summary alone cannot tell (then the replies are summed up afresh): a
    /// reply taken out that is not in it, a tally taken down to nothing (see [`Tally::sub`]),
    /// the newest reply taken out with none of the last seven days left to follow it, or the
    /// last block's start not to be found among the last seven days' replies.
    ///
    /// Exact otherwise: the total is a sum; `recent` holds every reply from seven days before
    /// `made_at` on, so a reply of that window taken out is found there and one added goes
    /// there; a block starts where a reply comes more than five hours after the one before,
    /// whatever came earlier, so the last block is found from the last such gap in `recent`.
    pub(crate) fn updated(&self, gone: &[Counted], came: &[Counted], now: Millis) -> Option<Self> {
        if !self.answers_for(now) {
            return None;
        }
        let mut s = self.clone();
        let window = self.made_at.saturating_sub(WEEK);
        for r in gone {
            s.total.sub(r.tokens, r.model)?;
            if r.timestamp >= window {
                let from = s.recent.partition_point(|x| x.timestamp < r.timestamp);
                let at = s.recent[from..]
                    .iter()
                    .take_while(|x| x.timestamp == r.timestamp)
                    .position(|x| x.tokens == *r.tokens && s.model_of(x) == r.model)?;
                s.recent.remove(from + at);
            }
        }
        for r in came {
            s.total.add(r.tokens, r.model);
            if r.timestamp >= window {
                let model = r.model.map_or(NO_MODEL, |m| model_index(&mut s.models, m));
                let at = s.recent.partition_point(|x| x.timestamp <= r.timestamp);
                let recent = Recent {
                    timestamp: r.timestamp,
                    tokens: *r.tokens,
                    model,
                };
                s.recent.insert(at, recent);
            }
        }
        let newest_gone = gone
            .iter()
            .any(|r| is_reply(r.tokens, r.model) && Some(r.timestamp) == self.last_reply);
        s.last_reply = if newest_gone {
            let newest = s
                .recent
                .iter()
                .rev()
                .find(|x| is_reply(&x.tokens, s.model_of(x)));
            Some(newest?.timestamp)
        } else {
            let came = came.iter().filter(|r| is_reply(r.tokens, r.model));
            came.map(|r| r.timestamp).chain(self.last_reply).max()
        };
        if !(gone.is_empty() && came.is_empty()) {
            s.last_block = s.last_block_from_recent()?;
        }
        let week_ago = now.saturating_sub(WEEK);
        let old = s.recent.partition_point(|x| x.timestamp < week_ago);
        s.recent.drain(..old);
        s.made_at = now;
        Some(s)
    }

    fn model_of(&self, r: &Recent) -> Option<&str> {
        self.models.get(usize::from(r.model)).map(String::as_str)
    }

    /// The last block, from the last reply in `recent` that comes more than five hours after
    /// the one before it (where a block starts whatever came before); `None` without one.
    fn last_block_from_recent(&self) -> Option<Option<LastBlock>> {
        let start = (1..self.recent.len())
            .rev()
            .find(|&i| self.recent[i].timestamp - self.recent[i - 1].timestamp > BLOCK)?;
        let replies: Vec<Counted> = self.recent[start..]
            .iter()
            .map(|r| Counted {
                timestamp: r.timestamp,
                tokens: &r.tokens,
                model: self.model_of(r),
            })
            .collect();
        Some(last_block(&replies))
    }
}

/// Whether it counts as a reply from the model (not the client's own error reply).
fn is_reply(tokens: &Tokens, model: Option<&str>) -> bool {
    model != Some(SYNTHETIC) && tokens.total() > 0
}

/// The last block of replies in time order.
fn last_block(replies: &[Counted]) -> Option<LastBlock> {
    let last = replies.last()?;
    // Walk back to where the last block starts: a block breaks where a reply comes more than five
    // hours after the one before, or after the block's start, so find the starts going forward.
    let mut start_at = 0;
    let mut start = floor_to_hour(replies[0].timestamp);
    for (i, pair) in replies.windows(2).enumerate() {
        let next = pair[1].timestamp;
        if next - start > BLOCK || next - pair[0].timestamp > BLOCK {
            start_at = i + 1;
            start = floor_to_hour(next);
        }
    }
    let mut tally = Tally::default();
    for r in &replies[start_at..] {
        tally.add(r.tokens, r.model);
    }
    Some(LastBlock {
        tally,
        start,
        last: last.timestamp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Numbers below the one asked for, from `seed` (a xorshift, the same every run).
    fn xorshift(mut seed: u64) -> impl FnMut(u64) -> u64 {
        move |below| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % below
        }
    }

    /// Instants from `from` on to ask a summary at: on the edges (a week after a reply, its
    /// block's end) and at random.
    fn instants_from(
        from: Millis,
        replies: &[Counted],
        next: &mut impl FnMut(u64) -> u64,
    ) -> Vec<Millis> {
        let mut later = vec![from, from + 1, from + BLOCK, from + WEEK, from + 20 * DAY];
        later.extend((0..20).map(|_| from + next(10 * DAY as u64) as Millis));
        for r in replies.iter().take(5) {
            later.extend([
                r.timestamp + WEEK,
                r.timestamp + WEEK + 1,
                r.timestamp + BLOCK,
            ]);
        }
        later
    }

    /// The sums at `now`, summed up then.
    fn sums(replies: &mut [Counted], now: Millis) -> Sums {
        summarize(replies, now).at(now)
    }

    /// The sums at `now` added up directly from every reply (in time order).
    fn reference(replies: &[Counted], now: Millis) -> Sums {
        let mut sums = Sums::default();
        for r in replies {
            sums.total.add(r.tokens, r.model);
            if r.timestamp >= now - WEEK {
                sums.seven_days.add(r.tokens, r.model);
            }
            if r.model != Some(SYNTHETIC) && r.tokens.total() > 0 {
                sums.last_reply = Some(r.timestamp);
            }
        }
        sums.five_hour = last_block(replies)
            .filter(|b| now - b.last < BLOCK && now < b.start + BLOCK)
            .map(|b| Block {
                tally: b.tally,
                start: b.start / 1000,
                end: (b.start + BLOCK) / 1000,
            });
        sums
    }

    fn tokens(n: u64) -> Tokens {
        Tokens {
            input_tokens: n,
            ..Tokens::default()
        }
    }

    #[test]
    fn blocks_start_at_the_hour_and_break_after_five_hours() {
        // The replies ccusage was run on (tests/it/usage.rs): hours before now.
        let now = 1_795_168_800_000 + 50 * 60_000; // 10:50
        let t: Vec<Tokens> = (1..=8).map(tokens).collect();
        let hours_ago = [30.0, 29.0, 20.0, 7.0, 6.5, 2.0, 1.0, 0.2];
        let mut replies: Vec<Counted> = hours_ago
            .iter()
            .zip(&t)
            .map(|(h, tokens)| Counted {
                timestamp: now - (h * HOUR as f64) as Millis,
                tokens,
                model: Some("m"),
            })
            .collect();
        let sums = sums(&mut replies, now);
        let block = sums.five_hour.unwrap();
        // 08:50 starts a block at 08:00 (more than five hours after 04:00's start).
        assert_eq!(block.start, 1_795_168_800 - 2 * 3600);
        assert_eq!(block.end, block.start + 5 * 3600);
        assert_eq!(block.tally.tokens.input_tokens, 6 + 7 + 8);
        assert_eq!(sums.total.tokens.input_tokens, 36);
        assert_eq!(sums.seven_days.tokens.input_tokens, 36);
    }

    #[test]
    fn no_block_runs_after_five_quiet_hours_or_past_its_end() {
        let t = tokens(1);
        let at = |ms| Counted {
            timestamp: ms,
            tokens: &t,
            model: None,
        };
        let start = 1_795_168_800_000;
        let mut quiet = [at(start)];
        assert!(sums(&mut quiet, start + BLOCK).five_hour.is_none());
        assert!(sums(&mut quiet, start + BLOCK - 1).five_hour.is_some());
        // A reply at 4:59 into the block keeps it going only until the block's end.
        let mut busy = [at(start), at(start + BLOCK - 60_000)];
        assert!(sums(&mut busy, start + BLOCK - 1).five_hour.is_some());
        assert!(sums(&mut busy, start + BLOCK).five_hour.is_none());
        assert!(sums(&mut [], start).five_hour.is_none());
    }

    #[test]
    fn the_last_seven_days_are_a_rolling_window_and_synthetic_is_no_model() {
        let now = 1_795_168_800_000;
        let (big, zero) = (tokens(100), tokens(0));
        let mut replies = [
            Counted {
                timestamp: now - WEEK - 1,
                tokens: &big,
                model: Some("old"),
            },
            Counted {
                timestamp: now - WEEK,
                tokens: &big,
                model: Some("new"),
            },
            Counted {
                timestamp: now,
                tokens: &zero,
                model: Some(SYNTHETIC),
            },
        ];
        let sums = sums(&mut replies, now);
        assert_eq!(sums.total.tokens.input_tokens, 200);
        assert_eq!(sums.seven_days.tokens.input_tokens, 100);
        assert_eq!(sums.total.models.keys().collect::<Vec<_>>(), ["new", "old"]);
        assert_eq!(sums.last_reply, Some(now - WEEK));
    }

    /// A summary made earlier answers exactly as one made now, for any later instant: the
    /// seven days cut to the millisecond, the block running or over, the last reply. Replies
    /// at random instants (many on the window's edges and the block's), tokens and models.
    #[test]
    fn a_summary_answers_later_as_one_made_then() {
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15_u64);
        let models = [Some("a"), Some("b"), Some(SYNTHETIC), None];
        let base: Millis = 1_795_168_800_000;
        for round in 0..300 {
            let count = next(40) as usize;
            let tokens: Vec<Tokens> = (0..count).map(|_| tokens(next(3))).collect();
            let mut replies: Vec<Counted> = tokens
                .iter()
                .map(|t| Counted {
                    // Within 16 days, on a grid of minutes or anywhere.
                    timestamp: base
                        + if next(2) == 0 {
                            next(16 * 24 * 60) as Millis * 60_000
                        } else {
                            next(16 * DAY as u64) as Millis
                        },
                    tokens: t,
                    model: models[next(4) as usize],
                })
                .collect();
            let made = base + next(16 * DAY as u64) as Millis;
            let summary = summarize(&mut replies, made);
            let later = instants_from(made, &replies, &mut next);
            for now in later.into_iter().filter(|&n| summary.answers_for(n)) {
                assert_eq!(
                    summary.at(now),
                    reference(&replies, now),
                    "round {round}, at {now}"
                );
            }
            assert!(!summary.answers_for(made - 1));
        }
    }

    /// A summary brought up to date with replies taken out and added answers as one summed up
    /// afresh from the replies as they now are, whenever it can tell (and it can in most
    /// rounds: the test would prove nothing if it always said it cannot).
    #[test]
    fn a_summary_updated_answers_as_one_summed_up_afresh() {
        let mut next = xorshift(0x2545_f491_4f6c_dd1d_u64);
        let models = [Some("a"), Some("b"), Some(SYNTHETIC), None];
        let base: Millis = 1_795_168_800_000;
        let pool: Vec<Tokens> = (0..4).map(tokens).collect();
        let mut told = 0;
        for round in 0..2000 {
            let reply = |next: &mut dyn FnMut(u64) -> u64, span: u64| Counted {
                timestamp: base + next(span) as Millis,
                tokens: &pool[next(4) as usize],
                model: models[next(4) as usize],
            };
            let count = 1 + next(40) as usize;
            let span = [16 * DAY, 2 * DAY, 6 * HOUR][next(3) as usize] as u64;
            let before: Vec<Counted> = (0..count).map(|_| reply(&mut next, span)).collect();
            let gone_at: Vec<bool> = before.iter().map(|_| next(4) == 0).collect();
            let came: Vec<Counted> = (0..next(4))
                .map(|_| reply(&mut next, span + DAY as u64))
                .collect();
            let made = base + next(span) as Millis;
            let now = made + next(2 * DAY as u64) as Millis;
            let summary = summarize(&mut before.clone(), made);
            let gone: Vec<Counted> = (before.iter().zip(&gone_at))
                .filter(|(_, g)| **g)
                .map(|(r, _)| *r)
                .collect();
            let Some(updated) = summary.updated(&gone, &came, now) else {
                continue;
            };
            told += 1;
            let mut after: Vec<Counted> = (before.iter().zip(&gone_at))
                .filter(|(_, g)| !**g)
                .map(|(r, _)| *r)
                .chain(came.iter().copied())
                .collect();
            after.sort_by_key(|r| r.timestamp);
            let later = instants_from(now, &after, &mut next);
            for t in later.into_iter().filter(|&t| t >= now) {
                assert_eq!(updated.at(t), reference(&after, t), "round {round}, at {t}");
            }
        }
        assert!(told > 1000, "told in {told} rounds of 2000");
    }

    /// a reply exactly five hours after the first of its block, which started on the
    /// hour, stays in that block (no gap *more* than five hours).
    #[test]
    fn a_gap_of_exactly_five_hours_is_no_break() {
        let h: Millis = 1_795_168_800_000; // on the hour
        let t = tokens(1);
        let at = |ms| Counted {
            timestamp: ms,
            tokens: &t,
            model: Some("a"),
        };
        let mut before = [at(h - 10 * HOUR), at(h)];
        let summary = summarize(&mut before, h);
        let came = [at(h + BLOCK)];
        let now = h + BLOCK;
        let updated = summary.updated(&[], &came, now).unwrap();
        let after = [at(h - 10 * HOUR), at(h), at(h + BLOCK)];
        for t in [now, now + 1, now + HOUR] {
            assert_eq!(updated.at(t), reference(&after, t));
        }
        assert_eq!(updated.last_block, last_block(&after));
    }
}

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
        if r.model != Some(SYNTHETIC) && r.tokens.total() > 0 {
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
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |below: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % below
        };
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
            let mut later = vec![made, made + 1, made + BLOCK, made + WEEK, made + 20 * DAY];
            later.extend((0..20).map(|_| made + next(10 * DAY as u64) as Millis));
            // The edges: a week after each reply, and its block's end.
            for r in replies.iter().take(5) {
                later.extend([
                    r.timestamp + WEEK,
                    r.timestamp + WEEK + 1,
                    r.timestamp + BLOCK,
                ]);
            }
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
}

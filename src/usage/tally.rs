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

pub(crate) fn sums(replies: &mut [Counted], now: Millis) -> Sums {
    replies.sort_by_key(|r| r.timestamp);
    let mut sums = Sums::default();
    for r in replies.iter() {
        sums.total.add(r.tokens, r.model);
        if r.timestamp >= now - WEEK {
            sums.seven_days.add(r.tokens, r.model);
        }
        if r.model != Some(SYNTHETIC) && r.tokens.total() > 0 {
            sums.last_reply = Some(r.timestamp);
        }
    }
    sums.five_hour = current_block(replies, now);
    sums
}

/// The block under way at `now`, from replies in time order.
fn current_block(replies: &[Counted], now: Millis) -> Option<Block> {
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
    if now - last.timestamp >= BLOCK || now >= start + BLOCK {
        return None;
    }
    let mut tally = Tally::default();
    for r in &replies[start_at..] {
        tally.add(r.tokens, r.model);
    }
    Some(Block {
        tally,
        start: start / 1000,
        end: (start + BLOCK) / 1000,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
}

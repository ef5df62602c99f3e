//! Which account has room: the one rule `ccs usage`, `ccs statusline` and `ccs continue` share.
//!
//! Room is what is left before the nearer of the account's two limits, the 5-hour and the 7-day
//! window, as the client last reported them to `ccs statusline` (the server's count, from every
//! device). An account is limited while either window is used up and not reset, or while a limit
//! the client recorded in its transcripts holds. A report older than
//! [`snapshot::STALE_AFTER`](super::snapshot::STALE_AFTER) says nothing of the use since, so its
//! account's room is unknown; its limit still holds until its reset, which no use can bring nearer.

use std::path::Path;

use super::snapshot::{self, Snapshot};
use super::time::{Millis, SECOND};
use super::{Owner, measure};
use crate::profile_name::ProfileName;
use crate::store::Store;

/// One account's room, as far as ccs knows it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Room {
    /// Used up until this instant (Unix seconds).
    Limited { until: i64 },
    /// Known and fresh: the percentages used of each window (0 once a window has reset).
    Left { five_hour: f64, seven_day: f64 },
    /// Never reported, or reported too long ago.
    Unknown,
}

impl Room {
    /// What an account reported (`snapshot`) and the limit its transcripts hold
    /// (`recorded_limit`, its reset in Unix seconds) say of it at `now`.
    pub(crate) fn of(
        snapshot: Option<&Snapshot>,
        recorded_limit: Option<i64>,
        now: Millis,
    ) -> Room {
        let until = recorded_limit
            .filter(|at| at.saturating_mul(SECOND) > now)
            .into_iter()
            .chain(snapshot.and_then(|s| s.limited_until(now)))
            .max();
        if let Some(until) = until {
            return Room::Limited { until };
        }
        let Some(s) = snapshot.filter(|s| s.has_limits() && !s.is_stale(now)) else {
            return Room::Unknown;
        };
        let used = |w: Option<super::snapshot::Window>| {
            w.filter(|w| w.resets_at.saturating_mul(SECOND) > now)
                .map_or(0.0, |w| w.used_percentage)
        };
        Room::Left {
            five_hour: used(s.five_hour),
            seven_day: used(s.seven_day),
        }
    }

    /// The percentage used of the fuller window: 100 less the room left.
    fn nearer_limit(&self) -> Option<f64> {
        match *self {
            Room::Left {
                five_hour,
                seven_day,
            } => Some(five_hour.max(seven_day)),
            _ => None,
        }
    }
}

/// The room of each profile in `profiles`, from its recorded report and the limit its
/// transcripts hold (counted as `ccs usage` counts them, from its cache).
pub(crate) fn of_profiles(
    store: &Store,
    profiles: &[(ProfileName, &Path)],
    now: Millis,
) -> Vec<Room> {
    let dirs: Vec<(Owner, &Path)> = profiles
        .iter()
        .map(|(name, dir)| (Owner::Profile(name), *dir))
        .collect();
    let reports = measure(store, &dirs, now);
    profiles
        .iter()
        .zip(reports)
        .map(|((name, _), report)| {
            let recorded = report.limit.map(|l| l.resets_at);
            Room::of(snapshot::load(store, name).as_ref(), recorded, now)
        })
        .collect()
}

/// The pick among some accounts: the one with the most room, and how many could be weighed.
#[derive(Debug, PartialEq)]
pub(crate) struct Pick<T> {
    /// The account, and its room.
    pub best: Option<(T, Room)>,
    /// How many had a known room (limited or not).
    pub known: usize,
    /// How many were weighed.
    pub weighed: usize,
}

/// The account with the most room among `accounts`: the least used of its fuller window, then
/// of its 5-hour window; the first in the given order on a tie. Limited and unknown accounts are
/// never picked.
pub(crate) fn most_room<T>(accounts: impl IntoIterator<Item = (T, Room)>) -> Pick<T> {
    let mut pick = Pick {
        best: None,
        known: 0,
        weighed: 0,
    };
    for (account, room) in accounts {
        pick.weighed += 1;
        if room != Room::Unknown {
            pick.known += 1;
        }
        let Some(used) = room.nearer_limit() else {
            continue;
        };
        let better = match &pick.best {
            None => true,
            Some((_, best)) => {
                let best_used = best.nearer_limit().unwrap_or(f64::INFINITY);
                used < best_used || used == best_used && five_hour(&room) < five_hour(best)
            }
        };
        if better {
            pick.best = Some((account, room));
        }
    }
    pick
}

fn five_hour(room: &Room) -> f64 {
    match *room {
        Room::Left { five_hour, .. } => five_hour,
        _ => f64::INFINITY,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::snapshot::{STALE_AFTER, Window};

    const NOW: Millis = 1_800_000_000 * SECOND;
    const NOW_S: i64 = 1_800_000_000;

    fn reported(five_hour: f64, seven_day: f64, age: Millis) -> Snapshot {
        Snapshot {
            five_hour: Some(Window {
                used_percentage: five_hour,
                resets_at: NOW_S + 3600,
            }),
            seven_day: Some(Window {
                used_percentage: seven_day,
                resets_at: NOW_S + 86_400,
            }),
            observed_at: (NOW - age) / SECOND,
            account: None,
        }
    }

    #[test]
    fn a_used_up_window_or_a_recorded_limit_is_a_limit_until_its_reset() {
        let full = reported(100.0, 40.0, 0);
        assert_eq!(
            Room::of(Some(&full), None, NOW),
            Room::Limited {
                until: NOW_S + 3600
            }
        );
        let week = reported(10.0, 100.0, 0);
        assert_eq!(
            Room::of(Some(&week), None, NOW),
            Room::Limited {
                until: NOW_S + 86_400
            }
        );
        // The later of the two, when both say so.
        assert_eq!(
            Room::of(Some(&full), Some(NOW_S + 7200), NOW),
            Room::Limited {
                until: NOW_S + 7200
            }
        );
        // A recorded limit with no report at all.
        assert_eq!(
            Room::of(None, Some(NOW_S + 60), NOW),
            Room::Limited { until: NOW_S + 60 }
        );
        // One that has reset holds no more.
        assert_eq!(Room::of(None, Some(NOW_S - 60), NOW), Room::Unknown);
    }

    #[test]
    fn a_stale_report_says_nothing_of_the_use_but_its_limit_still_holds() {
        let old = reported(10.0, 10.0, STALE_AFTER + SECOND);
        assert_eq!(Room::of(Some(&old), None, NOW), Room::Unknown);
        let old_full = reported(100.0, 10.0, STALE_AFTER + SECOND);
        assert_eq!(
            Room::of(Some(&old_full), None, NOW),
            Room::Limited {
                until: NOW_S + 3600
            }
        );
        let fresh = reported(10.0, 10.0, STALE_AFTER - SECOND);
        assert!(matches!(
            Room::of(Some(&fresh), None, NOW),
            Room::Left { .. }
        ));
    }

    #[test]
    fn a_window_that_has_reset_counts_as_unused() {
        let mut s = reported(90.0, 30.0, 0);
        s.five_hour.as_mut().unwrap().resets_at = NOW_S - 1;
        assert_eq!(
            Room::of(Some(&s), None, NOW),
            Room::Left {
                five_hour: 0.0,
                seven_day: 30.0
            }
        );
    }

    #[test]
    fn the_pick_weighs_the_fuller_window_and_never_a_limited_or_unknown_account() {
        let rooms = [
            ("limited", Room::Limited { until: NOW_S + 60 }),
            ("unknown", Room::Unknown),
            // Little used in 5 hours, but the week is nearly gone.
            (
                "week-nearly-gone",
                Room::Left {
                    five_hour: 5.0,
                    seven_day: 95.0,
                },
            ),
            (
                "steady",
                Room::Left {
                    five_hour: 50.0,
                    seven_day: 60.0,
                },
            ),
            (
                "steady-fresher",
                Room::Left {
                    five_hour: 40.0,
                    seven_day: 60.0,
                },
            ),
        ];
        let pick = most_room(rooms);
        assert_eq!(pick.best.map(|(name, _)| name), Some("steady-fresher"));
        assert_eq!((pick.known, pick.weighed), (4, 5));
        let none = most_room([("a", Room::Unknown), ("b", Room::Limited { until: 1 })]);
        assert_eq!(none.best, None);
        assert_eq!((none.known, none.weighed), (1, 2));
    }
}

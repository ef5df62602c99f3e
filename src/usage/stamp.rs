//! Knowing that nothing changed without looking at every transcript.
//!
//! A walk of `projects/` costs one `stat` per transcript and directory: tens of milliseconds
//! after a year of heavy use, on every `ccs usage`. But transcripts are written by clients, and
//! every client writing in a config dir keeps a record of itself in the dir's register
//! (`sessions/`, see [`crate::claude_code::sessions`]) while it runs: creating and removing a
//! record changes the register's modification time. So a count made while no client ran, with
//! the register left alone for a while, is stamped with the register's state; the next count
//! whose register is in that state again knows that no client has run since, and answers from
//! the cache without a walk.
//!
//! What writes a transcript without a record in the register is seen otherwise: a new file or a
//! rename in `projects/` or in a project's directory (another machine's copies arriving, an
//! older client starting a conversation, an agent team's teammate starting its own, `ccs
//! continue` handing one over) changes a directory the stamp names; anything else (an append by
//! a program that keeps no record, a client's last rows written long after its record went) is
//! counted at the next walk, at most [`TRUSTED_FOR`] later.

use std::path::Path;

use super::scan::{self, Stat};
use super::time::Millis;
use crate::claude_code::sessions;
use crate::claude_code::transcripts::PROJECTS_DIR;

/// How long a stamp stands without a walk: bounds how long an append by a program that keeps
/// no record in the register (see the module's text) can go uncounted.
pub(crate) const TRUSTED_FOR: Millis = 5 * 60 * 1000;

/// What a count knew of the config dir when its walk began.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stamp {
    /// The register's state.
    pub register: Stat,
    /// When the walk began.
    pub at: Millis,
    /// The state of `projects/` and of each directory in it, as [`dirs_state`] hashes it.
    pub dirs: u128,
}

impl Stamp {
    /// Whether the count it was made for still answers at `now`, for the config dir `dir` whose
    /// project directories were `tops` (names in `projects/`, in the walk's order).
    pub(crate) fn holds(&self, dir: &Path, tops: &[String], now: Millis) -> bool {
        (self.at..self.at + TRUSTED_FOR).contains(&now)
            && register_state(dir).is_some_and(|r| r == self.register)
            && dirs_state(&dir.join(PROJECTS_DIR), tops) == Some(self.dirs)
    }
}

/// The register's state at `now` (before a walk), if a count may be stamped with it: it has
/// been left alone for [`sessions::REGISTER_QUIET_MS`] and no record in it names a client that
/// runs or may run. Never where a `stat` shows no times to compare (see `scan::settled`).
pub(crate) fn quiet_register(dir: &Path, now: Millis) -> Option<Stat> {
    let register = register_state(dir)?;
    (scan::settled_for(&register, now, register_quiet_ms()) && sessions::none_may_run(dir))
        .then_some(register)
}

/// [`sessions::REGISTER_QUIET_MS`], or for the tests only `CCS_TEST_REGISTER_QUIET_MS`, so
/// that a test of a stamp need not wait a minute for it (as `CCS_TEST_LIST_SETTLE_MS` does for
/// `ccs list`'s cache). Read only when a count may be stamped.
fn register_quiet_ms() -> Millis {
    std::env::var_os("CCS_TEST_REGISTER_QUIET_MS")
        .and_then(|ms| ms.to_str()?.parse().ok())
        .unwrap_or(sessions::REGISTER_QUIET_MS)
}

/// The register's state, if it is a directory.
fn register_state(dir: &Path) -> Option<Stat> {
    scan::dir_state(&dir.join(sessions::REGISTER))
}

/// One hash of the states of `projects` and of the directories `tops` in it; `None` if one of
/// them is not there.
pub(crate) fn dirs_state(projects: &Path, tops: &[String]) -> Option<u128> {
    let states = scan::states_in(projects, tops)?;
    Some(hash_states(states.iter()))
}

/// The hash [`dirs_state`] makes of the states, in order.
pub(crate) fn hash_states<'a>(states: impl Iterator<Item = &'a Stat>) -> u128 {
    let mut bytes = Vec::new();
    for s in states {
        for n in [s.dev, s.ino, s.size] {
            bytes.extend_from_slice(&n.to_le_bytes());
        }
        for n in [s.mtime.0, s.mtime.1, s.ctime.0, s.ctime.1] {
            bytes.extend_from_slice(&n.to_le_bytes());
        }
    }
    xxhash_rust::xxh3::xxh3_128(&bytes)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// A config dir with a register and two projects, and a stamp of its state made at `at`.
    fn stamped(at: Millis) -> (tempfile::TempDir, Stamp, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(sessions::REGISTER)).unwrap();
        let tops = vec!["-a".to_owned(), "-b".to_owned()];
        for top in &tops {
            std::fs::create_dir_all(dir.path().join(PROJECTS_DIR).join(top)).unwrap();
        }
        let stamp = Stamp {
            register: register_state(dir.path()).unwrap(),
            at,
            dirs: dirs_state(&dir.path().join(PROJECTS_DIR), &tops).unwrap(),
        };
        (dir, stamp, tops)
    }

    #[test]
    fn a_stamp_holds_for_its_while_and_only_for_the_state_it_names() {
        let at = 1_800_000_000_000;
        let (dir, stamp, tops) = stamped(at);
        let holds = |now| stamp.holds(dir.path(), &tops, now);
        assert!(holds(at) && holds(at + TRUSTED_FOR - 1));
        assert!(!holds(at - 1), "a clock set back");
        assert!(!holds(at + TRUSTED_FOR), "stood its while");
        // Other directories named, or one gone.
        assert!(!stamp.holds(dir.path(), &tops[..1], at));
        std::fs::remove_dir(dir.path().join(PROJECTS_DIR).join("-b")).unwrap();
        assert!(!holds(at));

        let (dir, stamp, tops) = stamped(at);
        let record = dir.path().join(sessions::REGISTER).join("1.json");
        std::fs::write(&record, "{}").unwrap();
        std::fs::remove_file(&record).unwrap();
        assert!(
            !stamp.holds(dir.path(), &tops, at),
            "a client came and went"
        );

        let (dir, stamp, tops) = stamped(at);
        std::fs::create_dir(dir.path().join(PROJECTS_DIR).join("-a/sub")).unwrap();
        assert!(
            !stamp.holds(dir.path(), &tops, at),
            "a project's directory changed"
        );
    }

    #[test]
    fn a_register_just_changed_or_missing_is_not_quiet() {
        let (dir, _, _) = stamped(0);
        let now = crate::usage::time::now_millis();
        assert_eq!(quiet_register(dir.path(), now), None, "just made");
        assert!(quiet_register(dir.path(), now + sessions::REGISTER_QUIET_MS + 1_000).is_some());
        std::fs::remove_dir(dir.path().join(sessions::REGISTER)).unwrap();
        assert_eq!(
            quiet_register(dir.path(), now + 3_600_000),
            None,
            "no register"
        );
    }
}

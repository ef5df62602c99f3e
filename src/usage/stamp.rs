//! Knowing that nothing changed without looking at every transcript.
//!
//! A walk of `projects/` costs one `stat` per transcript and directory: tens of milliseconds
//! after a year of heavy use, on every `ccs usage`. But transcripts are written by clients, and
//! every client writing in a config dir keeps a record of itself in the dir's register
//! (`sessions/`, see [`crate::claude_code::sessions`]) while it runs: creating or removing a
//! record changes the register's modification time, and rewriting one changes the record's.
//! So a count made while no client ran, with the register left alone for a while, is stamped
//! with the register's state (its own and its entries'); the next count whose register is in
//! that state again knows that no client has started or ended since, and answers from the
//! cache without a walk.
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

/// The state of the register: of `sessions/` and of each entry in it, hashed. An entry's
/// own state counts too: a client whose process id is that of a client killed outright
/// rewrites the record that one left in place, which leaves the directory's time as it was.
pub(crate) type RegisterState = u128;

/// What a count knew of the config dir when its walk began.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stamp {
    /// The register's state.
    pub register: RegisterState,
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
pub(crate) fn quiet_register(dir: &Path, now: Millis) -> Option<RegisterState> {
    let register = scan::dir_state(&dir.join(sessions::REGISTER))?;
    if !scan::settled_for(&register, now, register_quiet_ms()) || !sessions::none_may_run(dir) {
        return None;
    }
    register_state(dir)
}

/// [`sessions::REGISTER_QUIET_MS`], or for the tests only `CCS_TEST_REGISTER_QUIET_MS`, so
/// that a test of a stamp need not wait a minute for it (as `CCS_TEST_LIST_SETTLE_MS` does for
/// `ccs list`'s cache). Read only when a count may be stamped.
fn register_quiet_ms() -> Millis {
    std::env::var_os("CCS_TEST_REGISTER_QUIET_MS")
        .and_then(|ms| ms.to_str()?.parse().ok())
        .unwrap_or(sessions::REGISTER_QUIET_MS)
}

/// The register's state, if it is a directory (not a link) whose entries could all be looked
/// at: its own and each entry's, with the entries' names.
fn register_state(dir: &Path) -> Option<RegisterState> {
    let register = dir.join(sessions::REGISTER);
    scan::dir_state(&register)?;
    let mut names = std::fs::read_dir(&register)
        .ok()?
        .map(|entry| entry.ok()?.file_name().into_string().ok())
        .collect::<Option<Vec<String>>>()?;
    names.sort_unstable();
    let states = scan::states_in(&register, &names)?;
    let mut bytes = Vec::new();
    for name in &names {
        bytes.extend_from_slice(name.as_bytes());
        bytes.push(0);
    }
    Some(hash_states(states.iter()) ^ xxhash_rust::xxh3::xxh3_128(&bytes))
}

/// One hash of the states of `projects` and of the directories `tops` in it; `None` if one of
/// them is not there.
pub(crate) fn dirs_state(projects: &Path, tops: &[String]) -> Option<u128> {
    let states = scan::states_in(projects, tops)?;
    Some(hash_states(states.iter()))
}

/// The hash [`dirs_state`] makes of the states, in order.
pub(crate) fn hash_states<'a>(states: impl Iterator<Item = &'a Stat>) -> u128 {
    let bytes: Vec<u8> = states.flat_map(|s| s.to_le_bytes()).collect();
    xxhash_rust::xxh3::xxh3_128(&bytes)
}

#[cfg(all(test, unix))]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;

    fn set_back(path: &Path, by: Duration) {
        let handle = std::fs::File::open(path).unwrap();
        handle.set_modified(SystemTime::now() - by).unwrap();
    }

    /// A config dir with a register and two projects, and a stamp of its state made at `at`.
    /// The directories' times are set an hour back first, as a walk stamps only directories
    /// left alone (`scan::settled`): a change right after would otherwise fall in the same tick
    /// of the file system's clock on kernels that give directories a coarse one.
    fn stamped(at: Millis) -> (tempfile::TempDir, Stamp, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        let register = dir.path().join(sessions::REGISTER);
        std::fs::create_dir(&register).unwrap();
        let tops = vec!["-a".to_owned(), "-b".to_owned()];
        let projects = dir.path().join(PROJECTS_DIR);
        for top in &tops {
            std::fs::create_dir_all(projects.join(top)).unwrap();
        }
        for path in [
            register,
            projects.clone(),
            projects.join("-a"),
            projects.join("-b"),
        ] {
            set_back(&path, Duration::from_secs(3600));
        }
        let stamp = Stamp {
            register: register_state(dir.path()).unwrap(),
            at,
            dirs: dirs_state(&projects, &tops).unwrap(),
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
        let came_and_went = !stamp.holds(dir.path(), &tops, at);
        assert!(came_and_went, "a client came and went");

        let (dir, stamp, tops) = stamped(at);
        std::fs::create_dir(dir.path().join(PROJECTS_DIR).join("-a/sub")).unwrap();
        let changed = !stamp.holds(dir.path(), &tops, at);
        assert!(changed, "a project's directory changed");
    }

    /// A record left by a client killed outright, rewritten in place by a client that got its
    /// process id: the register's directory keeps its time, the record does not.
    #[test]
    fn a_record_rewritten_in_place_breaks_the_stamp() {
        let at = 1_800_000_000_000;
        let (dir, _, tops) = stamped(at);
        let register = dir.path().join(sessions::REGISTER);
        let record = register.join("2.json");
        std::fs::write(&record, r#"{"pid":2}"#).unwrap();
        set_back(&record, Duration::from_secs(600));
        set_back(&register, Duration::from_secs(600));
        let stamp = Stamp {
            register: register_state(dir.path()).unwrap(),
            at,
            dirs: dirs_state(&dir.path().join(PROJECTS_DIR), &tops).unwrap(),
        };
        assert!(stamp.holds(dir.path(), &tops, at));
        let before = scan::dir_state(&register);
        std::fs::write(&record, r#"{"pid":2,"sessionId":"s"}"#).unwrap();
        assert_eq!(
            scan::dir_state(&register),
            before,
            "the directory is as it was"
        );
        assert!(!stamp.holds(dir.path(), &tops, at));
    }

    #[test]
    fn a_register_just_changed_or_missing_is_not_quiet() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(sessions::REGISTER)).unwrap();
        let now = crate::usage::time::now_millis();
        assert_eq!(quiet_register(dir.path(), now), None, "just made");
        let later = now + sessions::REGISTER_QUIET_MS + 1_000;
        assert!(quiet_register(dir.path(), later).is_some());
        std::fs::remove_dir(dir.path().join(sessions::REGISTER)).unwrap();
        assert_eq!(quiet_register(dir.path(), later), None, "no register");
    }
}

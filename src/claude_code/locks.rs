//! The client's lock directories: proper-lockfile's, a directory made with `mkdir` beside what it
//! guards, its mtime refreshed while held.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// What the client appends to a path to name its lock (proper-lockfile's default): on a login
/// refresh it takes `<config dir>.lock` beside the config dir, so `instances/work.lock` is
/// `work`'s lock, never a profile, and a profile of that name would break `work`'s refresh.
pub(crate) const LOCK_SUFFIX: &str = ".lock";

/// A lock is a directory whose mtime its holder refreshes every 5 seconds; the client takes one
/// untouched for 60 seconds (its longest limit, for the login refresh) as abandoned.
pub(crate) const LOCK_STALE_AFTER: Duration = Duration::from_secs(60);

/// Whether `name` ends in `.lock`, in any case: on a case-insensitive disk `Work.LOCK` is the
/// same directory.
pub(crate) fn is_lock_name(name: &str) -> bool {
    let Some(at) = name
        .len()
        .checked_sub(LOCK_SUFFIX.len())
        .filter(|&at| at > 0)
    else {
        return false;
    };
    name.is_char_boundary(at) && name[at..].eq_ignore_ascii_case(LOCK_SUFFIX)
}

/// The client's lock directories in `dir` (the store's `instances/`, or a profile) that no
/// client holds: untouched for longer than [`LOCK_STALE_AFTER`]. A killed refresh leaves one
/// behind, and the client then waits on it before taking it over.
pub(crate) fn stale_locks(dir: &Path, now: SystemTime) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| entry.file_name().to_str().is_some_and(is_lock_name))
        .filter(|entry| {
            // symlink_metadata: a lock is a real directory; nothing is followed.
            fs::symlink_metadata(entry.path()).is_ok_and(|meta| {
                meta.is_dir()
                    && meta
                        .modified()
                        .ok()
                        .and_then(|m| now.duration_since(m).ok())
                        .is_some_and(|age| age > LOCK_STALE_AFTER)
            })
        })
        .map(|entry| entry.path())
        .collect();
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_names_in_any_case() {
        for name in ["work.lock", "a.LOCK", ".oauth_refresh.lock", "x.Lock"] {
            assert!(is_lock_name(name), "{name}");
        }
        for name in [".lock", "lock", "work", "work.locks", "worklock", "é"] {
            assert!(!is_lock_name(name), "{name}");
        }
    }
}

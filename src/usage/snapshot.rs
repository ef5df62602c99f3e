//! The account's rate limits as the client last reported them to `ccs statusline`: how much of
//! the 5-hour and the 7-day window is used, and when each resets. Only Claude's servers know
//! this (it counts use from every device); the client passes it to its status line command, for
//! subscribers, as
//! `"rate_limits":{"five_hour":{"used_percentage":42,"resets_at":1796029200},"seven_day":{…}}`.
//!
//! One small file per profile, `$CCS_HOME/rate-limits/<profile>.json` (the default config's:
//! `(default).json`, see [`super::DEFAULT_KEY`]), replaced whole: a status
//! line refreshes every few seconds in every session, and two sessions on two profiles must never
//! write the same file. It sits beside the store rather than in the profile, so that a refresh
//! does not change the profile's directory (which would make `ccs list` measure it again), and a
//! listing reads one directory instead of a file per profile.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Owner;
use super::time::{Millis, SECOND, age, clock};
use crate::contract::RATE_LIMITS_DIR;
use crate::fsx;
use crate::profile_name::ProfileName;
use crate::store::Store;

/// A snapshot older than this is shown as stale: use from other sessions and devices since is
/// not in it.
pub(crate) const STALE_AFTER: Millis = 15 * 60 * SECOND;

/// One window's use, in the client's words.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Window {
    /// 0 to 100.
    pub used_percentage: f64,
    /// Unix seconds.
    pub resets_at: i64,
}

/// What the client last reported, and when.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Snapshot {
    #[serde(default)]
    pub five_hour: Option<Window>,
    #[serde(default)]
    pub seven_day: Option<Window>,
    /// Unix seconds; 0 when the client has not reported any limits.
    pub observed_at: i64,
    /// The account the status line shows, kept so that a refresh does not parse the profile's
    /// `.claude.json` (megabytes, in a long-used profile) while it is unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<SeenAccount>,
}

/// The account's words, and the state of the files they were read from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SeenAccount {
    pub text: String,
    pub files: String,
}

impl Snapshot {
    /// Whether the client ever reported limits in it.
    pub(crate) fn has_limits(&self) -> bool {
        self.five_hour.is_some() || self.seven_day.is_some()
    }

    pub(crate) fn is_stale(&self, now: Millis) -> bool {
        now - self.observed_at.saturating_mul(SECOND) > STALE_AFTER
    }

    /// Whether the 5-hour window (or, failing it, the week) is used up and not yet reset.
    pub(crate) fn limited_until(&self, now: Millis) -> Option<i64> {
        [self.five_hour, self.seven_day]
            .into_iter()
            .flatten()
            .filter(|w| w.used_percentage >= 100.0 && w.resets_at.saturating_mul(SECOND) > now)
            .map(|w| w.resets_at)
            .max()
    }
}

impl Snapshot {
    /// For a person: `5h 42% · resets 14:00 · 7d 17%`, with `· 2h ago` when stale; `None`
    /// when the client reported no limits.
    pub(crate) fn summary(&self, now: Millis, zone: &jiff::tz::TimeZone) -> Option<String> {
        if !self.has_limits() {
            return None;
        }
        let running = |w: &&Window| w.resets_at.saturating_mul(SECOND) > now;
        let mut words = Vec::new();
        match &self.five_hour {
            Some(w) if running(&w) => words.push(format!(
                "5h {}% · resets {}",
                percent(w.used_percentage),
                clock(w.resets_at, now, zone)
            )),
            Some(w) => words.push(format!("5h reset {}", clock(w.resets_at, now, zone))),
            None => {}
        }
        if let Some(w) = self.seven_day.as_ref().filter(running) {
            words.push(format!("7d {}%", percent(w.used_percentage)));
        }
        if self.is_stale(now) {
            words.push(format!(
                "{} ago",
                age(self.observed_at.saturating_mul(SECOND), now)
            ));
        }
        Some(words.join(" · "))
    }
}

/// A percentage as the client shows it: whole, and `<1` rather than 0 when something is used.
pub(crate) fn percent(p: f64) -> String {
    if p > 0.0 && p < 1.0 {
        "<1".to_owned()
    } else {
        format!("{:.0}", p.clamp(0.0, 999.0).floor())
    }
}

pub(crate) fn dir(store: &Store) -> PathBuf {
    store.root().join(RATE_LIMITS_DIR)
}

fn path<'a>(store: &Store, owner: impl Into<Owner<'a>>) -> PathBuf {
    dir(store).join(format!("{}.json", owner.into().key()))
}

/// A snapshot as `ccs list --json` and `ccs usage --json` show it: `{"five_hour":
/// {"used_percentage", "resets_at"}, "seven_day": …, "observed_at", "stale"}`.
#[derive(serde::Serialize)]
pub(crate) struct Shown<'a> {
    five_hour: Option<&'a Window>,
    seven_day: Option<&'a Window>,
    observed_at: i64,
    stale: bool,
}

impl Snapshot {
    pub(crate) fn shown(&self, now: Millis) -> Shown<'_> {
        Shown {
            five_hour: self.five_hour.as_ref(),
            seven_day: self.seven_day.as_ref(),
            observed_at: self.observed_at,
            stale: self.is_stale(now),
        }
    }
}

/// Moves a profile's snapshot to its new name (nothing to move is no error).
pub(crate) fn rename(store: &Store, old: &ProfileName, new: &ProfileName) {
    let _ = std::fs::rename(path(store, old), path(store, new));
}

/// Deletes a profile's snapshot, if it has one.
pub(crate) fn remove(store: &Store, name: &ProfileName) {
    let _ = std::fs::remove_file(path(store, name));
}

/// The last snapshot of a profile (or the default config), if any (a broken file counts as
/// none).
pub(crate) fn load<'a>(store: &Store, owner: impl Into<Owner<'a>>) -> Option<Snapshot> {
    read(&path(store, owner))
}

fn read(path: &Path) -> Option<Snapshot> {
    serde_json::from_slice(&fs::read(path).ok()?).ok()
}

/// Records a snapshot for the profile (or the default config), replacing the last one whole.
pub(crate) fn save<'a>(
    store: &Store,
    owner: impl Into<Owner<'a>>,
    snapshot: &Snapshot,
) -> anyhow::Result<()> {
    let text = serde_json::to_string(snapshot)? + "\n";
    // Without fsync: the next refresh writes it again.
    fsx::replace_file(&path(store, owner), text.as_bytes(), 0o600, false)
}

/// Every profile's snapshot (not the default config's: its key is no profile name), read with one
/// listing of the directory: for `ccs list`, which shows a
/// thousand profiles in milliseconds and must not try a thousand files that are not there. The
/// files are read on up to four threads (a thousand snapshots take a few milliseconds on one),
/// each with one `read`: a snapshot is a few hundred bytes, replaced whole, never appended to.
pub(crate) fn load_all(store: &Store) -> Vec<(String, Snapshot)> {
    let dir = dir(store);
    let Ok(entries) = fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let profile = name.strip_suffix(".json")?;
            ProfileName::from_disk(profile)?;
            Some(name)
        })
        .collect();
    // Sorted by profile name, which callers search by halving: not by file name, where
    // `work-2.json` comes before `work.json`.
    names.sort_unstable_by(|a, b| a.trim_end_matches(".json").cmp(b.trim_end_matches(".json")));
    let mut read: Vec<Option<Snapshot>> = vec![None; names.len()];
    fsx::in_parallel(&names, &mut read, 128, |into, from| {
        for (slot, name) in into.iter_mut().zip(from) {
            *slot = read_small(&dir.join(name));
        }
    });
    names
        .into_iter()
        .zip(read)
        .filter_map(|(mut name, snapshot)| {
            name.truncate(name.len() - ".json".len());
            Some((name, snapshot?))
        })
        .collect()
}

/// A snapshot file read with one `read` when it fits the buffer (as every one ccs writes does).
fn read_small(path: &Path) -> Option<Snapshot> {
    use std::io::Read;
    let mut file = fs::File::open(path).ok()?;
    let mut buffer = [0u8; 1024];
    let n = file.read(&mut buffer).ok()?;
    if n < buffer.len() {
        return serde_json::from_slice(&buffer[..n]).ok();
    }
    let mut all = buffer.to_vec();
    file.read_to_end(&mut all).ok()?;
    serde_json::from_slice(&all).ok()
}

/// Removes the snapshots of profiles that no longer exist (renamed or removed); the default
/// config's is not among them ([`load_all`] skips it), and stays.
pub(crate) fn prune(store: &Store, profiles: &[ProfileName]) {
    for (name, _) in load_all(store) {
        if !profiles.iter().any(|p| p.as_str() == name) {
            let _ = fs::remove_file(dir(store).join(format!("{name}.json")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staleness_and_limits_follow_the_clock() {
        let now = 1_795_168_800_000;
        let s = Snapshot {
            five_hour: Some(Window {
                used_percentage: 100.0,
                resets_at: 1_795_168_800 + 60,
            }),
            seven_day: Some(Window {
                used_percentage: 40.0,
                resets_at: 1_795_168_800 + 86_400,
            }),
            observed_at: 1_795_168_800 - 10 * 60,
            account: None,
        };
        assert!(!s.is_stale(now));
        assert!(s.is_stale(now + 6 * 60 * SECOND));
        assert_eq!(s.limited_until(now), Some(1_795_168_860));
        assert_eq!(s.limited_until(now + 60 * SECOND), None, "reset");
    }

    #[test]
    fn summaries_say_use_reset_and_age() {
        let utc = jiff::tz::TimeZone::UTC;
        let now = 1_795_168_800_000; // 10:00
        let mut s = Snapshot {
            five_hour: Some(Window {
                used_percentage: 42.9,
                resets_at: 1_795_168_800 + 4 * 3600,
            }),
            seven_day: Some(Window {
                used_percentage: 0.3,
                resets_at: 1_795_168_800 + 2 * 86_400,
            }),
            observed_at: 1_795_168_800,
            account: None,
        };
        assert_eq!(
            s.summary(now, &utc).unwrap(),
            "5h 42% · resets 14:00 · 7d <1%"
        );
        let later = now + 5 * 3600 * SECOND;
        assert_eq!(
            s.summary(later, &utc).unwrap(),
            "5h reset 14:00 · 7d <1% · 5h ago"
        );
        s.five_hour = None;
        s.seven_day = None;
        assert_eq!(s.summary(now, &utc), None);
    }

    #[test]
    fn all_snapshots_are_read_on_threads_and_strays_are_skipped() {
        let root = tempfile::tempdir().unwrap();
        let store = Store::at(root.path()).unwrap();
        let dir = dir(&store);
        fs::create_dir_all(&dir).unwrap();
        let mut want = Vec::new();
        for i in 0..300 {
            let name = ProfileName::parse(&format!("p{i:03}")).unwrap();
            let s = Snapshot {
                five_hour: Some(Window {
                    used_percentage: f64::from(i),
                    resets_at: 1,
                }),
                seven_day: None,
                observed_at: i64::from(i),
                account: None,
            };
            save(&store, &name, &s).unwrap();
            want.push((name.to_string(), s));
        }
        // A long one (past one read's buffer), then strays: broken, foreign names, a temp file.
        let long = Snapshot {
            observed_at: 7,
            ..Snapshot::default()
        };
        let padded = format!(
            "{}{}",
            " ".repeat(3000),
            serde_json::to_string(&long).unwrap()
        );
        fs::write(dir.join("zz.json"), padded).unwrap();
        want.push(("zz".to_owned(), long));
        for (stray, text) in [
            ("broken.json", "{"),
            ("notes.txt", "{}"),
            ("..json", "{}"),
            (".zz.json.123.tmp", "{}"),
        ] {
            fs::write(dir.join(stray), text).unwrap();
        }
        assert_eq!(load_all(&store), want);
    }

    #[test]
    fn the_default_configs_snapshot_is_kept_apart_and_never_pruned() {
        let root = tempfile::tempdir().unwrap();
        let store = Store::at(root.path()).unwrap();
        let gone = ProfileName::parse("gone").unwrap();
        let s = Snapshot {
            observed_at: 3,
            ..Snapshot::default()
        };
        save(&store, Owner::DefaultConfig, &s).unwrap();
        save(&store, &gone, &s).unwrap();
        assert!(dir(&store).join("(default).json").is_file());
        assert_eq!(load_all(&store), vec![("gone".to_owned(), s.clone())]);
        prune(&store, &[]);
        assert_eq!(load(&store, &gone), None);
        assert_eq!(load(&store, Owner::DefaultConfig), Some(s));
    }

    #[test]
    fn reads_what_the_client_sends_and_what_it_wrote() {
        let s: Snapshot = serde_json::from_str(
            r#"{"five_hour":{"used_percentage":42,"resets_at":1796029200},"observed_at":5}"#,
        )
        .unwrap();
        assert_eq!(s.five_hour.unwrap().used_percentage, 42.0);
        assert_eq!(s.seven_day, None);
        let back: Snapshot = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back, s);
    }
}

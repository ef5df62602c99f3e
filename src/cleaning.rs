//! `ccs clean`: removing the session history and logs Claude Code accumulates in a profile,
//! by kind and age, never following a link. Which entries are sessions or logs is `claude_code::layout`'s word.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result, bail};

use crate::claude_code::layout::{Kind, cleanable};
use crate::disk::{allocated, human_size};

/// What `clean` removes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Selection {
    pub sessions: bool,
    pub logs: bool,
    /// Only what was last modified longer ago than this.
    pub older_than: Option<Duration>,
}

impl Selection {
    fn parts(self) -> impl Iterator<Item = &'static str> {
        let sessions = cleanable(Kind::Sessions).filter(move |_| self.sessions);
        let logs = cleanable(Kind::Logs).filter(move |_| self.logs);
        sessions.chain(logs)
    }
}

/// What cleaning one part removes: entries in deletion order (a directory after its content).
pub(crate) struct PartPlan {
    pub part: &'static str,
    pub files: usize,
    pub dirs: usize,
    pub bytes: u64,
    victims: Vec<Victim>,
    /// Why the part is skipped, if it is (a link: never followed).
    pub skipped: Option<String>,
}

struct Victim {
    path: PathBuf,
    is_dir: bool,
    bytes: u64,
}

/// The plan for one profile: every selected part that exists, with what would go.
pub(crate) fn plan(instance: &Path, selection: Selection) -> Result<Vec<PartPlan>> {
    let cutoff = selection.older_than.map(|age| {
        SystemTime::now()
            .checked_sub(age)
            .unwrap_or(SystemTime::UNIX_EPOCH)
    });
    let mut plans = Vec::new();
    for part in selection.parts() {
        let root = instance.join(part);
        let meta = match fs::symlink_metadata(&root) {
            Ok(meta) => meta,
            Err(e) if e.kind() == ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", root.display())),
        };
        let mut plan = PartPlan {
            part,
            files: 0,
            dirs: 0,
            bytes: 0,
            victims: Vec::new(),
            skipped: None,
        };
        if !meta.is_dir() {
            // A link (or a file where Claude Code keeps a directory) is not ccs's to empty.
            plan.skipped = Some(if meta.file_type().is_symlink() {
                "a link, not followed".to_owned()
            } else {
                "not a directory".to_owned()
            });
        } else {
            collect(&root, cutoff, &mut plan.victims)?;
            plan.files = plan.victims.iter().filter(|v| !v.is_dir).count();
            plan.dirs = plan.victims.len() - plan.files;
            plan.bytes = plan.victims.iter().map(|v| v.bytes).sum();
        }
        plans.push(plan);
    }
    Ok(plans)
}

/// Adds what can go under `dir` to `victims`; returns whether all of `dir`'s content can go.
/// Entries are read with `symlink_metadata`: a link is removed as a link, never followed.
fn collect(dir: &Path, cutoff: Option<SystemTime>, victims: &mut Vec<Victim>) -> Result<bool> {
    let entries = fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    let mut all = true;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read {}", dir.display()))?;
        let path = entry.path();
        let meta = fs::symlink_metadata(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let old_enough = cutoff.is_none_or(|c| meta.modified().is_ok_and(|m| m < c));
        let goes = if meta.is_dir() {
            // A directory goes only when all it holds goes and it is old enough itself.
            collect(&path, cutoff, victims)? && old_enough
        } else {
            old_enough
        };
        if goes {
            victims.push(Victim {
                bytes: allocated(&meta),
                is_dir: meta.is_dir(),
                path,
            });
        }
        all &= goes;
    }
    Ok(all)
}

/// What removing a plan achieved.
#[derive(Debug, Default)]
pub(crate) struct Removed {
    pub bytes: u64,
    /// The first entry that could not be removed, and how many could not.
    pub failures: usize,
    pub first_failure: Option<String>,
}

/// Removes what the plan lists. An entry that vanished meanwhile, or a directory that gained
/// content meanwhile (a running Claude Code session), is skipped quietly; other failures are
/// counted, and the rest carries on.
pub(crate) fn remove<'a>(parts: impl IntoIterator<Item = &'a PartPlan>) -> Removed {
    let mut removed = Removed::default();
    for victim in parts.into_iter().flat_map(|p| &p.victims) {
        let result = if victim.is_dir {
            fs::remove_dir(&victim.path)
        } else {
            crate::fsx::remove_link(&victim.path)
        };
        match result {
            Ok(()) => {
                removed.bytes += victim.bytes;
            }
            Err(e)
                if e.kind() == ErrorKind::NotFound || e.kind() == ErrorKind::DirectoryNotEmpty => {}
            Err(e) => {
                removed.failures += 1;
                removed
                    .first_failure
                    .get_or_insert_with(|| format!("{}: {e}", victim.path.display()));
            }
        }
    }
    removed
}

/// Whether a plan removes nothing.
pub(crate) fn is_empty(plans: &[PartPlan]) -> bool {
    plans.iter().all(|p| p.victims.is_empty())
}

/// `session history and logs older than 30d`: what a selection removes, in words.
pub(crate) fn describe_selection(selection: Selection) -> String {
    let what = match (selection.sessions, selection.logs) {
        (true, true) => "session history and logs",
        (true, false) => "session history",
        _ => "logs",
    };
    match selection.older_than {
        Some(age) => format!("{what} older than {}", shown_age(age)),
        None => what.to_owned(),
    }
}

fn shown_age(age: Duration) -> String {
    let secs = age.as_secs();
    match secs {
        s if s % (7 * 86_400) == 0 && s > 0 => format!("{}w", s / (7 * 86_400)),
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s => format!("{}h", s / 3600),
    }
}

/// The listing `clean` shows: per profile, per part, files and bytes.
///
/// ```text
///   work: 42 files, 3.1 MB
///     projects/      40 files   3.0 MB
///     logs/           2 files    96 KB
/// ```
pub(crate) fn plan_report<N: std::fmt::Display>(plans: &[(N, Vec<PartPlan>)]) -> String {
    let mut out = String::new();
    for (name, parts) in plans {
        if is_empty(parts) && parts.iter().all(|p| p.skipped.is_none()) {
            continue;
        }
        let files: usize = parts.iter().map(|p| p.files).sum();
        let dirs: usize = parts.iter().map(|p| p.dirs).sum();
        let bytes: u64 = parts.iter().map(|p| p.bytes).sum();
        out.push_str(&format!(
            "  {name}: {}, {}\n",
            entries(files, dirs),
            human_size(bytes)
        ));
        for part in parts {
            let shown = format!("{}/", part.part);
            let line = match &part.skipped {
                Some(why) => format!("    {shown:<16} skipped: {why}\n"),
                None if part.victims.is_empty() => continue,
                None => format!(
                    "    {shown:<16} {:<22} {:>7}\n",
                    entries(part.files, part.dirs),
                    human_size(part.bytes)
                ),
            };
            out.push_str(&line);
        }
    }
    out
}

/// `3 files`, `1 file, 2 directories`, `2 directories`.
fn entries(files: usize, dirs: usize) -> String {
    let count = |n: usize, what: &str| {
        if n == 1 {
            format!("1 {what}")
        } else {
            format!("{n} {what}s")
        }
    };
    match (files, dirs) {
        (_, 0) => count(files, "file"),
        (0, _) => count(dirs, "directory").replace("directorys", "directories"),
        _ => format!(
            "{}, {}",
            count(files, "file"),
            count(dirs, "directory").replace("directorys", "directories")
        ),
    }
}

/// An age such as `30d`, `12h` or `2w`.
pub(crate) fn parse_age(text: &str) -> Result<Duration> {
    let bad =
        || anyhow::anyhow!("invalid age {text:?}: give a number and a unit, e.g. 30d, 12h or 2w");
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| bad())?;
    let seconds = match unit {
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => bail!(bad()),
    };
    number
        .checked_mul(seconds)
        .map(Duration::from_secs)
        .ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_have_a_unit() {
        assert_eq!(parse_age("30d").unwrap(), Duration::from_secs(30 * 86_400));
        assert_eq!(parse_age("12h").unwrap(), Duration::from_secs(12 * 3600));
        assert_eq!(parse_age("2w").unwrap(), Duration::from_secs(14 * 86_400));
        assert_eq!(parse_age("0d").unwrap(), Duration::ZERO);
        for bad in [
            "30",
            "d",
            "",
            "-1d",
            "1.5d",
            "30 d",
            "3m",
            "99999999999999999999w",
        ] {
            assert!(parse_age(bad).is_err(), "{bad}");
        }
    }
}

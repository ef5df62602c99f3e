//! `ccs du` and `ccs clean`: what each part of a profile is, how much room it takes, and removing
//! the session history and logs that Claude Code accumulates.
//!
//! Parts are named from what Claude Code writes into its config dir. Only the parts listed as
//! sessions or logs are ever cleaned; everything else (the login, `.claude.json`, settings, the
//! shared items, anything ccs does not know) is left alone whatever the flags.

use std::collections::BTreeSet;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::account::{allocated, disk_usage, human_size};

/// What a top-level entry of a profile is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Conversation transcripts and per-session state: what `clean --sessions` removes.
    Sessions,
    /// Claude Code's logs, debug output and unsent telemetry: what `clean --logs` removes.
    Logs,
    /// The login.
    Login,
    /// Account and app state Claude Code keeps (never cleaned).
    State,
    /// The user's own configuration.
    Config,
    /// A link to a shared item (in `~/.claude`): its target is counted once, on its own.
    Shared,
    /// Any other link: its target is not the profile's, and not counted.
    Link,
    /// ccs's own record of the profile's sharing.
    Ccs,
    Other,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Sessions => "sessions",
            Kind::Logs => "logs",
            Kind::Login => "login",
            Kind::State => "state",
            Kind::Config => "config",
            Kind::Shared => "shared",
            Kind::Link => "link",
            Kind::Ccs => "ccs",
            Kind::Other => "other",
        }
    }
}

/// Directories of per-session history, as Claude Code names them (its own clean-up of old
/// sessions, `cleanupPeriodDays`, walks the same ones). `history.jsonl`, the prompts typed at
/// the `>` (recalled with the up arrow), is a single file Claude Code appends to, so it is state,
/// not a session part: removing it would lose every recall, not just old ones.
const SESSION_DIRS: &[&str] = &[
    "projects",
    "file-history",
    "session-env",
    "todos",
    "shell-snapshots",
    "tasks",
    "plans",
    "paste-cache",
    "image-cache",
    "uploads",
    "shares",
];

const LOG_DIRS: &[&str] = &["logs", "debug", "telemetry"];

const STATE: &[&str] = &[
    ".claude.json",
    "backups",
    "statsig",
    "history.jsonl",
    "ide",
    "cache",
    "usage-data",
    "plugins",
];

const CONFIG: &[&str] = &[
    "settings.json",
    "settings.local.json",
    "CLAUDE.md",
    "commands",
    "skills",
    "agents",
    "output-styles",
    "keybindings.json",
];

/// The kind of the entry `name` at the top of a profile; `is_link` for a symlink, which is never
/// a part of the profile's own, whatever its name (`usage` tells shared links from others).
pub fn kind_of(name: &str, is_link: bool) -> Kind {
    if is_link {
        return Kind::Link;
    }
    let is = |list: &[&str]| list.contains(&name);
    if is(SESSION_DIRS) {
        Kind::Sessions
    } else if is(LOG_DIRS) {
        Kind::Logs
    } else if name == ".credentials.json" {
        Kind::Login
    } else if is(STATE) || name.starts_with(".claude.json.") {
        Kind::State
    } else if is(CONFIG) {
        Kind::Config
    } else if name == crate::shared::SETTINGS_FILE {
        Kind::Ccs
    } else {
        Kind::Other
    }
}

/// One top-level entry of a profile and the bytes it takes (links not followed).
#[derive(Clone, Debug)]
pub struct Part {
    pub name: String,
    pub is_dir: bool,
    pub kind: Kind,
    pub bytes: u64,
}

impl Part {
    /// `projects/` or `.claude.json`.
    pub fn shown(&self) -> String {
        if self.is_dir {
            format!("{}/", self.name)
        } else {
            self.name.clone()
        }
    }
}

/// A profile's disk usage: its total as `du -s` counts it, and its parts, largest first.
pub struct Usage {
    pub bytes: u64,
    pub parts: Vec<Part>,
    /// Where its links to shared items point, resolved, so those are counted once overall.
    pub shared_targets: Vec<PathBuf>,
}

/// `source` is the directory profiles share from, if any: links into it are shared items.
pub fn usage(instance: &Path, source: Option<&Path>) -> Result<Usage> {
    let source = source.and_then(|s| fs::canonicalize(s).ok());
    let mut parts = Vec::new();
    let mut shared_targets = Vec::new();
    let entries =
        fs::read_dir(instance).with_context(|| format!("cannot read {}", instance.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read {}", instance.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let kind = entry
            .file_type()
            .with_context(|| format!("cannot read {}", path.display()))?;
        let mut part_kind = kind_of(&name, kind.is_symlink());
        if kind.is_symlink()
            && let Ok(target) = fs::canonicalize(&path)
            && source.as_ref().is_some_and(|s| target.starts_with(s))
        {
            part_kind = Kind::Shared;
            shared_targets.push(target);
        }
        parts.push(Part {
            kind: part_kind,
            is_dir: kind.is_dir(),
            bytes: disk_usage(&path),
            name,
        });
    }
    parts.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.name.cmp(&b.name)));
    // The whole is its parts plus the directory itself: no second walk of the tree.
    let own = fs::symlink_metadata(instance)
        .map(|m| crate::account::allocated(&m))
        .unwrap_or(0);
    Ok(Usage {
        bytes: own + parts.iter().map(|p| p.bytes).sum::<u64>(),
        parts,
        shared_targets,
    })
}

/// The bytes of the distinct shared items the profiles link to: each counted once, however many
/// profiles link to it. A target inside another counted one is not counted again.
pub fn shared_bytes(usages: &[&Usage]) -> (u64, Vec<PathBuf>) {
    let targets: BTreeSet<&PathBuf> = usages.iter().flat_map(|u| &u.shared_targets).collect();
    let outermost: Vec<PathBuf> = targets
        .iter()
        .filter(|t| {
            !targets
                .iter()
                .any(|other| other != *t && t.starts_with(other))
        })
        .map(|t| (*t).clone())
        .collect();
    let bytes = outermost.iter().map(|t| disk_usage(t)).sum();
    (bytes, outermost)
}

/// `ccs du --json`: each profile with its parts, the shared items once, and the total.
pub fn du_json(usages: &[(String, PathBuf, Usage)]) -> String {
    let (shared, shared_paths) = shared_bytes(&usages.iter().map(|(.., u)| u).collect::<Vec<_>>());
    let profiles: Vec<Value> = usages
        .iter()
        .map(|(name, dir, usage)| {
            let parts: Vec<Value> = usage
                .parts
                .iter()
                .map(|p| json!({"name": p.name, "kind": p.kind.label(), "size_bytes": p.bytes}))
                .collect();
            json!({"name": name, "path": dir.to_str(), "size_bytes": usage.bytes, "parts": parts})
        })
        .collect();
    let paths: Vec<_> = shared_paths.iter().map(|p| p.to_string_lossy()).collect();
    json!({
        "profiles": profiles,
        "shared": {"size_bytes": shared, "paths": paths},
        "total_bytes": total(usages, shared),
    })
    .to_string()
}

/// `ccs du`: sizes first, like `du -sh`, each profile followed by its parts, largest first.
///
/// ```text
///  148 KB  work
///  108 KB    projects/          sessions
///     0 B    commands           shared
///   44 KB  shared items, counted once
///  192 KB  total
/// ```
pub fn du_text(usages: &[(String, PathBuf, Usage)]) -> String {
    if usages.is_empty() {
        return String::new();
    }
    let (shared, _) = shared_bytes(&usages.iter().map(|(.., u)| u).collect::<Vec<_>>());
    let width = usages
        .iter()
        .flat_map(|(.., u)| u.parts.iter().map(|p| p.shown().chars().count()))
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (name, _, usage) in usages {
        out.push_str(&format!("{:>7}  {name}\n", human_size(usage.bytes)));
        for part in &usage.parts {
            out.push_str(&format!(
                "{:>7}    {:<width$}  {}\n",
                human_size(part.bytes),
                part.shown(),
                part.kind.label()
            ));
        }
    }
    if shared > 0 {
        out.push_str(&format!(
            "{:>7}  shared items, counted once\n",
            human_size(shared)
        ));
    }
    out.push_str(&format!(
        "{:>7}  total\n",
        human_size(total(usages, shared))
    ));
    out
}

fn total(usages: &[(String, PathBuf, Usage)], shared: u64) -> u64 {
    usages.iter().map(|(.., u)| u.bytes).sum::<u64>() + shared
}

/// What `clean` removes.
#[derive(Clone, Copy, Debug)]
pub struct Selection {
    pub sessions: bool,
    pub logs: bool,
    /// Only what was last modified longer ago than this.
    pub older_than: Option<Duration>,
}

impl Selection {
    fn parts(self) -> impl Iterator<Item = &'static str> {
        let sessions = SESSION_DIRS.iter().filter(move |_| self.sessions);
        let logs = LOG_DIRS.iter().filter(move |_| self.logs);
        sessions.chain(logs).copied()
    }
}

/// What cleaning one part removes: entries in deletion order (a directory after its content).
pub struct PartPlan {
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
pub fn plan(instance: &Path, selection: Selection) -> Result<Vec<PartPlan>> {
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
pub struct Removed {
    pub bytes: u64,
    /// The first entry that could not be removed, and how many could not.
    pub failures: usize,
    pub first_failure: Option<String>,
}

/// Removes what the plan lists. An entry that vanished meanwhile, or a directory that gained
/// content meanwhile (a running Claude Code session), is skipped quietly; other failures are
/// counted, and the rest carries on.
pub fn remove<'a>(parts: impl IntoIterator<Item = &'a PartPlan>) -> Removed {
    let mut removed = Removed::default();
    for victim in parts.into_iter().flat_map(|p| &p.victims) {
        let result = if victim.is_dir {
            fs::remove_dir(&victim.path)
        } else {
            fs::remove_file(&victim.path)
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
pub fn is_empty(plans: &[PartPlan]) -> bool {
    plans.iter().all(|p| p.victims.is_empty())
}

/// `session history and logs older than 30d`: what a selection removes, in words.
pub fn describe_selection(selection: Selection) -> String {
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
pub fn plan_report<N: std::fmt::Display>(plans: &[(N, Vec<PartPlan>)]) -> String {
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
pub fn parse_age(text: &str) -> Result<Duration> {
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

    #[test]
    fn the_login_settings_and_links_are_never_a_cleanable_part() {
        for name in [
            ".credentials.json",
            ".claude.json",
            "settings.json",
            "CLAUDE.md",
        ] {
            assert!(!matches!(kind_of(name, false), Kind::Sessions | Kind::Logs));
        }
        assert_eq!(kind_of("projects", true), Kind::Link);
        assert_eq!(kind_of("projects", false), Kind::Sessions);
        assert_eq!(kind_of("debug", false), Kind::Logs);
    }
}

//! What each top-level entry of a profile is (sessions, logs, login, state, config, a shared
//! item), named from what Claude Code writes into its config dir, and how much room each takes:
//! what `ccs du` shows and what `ccs clean` may remove. Only the parts listed as sessions or logs
//! are ever cleaned; everything else (the login, `.claude.json`, settings, the shared items,
//! anything ccs does not know) is left alone whatever the flags.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::size::disk_usage;

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
pub const SESSION_DIRS: &[&str] = &[
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

pub const LOG_DIRS: &[&str] = &["logs", "debug", "telemetry"];

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
    } else if name == crate::names::SHARING_FILE {
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
        .map(|m| crate::size::allocated(&m))
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

#[cfg(test)]
mod tests {
    use super::*;

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

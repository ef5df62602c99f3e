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

/// Every entry Claude Code 2.1.332 keeps at the top of its config dir that ccs names, with its
/// kind, and whether today's client still writes it (`legacy`: it only sweeps it). Taken from the
/// client's own code (its retention sweep and its list of runtime state). `history.jsonl`, the
/// prompts typed at the `>` (recalled with the up arrow), is one file the client appends to, so
/// it is state, not a session part: removing it would lose every recall, not just old ones.
/// `sessions/` records the clients running now: never cleaned.
const TABLE: &[(&str, Kind, bool)] = &[
    // Per-session history: what `clean --sessions` removes.
    ("projects", Kind::Sessions, false),
    ("file-history", Kind::Sessions, false),
    ("session-env", Kind::Sessions, false),
    ("shell-snapshots", Kind::Sessions, false),
    ("tasks", Kind::Sessions, false),
    ("plans", Kind::Sessions, false),
    ("paste-cache", Kind::Sessions, false),
    ("image-cache", Kind::Sessions, false),
    ("uploads", Kind::Sessions, false),
    ("shares", Kind::Sessions, false),
    ("file-transfers", Kind::Sessions, false),
    ("usage-data", Kind::Sessions, false),
    ("todos", Kind::Sessions, true),
    // Logs, debug output and unsent telemetry: what `clean --logs` removes.
    ("debug", Kind::Logs, false),
    ("telemetry", Kind::Logs, false),
    ("traces", Kind::Logs, false),
    ("startup-perf", Kind::Logs, false),
    ("dump-prompts", Kind::Logs, false),
    ("api-dumps", Kind::Logs, false),
    ("logs", Kind::Logs, true),
    // The login.
    (".credentials.json", Kind::Login, false),
    // State the client keeps: never cleaned.
    (".claude.json", Kind::State, false),
    ("backups", Kind::State, false),
    ("history.jsonl", Kind::State, false),
    ("sessions", Kind::State, false),
    ("jobs", Kind::State, false),
    ("daemon", Kind::State, false),
    ("daemon.json", Kind::State, false),
    ("teams", Kind::State, false),
    ("state", Kind::State, false),
    ("cache", Kind::State, false),
    ("ide", Kind::State, false),
    ("plugins", Kind::State, false),
    ("remote-control", Kind::State, false),
    ("bridge-spawn", Kind::State, false),
    ("local", Kind::State, false),
    ("feedback", Kind::State, false),
    ("feedback-bundles", Kind::State, false),
    ("mcp-discovery-cache", Kind::State, false),
    ("mcp-skill-archives", Kind::State, false),
    ("mcp-needs-auth-cache.json", Kind::State, false),
    ("gh-pr-status-cache.json", Kind::State, false),
    ("stats-cache.json", Kind::State, false),
    ("active-time.json", Kind::State, false),
    ("server-sessions.json", Kind::State, false),
    ("policy-limits.json", Kind::State, false),
    ("remote-settings.json", Kind::State, false),
    ("remote-settings-consent.json", Kind::State, false),
    ("statsig", Kind::State, true),
    ("access-audit", Kind::State, true),
    (".config.json", Kind::State, true),
    // The user's own configuration (what ccs shares: `share::ITEMS`).
    ("settings.json", Kind::Config, false),
    ("settings.local.json", Kind::Config, false),
    ("CLAUDE.md", Kind::Config, false),
    ("rules", Kind::Config, false),
    ("commands", Kind::Config, false),
    ("skills", Kind::Config, false),
    ("agents", Kind::Config, false),
    ("output-styles", Kind::Config, false),
    ("keybindings.json", Kind::Config, false),
    ("themes", Kind::Config, false),
    ("workflows", Kind::Config, false),
    ("routines", Kind::Config, false),
    ("hooks", Kind::Config, false),
    ("loop.md", Kind::Config, false),
    ("agent-memory", Kind::Config, false),
];

/// The directories `clean --sessions` and `clean --logs` empty.
pub fn cleanable(kind: Kind) -> impl Iterator<Item = &'static str> {
    TABLE
        .iter()
        .filter(move |(_, k, _)| *k == kind)
        .map(|(name, ..)| *name)
}

/// The kind of the entry `name` at the top of a profile, and whether it is legacy; `is_link`
/// for a symlink, which is never a part of the profile's own, whatever its name (`usage` tells
/// shared links from others).
pub fn kind_of(name: &str, is_link: bool) -> (Kind, bool) {
    if is_link {
        return (Kind::Link, false);
    }
    if let Some((_, kind, legacy)) = TABLE.iter().find(|(n, ..)| *n == name) {
        return (*kind, *legacy);
    }
    let kind = if name == crate::names::SHARING_FILE {
        Kind::Ccs
    } else if name.starts_with(".claude.json.")
        || name.starts_with("policy-limits.json.")
        || name.starts_with("remote-settings.json.")
        || name.starts_with(".oauth_refresh.lock")
        || crate::client::is_lock_name(name)
        || name.starts_with(".last-")
    {
        // The client's temporary copies, locks, signatures and markers of its state files.
        Kind::State
    } else {
        Kind::Other
    };
    (kind, false)
}

/// One top-level entry of a profile and the bytes it takes (links not followed).
#[derive(Clone, Debug)]
pub struct Part {
    pub name: String,
    pub is_dir: bool,
    pub kind: Kind,
    /// Today's client no longer writes it (it only sweeps it).
    pub legacy: bool,
    pub bytes: u64,
}

impl Part {
    /// `sessions`, or `sessions (legacy)`.
    pub fn label(&self) -> String {
        if self.legacy {
            format!("{} (legacy)", self.kind.label())
        } else {
            self.kind.label().to_owned()
        }
    }

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
        let (mut part_kind, legacy) = kind_of(&name, kind.is_symlink());
        if kind.is_symlink()
            && let Ok(target) = fs::canonicalize(&path)
            && source.as_ref().is_some_and(|s| target.starts_with(s))
        {
            part_kind = Kind::Shared;
            shared_targets.push(target);
        }
        parts.push(Part {
            kind: part_kind,
            legacy,
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
            assert!(!matches!(
                kind_of(name, false).0,
                Kind::Sessions | Kind::Logs
            ));
        }
        assert_eq!(kind_of("projects", true).0, Kind::Link);
        assert_eq!(kind_of("projects", false), (Kind::Sessions, false));
        assert_eq!(kind_of("debug", false), (Kind::Logs, false));
        assert_eq!(kind_of("todos", false), (Kind::Sessions, true));
        for running in [
            "sessions",
            ".claude.json.lock",
            ".claude.json.tmp.42.a1b2c3d4e5f6",
            ".oauth_refresh.lock.owner",
        ] {
            assert_eq!(kind_of(running, false).0, Kind::State, "{running}");
        }
    }
}

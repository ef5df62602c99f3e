//! The anatomy of a config dir: what each top-level entry the client keeps is. One table for the
//! user's own configuration ([`ITEMS`], what ccs shares between profiles: linking, `ccs show`,
//! `create`'s help and `du`'s `config` label all come from it) and one for everything the client
//! records ([`ENTRIES`]: sessions, logs, the login, state), which `du` labels and `clean` empties.
//! Taken from the client's own code: its retention sweep, its list of runtime state, and what it
//! reads as user configuration.

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Item {
    Commands,
    Skills,
    Agents,
    Settings,
    Memory,
    Rules,
    OutputStyles,
    Keybindings,
    Themes,
    Workflows,
    Routines,
    Hooks,
    Loop,
    AgentMemory,
}

/// One item of the user's configuration: its name in a config dir and how ccs shares it.
pub(crate) struct Spec {
    pub item: Item,
    pub file_name: &'static str,
    pub is_dir: bool,
    /// A profile that does not share it still gets an empty directory of its own (the layout ccs
    /// has always created), so the user has a place for the profile's own commands and skills.
    pub own_dir_when_not_shared: bool,
    /// Entries the client keeps inside the item for one account. An item with any is shared
    /// entry by entry (the profile's directory holds a link to each of the source's other
    /// entries), so that each account's entries stay in its own profile; any other item is
    /// shared whole.
    pub per_account: &'static [&'static str],
}

/// What the client keeps in `skills/` for the account logged in: the skills claude.ai
/// syncs per organization and account (`synced/<org>_<account>/`), and its scratch areas.
const SKILLS_PER_ACCOUNT: &[&str] = &["synced", ".trash", ".staging", "manifest.json"];

/// Every shareable item, in the order ccs shows them: the user configuration today's Claude
/// Code reads from its config dir (settings, memory and rules, commands, skills, agents, output
/// styles, keybindings, themes, workflows, routines, the loop prompt), the hook scripts settings
/// name, and the memory subagents keep. Not here: `plugins/` (installs record absolute paths
/// into the config dir, and claude.ai syncs plugins per account into it), `.claude.json` (state
/// and the login's account, with user MCP servers mixed in) and everything the client records.
pub(crate) const ITEMS: [Spec; 14] = [
    Spec {
        item: Item::Commands,
        file_name: "commands",
        is_dir: true,
        own_dir_when_not_shared: true,
        per_account: &[],
    },
    Spec {
        item: Item::Skills,
        file_name: "skills",
        is_dir: true,
        own_dir_when_not_shared: true,
        per_account: SKILLS_PER_ACCOUNT,
    },
    Spec {
        item: Item::Agents,
        file_name: "agents",
        is_dir: true,
        own_dir_when_not_shared: false,
        per_account: &[],
    },
    Spec {
        item: Item::Settings,
        file_name: "settings.json",
        is_dir: false,
        own_dir_when_not_shared: false,
        per_account: &[],
    },
    Spec {
        item: Item::Memory,
        file_name: "CLAUDE.md",
        is_dir: false,
        own_dir_when_not_shared: false,
        per_account: &[],
    },
    Spec {
        item: Item::Rules,
        file_name: "rules",
        is_dir: true,
        own_dir_when_not_shared: false,
        per_account: &[],
    },
    Spec {
        item: Item::OutputStyles,
        file_name: "output-styles",
        is_dir: true,
        own_dir_when_not_shared: false,
        per_account: &[],
    },
    Spec {
        item: Item::Keybindings,
        file_name: "keybindings.json",
        is_dir: false,
        own_dir_when_not_shared: false,
        per_account: &[],
    },
    Spec {
        item: Item::Themes,
        file_name: "themes",
        is_dir: true,
        own_dir_when_not_shared: false,
        per_account: &[],
    },
    Spec {
        item: Item::Workflows,
        file_name: "workflows",
        is_dir: true,
        own_dir_when_not_shared: false,
        per_account: &[],
    },
    Spec {
        item: Item::Routines,
        file_name: "routines",
        is_dir: true,
        own_dir_when_not_shared: false,
        per_account: &[],
    },
    Spec {
        item: Item::Hooks,
        file_name: "hooks",
        is_dir: true,
        own_dir_when_not_shared: false,
        per_account: &[],
    },
    Spec {
        item: Item::Loop,
        file_name: "loop.md",
        is_dir: false,
        own_dir_when_not_shared: false,
        per_account: &[],
    },
    Spec {
        item: Item::AgentMemory,
        file_name: "agent-memory",
        is_dir: true,
        own_dir_when_not_shared: false,
        per_account: &[],
    },
];

impl Item {
    pub(crate) const ALL: [Item; ITEMS.len()] = {
        let mut all = [Item::Commands; ITEMS.len()];
        let mut i = 0;
        while i < ITEMS.len() {
            all[i] = ITEMS[i].item;
            i += 1;
        }
        all
    };

    fn spec(self) -> &'static Spec {
        ITEMS
            .iter()
            .find(|spec| spec.item == self)
            .expect("every item has a row in ITEMS")
    }

    /// The item's name in a Claude Code config dir.
    pub(crate) fn file_name(self) -> &'static str {
        self.spec().file_name
    }

    pub(crate) fn is_dir(self) -> bool {
        self.spec().is_dir
    }

    pub(crate) fn own_dir_when_not_shared(self) -> bool {
        self.spec().own_dir_when_not_shared
    }

    /// What the client keeps in this item per account (see [`Spec::per_account`]).
    pub(crate) fn per_account(self) -> &'static [&'static str] {
        self.spec().per_account
    }

    pub(crate) fn from_file_name(name: &str) -> Option<Item> {
        ITEMS
            .iter()
            .find(|spec| spec.file_name == name)
            .map(|spec| spec.item)
    }
}

/// What a top-level entry of a profile is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
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
    /// A link to a shared item (in `~/.claude`): its target is counted once, on its own. Set by
    /// whoever follows the link; [`kind_of`] only sees a link.
    Shared,
    /// Any other link: its target is not the profile's, and not counted.
    Link,
    /// ccs's own record of the profile's sharing (not the client's, but it sits among them).
    Ccs,
    Other,
}

impl Kind {
    pub(crate) fn label(self) -> &'static str {
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

/// Every other entry the client keeps at the top of its config dir that ccs names (the user's
/// configuration is [`ITEMS`]), with its kind, and whether today's client still writes it (`legacy`: it only sweeps it). Taken from the
/// client's own code (its retention sweep and its list of runtime state). `history.jsonl`, the
/// prompts typed at the `>` (recalled with the up arrow), is one file the client appends to, so
/// it is state, not a session part: removing it would lose every recall, not just old ones.
/// `sessions/` records the clients running now: never cleaned.
const ENTRIES: &[(&str, Kind, bool)] = &[
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
    // The user's own configuration that stays with each profile (the shared items are in
    // `ITEMS`): local settings, which the client writes itself.
    ("settings.local.json", Kind::Config, false),
];

/// The directories `clean --sessions` and `clean --logs` empty.
pub(crate) fn cleanable(kind: Kind) -> impl Iterator<Item = &'static str> {
    ENTRIES
        .iter()
        .filter(move |(_, k, _)| *k == kind)
        .map(|(name, ..)| *name)
}

/// The kind of the entry `name` at the top of a profile, and whether it is legacy; `is_link`
/// for a symlink, which is never a part of the profile's own, whatever its name (`disk::parts` tells
/// shared links from others).
pub(crate) fn kind_of(name: &str, is_link: bool) -> (Kind, bool) {
    if is_link {
        return (Kind::Link, false);
    }
    if Item::from_file_name(name).is_some() {
        return (Kind::Config, false);
    }
    if let Some((_, kind, legacy)) = ENTRIES.iter().find(|(n, ..)| *n == name) {
        return (*kind, *legacy);
    }
    let kind = if name.starts_with(".claude.json.")
        || name.starts_with("policy-limits.json.")
        || name.starts_with("remote-settings.json.")
        || name.starts_with(".oauth_refresh.lock")
        || super::locks::is_lock_name(name)
        || name.starts_with(".last-")
    {
        // The client's temporary copies, locks, signatures and markers of its state files.
        Kind::State
    } else {
        Kind::Other
    };
    (kind, false)
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

    #[test]
    fn the_items_have_one_row_each_and_names_read_back() {
        for (spec, item) in ITEMS.iter().zip(Item::ALL) {
            assert_eq!(spec.item, item);
            assert_eq!(Item::from_file_name(spec.file_name), Some(item));
            assert_eq!(kind_of(spec.file_name, false), (Kind::Config, false));
            assert!(
                ENTRIES.iter().all(|(name, ..)| *name != spec.file_name),
                "{} is in both tables",
                spec.file_name
            );
        }
    }
}

//! The shareable items: the user's own configuration, as opposed to what Claude Code records.
//! Each is described once, in [`TABLE`]; the command line, `.ccs.json`, `ccs list`'s cache and
//! `ccs show` all take them from there.

use std::fmt;

use clap::ValueEnum;
use clap::builder::PossibleValue;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Item {
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

/// One shareable item: its name in a Claude Code config dir and how it is shared.
pub struct Spec {
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

/// What Claude Code 2.1.332 keeps in `skills/` for the account logged in: the skills claude.ai
/// syncs per organization and account (`synced/<org>_<account>/`), and its scratch areas.
const SKILLS_PER_ACCOUNT: &[&str] = &["synced", ".trash", ".staging", "manifest.json"];

/// Every shareable item, in the order ccs shows them: the user configuration today's Claude
/// Code reads from its config dir (settings, memory and rules, commands, skills, agents, output
/// styles, keybindings, themes, workflows, routines, the loop prompt), the hook scripts settings
/// name, and the memory subagents keep. Not here: `plugins/` (installs record absolute paths
/// into the config dir, and claude.ai syncs plugins per account into it), `.claude.json` (state
/// and the login's account, with user MCP servers mixed in) and everything the client records.
pub const TABLE: [Spec; 14] = [
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
    pub const ALL: [Item; TABLE.len()] = {
        let mut all = [Item::Commands; TABLE.len()];
        let mut i = 0;
        while i < TABLE.len() {
            all[i] = TABLE[i].item;
            i += 1;
        }
        all
    };

    fn spec(self) -> &'static Spec {
        TABLE
            .iter()
            .find(|spec| spec.item == self)
            .expect("every item has a row in TABLE")
    }

    /// The item's name in a Claude Code config dir.
    pub fn file_name(self) -> &'static str {
        self.spec().file_name
    }

    pub fn is_dir(self) -> bool {
        self.spec().is_dir
    }

    pub fn own_dir_when_not_shared(self) -> bool {
        self.spec().own_dir_when_not_shared
    }

    /// What the client keeps in this item per account (see [`Spec::per_account`]).
    pub fn per_account(self) -> &'static [&'static str] {
        self.spec().per_account
    }

    pub fn from_file_name(name: &str) -> Option<Item> {
        TABLE
            .iter()
            .find(|spec| spec.file_name == name)
            .map(|spec| spec.item)
    }
}

impl fmt::Display for Item {
    /// `commands/` or `settings.json`: a directory shows its slash, as `ls -F` would.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = if self.is_dir() {
            format!("{}/", self.file_name())
        } else {
            self.file_name().to_owned()
        };
        f.pad(&shown)
    }
}

/// `--no-share ITEM` takes the item's file name.
impl ValueEnum for Item {
    fn value_variants<'a>() -> &'a [Self] {
        &Item::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.file_name()))
    }
}

/// In `.ccs.json`, an item is its file name.
impl Serialize for Item {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.file_name())
    }
}

impl<'de> Deserialize<'de> for Item {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Item::from_file_name(&name).ok_or_else(|| {
            serde::de::Error::custom(format!("{name:?} is not one of the shared items"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_one_row_per_item_and_names_read_back() {
        for (spec, item) in TABLE.iter().zip(Item::ALL) {
            assert_eq!(spec.item, item);
            assert_eq!(Item::from_file_name(spec.file_name), Some(item));
        }
    }
}

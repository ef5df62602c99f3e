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
}

/// One shareable item: its name in a Claude Code config dir and whether it is a directory.
pub struct Spec {
    pub item: Item,
    pub file_name: &'static str,
    pub is_dir: bool,
    /// A profile that does not share it still gets an empty directory of its own (the layout ccs
    /// has always created), so the user has a place for the profile's own commands and skills.
    pub own_dir_when_not_shared: bool,
}

/// Every shareable item, in the order ccs shows them.
pub const TABLE: [Spec; 5] = [
    Spec {
        item: Item::Commands,
        file_name: "commands",
        is_dir: true,
        own_dir_when_not_shared: true,
    },
    Spec {
        item: Item::Skills,
        file_name: "skills",
        is_dir: true,
        own_dir_when_not_shared: true,
    },
    Spec {
        item: Item::Agents,
        file_name: "agents",
        is_dir: true,
        own_dir_when_not_shared: false,
    },
    Spec {
        item: Item::Settings,
        file_name: "settings.json",
        is_dir: false,
        own_dir_when_not_shared: false,
    },
    Spec {
        item: Item::Memory,
        file_name: "CLAUDE.md",
        is_dir: false,
        own_dir_when_not_shared: false,
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

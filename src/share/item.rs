//! How a shareable item ([`Item`], described once in `claude_code::layout::ITEMS`) is shown,
//! typed on the command line (`--no-share`) and recorded in `.ccs.json`: by its file name.

use std::fmt;

use clap::ValueEnum;
use clap::builder::PossibleValue;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub(crate) use crate::claude_code::layout::Item;

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

//! A profile's sharing as recorded in its `.ccs.json`: the share mode, the items it opted out of
//! and, in copy mode, a fingerprint of each copy ccs made. Claude Code ignores files it does not
//! know.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::ErrorKind;
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::item::Item;
use crate::contract::SHARING_FILE;
use crate::fsx::write_atomically;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Mode {
    Link,
    Copy,
    Isolated,
}

impl Mode {
    pub(crate) const ALL: [Mode; 3] = [Mode::Link, Mode::Copy, Mode::Isolated];

    pub(crate) fn from_word(word: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.as_str() == word)
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Mode::Link => "link",
            Mode::Copy => "copy",
            Mode::Isolated => "isolated",
        }
    }
}

/// A profile's sharing, as recorded in its `.ccs.json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Sharing {
    pub mode: Mode,
    /// Items this profile opted out of: ccs neither links nor copies them.
    pub not_shared: BTreeSet<Item>,
    /// A fingerprint of each item as ccs last copied it: every item in copy mode; in link
    /// mode, each item that could not be linked here and is a copy ccs keeps in step instead.
    pub(super) copied: BTreeMap<Item, String>,
    /// A fingerprint of each key of the profile's `.claude.json` as ccs last wrote it: the
    /// user's preferences and MCP servers it carries (see `global`).
    pub(super) carried: Carried,
}

/// What ccs last wrote into a profile's `.claude.json`, key by key. A key recorded here whose
/// value in the profile is no longer what ccs wrote was changed in the profile: the profile's
/// own, never overwritten.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Carried {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub preferences: BTreeMap<String, String>,
    #[serde(
        default,
        rename = "mcpServers",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub mcp_servers: BTreeMap<String, String>,
}

impl Carried {
    fn is_empty(&self) -> bool {
        self.preferences.is_empty() && self.mcp_servers.is_empty()
    }
}

/// The file as written. `copied` is read leniently: a fingerprint of an item this version does
/// not know is dropped (that item is then the profile's own), never an error.
#[derive(Serialize, Deserialize)]
struct File {
    #[serde(default = "link")]
    share: Mode,
    #[serde(default)]
    not_shared: BTreeSet<Item>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    copied: Option<BTreeMap<String, String>>,
    /// Added after `copied`: a `.ccs.json` without it (an older ccs's) carried nothing.
    #[serde(default, skip_serializing_if = "Carried::is_empty")]
    carried: Carried,
}

/// A JSON object as `T`. serde would also take a struct from an array of its fields.
pub(crate) fn parse_object<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    let value: serde_json::Value = serde_json::from_slice(bytes)?;
    anyhow::ensure!(value.is_object(), "not a JSON object");
    Ok(serde_json::from_value(value)?)
}

fn link() -> Mode {
    Mode::Link
}

impl Sharing {
    pub(crate) fn new(mode: Mode, not_shared: impl IntoIterator<Item = Item>) -> Self {
        Self {
            mode,
            not_shared: not_shared.into_iter().collect(),
            copied: BTreeMap::new(),
            carried: Carried::default(),
        }
    }

    /// The profile's recorded sharing. A profile without `.ccs.json` (made before ccs recorded
    /// one) links, as every profile does by default. A broken file is an error rather than a
    /// guess, so a copy-mode profile is never treated as a link-mode one.
    pub(crate) fn load(instance: &Path) -> Result<Self> {
        let path = instance.join(SHARING_FILE);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Self::new(Mode::Link, [])),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let file = parse_object::<File>(&bytes).with_context(|| {
            format!("{} is not what ccs wrote; fix or delete it", path.display())
        })?;
        let copied = file
            .copied
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(name, print)| Some((Item::from_file_name(&name)?, print)))
            .collect();
        Ok(Self {
            mode: file.share,
            not_shared: file.not_shared,
            copied,
            carried: file.carried,
        })
    }

    pub(crate) fn save(&self, instance: &Path) -> Result<()> {
        let copied = self.keeps_copies().then(|| {
            self.copied
                .iter()
                .map(|(item, print)| (item.file_name().to_owned(), print.clone()))
                .collect()
        });
        let file = File {
            share: self.mode,
            not_shared: self.not_shared.clone(),
            copied,
            carried: self.carried.clone(),
        };
        let text = serde_json::to_string_pretty(&file)? + "\n";
        write_atomically(&instance.join(SHARING_FILE), text.as_bytes(), 0o600)
    }

    /// Whether the profile holds copies ccs keeps in step (copy mode, or items that could not
    /// be linked here): whether they are up to date depends on the source's files.
    pub(crate) fn keeps_copies(&self) -> bool {
        self.mode == Mode::Copy || !self.copied.is_empty()
    }

    /// The items this profile takes from the source, in their usual order.
    pub(crate) fn items(&self) -> impl Iterator<Item = Item> + '_ {
        Item::ALL
            .into_iter()
            .filter(|i| self.mode != Mode::Isolated && !self.not_shared.contains(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_default_to_link() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            Sharing::load(dir.path()).unwrap(),
            Sharing::new(Mode::Link, [])
        );
        let mut sharing = Sharing::new(Mode::Copy, [Item::Settings, Item::Memory]);
        sharing.copied.insert(Item::Commands, "fnv1a64:1".into());
        sharing.save(dir.path()).unwrap();
        assert_eq!(Sharing::load(dir.path()).unwrap(), sharing);
    }

    /// Where no link could be made (Windows without Developer Mode, FAT, Wine), a linking
    /// profile keeps copies instead: their fingerprints must outlive the command that made them,
    /// or `sync` takes the copies for the profile's own and never refreshes them.
    #[test]
    fn a_linking_profile_keeps_the_fingerprints_of_its_copies() {
        let dir = tempfile::tempdir().unwrap();
        let mut sharing = Sharing::new(Mode::Link, []);
        sharing.save(dir.path()).unwrap();
        let text = fs::read_to_string(dir.path().join(SHARING_FILE)).unwrap();
        assert!(!text.contains("copied"), "{text}");
        sharing.copied.insert(Item::Settings, "fnv1a64:1".into());
        sharing.save(dir.path()).unwrap();
        assert_eq!(Sharing::load(dir.path()).unwrap(), sharing);
    }

    /// An older ccs's `.ccs.json` has no `carried`: it still reads, as having carried nothing;
    /// what is carried survives a round trip.
    #[test]
    fn what_was_carried_is_recorded_compatibly() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join(SHARING_FILE),
            r#"{"share":"link","not_shared":[]}"#,
        )
        .unwrap();
        let mut sharing = Sharing::load(dir.path()).unwrap();
        assert_eq!(sharing, Sharing::new(Mode::Link, []));
        sharing
            .carried
            .mcp_servers
            .insert("github".into(), "fnv1a64:1".into());
        sharing
            .carried
            .preferences
            .insert("theme".into(), "fnv1a64:2".into());
        sharing.save(dir.path()).unwrap();
        let text = fs::read_to_string(dir.path().join(SHARING_FILE)).unwrap();
        assert!(text.contains("\"mcpServers\""), "{text}");
        assert_eq!(Sharing::load(dir.path()).unwrap(), sharing);
    }

    #[test]
    fn a_broken_settings_file_is_an_error_not_a_guess() {
        for text in [
            "not json",
            "[]",
            r#"{"share":"sometimes"}"#,
            r#"{"not_shared":["history"]}"#,
        ] {
            let dir = tempfile::tempdir().unwrap();
            fs::write(dir.path().join(SHARING_FILE), text).unwrap();
            let err = format!("{:#}", Sharing::load(dir.path()).unwrap_err());
            assert!(err.contains("fix or delete it"), "{text}: {err}");
        }
    }
}

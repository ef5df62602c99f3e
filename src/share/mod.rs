//! Configuration shared across profiles: the user's own commands, skills, agents, settings and
//! memory, kept once in `~/.claude` (or `$CCS_SHARED_FROM`) and seen by every profile.
//!
//! Each profile has a share mode, recorded in its `.ccs.json` (Claude Code ignores files it does
//! not know):
//!
//! - **link** (the default, and what a profile without `.ccs.json` is taken to be): each item is
//!   a symlink to the source item, by absolute path, so an edit in `~/.claude` is seen by every
//!   profile at once and nothing is stored twice.
//! - **copy**: each item is a private copy, for systems without symlinks. ccs records a
//!   fingerprint of what it copied, so `ccs sync` can tell its own untouched copy (safe to
//!   refresh) from one the user has edited inside the profile (never overwritten).
//! - **isolated**: nothing is shared.
//!
//! Only items that exist in the source are linked or copied: nothing is ever created in the
//! source. Whatever the mode, a real file or a non-empty directory inside a profile is the
//! user's, and ccs reports it rather than replace it. An empty directory holds no data, so it may
//! be replaced by a link. Logins, history and sessions are never shared: only the items below
//! are. `.claude.json` is the profile's own; `global` carries the user's preferences and MCP
//! servers into it, key by key.
//!
//! `item` describes the shareable items, `record` the `.ccs.json` file, `link` and `copy` what
//! each mode does to one item, `status` what an item is now, `tree` the content copy mode
//! compares.

mod copy;
mod global;
mod item;
mod link;
mod record;
mod status;
mod tree;

pub(crate) use global::{Carry, describe as describe_carried, remote_servers};
pub(crate) use item::Item;
pub(crate) use record::{Mode, Sharing, parse_object};
pub(crate) use status::{Status, creation_summary, describe, status, summary};

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::contract::SHARED_FROM_VAR;
use crate::fsx;

/// The directory profiles share from: `$CCS_SHARED_FROM`, else `~/.claude`. Read from the
/// environment at each command, like `CCS_HOME`, so one setting governs create and sync alike.
pub(crate) fn source_dir() -> Result<PathBuf> {
    match std::env::var_os(SHARED_FROM_VAR).filter(|v| !v.is_empty()) {
        Some(dir) => {
            fsx::normalised_absolute(Path::new(&dir)).context("CCS_SHARED_FROM is unusable")
        }
        None => Ok(fsx::home_dir()?.join(crate::claude_code::DEFAULT_DIR)),
    }
}

/// Fills a new instance (still in its staging directory) according to `sharing`, and records
/// `sharing` in it. `source` is `None` when there is none to share from: the profile then starts
/// with its own empty directories, and a later `ccs sync` links what has appeared.
pub(crate) fn populate(
    instance: &Path,
    mut sharing: Sharing,
    source: Option<&Path>,
) -> Result<Vec<Carry>> {
    let mut carried = Vec::new();
    if let Some(source) = source {
        apply(instance, source, &mut sharing)?;
        carried = global::carry(instance, source, &mut sharing)?;
    }
    for item in Item::ALL
        .into_iter()
        .filter(|i| i.own_dir_when_not_shared())
    {
        let dir = instance.join(item.file_name());
        if std::fs::symlink_metadata(&dir).is_err() {
            fsx::make_private_dir(&dir)?;
        }
    }
    sharing.save(instance)?;
    Ok(carried)
}

/// Brings one profile in line with the source; returns its mode, what it did and what it left
/// alone, to the shared items and to the preferences and MCP servers it carries.
pub(crate) fn sync(instance: &Path, source: &Path) -> Result<(Mode, Vec<Change>, Vec<Carry>)> {
    let mut sharing = Sharing::load(instance)?;
    if instance == source {
        bail!("{} is this profile itself", source.display());
    }
    let before = sharing.clone();
    let changes = apply(instance, source, &mut sharing)?;
    // The items first: a profile whose global config cannot be written now (a client holds its
    // lock) still has its links repaired, and says why the rest waits.
    let carried = global::carry(instance, source, &mut sharing);
    if sharing != before {
        sharing.save(instance)?;
    }
    Ok((sharing.mode, changes, carried?))
}

fn apply(instance: &Path, source: &Path, sharing: &mut Sharing) -> Result<Vec<Change>> {
    let mut changes = Vec::new();
    for item in sharing.items().collect::<Vec<_>>() {
        let (from, to) = (
            source.join(item.file_name()),
            instance.join(item.file_name()),
        );
        let change = match sharing.mode {
            // An item that could not be linked here (Windows without symlink privilege for a
            // file; a disk without reparse points, FAT or a network share, for a directory) is a
            // copy ccs keeps in step, as in copy mode: its fingerprint is recorded.
            Mode::Link if sharing.copied.contains_key(&item) => {
                copy::copy_item(item, &from, &to, &mut sharing.copied)
            }
            Mode::Link if item.per_account().is_empty() => {
                match link::link_item(&from, &to, source) {
                    Err(e) if fsx::links_unavailable(&e) => {
                        copy_for_want_of_links(item, &from, &to, &mut sharing.copied)
                    }
                    other => other,
                }
            }
            Mode::Link => match link::link_entries(&from, &to, source, item.per_account()) {
                // The links are assembled beside the item and dropped when one cannot be made:
                // nothing half-linked stays, and the item can be a copy instead.
                Err(e) if fsx::links_unavailable(&e) => {
                    copy_for_want_of_links(item, &from, &to, &mut sharing.copied)
                }
                other => other.inspect(|step| {
                    // The links inside the item changed, not the profile's directory: touch it,
                    // so that `ccs list`'s cache, which watches only the directory, sees it.
                    if step.is_some() {
                        fsx::touch(instance);
                    }
                }),
            },
            Mode::Copy => copy::copy_item(item, &from, &to, &mut sharing.copied),
            Mode::Isolated => Ok(None),
        }
        .with_context(|| format!("cannot share {item}"))?;
        changes.extend(change.map(|(action, detail)| Change {
            item,
            action,
            detail,
        }));
    }
    Ok(changes)
}

/// Copy mode for one item of a linking profile, where links cannot be made, saying so.
fn copy_for_want_of_links(
    item: Item,
    from: &Path,
    to: &Path,
    copied: &mut std::collections::BTreeMap<Item, String>,
) -> Result<Step> {
    let step = copy::copy_item(item, from, to, copied)?;
    Ok(step.map(|(action, detail)| {
        let note = "(no links here: a copy ccs keeps in step)";
        (action, format!("{detail} {note}"))
    }))
}

/// One thing `sync` did or declined to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Change {
    pub item: Item,
    pub action: Action,
    pub detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    Linked,
    Repaired,
    Unlinked,
    Copied,
    Updated,
    /// Left alone: the user's own file, directory or link. Reported, never overwritten.
    Kept,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = match self.action {
            Action::Linked => "linked",
            Action::Repaired => "repaired",
            Action::Unlinked => "unlinked",
            Action::Copied => "copied",
            Action::Updated => "updated",
            Action::Kept => "kept",
        };
        write!(f, "{verb:<9} {:<14} {}", self.item, self.detail)
    }
}

/// What sharing one item did, if anything, and in words.
type Step = Option<(Action, String)>;

//! Copy mode for one item: a private copy, refreshed by `ccs sync` only while it is ccs's own
//! untouched copy.

use std::collections::BTreeMap;
use std::fs;
use std::io::ErrorKind;
use std::path::Path;

use anyhow::{Context, Result};

use super::item::Item;
use super::tree::Tree;
use super::{Action, Step};
use crate::fsx::{copy_file, copy_tree_except, is_empty_dir, remove_any, sibling};

/// Copy mode for one item: copies what is new, refreshes ccs's own untouched copy when the
/// source changed, and keeps any copy the user has edited in the profile.
pub(super) fn copy_item(
    item: Item,
    from: &Path,
    to: &Path,
    copied: &mut BTreeMap<Item, String>,
) -> Result<Step> {
    let here = match fs::symlink_metadata(to) {
        Ok(meta) => Some(meta),
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", to.display())),
    };
    if !from.exists() {
        // Reported once: forgetting the fingerprint makes the copy the profile's own.
        return Ok(match (&here, copied.remove(&item)) {
            (Some(_), Some(_)) => Some((
                Action::Kept,
                format!(
                    "gone from {}; the profile's copy is kept as its own",
                    from.parent().unwrap_or(from).display()
                ),
            )),
            _ => None,
        });
    }
    let per_account = item.per_account();
    let theirs = Tree::read(from, per_account)?;
    let Some(here) = here else {
        replace_with_copy(from, to, per_account)?;
        copied.insert(item, theirs.fingerprint());
        return Ok(Some((Action::Copied, format!("from {}", from.display()))));
    };
    if here.file_type().is_symlink() {
        let target = fs::read_link(to).unwrap_or_default();
        return Ok(Some((
            Action::Kept,
            format!("links to {}: your choice, left alone", target.display()),
        )));
    }
    let ours = Tree::read(to, per_account)?;
    if ours == theirs {
        copied.insert(item, theirs.fingerprint());
        return Ok(None);
    }
    let untouched = copied.get(&item) == Some(&ours.fingerprint());
    let empty_dir = here.is_dir() && is_empty_dir(to)?;
    if !untouched && !empty_dir {
        let whose = if copied.contains_key(&item) {
            "edited in the profile since ccs copied it"
        } else {
            "the profile's own"
        };
        return Ok(Some((
            Action::Kept,
            format!(
                "{whose}, not overwritten (differs from the source: {})",
                ours.changes_to(&theirs)
            ),
        )));
    }
    replace_with_copy(from, to, per_account)?;
    copied.insert(item, theirs.fingerprint());
    if empty_dir {
        return Ok(Some((
            Action::Copied,
            format!("from {} (replaced an empty directory)", from.display()),
        )));
    }
    Ok(Some((Action::Updated, ours.changes_to(&theirs))))
}

/// Copies `from` next to `to`, then swaps it in: the old copy is renamed away before it is
/// deleted, so an interruption never leaves half a copy under the item's name. The source's
/// `per_account` entries are not copied; the profile's own are moved from the old copy into the
/// new one after the swap, and the old copy is deleted only once they are all moved, so that a
/// failure never loses an account's entries (they stay in the old copy, which the error names).
fn replace_with_copy(from: &Path, to: &Path, per_account: &[&str]) -> Result<()> {
    let staged = sibling(to, "copy");
    let _ = remove_any(&staged);
    let copied = if from.is_dir() {
        copy_tree_except(from, &staged, per_account)
    } else {
        copy_file(from, &staged)
    };
    if let Err(e) = copied {
        let _ = remove_any(&staged);
        return Err(e);
    }
    let old = sibling(to, "old");
    let had_old = match fs::rename(to, &old) {
        Ok(()) => true,
        Err(e) if e.kind() == ErrorKind::NotFound => false,
        Err(e) => {
            let _ = remove_any(&staged);
            return Err(e).with_context(|| format!("cannot replace {}", to.display()));
        }
    };
    if let Err(e) = fs::rename(&staged, to) {
        if had_old {
            let _ = fs::rename(&old, to);
        }
        let _ = remove_any(&staged);
        return Err(e).with_context(|| format!("cannot replace {}", to.display()));
    }
    if had_old {
        move_account_entries(&old, to, per_account)?;
        // remove_dir_all does not follow symlinks: a link inside the old copy is deleted as a
        // link, its target untouched.
        remove_any(&old).with_context(|| format!("cannot delete {}", old.display()))?;
    }
    Ok(())
}

/// Moves the account's own entries of the old copy into the new one.
fn move_account_entries(old: &Path, to: &Path, per_account: &[&str]) -> Result<()> {
    if !fs::symlink_metadata(old).is_ok_and(|m| m.is_dir()) {
        return Ok(());
    }
    for name in per_account {
        match fs::rename(old.join(name), to.join(name)) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => {
                return Err(e).with_context(|| {
                    format!(
                        "cannot keep {name} of this account: it is still in {}",
                        old.display()
                    )
                });
            }
        }
    }
    Ok(())
}

//! Link mode for one item: a symlink to the source item, by absolute path.

use std::fs;
use std::io::ErrorKind;
use std::path::Path;

use anyhow::{Context, Result};

use super::{Action, Step};
use crate::fsx::{self, is_empty_dir, sibling, symlink};

/// Link mode for one item. `to` is what the profile has, `from` the source item.
pub(super) fn link_item(from: &Path, to: &Path, source: &Path) -> Result<Step> {
    let source_has = from.exists();
    let here = match fs::symlink_metadata(to) {
        Ok(meta) => meta,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            if !source_has {
                return Ok(None);
            }
            make_link(from, to)?;
            return Ok(Some((Action::Linked, format!("→ {}", from.display()))));
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", to.display())),
    };
    if here.file_type().is_symlink() {
        return relink(from, to, source, true, || {
            replace_with_link(from, to)?;
            Ok(format!("→ {}", from.display()))
        });
    }
    if !source_has {
        return Ok(None);
    }
    if here.is_dir() && is_empty_dir(to)? {
        // An empty directory (as ccs makes when the source had none) holds no data. remove_dir
        // fails rather than delete anything that appeared in it meanwhile.
        fs::remove_dir(to).with_context(|| format!("cannot replace {}", to.display()))?;
        make_link(from, to)?;
        return Ok(Some((
            Action::Linked,
            format!("→ {} (replaced an empty directory)", from.display()),
        )));
    }
    let what = if here.is_dir() {
        "the profile's own directory"
    } else {
        "the profile's own file"
    };
    Ok(Some((
        Action::Kept,
        format!(
            "{what}, not overwritten (move it away and sync again to share {})",
            from.display()
        ),
    )))
}

/// What becomes of a link the profile has at `to`, shared either way: one to the source item
/// stays when `whole` is how the item is shared; one to nothing whose item the source has is
/// repaired by `remake` (which replaces the link and says with what); one to a source item that
/// is gone goes; one the user pointed elsewhere, or that nothing could repair, is kept.
fn relink(
    from: &Path,
    to: &Path,
    source: &Path,
    whole: bool,
    remake: impl FnOnce() -> Result<String>,
) -> Result<Step> {
    let target = fs::read_link(to).with_context(|| format!("cannot read {}", to.display()))?;
    let (ours, resolves, source_has) = (target == from, to.exists(), from.exists());
    Ok(match (ours, resolves, source_has) {
        (true, true, _) if whole => None,
        (true, true, true) => Some((
            Action::Repaired,
            format!("was a link to the whole of it; now {}", remake()?),
        )),
        // The source item went away: a link to nothing holds no data, and a later sync links
        // it again if it comes back.
        (true, _, false) => {
            remove_link(to)?;
            Some((Action::Unlinked, format!("gone from {}", source.display())))
        }
        (_, false, true) => Some((
            Action::Repaired,
            format!(
                "was a broken link to {}, now {}",
                target.display(),
                remake()?
            ),
        )),
        (false, false, false) => Some((
            Action::Kept,
            format!(
                "a broken link to {}; nothing in {} to repair it with",
                target.display(),
                source.display()
            ),
        )),
        // A chain of links that ends at the source item (the Node switcher CCS's, through its
        // `~/.ccs/shared/`) shares it whole already.
        (false, true, true) if whole && fsx::same_file(to, from) => None,
        (false, true, _) => Some((
            Action::Kept,
            format!("links to {}: your choice, left alone", target.display()),
        )),
    })
}

/// A symlink at `to` pointing at `from`, by absolute path.
fn make_link(from: &Path, to: &Path) -> Result<()> {
    symlink(from, to).with_context(|| {
        format!(
            "cannot link {} (where symlinks are not available, create the profile with --copy)",
            to.display()
        )
    })
}

/// Replaces whatever link is at `to` with one to `from`, in one rename where the system allows
/// it: the item never vanishes from a Claude Code session running meanwhile. Windows renames
/// nothing over a link to a directory: there the old link goes first.
fn replace_with_link(from: &Path, to: &Path) -> Result<()> {
    let temp = sibling(to, "link");
    let _ = crate::fsx::remove_link(&temp);
    make_link(from, &temp)?;
    if cfg!(windows) {
        remove_link(to)?;
    }
    fs::rename(&temp, to).with_context(|| format!("cannot replace {}", to.display()))
}

fn remove_link(to: &Path) -> Result<()> {
    crate::fsx::remove_link(to).with_context(|| format!("cannot remove the link {}", to.display()))
}

/// Link mode for an item shared entry by entry (one the client keeps per-account entries in):
/// the profile's item is a directory of its own holding a link to each of the source's entries
/// but the per-account ones, so that what the client writes there for one account (claude.ai's
/// synced skills) stays in that account's profile, while the user's own entries are shared.
pub(super) fn link_entries(
    from: &Path,
    to: &Path,
    source: &Path,
    per_account: &[&str],
) -> Result<Step> {
    let source_has = from.is_dir();
    let here = match fs::symlink_metadata(to) {
        Ok(meta) => meta,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            if !source_has {
                return Ok(None);
            }
            let linked = build_entry_dir(from, to, per_account)?;
            return Ok(Some((
                Action::Linked,
                format!("each entry of {} ({linked})", from.display()),
            )));
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", to.display())),
    };
    if here.file_type().is_symlink() {
        // An older ccs linked the whole item: every account's synced entries landed in the one
        // shared directory. Now a directory of entry links.
        return relink(from, to, source, false, || {
            remove_link(to)?;
            let linked = build_entry_dir(from, to, per_account)?;
            Ok(format!(
                "each entry ({linked}), each account's own kept apart"
            ))
        });
    }
    if !here.is_dir() {
        return Ok(source_has.then(|| {
            (
                Action::Kept,
                "the profile's own file, not overwritten".to_owned(),
            )
        }));
    }
    if !source_has {
        let removed = drop_dangling_links(from, to)?;
        return Ok((!removed.is_empty()).then(|| {
            (
                Action::Unlinked,
                format!("{} gone from {}", removed.join(" "), source.display()),
            )
        }));
    }
    let (added, removed, kept) = refresh_entry_links(from, to, per_account)?;
    let mut words: Vec<String> = added.iter().map(|n| format!("+{n}")).collect();
    words.extend(removed.iter().map(|n| format!("-{n}")));
    if !words.is_empty() {
        return Ok(Some((Action::Linked, words.join(" "))));
    }
    Ok((!kept.is_empty()).then(|| {
        (
            Action::Kept,
            format!(
                "{}: the profile's own, not overwritten (move away and sync to share)",
                kept.join(" ")
            ),
        )
    }))
}

/// Makes `to` a private directory linking each of `from`'s entries but `per_account`, assembled
/// beside it and renamed into place; returns `N entries`.
fn build_entry_dir(from: &Path, to: &Path, per_account: &[&str]) -> Result<String> {
    let staged = sibling(to, "entries");
    let _ = crate::fsx::remove_any(&staged);
    crate::fsx::make_private_dir(&staged)?;
    let built = refresh_entry_links(from, &staged, per_account).and_then(|(added, ..)| {
        fs::rename(&staged, to).with_context(|| format!("cannot create {}", to.display()))?;
        Ok(added.len())
    });
    if built.is_err() {
        let _ = crate::fsx::remove_any(&staged);
    }
    let n = built?;
    Ok(if n == 1 {
        "1 entry".to_owned()
    } else {
        format!("{n} entries")
    })
}

/// Links into the directory `to` each entry of `from` it lacks (but `per_account`), and drops
/// its links into `from` that lead nowhere now. Returns what it added, what it dropped, and the
/// entries of `to` in the way of a link (the profile's own, left alone).
fn refresh_entry_links(
    from: &Path,
    to: &Path,
    per_account: &[&str],
) -> Result<(Vec<String>, Vec<String>, Vec<String>)> {
    let (mut added, mut removed, mut kept) = (Vec::new(), Vec::new(), Vec::new());
    for (name, theirs) in shared_entries(from, per_account)? {
        let ours = to.join(&name);
        match fs::symlink_metadata(&ours) {
            Err(e) if e.kind() == ErrorKind::NotFound => {
                make_link(&theirs, &ours)?;
                added.push(name);
            }
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", ours.display())),
            Ok(_) if fs::read_link(&ours).is_ok_and(|t| t == theirs) => {}
            Ok(_) => kept.push(name),
        }
    }
    removed.extend(drop_dangling_links(from, to)?);
    added.sort();
    kept.sort();
    Ok((added, removed, kept))
}

/// Removes the links in `to` that point into `from` and lead nowhere now; returns their names.
fn drop_dangling_links(from: &Path, to: &Path) -> Result<Vec<String>> {
    let mut removed = Vec::new();
    for entry in fs::read_dir(to).with_context(|| format!("cannot read {}", to.display()))? {
        let entry = entry.with_context(|| format!("cannot read {}", to.display()))?;
        let path = entry.path();
        if fs::read_link(&path).is_ok_and(|t| t.starts_with(from)) && !path.exists() {
            remove_link(&path)?;
            removed.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    removed.sort();
    Ok(removed)
}

/// `from`'s entries but `per_account`, by name, with their paths.
fn shared_entries(from: &Path, per_account: &[&str]) -> Result<Vec<(String, std::path::PathBuf)>> {
    let mut entries = Vec::new();
    for entry in fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))? {
        let entry = entry.with_context(|| format!("cannot read {}", from.display()))?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if !per_account.contains(&name.as_str()) {
            entries.push((name, entry.path()));
        }
    }
    Ok(entries)
}

/// Whether the directory `to` links every entry of `from` but `per_account`: shared.
pub(super) fn entries_all_linked(from: &Path, to: &Path, per_account: &[&str]) -> bool {
    shared_entries(from, per_account).is_ok_and(|entries| {
        entries
            .iter()
            .all(|(name, theirs)| fs::read_link(to.join(name)).is_ok_and(|t| &t == theirs))
    })
}

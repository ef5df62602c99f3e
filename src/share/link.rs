//! Link mode for one item: a symlink to the source item, by absolute path.

use std::fs;
use std::io::ErrorKind;
use std::path::Path;

use anyhow::{Context, Result};

use super::{Action, Step};
use crate::fsx::{is_empty_dir, sibling, symlink};

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
        let target = fs::read_link(to).with_context(|| format!("cannot read {}", to.display()))?;
        let resolves = to.exists();
        return Ok(match (target == from, resolves, source_has) {
            (true, true, _) => None,
            // The source item went away: a link to nothing holds no data, and a later sync
            // links it again if it comes back.
            (true, false, _) => {
                remove_link(to)?;
                Some((Action::Unlinked, format!("gone from {}", source.display())))
            }
            (false, false, true) => {
                replace_with_link(from, to)?;
                Some((
                    Action::Repaired,
                    format!(
                        "was a broken link to {}, now → {}",
                        target.display(),
                        from.display()
                    ),
                ))
            }
            (false, false, false) => Some((
                Action::Kept,
                format!(
                    "a broken link to {}; nothing in {} to repair it with",
                    target.display(),
                    source.display()
                ),
            )),
            (false, true, _) => Some((
                Action::Kept,
                format!("links to {}: your choice, left alone", target.display()),
            )),
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

/// A symlink at `to` pointing at `from`, by absolute path.
fn make_link(from: &Path, to: &Path) -> Result<()> {
    symlink(from, to).with_context(|| {
        format!(
            "cannot link {} (where symlinks are not available, create the profile with --copy)",
            to.display()
        )
    })
}

/// Replaces whatever link is at `to` with one to `from`, in one rename: the item never vanishes
/// from a Claude Code session running meanwhile.
fn replace_with_link(from: &Path, to: &Path) -> Result<()> {
    let temp = sibling(to, "link");
    let _ = fs::remove_file(&temp);
    make_link(from, &temp)?;
    fs::rename(&temp, to).with_context(|| format!("cannot replace {}", to.display()))
}

fn remove_link(to: &Path) -> Result<()> {
    fs::remove_file(to).with_context(|| format!("cannot remove the link {}", to.display()))
}

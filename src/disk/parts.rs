//! A profile's footprint on disk, entry by entry, each labelled with what it is to the client
//! (`claude_code::layout`): what `ccs du` shows and what `ccs clean` may remove.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::{allocated, disk_usage};
use crate::claude_code::layout::{Kind, kind_of};
use crate::contract::SHARING_FILE;

/// One top-level entry of a profile and the bytes it takes (links not followed).
#[derive(Clone, Debug)]
pub(crate) struct Part {
    pub name: String,
    pub is_dir: bool,
    pub kind: Kind,
    /// Today's client no longer writes it (it only sweeps it).
    pub legacy: bool,
    pub bytes: u64,
}

impl Part {
    /// `sessions`, or `sessions (legacy)`.
    pub(crate) fn label(&self) -> String {
        if self.legacy {
            format!("{} (legacy)", self.kind.label())
        } else {
            self.kind.label().to_owned()
        }
    }

    /// `projects/` or `.claude.json`.
    pub(crate) fn shown(&self) -> String {
        if self.is_dir {
            format!("{}/", self.name)
        } else {
            self.name.clone()
        }
    }
}

/// A profile's disk usage: its total as `du -s` counts it, and its parts, largest first.
pub(crate) struct Footprint {
    pub bytes: u64,
    pub parts: Vec<Part>,
    /// Where its links to shared items point, resolved, so those are counted once overall.
    pub shared_targets: Vec<PathBuf>,
}

/// `source` is the directory profiles share from, if any: links into it are shared items.
pub(crate) fn measure(instance: &Path, source: Option<&Path>) -> Result<Footprint> {
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
        let (mut part_kind, legacy) = if name == SHARING_FILE {
            (Kind::Ccs, false)
        } else {
            kind_of(&name, kind.is_symlink())
        };
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
        .map(|m| allocated(&m))
        .unwrap_or(0);
    Ok(Footprint {
        bytes: own + parts.iter().map(|p| p.bytes).sum::<u64>(),
        parts,
        shared_targets,
    })
}

/// The bytes of the distinct shared items the profiles link to: each counted once, however many
/// profiles link to it. A target inside another counted one is not counted again.
pub(crate) fn shared_bytes(usages: &[&Footprint]) -> (u64, Vec<PathBuf>) {
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

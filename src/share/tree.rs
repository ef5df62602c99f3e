//! An item's content as one comparable value: what copy mode compares and fingerprints, to tell
//! ccs's own untouched copy from one the user edited.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result};

/// An item's content, entry by entry, to compare a copy with its source and to fingerprint it.
/// The item itself is followed if it is a link (a `~/.claude/commands` that links into a dotfiles
/// repository is copied as what it holds); links inside it are read as links, as `copy_tree`
/// copies them.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Tree(BTreeMap<String, u64>);

impl Tree {
    /// `root`'s content, without its top-level entries named in `skip` (what the client keeps
    /// there per account).
    pub(crate) fn read(root: &Path, skip: &[&str]) -> Result<Self> {
        let mut entries = BTreeMap::new();
        if fs::metadata(root)
            .with_context(|| format!("cannot read {}", root.display()))?
            .is_dir()
        {
            read_entries(root, "", skip, &mut entries)?;
        } else {
            let bytes =
                fs::read(root).with_context(|| format!("cannot read {}", root.display()))?;
            entries.insert(String::new(), fnv1a(b"f", &bytes));
        }
        Ok(Self(entries))
    }

    /// One stable string for the whole content: FNV-1a, which, unlike std's hasher, is the same
    /// in every build, so a fingerprint written by one ccs version is understood by the next. It
    /// guards against accidents (an edited copy), not against an adversary, who could edit the
    /// recorded fingerprint anyway.
    pub(crate) fn fingerprint(&self) -> String {
        let mut all = Vec::new();
        for (path, hash) in &self.0 {
            all.extend_from_slice(path.as_bytes());
            all.push(0);
            all.extend_from_slice(&hash.to_le_bytes());
        }
        format!("fnv1a64:{:016x}", fnv1a(b"t", &all))
    }

    /// `+new.md ~changed.md -gone.md`: what replacing `self` by `newer` changes (the first few).
    pub(crate) fn changes_to(&self, newer: &Tree) -> String {
        const SHOWN: usize = 8;
        let mut words = Vec::new();
        for (path, hash) in &newer.0 {
            match self.0.get(path) {
                None => words.push(format!("+{}", shown_path(path))),
                Some(old) if old != hash => words.push(format!("~{}", shown_path(path))),
                Some(_) => {}
            }
        }
        for path in self.0.keys().filter(|p| !newer.0.contains_key(*p)) {
            words.push(format!("-{}", shown_path(path)));
        }
        if words.len() > SHOWN {
            let more = words.len() - SHOWN;
            words.truncate(SHOWN);
            words.push(format!("and {more} more"));
        }
        words.join(" ")
    }
}

fn shown_path(path: &str) -> &str {
    if path.is_empty() { "(content)" } else { path }
}

/// `skip` applies to the top level only (`prefix` empty).
fn read_entries(
    dir: &Path,
    prefix: &str,
    skip: &[&str],
    into: &mut BTreeMap<String, u64>,
) -> Result<()> {
    let entries = fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read {}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if prefix.is_empty() && skip.contains(&name.as_str()) {
            continue;
        }
        let path = format!("{prefix}{name}");
        let kind = entry
            .file_type()
            .with_context(|| format!("cannot read {}", entry.path().display()))?;
        if kind.is_dir() {
            into.insert(format!("{path}/"), fnv1a(b"d", b""));
            read_entries(&entry.path(), &format!("{path}/"), &[], into)?;
        } else if kind.is_symlink() {
            let target = fs::read_link(entry.path()).unwrap_or_default();
            into.insert(path, fnv1a(b"l", target.as_os_str().as_encoded_bytes()));
        } else if kind.is_file() {
            let bytes = fs::read(entry.path())
                .with_context(|| format!("cannot read {}", entry.path().display()))?;
            into.insert(path, fnv1a(b"f", &bytes));
        }
    }
    Ok(())
}

/// 64-bit FNV-1a of a kind tag and the bytes.
pub(super) fn fnv1a(tag: &[u8], bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in tag.iter().chain(bytes) {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_see_content_names_and_links() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("t");
        fs::create_dir_all(root.join("sub")).unwrap();
        fs::write(root.join("sub/a.md"), "a").unwrap();
        let first = Tree::read(&root, &[]).unwrap();
        fs::write(root.join("sub/a.md"), "b").unwrap();
        let second = Tree::read(&root, &[]).unwrap();
        assert_ne!(first.fingerprint(), second.fingerprint());
        assert_eq!(first.changes_to(&second), "~sub/a.md");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("a.md", root.join("sub/l")).unwrap();
            let third = Tree::read(&root, &[]).unwrap();
            assert_eq!(second.changes_to(&third), "+sub/l");
            assert_eq!(third.changes_to(&second), "-sub/l");
        }
        // Stable across builds: a known value.
        assert_eq!(fnv1a(b"", b"a"), 0xaf63dc4c8601ec8c);
    }
}

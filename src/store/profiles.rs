//! The store's profiles, as a directory listing tells them: names, and the metadata of each
//! instance directory for `ccs list`, stat'ed on a few threads.

use std::fs;
use std::io::ErrorKind;

use anyhow::{Context, Result};

use super::Store;
use crate::fsx;
use crate::profile_name::ProfileName;

impl Store {
    /// The names of all profiles, sorted. Entries that are not valid names (temporary
    /// directories, stray files) are not profiles.
    pub(crate) fn names(&self) -> Result<Vec<ProfileName>> {
        let mut names = Vec::new();
        self.each_profile(|name, _| names.push(name))?;
        names.sort();
        Ok(names)
    }

    /// All profiles, sorted, each with its instance directory's metadata (`None` when it could
    /// not be read). Cheaper than a `stat` of each path: the listing's own directory handle is
    /// used, so no path is looked up again.
    pub(crate) fn profiles_with_metadata(&self) -> Result<Vec<Profile>> {
        let mut entries = Vec::new();
        self.each_profile(|name, entry| entries.push((name, entry)))?;
        // Sorted before the metadata is attached: moving small entries is cheaper.
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(stat_in_parallel(entries))
    }

    fn each_profile(&self, mut found: impl FnMut(ProfileName, fs::DirEntry)) -> Result<()> {
        let entries = match fs::read_dir(&self.instances) {
            Ok(entries) => entries,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e) => {
                return Err(e).with_context(|| format!("cannot list {}", self.instances.display()));
            }
        };
        for entry in entries {
            let entry =
                entry.with_context(|| format!("cannot list {}", self.instances.display()))?;
            let Some(name) = entry.file_name().to_str().and_then(ProfileName::from_disk) else {
                continue;
            };
            // The entry's type comes with the listing, at no extra cost. A link is not a profile:
            // ccs never follows links inside its store.
            if entry.file_type().is_ok_and(|k| k.is_dir()) {
                found(name, entry);
            }
        }
        Ok(())
    }
}

/// A profile as [`Store::profiles_with_metadata`] lists it.
pub(crate) struct Profile {
    pub name: ProfileName,
    /// Its instance directory's metadata.
    pub meta: Option<fs::Metadata>,
}

/// Each entry's metadata. A `stat` is a system call of a microsecond or two, so a store of
/// hundreds of profiles spreads them over a few threads; a small one stays on this one.
fn stat_in_parallel(entries: Vec<(ProfileName, fs::DirEntry)>) -> Vec<Profile> {
    let (names, dir_entries): (Vec<_>, Vec<_>) = entries.into_iter().unzip();
    // Each thread writes its share of the one result in place: a thousand metadata records are
    // 160 KB, and every copy of them would touch fresh memory.
    let mut listed: Vec<Profile> = names
        .into_iter()
        .map(|name| Profile { name, meta: None })
        .collect();
    fsx::in_parallel(&dir_entries, &mut listed, 256, |into, from| {
        for (profile, entry) in into.iter_mut().zip(from) {
            profile.meta = entry.metadata().ok();
        }
    });
    listed
}

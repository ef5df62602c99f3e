//! One profile per name, whatever the case: a name typed in another case means the profile as
//! spelled on disk, and a name that differs from another's only in case is refused (one
//! directory on a case-insensitive disk, macOS's and Windows').

use std::fs;
use std::io::ErrorKind;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use super::Store;
use crate::profile_name::ProfileName;

/// A profile name that is not in the store: the message names the profile it may be a typo of,
/// else the profiles there are (a few), and how to make one where that is what the user may want.
#[derive(Debug)]
pub(crate) struct NoSuchProfile {
    name: ProfileName,
    closest: Option<String>,
    others: Vec<String>,
    /// Said by a command that would use the profile (`use`, `exec`): making it may be the point.
    offer_create: bool,
}

impl std::fmt::Display for NoSuchProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = &self.name;
        write!(f, "profile '{name}' does not exist")?;
        if let Some(closest) = &self.closest {
            return write!(f, "; did you mean '{closest}'?");
        }
        let there = match self.others.len() {
            0 => "no profiles yet".to_owned(),
            1..=5 => format!("profiles: {}", self.others.join(", ")),
            _ => "see: ccs list".to_owned(),
        };
        if self.offer_create || self.others.is_empty() {
            write!(f, " ({there}; create it with: ccs create {name})")
        } else {
            write!(f, " ({there})")
        }
    }
}

impl std::error::Error for NoSuchProfile {}

impl Store {
    /// An existing profile: its name as spelled on disk, and its instance directory.
    ///
    /// A name that differs only in case from a profile's (`Work` for `work`) means that profile,
    /// on every system: on a case-insensitive disk (macOS, Windows) `instances/Work` would open
    /// `work`'s directory under another path string, and Claude Code keys its macOS Keychain login
    /// on that exact string. Names that collide in case are refused at creation, so at most one
    /// profile matches.
    pub(crate) fn find(&self, name: &ProfileName) -> Result<(ProfileName, PathBuf)> {
        let dir = self.instance_dir(name);
        // symlink_metadata: a link in place of a profile is not followed (see `no_links_inside`).
        match fs::symlink_metadata(&dir) {
            Ok(meta) if meta.is_dir() => {
                let spelled = self.spelling_on_disk(name, &meta)?;
                let dir = self.instance_dir(&spelled);
                Ok((spelled, dir))
            }
            Ok(meta) if meta.file_type().is_symlink() => {
                bail!(
                    "{} is a symbolic link; ccs does not follow links inside its store",
                    dir.display()
                )
            }
            Ok(_) => bail!("{} exists but is not a directory", dir.display()),
            Err(e) if e.kind() == ErrorKind::NotFound => match self.named_in_another_case(name)? {
                // Only a case-sensitive disk gets here with a match.
                Some(other) => self.find(&other),
                None => Err(self.no_such_profile(name).into()),
            },
            Err(e) => Err(e).with_context(|| format!("cannot read {}", dir.display())),
        }
    }

    /// The error for a profile that is not there, naming the one it may be a typo of, or what
    /// there is: read only on this failing path.
    fn no_such_profile(&self, name: &ProfileName) -> NoSuchProfile {
        let names = self.names().unwrap_or_default();
        let closest = crate::ui::closest(name.as_str(), names.iter().map(ProfileName::as_str))
            .map(str::to_owned);
        NoSuchProfile {
            name: name.clone(),
            closest,
            others: names.into_iter().map(|n| n.as_str().to_owned()).collect(),
            offer_create: false,
        }
    }

    /// [`Store::find`] for a command that would use the profile (`use`, `exec`): a name that is
    /// no typo of another's is offered to be made.
    pub(crate) fn find_to_use(&self, name: &ProfileName) -> Result<(ProfileName, PathBuf)> {
        self.find(name)
            .map_err(|e| match e.downcast::<NoSuchProfile>() {
                Ok(mut missing) => {
                    missing.offer_create = true;
                    missing.into()
                }
                Err(e) => e,
            })
    }

    /// The spelling on disk of the profile found at `name`'s path. On a case-sensitive disk that
    /// is `name` itself, shown by one `stat`: the same name in another case is not the same
    /// directory. Only a case-insensitive disk pays for a listing.
    fn spelling_on_disk(&self, name: &ProfileName, meta: &fs::Metadata) -> Result<ProfileName> {
        let Some(flipped) = name.with_case_flipped() else {
            return Ok(name.clone());
        };
        if !self.same_directory(name, meta, &flipped)? {
            return Ok(name.clone());
        }
        Ok(self
            .in_any_case(name)?
            .into_iter()
            .next()
            .unwrap_or_else(|| name.clone()))
    }

    /// Whether `b` names the same directory as `a` (whose metadata is `a_meta`): one directory
    /// under two spellings, on a case-insensitive disk.
    fn same_directory(
        &self,
        a: &ProfileName,
        a_meta: &fs::Metadata,
        b: &ProfileName,
    ) -> Result<bool> {
        let Ok(b_meta) = fs::symlink_metadata(self.instance_dir(b)) else {
            return Ok(false);
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let _ = a;
            Ok((a_meta.dev(), a_meta.ino()) == (b_meta.dev(), b_meta.ino()))
        }
        #[cfg(not(unix))]
        {
            // No inode to compare (std has none on Windows): two spellings of one name that both
            // open, while the listing holds only one of them, are one directory.
            let _ = (a_meta, b_meta);
            if !a.as_str().eq_ignore_ascii_case(b.as_str()) {
                return Ok(false);
            }
            let listed = self.in_any_case(a)?;
            Ok(!(listed.contains(a) && listed.contains(b)))
        }
    }

    /// `name` as spelled on disk, when it is a profile (see [`Store::find`]); else `name`.
    pub(crate) fn spelled(&self, name: ProfileName) -> ProfileName {
        match self.find(&name) {
            Ok((spelled, _)) => spelled,
            Err(_) => name,
        }
    }

    fn named_in_another_case(&self, name: &ProfileName) -> Result<Option<ProfileName>> {
        Ok(self.in_any_case(name)?.into_iter().find(|n| n != name))
    }

    /// The profiles whose names equal `name` but for case, as the listing spells them.
    fn in_any_case(&self, name: &ProfileName) -> Result<Vec<ProfileName>> {
        let mut found = self.names()?;
        found.retain(|n| n.as_str().eq_ignore_ascii_case(name.as_str()));
        Ok(found)
    }

    /// Refuses a name that is taken, also by a profile whose name differs only in case (one
    /// directory on a case-insensitive disk). `renaming` is the profile being renamed, which may
    /// take its own name in another case.
    pub(super) fn refuse_existing(
        &self,
        name: &ProfileName,
        renaming: Option<&ProfileName>,
    ) -> Result<()> {
        let target = self.instance_dir(name);
        let is_renamed_one = |n: &ProfileName| renaming == Some(n);
        if let Ok(meta) = fs::symlink_metadata(&target) {
            let same_dir = match renaming {
                Some(old) => fs::symlink_metadata(self.instance_dir(old))
                    .map_or(Ok(false), |old_meta| {
                        self.same_directory(old, &old_meta, name)
                    })?,
                None => false,
            };
            if !same_dir {
                // On a case-insensitive disk `target` may be another spelling's directory:
                // name the profile as it is spelled on disk.
                let existing = if meta.is_dir() {
                    self.spelling_on_disk(name, &meta)?
                } else {
                    name.clone()
                };
                bail!(
                    "profile '{existing}' already exists at {}",
                    self.instance_dir(&existing).display()
                );
            }
        }
        if let Some(other) = self
            .in_any_case(name)?
            .into_iter()
            .find(|n| n != name && !is_renamed_one(n))
        {
            bail!(
                "profile '{other}' already exists; '{name}' differs only in case and would \
                 collide with it on a case-insensitive disk"
            );
        }
        Ok(())
    }
}

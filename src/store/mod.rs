//! The profile store: `$CCS_HOME/instances/<profile>/`, one Claude Code config dir per profile.
//!
//! Every path the store hands out is built lexically from one normalised root, so the same
//! profile always yields the same string: Claude Code on macOS keys its Keychain login on the
//! exact config-dir string, and `ccs current` recognises a profile by comparing strings.

use std::ffi::OsStr;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::contract::{DEFAULT_STORE_DIR, HOME_VAR, INSTANCES_DIR};
use crate::fsx::{self, make_private_dir, make_private_dir_all, normalised_absolute};
use crate::profile_name::ProfileName;

mod case;
mod leftover;
mod profiles;

pub(crate) use leftover::Leftover;
pub(crate) use profiles::Profile;

/// The directories every new instance starts with, of those Claude Code uses (it makes
/// the rest itself; `todos/` and `logs/`, which older ccs made, it only sweeps now).
/// `commands/` and `skills/` come from the sharing step (`share::populate`).
pub(crate) const INSTANCE_DIRS: &[&str] = &["session-env"];

pub(crate) struct Store {
    root: PathBuf,
    instances: PathBuf,
}

impl Store {
    /// The store named by `CCS_HOME`, or `~/.ccs`.
    pub(crate) fn from_env() -> Result<Self> {
        match std::env::var_os(HOME_VAR).filter(|v| !v.is_empty()) {
            Some(root) => Self::at(Path::new(&root)).context("CCS_HOME is unusable"),
            None => Self::at(&fsx::home_dir()?.join(DEFAULT_STORE_DIR)),
        }
    }

    pub(crate) fn at(root: &Path) -> Result<Self> {
        let root = normalised_absolute(root)?;
        let instances = root.join(INSTANCES_DIR);
        Ok(Self { root, instances })
    }

    /// Where the instances are: `<root>/instances`.
    pub(crate) fn instances_dir(&self) -> &Path {
        &self.instances
    }

    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// Where the profile lives, whether or not it exists yet.
    pub(crate) fn instance_dir(&self, name: &ProfileName) -> PathBuf {
        self.instances.join(name.as_str())
    }

    /// The profile a `CLAUDE_CONFIG_DIR` value points at, if it points into this store.
    /// On Windows and macOS, whose disks ignore case, `C:\USERS\me\.ccs\instances` is this
    /// store too; the name is returned as written (see [`Store::spelled`]).
    pub(crate) fn profile_for_config_dir(&self, config_dir: &OsStr) -> Option<ProfileName> {
        let dir = normalised_absolute(Path::new(config_dir)).ok()?;
        let parent = dir.parent()?;
        let ours = parent == self.instances
            || (cfg!(any(windows, target_os = "macos"))
                && parent.to_str()?.to_lowercase() == self.instances.to_str()?.to_lowercase());
        if !ours {
            return None;
        }
        ProfileName::from_disk(dir.file_name()?.to_str()?)
    }

    /// Makes a new instance: Claude Code's directories, then whatever `populate` adds (the
    /// shared configuration).
    ///
    /// The instance is assembled in a temporary directory and renamed into place, so a profile
    /// appears whole or not at all, and of several concurrent creations exactly one wins: the
    /// rename fails once the target holds anything.
    pub(crate) fn create(
        &self,
        name: &ProfileName,
        populate: impl FnOnce(&Path) -> Result<()>,
    ) -> Result<PathBuf> {
        let target = self.instance_dir(name);
        self.refuse_existing(name, None)?;
        make_private_dir_all(&self.instances)?;
        no_links_inside(&self.instances)?;
        let staging = self
            .instances
            .join(Leftover::Creating.dir_name(name, std::process::id()));
        let built = build_instance(&staging, populate).and_then(|()| {
            move_into_place(&staging, &target, name)
                .with_context(|| format!("cannot create {}", target.display()))
        });
        if built.is_err() {
            let _ = fs::remove_dir_all(&staging);
        }
        built.map(|()| target)
    }

    /// Renames a profile's instance in one step; returns its new directory. Links inside it are
    /// absolute, so they keep working from the new place.
    pub(crate) fn rename(&self, old: &ProfileName, new: &ProfileName) -> Result<PathBuf> {
        let (old, from) = self.find(old)?;
        let old = &old;
        if old == new {
            bail!("profile '{old}' already has that name");
        }
        self.refuse_existing(new, Some(old))?;
        let to = self.instance_dir(new);
        // rename(2) would replace an empty directory at `to` (created since the check above);
        // it holds nothing, and a non-empty one makes the rename fail, as it does for create.
        move_into_place(&from, &to, new)
            .with_context(|| format!("cannot rename {} to {}", from.display(), to.display()))?;
        if old.as_str().eq_ignore_ascii_case(new.as_str()) && !self.spelled_as(new)? {
            self.rename_case_in_two_steps(old, new)?;
        }
        Ok(to)
    }

    /// Whether the profile is listed on disk spelled exactly as `name`.
    fn spelled_as(&self, name: &ProfileName) -> Result<bool> {
        Ok(self.names()?.contains(name))
    }

    /// A case-only rename the file system took without changing the name (FAT, some network
    /// shares, Wine's view of a Windows disk), done again through a name of another kind:
    /// ccs never says it renamed what is still spelled the old way.
    fn rename_case_in_two_steps(&self, old: &ProfileName, new: &ProfileName) -> Result<()> {
        let between = self
            .instances
            .join(Leftover::Renaming.dir_name(new, std::process::id()));
        let (from, to) = (self.instance_dir(old), self.instance_dir(new));
        fs::rename(&from, &between).with_context(|| {
            format!("cannot rename {} to {}", from.display(), between.display())
        })?;
        fs::rename(&between, &to).with_context(|| {
            format!(
                "profile '{old}' is at {} now; rename it to {} by hand",
                between.display(),
                to.display()
            )
        })?;
        if !self.spelled_as(new)? {
            bail!(
                "this file system keeps the name '{old}' whatever ccs asks: the profile is still \
                 '{old}' (the case of a name cannot change here)"
            );
        }
        Ok(())
    }

    /// Moves an existing config dir into the store as profile `name`, in one rename, so that
    /// its login, history and settings come along unchanged; returns the profile's directory.
    /// Both must be on one file system: a copy could not be atomic, and the original is not
    /// deleted behind the user's back.
    pub(crate) fn adopt(&self, name: &ProfileName, dir: &Path) -> Result<PathBuf> {
        self.refuse_existing(name, None)?;
        make_private_dir_all(&self.instances)?;
        no_links_inside(&self.instances)?;
        let target = self.instance_dir(name);
        move_into_place(dir, &target, name).map_err(|e| {
            let across = e
                .downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == ErrorKind::CrossesDevices);
            if across {
                anyhow::anyhow!(
                    "{} is on another file system than {}: move it next to the store first, or \
                     set CCS_HOME to a store on its file system",
                    dir.display(),
                    self.instances.display()
                )
            } else {
                e.context(format!(
                    "cannot move {} to {}",
                    dir.display(),
                    target.display()
                ))
            }
        })?;
        // A hand-made config dir may be readable by others; a profile is private.
        fsx::set_private(&target)?;
        Ok(target)
    }

    /// Deletes a profile. The instance is first renamed out of the way, so an interrupted removal
    /// never leaves a half-deleted profile that still looks usable.
    pub(crate) fn remove(&self, name: &ProfileName) -> Result<()> {
        let (name, dir) = self.find(name)?;
        let doomed = self
            .instances
            .join(Leftover::Removing.dir_name(&name, std::process::id()));
        fs::rename(&dir, &doomed).with_context(|| format!("cannot remove {}", dir.display()))?;
        // remove_dir_all does not follow symlinks: a linked item's target is never touched.
        fs::remove_dir_all(&doomed).with_context(|| {
            format!(
                "profile '{name}' is gone, but {} could not be deleted fully",
                doomed.display()
            )
        })
    }
}

fn build_instance(staging: &Path, populate: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    make_private_dir(staging)?;
    for sub in INSTANCE_DIRS {
        make_private_dir(&staging.join(sub))?;
    }
    populate(staging)
}

/// Renames a directory to a profile's place. The rename fails once the target holds anything,
/// so of two processes racing for one name exactly one wins; the loser hears why.
fn move_into_place(from: &Path, to: &Path, name: &ProfileName) -> Result<()> {
    match fs::rename(from, to) {
        Ok(()) => Ok(()),
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::AlreadyExists | ErrorKind::DirectoryNotEmpty
            ) =>
        {
            bail!("profile '{name}' already exists (created at the same time)")
        }
        Err(e) => Err(e.into()),
    }
}

/// `CCS_HOME` itself may be a link (a user's dotfiles often are), but everything below it is
/// ccs's own making: a link there was planted, and writing through it would write outside the
/// store.
fn no_links_inside(instances: &Path) -> Result<()> {
    let meta = fs::symlink_metadata(instances)
        .with_context(|| format!("cannot read {}", instances.display()))?;
    if !meta.is_dir() {
        bail!(
            "{} is not a directory (a symbolic link inside the store is not followed)",
            instances.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_relative_roots() {
        let err = Store::at(Path::new("relative/.ccs"))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("not an absolute path"), "{err}");
    }

    #[test]
    fn recognises_its_own_instances_only() {
        let store = Store::at(Path::new("/h/.ccs")).unwrap();
        let work = |s: &str| {
            store
                .profile_for_config_dir(OsStr::new(s))
                .map(|n| n.to_string())
        };
        assert_eq!(work("/h/.ccs/instances/work").as_deref(), Some("work"));
        assert_eq!(work("/h/.ccs/instances/work/").as_deref(), Some("work"));
        assert_eq!(work("/h/.ccs/instances/.creating-work-1"), None);
        assert_eq!(work("/h/.ccs/instances"), None);
        assert_eq!(work("/h/.claude"), None);
        assert_eq!(work("relative/instances/work"), None);
        assert_eq!(work(""), None);
    }
}

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

use crate::fsx::{self, make_private_dir, make_private_dir_all, normalised_absolute};
use crate::names::{DEFAULT_STORE_DIR, HOME_VAR, INSTANCES_DIR};
use crate::profile_name::ProfileName;

/// The directories every new instance starts with, of those Claude Code 2.1.332 uses (it makes
/// the rest itself; `todos/` and `logs/`, which older ccs made, it only sweeps now).
/// `commands/` and `skills/` come from the sharing step (`share::populate`).
pub const INSTANCE_DIRS: &[&str] = &["session-env"];

pub struct Store {
    root: PathBuf,
    instances: PathBuf,
}

impl Store {
    /// The store named by `CCS_HOME`, or `~/.ccs`.
    pub fn from_env() -> Result<Self> {
        match std::env::var_os(HOME_VAR).filter(|v| !v.is_empty()) {
            Some(root) => Self::at(Path::new(&root)).context("CCS_HOME is unusable"),
            None => Self::at(&fsx::home_dir()?.join(DEFAULT_STORE_DIR)),
        }
    }

    pub fn at(root: &Path) -> Result<Self> {
        let root = normalised_absolute(root)?;
        let instances = root.join(INSTANCES_DIR);
        Ok(Self { root, instances })
    }

    /// Where the instances are: `<root>/instances`.
    pub fn instances_dir(&self) -> &Path {
        &self.instances
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the profile lives, whether or not it exists yet.
    pub fn instance_dir(&self, name: &ProfileName) -> PathBuf {
        self.instances.join(name.as_str())
    }

    /// An existing profile: its name as spelled on disk, and its instance directory.
    ///
    /// A name that differs only in case from a profile's (`Work` for `work`) means that profile,
    /// on every system: on a case-insensitive disk (macOS, Windows) `instances/Work` would open
    /// `work`'s directory under another path string, and Claude Code keys its macOS Keychain login
    /// on that exact string. Names that collide in case are refused at creation, so at most one
    /// profile matches.
    pub fn find(&self, name: &ProfileName) -> Result<(ProfileName, PathBuf)> {
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
                None => {
                    bail!("profile '{name}' does not exist (create it with: ccs create {name})")
                }
            },
            Err(e) => Err(e).with_context(|| format!("cannot read {}", dir.display())),
        }
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
    pub fn spelled(&self, name: ProfileName) -> ProfileName {
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

    /// The names of all profiles, sorted. Entries that are not valid names (temporary
    /// directories, stray files) are not profiles.
    pub fn names(&self) -> Result<Vec<ProfileName>> {
        let mut names = Vec::new();
        self.each_profile(|name, _| names.push(name))?;
        names.sort();
        Ok(names)
    }

    /// All profiles, sorted, each with its instance directory's metadata (`None` when it could
    /// not be read). Cheaper than a `stat` of each path: the listing's own directory handle is
    /// used, so no path is looked up again.
    pub fn profiles_with_metadata(&self) -> Result<Vec<Profile>> {
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

    /// The profile a `CLAUDE_CONFIG_DIR` value points at, if it points into this store.
    /// On Windows and macOS, whose disks ignore case, `C:\USERS\me\.ccs\instances` is this
    /// store too; the name is returned as written (see [`Store::spelled`]).
    pub fn profile_for_config_dir(&self, config_dir: &OsStr) -> Option<ProfileName> {
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
    pub fn create(
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

    /// Refuses a name that is taken, also by a profile whose name differs only in case (one
    /// directory on a case-insensitive disk). `renaming` is the profile being renamed, which may
    /// take its own name in another case.
    fn refuse_existing(&self, name: &ProfileName, renaming: Option<&ProfileName>) -> Result<()> {
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

    /// Renames a profile's instance in one step; returns its new directory. Links inside it are
    /// absolute, so they keep working from the new place.
    pub fn rename(&self, old: &ProfileName, new: &ProfileName) -> Result<PathBuf> {
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
        Ok(to)
    }

    /// Deletes a profile. The instance is first renamed out of the way, so an interrupted removal
    /// never leaves a half-deleted profile that still looks usable.
    pub fn remove(&self, name: &ProfileName) -> Result<()> {
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

/// What ccs keeps beside the profiles while it works on one, named after the profile and the
/// process: a profile being made (renamed into place when whole) or being deleted (renamed out
/// of the way first). A crash leaves it behind; `ccs doctor` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leftover {
    Creating,
    Removing,
}

impl Leftover {
    fn prefix(self) -> &'static str {
        match self {
            Leftover::Creating => ".creating-",
            Leftover::Removing => ".removing-",
        }
    }

    pub fn dir_name(self, name: &ProfileName, pid: u32) -> String {
        format!("{}{name}-{pid}", self.prefix())
    }

    /// The kind, profile and process of a directory `dir_name` made, if it is one.
    pub fn parse(file_name: &str) -> Option<(Leftover, ProfileName, u32)> {
        [Leftover::Creating, Leftover::Removing]
            .into_iter()
            .find_map(|kind| {
                let (name, pid) = file_name.strip_prefix(kind.prefix())?.rsplit_once('-')?;
                let name = ProfileName::from_disk(name)?;
                let pid: u32 = pid.parse().ok()?;
                (kind.dir_name(&name, pid) == file_name).then_some((kind, name, pid))
            })
    }
}

/// A profile as [`Store::profiles_with_metadata`] lists it.
pub struct Profile {
    pub name: ProfileName,
    /// Its instance directory's metadata.
    pub meta: Option<fs::Metadata>,
}

/// Each entry's metadata. A `stat` is a system call of a microsecond or two, so a store of
/// hundreds of profiles spreads them over a few threads; a small one stays on this one.
fn stat_in_parallel(entries: Vec<(ProfileName, fs::DirEntry)>) -> Vec<Profile> {
    const PER_THREAD: usize = 256;
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(4)
        .min(entries.len().div_ceil(PER_THREAD));
    let (names, dir_entries): (Vec<_>, Vec<_>) = entries.into_iter().unzip();
    // Each thread writes its share of the one result in place: a thousand metadata records are
    // 160 KB, and every copy of them would touch fresh memory.
    let mut listed: Vec<Profile> = names
        .into_iter()
        .map(|name| Profile { name, meta: None })
        .collect();
    let stat = |into: &mut [Profile], from: &[fs::DirEntry]| {
        for (profile, entry) in into.iter_mut().zip(from) {
            profile.meta = entry.metadata().ok();
        }
    };
    if threads <= 1 {
        stat(&mut listed, &dir_entries);
    } else {
        let chunk = listed.len().div_ceil(threads);
        std::thread::scope(|scope| {
            for (into, from) in listed.chunks_mut(chunk).zip(dir_entries.chunks(chunk)) {
                scope.spawn(move || stat(into, from));
            }
        });
    }
    listed
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
    fn leftover_names_read_back_and_nothing_else_parses() {
        let work = ProfileName::parse("work").unwrap();
        for kind in [Leftover::Creating, Leftover::Removing] {
            let name = kind.dir_name(&work, 42);
            assert_eq!(Leftover::parse(&name), Some((kind, work.clone(), 42)));
        }
        let a_b = ProfileName::parse("a-b").unwrap();
        assert_eq!(
            Leftover::parse(".removing-a-b-7"),
            Some((Leftover::Removing, a_b, 7))
        );
        for not_ours in [
            ".creating-work",
            ".creating-work-",
            ".creating-work-x",
            ".creating--1",
            ".creating-../x-1",
            ".creating-work-+1",
            ".creating-work-01",
            "creating-work-1",
            ".other-work-1",
        ] {
            assert_eq!(Leftover::parse(not_ours), None, "{not_ours:?}");
        }
    }

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

//! Finding a profile's transcripts and reading what is new in each.
//!
//! Transcripts are `projects/**/*.jsonl` in the profile (subagents' in
//! `projects/<project>/<session>/subagents/`). `projects` itself may be a link (the client writes
//! through it, so what it holds is this profile's); links inside it are not followed, as the
//! client never makes one and one could lead to another profile's history or into a loop.
//!
//! Claude Code only appends to a transcript. What was counted in a file is kept with the file's
//! state (device, inode, size, modification and change times) and the offset after its last
//! complete line: a file whose state is unchanged is not opened; one that grew is read from that
//! offset, once its first and last counted 4 KiB are found unchanged; any other change (a file
//! replaced, truncated or rewritten) is counted afresh. An unterminated last line is what the
//! client is writing: it counts if it is already whole, and is read again next time.

use std::ffi::{OsStr, OsString};
#[cfg(not(unix))]
use std::fs;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use memchr::memmem;
use xxhash_rust::xxh3::xxh3_64;

use super::dedup::{Entry, Key, NO_MODEL, key, model_index};
use super::limits::LimitEvent;
use super::line::{self, Record};
use super::time::Millis;

/// How much of a file's start and of the end of what was counted is compared before trusting
/// that it only grew.
const PROBE: u64 = 4096;

/// What a file's metadata says about its content: any write changes one of these.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Stat {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub mtime: (i64, i64),
    pub ctime: (i64, i64),
}

impl Stat {
    /// From what `stat` says. Every state on Unix comes through here, from the same system
    /// call's fields, so that the walk's and a read's states of one file compare equal.
    #[cfg(unix)]
    // The fields' types differ between Unixes (`st_dev` is an `i32` on macOS).
    #[allow(clippy::unnecessary_cast)]
    pub(crate) fn of(s: &rustix::fs::Stat) -> Stat {
        Stat {
            dev: s.st_dev as u64,
            ino: s.st_ino as u64,
            size: s.st_size as u64,
            mtime: (s.st_mtime as i64, s.st_mtime_nsec as i64),
            ctime: (s.st_ctime as i64, s.st_ctime_nsec as i64),
        }
    }

    /// Without inodes a file cannot be recognised: every file reads as new (size 0 never matches
    /// a cached state with content).
    #[cfg(not(unix))]
    pub(crate) fn of(meta: &fs::Metadata) -> Stat {
        Stat {
            size: meta.len(),
            ..Stat::default()
        }
    }

    /// Its seven numbers, little-endian, in order: as the cache keeps a state, and as a stamp
    /// hashes one.
    pub(crate) fn to_le_bytes(self) -> [u8; 56] {
        let numbers = [
            self.dev,
            self.ino,
            self.size,
            self.mtime.0 as u64,
            self.mtime.1 as u64,
            self.ctime.0 as u64,
            self.ctime.1 as u64,
        ];
        let mut bytes = [0; 56];
        for (chunk, n) in bytes.chunks_exact_mut(8).zip(numbers) {
            chunk.copy_from_slice(&n.to_le_bytes());
        }
        bytes
    }

    /// An open file's state.
    fn of_file(file: &File) -> io::Result<Stat> {
        #[cfg(unix)]
        return Ok(Stat::of(&rustix::fs::fstat(file)?));
        #[cfg(not(unix))]
        return Ok(Stat::of(&file.metadata()?));
    }
}

/// A transcript found under `projects/`.
#[derive(Clone, Debug)]
pub(crate) struct Found {
    /// Its path under `projects/`, `/`-separated: what the cache and the order of counting use.
    pub rel: String,
    pub path: PathBuf,
    pub stat: Stat,
}

/// What a walk of `projects/` found.
#[derive(Debug, Default)]
pub(crate) struct Walk {
    /// Sorted by `rel`, the order ccusage counts in.
    pub files: Vec<Found>,
    /// Links inside `projects/`, not followed.
    pub links: Vec<PathBuf>,
    /// Directories and files that could not be read, with why.
    pub unreadable: Vec<(PathBuf, io::Error)>,
    /// The directories' entries, for the next walk: only those of directories that had been
    /// left alone for a while when listed (see [`Listing`]), in the order they were visited
    /// (the next walk asks for them in that order).
    pub listings: Vec<Listing>,
    /// `projects/` itself (at `""`) and the directories in it, in the order visited, each in
    /// the state it was walked in: what a count's stamp names (`usage::stamp`).
    pub tops: Vec<(String, Stat)>,
}

/// A directory's entries that matter to a walk, as listed when the directory was in state
/// `stat`. A directory's modification time changes whenever an entry is added, removed or
/// renamed in it, so while its state is the same the listing holds, and the next walk takes
/// one `stat` for it instead of reading it (five system calls: most of a walk's cost when a
/// history has thousands of sessions). One caveat is the clock's grain: a change in the same
/// tick as the one before leaves the time as it was, so a listing is kept only if nothing
/// changed in the directory for [`SETTLED`] before it was listed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Listing {
    /// The directory's path under `projects/` (empty for `projects/` itself).
    pub rel: String,
    pub stat: Stat,
    pub dirs: Vec<OsString>,
    /// Regular `*.jsonl` files.
    pub files: Vec<OsString>,
    pub links: Vec<OsString>,
}

/// How long a directory must have been left alone for its listing to be kept (never where
/// directories have no times a `stat` shows: see [`settled`]).
const SETTLED: Millis = 2000;

/// Every `*.jsonl` file under `projects`, which need not exist, at `now`. `listed`: the
/// listings an earlier walk kept; a directory still in the state one names is not read again,
/// and its listing moves into this walk's. `files`: how many transcripts are expected.
///
/// Each directory is visited through a handle ([`dir::Dir`]): on Unix an open descriptor, and
/// what is in it is looked at relative to that, one path component at a time. A `stat` of an
/// absolute path makes the kernel look up every component again (ten of them under a usual
/// home), and that lookup was most of what a repeated count cost.
pub(crate) fn walk(projects: &Path, listed: Vec<Listing>, files: usize, now: Millis) -> Walk {
    // Sized for what is expected, so that the lists are not copied as they grow.
    let mut walker = Walker {
        found: Walk {
            files: Vec::with_capacity(files),
            listings: Vec::with_capacity(listed.len()),
            ..Walk::default()
        },
        listed: Listed {
            listings: listed,
            next: 0,
            by_rel: None,
        },
        now,
    };
    match dir::Dir::open_root(projects) {
        Ok((root, stat)) => {
            let before = walker.listed.find("");
            walker.visit(&root, stat, String::new(), before);
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => walker.found.unreadable.push((projects.to_path_buf(), e)),
    }
    let mut found = walker.found;
    // Visited in the order of names, so this finds the list nearly sorted already. Unstable:
    // no scratch memory, and paths differ (but for names that are not UTF-8, shown alike,
    // whose order was the directory's before: none to keep).
    found.files.sort_unstable_by(|a, b| a.rel.cmp(&b.rel));
    found
}

struct Walker {
    found: Walk,
    listed: Listed,
    now: Millis,
}

/// A directory whose kept listing names fewer entries than this is looked at through its
/// parent's handle (`stat` of `name/entry` there) instead of being opened: opening, `fstat`
/// and closing a directory cost about 2.5 µs where a `stat` costs 1 µs on the machine
/// measured (docs/performance.md), and one component more in a `stat`'s path about 0.1 µs. A
/// session's directory (`subagents/` in it) and its `subagents/` (a few transcripts) are not
/// opened; a project's directory (hundreds of sessions) is.
const OPEN_FROM: usize = 16;

impl Walker {
    /// Walks the directory `handle` (at `rel` under `projects/`), found in state `stat`, and
    /// everything under it: its files, then its directories, each in the order of their
    /// names. `before`: where its listing is among those kept. Depth first, so that only the
    /// directories on the way down are open at once.
    fn visit(&mut self, handle: &dir::Dir, stat: Stat, rel: String, before: Option<usize>) {
        if !rel.contains('/') {
            self.found.tops.push((rel.clone(), stat));
        }
        let (mut listing, keep) = match before.and_then(|at| self.listed.take(at, &stat)) {
            Some(listing) => (Listing { rel, ..listing }, true),
            None => {
                let (listing, keep, error) = list(handle, rel, stat, self.now);
                if let Some(e) = error {
                    self.found.unreadable.push((handle.path().to_path_buf(), e));
                }
                (listing, keep)
            }
        };
        let found = &mut self.found;
        found
            .links
            .extend(listing.links.iter().map(|name| joined(handle.path(), name)));
        for name in &listing.files {
            match handle.stat(name) {
                Ok(stat) => found.files.push(Found {
                    rel: child_rel(&listing.rel, name),
                    path: joined(handle.path(), name),
                    stat,
                }),
                Err(e) => found.unreadable.push((joined(handle.path(), name), e)),
            }
        }
        // Kept in the order directories are visited in, which the next walk finds them in.
        let dirs = std::mem::take(&mut listing.dirs);
        let rels: Vec<String> = dirs
            .iter()
            .map(|name| child_rel(&listing.rel, name))
            .collect();
        let at = found.listings.len();
        if keep {
            found.listings.push(listing);
        }
        for (name, rel) in dirs.iter().zip(rels) {
            let before = self.listed.find(&rel);
            let small = before.is_some_and(|at| self.listed.len_of(at) < OPEN_FROM);
            let child = if small {
                handle.within(name)
            } else {
                handle.open(name)
            };
            match child {
                Ok((dir, stat)) => self.visit(&dir, stat, rel, before),
                Err(e) => self.found.unreadable.push((joined(handle.path(), name), e)),
            }
        }
        if keep {
            self.found.listings[at].dirs = dirs;
        }
    }
}

/// The listings an earlier walk kept, in the order it visited their directories: a walk of the
/// same directories asks for them in that order, so each is found where the last one was
/// (by its `rel`, through an index sorted once, where it is not).
struct Listed {
    listings: Vec<Listing>,
    /// Where the next directory's listing is expected.
    next: usize,
    /// `listings`' positions sorted by `rel`, made the first time one is not where expected.
    by_rel: Option<Vec<usize>>,
}

impl Listed {
    /// Where the listing kept for the directory at `rel` is, if one was.
    fn find(&mut self, rel: &str) -> Option<usize> {
        let at = match self.listings.get(self.next) {
            Some(l) if l.rel == rel => self.next,
            _ => {
                let listings = &self.listings;
                let by_rel = self.by_rel.get_or_insert_with(|| {
                    let mut order: Vec<usize> = (0..listings.len()).collect();
                    order.sort_by(|&a, &b| listings[a].rel.cmp(&listings[b].rel));
                    order
                });
                let i = by_rel
                    .binary_search_by(|&i| listings[i].rel.as_str().cmp(rel))
                    .ok()?;
                by_rel[i]
            }
        };
        self.next = at + 1;
        Some(at)
    }

    /// How many names the listing at `at` holds.
    fn len_of(&self, at: usize) -> usize {
        let l = &self.listings[at];
        l.dirs.len() + l.files.len() + l.links.len()
    }

    /// The listing at `at`, if its directory is still in the state it was listed in: its names
    /// moved out (each directory is visited once), its `rel` left empty for the caller's.
    fn take(&mut self, at: usize, stat: &Stat) -> Option<Listing> {
        let before = &mut self.listings[at];
        (before.stat == *stat).then(|| Listing {
            rel: String::new(),
            stat: before.stat,
            dirs: std::mem::take(&mut before.dirs),
            files: std::mem::take(&mut before.files),
            links: std::mem::take(&mut before.links),
        })
    }
}

/// `name`'s path under `projects/`, in the directory at `rel` there.
fn child_rel(rel: &str, name: &OsStr) -> String {
    let name = name.to_string_lossy();
    if rel.is_empty() {
        return name.into_owned();
    }
    let mut child = String::with_capacity(rel.len() + 1 + name.len());
    child.push_str(rel);
    child.push('/');
    child.push_str(&name);
    child
}

/// `dir/name`, allocated once.
fn joined(dir: &Path, name: &OsStr) -> PathBuf {
    let mut path = PathBuf::with_capacity(dir.as_os_str().len() + 1 + name.len());
    path.push(dir);
    path.push(name);
    path
}

/// Reads the entries of the directory `handle` (at `rel`, in state `stat`), and whether the
/// listing may be kept: the directory was left alone for [`SETTLED`], and every name is UTF-8
/// (the cache keeps names as text). An error while reading ends the listing there, and comes
/// with it.
fn list(
    handle: &dir::Dir,
    rel: String,
    stat: Stat,
    now: Millis,
) -> (Listing, bool, Option<io::Error>) {
    let mut listing = Listing {
        rel,
        stat,
        ..Listing::default()
    };
    let mut keep = settled(&stat, now);
    let entries = match handle.entries() {
        Ok(entries) => entries,
        Err(e) => return (listing, false, Some(e)),
    };
    for entry in entries {
        let (name, kind) = match entry {
            Ok(entry) => entry,
            // What was listed so far is walked, and the directory named as unreadable.
            Err(e) => return (listing, false, Some(e)),
        };
        let Some(kind) = kind else {
            keep = false;
            continue;
        };
        keep &= name.to_str().is_some();
        match kind {
            Kind::Link => listing.links.push(name),
            Kind::Dir => listing.dirs.push(name),
            Kind::File if name.to_string_lossy().ends_with(".jsonl") => {
                listing.files.push(name);
            }
            Kind::File | Kind::Other => {}
        }
    }
    // In the order of names: the walk visits them so, and its files come out nearly sorted.
    for names in [&mut listing.dirs, &mut listing.files, &mut listing.links] {
        names.sort_unstable();
    }
    (listing, keep, None)
}

/// Directories as the walk sees them: opened, listed, and what is in them looked at.
/// What a directory entry is, as the walk tells them apart (each system's `dir` says).
#[derive(Clone, Copy)]
enum Kind {
    Dir,
    File,
    Link,
    Other,
}

#[cfg(unix)]
mod dir {
    use std::ffi::{OsStr, OsString};
    use std::io;
    use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
    use std::os::unix::ffi::OsStrExt;
    use std::path::{Path, PathBuf};

    use rustix::fs::{AtFlags, CWD, FileType, Mode, OFlags};

    use super::{Kind, Stat};

    /// A directory: open, or reached from an open one (an ancestor's handle and the path from
    /// there), and its path for what is reported.
    pub(super) struct Dir<'a> {
        fd: Fd<'a>,
        /// The path from `fd`'s directory to this one: empty when `fd` is its own.
        at: PathBuf,
        path: PathBuf,
    }

    enum Fd<'a> {
        Own(OwnedFd),
        Ancestor(BorrowedFd<'a>),
    }

    const DIRECTORY: OFlags = OFlags::RDONLY
        .union(OFlags::DIRECTORY)
        .union(OFlags::CLOEXEC)
        .union(OFlags::NONBLOCK);

    impl Dir<'_> {
        /// `projects/` itself, which may be a link (followed), and its state.
        pub(super) fn open_root(path: &Path) -> io::Result<(Dir<'static>, Stat)> {
            let fd = rustix::fs::openat(CWD, path, DIRECTORY, Mode::empty())?;
            let stat = Stat::of(&rustix::fs::fstat(&fd)?);
            let dir = Dir {
                fd: Fd::Own(fd),
                at: PathBuf::new(),
                path: path.to_path_buf(),
            };
            Ok((dir, stat))
        }

        /// The directory `name` in this one, opened (a link is not followed), and its state:
        /// taken from the open directory, so it is the state of what is walked.
        pub(super) fn open(&self, name: &OsStr) -> io::Result<(Dir<'static>, Stat)> {
            let fd = rustix::fs::openat(
                self.fd(),
                &*self.inside(name),
                DIRECTORY | OFlags::NOFOLLOW,
                Mode::empty(),
            )?;
            let stat = Stat::of(&rustix::fs::fstat(&fd)?);
            let dir = Dir {
                fd: Fd::Own(fd),
                at: PathBuf::new(),
                path: super::joined(&self.path, name),
            };
            Ok((dir, stat))
        }

        /// The directory `name` in this one, reached through this one's handle without being
        /// opened (a link is not followed), and its state.
        pub(super) fn within(&self, name: &OsStr) -> io::Result<(Dir<'_>, Stat)> {
            let at = self.inside(name).into_owned();
            let raw = rustix::fs::statat(self.fd(), &at, AtFlags::SYMLINK_NOFOLLOW)?;
            if FileType::from_raw_mode(raw.st_mode) != FileType::Directory {
                return Err(io::ErrorKind::NotADirectory.into());
            }
            let dir = Dir {
                fd: Fd::Ancestor(self.fd()),
                at,
                path: super::joined(&self.path, name),
            };
            Ok((dir, Stat::of(&raw)))
        }

        pub(super) fn path(&self) -> &Path {
            &self.path
        }

        /// The state of the entry `name` (a link's own).
        pub(super) fn stat(&self, name: &OsStr) -> io::Result<Stat> {
            let raw =
                rustix::fs::statat(self.fd(), &*self.inside(name), AtFlags::SYMLINK_NOFOLLOW)?;
            Ok(Stat::of(&raw))
        }

        /// The entries' names and kinds (`None`: could not be told), `.` and `..` left out.
        pub(super) fn entries(
            &self,
        ) -> io::Result<impl Iterator<Item = io::Result<(OsString, Option<Kind>)>> + '_> {
            // Read through a descriptor of its own, whose position reading moves.
            let fd = match &self.fd {
                Fd::Own(fd) => fd.try_clone()?,
                Fd::Ancestor(fd) => {
                    rustix::fs::openat(fd, &self.at, DIRECTORY | OFlags::NOFOLLOW, Mode::empty())?
                }
            };
            let dir = rustix::fs::Dir::new(fd)?;
            Ok(dir.filter_map(move |entry| {
                let entry = match entry {
                    Ok(entry) => entry,
                    Err(e) => return Some(Err(e.into())),
                };
                let name = OsStr::from_bytes(entry.file_name().to_bytes());
                if name == "." || name == ".." {
                    return None;
                }
                let kind = match entry.file_type() {
                    // Some file systems do not say in the listing: asked of the entry.
                    FileType::Unknown => rustix::fs::statat(
                        self.fd(),
                        &*self.inside(name),
                        AtFlags::SYMLINK_NOFOLLOW,
                    )
                    .ok()
                    .map(|s| FileType::from_raw_mode(s.st_mode)),
                    kind => Some(kind),
                };
                Some(Ok((name.to_os_string(), kind.map(Kind::of))))
            }))
        }

        fn fd(&self) -> BorrowedFd<'_> {
            match &self.fd {
                Fd::Own(fd) => fd.as_fd(),
                Fd::Ancestor(fd) => *fd,
            }
        }

        /// The path of `name` in this directory, from `fd`'s.
        fn inside<'n>(&self, name: &'n OsStr) -> std::borrow::Cow<'n, Path> {
            if self.at.as_os_str().is_empty() {
                std::borrow::Cow::Borrowed(Path::new(name))
            } else {
                std::borrow::Cow::Owned(super::joined(&self.at, name))
            }
        }
    }

    impl Kind {
        fn of(kind: FileType) -> Kind {
            match kind {
                FileType::Directory => Kind::Dir,
                FileType::RegularFile => Kind::File,
                FileType::Symlink => Kind::Link,
                _ => Kind::Other,
            }
        }
    }
}

/// Directories as the walk sees them, where there are no directory descriptors to look at
/// things relative to: by path.
#[cfg(not(unix))]
mod dir {
    use std::ffi::{OsStr, OsString};
    use std::fs;
    use std::io;
    use std::path::{Path, PathBuf};

    use super::{Kind, Stat};

    /// A directory, by path.
    pub(super) struct Dir {
        path: PathBuf,
    }

    impl Dir {
        /// `projects/` itself, which may be a link (followed), and its state.
        pub(super) fn open_root(path: &Path) -> io::Result<(Dir, Stat)> {
            let stat = Stat::of(&fs::metadata(path)?);
            Ok((
                Dir {
                    path: path.to_path_buf(),
                },
                stat,
            ))
        }

        /// The directory `name` in this one, and its state.
        pub(super) fn open(&self, name: &OsStr) -> io::Result<(Dir, Stat)> {
            Dir::open_root(&super::joined(&self.path, name))
        }

        /// The same as [`Dir::open`]: by path either way.
        pub(super) fn within(&self, name: &OsStr) -> io::Result<(Dir, Stat)> {
            self.open(name)
        }

        pub(super) fn path(&self) -> &Path {
            &self.path
        }

        /// The state of the entry `name` (a link's own).
        pub(super) fn stat(&self, name: &OsStr) -> io::Result<Stat> {
            Ok(Stat::of(&fs::symlink_metadata(self.path.join(name))?))
        }

        /// The entries' names and kinds (`None`: could not be told).
        pub(super) fn entries(
            &self,
        ) -> io::Result<impl Iterator<Item = io::Result<(OsString, Option<Kind>)>>> {
            Ok(fs::read_dir(&self.path)?.map(|entry| {
                let entry = entry?;
                let kind = entry.file_type().ok().map(|kind| {
                    if kind.is_symlink() {
                        Kind::Link
                    } else if kind.is_dir() {
                        Kind::Dir
                    } else if kind.is_file() {
                        Kind::File
                    } else {
                        Kind::Other
                    }
                });
                Ok((entry.file_name(), kind))
            }))
        }
    }
}

/// Whether a directory in state `stat` was left alone for [`SETTLED`] before `now`.
pub(crate) fn settled(stat: &Stat, now: Millis) -> bool {
    settled_for(stat, now, SETTLED)
}

/// Whether what `stat` describes was left alone for `quiet` before `now`: its last change (the
/// later of its modification and its status change) is older. Never where a `stat` shows no
/// times to compare.
#[cfg(unix)]
pub(crate) fn settled_for(stat: &Stat, now: Millis, quiet: Millis) -> bool {
    let millis = |(secs, nanos): (i64, i64)| secs.saturating_mul(1000) + nanos / 1_000_000;
    millis(stat.mtime).max(millis(stat.ctime)) < now - quiet
}

#[cfg(not(unix))]
pub(crate) fn settled_for(_: &Stat, _: Millis, _: Millis) -> bool {
    false
}

/// The state of the directory at `path` (not a link), where states can be compared.
#[cfg(unix)]
pub(crate) fn dir_state(path: &Path) -> Option<Stat> {
    let raw = rustix::fs::lstat(path).ok()?;
    (rustix::fs::FileType::from_raw_mode(raw.st_mode) == rustix::fs::FileType::Directory)
        .then(|| Stat::of(&raw))
}

#[cfg(not(unix))]
pub(crate) fn dir_state(_: &Path) -> Option<Stat> {
    None
}

/// The states of the directory `dir` (a link followed, as `projects/` may be one) and of the
/// entries `names` in it (links not followed), in that order, as a walk takes them; `None` if
/// one is not there.
pub(crate) fn states_in(dir: &Path, names: &[String]) -> Option<Vec<Stat>> {
    let (handle, stat) = dir::Dir::open_root(dir).ok()?;
    let mut states = Vec::with_capacity(1 + names.len());
    states.push(stat);
    for name in names {
        states.push(handle.stat(OsStr::new(name)).ok()?);
    }
    Some(states)
}

/// The session a transcript's path names, for lines that do not say (ccusage's rule):
/// `<project>/<session>.jsonl`, `<project>/<session>/subagents/<agent>.jsonl`, else the name of
/// the file's directory.
pub(crate) fn session_of_path(rel: &str) -> Key {
    let parts: Vec<&str> = rel.split('/').collect();
    let n = parts.len();
    if n == 2
        && let Some(stem) = parts[1].strip_suffix(".jsonl").filter(|s| !s.is_empty())
    {
        return key(stem);
    }
    if n >= 4 && parts[n - 2] == "subagents" {
        return key(parts[n - 3]);
    }
    key(parts[n.saturating_sub(2)])
}

/// What was counted in one file, and where to go on from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counted {
    /// The file's state when it was read.
    pub stat: Stat,
    /// The offset after its last complete line.
    pub consumed: u64,
    /// Hashes of the first [`PROBE`] bytes and of the last `PROBE` bytes before `consumed`.
    pub head: u64,
    pub anchor: u64,
    /// The model names entries point into.
    pub models: Vec<String>,
    /// From complete lines, in order.
    pub entries: Vec<Entry>,
    /// From an unterminated last line that is already whole; counted while the file is as read.
    pub tail: Vec<Entry>,
    pub limits: Vec<LimitEvent>,
    /// Complete lines with usage that were not sound.
    pub broken: u32,
}

/// What a file held before it was read again.
#[derive(Debug)]
pub(crate) enum Before {
    /// Nothing: it is new.
    New,
    /// What was counted, the file only having grown since: its first `entries` records and
    /// `limits` limits are still its own, and `tail` (from a last line then unfinished) was
    /// counted too.
    Grew {
        entries: usize,
        limits: usize,
        tail: Vec<Entry>,
    },
    /// What was counted, in a file since replaced or rewritten.
    Replaced(Counted),
}

/// A file read: what is counted in it now, and what it held before.
#[derive(Debug)]
pub(crate) struct Reread {
    pub counted: Counted,
    pub before: Before,
}

/// Reads `path`, going on from `before` where the file only grew since, and says what it held
/// before. `buffer` is lent by the caller and reused from file to file: memory touched once is
/// not faulted in again for each.
pub(crate) fn read(
    path: &Path,
    rel: &str,
    before: Option<Counted>,
    buffer: &mut Vec<u8>,
) -> io::Result<Reread> {
    read_in_chunks(path, rel, before, CHUNK, buffer)
}

fn read_in_chunks(
    path: &Path,
    rel: &str,
    before: Option<Counted>,
    chunk: usize,
    data: &mut Vec<u8>,
) -> io::Result<Reread> {
    let mut file = File::open(path)?;
    // The state is taken before reading: what is appended while reading shows as growth next
    // time, never as a state already seen.
    let stat = Stat::of_file(&file)?;
    let session = session_of_path(rel);
    let (mut counted, was) = match before {
        Some(before) if grew_from(&mut file, &stat, &before)? => {
            let was = Before::Grew {
                entries: before.entries.len(),
                limits: before.limits.len(),
                tail: before.tail.clone(),
            };
            (before, was)
        }
        Some(before) => (Counted::default(), Before::Replaced(before)),
        None => (Counted::default(), Before::New),
    };
    counted.stat = stat;
    counted.tail.clear();
    file.seek(SeekFrom::Start(counted.consumed))?;
    // In chunks, so that a transcript of gigabytes never sits in memory whole: only its complete
    // lines are handed on, and the rest of the last one waits for the next chunk.
    data.clear();
    loop {
        let start = data.len();
        let left = stat.size.saturating_sub(counted.consumed + start as u64);
        // Sized for what is left of the file (most are far smaller than a chunk); `read_to_end`
        // fills it without zeroing it first.
        data.reserve((left as usize).clamp(1, chunk));
        let n = (&mut file).take(chunk as u64).read_to_end(data)?;
        if n == 0 {
            break;
        }
        let Some(last) = memchr::memrchr(b'\n', &data[start..]) else {
            continue;
        };
        let complete = start + last + 1;
        each_usage_line(&data[..complete], |line| counted.add(line, session, false));
        counted.consumed += complete as u64;
        data.drain(..complete);
    }
    if !data.is_empty() {
        counted.add(data, session, true);
    }
    counted.head = hash_range(&mut file, 0, counted.consumed.min(PROBE))?;
    counted.anchor = anchor_of(&mut file, counted.consumed)?;
    Ok(Reread {
        counted,
        before: was,
    })
}

/// How much is read at a time.
const CHUNK: usize = 8 << 20;

/// Whether the file in state `stat` is `before`'s with lines appended: the same file, longer,
/// with the same first bytes and the same bytes before where counting stopped. (A change that
/// keeps the size is a rewrite: appending always adds bytes.)
fn grew_from(file: &mut File, stat: &Stat, before: &Counted) -> io::Result<bool> {
    let same_file = (stat.dev, stat.ino) == (before.stat.dev, before.stat.ino);
    if !same_file || stat.size <= before.stat.size || before.consumed == 0 {
        return Ok(false);
    }
    Ok(
        hash_range(file, 0, before.consumed.min(PROBE))? == before.head
            && anchor_of(file, before.consumed)? == before.anchor,
    )
}

fn anchor_of(file: &mut File, consumed: u64) -> io::Result<u64> {
    let start = consumed.saturating_sub(PROBE);
    hash_range(file, start, consumed - start)
}

fn hash_range(file: &mut File, start: u64, len: u64) -> io::Result<u64> {
    let mut bytes = vec![0; len as usize];
    file.seek(SeekFrom::Start(start))?;
    file.read_exact(&mut bytes)?;
    Ok(fingerprint(&bytes))
}

/// A hash of file content, stored in the cache: XXH3 64-bit, fixed by its specification.
pub(crate) fn fingerprint(bytes: &[u8]) -> u64 {
    xxh3_64(bytes)
}

/// Calls `each` with every line of `data` (complete lines, without their newline) that mentions
/// usage. Lines that do not are skipped without looking for their end: most of a transcript's
/// bytes are prompts, tool results and attachments.
fn each_usage_line(data: &[u8], mut each: impl FnMut(&[u8])) {
    let finder = memmem::Finder::new(b"\"usage\"");
    let mut pos = 0;
    while let Some(hit) = finder.find(&data[pos..]) {
        let hit = pos + hit;
        // `pos` is always a line's start, so the line holding the hit starts after the last
        // newline between the two.
        let start = memchr::memrchr(b'\n', &data[pos..hit]).map_or(pos, |at| pos + at + 1);
        let end = memchr::memchr(b'\n', &data[hit..]).map_or(data.len(), |at| hit + at);
        each(&data[start..end]);
        pos = (end + 1).min(data.len());
        if pos >= data.len() {
            break;
        }
    }
}

impl Counted {
    /// Counts one line; `tail` marks an unterminated last line, which is not broken while the
    /// client may still be writing it.
    fn add(&mut self, line: &[u8], path_session: Key, tail: bool) {
        let parsed = line::parse(line);
        if parsed.broken && !tail {
            self.broken += 1;
        }
        if !tail {
            self.limits.extend(parsed.limit);
        }
        for record in parsed.records {
            let entry = self.entry(&record, path_session);
            if tail {
                self.tail.push(entry);
            } else {
                self.entries.push(entry);
            }
        }
    }

    fn entry(&mut self, r: &Record, path_session: Key) -> Entry {
        let id = |id: &Option<std::borrow::Cow<str>>| {
            id.as_deref().filter(|s| !s.is_empty()).map_or(0, key)
        };
        Entry {
            timestamp: r.timestamp,
            tokens: r.tokens,
            model: r
                .model
                .as_deref()
                .map_or(NO_MODEL, |m| model_index(&mut self.models, m)),
            message: id(&r.message_id),
            request: id(&r.request_id),
            session: r.session_id.as_deref().map_or(path_session, key),
            sidechain: r.sidechain,
            has_speed: r.has_speed,
        }
    }

    /// The model name an entry of this file points at.
    pub(crate) fn model(&self, entry: &Entry) -> Option<&str> {
        self.models
            .get(usize::from(entry.model))
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(unix)]
    use std::fs;

    /// The hashes of file content the cache stores: XXH3-64 as its reference implementation
    /// computes it (`xxhsum -H3`, xxHash 0.8.1). A change here discards every usage cache.
    #[test]
    fn content_is_fingerprinted_with_xxh3_64() {
        assert_eq!(
            fingerprint(br#"{"type":"assistant"}"#),
            0x0218_5800_546a_b524
        );
        assert_eq!(fingerprint(&[0; 4096]), 0x93d7_6fe1_48c6_89ba);
    }

    #[test]
    fn sessions_come_from_the_path_as_ccusage_reads_it() {
        assert_eq!(session_of_path("proj/abc.jsonl"), key("abc"));
        assert_eq!(
            session_of_path("proj/abc/subagents/agent-1.jsonl"),
            key("abc")
        );
        assert_eq!(session_of_path("proj/abc/chat.jsonl"), key("abc"));
        assert_eq!(session_of_path("x.jsonl"), key("x.jsonl"));
        assert_eq!(session_of_path("proj/.jsonl"), key("proj"));
    }

    #[test]
    fn lines_across_chunks_count_as_in_one_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        let line = |n: u64| {
            format!(
                r#"{{"type":"assistant","timestamp":"2026-11-20T10:00:00.000Z","requestId":"r{n}","message":{{"id":"m{n}","model":"x","content":[{{"type":"text","text":"{}"}}],"usage":{{"input_tokens":{n},"output_tokens":1}}}}}}"#,
                "z".repeat(n as usize * 13)
            )
        };
        let mut text: String = (1..20).map(|n| line(n) + "\n").collect();
        text.push_str(&line(99)); // unterminated, whole
        std::fs::write(&path, &text).unwrap();
        let buffer = &mut Vec::new();
        let whole = read_in_chunks(&path, "p/s.jsonl", None, 1 << 20, buffer)
            .unwrap()
            .counted;
        assert_eq!(whole.entries.len(), 19);
        assert_eq!(whole.tail.len(), 1);
        assert_eq!(whole.consumed as usize, text.rfind('\n').unwrap() + 1);
        for chunk in [1, 7, 100, 333, 4096] {
            let read = read_in_chunks(&path, "p/s.jsonl", None, chunk, buffer)
                .unwrap()
                .counted;
            assert_eq!(read, whole, "chunks of {chunk}");
        }
    }

    #[test]
    fn only_complete_lines_that_mention_usage_are_visited() {
        let data = b"{\"a\":1}\n{\"usage\":1}\n\n{\"b\":\"usage\"}\n{\"usage\":2}\n{\"usage\":3}";
        let mut seen = Vec::new();
        each_usage_line(data, |l| seen.push(String::from_utf8_lossy(l).into_owned()));
        // A line with the word as a value is visited too (the parser tells); an unterminated
        // last line too (`read` cuts it off before).
        assert_eq!(
            seen,
            [
                "{\"usage\":1}",
                "{\"b\":\"usage\"}",
                "{\"usage\":2}",
                "{\"usage\":3}"
            ]
        );
    }

    /// Sets a directory's modification time (and so its change time, to now) a minute back.
    #[cfg(unix)]
    fn age(dir: &Path) {
        let minute_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
        File::open(dir)
            .unwrap()
            .set_times(fs::FileTimes::new().set_modified(minute_ago))
            .unwrap();
    }

    #[cfg(unix)]
    fn rels(walk: &Walk) -> Vec<&str> {
        walk.files.iter().map(|f| f.rel.as_str()).collect()
    }

    /// A directory in the state it was listed in is not read again; one that changed is, and
    /// one that changed just before it was listed is not kept (the clock's grain could hide
    /// the next change).
    #[cfg(unix)]
    #[test]
    fn a_directory_as_it_was_listed_is_not_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let projects = dir.path().join("projects");
        fs::create_dir_all(projects.join("p")).unwrap();
        fs::write(projects.join("p/a.jsonl"), "{}\n").unwrap();
        fs::write(projects.join("p/notes.txt"), "").unwrap();
        // Changed a moment ago: listed, not kept.
        let now = super::super::time::now_millis();
        let first = walk(&projects, Vec::new(), 0, now);
        assert_eq!(rels(&first), ["p/a.jsonl"]);
        assert!(first.listings.is_empty(), "{:?}", first.listings);

        age(&projects);
        age(&projects.join("p"));
        // The change time moved to now with the modification time; a change time two seconds
        // old is what a directory left alone has.
        let later = now + 5000;
        let settled = walk(&projects, Vec::new(), 0, later);
        assert_eq!(rels(&settled), ["p/a.jsonl"]);
        let kept: Vec<&str> = settled.listings.iter().map(|l| l.rel.as_str()).collect();
        assert_eq!(kept, ["", "p"]);
        assert_eq!(settled.listings[1].files, ["a.jsonl"]);

        // Kept listings are believed while the directory's state is theirs: a listing naming a
        // file that is not there shows that the directory was not read.
        let mut believed = settled.listings.clone();
        believed[1].files.push("ghost.jsonl".into());
        let again = walk(&projects, believed.clone(), 1, later);
        assert_eq!(rels(&again), ["p/a.jsonl"]);
        assert_eq!(again.unreadable.len(), 1);
        assert!(again.unreadable[0].0.ends_with("p/ghost.jsonl"));
        assert_eq!(again.listings, believed, "kept again as they were");

        // A file added changes its directory: read again.
        fs::write(projects.join("p/b.jsonl"), "{}\n").unwrap();
        let grown = walk(&projects, believed.clone(), 1, later);
        assert_eq!(rels(&grown), ["p/a.jsonl", "p/b.jsonl"]);
        assert!(grown.unreadable.is_empty());
    }
}

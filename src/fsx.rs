//! File-system helpers, in one place: absolute paths, private directories and files, writes that
//! replace a file whole, links and copies that never follow a link they were not asked to.

use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::ui;

/// The user's home directory, as an absolute UTF-8 path.
pub(crate) fn home_dir() -> Result<PathBuf> {
    let home = dirs::home_dir()
        .context("cannot find your home directory: set HOME (or CCS_HOME for the store)")?;
    normalised_absolute(&home).context("HOME is unusable")
}

/// `path` as an absolute, UTF-8 path with no `.`, `..`, repeated or trailing separators.
///
/// Normalised lexically so the result never depends on symlinks that might change; only a path
/// containing `..` is resolved on disk, since `..` cannot be removed lexically without that.
/// Non-UTF-8 paths are refused: Claude Code (a Node program) could not address them, and every
/// shell ccs writes for must receive the path exactly.
pub(crate) fn normalised_absolute(path: &Path) -> Result<PathBuf> {
    if !path.is_absolute() {
        bail!("{:?} is not an absolute path", path);
    }
    let Some(text) = path.to_str() else {
        bail!(
            "{:?} is not valid UTF-8, which Claude Code cannot use as a path",
            path
        );
    };
    if text.contains('\0') {
        bail!("{text:?} contains a NUL byte");
    }
    if path.components().any(|c| c == Component::ParentDir) {
        let resolved =
            fs::canonicalize(path).with_context(|| format!("cannot resolve '..' in {text:?}"))?;
        let resolved = resolved.to_str().map_or(resolved.clone(), |t| {
            PathBuf::from(without_verbatim_prefix(t))
        });
        return normalised_absolute(&resolved);
    }
    Ok(path.components().collect())
}

/// `path` without the `\\?\` prefix Windows' canonical form puts before a plain drive or UNC
/// path (`\\?\C:\Users` is `C:\Users`): Claude Code, shells and users know only the plain
/// form, and the config dir must be one string. Other paths are returned as they are.
pub(crate) fn without_verbatim_prefix(path: &str) -> String {
    if let Some(rest) = path.strip_prefix(r"\\?\UNC\") {
        return format!(r"\\{rest}");
    }
    match path.strip_prefix(r"\\?\") {
        Some(rest) if rest.as_bytes().get(1) == Some(&b':') => rest.to_owned(),
        _ => path.to_owned(),
    }
}

/// Runs `work` over `from` and `into` (pairs, in order) on up to four threads of at least
/// `per_thread` items each: for many small file-system calls (a `stat`, a small read), which
/// wait on the kernel more than they compute. Each thread writes its share of `into` in place.
pub(crate) fn in_parallel<I: Sync, O: Send>(
    from: &[I],
    into: &mut [O],
    per_thread: usize,
    work: impl Fn(&mut [O], &[I]) + Sync,
) {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(4)
        .min(from.len().div_ceil(per_thread.max(1)));
    if threads <= 1 {
        return work(into, from);
    }
    let chunk = from.len().div_ceil(threads);
    let work = &work;
    std::thread::scope(|scope| {
        for (into, from) in into.chunks_mut(chunk).zip(from.chunks(chunk)) {
            scope.spawn(move || work(into, from));
        }
    });
}

/// The permission bits of the file at `path`, or `default` for one that is not there yet: a file
/// ccs rewrites keeps the mode its owner gave it (a settings file holding keys stays private).
pub(crate) fn mode_or(path: &Path, default: u32) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = fs::metadata(path) {
            return meta.permissions().mode() & 0o777;
        }
    }
    let _ = path;
    default
}

/// Whether two paths end at one file or directory, links followed.
pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

// --- private directories and files ------------------------------------------------------------

/// Creates one directory readable by its owner only, whatever the umask.
pub(crate) fn make_private_dir(dir: &Path) -> Result<()> {
    fs::create_dir(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    set_private(dir)
}

/// Creates `dir` and any missing parents, each new one private; existing ones are left alone.
pub(crate) fn make_private_dir_all(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        make_private_dir_all(parent)?;
    }
    match fs::create_dir(dir) {
        Ok(()) => set_private(dir),
        Err(e) if e.kind() == ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot create {}", dir.display())),
    }
}

#[cfg(unix)]
pub(crate) fn set_private(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .with_context(|| format!("cannot make {} private", dir.display()))
}

#[cfg(not(unix))]
pub(crate) fn set_private(_dir: &Path) -> Result<()> {
    Ok(())
}

/// Takes group and other permissions off a file.
#[cfg(unix)]
fn make_owner_only(file: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(file)
        .with_context(|| format!("cannot read {}", file.display()))?
        .permissions()
        .mode();
    fs::set_permissions(file, fs::Permissions::from_mode(mode & 0o700))
        .with_context(|| format!("cannot make {} private", file.display()))
}

#[cfg(not(unix))]
fn make_owner_only(_file: &Path) -> Result<()> {
    Ok(())
}

/// Whether others than the owner may read or write `path`.
#[cfg(unix)]
pub(crate) fn open_to_others(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.permissions().mode() & 0o077 != 0)
}

#[cfg(not(unix))]
pub(crate) fn open_to_others(_path: &Path) -> bool {
    false
}

// --- whole-file writes ------------------------------------------------------------------------

/// Writes `path` by renaming a fully written and synced temporary file over it, with `mode`
/// from the start. The rename replaces a symlink at `path` rather than writing through it, and
/// a crash mid-write leaves the old file whole.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    replace_file(path, bytes, mode, true)
}

/// The temporary copy process `pid` writes before renaming it to `file_name`.
pub(crate) fn temp_file_name(file_name: &str, pid: u32) -> String {
    format!(".{file_name}.{pid}.tmp")
}

/// The process that wrote `name`, if `name` is a temporary copy of `file_name`.
pub(crate) fn temp_file_writer(name: &str, file_name: &str) -> Option<u32> {
    let pid = name
        .strip_prefix('.')?
        .strip_prefix(file_name)?
        .strip_prefix('.')?
        .strip_suffix(".tmp")?;
    let pid: u32 = pid.parse().ok()?;
    (temp_file_name(file_name, pid) == name).then_some(pid)
}

/// [`write_atomically`], with the fsync left out when `durable` is false: for a file that may be
/// lost in a crash (a cache), but must never be seen half-written.
pub(crate) fn replace_file(path: &Path, bytes: &[u8], mode: u32, durable: bool) -> Result<()> {
    replace_file_with(path, mode, durable, |file| file.write_all(bytes))
}

/// [`replace_file`], the content written by `write` (in parts, say, none of them copied into
/// one buffer first).
pub(crate) fn replace_file_with(
    path: &Path,
    mode: u32,
    durable: bool,
    write: impl FnOnce(&mut fs::File) -> std::io::Result<()>,
) -> Result<()> {
    let dir = path.parent().context("path has no parent")?;
    // The store's own directories are private (~/.ccs holds every login below it).
    make_private_dir_all(dir)?;
    let file_name = path
        .file_name()
        .context("path has no file name")?
        .to_string_lossy();
    let temp = dir.join(temp_file_name(&file_name, std::process::id()));
    let written = (|| {
        // A file of this name can only be left by a crashed ccs whose process id was ours: no
        // live process shares it. It holds nothing anyone needs.
        let _ = fs::remove_file(&temp);
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
        #[cfg(not(unix))]
        let _ = mode;
        let mut file = options.open(&temp)?;
        write(&mut file)?;
        if durable {
            file.sync_all()?;
        }
        fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written.with_context(|| format!("cannot write {}", path.display()))
}

// --- links and copies -------------------------------------------------------------------------

pub(crate) fn is_empty_dir(dir: &Path) -> Result<bool> {
    Ok(fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .next()
        .is_none())
}

/// A link at `to` pointing at `from`: a symlink; on Windows, where a symlink needs Developer Mode
/// or an administrator, a directory falls back to a junction, which needs neither. A link is
/// made only when it resolves: Wine's symlink call, for one, reports success and makes nothing.
/// What cannot be linked here fails with [`links_unavailable`] true: the caller copies it.
pub(crate) fn symlink(from: &Path, to: &Path) -> std::io::Result<()> {
    make_symlink(from, to)?;
    if fs::symlink_metadata(to).is_ok() && to.exists() {
        return Ok(());
    }
    let _ = remove_link(to);
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "the link was made but does not resolve",
    ))
}

#[cfg(unix)]
fn make_symlink(from: &Path, to: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(from, to)
}

#[cfg(windows)]
fn make_symlink(from: &Path, to: &Path) -> std::io::Result<()> {
    if !from.is_dir() {
        return std::os::windows::fs::symlink_file(from, to);
    }
    if std::os::windows::fs::symlink_dir(from, to).is_ok() && to.exists() {
        return Ok(());
    }
    let _ = fs::remove_dir(to);
    // A disk without reparse points (FAT, exFAT, some network shares) takes no junction either.
    junction::create(from, to).map_err(|e| std::io::Error::new(std::io::ErrorKind::Unsupported, e))
}

#[cfg(not(any(unix, windows)))]
fn make_symlink(_from: &Path, _to: &Path) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

/// Whether `err` says links cannot be made here (no symlink privilege on Windows, or links that
/// do not resolve), rather than that this one failed.
pub(crate) fn links_unavailable(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|e| e.downcast_ref::<std::io::Error>())
        .any(|e| {
            e.kind() == std::io::ErrorKind::Unsupported
                || PRIVILEGE_NOT_HELD.is_some_and(|code| e.raw_os_error() == Some(code))
        })
}

/// Windows' error for a symlink made without Developer Mode or an administrator.
#[cfg(windows)]
const PRIVILEGE_NOT_HELD: Option<i32> =
    Some(windows_sys::Win32::Foundation::ERROR_PRIVILEGE_NOT_HELD.cast_signed());
/// No such error elsewhere: a symlink needs no privilege.
#[cfg(not(windows))]
const PRIVILEGE_NOT_HELD: Option<i32> = None;

/// Removes a link, never its target: on Windows a link to a directory (and a junction) goes
/// with `remove_dir`, which removes the link, not what it points to.
pub(crate) fn remove_link(path: &Path) -> std::io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if cfg!(windows) && fs::symlink_metadata(path).is_ok() => {
            fs::remove_dir(path).map_err(|_| e)
        }
        other => other,
    }
}

/// Sets `path`'s modification time to now, as a sign that what is under it changed; best
/// effort (where a directory cannot be opened as a file, Windows, ccs caches nothing by it).
pub(crate) fn touch(path: &Path) {
    let _ = fs::File::open(path).and_then(|f| f.set_modified(std::time::SystemTime::now()));
}

/// A name beside `path` for work in progress on it, unique to this process.
pub(crate) fn sibling(path: &Path, purpose: &str) -> PathBuf {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    path.with_file_name(format!(".{name}.ccs-{purpose}-{}", std::process::id()))
}

/// Removes a file, a link (never its target) or a whole directory tree (`remove_dir_all` does
/// not follow links inside it).
pub(crate) fn remove_any(path: &Path) -> std::io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        Ok(_) => remove_link(path),
        Err(e) => Err(e),
    }
}

/// Copies a directory tree, recreating symlinks as symlinks rather than following them. The
/// copy is private: directories 0700, files without group or other permissions.
pub(crate) fn copy_tree(source: &Path, target: &Path) -> Result<()> {
    copy_tree_except(source, target, &[])
}

/// [`copy_tree`], leaving out the top-level entries named in `skip`.
pub(crate) fn copy_tree_except(source: &Path, target: &Path, skip: &[&str]) -> Result<()> {
    make_private_dir(target)?;
    let entries =
        fs::read_dir(source).with_context(|| format!("cannot read {}", source.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read {}", source.display()))?;
        if entry
            .file_name()
            .to_str()
            .is_some_and(|n| skip.contains(&n))
        {
            continue;
        }
        let (from, to) = (entry.path(), target.join(entry.file_name()));
        let kind = entry
            .file_type()
            .with_context(|| format!("cannot read {}", from.display()))?;
        if kind.is_dir() {
            copy_tree(&from, &to)?;
        } else if kind.is_symlink() {
            copy_symlink(&from, &to)?;
        } else if kind.is_file() {
            copy_file(&from, &to)?;
        } else {
            ui::note(format_args!(
                "skipped {}: not a file, directory or link",
                from.display()
            ));
        }
    }
    Ok(())
}

/// Copies one file, private to the owner.
pub(crate) fn copy_file(from: &Path, to: &Path) -> Result<()> {
    fs::copy(from, to)
        .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    make_owner_only(to)
}

#[cfg(unix)]
fn copy_symlink(from: &Path, to: &Path) -> Result<()> {
    let link =
        fs::read_link(from).with_context(|| format!("cannot read link {}", from.display()))?;
    std::os::unix::fs::symlink(&link, to)
        .with_context(|| format!("cannot create link {}", to.display()))
}

#[cfg(not(unix))]
fn copy_symlink(from: &Path, to: &Path) -> Result<()> {
    copy_file(from, to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_lexically() {
        for (raw, want) in [
            ("/home/u/.ccs", "/home/u/.ccs"),
            ("/home/u/.ccs/", "/home/u/.ccs"),
            ("//home//u/./.ccs//", "/home/u/.ccs"),
        ] {
            assert_eq!(
                normalised_absolute(Path::new(raw)).unwrap(),
                Path::new(want),
                "{raw}"
            );
        }
    }

    #[test]
    fn the_verbatim_prefix_goes_from_drive_and_unc_paths_only() {
        for (raw, want) in [
            (r"\\?\C:\Users\me\.ccs", r"C:\Users\me\.ccs"),
            (r"\\?\UNC\server\share\.ccs", r"\\server\share\.ccs"),
            (r"\\?\Volume{abc}\x", r"\\?\Volume{abc}\x"),
            (r"C:\plain", r"C:\plain"),
            ("/home/me", "/home/me"),
        ] {
            assert_eq!(without_verbatim_prefix(raw), want, "{raw}");
        }
    }

    #[test]
    fn temp_file_names_read_back_and_nothing_else_parses() {
        assert_eq!(temp_file_name(".ccs.json", 9), "..ccs.json.9.tmp");
        assert_eq!(temp_file_writer("..ccs.json.9.tmp", ".ccs.json"), Some(9));
        assert_eq!(
            temp_file_writer(".config.json.123.tmp", "config.json"),
            Some(123)
        );
        for not_ours in [
            ".config.json.tmp",
            ".config.json..tmp",
            ".config.json.+1.tmp",
            ".config.json.01.tmp",
            ".notes.2024.tmp",
            "config.json.1.tmp",
        ] {
            assert_eq!(
                temp_file_writer(not_ours, "config.json"),
                None,
                "{not_ours:?}"
            );
        }
    }
}

//! Finding a program the way the system's own shells do: on Unix the first executable file of
//! that name on `PATH`; on Windows also with each extension of `PATHEXT` (`claude` is
//! `claude.cmd` from an npm install, `claude.exe` from the native one), which Rust's own lookup
//! does not try.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

/// `program` as the system would run it: a path as it is, else the first match on `PATH`.
pub(crate) fn find(program: &OsStr) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    if cfg!(windows) {
        let pathext =
            std::env::var_os("PATHEXT").unwrap_or_else(|| OsString::from(".COM;.EXE;.BAT;.CMD"));
        find_windows(program, &path, &pathext, &|p| p.is_file())
    } else {
        find_unix(program, &path, &is_executable)
    }
}

fn find_unix(program: &OsStr, path: &OsStr, runs: &dyn Fn(&Path) -> bool) -> Option<PathBuf> {
    let as_path = Path::new(program);
    if as_path.components().count() > 1 {
        return runs(as_path).then(|| as_path.to_path_buf());
    }
    std::env::split_paths(path)
        .map(|dir| dir.join(program))
        .find(|candidate| runs(candidate))
}

/// Windows' rule: a name with an extension is tried as it is; one without, with each of
/// `PATHEXT`'s in order (a file without an extension is not a program there). A name with a
/// directory in it is looked for there only.
fn find_windows(
    program: &OsStr,
    path: &OsStr,
    pathext: &OsStr,
    is_file: &dyn Fn(&Path) -> bool,
) -> Option<PathBuf> {
    let as_path = Path::new(program);
    let text = program.to_string_lossy();
    let names: Vec<OsString> = if as_path.extension().is_some() {
        vec![program.to_os_string()]
    } else {
        pathext
            .to_string_lossy()
            .split(';')
            .filter(|e| !e.is_empty())
            .map(|ext| OsString::from(format!("{text}{}", ext.to_ascii_lowercase())))
            .collect()
    };
    let has_dir = text.contains(['/', '\\']) || as_path.is_absolute();
    let dirs: Vec<PathBuf> = if has_dir {
        vec![PathBuf::new()]
    } else {
        std::env::split_paths(path).collect()
    };
    dirs.iter()
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| is_file(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lookup of an npm install on Windows: `claude` (a shell script for Git Bash),
    /// `claude.cmd` and `claude.ps1` side by side; the native one is `claude.exe`.
    #[test]
    fn windows_finds_the_cmd_shim_of_an_npm_install_by_pathext() {
        let files = [
            PathBuf::from("npm").join("claude"),
            PathBuf::from("npm").join("claude.cmd"),
            PathBuf::from("npm").join("claude.ps1"),
            PathBuf::from("native").join("claude.exe"),
        ];
        let exists = |p: &Path| files.iter().any(|f| f == p);
        let path = std::env::join_paths(["npm", "native"]).unwrap();
        let pathext = OsStr::new(".COM;.EXE;.BAT;.CMD");
        assert_eq!(
            find_windows(OsStr::new("claude"), &path, pathext, &exists),
            Some(PathBuf::from("npm").join("claude.cmd"))
        );
        let native_first = std::env::join_paths(["native", "npm"]).unwrap();
        assert_eq!(
            find_windows(OsStr::new("claude"), &native_first, pathext, &exists),
            Some(PathBuf::from("native").join("claude.exe"))
        );
        assert_eq!(
            find_windows(OsStr::new("claude.ps1"), &path, pathext, &exists),
            Some(PathBuf::from("npm").join("claude.ps1"))
        );
        assert_eq!(
            find_windows(OsStr::new("nosuch"), &path, pathext, &exists),
            None
        );
    }

    #[test]
    fn unix_takes_the_first_executable_on_path() {
        let exists = |p: &Path| p == Path::new("/b/claude");
        let path = OsStr::new("/a:/b");
        assert_eq!(
            find_unix(OsStr::new("claude"), path, &exists),
            Some(PathBuf::from("/b/claude"))
        );
        assert_eq!(
            find_unix(OsStr::new("/b/claude"), path, &exists),
            Some(PathBuf::from("/b/claude"))
        );
    }
}

//! Other programs: finding one the way the system's own shells do, and running one bounded in
//! time. Every child whose answer ccs waits for runs through [`run_bounded`], so none can hang
//! it; only `ccs exec` hands over to its command for as long as that runs, as it should.
//!
//! The lookup: on Unix the first executable file of that name on `PATH`; on Windows also with
//! each extension of `PATHEXT` (`claude` is `claude.cmd` from an npm install, `claude.exe` from
//! the native one), which Rust's own lookup does not try.

use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

// --- the lookup ---------------------------------------------------------------------------------
// By hand rather than with the `which` crate, measured: `which` took 10.9 µs a lookup where this
// takes 9.3 µs (a 12-directory PATH, found in the 10th), it added 3 KB to the binary, and on
// Windows, where `ccs exec` and `ccs NAME` look up every command, it also asks GetBinaryTypeW
// about the extension-less npm shim and lists the directory found to correct the name's case.

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

// --- a bounded run ------------------------------------------------------------------------------

/// What a program that ran to its end left: its exit code (None if a signal ended it) and
/// everything it wrote.
pub(crate) struct Output {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: Vec<u8>,
    pub(crate) stderr: Vec<u8>,
}

/// Runs `command` with `input` on its stdin and its stdout and stderr captured, for at most
/// `timeout`: then it is killed and the run is an error. Pipes are served by threads, so
/// neither a program that never reads its stdin, nor one that writes more than a pipe holds
/// before it reads, nor one that leaves a child holding its stdout open can hold ccs past the
/// deadline. Every error names the command (`sh -c 'x': timed out after 5 s; stopped it`), so
/// its arguments must hold nothing secret.
pub(crate) fn run_bounded(command: Command, input: Vec<u8>, timeout: Duration) -> Result<Output> {
    let shown = describe(&command);
    run_described(command, input, timeout).with_context(|| shown)
}

fn run_described(mut command: Command, input: Vec<u8>, timeout: Duration) -> Result<Output> {
    let deadline = Instant::now() + timeout;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot start")?;
    if let Some(mut stdin) = child.stdin.take() {
        // Dropped at the end of the thread: the program sees the end of its input. One that
        // exits without reading it all only ends the write.
        thread::spawn(move || stdin.write_all(&input));
    }
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let Some(status) = wait_until(&mut child, deadline)? else {
        bail!("timed out after {}; stopped it", seconds(timeout));
    };
    let gathered = |pipe: Receiver<Vec<u8>>| match pipe
        .recv_timeout(deadline.saturating_duration_since(Instant::now()))
    {
        Ok(bytes) => Ok(bytes),
        Err(RecvTimeoutError::Disconnected) => Ok(Vec::new()),
        Err(RecvTimeoutError::Timeout) => Err(anyhow!(
            "exited, but something it started kept its output open past {}",
            seconds(timeout)
        )),
    };
    Ok(Output {
        code: status.code(),
        stdout: gathered(stdout)?,
        stderr: gathered(stderr)?,
    })
}

/// `5 s`, `1.5 s`: a limit as a person reads it.
fn seconds(timeout: Duration) -> String {
    format!("{} s", timeout.as_secs_f64())
}

/// The command as a POSIX shell would take it, for messages: `sh -c 'my status line'`.
fn describe(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|word| shell_escape::unix::escape(word.to_string_lossy()).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Everything `pipe` yields, from a thread, once it is closed.
fn drain(pipe: Option<impl Read + Send + 'static>) -> Receiver<Vec<u8>> {
    let (sender, receiver) = mpsc::channel();
    if let Some(mut pipe) = pipe {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            let _ = sender.send(bytes);
        });
    }
    receiver
}

/// The child's exit status, or None once `deadline` has passed: the child is killed then.
fn wait_until(child: &mut Child, deadline: Instant) -> Result<Option<ExitStatus>> {
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(status) = child.try_wait().context("cannot wait for it")? {
            return Ok(Some(status));
        }
        let now = Instant::now();
        if now >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(20));
    }
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

    #[cfg(unix)]
    fn sh(script: &str) -> Command {
        let mut sh = Command::new("sh");
        sh.args(["-c", script]);
        sh
    }

    #[cfg(unix)]
    #[test]
    fn a_run_past_its_time_is_stopped_and_says_so() {
        let started = Instant::now();
        let error = run_bounded(sh("sleep 30"), Vec::new(), Duration::from_millis(300))
            .err()
            .expect("sleep 30 outlasts 0.3 s");
        assert_eq!(
            format!("{error:#}"),
            "sh -c 'sleep 30': timed out after 0.3 s; stopped it"
        );
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[cfg(unix)]
    #[test]
    fn a_chatty_program_that_never_reads_its_input_runs_to_its_end() {
        // More than a pipe holds, on both outputs, before and without reading stdin.
        let script = "head -c 1000000 /dev/zero; head -c 700000 /dev/zero >&2; exit 3";
        let out = run_bounded(sh(script), vec![b'x'; 1 << 20], Duration::from_secs(60)).unwrap();
        assert_eq!(
            (out.code, out.stdout.len(), out.stderr.len()),
            (Some(3), 1_000_000, 700_000)
        );
        let echoed = run_bounded(sh("cat"), b"in\n".to_vec(), Duration::from_secs(60)).unwrap();
        assert_eq!(echoed.stdout, b"in\n");
    }

    #[cfg(unix)]
    #[test]
    fn output_held_open_by_a_grandchild_does_not_hold_the_run() {
        let started = Instant::now();
        let error = run_bounded(
            sh("sleep 30 & echo started"),
            Vec::new(),
            Duration::from_millis(500),
        )
        .err()
        .expect("sleep holds stdout past 0.5 s");
        assert!(
            format!("{error:#}").ends_with("kept its output open past 0.5 s"),
            "{error:#}"
        );
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn a_program_that_cannot_start_is_named() {
        let error = run_bounded(
            Command::new("/nonexistent/ccs test program"),
            Vec::new(),
            Duration::from_secs(5),
        )
        .err()
        .expect("no such program");
        assert!(
            format!("{error:#}").starts_with("'/nonexistent/ccs test program': cannot start: "),
            "{error:#}"
        );
    }
}

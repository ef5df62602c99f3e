//! Shared by the integration tests: a private HOME/CCS_HOME per test, the real binary, and the
//! real shells. Nothing here ever touches the real ~/.claude or ~/.ccs.

pub(crate) mod api;
pub(crate) mod child;
pub(crate) mod completion;
// Only the tests that run the real client use it, and they are Unix only.
#[cfg(unix)]
pub(crate) mod home;
pub(crate) mod pwsh;
pub(crate) mod shells;
pub(crate) mod tmux;

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use shells::TestShell;

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_ccs");

/// `ccs list` caches no profile changed within its settle time (`SETTLE` in src/list_cache: 2 s),
/// lest a change made in the same tick of the file system's clock go unseen. A sandbox
/// [`Sandbox::with_quick_settle`] cuts it to this, through `CCS_TEST_LIST_SETTLE_MS`: still
/// longer than that tick on the file systems tests run on (a jiffy, at most 10 ms, on Linux;
/// nanoseconds on APFS), so a change after a cached listing still shows.
#[cfg(unix)]
pub(crate) const QUICK_SETTLE: Duration = Duration::from_millis(100);

/// A fake machine for one test: its own HOME and CCS_HOME in a temporary directory.
pub(crate) struct Sandbox {
    _dir: tempfile::TempDir,
    pub(crate) root: PathBuf,
    pub(crate) home: PathBuf,
    pub(crate) ccs_home: PathBuf,
    settle: Option<Duration>,
    register_quiet: Option<Duration>,
}

impl Sandbox {
    pub(crate) fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("ccs-test-")
            .tempdir()
            .unwrap();
        let root = dir.path().to_path_buf();
        let home = root.join("home");
        std::fs::create_dir(&home).unwrap();
        let ccs_home = home.join(".ccs");
        Self {
            _dir: dir,
            root,
            home,
            ccs_home,
            settle: None,
            register_quiet: None,
        }
    }

    /// The same, with CCS_HOME at a path of the caller's choosing (hostile names included).
    pub(crate) fn with_ccs_home(name: &str) -> Self {
        let mut sandbox = Self::new();
        sandbox.ccs_home = sandbox.root.join(name);
        sandbox
    }

    /// A clean environment: no variable of the developer's leaks into the test, and the binary
    /// under test is the `ccs` found on PATH.
    pub(crate) fn env(&self, cmd: &mut Command) {
        cmd.env_clear()
            .env("PATH", path_with_bin())
            .env("HOME", &self.home)
            .env("CCS_HOME", &self.ccs_home)
            .env("LANG", "C.UTF-8")
            .env("LC_ALL", "C.UTF-8")
            .env("TERM", "xterm-256color");
        if let Some(settle) = self.settle {
            cmd.env("CCS_TEST_LIST_SETTLE_MS", settle.as_millis().to_string());
        }
        if let Some(quiet) = self.register_quiet {
            cmd.env("CCS_TEST_REGISTER_QUIET_MS", quiet.as_millis().to_string());
        }
    }

    /// `ccs ARGS` in this sandbox.
    pub(crate) fn ccs<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = Command::new(BIN);
        self.env(&mut cmd);
        cmd.args(args).stdin(Stdio::null());
        cmd
    }

    pub(crate) fn run<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.ccs(args).output().unwrap()
    }

    /// Runs ccs and insists it succeeded; returns stdout.
    pub(crate) fn ok<I, S>(&self, args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "ccs failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub(crate) fn create(&self, name: &str) -> PathBuf {
        self.ok(["create", name]);
        self.instance(name)
    }

    pub(crate) fn instance(&self, name: &str) -> PathBuf {
        self.ccs_home.join("instances").join(name)
    }

    /// A sandbox with these profiles created.
    pub(crate) fn with_profiles(names: &[&str]) -> Self {
        let sandbox = Self::new();
        for name in names {
            sandbox.create(name);
        }
        sandbox
    }

    /// `shell` (a row of [`shells`], or its name) with its script flags, in this sandbox.
    pub(crate) fn shell_command(&self, shell: impl Into<TestShell>) -> Command {
        let mut cmd = shell.into().command();
        self.env(&mut cmd);
        cmd
    }

    /// Runs `script` in a real non-interactive shell (no rc files) in this sandbox. `shell` is a
    /// row of [`shells`] or its name ("bash", "zsh", "fish").
    pub(crate) fn shell(&self, shell: impl Into<TestShell>, script: &str) -> Output {
        let mut cmd = self.shell_command(shell);
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // The script goes in on stdin, so no argument quoting stands between it and the shell.
        // It is fed from a thread: a long script and its output would otherwise fill both pipes
        // and leave each side waiting for the other.
        let mut child = cmd.spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let script = script.to_owned();
        let feeder = std::thread::spawn(move || stdin.write_all(script.as_bytes()));
        let out = child.wait_with_output().unwrap();
        feeder.join().unwrap().unwrap();
        out
    }
}

/// For the tests of `ccs list`'s cache, which are Unix only.
#[cfg(unix)]
impl Sandbox {
    /// This sandbox with `ccs list`'s cache settling in [`QUICK_SETTLE`] instead of 2 s: a test
    /// waits for a cached listing with [`Sandbox::list_until_cached`] instead of sleeping.
    pub(crate) fn with_quick_settle(mut self) -> Self {
        self.settle = Some(QUICK_SETTLE);
        self
    }

    /// This sandbox with `ccs usage` taking a client's register as quiet after `quiet`
    /// instead of a minute (`CCS_TEST_REGISTER_QUIET_MS`; see src/usage/stamp.rs).
    pub(crate) fn with_register_quiet(mut self, quiet: Duration) -> Self {
        self.register_quiet = Some(quiet);
        self
    }

    /// Runs the listing `ccs ARGS` (`list`, `list --json`) until its cache holds every profile in
    /// `names`, which it does once they have settled; returns the output of that listing, the one
    /// that measured and cached them. A bounded poll, for a sandbox
    /// [`Sandbox::with_quick_settle`].
    pub(crate) fn list_until_cached(&self, args: &[&str], names: &[&str]) -> Output {
        use std::time::Instant;
        let cache = self.ccs_home.join("list-cache.tsv");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let out = self.run(args);
            assert!(out.status.success(), "ccs {args:?}: {}", stderr(&out));
            // Every line a listing leaves in the cache holds at that listing: a profile's line
            // that no longer holds is replaced or dropped.
            let text = std::fs::read_to_string(&cache).unwrap_or_default();
            let cached = |name: &&str| text.lines().any(|l| l.split('\t').next() == Some(*name));
            if names.iter().all(cached) {
                return out;
            }
            assert!(
                Instant::now() < deadline,
                "ccs list never cached {names:?}:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// PATH with the directory of the binary under test first, and nushell's last when it was
/// fetched (`tests/fetch-nushell`; it is no Debian package).
pub(crate) fn path_with_bin() -> std::ffi::OsString {
    let bin_dir = Path::new(BIN).parent().unwrap();
    let mut dirs = vec![bin_dir.to_path_buf()];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let nu_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/nushell/bin");
    if nu_dir.is_dir() {
        dirs.push(nu_dir);
    }
    std::env::join_paths(dirs).unwrap()
}

/// Whether something a test needs is here. Locally a missing one skips the test with a notice;
/// under CI=true it fails the test, so CI never passes by skipping. `missing` says what is
/// missing and how to get it.
pub(crate) fn required(available: bool, missing: &str) -> bool {
    if !available {
        if std::env::var_os("CI").is_some_and(|v| v == "true") {
            panic!("required under CI=true: {missing}");
        }
        eprintln!("NOTICE: skipping: {missing}");
    }
    available
}

/// Whether `tool` is on PATH, quietly.
pub(crate) fn on_path(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether an external tool (a shell, tmux, shellcheck) can be used; see [`required`].
pub(crate) fn have(tool: &str) -> bool {
    required(on_path(tool), &format!("{tool} is not installed"))
}

/// The real client `claude` as the client of the profile at `dir`, against the stand-in API at
/// `api_url` (`api::StandIn`): the sandbox's environment, a dummy API key, and nothing that
/// would reach the network otherwise.
#[cfg(unix)]
pub(crate) fn client_command(
    sandbox: &Sandbox,
    claude: &Path,
    dir: &Path,
    api_url: &str,
) -> Command {
    let mut cmd = Command::new(claude);
    sandbox.env(&mut cmd);
    cmd.env("CLAUDE_CONFIG_DIR", dir)
        .env("ANTHROPIC_BASE_URL", api_url)
        .env("ANTHROPIC_API_KEY", "sk-ant-api03-dummy")
        .env("DISABLE_TELEMETRY", "1")
        .env("DISABLE_ERROR_REPORTING", "1")
        .env("DISABLE_AUTOUPDATER", "1")
        .stdin(Stdio::null());
    cmd
}

/// This process's start time as the client records it in a session record on Linux
/// (`procStart`: field 22 of `/proc/<pid>/stat`), for a record of a client that runs. Linux
/// only: elsewhere there is no `/proc` to read.
#[cfg(unix)]
pub(crate) fn own_proc_start() -> String {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    after_name.split(' ').nth(19).unwrap().to_owned()
}

/// How long one run of the real Claude Code may take (see [`child::output_within`]).
pub(crate) const CLIENT_TIMEOUT: Duration = Duration::from_secs(180);

/// The real Claude Code: `CCS_TEST_CLAUDE`, else the pinned copy `tests/fetch-claude-code`
/// installs into target/claude-code; see [`required`].
pub(crate) fn claude() -> Option<PathBuf> {
    let pinned =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("target/claude-code/node_modules/.bin/claude");
    let found = std::env::var_os("CCS_TEST_CLAUDE")
        .map(PathBuf::from)
        .or_else(|| pinned.is_file().then_some(pinned));
    required(
        found.is_some(),
        "Claude Code is not installed (run tests/fetch-claude-code)",
    );
    found
}

/// bash-preexec (what atuin, iTerm2's integration and many prompt setups load): the copy
/// `tests/fetch-bash-preexec` puts in target/, or `CCS_TEST_BASH_PREEXEC`; see [`required`].
pub(crate) fn bash_preexec() -> Option<PathBuf> {
    let fetched = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bash-preexec/bash-preexec.sh");
    let found = std::env::var_os("CCS_TEST_BASH_PREEXEC")
        .map(PathBuf::from)
        .or_else(|| fetched.is_file().then_some(fetched));
    let missing = "bash-preexec is not fetched (run tests/fetch-bash-preexec)";
    required(found.is_some(), missing);
    found
}

pub(crate) fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts a shell run succeeded and printed nothing on stderr; returns stdout.
pub(crate) fn clean_success(out: &Output, what: &str) -> String {
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{what}: status {:?}\nstdout: {}\nstderr: {}",
        out.status,
        stdout(out),
        stderr(out)
    );
    stdout(out)
}

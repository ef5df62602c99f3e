//! The real Windows build, `ccs.exe` (x86_64-pc-windows-gnu, release, from
//! `tests/cross/build-exe`, or `CCS_TEST_WINDOWS_EXE`), run under Wine 8 in the checkout's own
//! prefix (`tests/cross/setup`, in `target/cross/wineprefix`): each command checked for its exact
//! output and exit code, and what it did checked on disk through the Linux side.
//!
//! Wine is faithful for what is asserted here: Windows paths and drive letters, case-insensitive
//! lookups, names Windows cannot hold, finding a program through `PATHEXT`, running a `.cmd`
//! and an `.exe`, how a Windows program's runtime splits its command line, exit codes, and bytes
//! on pipes. It is not for what is left unasserted:
//!
//! - **links**: Wine 8's `CreateSymbolicLinkW` reports success and makes nothing, and it makes no
//!   junctions, so under Wine every shared item is a copy. What ccs reports as linked or copied is
//!   checked against what the Linux side finds (a link must resolve), and every item is read
//!   through it; junctions and directory links in `sync`, `clean` and `remove` are not seen.
//! - **a case-only rename**: Wine's rename (and its `ren`) leaves `work` as `work` when asked for
//!   `Work`, as FAT does; ccs then renames in two steps, which is what is asserted here (one
//!   rename's behaviour on a real NTFS volume is not).
//! - **permissions** (ACLs), **the console's code page**, and **PowerShell** (none here: its code
//!   is compared byte for byte, and decoded by its verbatim-string rules, never run).
//! - **`%` in an argument to a `.cmd`**: Wine's `cmd` expands variables again in `%*`, which
//!   Windows' does not; the other characters cmd treats specially are checked.
//! - **npm's `claude.cmd` as written**: its last line jumps to a label that does not exist
//!   (`goto #_undefined_# 2>NUL || ...`) so that Ctrl+C asks no "Terminate batch job?"; Wine's
//!   `cmd` ends the batch there instead of running the rest of the line. The shim here is npm's
//!   (cmd-shim 8) without that jump.
//! - **Ctrl+C** reaching ccs and the command it runs, and **exit codes above 255** (Wine hands
//!   Linux only the low 8 bits).
//! - **the default store, `~\.ccs`**: no test may use the prefix's user profile (below).
//!
//! On Windows `dirs::home_dir` ignores `USERPROFILE` and `HOME` (under Wine too), so every run
//! sets `CCS_HOME` and `CCS_SHARED_FROM` to the test's own directories, and each test checks that
//! no `.ccs` or `.claude` appeared in the prefix's user profiles. The Wine session is started
//! once, its output on /dev/null: the services its first program starts inherit that program's
//! stdout, and would hold a capturing pipe open for seconds.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use crate::common;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const WINE: &str = "/usr/lib/wine/wine64";
const WINESERVER: &str = "/usr/lib/wine/wineserver";

/// What runs ccs.exe: Wine's loader in the checkout's prefix, and the programs it runs.
struct Wine {
    cross: PathBuf,
    exe: PathBuf,
    node: PathBuf,
}

impl Wine {
    /// Found once, with the Wine session started; `None` (skipped locally, a failure under
    /// CI=true) when ccs.exe, Wine or its prefix is missing.
    fn get() -> Option<&'static Wine> {
        static WINE_RUN: OnceLock<Option<Wine>> = OnceLock::new();
        WINE_RUN.get_or_init(Wine::start).as_ref()
    }

    fn start() -> Option<Wine> {
        let cross = Path::new(ROOT).join("target/cross");
        let exe = std::env::var_os("CCS_TEST_WINDOWS_EXE")
            .map(PathBuf::from)
            .unwrap_or_else(|| cross.join("ccs.exe"));
        let node = cross.join("node.exe");
        let prefix = cross.join("wineprefix");
        let present = exe.is_file()
            && node.is_file()
            && Path::new(WINE).is_file()
            && prefix.join("system.reg").is_file()
            && prefix
                .join("drive_c/windows/system32/bcryptprimitives.dll")
                .is_file();
        let missing =
            "ccs.exe or Wine is missing (run tests/cross/setup and tests/cross/build-exe)";
        if !common::required(present, missing) {
            return None;
        }
        warn_if_stale(&exe);
        let wine = Wine { cross, exe, node };
        // The session: a server that outlives each program by 10 s (the suite leaves no gap that
        // long), then a first program with its stdio on /dev/null.
        for (program, args) in [(WINESERVER, &["-p10"][..]), (WINE, &["cmd", "/c", "exit"])] {
            let mut cmd = Command::new(program);
            wine.env(&mut cmd);
            cmd.args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            let _ = cmd.status();
        }
        Some(wine)
    }

    /// The environment of every Wine process: the prefix, quiet, and nothing of the developer's
    /// (Wine passes the Unix environment into Windows'). HOME is only for Wine itself.
    fn env(&self, cmd: &mut Command) {
        cmd.env_clear()
            .env("WINEPREFIX", self.cross.join("wineprefix"))
            .env("WINEDEBUG", "-all")
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=;winemenubuilder.exe=d")
            .env("HOME", self.cross.join("home"))
            .env("PATH", "/usr/bin:/bin")
            .env("LANG", "C.UTF-8");
        if let Some(user) = std::env::var_os("USER") {
            cmd.env("USER", user);
        }
    }

    /// The Windows pid of a running system process (`services.exe`), as `wmic` lists it.
    fn pid_of(&self, image: &str) -> u32 {
        let mut cmd = Command::new(WINE);
        self.env(&mut cmd);
        let out = cmd
            .args(["wmic", "process", "get", "name,processid"])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        // wmic writes UTF-16 (and Wine passes it through as bytes).
        let units: Vec<u16> = out
            .stdout
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .collect();
        let listing = String::from_utf16_lossy(&units);
        listing
            .lines()
            .find_map(|line| {
                let mut words = line.split_whitespace();
                (words.next()? == image).then(|| words.next()?.parse().ok())?
            })
            .unwrap_or_else(|| panic!("{image} not in wmic's list:\n{listing}"))
    }

    /// The prefix's user profiles (`C:\users\<user>`), which no test may write to.
    fn user_profiles(&self) -> Vec<PathBuf> {
        fs::read_dir(self.cross.join("wineprefix/drive_c/users"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .collect()
    }
}

/// A notice when ccs.exe is older than the source: then it tests another ccs.
fn warn_if_stale(exe: &Path) {
    let Ok(built) = fs::metadata(exe).and_then(|m| m.modified()) else {
        return;
    };
    let mut newer = Vec::new();
    let mut dirs = vec![Path::new(ROOT).join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t > built)
            {
                newer.push(path);
            }
        }
    }
    if let Some(first) = newer.first() {
        eprintln!(
            "NOTICE: {} is older than {} (and {} more): run tests/cross/build-exe",
            exe.display(),
            first.display(),
            newer.len() - 1
        );
    }
}

/// `path` as Windows programs under Wine see it: `/` is drive Z:.
fn win(path: &Path) -> String {
    format!("Z:{}", path.display()).replace('/', "\\")
}

/// One test's machine: a store, a directory to share from, an npm install of claude (its
/// `claude.cmd`, and node.exe), a project directory to run in, all in a temporary directory.
struct Sandbox {
    wine: &'static Wine,
    _dir: tempfile::TempDir,
    store: PathBuf,
    shared: PathBuf,
    npm: PathBuf,
    project: PathBuf,
}

/// npm's `claude.cmd` (cmd-shim 8, for a package whose bin starts `#!/usr/bin/env node`), less
/// the jump to a missing label Wine's cmd stops at (see the file's comment).
const CLAUDE_CMD: &str = "@ECHO off\r\n\
GOTO start\r\n\
:find_dp0\r\n\
SET dp0=%~dp0\r\n\
EXIT /b\r\n\
:start\r\n\
SETLOCAL\r\n\
CALL :find_dp0\r\n\
\r\n\
IF EXIST \"%dp0%\\node.exe\" (\r\n\
  SET \"_prog=%dp0%\\node.exe\"\r\n\
) ELSE (\r\n\
  SET \"_prog=node\"\r\n\
  SET PATHEXT=%PATHEXT:;.JS;=;%\r\n\
)\r\n\
\r\n\
endLocal & \"%_prog%\"  \"%dp0%\\node_modules\\@anthropic-ai\\claude-code\\cli.js\" %*\r\n";

impl Sandbox {
    fn new() -> Option<Self> {
        Self::with_store("store")
    }

    /// The same, with the store at `root/<store>` (any name, non-ASCII ones included).
    fn with_store(store: &str) -> Option<Self> {
        let wine = Wine::get()?;
        let dir = tempfile::Builder::new()
            .prefix("ccs-wine-")
            .tempdir()
            .unwrap();
        let root = dir.path().to_path_buf();
        let sandbox = Self {
            wine,
            store: root.join(store),
            shared: root.join("shared"),
            npm: root.join("npm"),
            project: root.join("project"),
            _dir: dir,
        };
        for dir in [&sandbox.shared, &sandbox.npm, &sandbox.project] {
            fs::create_dir(dir).unwrap();
        }
        fs::write(sandbox.npm.join("claude.cmd"), CLAUDE_CMD).unwrap();
        fs::copy(&wine.node, sandbox.npm.join("node.exe")).unwrap();
        Some(sandbox)
    }

    /// `ccs.exe ARGS` under Wine, in the project directory, on this sandbox's store and shared
    /// directory, with the npm directory first on the Windows PATH (WINEPATH).
    fn ccs<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = Command::new(WINE);
        self.wine.env(&mut cmd);
        cmd.env("CCS_HOME", win(&self.store))
            .env("CCS_SHARED_FROM", win(&self.shared))
            .env("WINEPATH", win(&self.npm))
            .current_dir(&self.project)
            .stdin(Stdio::null())
            .arg(&self.wine.exe)
            .args(args);
        cmd
    }

    fn run<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.ccs(args).output().unwrap()
    }

    /// Runs ccs.exe, insisting it succeeded with nothing on stderr; returns stdout.
    fn ok<I, S>(&self, args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = self.ccs(args);
        let out = cmd.output().unwrap();
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{:?}: {:?}\nstdout: {}\nstderr: {}",
            cmd.get_args().skip(1).collect::<Vec<_>>(),
            out.status,
            common::stdout(&out),
            common::stderr(&out)
        );
        common::stdout(&out)
    }

    fn instance(&self, name: &str) -> PathBuf {
        self.store.join("instances").join(name)
    }

    /// `~/.claude` as a user has it: commands, one skill, settings and memory.
    fn share_like_a_user(&self) {
        fs::create_dir_all(self.shared.join("commands")).unwrap();
        fs::create_dir_all(self.shared.join("skills/review")).unwrap();
        fs::write(self.shared.join("commands/deploy.md"), "Deploy it.\n").unwrap();
        fs::write(self.shared.join("skills/review/SKILL.md"), "Review it.\n").unwrap();
        fs::write(self.shared.join("settings.json"), "{\"model\":\"opus\"}\n").unwrap();
        fs::write(self.shared.join("CLAUDE.md"), "Be brief.\n").unwrap();
    }

    /// The profiles' directory names, as on disk.
    fn profiles(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.store.join("instances"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }
}

impl Drop for Sandbox {
    /// Nothing any test runs may reach the prefix's own user profile.
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        for profile in self.wine.user_profiles() {
            for name in [".ccs", ".claude"] {
                assert!(
                    fs::symlink_metadata(profile.join(name)).is_err(),
                    "{} appeared",
                    profile.join(name).display()
                );
            }
        }
    }
}

/// Asserts the whole outcome of one run: exit code, stdout and stderr, exactly.
#[track_caller]
fn assert_outcome(out: &Output, code: i32, stdout: &str, stderr: &str) {
    assert_eq!(
        (
            out.status.code(),
            common::stdout(out).as_str(),
            common::stderr(out).as_str()
        ),
        (Some(code), stdout, stderr)
    );
}

/// Each file under `dir` (following links, as a program reading the profile would), relative,
/// with its contents.
fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let bytes = fs::read(&path).unwrap();
                files.push((path.strip_prefix(dir).unwrap().to_path_buf(), bytes));
            }
        }
    }
    files.sort();
    files
}

/// The bytes ccs counts on Windows for `dir` (file lengths; directories and links none).
fn windows_size(dir: &Path) -> u64 {
    let meta = fs::symlink_metadata(dir).unwrap();
    if meta.is_file() {
        return meta.len();
    }
    if !meta.is_dir() {
        return 0;
    }
    fs::read_dir(dir)
        .unwrap()
        .map(|e| windows_size(&e.unwrap().path()))
        .sum()
}

// --- create, sharing and sync --------------------------------------------------------------

#[test]
fn create_shares_each_item_and_says_which_were_linked_and_which_copied() {
    let Some(s) = Sandbox::new() else { return };
    s.share_like_a_user();
    let out = s.run(["create", "work"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let work = s.instance("work");

    // What the Linux side finds: a link (which must resolve) or a copy, for each item. skills/
    // is shared entry by entry: its entry tells.
    let (mut linked, mut copied) = (Vec::new(), Vec::new());
    for (item, probe) in [
        ("commands/", "commands"),
        ("skills/", "skills/review"),
        ("settings.json", "settings.json"),
        ("CLAUDE.md", "CLAUDE.md"),
    ] {
        let here = work.join(probe);
        let meta = fs::symlink_metadata(&here).unwrap_or_else(|_| panic!("{probe} missing"));
        if meta.file_type().is_symlink() {
            assert!(here.exists(), "{probe} is a link to nothing");
            linked.push(item);
        } else {
            copied.push(item);
        }
    }
    let from = win(&s.shared);
    let sharing = match (linked.is_empty(), copied.is_empty()) {
        (false, true) => format!("It shares {} with {from} (linked).", linked.join(" ")),
        (true, false) => format!(
            "It shares {} with {from}, copied (no links here: copies ccs keeps in step).",
            copied.join(" ")
        ),
        _ => format!(
            "It shares {} with {from} (linked), and {} copied (no links here: copies ccs keeps \
             in step).",
            linked.join(" "),
            copied.join(" ")
        ),
    };
    assert_outcome(
        &out,
        0,
        &format!(
            "Created profile 'work' at {}\n{sharing}\nSwitch a terminal to it with: ccs use work\n",
            win(&work)
        ),
        "",
    );
    // Every shared file is there to read, as it is in the source.
    for (path, bytes) in files_under(&s.shared) {
        assert_eq!(
            fs::read(work.join(&path)).ok().as_ref(),
            Some(&bytes),
            "{}",
            path.display()
        );
    }
    // The profile's own: its session-env/, and nothing created in the source.
    assert!(work.join("session-env").is_dir());
    assert_eq!(files_under(&s.shared).len(), 4);
}

/// A copy made where no link could be is kept in step by `sync`, and listed and shown as shared.
#[test]
fn sync_keeps_the_copies_in_step_and_list_and_show_count_them_shared() {
    let Some(s) = Sandbox::new() else { return };
    s.share_like_a_user();
    s.ok(["create", "work"]);
    let work = s.instance("work");
    let copies = !fs::symlink_metadata(work.join("settings.json"))
        .unwrap()
        .file_type()
        .is_symlink();
    fs::write(s.shared.join("settings.json"), "{\"model\":\"sonnet\"}\n").unwrap();
    fs::write(s.shared.join("commands/test.md"), "Test it.\n").unwrap();
    fs::create_dir(s.shared.join("skills/lint")).unwrap();
    fs::write(s.shared.join("skills/lint/SKILL.md"), "Lint it.\n").unwrap();
    let synced = s.ok(["sync", "work"]);
    if copies {
        assert_eq!(
            synced,
            "work:\n  \
             updated   commands/      +test.md\n  \
             updated   skills/        +lint/ +lint/SKILL.md\n  \
             updated   settings.json  ~(content)\n"
        );
    }
    for (path, bytes) in files_under(&s.shared) {
        assert_eq!(
            fs::read(work.join(&path)).ok().as_ref(),
            Some(&bytes),
            "{}",
            path.display()
        );
    }
    assert_eq!(s.ok(["sync", "work"]), "work: up to date\n");

    // A copy edited in the profile is the profile's own: kept, never overwritten.
    fs::write(work.join("CLAUDE.md"), "Mine.\n").unwrap();
    fs::write(s.shared.join("CLAUDE.md"), "Be briefer.\n").unwrap();
    let synced = s.ok(["sync", "work"]);
    if copies {
        assert_eq!(
            synced,
            "work:\n  kept      CLAUDE.md      edited in the profile since ccs copied it, not \
             overwritten (differs from the source: ~(content))\n"
        );
        assert_eq!(
            fs::read_to_string(work.join("CLAUDE.md")).unwrap(),
            "Mine.\n"
        );
    }

    let size = windows_size(&work);
    assert!(size < 1024, "{size}");
    assert_eq!(
        s.ok(["list"]),
        format!(
            "  work  not logged in  3 shared, 1 own  {:>7}\n",
            format!("{size} B")
        )
    );
    let show = s.ok(["show", "work"]);
    let shared = win(&s.shared);
    for line in [
        format!("    commands/      shared, a copy of {shared}\\commands"),
        format!("    skills/        shared, a copy of {shared}\\skills"),
        format!("    settings.json  shared, a copy of {shared}\\settings.json"),
        "    CLAUDE.md      the profile's own".to_owned(),
    ] {
        if copies {
            assert!(show.lines().any(|l| l == line), "{line:?} in\n{show}");
        }
    }
}

// --- list, use, off, current -----------------------------------------------------------------

/// A login as Claude Code writes it (never a token printed).
fn log_in(profile: &Path) {
    fs::write(
        profile.join(".credentials.json"),
        r#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-SECRET","subscriptionType":"max"}}"#,
    )
    .unwrap();
    fs::write(
        profile.join(".claude.json"),
        r#"{"oauthAccount":{"emailAddress":"me@example.com","organizationName":"Acme"}}"#,
    )
    .unwrap();
}

#[test]
fn list_shows_each_account_and_marks_the_active_profile_in_any_case() {
    let Some(s) = Sandbox::new() else { return };
    s.ok(["create", "work", "--isolated"]);
    s.ok(["create", "personal", "--isolated"]);
    log_in(&s.instance("work"));
    let listing = |active: &str| {
        format!(
            "  personal  not logged in                isolated     46 B\n\
             {active} work      max · me@example.com (Acme)  isolated    202 B\n"
        )
    };
    assert_eq!(s.ok(["list"]), listing(" "));
    assert_eq!(windows_size(&s.instance("work")), 202);
    // The config dir as a user may type it, in another case: the profile on disk.
    let shouted = win(&s.instance("WORK"));
    let out = s
        .ccs(["list"])
        .env("CLAUDE_CONFIG_DIR", &shouted)
        .output()
        .unwrap();
    assert_outcome(&out, 0, &listing("*"), "");
    let out = s
        .ccs(["current"])
        .env("CLAUDE_CONFIG_DIR", &shouted)
        .output()
        .unwrap();
    assert_outcome(&out, 0, "work\n", "");
    let out = s
        .ccs(["current", "-v"])
        .env("CLAUDE_CONFIG_DIR", win(&s.instance("work")))
        .output()
        .unwrap();
    let verbose = format!(
        "work\n  account: max · me@example.com (Acme)\n  path:    {}\n  size:    202 B\n",
        win(&s.instance("work"))
    );
    assert_outcome(&out, 0, &verbose, "");
    assert_outcome(&s.run(["current"]), 1, "", "");
}

/// `use` prints PowerShell's code, byte for byte, with `--shell powershell` and without a shell
/// named (Windows has no `$SHELL`: PowerShell is the one to write for); `off` too.
#[test]
fn use_and_off_print_exact_powershell_code() {
    let Some(s) = Sandbox::new() else { return };
    s.ok(["create", "work", "--isolated"]);
    let code = format!(
        "$env:CLAUDE_CONFIG_DIR = '{}';\n$env:CCS_PROFILE = 'work';\n$env:CCS_PREVIOUS = '~/.claude';\n",
        win(&s.instance("work"))
    );
    for args in [
        &["use", "work", "--shell", "powershell"][..],
        &["use", "work"],
    ] {
        let out = s.run(args);
        assert_eq!(String::from_utf8(out.stdout).unwrap(), code, "{args:?}");
        assert!(out.status.success() && out.stderr.is_empty(), "{args:?}");
    }
    let off = "$env:CLAUDE_CONFIG_DIR = $null;\n$env:CCS_PROFILE = $null;\n";
    assert_eq!(s.ok(["off"]), off);
    assert_outcome(
        &s.run(["use", "nosuch"]),
        1,
        "",
        "ccs: profile 'nosuch' does not exist (profiles: work; create it with: ccs create nosuch)\n",
    );
}

/// What a PowerShell expression of verbatim strings and `[char]` codes joined by `+` (in
/// parentheses) evaluates to: the decoder of what `use` prints, by PowerShell's rules.
fn powershell_value(expression: &str) -> String {
    let inner = expression
        .strip_prefix('(')
        .and_then(|e| e.strip_suffix(')'))
        .unwrap_or(expression);
    let mut units: Vec<u16> = Vec::new();
    let mut rest = inner;
    while !rest.is_empty() {
        if let Some(code) = rest.strip_prefix("[char]0x") {
            units.push(u16::from_str_radix(&code[..4], 16).unwrap());
            rest = &code[4..];
        } else {
            let body = rest.strip_prefix('\'').expect(expression);
            let mut text = String::new();
            let mut chars = body.char_indices();
            rest = loop {
                let (at, c) = chars.next().expect("an unterminated string");
                if c != '\'' {
                    text.push(c);
                } else if body[at + 1..].starts_with('\'') {
                    text.push('\'');
                    chars.next();
                } else {
                    break &body[at + 1..];
                }
            };
            units.extend(text.encode_utf16());
        }
        rest = rest.strip_prefix(" + ").unwrap_or(rest);
    }
    String::from_utf16(&units).unwrap()
}

/// A store under a name with a quote, accented letters, a euro sign and a character outside the
/// BMP: the code is ASCII (PowerShell reads a program's output in the console's code page), and
/// decodes to the exact path.
#[test]
fn use_prints_ascii_powershell_code_for_a_non_ascii_store() {
    let Some(s) = Sandbox::with_store("O'Brien é €𝄞") else {
        return;
    };
    s.ok(["create", "work", "--isolated"]);
    let out = s.ok(["use", "work"]);
    assert!(out.is_ascii(), "{out}");
    let parent = win(s.store.parent().unwrap());
    assert_eq!(
        out,
        format!(
            "$env:CLAUDE_CONFIG_DIR = ('{parent}\\O''Brien ' + [char]0x00E9 + ' ' + [char]0x20AC \
             + [char]0xD834 + [char]0xDD1E + '\\instances\\work');\n$env:CCS_PROFILE = 'work';\n\
             $env:CCS_PREVIOUS = '~/.claude';\n"
        )
    );
    let value = out
        .lines()
        .next()
        .unwrap()
        .strip_prefix("$env:CLAUDE_CONFIG_DIR = ")
        .and_then(|v| v.strip_suffix(';'))
        .unwrap();
    assert_eq!(powershell_value(value), win(&s.instance("work")));
    assert!(s.instance("work").join(".ccs.json").is_file());
}

// --- exec ------------------------------------------------------------------------------------

/// What the node.exe stand-in prints for claude.cmd run as `work` with `args`.
fn claude_saw(s: &Sandbox, args: &[&str]) -> String {
    let mut text = format!(
        "arg [{}\\node_modules\\@anthropic-ai\\claude-code\\cli.js]\n",
        win(&s.npm) + "\\"
    );
    for arg in args {
        text += &format!("arg [{arg}]\n");
    }
    text + &format!(
        "CLAUDE_CONFIG_DIR={}\nCCS_PROFILE=work\n",
        win(&s.instance("work"))
    )
}

/// `claude` is npm's claude.cmd, found through PATHEXT; cmd.exe runs it and it runs node.exe:
/// the arguments arrive as they were given, characters cmd treats specially included, and the
/// exit code comes back.
#[test]
fn exec_runs_npm_claude_cmd_with_arguments_intact_and_its_exit_code() {
    let Some(s) = Sandbox::new() else { return };
    s.ok(["create", "work", "--isolated"]);
    let args = [
        "say \"hi\"",
        "a & b",
        " two  spaces ",
        "C:\\dir\\",
        "a|b<c>d^e",
        "",
        "é",
    ];
    let mut run = vec!["exec", "work", "--", "claude"];
    run.extend(args);
    assert_outcome(&s.run(&run), 0, &claude_saw(&s, &args), "");
    let out = s
        .ccs(["exec", "work", "--", "claude", "-p", "x"])
        .env("CCS_TEST_EXIT", "7")
        .output()
        .unwrap();
    assert_outcome(&out, 7, &claude_saw(&s, &["-p", "x"]), "");
    // `ccs NAME ARGS` is `ccs exec NAME -- claude ARGS`.
    assert_outcome(
        &s.run(["work", "do \"it\" & more"]),
        0,
        &claude_saw(&s, &["do \"it\" & more"]),
        "",
    );
    assert_outcome(
        &s.run(["exec", "work", "--", "no-such-program"]),
        127,
        "",
        "ccs: cannot run \"no-such-program\": program not found\n",
    );
    assert_outcome(
        &s.run(["exec", "nosuch", "--", "claude"]),
        1,
        "",
        "ccs: profile 'nosuch' does not exist (profiles: work; create it with: ccs create nosuch)\n",
    );
}

// --- case, rename, remove --------------------------------------------------------------------

#[test]
fn a_name_in_another_case_is_the_profile_on_disk() {
    let Some(s) = Sandbox::new() else { return };
    s.ok(["create", "work", "--isolated"]);
    let work = win(&s.instance("work"));
    assert_eq!(
        s.ok(["use", "WORK"]),
        format!(
            "$env:CLAUDE_CONFIG_DIR = '{work}';\n$env:CCS_PROFILE = 'work';\n\
             $env:CCS_PREVIOUS = '~/.claude';\n"
        )
    );
    assert_outcome(
        &s.run(["create", "WORK"]),
        1,
        "",
        &format!("ccs: profile 'work' already exists at {work}\n"),
    );
    // A case-only rename ends with the new spelling on disk: Wine's rename keeps the old one
    // (see the file's comment), so ccs renames in two steps; `use` in either case reaches it.
    assert_outcome(
        &s.run(["rename", "work", "Work"]),
        0,
        "",
        &format!(
            "ccs: renamed profile 'work' to 'Work' ({})\n\
             ccs: other terminals on 'work' need `ccs use Work`, and pins of it `ccs pin Work`\n",
            win(&s.instance("Work"))
        ),
    );
    let on_disk = s.profiles();
    assert_eq!(on_disk, ["Work"]);
    let code = format!(
        "$env:CLAUDE_CONFIG_DIR = '{}';\n$env:CCS_PROFILE = '{}';\n\
         $env:CCS_PREVIOUS = '~/.claude';\n",
        win(&s.instance(&on_disk[0])),
        on_disk[0]
    );
    assert_eq!(s.ok(["use", "work"]), code);
    assert_eq!(s.ok(["use", "Work"]), code);
}

#[test]
fn rename_moves_the_profile_the_default_and_the_shell_on_it() {
    let Some(s) = Sandbox::new() else { return };
    s.ok(["create", "personal", "--isolated"]);
    s.ok(["create", "work", "--isolated"]);
    s.ok(["default", "personal"]);
    // As the PowerShell hook runs it in a shell on the profile: the code re-points that shell.
    let out = s
        .ccs(["rename", "personal", "job", "--shell", "powershell"])
        .env("CLAUDE_CONFIG_DIR", win(&s.instance("personal")))
        .output()
        .unwrap();
    assert_outcome(
        &out,
        0,
        &format!(
            "$env:CLAUDE_CONFIG_DIR = '{}';\n$env:CCS_PROFILE = 'job';\n",
            win(&s.instance("job"))
        ),
        &format!(
            "ccs: renamed profile 'personal' to 'job' ({})\n\
             ccs: new terminals start on 'job' (the default, renamed)\n\
             ccs: other terminals on 'personal' need `ccs use job`, and pins of it `ccs pin job`\n",
            win(&s.instance("job"))
        ),
    );
    assert_eq!(s.profiles(), ["job", "work"]);
    assert_eq!(s.ok(["default"]), "job\n");
    assert_outcome(
        &s.run(["rename", "job", "WORK"]),
        1,
        "",
        &format!(
            "ccs: profile 'work' already exists at {}\n",
            win(&s.instance("work"))
        ),
    );
    assert_eq!(s.profiles(), ["job", "work"]);
}

/// `remove` asks (refused without a terminal unless `--yes`), removes the profile with its copies
/// of shared items, and leaves what it shared from as it was.
#[test]
fn remove_needs_yes_and_removes_the_profile_only() {
    let Some(s) = Sandbox::new() else { return };
    s.share_like_a_user();
    s.ok(["create", "work"]);
    s.ok(["create", "personal", "--isolated"]);
    let shared = files_under(&s.shared);
    assert_outcome(
        &s.run(["remove", "work"]),
        1,
        "",
        "ccs: not removing profile 'work' without confirmation: pass --yes to remove it from a \
         script\n",
    );
    assert_outcome(
        &s.run(["rm", "work", "--yes"]),
        0,
        &format!(
            "Removed profile 'work' ({}); its login, credentials and history are gone\n",
            win(&s.instance("work"))
        ),
        "",
    );
    assert_eq!(s.profiles(), ["personal"]);
    assert_eq!(files_under(&s.shared), shared);
    assert_outcome(
        &s.run(["remove", "work", "--yes"]),
        1,
        "",
        "ccs: profile 'work' does not exist (profiles: personal)\n",
    );
}

/// Claude Code's record of a session on `work`, for process `pid`.
fn record_session(s: &Sandbox, pid: u32, fields: &str) {
    let sessions = s.instance("work").join("sessions");
    fs::create_dir_all(&sessions).unwrap();
    fs::write(
        sessions.join(format!("{pid}.json")),
        format!(r#"{{"pid":{pid},"cwd":"C:\\project"{fields}}}"#),
    )
    .unwrap();
}

/// The native client records its creation time as a FILETIME (`procStartFt`) and its machine
/// as `win32:<host name>`: a record counts while that process runs, as recorded. A system
/// process of the Wine session stands in for a running client.
#[test]
fn a_session_counts_while_its_process_runs_as_recorded() {
    let Some(s) = Sandbox::new() else { return };
    s.ok(["create", "work", "--isolated"]);
    let pid = s.wine.pid_of("services.exe");
    let running = format!(
        "ccs: Claude Code is running on profile 'work' (pid {pid} in C:\\project): quit it \
         before you remove it, or pass --force\n"
    );

    // Its process runs, no start time recorded: running.
    record_session(&s, pid, "");
    assert_outcome(&s.run(["remove", "work", "--yes"]), 1, "", &running);
    assert!(s.ok(["list"]).contains("1 running"));

    // Recorded on another machine: not known to have exited, so still in the way.
    let elsewhere = r#","procStartFt":"1","pidDomain":"win32:another-machine""#;
    record_session(&s, pid, elsewhere);
    let unknown = running.replace("C:\\project)", "C:\\project, not known to have exited)");
    assert_outcome(&s.run(["remove", "work", "--yes"]), 1, "", &unknown);

    // On this machine, but another process took the pid since (another start time), and a
    // record of a pid no process has: both left over from killed clients.
    let host = fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let here = format!(
        r#","procStartFt":"1","pidDomain":"win32:{}""#,
        host.trim().to_lowercase()
    );
    record_session(&s, pid, &here);
    record_session(&s, 65532, r#","procStartFt":"133000000000000000""#);
    assert!(!s.ok(["list"]).contains("running"));
    s.ok(["remove", "work", "--yes"]);
    assert!(s.profiles().is_empty());
}

// --- du, clean -------------------------------------------------------------------------------

#[test]
fn du_names_each_part_and_clean_removes_sessions_and_logs_only() {
    let Some(s) = Sandbox::new() else { return };
    s.ok(["create", "work", "--isolated"]);
    let work = s.instance("work");
    log_in(&work);
    fs::create_dir_all(work.join("projects/p")).unwrap();
    fs::create_dir(work.join("debug")).unwrap();
    fs::write(work.join("projects/p/s.jsonl"), "x".repeat(100)).unwrap();
    fs::write(work.join("debug/log.txt"), "y".repeat(40)).unwrap();
    fs::write(work.join("history.jsonl"), "hi\n").unwrap();
    assert_eq!(
        s.ok(["du", "work"]),
        "  345 B  work\n\
         \x20 100 B    projects/          sessions\n\
         \x20  80 B    .credentials.json  login\n\
         \x20  76 B    .claude.json       state\n\
         \x20  46 B    .ccs.json          ccs\n\
         \x20  40 B    debug/             logs\n\
         \x20   3 B    history.jsonl      state\n\
         \x20   0 B    commands/          config\n\
         \x20   0 B    session-env/       sessions\n\
         \x20   0 B    skills/            config\n\
         \x20 345 B  total\n"
    );
    assert_eq!(windows_size(&work), 345);
    assert_outcome(
        &s.run(["clean", "work"]),
        1,
        "",
        "ccs: not cleaning without confirmation: pass --yes to clean from a script, or --dry-run \
         to see what would go\n",
    );
    let report = "session history and logs:\n  \
                  work: 2 files, 1 directory, 140 B\n    \
                  projects/        1 file, 1 directory      100 B\n    \
                  debug/           1 file                    40 B\n";
    assert_eq!(
        s.ok(["clean", "work", "--dry-run"]),
        format!("Would remove {report}Nothing removed (--dry-run).\n")
    );
    assert!(work.join("projects/p/s.jsonl").is_file());
    assert_eq!(
        s.ok(["clean", "work", "--yes"]),
        format!("Removed {report}Freed 140 B.\n")
    );
    assert!(!work.join("projects/p").exists() && !work.join("debug/log.txt").exists());
    for kept in [
        ".credentials.json",
        ".claude.json",
        "history.jsonl",
        ".ccs.json",
    ] {
        assert!(work.join(kept).is_file(), "{kept}");
    }
    assert_eq!(windows_size(&work), 205);
}

// --- default, pin, doctor, names -------------------------------------------------------------

#[test]
fn default_is_set_shown_started_by_init_and_cleared() {
    let Some(s) = Sandbox::new() else { return };
    s.ok(["create", "work", "--isolated"]);
    assert_outcome(&s.run(["default"]), 1, "", "");
    assert_eq!(
        s.ok(["default", "work"]),
        "New terminals start on 'work' (a shell that inherits a profile keeps it)\n"
    );
    assert_eq!(s.ok(["default"]), "work\n");
    // The PowerShell hook switches a new terminal to it.
    let hook = s.ok(["init", "powershell"]);
    let switch = format!(
        "$env:CLAUDE_CONFIG_DIR = '{}';\n$env:CCS_PROFILE = 'work';\n",
        win(&s.instance("work"))
    );
    assert!(hook.ends_with(&switch), "{hook}");
    assert_eq!(
        s.ok(["default", "--clear"]),
        "New terminals start on Claude Code's default ~/.claude\n"
    );
    assert_outcome(&s.run(["default"]), 1, "", "");
    assert!(
        !s.ok(["init", "powershell"])
            .contains("$env:CLAUDE_CONFIG_DIR = '")
    );
}

#[test]
fn pin_writes_a_ccs_profile_and_unpin_removes_it() {
    let Some(s) = Sandbox::new() else { return };
    s.ok(["create", "work", "--isolated"]);
    let pin = s.project.join(".ccs-profile");
    assert_eq!(
        s.ok(["pin", "work"]),
        format!(
            "Pinned 'work' to {} (switches with `ccs init <shell> --auto`)\n",
            win(&pin)
        )
    );
    assert_eq!(fs::read(&pin).unwrap(), b"work\n");
    assert_outcome(
        &s.run(["pin", "nosuch"]),
        1,
        "",
        "ccs: profile 'nosuch' does not exist (profiles: work)\n",
    );
    assert_eq!(fs::read(&pin).unwrap(), b"work\n");
    assert_eq!(s.ok(["unpin"]), format!("Removed {}\n", win(&pin)));
    assert!(!pin.exists());
    assert_outcome(
        &s.run(["unpin"]),
        1,
        "",
        "ccs: no .ccs-profile in this directory (a pin applies to the directory it is in)\n",
    );
}

/// doctor runs, finds npm's claude.cmd, and says it cannot check who may read the profiles
/// (Windows rights are ACLs, inherited from the folder).
#[test]
fn doctor_finds_claude_cmd_and_says_what_it_cannot_check() {
    let Some(s) = Sandbox::new() else { return };
    s.ok(["create", "work", "--isolated"]);
    let instances = win(&s.store.join("instances"));
    let report = |hook: &str, active: &str| {
        format!(
            "ok    no API key or token variable overrides the profiles' logins, and nothing \
             moves them\n\
             ok    claude is {}\\claude.cmd\n\
             {hook}\
             {active}\n\
             note  ccs cannot check who may read the profiles here: {instances} gets the access \
             rights of the folder it is in (by default, you and administrators)\n      \
             fix: icacls \"{instances}\" to see them\n",
            win(&s.npm)
        )
    };
    assert_outcome(
        &s.run(["doctor"]),
        0,
        &report(
            "warn  the shell hook is not installed in this shell: `ccs use` only prints code\n      \
             fix: add the hook line for your shell to its start-up file (see `ccs init --help`)\n",
            "ok    no profile is active: claude uses ~/.claude",
        ),
        "",
    );
    let out = s
        .ccs(["doctor"])
        .env("CLAUDE_CONFIG_DIR", win(&s.instance("work")))
        .env("CCS_PROFILE", "work")
        .env("CCS_HOOK", "powershell")
        .output()
        .unwrap();
    assert_outcome(
        &out,
        0,
        &report(
            "ok    the powershell hook is installed in this shell\n",
            "ok    active profile: work",
        ),
        "",
    );
}

#[test]
fn names_windows_cannot_hold_are_refused_and_nothing_is_made() {
    let Some(s) = Sandbox::new() else { return };
    let rule = "(a name is 1 to 64 ASCII letters, digits, '.', '_' or '-', starting with a letter or digit)";
    for (name, why) in [
        ("a<b", "it contains a character that is not allowed"),
        ("a\"b", "it contains a character that is not allowed"),
        (
            "CON",
            "it is a device name on Windows (con, nul, aux, prn, com1-9, lpt1-9)",
        ),
        (
            "com1.txt",
            "it is a device name on Windows (con, nul, aux, prn, com1-9, lpt1-9)",
        ),
        (
            "work.",
            "it ends in '.', which Windows drops from a file name",
        ),
    ] {
        assert_outcome(
            &s.run(["create", name]),
            1,
            "",
            &format!("ccs: invalid profile name {name:?}: {why} {rule}\n"),
        );
    }
    assert!(!s.store.join("instances").exists());
}

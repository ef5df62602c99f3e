//! `ccs wrap`, the Claude Code editor extension's process wrapper: started the way the extension
//! starts it (`<wrapper> <bundled claude> <its arguments>`, in the workspace folder, speaking
//! over stdin and stdout), it runs the stand-in for the bundled binary on the pinned profile, or
//! unchanged; `--install`/`--uninstall` edit the editor's settings.json, every other byte kept;
//! doctor names a wrapper that cannot start. What only a real editor shows: that the extension
//! takes the wrapper's stdio as the bundled binary's, and where it shows stderr.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::common::child::{CCS_TIMEOUT, output_with_input};
use crate::common::{Sandbox, stderr, stdout};

const KEY: &str = "claudeCode.claudeProcessWrapper";

/// A stand-in for the extension's bundled claude, at a path with a space and non-ASCII: prints
/// its argv, directory, CLAUDE_CONFIG_DIR and CCS_PROFILE, then copies stdin, and exits 7.
fn bundled(sandbox: &Sandbox) -> PathBuf {
    let dir = sandbox.root.join("ext/anthropic.claude-code 2.1/résources");
    fs::create_dir_all(&dir).unwrap();
    let claude = dir.join("claude");
    fs::write(
        &claude,
        "#!/bin/sh\nfor a in \"$@\"; do printf 'arg=[%s]\\n' \"$a\"; done\n\
         printf 'cwd=%s\\n' \"$(pwd -P)\"\nprintf 'dir=%s\\n' \"${CLAUDE_CONFIG_DIR-unset}\"\n\
         printf 'profile=%s\\n' \"${CCS_PROFILE-unset}\"\ncat\nexit 7\n",
    )
    .unwrap();
    fs::set_permissions(&claude, fs::Permissions::from_mode(0o755)).unwrap();
    claude
}

/// `ccs wrap <bundled> --output-format stream-json …` in `cwd`, `input` on stdin.
fn wrap(
    sandbox: &Sandbox,
    cwd: &Path,
    claude: &Path,
    input: &[u8],
    env: &[(&str, &str)],
) -> Output {
    let mut cmd = sandbox.ccs(["wrap".as_ref(), claude.as_os_str()]);
    cmd.args([
        "--output-format",
        "stream-json",
        "--input-format",
        "stream-json",
        "--verbose",
        "--color",
        "never",
    ])
    .current_dir(cwd)
    .envs(env.iter().copied());
    output_with_input(&mut cmd, input, CCS_TIMEOUT)
}

const ARGS: &str = "arg=[--output-format]\narg=[stream-json]\narg=[--input-format]\n\
                    arg=[stream-json]\narg=[--verbose]\narg=[--color]\narg=[never]\n";
const INPUT: &[u8] = b"{\"type\":\"user\",\"message\":\"h\xc3\xa9\"}\n\x00\xff no newline";

fn expected(cwd: &Path, dir: &str, profile: &str) -> Vec<u8> {
    let mut out = format!(
        "{ARGS}cwd={}\ndir={dir}\nprofile={profile}\n",
        cwd.display()
    )
    .into_bytes();
    out.extend_from_slice(INPUT);
    out
}

fn workspace(sandbox: &Sandbox, name: &str) -> PathBuf {
    let dir = sandbox.root.join(name);
    fs::create_dir_all(&dir).unwrap();
    fs::canonicalize(dir).unwrap()
}

#[test]
fn a_pinned_workspace_runs_the_bundled_claude_on_its_profile() {
    let sandbox = Sandbox::new();
    let work = sandbox.create("work");
    let claude = bundled(&sandbox);
    let tree = workspace(&sandbox, "my projects/ünïcode app");
    fs::write(tree.join(".ccs-profile"), "work\r\n").unwrap();
    let sub = tree.join("src/deep dir");
    fs::create_dir_all(&sub).unwrap();
    for cwd in [&tree, &sub] {
        let out = wrap(
            &sandbox,
            cwd,
            &claude,
            INPUT,
            &[("CLAUDE_CONFIG_DIR", "/elsewhere")],
        );
        assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
        assert_eq!(
            out.stdout,
            expected(cwd, &work.display().to_string(), "work")
        );
        assert_eq!(stderr(&out), "");
    }
}

#[test]
fn no_pin_runs_the_bundled_claude_with_the_environment_as_given() {
    let sandbox = Sandbox::new();
    sandbox.create("work");
    let claude = bundled(&sandbox);
    let plain = workspace(&sandbox, "plain workspace");
    let out = wrap(&sandbox, &plain, &claude, INPUT, &[]);
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(out.stdout, expected(&plain, "unset", "unset"));
    assert_eq!(stderr(&out), "");
    // A profile the editor was started with stays.
    let set = [
        ("CLAUDE_CONFIG_DIR", "/from the editor"),
        ("CCS_PROFILE", "x"),
    ];
    let out = wrap(&sandbox, &plain, &claude, INPUT, &set);
    assert_eq!(out.stdout, expected(&plain, "/from the editor", "x"));
}

#[test]
fn a_pin_that_cannot_apply_runs_it_unchanged_and_says_so_on_stderr() {
    let sandbox = Sandbox::new();
    sandbox.create("work");
    let claude = bundled(&sandbox);
    for (name, pin, said) in [
        (
            "cloned",
            "theirs\n",
            "pins profile 'theirs', which does not exist",
        ),
        ("hostile", "../../x\n", "does not hold a profile name"),
        ("empty", "", "does not hold a profile name"),
    ] {
        let tree = workspace(&sandbox, name);
        fs::write(tree.join(".ccs-profile"), pin).unwrap();
        let out = wrap(&sandbox, &tree, &claude, INPUT, &[]);
        assert_eq!(out.status.code(), Some(7), "{name}");
        assert_eq!(out.stdout, expected(&tree, "unset", "unset"), "{name}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(
            err.starts_with("ccs: warning: ") && err.contains(said),
            "{name}: {err}"
        );
    }
}

#[test]
fn the_nearest_pin_wins() {
    let sandbox = Sandbox::new();
    sandbox.create("work");
    let home = sandbox.create("home");
    let claude = bundled(&sandbox);
    let outer = workspace(&sandbox, "outer");
    fs::write(outer.join(".ccs-profile"), "work\n").unwrap();
    let inner = outer.join("inner");
    fs::create_dir(&inner).unwrap();
    fs::write(inner.join(".ccs-profile"), "home\n").unwrap();
    let out = wrap(&sandbox, &inner, &claude, b"", &[]);
    assert!(stdout(&out).contains(&format!("dir={}\nprofile=home\n", home.display())));
}

#[test]
fn a_bundled_binary_that_cannot_start_is_one_line_on_stderr_and_nothing_on_stdout() {
    let sandbox = Sandbox::new();
    let tree = workspace(&sandbox, "ws");
    let out = wrap(&sandbox, &tree, &sandbox.root.join("gone/claude"), b"", &[]);
    assert_eq!(out.status.code(), Some(127));
    assert!(out.stdout.is_empty());
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}

// --- --install, --uninstall, doctor -------------------------------------------------------------

const SETTINGS: &str = "// Place your settings in this file to overwrite the default settings\n\
{\n    \"workbench.colorTheme\": \"Default Dark+\", // theme\n    /* fonts */\n    \
\"editor.fontSize\": 14,\n    \"files.exclude\": {\n        \"**/.git\": true,\n    },\n}\n";

fn code_settings(sandbox: &Sandbox) -> PathBuf {
    let dir = sandbox.home.join(".config/Code/User");
    fs::create_dir_all(&dir).unwrap();
    dir.join("settings.json")
}

fn the_ccs() -> String {
    fs::canonicalize(env!("CARGO_BIN_EXE_ccs"))
        .unwrap()
        .display()
        .to_string()
}

#[test]
fn install_writes_this_ccs_and_uninstall_gives_the_file_back_byte_for_byte() {
    let sandbox = Sandbox::new();
    let path = code_settings(&sandbox);
    fs::write(&path, SETTINGS).unwrap();
    let out = sandbox.run(["wrap", "--install"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let ccs = the_ccs();
    let installed = fs::read_to_string(&path).unwrap();
    assert_eq!(
        installed,
        SETTINGS.replacen("{\n", &format!("{{\n    \"{KEY}\": \"{ccs}\",\n"), 1)
    );
    assert!(stdout(&out).contains(&ccs));
    // Again: nothing to do.
    let again = sandbox.ok(["wrap", "--install"]);
    assert!(again.contains("already"), "{again}");
    assert_eq!(fs::read_to_string(&path).unwrap(), installed);
    // doctor says the editor follows pins.
    let doctor = sandbox.run(["doctor"]);
    assert!(stdout(&doctor).contains("the editor's Claude Code follows pins"));
    sandbox.ok(["wrap", "--uninstall"]);
    assert_eq!(fs::read_to_string(&path).unwrap(), SETTINGS);
    let out = sandbox.ok(["wrap", "--uninstall"]);
    assert!(out.contains("nothing changed"), "{out}");
}

#[test]
fn install_names_the_editor_and_keeps_another_wrapper() {
    let sandbox = Sandbox::new();
    // Cursor's settings, found through XDG_CONFIG_HOME.
    let xdg = sandbox.root.join("xdg");
    let cursor = xdg.join("Cursor/User/settings.json");
    fs::create_dir_all(cursor.parent().unwrap()).unwrap();
    let out = sandbox
        .ccs(["wrap", "--install", "--editor", "cursor"])
        .env("XDG_CONFIG_HOME", &xdg)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = fs::read_to_string(&cursor).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v[KEY], the_ccs().as_str());
    // No editor there: refused, nothing written.
    let out = sandbox.run(["wrap", "--install", "--editor", "windsurf"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("is the editor installed?"),
        "{}",
        stderr(&out)
    );
    assert!(!sandbox.home.join(".config/Windsurf").exists());
    // Someone else's wrapper stays, and is not removed either.
    let path = code_settings(&sandbox);
    let theirs = "{\n  \"claudeCode.claudeProcessWrapper\": \"/opt/corp/launcher\"\n}\n";
    fs::write(&path, theirs).unwrap();
    let out = sandbox.run(["wrap", "--install"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("/opt/corp/launcher"),
        "{}",
        stderr(&out)
    );
    sandbox.ok(["wrap", "--uninstall"]);
    assert_eq!(fs::read_to_string(&path).unwrap(), theirs);
    // Not JSON: refused.
    fs::write(&path, "{ \"a\": 1 /* open\n").unwrap();
    assert!(!sandbox.run(["wrap", "--install"]).status.success());
    assert_eq!(fs::read_to_string(&path).unwrap(), "{ \"a\": 1 /* open\n");
}

#[test]
fn doctor_names_a_wrapper_that_cannot_start() {
    let sandbox = Sandbox::new();
    let path = code_settings(&sandbox);
    let gone = sandbox.root.join("old bin/ccs");
    fs::write(
        &path,
        format!(
            "{{\n  // mine\n  \"{KEY}\": {},\n}}\n",
            serde_json::to_string(&gone.display().to_string()).unwrap()
        ),
    )
    .unwrap();
    let out = sandbox.run(["doctor"]);
    let report = stdout(&out);
    assert!(
        report.contains(&format!(
            "{} sets {KEY} to {}, which is gone",
            path.display(),
            gone.display()
        )),
        "{report}"
    );
    assert!(
        report.contains("fix: ccs wrap --install --editor code"),
        "{report}"
    );
    assert_eq!(out.status.code(), Some(1));
    fs::write(&path, format!("{{\"{KEY}\": \"C:\\\\tools\\\\ccs.cmd\"}}")).unwrap();
    let report = stdout(&sandbox.run(["doctor"]));
    assert!(report.contains("spawn EINVAL"), "{report}");
    // --install puts this ccs in place of the one that is gone.
    fs::write(
        &path,
        format!(
            "{{\"{KEY}\": {}}}",
            serde_json::to_string(&gone.display().to_string()).unwrap()
        ),
    )
    .unwrap();
    let out = sandbox.ok(["wrap", "--install"]);
    assert!(out.contains("it ran another ccs before"), "{out}");
    assert!(!stdout(&sandbox.run(["doctor"])).contains("which is gone"));
}

/// The wrapper as `Command` runs it when the extension gives it no arguments past the binary.
#[test]
fn wrap_needs_the_program_and_takes_nothing_of_its_own_after_it() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(["wrap"]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let claude = bundled(&sandbox);
    let tree = workspace(&sandbox, "ws");
    let out = Command::new(env!("CARGO_BIN_EXE_ccs"))
        .args([
            "wrap".as_ref(),
            claude.as_os_str(),
            "--install".as_ref(),
            "--help".as_ref(),
        ])
        .current_dir(&tree)
        .env("CCS_HOME", &sandbox.ccs_home)
        .env("HOME", &sandbox.home)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7));
    assert!(
        stdout(&out).starts_with("arg=[--install]\narg=[--help]\n"),
        "{}",
        stdout(&out)
    );
}

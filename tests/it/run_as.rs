//! `ccs NAME [ARGS]...` runs claude as profile NAME, the way people arriving from the Node
//! switcher CCS type it (`ccs work "implement feature X"`); commands keep priority; a word that
//! is neither is a one-line usage error; bare `ccs` prints the help.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::common::{Sandbox, path_with_bin, stderr, stdout};

/// A `claude` on PATH that prints its arguments and the profile it runs as.
fn fake_claude(sandbox: &Sandbox) -> PathBuf {
    let bin = sandbox.root.join("bin");
    fs::create_dir_all(&bin).unwrap();
    let claude = bin.join("claude");
    fs::write(
        &claude,
        "#!/bin/sh\nprintf 'dir=%s\\n' \"$CLAUDE_CONFIG_DIR\"\nprintf 'profile=%s\\n' \"$CCS_PROFILE\"\n\
         for a in \"$@\"; do printf 'arg=[%s]\\n' \"$a\"; done\nexit 3\n",
    )
    .unwrap();
    fs::set_permissions(&claude, fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

fn with_fake_claude(sandbox: &Sandbox, bin: &Path, args: &[&str]) -> std::process::Output {
    let mut path = std::ffi::OsString::from(bin);
    path.push(":");
    path.push(path_with_bin());
    sandbox.ccs(args).env("PATH", path).output().unwrap()
}

#[test]
fn a_profile_name_as_first_word_runs_claude_as_that_profile() {
    let sandbox = Sandbox::new();
    let work = sandbox.create("work");
    let bin = fake_claude(&sandbox);
    let out = with_fake_claude(
        &sandbox,
        &bin,
        &["work", "implement feature X", "--model", "opus", "--"],
    );
    assert_eq!(
        out.status.code(),
        Some(3),
        "claude's exit status: {}",
        stderr(&out)
    );
    assert_eq!(
        stdout(&out),
        format!(
            "dir={}\nprofile=work\narg=[implement feature X]\narg=[--model]\narg=[opus]\narg=[--]\n",
            work.display()
        )
    );
    // In another case, the profile as spelled on disk, as everywhere.
    let out = with_fake_claude(&sandbox, &bin, &["WORK", "hi"]);
    assert!(stdout(&out).starts_with(&format!("dir={}\nprofile=work\n", work.display())));
}

#[test]
fn commands_come_first_and_create_warns_about_such_a_name() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(["create", "list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.lines().count() == 1
            && err.contains("'list' is also a command")
            && err.contains("ccs exec list"),
        "{err}"
    );
    assert!(!stderr(&sandbox.run(["create", "work"])).contains("also a command"));
    // `ccs list` lists; it does not run claude as `list`.
    let bin = fake_claude(&sandbox);
    let out = with_fake_claude(&sandbox, &bin, &["list"]);
    assert!(
        out.status.success() && stdout(&out).contains("work"),
        "{}",
        stdout(&out)
    );
    // Aliases are commands too.
    sandbox.ok(["create", "ls"]);
    let out = with_fake_claude(&sandbox, &bin, &["ls"]);
    assert!(out.status.success() && !stdout(&out).contains("arg="));
}

#[test]
fn a_word_that_is_neither_command_nor_profile_is_a_usage_error() {
    let sandbox = Sandbox::new();
    sandbox.create("work");
    for word in ["nosuch", "wörk", "-x-", "a\u{1b}[31mb"] {
        let out = sandbox.run([word, "hi"]);
        assert_eq!(out.status.code(), Some(2), "{word:?}");
        assert!(out.stdout.is_empty());
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err:?}");
        assert!(err.starts_with("ccs: "), "{err:?}");
        assert!(!err.contains('\u{1b}'), "{err:?}");
    }
    let out = sandbox.run(["nosuch"]);
    assert!(stderr(&out).contains("unrecognized subcommand 'nosuch'"));
}

#[test]
fn bare_ccs_prints_the_help_on_several_lines() {
    let sandbox = Sandbox::new();
    let out = sandbox.run::<[&str; 0], &str>([]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    // The help as `ccs -h` prints it, on its lines (it used to be squeezed onto one).
    assert_eq!(stderr(&out), stdout(&sandbox.run(["-h"])));
    assert!(stderr(&out).lines().count() > 10, "{}", stderr(&out));
    let long = stdout(&sandbox.run(["--help"]));
    assert!(long.contains("ccs NAME [ARGS]"), "{long}");
}

//! `ccs doctor` and the warning on `ccs use`: each problem is reported with a fix, and a clean
//! set-up passes.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output};

use crate::common;
use crate::common::{Sandbox, stderr, stdout};

/// A sandbox with one private profile and an executable `claude` on PATH.
fn healthy() -> (Sandbox, std::path::PathBuf) {
    let sandbox = Sandbox::new();
    let work = sandbox.create("work");
    let bin = sandbox.root.join("bin");
    fs::create_dir(&bin).unwrap();
    fs::write(bin.join("claude"), "#!/bin/sh\n").unwrap();
    fs::set_permissions(bin.join("claude"), fs::Permissions::from_mode(0o755)).unwrap();
    (sandbox, work)
}

fn doctor(sandbox: &Sandbox, adjust: impl FnOnce(&mut Command)) -> Output {
    let mut cmd = sandbox.ccs(["doctor"]);
    let path = std::env::join_paths(
        std::iter::once(sandbox.root.join("bin"))
            .chain(std::env::split_paths(&common::path_with_bin())),
    )
    .unwrap();
    cmd.env("PATH", path).env("CCS_HOOK", "bash");
    adjust(&mut cmd);
    cmd.output().unwrap()
}

fn lines_with(out: &Output, level: &str) -> Vec<String> {
    stdout(out)
        .lines()
        .filter(|l| l.starts_with(level))
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_healthy_setup_passes() {
    let (sandbox, work) = healthy();
    let out = doctor(&sandbox, |c| {
        c.env("CLAUDE_CONFIG_DIR", &work).env("CCS_PROFILE", "work");
    });
    assert!(out.status.success(), "{}", stdout(&out));
    let report = stdout(&out);
    assert!(
        lines_with(&out, "warn").is_empty() && lines_with(&out, "FAIL").is_empty(),
        "{report}"
    );
    for expected in [
        "ok    no API key or token variable overrides",
        "ok    claude is ",
        "ok    the bash hook is installed in this shell",
        "ok    active profile: work",
        "ok    all 1 profiles are private to you",
    ] {
        assert!(
            report.contains(expected),
            "missing {expected:?} in:\n{report}"
        );
    }
}

#[test]
fn auth_overrides_are_warned_about_with_a_fix() {
    let (sandbox, _) = healthy();
    let claude = sandbox.home.join(".claude");
    fs::create_dir_all(&claude).unwrap();
    fs::write(
        claude.join("settings.json"),
        r#"{"env":{"CLAUDE_CODE_OAUTH_TOKEN":"x"}}"#,
    )
    .unwrap();
    let out = doctor(&sandbox, |c| {
        c.env("ANTHROPIC_AUTH_TOKEN", "secret-token-value");
    });
    let warns = lines_with(&out, "warn").join("\n");
    assert!(warns.contains("ANTHROPIC_AUTH_TOKEN is set"), "{warns}");
    assert!(
        warns.contains("settings.json sets CLAUDE_CODE_OAUTH_TOKEN"),
        "{warns}"
    );
    assert!(stdout(&out).contains("fix: unset ANTHROPIC_AUTH_TOKEN"));
    assert!(
        !stdout(&out).contains("secret-token-value"),
        "never print a token"
    );
    assert!(out.status.success(), "warnings alone do not fail");
}

#[test]
fn missing_claude_and_missing_hook_are_warned_about() {
    let (sandbox, _) = healthy();
    let out = doctor(&sandbox, |c| {
        c.env("PATH", common::path_with_bin())
            .env_remove("CCS_HOOK");
    });
    let warns = lines_with(&out, "warn").join("\n");
    assert!(warns.contains("claude is not on PATH"), "{warns}");
    assert!(warns.contains("hook is not installed"), "{warns}");
}

#[test]
fn a_config_dir_outside_the_store_or_gone_is_reported() {
    let (sandbox, _) = healthy();
    let elsewhere = sandbox.root.join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    let out = doctor(&sandbox, |c| {
        c.env("CLAUDE_CONFIG_DIR", &elsewhere);
    });
    assert!(
        lines_with(&out, "warn")
            .join("\n")
            .contains("is not a ccs profile"),
        "{}",
        stdout(&out)
    );
    assert!(out.status.success());

    let out = doctor(&sandbox, |c| {
        c.env("CLAUDE_CONFIG_DIR", sandbox.root.join("missing"));
    });
    assert!(
        lines_with(&out, "FAIL")
            .join("\n")
            .contains("is not a ccs profile"),
        "{}",
        stdout(&out)
    );
    assert_eq!(out.status.code(), Some(1));

    let out = doctor(&sandbox, |c| {
        c.env("CLAUDE_CONFIG_DIR", sandbox.instance("gone"));
    });
    assert!(
        lines_with(&out, "FAIL")
            .join("\n")
            .contains("'gone' does not exist"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn ccs_profile_disagreeing_with_the_config_dir_is_reported() {
    let (sandbox, work) = healthy();
    let out = doctor(&sandbox, |c| {
        c.env("CLAUDE_CONFIG_DIR", &work)
            .env("CCS_PROFILE", "personal");
    });
    let warns = lines_with(&out, "warn").join("\n");
    assert!(
        warns.contains("CCS_PROFILE=personal disagrees with CLAUDE_CONFIG_DIR (work)"),
        "{warns}"
    );
    let out = doctor(&sandbox, |c| {
        c.env("CCS_PROFILE", "work");
    });
    assert!(
        lines_with(&out, "warn")
            .join("\n")
            .contains("CLAUDE_CONFIG_DIR is unset"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn profiles_readable_by_others_fail() {
    let (sandbox, work) = healthy();
    fs::write(work.join(".credentials.json"), "{}").unwrap();
    fs::set_permissions(
        work.join(".credentials.json"),
        fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    fs::set_permissions(&work, fs::Permissions::from_mode(0o755)).unwrap();
    let out = doctor(&sandbox, |_| {});
    let fails = lines_with(&out, "FAIL").join("\n");
    assert!(
        fails.contains("profile 'work' can be read by other users"),
        "{fails}"
    );
    assert!(
        fails.contains("the login of profile 'work' can be read"),
        "{fails}"
    );
    assert!(stdout(&out).contains(&format!("fix: chmod 700 {}", work.display())));
    assert!(stdout(&out).contains("fix: chmod 600"));
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_shared_claude_md_is_noted_with_the_profiles_it_reaches() {
    let (sandbox, _) = healthy();
    fs::create_dir_all(sandbox.home.join(".claude")).unwrap();
    fs::write(sandbox.home.join(".claude/CLAUDE.md"), "# mine\n").unwrap();
    // `work` was made before the file existed: it has no link, so no note that it is shared.
    // Claude Code still reads it as a project's instructions under the home directory
    // (tests/it/claude_home.rs proves it against the real client): that note is there.
    let out = doctor(&sandbox, |_| {});
    let notes = lines_with(&out, "note").join("\n");
    assert!(!notes.contains("is shared with"), "{notes}");
    assert!(
        notes.contains("CLAUDE.md reach every profile (isolated ones too) when you work under your home directory"),
        "{notes}"
    );

    // A profile made now links it (the default sharing), a copy-mode one copies it; an
    // isolated one has neither.
    sandbox.create("linked");
    sandbox.ok(["create", "copied", "--copy"]);
    sandbox.ok(["create", "solo", "--isolated"]);
    let out = doctor(&sandbox, |_| {});
    let notes = lines_with(&out, "note").join("\n");
    assert!(
        notes.contains(
            "CLAUDE.md is shared with profiles copied, linked: Claude Code loads it there too"
        ),
        "{notes}"
    );
}

/// With CCS_SHARED_FROM, the shared CLAUDE.md is that directory's, not ~/.claude's.
#[test]
fn the_claude_md_noted_is_the_one_actually_shared() {
    let (sandbox, _) = healthy();
    let team = sandbox.root.join("team-claude");
    fs::create_dir_all(&team).unwrap();
    fs::write(team.join("CLAUDE.md"), "# team\n").unwrap();
    sandbox
        .ccs(["create", "linked"])
        .env("CCS_SHARED_FROM", &team)
        .output()
        .unwrap();
    let out = doctor(&sandbox, |c| {
        c.env("CCS_SHARED_FROM", &team);
    });
    let notes = lines_with(&out, "note").join("\n");
    assert!(
        notes.contains(&format!(
            "{}/CLAUDE.md is shared with profile linked",
            team.display()
        )),
        "{notes}"
    );
}

/// Leftovers of ccs runs that were killed: named with the command that deletes them, never
/// deleted by doctor; the same names made by a process that still runs are left alone.
#[test]
fn leftovers_of_interrupted_work_are_named_with_their_fix() {
    let (sandbox, work) = healthy();
    let instances = sandbox.ccs_home.join("instances");
    // No process has this pid (it is above any pid_max), so these are leftovers.
    let dead = 999_999_999u32;
    let leftovers = [
        instances.join(format!(".creating-new-{dead}")),
        instances.join(format!(".removing-old-{dead}")),
        sandbox.ccs_home.join(format!(".config.json.{dead}.tmp")),
        // The temporary copy of .ccs.json, named as ccs names it.
        work.join(format!("..ccs.json.{dead}.tmp")),
    ];
    for (i, path) in leftovers.iter().enumerate() {
        if i < 2 {
            fs::create_dir(path).unwrap();
            fs::write(path.join("file"), "kept").unwrap();
        } else {
            fs::write(path, "{}").unwrap();
        }
    }
    // pid 1 always runs: a create in progress, not a leftover.
    let running = instances.join(".creating-busy-1");
    fs::create_dir(&running).unwrap();
    // Names ccs never makes: a user's own file in a profile, a name that is no profile name
    // (here one that would retitle the terminal if printed).
    fs::write(work.join(format!(".notes.{dead}.tmp")), "mine").unwrap();
    fs::create_dir(instances.join(format!(".creating-\x1b]0;x\x07-{dead}"))).unwrap();

    let out = doctor(&sandbox, |_| {});
    let warns = lines_with(&out, "warn");
    let report = stdout(&out);
    for (path, what) in leftovers.iter().zip([
        "a profile whose creation was interrupted",
        "the rest of a removed profile",
        "a temporary file of an interrupted write",
        "a temporary file of an interrupted write",
    ]) {
        let shown = format!("{} is {what}", path.display());
        assert!(
            warns.iter().any(|w| w.ends_with(&shown)),
            "{shown:?} in:\n{report}"
        );
        let fix = format!("rm -rf {}", path.display());
        assert!(report.contains(&fix), "{fix:?} in:\n{report}");
        assert!(path.exists(), "doctor deleted {}", path.display());
    }
    assert!(!report.contains(".creating-busy-1"), "{report}");
    assert!(
        !report.contains(".notes.") && !report.contains('\x1b'),
        "{report}"
    );
    assert_eq!(warns.len(), 4, "{report}");
}

#[test]
fn use_warns_on_stderr_and_leaves_stdout_alone() {
    let (sandbox, _) = healthy();
    let clean = sandbox.ok(["use", "work", "--shell", "bash"]);
    let out = sandbox
        .ccs(["use", "work", "--shell", "bash"])
        .env("ANTHROPIC_API_KEY", "sk-x")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        stdout(&out),
        clean,
        "stdout is code: the warning must not touch it"
    );
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("ANTHROPIC_API_KEY is set and overrides the login of 'work'"),
        "{err}"
    );
    assert!(!err.contains("sk-x"));
}

#[test]
fn a_shared_settings_file_is_reported_once() {
    let sandbox = Sandbox::new();
    let claude = sandbox.home.join(".claude");
    fs::create_dir_all(&claude).unwrap();
    fs::write(
        claude.join("settings.json"),
        r#"{"env":{"ANTHROPIC_API_KEY":"x"}}"#,
    )
    .unwrap();
    // Both profiles link settings.json to ~/.claude's (the default sharing).
    sandbox.create("work");
    sandbox.create("personal");
    assert!(
        fs::symlink_metadata(sandbox.instance("work").join("settings.json"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let out = doctor(&sandbox, |_| {});
    let warns: Vec<String> = lines_with(&out, "warn")
        .into_iter()
        .filter(|l| l.contains("settings.json"))
        .collect();
    assert_eq!(warns.len(), 1, "{warns:?}");
}

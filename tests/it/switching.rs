//! Ways to get the right account without typing `ccs use`: `ccs exec`, the default profile for
//! new terminals, and directories pinned with `ccs pin` (the hooks' `--auto`).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Stdio;

use crate::common::shells::{self, BASH, PRINT_SWITCH};
use crate::common::{Sandbox, clean_success, stderr, stdout};

#[test]
fn exec_runs_the_command_as_the_profile_with_arguments_exactly() {
    let sandbox = Sandbox::new();
    let work = sandbox.create("work");
    let args = ["a b", "c'd", "$HOME", "", "new\nline", "ü"];
    let mut cmd = sandbox.ccs([
        "exec",
        "work",
        "--",
        "sh",
        "-c",
        "printf '[%s]' \"$CLAUDE_CONFIG_DIR\" \"$CCS_PROFILE\" \"$@\"",
        "sh",
    ]);
    let out = cmd.args(args).output().unwrap();
    let want = format!(
        "[{}][work]{}",
        work.display(),
        args.map(|a| format!("[{a}]")).concat()
    );
    assert_eq!(stdout(&out), want);
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}",
        stderr(&out)
    );
}

#[test]
fn exec_passes_exit_codes_signals_stdin_and_replaces_itself() {
    let sandbox = Sandbox::new();
    sandbox.create("work");
    let status = sandbox
        .ccs(["exec", "work", "--", "sh", "-c", "exit 7"])
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(7));
    let status = sandbox
        .ccs(["exec", "work", "--", "sh", "-c", "kill -TERM $$"])
        .status()
        .unwrap();
    assert_eq!(
        status.signal(),
        Some(15),
        "the signal reaches the caller as the command's own"
    );
    // The command has ccs's process id: ccs replaced itself rather than waiting as a parent.
    let child = sandbox
        .ccs(["exec", "work", "--", "sh", "-c", "echo $$"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert_eq!(stdout(&out).trim(), pid.to_string());
    let mut child = sandbox
        .ccs(["exec", "work", "--", "cat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), b"through stdin\n").unwrap();
    assert_eq!(
        stdout(&child.wait_with_output().unwrap()),
        "through stdin\n"
    );
}

/// PowerShell drops `--` from a function's arguments, so through its hook the command arrives
/// without one: that must work too.
#[test]
fn exec_works_without_the_separator() {
    let sandbox = Sandbox::new();
    sandbox.create("work");
    let out = sandbox.run([
        "exec",
        "work",
        "sh",
        "-c",
        "echo \"$CCS_PROFILE\" \"$0\"",
        "-x",
    ]);
    assert_eq!(stdout(&out), "work -x\n", "{}", stderr(&out));
}

#[test]
fn exec_fails_clearly() {
    let sandbox = Sandbox::new();
    sandbox.create("work");
    let out = sandbox.run(["exec", "work", "--", "no-such-command-xyz"]);
    assert_eq!(out.status.code(), Some(127));
    assert!(out.stdout.is_empty());
    assert!(
        stderr(&out).contains("cannot run \"no-such-command-xyz\""),
        "{}",
        stderr(&out)
    );
    let out = sandbox.run(["exec", "nosuch", "--", "true"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("ccs create nosuch"));
    let out = sandbox.run(["exec", "work"]);
    assert!(!out.status.success(), "a command is required");
}

#[test]
fn exec_does_not_pass_the_hook_marker_on() {
    let sandbox = Sandbox::new();
    sandbox.create("work");
    let out = sandbox
        .ccs([
            "exec",
            "work",
            "--",
            "sh",
            "-c",
            "echo \"[${CCS_HOOK-unset}]\"",
        ])
        .env("CCS_HOOK", "bash")
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "[unset]\n");
}

#[test]
fn default_is_stored_privately_and_cleared() {
    let sandbox = Sandbox::new();
    sandbox.create("work");
    let out = sandbox.run(["default"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    sandbox.ok(["default", "work"]);
    assert_eq!(sandbox.ok(["default"]), "work\n");
    let config = sandbox.ccs_home.join("config.json");
    assert_eq!(
        fs::metadata(&config).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let json: serde_json::Value = serde_json::from_slice(&fs::read(&config).unwrap()).unwrap();
    assert_eq!(json, serde_json::json!({"default": "work"}));
    sandbox.ok(["default", "--clear"]);
    assert_eq!(sandbox.run(["default"]).status.code(), Some(1));
    let out = sandbox.run(["default", "nosuch"]);
    assert!(!out.status.success() && stderr(&out).contains("does not exist"));
    let out = sandbox.run(["default", "../x"]);
    assert!(!out.status.success() && stderr(&out).contains("invalid profile name"));
    // A broken config file is reported, not overwritten.
    fs::write(&config, "not json").unwrap();
    let out = sandbox.run(["default", "work"]);
    assert!(!out.status.success() && stderr(&out).contains("config.json"));
    assert_eq!(fs::read_to_string(&config).unwrap(), "not json");
}

#[test]
fn a_new_shell_starts_on_the_default_and_a_child_keeps_its_parents_profile() {
    let sandbox = Sandbox::new();
    let work = sandbox.create("work");
    let personal = sandbox.create("personal");
    sandbox.ok(["default", "work"]);
    for shell in shells::installed() {
        let hook = shell.source_hook("");
        let show = PRINT_SWITCH;
        // A new terminal: nothing inherited, so the default applies.
        let out = sandbox.shell(shell, &format!("{hook}\n{show}\n"));
        let shell_name = shell.name;
        assert_eq!(
            clean_success(&out, shell_name),
            format!("{}|work\n", work.display()),
            "{shell_name}"
        );
        // A shell started from one on `personal` inherits it and keeps it.
        let out = sandbox
            .shell_command(shell)
            .args(["-c", &format!("{hook}\n{show}")])
            .env("CLAUDE_CONFIG_DIR", &personal)
            .env("CCS_PROFILE", "personal")
            .output()
            .unwrap();
        assert_eq!(
            stdout(&out),
            format!("{}|personal\n", personal.display()),
            "{shell_name}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn a_default_that_went_away_warns_but_the_hook_still_loads() {
    let sandbox = Sandbox::new();
    sandbox.create("work");
    sandbox.ok(["default", "work"]);
    // Gone behind ccs's back (`ccs remove` would clear the default).
    fs::remove_dir_all(sandbox.instance("work")).unwrap();
    let out = sandbox.run(["init", "bash"]);
    assert!(out.status.success());
    let without_default = Sandbox::new().ok(["init", "bash"]);
    assert_eq!(
        stdout(&out),
        without_default,
        "the whole hook, and no switch"
    );
    assert!(
        stderr(&out).contains("not switching to the default profile"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn removing_the_default_profile_clears_the_default() {
    let sandbox = Sandbox::new();
    sandbox.create("work");
    sandbox.create("personal");
    sandbox.ok(["default", "work"]);
    sandbox.ok(["remove", "personal", "--yes"]);
    assert_eq!(
        sandbox.ok(["default"]),
        "work\n",
        "another profile's removal keeps it"
    );
    let out = sandbox.run(["remove", "work", "--yes"]);
    assert!(
        stdout(&out).contains("'work' was the default"),
        "{}",
        stderr(&out)
    );
    assert_eq!(sandbox.run(["default"]).status.code(), Some(1));
    let out = sandbox.run(["init", "bash"]);
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_store_made_by_a_config_write_is_private() {
    let sandbox = Sandbox::new();
    sandbox.ok(["default", "--clear"]);
    assert_eq!(
        fs::metadata(&sandbox.ccs_home)
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o700
    );
}

#[test]
fn pin_writes_a_name_and_unpin_removes_it() {
    let sandbox = Sandbox::new();
    sandbox.create("work");
    let dir = sandbox.root.join("project");
    fs::create_dir(&dir).unwrap();
    let in_dir = |args: &[&str]| sandbox.ccs(args).current_dir(&dir).output().unwrap();
    assert!(in_dir(&["pin", "work"]).status.success());
    let file = dir.join(".ccs-profile");
    assert_eq!(fs::read_to_string(&file).unwrap(), "work\n");
    assert_eq!(
        fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o644
    );
    for bad in ["nosuch", "../x"] {
        let out = in_dir(&["pin", bad]);
        assert!(!out.status.success() && out.stdout.is_empty(), "{bad}");
        assert_eq!(
            fs::read_to_string(&file).unwrap(),
            "work\n",
            "a failed pin keeps the old one"
        );
    }
    assert!(in_dir(&["unpin"]).status.success());
    assert!(!file.exists());
    let out = in_dir(&["unpin"]);
    assert!(!out.status.success() && stderr(&out).contains("no .ccs-profile in this directory"));
}

#[test]
fn pin_replaces_a_planted_symlink_instead_of_writing_through_it() {
    let sandbox = Sandbox::new();
    sandbox.create("work");
    let dir = sandbox.root.join("project");
    fs::create_dir(&dir).unwrap();
    let target = sandbox.root.join("precious");
    fs::write(&target, "keep me\n").unwrap();
    std::os::unix::fs::symlink(&target, dir.join(".ccs-profile")).unwrap();
    assert!(
        sandbox
            .ccs(["pin", "work"])
            .current_dir(&dir)
            .status()
            .unwrap()
            .success()
    );
    assert_eq!(fs::read_to_string(&target).unwrap(), "keep me\n");
    assert!(
        !fs::symlink_metadata(dir.join(".ccs-profile"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

/// The auto-switch state machine in each real shell, driven by `cd` and the hook's own check
/// (what the prompt or directory-change hook calls).
#[test]
fn auto_switch_follows_pins_and_restores_on_leaving() {
    let sandbox = Sandbox::new();
    sandbox.create("work");
    sandbox.create("personal");
    let root = sandbox.root.join("tree");
    for dir in ["p/a/b", "p/c", "bad", "gone"] {
        fs::create_dir_all(root.join(dir)).unwrap();
    }
    fs::write(root.join("p/.ccs-profile"), "work\n").unwrap();
    fs::write(root.join("p/a/b/.ccs-profile"), "personal").unwrap();
    fs::write(root.join("bad/.ccs-profile"), "../etc\n$(touch pwned)\n").unwrap();
    fs::write(root.join("gone/.ccs-profile"), "nosuch\n").unwrap();
    let steps = [
        ("", "none"),
        ("p", "work"),
        ("p/a", "work"),
        ("p/a/b", "personal"),
        ("p/c", "work"),
        ("", "none"),
        ("bad", "none"),
        ("gone", "none"),
        ("gone", "none"),
        ("", "none"),
    ];
    for shell in shells::installed() {
        let mut script = format!("{}\n", shell.source_hook("--auto"));
        let show = shell.print_or("%s\\n", "CCS_PROFILE", "none");
        let check = match shell.after_cd {
            Some(check) => format!("{check}; "),
            None => String::new(),
        };
        for (dir, _) in steps {
            script.push_str(&format!(
                "cd '{}'; {check}{show}\n",
                root.join(dir).display()
            ));
        }
        // A manual use inside the tree wins until leaving; leaving restores what was before.
        script.push_str(&format!(
            "cd '{}'; {check}ccs use personal; cd '{}'; {check}{show}\ncd '{}'; {check}{show}\n",
            root.join("p").display(),
            root.join("p/a").display(),
            root.display()
        ));
        let out = sandbox.shell(shell, &script);
        let shell = shell.name;
        let mut want: Vec<&str> = steps.iter().map(|(_, p)| *p).collect();
        want.extend(["personal", "none"]);
        assert_eq!(
            stdout(&out).lines().collect::<Vec<_>>(),
            want,
            "{shell}: {}",
            stderr(&out)
        );
        let err = stderr(&out);
        assert_eq!(
            err.matches(&format!(
                "{}/.ccs-profile pins profile 'nosuch', which does not exist",
                root.join("gone").display()
            ))
            .count(),
            1,
            "{shell} warns once: {err}"
        );
        assert!(
            err.contains("ignoring") && err.contains("bad/.ccs-profile"),
            "{shell}: {err}"
        );
        assert!(
            err.contains(&format!(
                "work (pinned by {}/.ccs-profile)",
                root.join("p").display()
            )),
            "{shell}: {err}"
        );
        assert!(
            !Path::new(&root.join("bad/pwned")).exists() && !sandbox.root.join("pwned").exists()
        );
    }
}

#[test]
fn auto_switch_is_quiet_when_asked() {
    let sandbox = Sandbox::new();
    sandbox.create("work");
    let pinned = sandbox.root.join("p");
    fs::create_dir(&pinned).unwrap();
    fs::write(pinned.join(".ccs-profile"), "work\n").unwrap();
    let script = format!(
        "CCS_AUTO_QUIET=1\neval \"$(ccs init bash --auto)\"\ncd '{}'; __ccs_auto_switch; echo \"$CCS_PROFILE\"\ncd /; __ccs_auto_switch\n",
        pinned.display()
    );
    let out = sandbox.shell(BASH, &script);
    assert_eq!(clean_success(&out, BASH.name), "work\n");
}

/// A person's session: `cd` into a pinned project and out again at a real prompt.
#[test]
fn auto_switch_at_a_real_prompt_in_each_shell() {
    use crate::common::tmux::{Term, can_run};
    for kind in shells::runnable() {
        if !can_run(kind) {
            continue;
        }
        let hook = &kind.source_hook("--auto --prompt");
        let sandbox = Sandbox::new();
        let work = sandbox.create("work");
        let project = sandbox.root.join("project");
        fs::create_dir_all(project.join("src")).unwrap();
        sandbox
            .ccs(["pin", "work"])
            .current_dir(&project)
            .output()
            .unwrap();
        let mut term = Term::start(&sandbox, kind);
        let bare = kind.prompt;
        let pinned = kind.prefixed("work");
        term.expect(hook, &[], bare);
        let note = format!("ccs: work (pinned by {}/.ccs-profile)", project.display());
        term.expect(&format!("cd '{}'", project.display()), &[&note], &pinned);
        term.expect(
            "echo \"[$CLAUDE_CONFIG_DIR]\"",
            &[&format!("[{}]", work.display())],
            &pinned,
        );
        // Deeper in the same tree: same pin, nothing printed.
        term.expect("cd src", &[], &pinned);
        term.expect(
            "cd /",
            &["ccs: left the pinned tree; back to the default ~/.claude"],
            bare,
        );
    }
}

/// A cloned repository's directory name is hostile: its escape sequences never reach the
/// terminal through the auto-switch notes.
#[test]
fn auto_switch_notes_escape_the_pinned_path() {
    let sandbox = Sandbox::new();
    let evil = sandbox.root.join("repo\u{1b}]0;pwned\u{7}\u{1b}[2J");
    fs::create_dir(&evil).unwrap();
    fs::write(evil.join(".ccs-profile"), "../bad\n").unwrap();
    for shell in shells::installed() {
        let hook = shell.source_hook("--auto");
        let check = match shell.after_cd {
            Some(check) => format!("; {check}"),
            None => String::new(),
        };
        let script = format!("{hook}\ncd '{}'{check}\n", evil.display());
        let out = sandbox.shell(shell, &script);
        let shell = shell.name;
        let err = stderr(&out);
        assert!(err.contains("ccs: ignoring"), "{shell}: {err:?}");
        assert!(
            !err.contains('\u{1b}') && !err.contains('\u{7}'),
            "{shell} printed raw escapes: {err:?}"
        );
    }
}

//! A user's first week with the hook (issue 20, items 5–8): tmux panes follow a switch, `remove`
//! of the profile a shell is on switches that shell off, a pin naming a profile that is gone says
//! so once and only the truth, and `ccs use -` goes back. Each test failed on the code before.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::common::shells::{self, PRINT_SWITCH, TestShell};
use crate::common::tmux::{POLL, TIMEOUT, Term, can_run};
use crate::common::{Sandbox, stderr, stdout};

// ---------------------------------------------------------------------------------------------
// tmux

/// The pane's shell was started with `env -i` (see `Term::start`), so it lacks what tmux gives
/// every pane: the line that exports them as tmux would.
fn export_tmux_vars(term: &Term, shell: TestShell) -> String {
    let out = term.tmux(&[
        "display-message",
        "-p",
        "-t",
        "ccs",
        "#{socket_path},#{pid},#{session_id}|#{pane_id}",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    let (tmux, pane) = text.trim_end().split_once('|').unwrap();
    let tmux = tmux.replace('$', "");
    [("TMUX", tmux.as_str()), ("TMUX_PANE", pane)]
        .map(|(name, value)| shell.export(name, &format!("'{value}'")))
        .join("; ")
}

/// Opens a pane (or a window) from the session as a person would and returns what it started
/// with: `CLAUDE_CONFIG_DIR|CCS_PROFILE`, `unset` for a variable it lacks.
fn new_pane_env(term: &Term, sandbox: &Sandbox, how: &str, n: usize) -> String {
    let out = sandbox.root.join(format!("pane-{n}"));
    let script = format!(
        "printf '%s|%s' \"${{CLAUDE_CONFIG_DIR-unset}}\" \"${{CCS_PROFILE-unset}}\" > '{0}.tmp' && mv '{0}.tmp' '{0}'",
        out.display()
    );
    let made = term.tmux(&[how, "-d", "-t", "ccs", "sh", "-c", &script]);
    assert!(made.status.success(), "{}", stderr(&made));
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Ok(text) = fs::read_to_string(&out) {
            return text;
        }
        assert!(Instant::now() < deadline, "the new pane wrote nothing");
        std::thread::sleep(POLL);
    }
}

/// After `ccs use`, `ccs off` and `ccs use -` in a pane, panes and windows opened from the session
/// start where that pane is: whether the server was started on a profile or not.
#[test]
fn new_tmux_panes_start_on_the_profile_switched_to() {
    let at = |dir: &Path, name: &str| format!("{}|{name}", dir.display());
    let mut n = 0;
    for shell in shells::installed() {
        for server_on_work in [false, true] {
            if !can_run(shell) {
                continue;
            }
            // A sandbox each: each has its own tmux server.
            let sandbox = Sandbox::new();
            let work = sandbox.create("work");
            let personal = sandbox.create("personal");
            let mut term = Term::start(&sandbox, shell);
            if server_on_work {
                // As if the server had been started from a shell on `work`.
                for (name, value) in [
                    ("CLAUDE_CONFIG_DIR", work.to_str().unwrap()),
                    ("CCS_PROFILE", "work"),
                ] {
                    term.tmux(&["set-environment", "-g", name, value]);
                }
            }
            let prompt = shell.prompt;
            term.expect(&export_tmux_vars(&term, shell), &[], prompt);
            term.expect(&shell.source_hook(""), &[], prompt);
            let what = format!("{} (server on work: {server_on_work})", shell.name);
            let mut step = |command: &str, how: &str, want: String| {
                let out = term.run(command);
                assert!(
                    out.output.iter().all(|l| !l.contains("tmux")),
                    "{what}: {command}: {:?}",
                    out.output
                );
                n += 1;
                assert_eq!(
                    new_pane_env(&term, &sandbox, how, n),
                    want,
                    "{what}: after `{command}`"
                );
            };
            step(
                "ccs use personal",
                "split-window",
                at(&personal, "personal"),
            );
            step("ccs use work", "new-window", at(&work, "work"));
            step("ccs off", "split-window", "unset|unset".into());
            step("ccs use -", "new-window", at(&work, "work"));
        }
    }
}

/// `ccs doctor` in a pane of a tmux server whose global environment carries a profile names it,
/// with the fix; once fixed, it says the server holds none.
#[test]
fn doctor_names_a_tmux_server_started_on_a_profile() {
    if !can_run(shells::BASH) {
        return;
    }
    let sandbox = Sandbox::new();
    let work = sandbox.create("work");
    let term = Term::start(&sandbox, shells::BASH);
    term.tmux(&[
        "set-environment",
        "-g",
        "CLAUDE_CONFIG_DIR",
        work.to_str().unwrap(),
    ]);
    let socket = sandbox.root.join("tmux.sock");
    let doctor = || {
        let out = sandbox
            .ccs(["doctor"])
            .env("TMUX", format!("{},1,0", socket.display()))
            .output()
            .unwrap();
        stdout(&out) + &stderr(&out)
    };
    let report = doctor();
    assert!(
        report.contains(&format!(
            "this tmux server was started on CLAUDE_CONFIG_DIR={} (profile 'work')",
            work.display()
        )) && report.contains("tmux set-environment -g -u CLAUDE_CONFIG_DIR"),
        "{report}"
    );
    term.tmux(&["set-environment", "-g", "-u", "CLAUDE_CONFIG_DIR"]);
    let report = doctor();
    assert!(
        report.contains("the tmux server's global environment holds no profile"),
        "{report}"
    );
}

// ---------------------------------------------------------------------------------------------
// remove

/// The hook's `ccs remove` (and `rm`) of the profile the shell is on switches the shell off, and
/// the report still reaches the person; removing another profile leaves the shell alone.
#[test]
fn the_hook_switches_a_shell_off_the_profile_it_removes() {
    for shell in shells::installed() {
        let sandbox = Sandbox::new();
        sandbox.create("work");
        sandbox.create("other");
        sandbox.create("spare");
        let script = [
            shell.source_hook("").as_str(),
            "ccs use work",
            "ccs remove spare --yes",
            PRINT_SWITCH,
            "ccs remove work --yes",
            &shell.print_or("%s\\n", "CLAUDE_CONFIG_DIR", "unset"),
            "ccs use other",
            "ccs rm other --yes",
            &shell.print_or("%s\\n", "CCS_PROFILE", "unset"),
        ]
        .join("\n")
            + "\n";
        let out = sandbox.shell(shell, &script);
        let name = shell.name;
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        assert_eq!(
            stdout(&out).lines().collect::<Vec<_>>(),
            [
                format!("{}|work", sandbox.instance("work").display()),
                "unset".into(),
                "unset".into()
            ],
            "{name}: {}",
            stderr(&out)
        );
        let err = stderr(&out);
        assert!(
            err.contains("Removed profile 'work'")
                && err.contains("Removed profile 'spare'")
                && err.matches("Switched this shell off it").count() == 2
                && !err.contains("still points at"),
            "{name}: {err}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// pins

fn pinned_project(sandbox: &Sandbox, name: &str) -> PathBuf {
    let proj = sandbox.home.join("proj");
    fs::create_dir_all(proj.join("src")).unwrap();
    fs::write(proj.join(".ccs-profile"), format!("{name}\n")).unwrap();
    proj
}

/// After `ccs rename work job`, a pin of `work` says so once per shell, naming the file and the
/// fix, however often the tree is entered; leaving it (the pin never applied) says nothing.
#[test]
fn a_pin_of_a_profile_that_is_gone_says_so_once() {
    for shell in shells::installed() {
        let sandbox = Sandbox::new();
        sandbox.create("work");
        let proj = pinned_project(&sandbox, "work");
        sandbox.ok(["rename", "work", "job"]);
        let check = shell.after_cd.map_or(String::new(), |c| format!("; {c}"));
        let mut script = format!("{}\n", shell.source_hook("--auto"));
        for dir in [
            &proj,
            &sandbox.home,
            &proj.join("src"),
            &sandbox.home,
            &proj,
        ] {
            script.push_str(&format!("cd '{}'{check}\n", dir.display()));
        }
        script.push_str(&shell.print_or("%s\\n", "CCS_PROFILE", "none"));
        script.push('\n');
        let out = sandbox.shell(shell, &script);
        let name = shell.name;
        let err = stderr(&out);
        assert_eq!(stdout(&out), "none\n", "{name}: {err}");
        let pin = proj.join(".ccs-profile");
        assert_eq!(
            err.lines().collect::<Vec<_>>(),
            [format!(
                "ccs: {} pins profile 'work', which does not exist: pin another there (ccs pin \
                 <profile>) or remove the pin (ccs unpin)",
                pin.display()
            )],
            "{name}"
        );
    }
}

/// Entering a tree pinned to the profile the shell is already on, and leaving it, change
/// nothing: nothing is said.
#[test]
fn a_pin_that_changes_nothing_says_nothing() {
    for shell in shells::installed() {
        let sandbox = Sandbox::new();
        sandbox.create("work");
        let proj = pinned_project(&sandbox, "work");
        let check = shell.after_cd.map_or(String::new(), |c| format!("; {c}"));
        let script = format!(
            "{}\nccs use work\ncd '{}'{check}\ncd '{}'{check}\n{}\n",
            shell.source_hook("--auto"),
            proj.display(),
            sandbox.home.display(),
            shell.print_or("%s\\n", "CCS_PROFILE", "none"),
        );
        let out = sandbox.shell(shell, &script);
        assert_eq!(stdout(&out), "work\n", "{}: {}", shell.name, stderr(&out));
        assert_eq!(stderr(&out), "", "{}", shell.name);
    }
}

/// `cd ~/proj; ccs use personal` on one line, at a real prompt: the shell ends on `personal`, and
/// nothing claims it is on the pinned `work`.
#[test]
fn ccs_use_inside_a_pinned_tree_tells_the_truth() {
    if !can_run(shells::BASH) {
        return;
    }
    let sandbox = Sandbox::new();
    sandbox.create("work");
    sandbox.create("personal");
    let proj = pinned_project(&sandbox, "work");
    let mut term = Term::start(&sandbox, shells::BASH);
    term.expect(&shells::BASH.source_hook("--auto --prompt"), &[], "$");
    let line = format!("cd '{}'; ccs use personal", proj.display());
    term.expect(&line, &[], "(personal) $");
    term.expect(
        "cd ~",
        &["ccs: left the pinned tree; back to the default ~/.claude"],
        "$",
    );
}

// ---------------------------------------------------------------------------------------------
// ccs use -

/// `ccs use -` goes back to the profile before the last `use` or `off`, and to none; with nothing
/// to go back to it fails, changing nothing. With the hook and without it.
#[test]
fn use_dash_goes_back_to_the_previous_profile() {
    let sandbox = Sandbox::new();
    let work = sandbox.create("work");
    let personal = sandbox.create("personal");
    for shell in shells::installed() {
        let show = shell.print_or("%s\\n", "CCS_PROFILE", "none");
        let with_hook = [
            shell.source_hook(""),
            "ccs use -".into(),
            show.clone(),
            "ccs use work".into(),
            "ccs use personal".into(),
            "ccs use -".into(),
            show.clone(),
            "ccs off".into(),
            "ccs use -".into(),
            show.clone(),
            "ccs use -".into(),
            show.clone(),
            "ccs use -".into(),
            show.clone(),
        ]
        .join("\n")
            + "\n";
        let out = sandbox.shell(shell, &with_hook);
        let name = shell.name;
        assert_eq!(
            stdout(&out).lines().collect::<Vec<_>>(),
            ["none", "work", "work", "none", "work"],
            "{name}: {}",
            stderr(&out)
        );
        let err = stderr(&out);
        assert!(
            err.starts_with("ccs: no previous profile in this shell")
                && err.contains("ccs: back to work")
                && err.contains("ccs: back to no profile"),
            "{name}: {err}"
        );
        // Without the hook: the environment carries the previous profile.
        let plain = [
            shell.eval(&format!("ccs use --shell {name} work")),
            shell.eval(&format!("ccs use --shell {name} personal")),
            shell.eval(&format!("ccs use --shell {name} -")),
            PRINT_SWITCH.into(),
        ]
        .join("\n")
            + "\n";
        let out = sandbox.shell(shell, &plain);
        assert_eq!(
            stdout(&out),
            format!("{}|work\n", work.display()),
            "{name}: {}",
            stderr(&out)
        );
        let _ = &personal;
    }
    // Nothing to go back to: one line on stderr, nothing on stdout.
    let out = sandbox.run(["use", "-", "--shell", "bash"]);
    assert!(!out.status.success() && out.stdout.is_empty());
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}

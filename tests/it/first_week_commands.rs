//! A new user's everyday commands (issue 20): a typo gets "did you mean", commands that take
//! one profile take the active one, exit codes tell the truth, help describes every argument,
//! colour where a person reads, and an existing config dir can become a profile.

use std::fs;

use crate::common::{Sandbox, stderr, stdout};

/// `ccs ARGS` with this shell's active profile set the way `ccs use` sets it.
fn on_profile(sandbox: &Sandbox, name: &str, args: &[&str]) -> std::process::Output {
    sandbox
        .ccs(args)
        .env("CLAUDE_CONFIG_DIR", sandbox.instance(name))
        .env("CCS_PROFILE", name)
        .output()
        .unwrap()
}

fn assert_fails_with(out: &std::process::Output, needle: &str) {
    assert!(!out.status.success(), "succeeded: {}", stdout(out));
    assert_eq!(stdout(out), "", "a failure prints nothing on stdout");
    let err = stderr(out);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains(needle), "{needle:?} in {err}");
}

#[test]
fn a_typo_of_a_profile_gets_did_you_mean_never_create_it() {
    let sandbox = Sandbox::with_profiles(&["work", "personal"]);
    for args in [
        &["use", "wrok", "--shell", "bash"][..],
        &["remove", "wrok", "--yes"],
        &["show", "wrok"],
        &["path", "wrok"],
        &["rename", "wrok", "job"],
    ] {
        let out = sandbox.run(args);
        assert_fails_with(&out, "profile 'wrok' does not exist; did you mean 'work'?");
        assert!(
            !stderr(&out).contains("create"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    // Nothing close: the profiles there are, and no "create it" for a command that needs one to
    // exist; `use`, which may be meant for a new profile, offers to make it.
    let out = sandbox.run(["remove", "nope", "--yes"]);
    assert_fails_with(
        &out,
        "profile 'nope' does not exist (profiles: personal, work)",
    );
    let out = sandbox.run(["use", "nope", "--shell", "bash"]);
    assert_fails_with(
        &out,
        "profile 'nope' does not exist (profiles: personal, work; create it with: ccs create nope)",
    );
    // An empty store: how to make one.
    let empty = Sandbox::new();
    assert_fails_with(
        &empty.run(["use", "work", "--shell", "bash"]),
        "(no profiles yet; create it with: ccs create work)",
    );
}

#[test]
fn a_typo_of_a_command_gets_did_you_mean() {
    let sandbox = Sandbox::with_profiles(&["work"]);
    let out = sandbox.run(["lsit"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("did you mean 'list'?"),
        "{}",
        stderr(&out)
    );
    let out = sandbox.run(["wrok", "hello"]);
    assert!(
        stderr(&out).contains("did you mean 'work'?"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn commands_that_take_one_profile_default_to_the_active_one() {
    let sandbox = Sandbox::with_profiles(&["work", "personal"]);
    let dir = sandbox.instance("work");
    let out = on_profile(&sandbox, "work", &["path"]);
    assert_eq!(stdout(&out), format!("{}\n", dir.display()));
    let out = on_profile(&sandbox, "work", &["show"]);
    assert!(stdout(&out).starts_with("work\n"), "{}", stdout(&out));
    let project = sandbox.root.join("project");
    fs::create_dir(&project).unwrap();
    let out = sandbox
        .ccs(["pin"])
        .env("CLAUDE_CONFIG_DIR", &dir)
        .current_dir(&project)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(project.join(".ccs-profile")).unwrap(),
        "work\n"
    );
    // No name and none active: one line naming the way out.
    for command in ["path", "show", "pin"] {
        assert_fails_with(
            &sandbox.run([command]),
            &format!("no profile is active in this shell: name one (ccs {command} NAME)"),
        );
    }
}

#[test]
fn current_on_a_profile_that_is_gone_exits_1_with_nothing_on_stdout() {
    let sandbox = Sandbox::with_profiles(&["work"]);
    let dir = sandbox.instance("work");
    fs::remove_dir_all(&dir).unwrap();
    let out = on_profile(&sandbox, "work", &["current"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).contains("no longer exists; run: ccs off"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_name_outside_ascii_is_told_what_is_allowed() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(["create", "é"]);
    assert_fails_with(&out, "it contains a character outside ASCII");
    assert!(stderr(&out).contains("ASCII letters, digits, '.', '_' or '-'"));
    assert!(!stderr(&out).contains("must start with a letter"));
}

#[test]
fn usage_errors_show_the_commands_whole_usage() {
    let sandbox = Sandbox::with_profiles(&["work"]);
    let out = sandbox.run(["sync", "work", "--all"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("(usage: ccs sync [OPTIONS] [NAME])"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn every_argument_is_described_and_help_holds_no_developer_notes() {
    let sandbox = Sandbox::new();
    let commands = [
        "create", "use", "show", "sync", "rename", "du", "clean", "path", "remove", "exec",
        "default", "pin", "usage", "init", "import",
    ];
    for command in commands {
        let help = sandbox.ok([command, "--help"]);
        // Between "Arguments:" and "Options:": each argument's line (`<NAME>`, `[NAME]`; not
        // `[possible values: …]`) with its description beside it, or below it in long help.
        let arguments = help
            .split("Arguments:\n")
            .nth(1)
            .map(|rest| rest.split("\nOptions:").next().unwrap_or(""))
            .unwrap_or("");
        let is_argument = |l: &str| {
            let l = l.trim_start();
            l.starts_with(['<', '[']) && l[1..].starts_with(|c: char| c.is_ascii_uppercase())
        };
        let lines: Vec<&str> = arguments.lines().collect();
        for (i, line) in lines.iter().enumerate().filter(|(_, l)| is_argument(l)) {
            let beside = line
                .trim()
                .split_once("  ")
                .is_some_and(|(_, d)| !d.trim().is_empty());
            let below = lines
                .get(i + 1)
                .is_some_and(|l| !l.trim().is_empty() && !is_argument(l));
            assert!(beside || below, "ccs {command}: {line}\n{help}");
        }
        assert!(!help.contains("PowerShell drops"), "ccs {command}: {help}");
    }
    let init = sandbox.ok(["init", "--help"]);
    for line in [
        "eval \"$(ccs init bash)\"",
        "eval \"$(ccs init zsh)\"",
        "ccs init fish | source",
        "Invoke-Expression (& ccs init powershell | Out-String)",
    ] {
        assert!(init.contains(line), "{line} in {init}");
    }
}

#[test]
fn colour_follows_the_flag_and_the_conventions() {
    let sandbox = Sandbox::with_profiles(&["work"]);
    let esc = "\u{1b}[";
    // Not a terminal: plain.
    assert!(!stdout(&on_profile(&sandbox, "work", &["list"])).contains(esc));
    // --color always, CLICOLOR_FORCE: painted; NO_COLOR wins over CLICOLOR_FORCE (the
    // convention); --color never over both.
    let list = stdout(&on_profile(
        &sandbox,
        "work",
        &["list", "--color", "always"],
    ));
    assert!(list.starts_with(esc) && list.contains("* work"), "{list:?}");
    let forced = |extra: &[(&str, &str)], args: &[&str]| {
        let mut cmd = sandbox.ccs(args);
        cmd.env("CLAUDE_CONFIG_DIR", sandbox.instance("work"));
        cmd.env("CLICOLOR_FORCE", "1");
        for (k, v) in extra {
            cmd.env(k, v);
        }
        stdout(&cmd.output().unwrap())
    };
    assert!(forced(&[], &["list"]).contains(esc));
    assert!(!forced(&[("NO_COLOR", "1")], &["list"]).contains(esc));
    assert!(!forced(&[], &["list", "--color", "never"]).contains(esc));
    // doctor paints its levels; `use` prints code, which is never painted.
    let doctor = forced(&[], &["doctor"]);
    assert!(doctor.contains(esc), "{doctor:?}");
    let code = forced(
        &[],
        &["use", "work", "--shell", "bash", "--color", "always"],
    );
    assert!(!code.contains(esc), "{code:?}");
}

#[test]
fn import_makes_a_hand_made_config_dir_a_profile() {
    let sandbox = Sandbox::new();
    let old = sandbox.home.join(".claude-work");
    fs::create_dir_all(old.join("projects/-home-me-app")).unwrap();
    fs::write(old.join("projects/-home-me-app/s.jsonl"), "{}\n").unwrap();
    fs::write(
        old.join(".claude.json"),
        r#"{"oauthAccount":{"emailAddress":"w@example.com","accountUuid":"u1"}}"#,
    )
    .unwrap();
    fs::write(
        old.join(".credentials.json"),
        r#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-SECRET","subscriptionType":"max"}}"#,
    )
    .unwrap();
    let out = sandbox.run(["import", "work", old.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("as profile 'work'"),
        "{}",
        stdout(&out)
    );
    assert!(!format!("{}{}", stdout(&out), stderr(&out)).contains("SECRET"));
    let dir = sandbox.instance("work");
    assert!(!old.exists(), "moved, not copied");
    assert!(dir.join("projects/-home-me-app/s.jsonl").is_file());
    assert!(sandbox.ok(["list"]).contains("max · w@example.com"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
    }
    // Refused, with nothing moved: the default, a name taken, a mistyped path, the store.
    fs::create_dir_all(sandbox.home.join(".claude/projects")).unwrap();
    let claude = sandbox.home.join(".claude");
    assert_fails_with(
        &sandbox.run(["import", "main", claude.to_str().unwrap()]),
        "Claude Code's default config dir",
    );
    assert!(claude.is_dir());
    let other = sandbox.home.join(".claude-other");
    fs::create_dir_all(other.join("projects")).unwrap();
    assert_fails_with(
        &sandbox.run(["import", "work", other.to_str().unwrap()]),
        "profile 'work' already exists",
    );
    let typo = sandbox.home.join("Documents");
    fs::create_dir_all(&typo).unwrap();
    assert_fails_with(
        &sandbox.run(["import", "docs", typo.to_str().unwrap()]),
        "does not look like a Claude Code config dir",
    );
    assert_fails_with(
        &sandbox.run(["import", "again", dir.to_str().unwrap()]),
        "inside the store",
    );
    assert!(other.is_dir() && typo.is_dir() && dir.is_dir());
}

/// `ccs statusline` typed at a terminal says what it is for and returns to the prompt, instead of
/// waiting for the JSON Claude Code would send on stdin.
#[test]
fn statusline_typed_at_a_terminal_prints_its_help() {
    use crate::common::shells::BASH;
    use crate::common::tmux::{Term, can_run};
    if !can_run(BASH) {
        return;
    }
    let sandbox = Sandbox::new();
    let mut term = Term::start(&sandbox, BASH);
    let step = term.run("ccs statusline; echo rc=$?");
    let said = step.output.join("\n");
    assert!(said.contains("The status line for Claude Code"), "{said}");
    assert!(said.contains("Usage: ccs statusline"), "{said}");
    assert_eq!(
        step.output.last().map(String::as_str),
        Some("rc=2"),
        "{said}"
    );
}

//! The command-line contract: what each command prints, where, and with which exit code, and that
//! bad input gets a clear one-line error, empty stdout and no file touched.

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::common;
use crate::common::shells::{self, BASH, FISH};
use crate::common::{Sandbox, stderr, stdout};
use ccs::Shell;

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A failed command: non-zero exit, nothing on stdout, one line on stderr containing `needle`.
fn assert_clean_failure(out: &std::process::Output, needle: &str) {
    assert!(
        !out.status.success(),
        "expected failure, got success: {}",
        stdout(out)
    );
    assert!(
        out.stdout.is_empty(),
        "a failure must print nothing on stdout: {:?}",
        stdout(out)
    );
    let err = stderr(out);
    assert_eq!(err.lines().count(), 1, "error must be one line: {err:?}");
    assert!(err.starts_with("ccs: "), "{err:?}");
    assert!(
        err.contains(needle),
        "error should mention {needle:?}: {err:?}"
    );
}

#[test]
fn create_makes_a_private_instance_with_claude_codes_layout() {
    let sandbox = Sandbox::new();
    let out = sandbox.ok(["create", "work"]);
    let dir = sandbox.instance("work");
    assert!(out.contains(dir.to_str().unwrap()), "{out}");
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&sandbox.ccs_home), 0o700);
    for sub in ["session-env", "commands", "skills"] {
        assert!(dir.join(sub).is_dir(), "{sub} missing");
        assert_eq!(mode(&dir.join(sub)), 0o700, "{sub}");
    }
    // What today's Claude Code only sweeps (legacy) is not made any more.
    for legacy in ["todos", "logs"] {
        assert!(!dir.join(legacy).exists(), "{legacy}");
    }
    let leftovers: Vec<_> = fs::read_dir(sandbox.ccs_home.join("instances"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["work"], "no staging directory may remain");
}

#[test]
fn create_is_private_whatever_the_umask() {
    let sandbox = Sandbox::new();
    let out = sandbox.shell(BASH, "umask 000; ccs create work >/dev/null");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(mode(&sandbox.instance("work")), 0o700);
    assert_eq!(mode(&sandbox.instance("work").join("session-env")), 0o700);
}

#[test]
fn create_shares_the_users_commands_and_skills_and_a_copy_is_independent() {
    let sandbox = Sandbox::new();
    let claude = sandbox.home.join(".claude");
    fs::create_dir_all(claude.join("commands/nested")).unwrap();
    fs::create_dir_all(claude.join("skills/review")).unwrap();
    fs::write(claude.join("commands/nested/deploy.md"), "deploy it\n").unwrap();
    fs::write(claude.join("skills/review/SKILL.md"), "review\n").unwrap();
    std::os::unix::fs::symlink("SKILL.md", claude.join("skills/review/link.md")).unwrap();
    // By default: linked, so the profile sees ~/.claude's own files.
    let dir = sandbox.create("work");
    assert_eq!(
        fs::read_link(dir.join("commands")).unwrap(),
        claude.join("commands")
    );
    // skills/ entry by entry: the client keeps each account's synced skills in it.
    assert_eq!(
        fs::read_link(dir.join("skills/review")).unwrap(),
        claude.join("skills/review")
    );
    assert_eq!(
        fs::read_to_string(dir.join("commands/nested/deploy.md")).unwrap(),
        "deploy it\n"
    );
    // With --copy: a copy, links inside it recreated as links, private.
    sandbox.ok(["create", "copied", "--copy"]);
    let dir = sandbox.instance("copied");
    assert!(
        !fs::symlink_metadata(dir.join("commands"))
            .unwrap()
            .is_symlink()
    );
    assert_eq!(mode(&dir.join("skills/review")), 0o700);
    assert_eq!(
        fs::read_to_string(dir.join("skills/review/SKILL.md")).unwrap(),
        "review\n"
    );
    assert_eq!(
        fs::read_link(dir.join("skills/review/link.md")).unwrap(),
        Path::new("SKILL.md")
    );
    // A copy, not a link: editing the profile's copy leaves ~/.claude alone.
    fs::write(dir.join("commands/nested/deploy.md"), "changed\n").unwrap();
    assert_eq!(
        fs::read_to_string(claude.join("commands/nested/deploy.md")).unwrap(),
        "deploy it\n"
    );
    let in_claude: Vec<_> = fs::read_dir(&claude)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        in_claude.len(),
        2,
        "nothing is created in ~/.claude: {in_claude:?}"
    );
}

#[test]
fn create_refuses_an_existing_profile_and_keeps_it() {
    let sandbox = Sandbox::new();
    let dir = sandbox.create("work");
    fs::write(dir.join(".credentials.json"), "{}").unwrap();
    assert_clean_failure(&sandbox.run(["create", "work"]), "already exists");
    assert_clean_failure(&sandbox.run(["create", "WORK"]), "differs only in case");
    assert_eq!(
        fs::read_to_string(dir.join(".credentials.json")).unwrap(),
        "{}"
    );
}

#[test]
fn invalid_names_are_refused_everywhere_and_touch_nothing() {
    let sandbox = Sandbox::new();
    for name in [
        "", "../x", "/etc", "-rf", "a b", "a\nb", "wоrk", ".hidden", "a/b", "..",
    ] {
        for cmd in [
            "create", "use", "path", "remove", "show", "sync", "du", "clean",
        ] {
            let out = sandbox.run([cmd, "--", name]);
            assert_clean_failure(&out, "invalid profile name");
        }
        for args in [["rename", "--", name, "ok"], ["rename", "--", "ok", name]] {
            assert_clean_failure(&sandbox.run(args), "invalid profile name");
        }
    }
    assert!(
        !sandbox.ccs_home.exists(),
        "an invalid name must not create the store"
    );
}

#[test]
fn use_prints_exports_of_the_canonical_path() {
    let sandbox = Sandbox::new();
    let dir = sandbox.create("work");
    // From a shell on no profile: `CCS_PREVIOUS` remembers that, for `ccs use -`.
    let want = format!(
        "export CLAUDE_CONFIG_DIR={};\nexport CCS_PROFILE=work;\nexport CCS_PREVIOUS='~/.claude';\n",
        dir.display()
    );
    assert_eq!(sandbox.ok(["use", "work", "--shell", "bash"]), want);
    // The same string however CCS_HOME is spelled.
    for spelling in [
        format!("{}/", sandbox.ccs_home.display()),
        format!("{}//./", sandbox.ccs_home.display()),
    ] {
        let out = sandbox
            .ccs(["use", "work", "--shell", "bash"])
            .env("CCS_HOME", &spelling)
            .output()
            .unwrap();
        assert_eq!(stdout(&out), want, "CCS_HOME={spelling}");
    }
    let fish = sandbox.ok(["use", "work", "--shell", "fish"]);
    assert_eq!(
        fish,
        format!(
            "set -gx CLAUDE_CONFIG_DIR '{}';\nset -gx CCS_PROFILE 'work';\nset -gx CCS_PREVIOUS '~/.claude';\n",
            dir.display()
        )
    );
}

#[test]
fn use_of_a_missing_profile_fails_cleanly() {
    let sandbox = Sandbox::new();
    sandbox.create("work");
    let out = sandbox.run(["use", "nosuch", "--shell", "bash"]);
    assert_clean_failure(&out, "profile 'nosuch' does not exist");
    assert!(stderr(&out).contains("ccs create nosuch"));
}

#[test]
fn off_unsets_both_variables_in_each_shell() {
    let sandbox = Sandbox::new();
    for shell in shells::ALL {
        let want = match shell.kind {
            Shell::Bash | Shell::Zsh => "unset CLAUDE_CONFIG_DIR CCS_PROFILE;\n",
            Shell::Fish => "set -e -g CLAUDE_CONFIG_DIR CCS_PROFILE;\n",
            Shell::Powershell => "$env:CLAUDE_CONFIG_DIR = $null;\n$env:CCS_PROFILE = $null;\n",
            Shell::Nu => "{set: {}, unset: [CLAUDE_CONFIG_DIR, CCS_PROFILE], tmux: []}\n",
        };
        let name = shell.name;
        assert_eq!(sandbox.ok(["off", "--shell", name]), want, "{name}");
    }
}

#[test]
fn the_shell_is_detected_from_ccs_shell_then_the_parent_then_shell() {
    let sandbox = Sandbox::new();
    sandbox.create("work");
    let fish_line = "set -gx CCS_PROFILE 'work';";
    let posix_line = "export CCS_PROFILE=work;";
    // The parent process: a real bash and a real fish running the command.
    let out = sandbox.shell(BASH, "ccs use work");
    assert!(stdout(&out).contains(posix_line), "{}", stdout(&out));
    if FISH.here() {
        let out = sandbox.shell(FISH, "ccs use work");
        assert!(stdout(&out).contains(fish_line), "{}", stdout(&out));
    }
    // CCS_SHELL wins over the parent.
    let out = sandbox.shell(BASH, "CCS_SHELL=fish ccs use work");
    assert!(stdout(&out).contains(fish_line), "{}", stdout(&out));
    // The parent here is the test binary, not a shell: $SHELL decides.
    let out = sandbox
        .ccs(["use", "work"])
        .env("SHELL", "/usr/bin/fish")
        .output()
        .unwrap();
    assert!(stdout(&out).contains(fish_line), "{}", stdout(&out));
    // Nothing to go on: say so.
    assert_clean_failure(&sandbox.run(["use", "work"]), "cannot tell which shell");
    let out = sandbox
        .ccs(["use", "work"])
        .env("CCS_SHELL", "tcsh")
        .output()
        .unwrap();
    assert_clean_failure(&out, "CCS_SHELL=\"tcsh\"");
}

#[test]
fn current_reads_claude_config_dir() {
    let sandbox = Sandbox::new();
    let dir = sandbox.create("work");
    let out = sandbox.run(["current"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());

    for value in [dir.display().to_string(), format!("{}/", dir.display())] {
        let out = sandbox
            .ccs(["current"])
            .env("CLAUDE_CONFIG_DIR", &value)
            .output()
            .unwrap();
        assert_eq!(stdout(&out), "work\n", "{value}");
    }
    // CCS_PROFILE is only for prompts: it does not make a profile active.
    let out = sandbox
        .ccs(["current"])
        .env("CCS_PROFILE", "work")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let out = sandbox
        .ccs(["current"])
        .env("CLAUDE_CONFIG_DIR", "/somewhere/else")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(stderr(&out).contains("not a ccs profile"));
}

#[test]
fn list_marks_the_active_profile_and_speaks_json() {
    let sandbox = Sandbox::new();
    let work = sandbox.create("work");
    sandbox.create("personal");
    fs::create_dir_all(sandbox.ccs_home.join("instances/.creating-x-1")).unwrap();
    fs::write(sandbox.ccs_home.join("instances/stray-file"), "").unwrap();
    fs::write(
        work.join(".credentials.json"),
        r#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-SECRET","subscriptionType":"max"}}"#,
    )
    .unwrap();
    fs::write(
        work.join(".claude.json"),
        r#"{"oauthAccount":{"emailAddress":"me@example.com","organizationName":"Acme"}}"#,
    )
    .unwrap();
    let out = sandbox
        .ccs(["list"])
        .env("CLAUDE_CONFIG_DIR", &work)
        .output()
        .unwrap();
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("  personal  not logged in "), "{text}");
    assert!(
        lines[1].starts_with("* work      max · me@example.com (Acme) "),
        "{text}"
    );
    assert!(lines.iter().all(|l| l.ends_with(" KB")), "sizes: {text}");
    // A table: every column padded to its width in characters (the summary holds a `·`), so the
    // sizes, right-aligned, end every line at the same column.
    let widths: Vec<usize> = lines.iter().map(|l| l.chars().count()).collect();
    assert!(
        widths.windows(2).all(|w| w[0] == w[1]),
        "ragged table: {text}"
    );
    assert!(!text.contains("SECRET"), "a token must never be printed");

    let out = sandbox
        .ccs(["list", "--json"])
        .env("CLAUDE_CONFIG_DIR", &work)
        .output()
        .unwrap();
    assert!(
        !stdout(&out).contains("SECRET"),
        "a token must never be printed"
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = json.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["name"], "personal");
    assert_eq!(
        rows[0]["path"],
        sandbox.instance("personal").to_str().unwrap()
    );
    assert_eq!(rows[0]["active"], false);
    assert_eq!(rows[0]["account"]["logged_in"], false);
    assert_eq!(rows[1]["name"], "work");
    assert_eq!(rows[1]["active"], true);
    assert_eq!(
        rows[1]["account"],
        serde_json::json!({"logged_in": true, "subscription": "max", "email": "me@example.com", "organization": "Acme"})
    );
    // Sizes are what du counts (allocated blocks), the dirs and the two files included.
    let du = std::process::Command::new("du")
        .args(["-sk"])
        .arg(&work)
        .output()
        .unwrap();
    let du_kb: u64 = stdout(&du)
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(rows[1]["size_bytes"].as_u64().unwrap(), du_kb * 1024);
    let empty = Sandbox::new();
    let out = empty.run(["list"]);
    assert!(out.status.success() && out.stdout.is_empty());
    assert!(stderr(&out).contains("ccs create"));
    assert_eq!(empty.ok(["list", "--json"]), "[]\n");
}

#[test]
fn list_into_a_closed_pipe_exits_quietly() {
    let sandbox = Sandbox::new();
    for i in 0..50 {
        sandbox.create(&format!("p{i}"));
    }
    // A pipe whose one read end is closed before ccs starts: every write ccs makes meets a
    // closed pipe (EPIPE, SIGPIPE being ignored by Rust programs), whatever the timing.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = sandbox.ccs(["list"]).stdout(writer).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
}

#[test]
fn path_prints_the_instance() {
    let sandbox = Sandbox::new();
    let dir = sandbox.create("work");
    assert_eq!(sandbox.ok(["path", "work"]), format!("{}\n", dir.display()));
    assert_clean_failure(&sandbox.run(["path", "nosuch"]), "does not exist");
}

#[test]
fn remove_needs_confirmation_and_says_what_is_lost() {
    let sandbox = Sandbox::new();
    let dir = sandbox.create("work");
    fs::write(dir.join(".credentials.json"), "{\"secret\":1}").unwrap();
    // stdin is not a terminal and there is no --yes: refuse, keep everything.
    assert_clean_failure(&sandbox.run(["remove", "work"]), "--yes");
    assert!(dir.join(".credentials.json").is_file());

    let out = sandbox.run(["remove", "work", "--yes"]);
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).contains("credentials and history are gone"));
    assert!(!dir.exists());
    let left: Vec<_> = fs::read_dir(sandbox.ccs_home.join("instances"))
        .unwrap()
        .collect();
    assert!(left.is_empty(), "nothing of the profile may remain");
}

#[test]
fn remove_asks_on_a_terminal() {
    if !common::have("script") {
        return;
    }
    let sandbox = Sandbox::new();
    let dir = sandbox.create("work");
    // `script` gives ccs a real terminal on stdin; the answers are typed into it.
    let ask = |answer: &str| {
        sandbox.shell(
            BASH,
            &format!("printf '{answer}\\n' | script -qec 'ccs remove work' /dev/null"),
        )
    };
    let out = ask("n");
    assert!(!out.status.success());
    assert!(
        stdout(&out).contains("deleted for good"),
        "{}",
        stdout(&out)
    );
    assert!(dir.is_dir(), "answering no keeps the profile");
    let out = ask("y");
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(!dir.exists());
}

#[test]
fn a_relative_or_unusable_store_is_refused() {
    let sandbox = Sandbox::new();
    let out = sandbox
        .ccs(["create", "work"])
        .env("CCS_HOME", "relative/dir")
        .output()
        .unwrap();
    assert_clean_failure(&out, "not an absolute path");
    let out = sandbox
        .ccs(["create", "work"])
        .env_remove("CCS_HOME")
        .env("HOME", "rel")
        .output()
        .unwrap();
    assert_clean_failure(&out, "HOME is unusable");
    // A store whose parent cannot be written (even by root).
    let out = sandbox
        .ccs(["create", "work"])
        .env("CCS_HOME", "/proc/ccs-test")
        .output()
        .unwrap();
    assert_clean_failure(&out, "cannot create /proc/ccs-test");
    // A store that is a file.
    let file = sandbox.root.join("a-file");
    fs::write(&file, "").unwrap();
    let out = sandbox
        .ccs(["create", "work"])
        .env("CCS_HOME", &file)
        .output()
        .unwrap();
    assert_clean_failure(&out, "Not a directory");
    assert_eq!(fs::read(&file).unwrap(), b"");
}

#[test]
fn without_home_the_store_named_by_ccs_home_still_works() {
    let sandbox = Sandbox::new();
    sandbox.create("work");
    let out = sandbox
        .ccs(["use", "work", "--shell", "bash"])
        .env_remove("HOME")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_non_utf8_store_fails_clearly_rather_than_printing_a_wrong_path() {
    let sandbox = Sandbox::new();
    let mut raw = sandbox.root.as_os_str().as_bytes().to_vec();
    raw.extend_from_slice(b"/bad-\xff-dir");
    let bad = std::ffi::OsStr::from_bytes(&raw);
    for args in [
        &["create", "work"][..],
        &["use", "work", "--shell", "bash"],
        &["list"],
    ] {
        let out = sandbox.ccs(args).env("CCS_HOME", bad).output().unwrap();
        assert_clean_failure(&out, "not valid UTF-8");
    }
    assert!(!Path::new(bad).exists());
}

#[test]
fn init_prints_the_hook_file_then_completion_then_the_prompt_opt_in() {
    let sandbox = Sandbox::new();
    for shell in shells::ALL {
        let hook: String = shell
            .hook_paths()
            .iter()
            .map(|file| fs::read_to_string(file).unwrap())
            .collect();
        let shell = shell.name;
        let completion = sandbox.ok(["completions", shell]);
        let plain = sandbox.ok(["init", shell]);
        assert!(
            plain.starts_with(&hook),
            "{shell}: the hook file comes first, verbatim"
        );
        // nushell's hook names the completer itself: the packagers' `extern` stays out.
        let registered = completion.split("\n# Without the hook").next().unwrap();
        assert!(
            plain.contains(registered),
            "{shell}: the hook registers completion"
        );
        let with_prompt = sandbox.ok(["init", shell, "--prompt"]);
        assert_eq!(
            with_prompt,
            plain + "__ccs_enable_prompt_prefix\n",
            "{shell}"
        );
    }
    assert!(!sandbox.ccs_home.exists(), "init touches no files");
}

#[test]
fn usage_errors_are_one_line_too_and_help_still_works() {
    let sandbox = Sandbox::new();
    for args in [
        &["use"][..],
        &["nosuchcommand"],
        &["use", "work", "--shell", "tcsh"],
        &["list", "--bogus"],
    ] {
        let out = sandbox.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err:?}");
        assert!(err.starts_with("ccs: "), "{err:?}");
    }
    assert!(stderr(&sandbox.run(["use"])).contains("<NAME>"));
    let help = sandbox.run(["use", "--help"]);
    assert!(help.status.success() && stdout(&help).contains("Usage: ccs use"));
    // The release and the Claude Code release its facts were read from, in one line.
    assert_eq!(
        sandbox.ok(["--version"]),
        format!(
            "ccs {} (Claude Code {})\n",
            env!("CARGO_PKG_VERSION"),
            ccs::CLAUDE_CODE_VERSION
        )
    );
}

//! Isolation proved against the real Claude Code client: two terminals on two profiles are two
//! accounts, `ccs off` is the default account again, and nothing reaches the real ~/.claude.
//!
//! Claude Code runs offline far enough for this: `claude auth status` reports the login it finds
//! in the active config dir, and any run writes its `.claude.json` there. The home is a real
//! one's (tests/it/common/home.rs). `tests/fetch-claude-code` installs the pinned version into
//! target/claude-code; locally these tests skip with a notice without it.

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::child::output_within;
use crate::common::home::{self, real_home};
use crate::common::tmux::{BASH, Term, ZSH, can_run};
use crate::common::{CLIENT_TIMEOUT, Sandbox, claude, stderr, stdout};

/// A login as Claude Code stores it, with fake tokens that expire in 2100.
fn credentials(plan: &str) -> String {
    format!(
        r#"{{"claudeAiOauth":{{"accessToken":"sk-ant-oat01-fake-{plan}","refreshToken":"sk-ant-ort01-fake-{plan}","expiresAt":4102444800000,"scopes":["user:inference","user:profile"],"subscriptionType":"{plan}"}}}}"#
    )
}

fn write_private(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).unwrap();
}

/// Every file under `dir` with its size: what the client must leave alone.
fn snapshot(dir: &Path) -> Vec<(PathBuf, u64)> {
    let mut files = Vec::new();
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                files.extend(snapshot(&path));
            } else {
                files.push((
                    path.clone(),
                    fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
                ));
            }
        }
    }
    files.sort();
    files
}

/// The JSON `claude auth status` printed at one prompt.
fn auth_status(term: &mut Term, claude: &Path) -> serde_json::Value {
    let step = term.run(&format!("'{}' auth status", claude.display()));
    let text = step.output.join("\n");
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{}: not JSON ({e}):\n{text}", term.program()))
}

#[test]
fn two_terminals_on_two_profiles_are_two_accounts() {
    let Some(claude) = claude() else { return };
    if !can_run("bash") || !can_run("zsh") {
        return;
    }
    let sandbox = Sandbox::new();
    real_home(&sandbox);
    let work = sandbox.create("work");
    let personal = sandbox.create("personal");
    write_private(&work.join(".credentials.json"), &credentials("max"));
    write_private(&personal.join(".credentials.json"), &credentials("pro"));
    // The default account, in the fake home's ~/.claude.
    let default_claude = sandbox.home.join(".claude");
    write_private(
        &default_claude.join(".credentials.json"),
        &credentials("team"),
    );
    let before = snapshot(&default_claude);

    // A second terminal on the same machine: the same HOME and store, its own tmux server.
    let mut second = Sandbox::new();
    second.home = sandbox.home.clone();
    second.ccs_home = sandbox.ccs_home.clone();

    let mut left = Term::start(&sandbox, BASH);
    let mut right = Term::start(&second, ZSH);
    left.expect("eval \"$(ccs init bash)\"", &[], "$");
    right.expect("eval \"$(ccs init zsh)\"", &[], "%");
    left.expect("ccs use work", &[], "$");
    right.expect("ccs use personal", &[], "%");

    // Both clients at the same time, each in its own terminal.
    let command = |c: &Path| format!("'{}' auth status", c.display());
    left.type_line(&command(&claude));
    right.type_line(&command(&claude));
    let left_status = left.next_prompt(&command(&claude));
    let right_status = right.next_prompt(&command(&claude));
    let parse = |lines: &[String]| -> serde_json::Value {
        serde_json::from_str(&lines.join("\n"))
            .unwrap_or_else(|e| panic!("not JSON ({e}): {lines:?}"))
    };
    let (l, r) = (parse(&left_status.output), parse(&right_status.output));
    assert_eq!(
        (l["loggedIn"].as_bool(), l["subscriptionType"].as_str()),
        (Some(true), Some("max")),
        "{l}"
    );
    assert_eq!(
        (r["loggedIn"].as_bool(), r["subscriptionType"].as_str()),
        (Some(true), Some("pro")),
        "{r}"
    );

    // While profiles are active, the default account's files are left alone.
    assert_eq!(
        snapshot(&default_claude),
        before,
        "nothing may be written to ~/.claude"
    );
    assert!(
        !sandbox.home.join(".claude.json").exists(),
        "nothing may be written to ~/.claude.json"
    );

    // `ccs off`: the default account again (whose own dir ~/.claude is), in that terminal only.
    left.expect("ccs off", &[], "$");
    assert_eq!(auth_status(&mut left, &claude)["subscriptionType"], "team");
    assert_eq!(auth_status(&mut right, &claude)["subscriptionType"], "pro");
}

#[test]
fn a_real_run_writes_its_state_into_the_active_profile_only() {
    let Some(claude) = claude() else { return };
    let sandbox = Sandbox::new();
    let home_claude = real_home(&sandbox);
    let untouched = home::snapshot(&home_claude);
    let first = sandbox.create("first");
    let second = sandbox.create("second");
    let project = home::project(&sandbox);
    for (name, dir) in [("first", &first), ("second", &second)] {
        // Offline and not logged in, `claude -p` stops at once, having written its state. Its
        // stdin is closed: it would read the rest of this script as its prompt.
        let script = format!(
            "eval \"$(ccs init bash)\"\nccs use {name}\ncd '{}'\n'{}' -p hi </dev/null >/dev/null 2>&1\necho ran\n",
            project.display(),
            claude.display()
        );
        let out = sandbox.shell("bash", &script);
        assert_eq!(stdout(&out), "ran\n", "{}", stderr(&out));
        assert!(
            dir.join(".claude.json").is_file(),
            "{name}: .claude.json belongs in the profile"
        );
        assert!(
            dir.join("projects").is_dir(),
            "{name}: projects/ belongs in the profile"
        );
    }
    assert!(!sandbox.home.join(".claude.json").exists());
    assert_eq!(home::snapshot(&home_claude), untouched, "~/.claude changed");
}

/// `ccs list` reuses what it measured while a profile's directory is unchanged (src/list_cache),
/// trusting that Claude Code replaces its files by renaming them into place. Proved here: right
/// after a real run, the listing equals a listing measured from scratch.
#[test]
fn list_after_a_real_run_equals_a_fresh_measurement() {
    let Some(claude) = claude() else { return };
    let sandbox = Sandbox::new().with_quick_settle();
    real_home(&sandbox);
    let work = sandbox.create("work");
    let before = stdout(&sandbox.list_until_cached(&["list", "--json"], &["work"]));
    assert!(sandbox.ccs_home.join("list-cache.tsv").is_file());
    let project = sandbox.root.join("project");
    fs::create_dir(&project).unwrap();
    let mut run = std::process::Command::new(&claude);
    sandbox.env(&mut run);
    run.args(["-p", "hi"])
        .env("CLAUDE_CONFIG_DIR", &work)
        .current_dir(&project)
        .stdin(std::process::Stdio::null());
    let out = output_within(&mut run, CLIENT_TIMEOUT);
    assert!(work.join(".claude.json").is_file(), "{}", stderr(&out));
    let cached = sandbox.ok(["list", "--json"]);
    assert_ne!(cached, before, "the run wrote into the profile");
    fs::remove_file(sandbox.ccs_home.join("list-cache.tsv")).unwrap();
    assert_eq!(cached, sandbox.ok(["list", "--json"]));
}

//! The user's preferences and user-scope MCP servers come along into profiles, and stay in step:
//! `~/.claude.json` as a real user's looks, the real client (2.1.332) reading the profiles, and
//! the client's lock on `.claude.json` respected. Locally the real-client tests skip with a
//! notice without the client.
#![cfg(unix)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::common::home::{self, real_home};
use crate::common::{Sandbox, claude, stderr, stdout};
use serde_json::{Value, json};

/// `~/.claude.json` with two user MCP servers that need no network and the preferences the
/// issue names, beside the account and state the client keeps there.
fn user_config(sandbox: &Sandbox) -> PathBuf {
    let file = sandbox.home.join(".claude.json");
    let config = json!({
        "numStartups": 41,
        "installMethod": "native",
        "autoUpdates": false,
        "theme": "light",
        "editorMode": "vim",
        "userID": "0000000000000000000000000000000000000000000000000000000000000001",
        "oauthAccount": {"emailAddress": "me@example.com", "accountUuid": "a"},
        "hasCompletedOnboarding": true,
        "projects": {"/home/me/src/app": {"hasTrustDialogAccepted": true}},
        "mcpServers": {
            "alpha": {"type": "stdio", "command": "true", "args": []},
            "beta": {"command": "true", "args": ["--beta"]}
        }
    });
    write_json(&file, &config);
    file
}

fn write_json(path: &Path, value: &Value) {
    fs::write(path, serde_json::to_string_pretty(value).unwrap() + "\n").unwrap();
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

/// The real client as `profile`, with `args`, in the sandbox's home.
fn run_claude(claude: &Path, sandbox: &Sandbox, profile: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(claude);
    sandbox.env(&mut cmd);
    cmd.args(args)
        .env("CLAUDE_CONFIG_DIR", profile)
        .current_dir(&sandbox.home)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn mcp_list(claude: &Path, sandbox: &Sandbox, profile: &Path) -> String {
    let out = run_claude(claude, sandbox, profile, &["mcp", "list"]);
    format!("{}{}", stdout(&out), stderr(&out))
}

/// A new profile has the user's servers (`claude mcp list` lists them) and install method
/// (`claude doctor` reads it), an isolated one has neither, and nothing in `~/.claude` or
/// `~/.claude.json` changes, though the client ran on a profile linking `settings.json`.
#[test]
fn a_new_profile_has_the_users_mcp_servers_and_preferences() {
    let Some(claude) = claude() else { return };
    let sandbox = Sandbox::new();
    let home_claude = real_home(&sandbox);
    let config = user_config(&sandbox);
    let untouched = home::snapshot(&home_claude);
    let config_before = fs::read(&config).unwrap();

    let created = sandbox.ok(["create", "work"]);
    assert!(created.contains("alpha beta"), "{created}");
    let work = sandbox.instance("work");
    let listed = mcp_list(&claude, &sandbox, &work);
    assert!(!listed.contains("No MCP servers configured"), "{listed}");
    for name in ["alpha:", "beta:"] {
        assert!(listed.contains(name), "{name} in {listed}");
    }
    let doctor = run_claude(&claude, &sandbox, &work, &["doctor"]);
    let doctor = stdout(&doctor);
    assert!(doctor.contains("Config install method: native"), "{doctor}");
    assert!(!doctor.contains("config install method is"), "{doctor}");
    // The account, user id, counters and project trust stayed behind.
    let profile = read_json(&work.join(".claude.json"));
    assert_ne!(profile["userID"], read_json(&config)["userID"]);
    assert!(profile.get("oauthAccount").is_none(), "{profile}");
    assert!(
        profile
            .get("projects")
            .is_none_or(|p| p.get("/home/me/src/app").is_none())
    );
    // Private, as the client writes it.
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(work.join(".claude.json"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "{mode:o}");

    sandbox.ok(["create", "solo", "--isolated"]);
    let solo = mcp_list(&claude, &sandbox, &sandbox.instance("solo"));
    assert!(solo.contains("No MCP servers configured"), "{solo}");

    let shown = sandbox.ok(["show", "work"]);
    assert!(
        shown.contains("MCP servers: 2 from ~/.claude.json"),
        "{shown}"
    );
    assert!(shown.contains("preferences: in step"), "{shown}");

    assert_eq!(home::snapshot(&home_claude), untouched, "~/.claude changed");
    assert_eq!(
        fs::read(&config).unwrap(),
        config_before,
        "~/.claude.json changed"
    );
}

/// The preferences the client keeps in `settings.json` (theme, editor mode): a profile with a
/// `settings.json` of its own gets them in its `.claude.json`, and the real client takes them
/// (it moves them into that profile's own `settings.json`); a linking profile gets them through
/// the shared `settings.json` instead, so the client never writes into `~/.claude` for them.
#[test]
fn the_theme_reaches_a_profile_and_the_client_takes_it() {
    let Some(claude) = claude() else { return };
    let sandbox = Sandbox::new();
    let home_claude = real_home(&sandbox);
    user_config(&sandbox);
    let untouched = home::snapshot(&home_claude);
    sandbox.ok(["create", "own", "--no-share", "settings.json"]);
    let own = sandbox.instance("own");
    let profile = read_json(&own.join(".claude.json"));
    assert_eq!(profile["theme"], "light", "{profile}");
    assert_eq!(profile["editorMode"], "vim", "{profile}");
    mcp_list(&claude, &sandbox, &own);
    let settings = read_json(&own.join("settings.json"));
    assert_eq!(settings["theme"], "light", "{settings}");
    assert_eq!(settings["editorMode"], "vim", "{settings}");

    sandbox.ok(["create", "work"]);
    let work = sandbox.instance("work");
    let profile = read_json(&work.join(".claude.json"));
    assert!(profile.get("theme").is_none(), "{profile}");
    mcp_list(&claude, &sandbox, &work);
    assert_eq!(home::snapshot(&home_claude), untouched, "~/.claude changed");
}

/// `ccs sync` follows the source (a server removed there goes, a new one comes), and keeps a
/// server the profile added itself with the real client, reporting it.
#[test]
fn sync_follows_the_source_and_keeps_the_profiles_own() {
    let Some(claude) = claude() else { return };
    let sandbox = Sandbox::new();
    real_home(&sandbox);
    let config = user_config(&sandbox);
    let work = sandbox.create("work");
    let added = run_claude(
        &claude,
        &sandbox,
        &work,
        &["mcp", "add", "--scope", "user", "github", "--", "true"],
    );
    assert!(added.status.success(), "{}", stderr(&added));

    let mut source = read_json(&config);
    let servers = source["mcpServers"].as_object_mut().unwrap();
    servers.shift_remove("alpha");
    servers.insert(
        "gamma".into(),
        json!({"command": "true", "args": ["--gamma"]}),
    );
    source["installMethod"] = json!("npm-global");
    write_json(&config, &source);

    let synced = sandbox.ok(["sync", "work"]);
    assert!(
        synced.contains("kept      MCP servers    github"),
        "{synced}"
    );
    assert!(
        synced.contains("removed   MCP servers    alpha"),
        "{synced}"
    );
    assert!(
        synced.contains("carried   MCP servers    gamma"),
        "{synced}"
    );
    let listed = mcp_list(&claude, &sandbox, &work);
    for name in ["beta:", "gamma:", "github:"] {
        assert!(listed.contains(name), "{name} in {listed}");
    }
    assert!(!listed.contains("alpha:"), "{listed}");
    let profile = read_json(&work.join(".claude.json"));
    assert_eq!(profile["installMethod"], "npm-global");

    // A preference the profile changed is its own from then on.
    let mut profile = profile;
    profile["installMethod"] = json!("native");
    write_json(&work.join(".claude.json"), &profile);
    let synced = sandbox.ok(["sync", "work"]);
    assert!(
        synced.contains("kept      preferences    installMethod"),
        "{synced}"
    );
    assert_eq!(
        read_json(&work.join(".claude.json"))["installMethod"],
        "native"
    );
    let shown = sandbox.ok(["show", "work"]);
    assert!(shown.contains("1 own (github)"), "{shown}");
    assert!(
        shown.contains("preferences: 1 own (installMethod)"),
        "{shown}"
    );
}

/// A client holding the lock (a directory it keeps touching) makes `ccs sync` wait, then fail in
/// one line with the profile's `.claude.json` as it was.
#[test]
fn a_held_lock_makes_sync_wait_then_fail_with_nothing_changed() {
    let sandbox = Sandbox::new();
    real_home(&sandbox);
    let config = user_config(&sandbox);
    let work = sandbox.create("work");
    let file = work.join(".claude.json");
    let before = fs::read(&file).unwrap();
    let mut source = read_json(&config);
    source["mcpServers"]["gamma"] = json!({"command": "true"});
    write_json(&config, &source);

    let lock = work.join(".claude.json.lock");
    fs::create_dir(&lock).unwrap();
    let holding = Arc::new(AtomicBool::new(true));
    let toucher = {
        let (lock, holding) = (lock.clone(), holding.clone());
        std::thread::spawn(move || {
            while holding.load(Ordering::SeqCst) {
                let _ = fs::File::open(&lock)
                    .and_then(|f| f.set_modified(std::time::SystemTime::now()));
                std::thread::sleep(Duration::from_millis(500));
            }
        })
    };
    let started = Instant::now();
    let out = sandbox.run(["sync", "work"]);
    let waited = started.elapsed();
    holding.store(false, Ordering::SeqCst);
    toucher.join().unwrap();
    assert!(!out.status.success());
    assert!(waited >= Duration::from_secs(10), "{waited:?}");
    let err = stderr(&out);
    assert!(
        err.contains(".claude.json.lock") && err.contains("nothing changed"),
        "{err}"
    );
    assert_eq!(fs::read(&file).unwrap(), before);
    assert!(lock.is_dir(), "the client's lock was taken away");
}

/// What a client wrote under its lock while `ccs sync` waited is kept: ccs re-reads the file
/// once it holds the lock, and rewrites only the keys it carries.
#[test]
fn a_write_the_client_made_under_the_lock_is_kept() {
    let sandbox = Sandbox::new();
    real_home(&sandbox);
    let config = user_config(&sandbox);
    let work = sandbox.create("work");
    let file = work.join(".claude.json");
    let mut source = read_json(&config);
    source["mcpServers"]["gamma"] = json!({"command": "true"});
    write_json(&config, &source);

    let lock = work.join(".claude.json.lock");
    fs::create_dir(&lock).unwrap();
    let child = sandbox
        .ccs(["sync", "work"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    // The client, under its lock: a login and a counter, and a server of the profile's own.
    let mut profile = read_json(&file);
    profile["oauthAccount"] = json!({"emailAddress": "work@example.com"});
    profile["numStartups"] = json!(3);
    profile["mcpServers"]["mine"] = json!({"command": "true", "args": ["--mine"]});
    write_json(&file, &profile);
    fs::remove_dir(&lock).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let after = read_json(&file);
    assert_eq!(after["oauthAccount"]["emailAddress"], "work@example.com");
    assert_eq!(after["numStartups"], 3);
    assert!(after["mcpServers"].get("mine").is_some(), "{after}");
    assert!(after["mcpServers"].get("gamma").is_some(), "{after}");
    // The order the client wrote is kept: ccs appended its new server after the others.
    let keys: Vec<&String> = after.as_object().unwrap().keys().collect();
    let expected: Vec<&String> = profile.as_object().unwrap().keys().collect();
    assert_eq!(keys, expected);
    assert!(!lock.exists());
    assert!(
        stdout(&out).contains("kept      MCP servers    mine"),
        "{}",
        stdout(&out)
    );
}

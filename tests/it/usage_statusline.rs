//! `ccs statusline`: given the JSON Claude Code 2.1.332 hands its status line command (the
//! shape below is one the client wrote, with its times moved to now), it prints one line and
//! records the account's 5-hour and 7-day use, which `ccs list` and `ccs usage` then show;
//! `--install` puts it into the shared settings.json without losing a status line already there.
//! tests/it/usage_claude.rs drives the real client's status line.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};

use crate::common;
use crate::common::child::{CCS_TIMEOUT, output_with_input};
use crate::common::{Sandbox, stderr, stdout};
use crate::usage_support;
use crate::usage_support::now_millis;

/// The status line input as Claude Code 2.1.332 wrote it for a Max subscriber, its reset times
/// moved to `now`.
fn client_input(transcript: &Path, five_hour: f64, seven_day: f64) -> String {
    let now = now_millis() / 1000;
    json!({
        "session_id": "1f0b8df9-1337-46e8-b82c-950556ae1649",
        "transcript_path": transcript,
        "cwd": "/tmp/project",
        "scratchpad_dir": "/tmp/claude-0/-tmp-project/1f0b8df9/scratchpad",
        "prompt_id": "964df303-7826-4188-93d3-c8afe26caae5",
        "effort": {"level": "medium"},
        "model": {"id": "claude-opus-5-5", "display_name": "Opus 5.5"},
        "workspace": {"current_dir": "/tmp/project", "project_dir": "/tmp/project", "added_dirs": []},
        "version": ccs::CLAUDE_CODE_VERSION,
        "output_style": {"name": "default"},
        "cost": {"total_cost_usd": 0.0084584, "total_duration_ms": 6571, "total_api_duration_ms": 55,
                 "total_lines_added": 0, "total_lines_removed": 0},
        "context_window": {"total_input_tokens": 11106, "total_output_tokens": 52,
            "context_window_size": 1_000_000,
            "current_usage": {"input_tokens": 102, "output_tokens": 52,
                "cache_creation_input_tokens": 1002, "cache_read_input_tokens": 10002},
            "used_percentage": 1, "remaining_percentage": 99},
        "exceeds_200k_tokens": false,
        "prompt_cache": {"warm": true, "caching_observed": true, "ttl": "5m", "expires_at": now + 300,
            "requests": 1, "misses": 0, "expected_rebuilds": 0, "hit_ratio": 0.9,
            "cache_write_tokens": 1002, "miss_recache_tokens": 0, "last_miss_at": null,
            "last_miss_cause": null, "miss_causes": {}, "recache_tokens_if_cold": 11106},
        "fast_mode": false,
        "thinking": {"enabled": true},
        "rate_limits": {
            "five_hour": {"used_percentage": five_hour, "resets_at": now + 3 * 3600},
            "seven_day": {"used_percentage": seven_day, "resets_at": now + 3 * 86_400}
        }
    })
    .to_string()
}

/// `ccs statusline ARGS` with `input` on stdin, as the client runs it, on profile `profile`
/// (`None`: no CLAUDE_CONFIG_DIR).
fn statusline(sandbox: &Sandbox, profile: Option<&str>, args: &[&str], input: &str) -> Output {
    let mut cmd = sandbox.ccs(["statusline"]);
    cmd.args(args);
    if let Some(name) = profile {
        cmd.env("CLAUDE_CONFIG_DIR", sandbox.instance(name));
    }
    run_with_input(cmd, input)
}

/// One status line refresh of profile `name`, as the client sends it with this use of the
/// 5-hour and 7-day windows (in percent).
fn refresh(sandbox: &Sandbox, name: &str, five_hour: f64, seven_day: f64) -> Output {
    let transcript = sandbox.instance(name).join("projects/p/s.jsonl");
    let input = client_input(&transcript, five_hour, seven_day);
    statusline(sandbox, Some(name), &[], &input)
}

fn run_with_input(mut cmd: Command, input: &str) -> Output {
    output_with_input(&mut cmd, input.as_bytes(), CCS_TIMEOUT)
}

fn logged_in(sandbox: &Sandbox, name: &str, email: &str) {
    let dir = sandbox.create(name);
    fs::write(
        dir.join(".credentials.json"),
        r#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-fake","subscriptionType":"max"}}"#,
    )
    .unwrap();
    fs::write(
        dir.join(".claude.json"),
        format!(r#"{{"oauthAccount":{{"emailAddress":"{email}"}}}}"#),
    )
    .unwrap();
}

fn usage_row(sandbox: &Sandbox, name: &str) -> Value {
    usage_support::ccs_usage(sandbox, &[name])[name].clone()
}

#[test]
fn the_line_shows_profile_account_and_use_and_the_use_is_recorded() {
    let sandbox = Sandbox::new();
    logged_in(&sandbox, "work", "me@example.com");
    logged_in(&sandbox, "spare", "other@example.com");
    let out = refresh(&sandbox, "work", 42.0, 17.0);
    assert!(out.status.success(), "{}", stderr(&out));
    let line = stdout(&out);
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(
        line.starts_with("work · me@example.com · 5h 42% · resets ")
            && line.ends_with(" · 7d 17%\n"),
        "{line}"
    );

    let limits = &usage_row(&sandbox, "work")["rate_limits"];
    assert_eq!(limits["five_hour"]["used_percentage"], 42.0);
    assert_eq!(limits["seven_day"]["used_percentage"], 17.0);
    assert_eq!(limits["stale"], false);
    assert_eq!(usage_row(&sandbox, "spare")["rate_limits"], Value::Null);

    let list = sandbox.ok(["list"]);
    let work = list.lines().find(|l| l.contains("work")).unwrap();
    assert!(
        work.contains("5h 42% · resets ") && work.ends_with(" · 7d 17%"),
        "{list}"
    );
    let spare = list.lines().find(|l| l.contains("spare")).unwrap();
    assert!(!spare.contains("5h"), "{list}");
    let rows: Value = serde_json::from_str(&sandbox.ok(["list", "--json"])).unwrap();
    assert_eq!(rows[1]["rate_limits"]["five_hour"]["used_percentage"], 42.0);
    assert_eq!(rows[0]["rate_limits"], Value::Null);

    let usage = sandbox.ok(["usage"]);
    let work = usage.lines().find(|l| l.contains("work")).unwrap();
    assert!(work.contains("████░░░░░░  5h 42% · resets"), "{usage}");
    assert!(
        usage.contains("most room now (of 1 whose use is known): work"),
        "{usage}"
    );
}

#[test]
fn the_profile_is_found_from_the_transcript_without_the_variable() {
    let sandbox = Sandbox::new();
    logged_in(&sandbox, "work", "me@example.com");
    let transcript = sandbox.instance("work").join("projects/p/s.jsonl");
    let out = statusline(&sandbox, None, &[], &client_input(&transcript, 5.0, 1.0));
    assert!(
        stdout(&out).starts_with("work · me@example.com · 5h 5%"),
        "{}",
        stdout(&out)
    );
    // Outside the store, with no CLAUDE_CONFIG_DIR: the client runs on its default config,
    // ~/.claude, whose use is recorded apart (tests/default_config.rs).
    let elsewhere = sandbox.root.join("cfg/projects/p/s.jsonl");
    let out = statusline(&sandbox, None, &[], &client_input(&elsewhere, 5.0, 1.0));
    assert!(
        stdout(&out).starts_with("~/.claude · not logged in · 5h 5%"),
        "{}",
        stdout(&out)
    );
    let mut recorded: Vec<String> = fs::read_dir(sandbox.ccs_home.join("rate-limits"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    recorded.sort();
    assert_eq!(
        recorded,
        ["(default).json", "work.json"],
        "the profile's use, and the default config's, each under its own key"
    );
}

#[test]
fn a_refresh_without_limits_keeps_the_last_known_and_an_old_one_is_stale() {
    let sandbox = Sandbox::new();
    logged_in(&sandbox, "work", "me@example.com");
    refresh(&sandbox, "work", 61.0, 20.0);
    // Before a session's first reply, the client sends no rate_limits.
    let transcript = sandbox.instance("work").join("projects/p/s.jsonl");
    let mut bare: Value = serde_json::from_str(&client_input(&transcript, 0.0, 0.0)).unwrap();
    bare.as_object_mut().unwrap().remove("rate_limits");
    let out = statusline(&sandbox, Some("work"), &[], &bare.to_string());
    assert_eq!(stdout(&out), "work · me@example.com\n");
    let limits = &usage_row(&sandbox, "work")["rate_limits"];
    assert_eq!(limits["five_hour"]["used_percentage"], 61.0);

    // Two hours later, nothing heard since.
    let path = sandbox.ccs_home.join("rate-limits/work.json");
    let mut recorded: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    recorded["observed_at"] = json!(now_millis() / 1000 - 2 * 3600);
    fs::write(&path, recorded.to_string()).unwrap();
    assert_eq!(usage_row(&sandbox, "work")["rate_limits"]["stale"], true);
    let list = sandbox.ok(["list"]);
    assert!(list.contains("· 7d 20% · 2h ago"), "{list}");
    let usage = sandbox.ok(["usage"]);
    assert!(
        !usage.contains("most room"),
        "stale use is not ranked: {usage}"
    );
}

#[test]
fn a_used_up_window_shows_until_when() {
    let sandbox = Sandbox::new();
    logged_in(&sandbox, "work", "me@example.com");
    let out = refresh(&sandbox, "work", 100.0, 40.0);
    assert!(
        stdout(&out).contains("· 5h limit reached · resets "),
        "{}",
        stdout(&out)
    );
    let usage = sandbox.ok(["usage", "work"]);
    assert!(usage.contains("██████████  limited until "), "{usage}");
}

#[test]
fn hostile_or_odd_input_still_gives_a_line() {
    let sandbox = Sandbox::new();
    logged_in(&sandbox, "work", "me@example.com");
    for input in [
        "",
        "not json",
        "[]",
        r#"{"rate_limits":"no"}"#,
        r#"{"rate_limits":{"five_hour":{"used_percentage":"42","resets_at":1}}}"#,
    ] {
        let out = statusline(&sandbox, Some("work"), &[], input);
        assert!(out.status.success(), "{input}: {}", stderr(&out));
        assert_eq!(stdout(&out), "work · me@example.com\n", "{input}");
    }
    // A window whose reset has passed is no use to show (the client leaves those out too).
    let stale = r#"{"rate_limits":{"five_hour":{"used_percentage":42,"resets_at":1000}}}"#;
    assert_eq!(
        stdout(&statusline(&sandbox, Some("work"), &[], stale)),
        "work · me@example.com\n"
    );
}

#[test]
fn install_keeps_the_status_line_there_and_uninstall_gives_it_back() {
    let sandbox = Sandbox::new();
    let claude = sandbox.home.join(".claude");
    fs::create_dir_all(&claude).unwrap();
    let settings = claude.join("settings.json");
    let theirs = "printf 'theirs: %s' \"$(jq -r .model.display_name 2>/dev/null || echo x)\"";
    let original = format!(
        "{{\n  \"theme\": \"dark\",\n  \"statusLine\": {{\"type\": \"command\", \"command\": {}, \"padding\": 0}},\n  \"zz\": [1, 2]\n}}\n",
        serde_json::to_string(theirs).unwrap()
    );
    fs::write(&settings, &original).unwrap();
    logged_in(&sandbox, "work", "me@example.com");

    let said = sandbox.ok(["statusline", "--install"]);
    assert!(
        said.contains("kept the status line that was there"),
        "{said}"
    );
    let installed: Value = serde_json::from_slice(&fs::read(&settings).unwrap()).unwrap();
    assert_eq!(installed["theme"], "dark");
    assert_eq!(installed["zz"], json!([1, 2]));
    assert_eq!(installed["statusLine"]["type"], "command");
    assert_eq!(installed["statusLine"]["padding"], 0);
    let command = installed["statusLine"]["command"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(command.contains(" statusline --then "), "{command}");
    let text = fs::read_to_string(&settings).unwrap();
    assert!(
        text.find("\"theme\"") < text.find("\"statusLine\"")
            && text.find("\"statusLine\"") < text.find("\"zz\""),
        "the file keeps its order: {text}"
    );
    assert_eq!(
        sandbox.ok(["statusline", "--install"]).trim_end(),
        format!("{} already runs ccs statusline", settings.display())
    );

    // The profile shares settings.json: the client would run exactly this command.
    let linked = sandbox.instance("work").join("settings.json");
    assert_eq!(fs::canonicalize(&linked).unwrap(), settings);
    let mut sh = Command::new("sh");
    sandbox.env(&mut sh);
    sh.args(["-c", &command])
        .env("CLAUDE_CONFIG_DIR", sandbox.instance("work"));
    let transcript = sandbox.instance("work").join("projects/p/s.jsonl");
    let out = run_with_input(sh, &client_input(&transcript, 42.0, 17.0));
    let shown = stdout(&out);
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 2, "{shown}{}", stderr(&out));
    assert!(
        lines[0].starts_with("work · me@example.com · 5h 42%"),
        "{shown}"
    );
    assert!(lines[1].starts_with("theirs: "), "{shown}");

    let said = sandbox.ok(["statusline", "--uninstall"]);
    assert!(said.contains("restored the status line it kept"), "{said}");
    let restored: Value = serde_json::from_slice(&fs::read(&settings).unwrap()).unwrap();
    let before: Value = serde_json::from_str(&original).unwrap();
    assert_eq!(restored, before);
}

#[test]
fn install_without_a_status_line_adds_one_and_uninstall_removes_it() {
    let sandbox = Sandbox::new();
    let claude = sandbox.home.join(".claude");
    let dotfiles = sandbox.root.join("dotfiles");
    fs::create_dir_all(&claude).unwrap();
    fs::create_dir_all(&dotfiles).unwrap();
    // settings.json is a link into the person's dotfiles: the file it points to is edited and
    // the link stays.
    let real = dotfiles.join("settings.json");
    fs::write(&real, "{\n  \"theme\": \"dark\"\n}\n").unwrap();
    // Private, as a settings file holding keys in its env block is: it stays so.
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&real, fs::Permissions::from_mode(0o600)).unwrap();
    std::os::unix::fs::symlink(&real, claude.join("settings.json")).unwrap();
    sandbox.ok(["statusline", "--install"]);
    assert!(claude.join("settings.json").is_symlink());
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        mode(&real),
        0o600,
        "--install made the settings readable by others"
    );
    let installed: Value = serde_json::from_slice(&fs::read(&real).unwrap()).unwrap();
    assert!(
        installed["statusLine"]["command"]
            .as_str()
            .unwrap()
            .ends_with("/ccs statusline"),
        "{installed}"
    );
    sandbox.ok(["statusline", "--uninstall"]);
    assert_eq!(
        fs::read_to_string(&real).unwrap(),
        "{\n  \"theme\": \"dark\"\n}\n"
    );
    assert_eq!(
        mode(&real),
        0o600,
        "--uninstall made the settings readable by others"
    );

    // None at all: created.
    fs::remove_file(claude.join("settings.json")).unwrap();
    sandbox.ok(["statusline", "--install"]);
    let created: Value =
        serde_json::from_slice(&fs::read(claude.join("settings.json")).unwrap()).unwrap();
    assert_eq!(created["statusLine"]["type"], "command");
}

#[test]
fn install_never_rewrites_a_file_it_cannot_read() {
    let sandbox = Sandbox::new();
    let claude = sandbox.home.join(".claude");
    fs::create_dir_all(&claude).unwrap();
    for broken in ["{\"theme\": ", "[1, 2]", "// a comment\n{}"] {
        fs::write(claude.join("settings.json"), broken).unwrap();
        let out = sandbox.run(["statusline", "--install"]);
        assert!(!out.status.success(), "{broken}");
        assert!(stderr(&out).contains("nothing changed"), "{}", stderr(&out));
        assert_eq!(
            fs::read_to_string(claude.join("settings.json")).unwrap(),
            broken
        );
    }
}

/// A status line of a ccs that has moved since (installed anew at another place) is pointed at
/// this one, keeping what it ran after; one naming `ccs` on PATH, as written by hand, is left.
#[test]
fn install_points_a_moved_ccs_at_this_one() {
    let sandbox = Sandbox::new();
    let claude = sandbox.home.join(".claude");
    fs::create_dir_all(&claude).unwrap();
    let settings = claude.join("settings.json");
    let with_command = |command: &str| {
        let command = serde_json::to_string(command).unwrap();
        format!("{{\"statusLine\": {{\"type\": \"command\", \"command\": {command}}}}}\n")
    };
    let moved = "/opt/old/bin/ccs statusline --then 'theirs.sh'";
    fs::write(&settings, with_command(moved)).unwrap();
    assert!(
        common::BIN
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-".contains(&b)),
        "the expected command below needs no quoting: {}",
        common::BIN
    );
    let said = sandbox.ok(["statusline", "--install"]);
    let now = format!("{} statusline --then 'theirs.sh'", common::BIN);
    assert_eq!(
        said,
        format!(
            "{}: statusLine runs {now}\nit ran another ccs before: {moved}\n",
            settings.display()
        )
    );
    let installed: Value = serde_json::from_slice(&fs::read(&settings).unwrap()).unwrap();
    assert_eq!(installed["statusLine"]["command"], now.as_str());
    let already = format!("{} already runs ccs statusline\n", settings.display());
    assert_eq!(sandbox.ok(["statusline", "--install"]), already);

    let by_hand = with_command("ccs statusline");
    fs::write(&settings, &by_hand).unwrap();
    assert_eq!(sandbox.ok(["statusline", "--install"]), already);
    assert_eq!(fs::read_to_string(&settings).unwrap(), by_hand);
}

/// The account's last reported use follows its profile: renamed, it is the new name's; removed,
/// it goes (a profile created again under the name has none).
#[test]
fn the_recorded_use_follows_a_rename_and_goes_with_a_removal() {
    let sandbox = Sandbox::new();
    logged_in(&sandbox, "work", "me@example.com");
    let out = refresh(&sandbox, "work", 42.0, 17.0);
    assert!(out.status.success(), "{}", stderr(&out));
    sandbox.ok(["rename", "work", "job"]);
    assert_eq!(
        usage_row(&sandbox, "job")["rate_limits"]["five_hour"]["used_percentage"],
        42.0
    );
    sandbox.ok(["remove", "job", "--yes"]);
    sandbox.create("job");
    assert_eq!(usage_row(&sandbox, "job")["rate_limits"], Value::Null);
    assert!(
        fs::read_dir(sandbox.ccs_home.join("rate-limits"))
            .unwrap()
            .next()
            .is_none()
    );
}

/// Names where one is another's with a suffix (`work`, `work-2`, `work.eu`): each profile's
/// recorded use is found for it (snapshots were looked up in file-name order, where
/// `work-2.json` sorts before `work.json`).
#[test]
fn every_profile_finds_its_recorded_use_whatever_the_names() {
    let sandbox = Sandbox::new();
    for (name, used) in [
        ("work", 10.0),
        ("work-2", 20.0),
        ("work.eu", 30.0),
        ("personal", 40.0),
    ] {
        logged_in(&sandbox, name, &format!("{name}@example.com"));
        let out = refresh(&sandbox, name, used, 1.0);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let rows: Value = serde_json::from_str(&sandbox.ok(["list", "--json"])).unwrap();
    for row in rows.as_array().unwrap() {
        let want = match row["name"].as_str().unwrap() {
            "work" => 10.0,
            "work-2" => 20.0,
            "work.eu" => 30.0,
            _ => 40.0,
        };
        assert_eq!(
            row["rate_limits"]["five_hour"]["used_percentage"], want,
            "{row}"
        );
    }
}

/// A settings.json with the key twice: JSON.parse takes the last, where an edit would go to the
/// first. --install refuses rather than write a change Claude Code would not see.
#[test]
fn install_refuses_a_settings_file_it_cannot_edit_safely() {
    let sandbox = Sandbox::new();
    let claude = sandbox.home.join(".claude");
    fs::create_dir_all(&claude).unwrap();
    let text = "{\"statusLine\": {\"type\": \"command\", \"command\": \"a\"},\n \"statusLine\": {\"type\": \"command\", \"command\": \"b\"}}\n";
    fs::write(claude.join("settings.json"), text).unwrap();
    let out = sandbox.run(["statusline", "--install"]);
    assert!(!out.status.success() && out.stdout.is_empty());
    assert!(stderr(&out).contains("nothing changed"), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(claude.join("settings.json")).unwrap(),
        text
    );
}

#[test]
fn a_limited_account_shows_the_way_out_to_the_account_with_most_room() {
    let sandbox = Sandbox::new();
    logged_in(&sandbox, "work", "me@example.com");
    for name in ["personal", "spare", "old", "weekly", "full"] {
        logged_in(&sandbox, name, &format!("{name}@example.com"));
    }
    usage_support::recorded(&sandbox, "spare", 60.0, 30.0, 60);
    usage_support::recorded(&sandbox, "personal", 20.0, 30.0, 60);
    // Less used in five hours, but its week is nearly gone.
    usage_support::recorded(&sandbox, "weekly", 5.0, 97.0, 60);
    // The least used, but reported an hour ago: its use since is unknown.
    usage_support::recorded(&sandbox, "old", 1.0, 1.0, 3600);
    usage_support::recorded(&sandbox, "full", 100.0, 50.0, 60);

    let line = stdout(&refresh(&sandbox, "work", 100.0, 40.0));
    assert!(
        line.starts_with("work · me@example.com · 5h limit reached · resets ")
            && line.ends_with(" · 7d 40% · ccs continue personal\n"),
        "{line}"
    );

    // Not limited: no way out is needed, none is shown.
    let line = stdout(&refresh(&sandbox, "work", 99.0, 40.0));
    assert!(!line.contains("continue"), "{line}");

    // Limited by the week.
    let line = stdout(&refresh(&sandbox, "work", 10.0, 100.0));
    assert!(
        line.ends_with(" · 7d 100% · ccs continue personal\n"),
        "{line}"
    );

    // No other account with a known room: nothing to suggest.
    let lonely = Sandbox::new();
    logged_in(&lonely, "work", "me@example.com");
    logged_in(&lonely, "old", "old@example.com");
    usage_support::recorded(&lonely, "old", 1.0, 1.0, 3600);
    let line = stdout(&refresh(&lonely, "work", 100.0, 40.0));
    assert!(!line.contains("continue"), "{line}");
}

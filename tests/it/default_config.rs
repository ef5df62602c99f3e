//! The main account is a row: Claude Code's default config (`~/.claude`, with `~/.claude.json`
//! beside it) is shown by `ccs list`, `ccs usage` and `ccs statusline` as a row of its own,
//! labelled `~/.claude` and never taken for a profile (`"name": null, "default_config": true` in
//! JSON), active with no `CLAUDE_CONFIG_DIR`; its transcripts are counted and its rate limits
//! recorded under a key no profile name can be; `ccs doctor` names a profile logged into its
//! account. Nothing under `~/.claude` or in `~/.claude.json` changes, byte for byte.
// Unix only: it checks what reaches the files as the Unix tests do. The Windows build is proved
// apart (cross-compiled, and run under Wine: see README, platforms).
#![cfg(unix)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{Value, json};

use crate::common::child::{CCS_TIMEOUT, output_with_input};
use crate::common::{Sandbox, stderr, stdout};
use crate::usage_support::{Rng, Totals, ccusage, ccusage_totals, diff, history, now_millis};

const WEEK: i64 = 7 * 24 * 3_600_000;

/// `~/.claude` logged in (a login file inside, the account in `~/.claude.json` beside it).
fn main_account(sandbox: &Sandbox, email: &str, uuid: &str) -> PathBuf {
    let dir = sandbox.home.join(".claude");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join(".credentials.json"),
        r#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-MAIN-SECRET","refreshToken":"sk-ant-ort01-MAIN-SECRET","subscriptionType":"max"}}"#,
    )
    .unwrap();
    fs::write(
        sandbox.home.join(".claude.json"),
        format!(
            r#"{{"oauthAccount":{{"accountUuid":"{uuid}","emailAddress":"{email}","organizationName":"Main"}},"theme":"dark"}}"#
        ),
    )
    .unwrap();
    dir
}

/// A profile logged into `email` (`uuid`).
fn logged_in(sandbox: &Sandbox, name: &str, email: &str, uuid: &str) -> PathBuf {
    let dir = sandbox.create(name);
    fs::write(
        dir.join(".credentials.json"),
        r#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-fake","subscriptionType":"pro"}}"#,
    )
    .unwrap();
    fs::write(
        dir.join(".claude.json"),
        format!(r#"{{"oauthAccount":{{"accountUuid":"{uuid}","emailAddress":"{email}"}}}}"#),
    )
    .unwrap();
    dir
}

/// Every file under `~/.claude` and `~/.claude.json`, with its bytes (and every directory):
/// compared before and after, so that ccs is seen to write nothing there.
fn default_files(sandbox: &Sandbox) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    fn walk(path: &Path, into: &mut BTreeMap<PathBuf, Option<Vec<u8>>>) {
        let Ok(meta) = fs::symlink_metadata(path) else {
            return;
        };
        if meta.is_dir() {
            into.insert(path.to_path_buf(), None);
            let mut entries: Vec<_> = fs::read_dir(path).unwrap().flatten().collect();
            entries.sort_by_key(|e| e.file_name());
            for entry in entries {
                walk(&entry.path(), into);
            }
        } else {
            into.insert(path.to_path_buf(), Some(fs::read(path).unwrap()));
        }
    }
    let mut files = BTreeMap::new();
    walk(&sandbox.home.join(".claude"), &mut files);
    walk(&sandbox.home.join(".claude.json"), &mut files);
    files
}

fn list_json(sandbox: &Sandbox, config_dir: Option<&Path>) -> Vec<Value> {
    let mut cmd = sandbox.ccs(["list", "--json"]);
    if let Some(dir) = config_dir {
        cmd.env("CLAUDE_CONFIG_DIR", dir);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str::<Value>(&stdout(&out))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn list_table(sandbox: &Sandbox, config_dir: Option<&Path>) -> String {
    let mut cmd = sandbox.ccs(["list"]);
    if let Some(dir) = config_dir {
        cmd.env("CLAUDE_CONFIG_DIR", dir);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

/// The row of `rows` that is the default config, if any.
fn default_row(rows: &[Value]) -> Option<&Value> {
    rows.iter().find(|r| r["default_config"] == true)
}

fn usage_json(sandbox: &Sandbox, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["usage", "--json"];
    all.extend_from_slice(args);
    serde_json::from_str::<Value>(&sandbox.ok(&all))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// `ccs statusline` as the client runs it with no profile active (no `CLAUDE_CONFIG_DIR`), with
/// the session's transcript in `~/.claude/projects` and this use of the two windows.
fn statusline_on_default(sandbox: &Sandbox, five_hour: f64, seven_day: f64) -> Output {
    let now = now_millis() / 1000;
    let transcript = sandbox.home.join(".claude/projects/-tmp-p/s.jsonl");
    let input = json!({
        "session_id": "1f0b8df9-1337-46e8-b82c-950556ae1649",
        "transcript_path": transcript,
        "cwd": "/tmp/p",
        "model": {"id": "claude-opus-5-5", "display_name": "Opus 5.5"},
        "version": ccs::CLAUDE_CODE_VERSION,
        "rate_limits": {
            "five_hour": {"used_percentage": five_hour, "resets_at": now + 3 * 3600},
            "seven_day": {"used_percentage": seven_day, "resets_at": now + 3 * 86_400}
        }
    })
    .to_string();
    output_with_input(
        &mut sandbox.ccs(["statusline"]),
        input.as_bytes(),
        CCS_TIMEOUT,
    )
}

#[test]
fn list_shows_the_default_config_as_its_own_row_active_without_a_profile() {
    let sandbox = Sandbox::new();
    let work = logged_in(&sandbox, "work", "work@example.com", "u-work");
    // A profile may well be named `default`: the default config's row is never it.
    logged_in(&sandbox, "default", "d@example.com", "u-d");

    // No ~/.claude, no ~/.claude.json: no row.
    assert!(default_row(&list_json(&sandbox, None)).is_none());
    assert!(
        !list_table(&sandbox, None).contains("~/.claude"),
        "{}",
        list_table(&sandbox, None)
    );

    let dir = main_account(&sandbox, "main@example.com", "u-main");
    let before = default_files(&sandbox);

    // With no CLAUDE_CONFIG_DIR it is the active row, first, labelled ~/.claude.
    let table = list_table(&sandbox, None);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(
        lines[0].starts_with("* ~/.claude  max · main@example.com (Main)  "),
        "{table}"
    );
    // Its size is not measured (it may hold gigabytes), nor is sharing its: both `-`.
    let fields: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(&fields[fields.len() - 2..], ["-", "-"], "{table}");
    assert!(lines[1].starts_with("  default "), "{table}");
    assert!(lines[2].starts_with("  work "), "{table}");

    let rows = list_json(&sandbox, None);
    assert_eq!(rows.len(), 3);
    let row = &rows[0];
    assert_eq!(row["name"], Value::Null, "{row}");
    assert_eq!(row["default_config"], true);
    assert_eq!(row["active"], true);
    assert_eq!(row["path"], dir.to_str().unwrap());
    assert_eq!(row["size_bytes"], Value::Null);
    assert_eq!(row["sharing"], Value::Null);
    assert_eq!(row["rate_limits"], Value::Null);
    assert_eq!(row["running_sessions"], 0);
    assert_eq!(
        row["account"],
        json!({"logged_in": true, "subscription": "max", "email": "main@example.com", "organization": "Main"})
    );
    for profile in &rows[1..] {
        assert_eq!(profile["default_config"], false, "{profile}");
        assert_eq!(profile["active"], false, "{profile}");
        assert!(profile["name"].is_string(), "{profile}");
    }
    assert!(
        !serde_json::to_string(&rows).unwrap().contains("SECRET"),
        "no token is ever read out"
    );

    // On a profile, the profile is active and the default config is not.
    let table = list_table(&sandbox, Some(&work));
    assert!(table.starts_with("  ~/.claude  "), "{table}");
    assert!(table.contains("\n* work "), "{table}");
    let rows = list_json(&sandbox, Some(&work));
    assert_eq!(default_row(&rows).unwrap()["active"], false);
    assert_eq!(
        rows.iter().find(|r| r["name"] == "work").unwrap()["active"],
        true
    );

    assert_eq!(default_files(&sandbox), before, "ccs wrote in ~/.claude");
}

#[test]
fn the_row_is_there_with_only_claude_json_and_an_empty_store() {
    let sandbox = Sandbox::new();
    fs::write(
        sandbox.home.join(".claude.json"),
        r#"{"oauthAccount":{"accountUuid":"u","emailAddress":"only@example.com"}}"#,
    )
    .unwrap();
    let before = default_files(&sandbox);
    let out = sandbox.run(["list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("* ~/.claude  logged in · only@example.com  "),
        "{}",
        stdout(&out)
    );
    assert!(stderr(&out).contains("no profiles yet"), "{}", stderr(&out));
    let rows = list_json(&sandbox, None);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["default_config"], true);
    assert_eq!(default_files(&sandbox), before);
}

#[test]
fn usage_counts_the_default_configs_transcripts_like_a_profiles() {
    let sandbox = Sandbox::new();
    let now = now_millis();
    let dir = main_account(&sandbox, "main@example.com", "u-main");
    let main = history(&mut Rng::new(11), 30, 10, now);
    main.write(&dir);
    let work = logged_in(&sandbox, "work", "work@example.com", "u-work");
    let work_history = history(&mut Rng::new(12), 20, 10, now);
    work_history.write(&work);
    let before = default_files(&sandbox);

    let rows = usage_json(&sandbox, &[]);
    assert_eq!(rows.len(), 2, "{rows:?}");
    let row = default_row(&rows).unwrap();
    assert_eq!(row["name"], Value::Null);
    assert_eq!(row["active"], true);
    let total = Totals::of_ccs(&row["total"]);
    let mut wrong = diff("~/.claude total vs truth", &total, &main.truth);
    wrong += &diff(
        "~/.claude 7 days vs truth",
        &Totals::of_ccs(&row["seven_days"]),
        &main.truth_since(now - WEEK),
    );
    let work_row = rows.iter().find(|r| r["name"] == "work").unwrap();
    assert_eq!(work_row["default_config"], false);
    wrong += &diff(
        "work total vs truth",
        &Totals::of_ccs(&work_row["total"]),
        &work_history.truth,
    );
    if let Some(ccusage) = ccusage() {
        let theirs = ccusage_totals(&ccusage, &dir, &sandbox.home);
        wrong += &diff("~/.claude total vs ccusage", &total, &theirs);
    }
    assert!(wrong.is_empty(), "{wrong}");

    // Counted under the reserved key, which a full `ccs usage` (which prunes) keeps.
    let cache = sandbox.ccs_home.join("usage-cache/(default)");
    assert!(cache.is_file());
    let again = usage_json(&sandbox, &[]);
    assert_eq!(default_row(&again).unwrap()["total"], row["total"]);
    assert!(cache.is_file(), "pruned");

    // The table names it ~/.claude, first; one profile named shows that profile only.
    let table = sandbox.ok(["usage"]);
    assert!(table.starts_with("* ~/.claude  "), "{table}");
    assert!(table.contains("\n  work "), "{table}");
    let one = usage_json(&sandbox, &["work"]);
    assert_eq!(one.len(), 1);
    assert_eq!(one[0]["name"], "work");

    assert_eq!(default_files(&sandbox), before, "ccs wrote in ~/.claude");
}

#[test]
fn statusline_on_the_default_config_records_its_use_and_list_and_usage_show_it() {
    let sandbox = Sandbox::new();
    main_account(&sandbox, "main@example.com", "u-main");
    logged_in(&sandbox, "work", "work@example.com", "u-work");
    let before = default_files(&sandbox);

    let out = statusline_on_default(&sandbox, 42.0, 17.0);
    assert!(out.status.success(), "{}", stderr(&out));
    let line = stdout(&out);
    assert!(
        line.starts_with("~/.claude · main@example.com · 5h 42% · resets ")
            && line.ends_with(" · 7d 17%\n"),
        "{line}"
    );
    let record = sandbox.ccs_home.join("rate-limits/(default).json");
    assert!(record.is_file(), "the default config's use is recorded");
    assert!(
        !sandbox.ccs_home.join("rate-limits/work.json").exists(),
        "and no profile's"
    );

    // list and usage show it on the ~/.claude row.
    let table = list_table(&sandbox, None);
    let first = table.lines().next().unwrap();
    assert!(
        first.starts_with("* ~/.claude ") && first.contains("5h 42% · resets "),
        "{table}"
    );
    let rows = list_json(&sandbox, None);
    let limits = &default_row(&rows).unwrap()["rate_limits"];
    assert_eq!(limits["five_hour"]["used_percentage"], 42.0);
    assert_eq!(limits["seven_day"]["used_percentage"], 17.0);
    assert_eq!(limits["stale"], false);
    assert_eq!(
        rows.iter().find(|r| r["name"] == "work").unwrap()["rate_limits"],
        Value::Null
    );

    let usage = sandbox.ok(["usage"]);
    assert!(
        usage.starts_with("* ~/.claude  ████░░░░░░  5h 42% · resets "),
        "{usage}"
    );
    assert!(
        usage.contains("most room now (of 1 whose use is known): ~/.claude (5h 42% · 7d "),
        "{usage}"
    );
    let rows = usage_json(&sandbox, &[]);
    assert_eq!(
        default_row(&rows).unwrap()["rate_limits"]["five_hour"]["used_percentage"],
        42.0
    );
    // `ccs usage` prunes the records of profiles that are gone, never the default config's.
    assert!(record.is_file(), "pruned");
    assert_eq!(default_files(&sandbox), before, "ccs wrote in ~/.claude");

    // A refresh after the client rewrote ~/.claude.json (another account) shows the new one.
    let new = sandbox.home.join(".claude.json.tmp");
    fs::write(
        &new,
        r#"{"oauthAccount":{"accountUuid":"u-2","emailAddress":"next@example.com"}}"#,
    )
    .unwrap();
    fs::rename(&new, sandbox.home.join(".claude.json")).unwrap();
    let before = default_files(&sandbox);
    let out = statusline_on_default(&sandbox, 43.0, 17.0);
    assert!(
        stdout(&out).starts_with("~/.claude · next@example.com · 5h 43%"),
        "{}",
        stdout(&out)
    );
    assert_eq!(default_files(&sandbox), before, "ccs wrote in ~/.claude");
}

#[test]
fn doctor_names_a_profile_logged_into_the_default_configs_account() {
    let sandbox = Sandbox::new();
    main_account(&sandbox, "main@example.com", "u-main");
    logged_in(&sandbox, "work", "main@example.com", "u-main");
    logged_in(&sandbox, "spare", "spare@example.com", "u-spare");
    let before = default_files(&sandbox);
    let report = stdout(&sandbox.run(["doctor"]));
    let warned: Vec<&str> = report
        .lines()
        .filter(|l| l.contains("same account"))
        .collect();
    assert_eq!(warned.len(), 1, "{report}");
    assert!(
        warned[0].starts_with("warn  profile work is logged into the same account as ~/.claude"),
        "{report}"
    );
    assert!(!warned[0].contains("spare"), "{report}");
    let fix = report
        .lines()
        .skip_while(|l| !l.contains("same account"))
        .nth(1)
        .unwrap();
    assert!(
        fix.contains("fix:") && fix.contains("ccs remove work") && fix.contains("/login"),
        "{report}"
    );
    assert_eq!(default_files(&sandbox), before, "ccs wrote in ~/.claude");

    // Another account in ~/.claude: nothing to say.
    fs::write(
        sandbox.home.join(".claude.json"),
        r#"{"oauthAccount":{"accountUuid":"u-other"}}"#,
    )
    .unwrap();
    let report = stdout(&sandbox.run(["doctor"]));
    assert!(!report.contains("same account"), "{report}");
}

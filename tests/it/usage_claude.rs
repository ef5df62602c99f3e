//! `ccs usage` and `ccs statusline` against the real Claude Code, run offline against the
//! stand-in for the Messages API on 127.0.0.1 (tests/it/common/api.rs) that answers with known
//! usage: what the client writes into its transcripts (a reply per content block, a subagent's
//! transcript, its own error reply at a usage limit) adds up to exactly what the stand-in sent,
//! and the client's own status line input carries the account's use to `ccs list`.
//!
//! The client is found as the other real-client tests find it (`tests/fetch-claude-code`, or
//! `CCS_TEST_CLAUDE`); without it these skip with a notice, and fail under CI=true.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common;
use crate::common::api::{Limits, Mode, Options, Sent, StandIn, USE_AGENT};
use crate::common::child::output_within;
use crate::common::tmux::{BASH, Term, can_run};
use crate::common::{CLIENT_TIMEOUT, Sandbox, stderr, stdout};
use crate::usage_support::{Totals, ccs_usage, ccusage, ccusage_totals, diff, now_millis};

/// 42% of the 5-hour window, 17% of the week, both resetting within their windows (the client
/// ignores a reset more than a year away).
fn limits() -> Limits {
    let hour = now_millis() / 1000 / 3600 * 3600;
    Limits {
        five_hour: (0.42, hour + 3 * 3600),
        seven_day: (0.17, hour + 3 * 86_400),
    }
}

fn project(sandbox: &Sandbox) -> PathBuf {
    let dir = sandbox.home.join("src/app");
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// A claude.ai login, with fake tokens that expire in 2100, and the state of a client that has
/// been set up before (no first-run screens) and trusts the project.
fn subscriber(dir: &Path, project: &Path) {
    fs::write(
        dir.join(".credentials.json"),
        r#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-fake-max","refreshToken":"sk-ant-ort01-fake-max","expiresAt":4102444800000,"scopes":["user:inference","user:profile"],"subscriptionType":"max"}}"#,
    )
    .unwrap();
    fs::write(
        dir.join(".claude.json"),
        json!({
            "hasCompletedOnboarding": true,
            "oauthAccount": {"emailAddress": "me@example.com"},
            "projects": {project.to_str().unwrap(): {"hasTrustDialogAccepted": true}}
        })
        .to_string(),
    )
    .unwrap();
}

/// The client's environment: the sandbox, the profile, the stand-in, and nothing that would
/// reach the network otherwise.
fn client_env(cmd: &mut Command, sandbox: &Sandbox, dir: &Path, api: &StandIn) {
    sandbox.env(cmd);
    cmd.env("CLAUDE_CONFIG_DIR", dir)
        .env("ANTHROPIC_BASE_URL", &api.url)
        .env("DISABLE_TELEMETRY", "1")
        .env("DISABLE_ERROR_REPORTING", "1")
        .env("DISABLE_AUTOUPDATER", "1");
}

/// `claude ARGS` in the project, waiting at most [`CLIENT_TIMEOUT`].
fn run_client(mut cmd: Command, cwd: &Path) -> Output {
    output_within(cmd.current_dir(cwd).stdin(Stdio::null()), CLIENT_TIMEOUT)
}

/// What the stand-in's streamed replies add up to.
fn sent_totals(sent: &[Sent]) -> Totals {
    let mut totals = Totals::default();
    for s in sent.iter().filter(|s| s.streamed) {
        totals.add(&s.model, s.usage.tokens());
    }
    totals
}

/// Every transcript under the profile, by path.
fn transcripts(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut found = Vec::new();
    let mut dirs = vec![dir.join("projects")];
    while let Some(d) = dirs.pop() {
        for entry in fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "jsonl") {
                found.push((path.clone(), fs::read_to_string(&path).unwrap()));
            }
        }
    }
    found
}

#[test]
fn usage_equals_what_the_api_told_the_real_client() {
    let Some(claude) = common::claude() else {
        return;
    };
    let sandbox = Sandbox::new();
    let dir = sandbox.create("work");
    let project = project(&sandbox);
    let api = StandIn::start(Options {
        limits: Some(limits()),
        ..Options::default()
    });
    let mut cmd = Command::new(&claude);
    client_env(&mut cmd, &sandbox, &dir, &api);
    cmd.env("ANTHROPIC_API_KEY", "sk-ant-api03-dummy").args([
        "-p",
        &format!("{USE_AGENT} now"),
        "--allowedTools",
        "Agent",
    ]);
    let out = run_client(cmd, &project);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));

    let sent = api.sent();
    let expected = sent_totals(&sent);
    assert!(
        sent.iter().filter(|s| s.streamed).count() >= 3,
        "a turn, its subagent and the answer after it: {sent:?}"
    );
    // What makes counting non-trivial is there: a reply on several lines, a subagent's file.
    let files = transcripts(&dir);
    assert!(
        files
            .iter()
            .any(|(p, _)| p.to_string_lossy().contains("/subagents/")),
        "{files:?}"
    );
    let first = &sent[0].id;
    let copies: usize = files
        .iter()
        .map(|(_, t)| t.matches(first.as_str()).count())
        .sum();
    assert!(
        copies >= 3,
        "{first} is on one line per content block: {copies}"
    );

    let row = &ccs_usage(&sandbox, &["work"])["work"];
    let mut wrong = String::new();
    for window in ["total", "seven_days", "five_hour"] {
        wrong += &diff(window, &Totals::of_ccs(&row[window]), &expected);
    }
    if let Some(ccusage) = ccusage() {
        let theirs = ccusage_totals(&ccusage, &dir, &sandbox.home);
        wrong += &diff("ccusage", &Totals::of_ccs(&row["total"]), &theirs);
    }
    assert!(wrong.is_empty(), "{wrong}");
}

#[test]
fn a_limit_the_real_client_hits_shows_until_when() {
    let Some(claude) = common::claude() else {
        return;
    };
    let sandbox = Sandbox::new();
    let dir = sandbox.create("work");
    let project = project(&sandbox);
    subscriber(&dir, &project);
    let resets_at = now_millis() / 1000 / 3600 * 3600 + 4 * 3600;
    let api = StandIn::start(Options {
        mode: Mode::Limited { resets_at },
        ..Options::default()
    });
    let mut cmd = Command::new(&claude);
    client_env(&mut cmd, &sandbox, &dir, &api);
    cmd.args(["-p", "hello"]);
    let out = run_client(cmd, &project);
    assert!(
        stdout(&out).contains("limit"),
        "the client says it hit the limit: {}{}",
        stdout(&out),
        stderr(&out)
    );

    let row = &ccs_usage(&sandbox, &["work"])["work"];
    assert_eq!(row["limit"]["resets_at"], resets_at, "{row}");
    assert_eq!(row["limit"]["window"], "five_hour", "{row}");
    let table = sandbox.ok(["usage", "work"]);
    assert!(table.contains("██████████  limited until "), "{table}");
    assert!(table.contains("(5-hour limit)"), "{table}");
}

#[test]
fn the_real_client_s_status_line_records_the_account_s_use() {
    let Some(claude) = common::claude() else {
        return;
    };
    if !can_run(BASH) {
        return;
    }
    let sandbox = Sandbox::new();
    // The shared settings.json, which the profile links, then the status line in it.
    let shared = sandbox.home.join(".claude");
    fs::create_dir_all(&shared).unwrap();
    fs::write(shared.join("settings.json"), "{}\n").unwrap();
    let dir = sandbox.create("work");
    sandbox.ok(["statusline", "--install"]);
    let project = project(&sandbox);
    subscriber(&dir, &project);
    let limits = limits();
    let api = StandIn::start(Options {
        limits: Some(limits),
        ..Options::default()
    });

    let term = Term::start(&sandbox, BASH);
    term.type_line(&format!(
        "cd '{}' && CLAUDE_CONFIG_DIR='{}' ANTHROPIC_BASE_URL='{}' DISABLE_TELEMETRY=1 DISABLE_ERROR_REPORTING=1 DISABLE_AUTOUPDATER=1 '{}'",
        project.display(),
        dir.display(),
        api.url,
        claude.display()
    ));
    // The status line shows at start, before any reply: the profile and account, no use yet.
    term.wait_for("the client's status line", |lines| {
        lines
            .iter()
            .any(|l| l.contains("work · me@example.com"))
            .then_some(())
    });
    term.type_line("say hello");
    let recorded = sandbox.ccs_home.join("rate-limits/work.json");
    let started = Instant::now();
    let snapshot = loop {
        let snapshot: Option<Value> = fs::read(&recorded)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        if let Some(s) = snapshot.filter(|s| s["five_hour"].is_object()) {
            break s;
        }
        assert!(
            started.elapsed() < CLIENT_TIMEOUT,
            "no use recorded; screen:\n{}",
            term.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(snapshot["five_hour"]["used_percentage"], 42.0, "{snapshot}");
    assert_eq!(snapshot["five_hour"]["resets_at"], limits.five_hour.1);
    assert_eq!(snapshot["seven_day"]["used_percentage"], 17.0);
    assert_eq!(snapshot["seven_day"]["resets_at"], limits.seven_day.1);
    term.wait_for("the use in the status line", |lines| {
        lines
            .iter()
            .any(|l| l.contains("work · me@example.com · 5h 42% · resets ") && l.contains("7d 17%"))
            .then_some(())
    });
    let list = sandbox.ok(["list"]);
    assert!(
        list.contains("5h 42% · resets ") && list.contains("· 7d 17%"),
        "{list}"
    );
}

//! `ccs usage` counts to the token: on generated transcripts shaped as Claude Code writes them
//! (replies written once per content block, growing output counts, resumed sessions, subagents,
//! sidechain replays, progress lines, the advisor, error replies), its totals equal the truth
//! the generator knows and what ccusage 20.0.24 counts in the same config dir.
//!
//! ccusage is installed by tests/fetch-ccusage; without it the comparison with the truth still
//! runs, and the one with ccusage is skipped with a notice (a failure under CI=true).

use std::process::{Command, Stdio};

use serde_json::Value;

use crate::common::Sandbox;
use crate::common::child::output_within;
use crate::usage_support;
use crate::usage_support::{
    CCUSAGE_TIMEOUT, Rng, SECRET, Totals, ccs_usage, ccusage, ccusage_totals, diff, history,
    now_millis,
};

const HOUR: i64 = 3_600_000;
const WEEK: i64 = 7 * 24 * HOUR;

#[test]
fn totals_equal_the_truth_and_ccusage() {
    let sandbox = Sandbox::new();
    let now = now_millis();
    let mut profiles = Vec::new();
    for (i, name) in ["work", "personal", "spare"].into_iter().enumerate() {
        let dir = sandbox.create(name);
        let history = history(&mut Rng::new(7 + i as u64), 40, 10, now);
        history.write(&dir);
        profiles.push((name, dir, history));
    }
    let rows = ccs_usage(&sandbox, &[]);
    let peer = ccusage();
    let mut wrong = String::new();
    for (name, dir, history) in &profiles {
        let row = &rows[*name];
        let total = Totals::of_ccs(&row["total"]);
        wrong += &diff(&format!("{name} total vs truth"), &total, &history.truth);
        let week = Totals::of_ccs(&row["seven_days"]);
        wrong += &diff(
            &format!("{name} 7 days vs truth"),
            &week,
            &history.truth_since(now - WEEK),
        );
        if let Some(ccusage) = &peer {
            let theirs = ccusage_totals(ccusage, dir, &sandbox.home);
            wrong += &diff(&format!("{name} total vs ccusage"), &total, &theirs);
        }
    }
    assert!(wrong.is_empty(), "{wrong}");
}

#[test]
fn the_current_block_equals_ccusages_active_block() {
    let sandbox = Sandbox::new();
    let now = now_millis();
    let dir = sandbox.create("work");
    history(&mut Rng::new(99), 60, 2, now).write(&dir);
    let rows = ccs_usage(&sandbox, &["work"]);
    let block = &rows["work"]["five_hour"];
    assert!(
        block.is_object(),
        "the last session is 40 minutes old: {block}"
    );
    let ours = Totals::of_ccs(block);
    assert!(ours.tokens[3] > 0);
    let (start, end) = (
        block["start"].as_i64().unwrap(),
        block["end"].as_i64().unwrap(),
    );
    assert_eq!(end - start, 5 * 3600);
    assert_eq!(start % 3600, 0, "a block starts at the hour");
    let Some(ccusage) = ccusage() else { return };
    let out = output_within(
        Command::new(ccusage)
            .args(["blocks", "--active", "--json", "--offline"])
            .env_clear()
            .env("HOME", &sandbox.home)
            .env("CLAUDE_CONFIG_DIR", &dir)
            .stdin(Stdio::null()),
        CCUSAGE_TIMEOUT,
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let active = &report["blocks"][0];
    let counts = &active["tokenCounts"];
    let theirs = [
        "inputTokens",
        "outputTokens",
        "cacheCreationInputTokens",
        "cacheReadInputTokens",
    ]
    .map(|k| counts[k].as_u64().unwrap());
    assert_eq!(ours.tokens, theirs, "{active}");
    let their_start = active["startTime"].as_str().unwrap();
    assert_eq!(usage_support::iso(start * 1000), their_start);
}

#[test]
fn no_message_text_is_shown_or_kept() {
    let sandbox = Sandbox::new();
    let dir = sandbox.create("work");
    history(&mut Rng::new(3), 10, 3, now_millis()).write(&dir);
    for args in [&["usage"][..], &["usage", "--json"]] {
        let out = sandbox.run(args);
        assert!(out.status.success());
        let everything = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!everything.contains(SECRET), "{everything}");
    }
    let cache = std::fs::read(sandbox.ccs_home.join("usage-cache/work")).unwrap();
    assert!(
        !cache.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
        "the cache holds no text"
    );
}

//! `ccs usage` reading transcripts as they change: a repeated count opens no transcript, an
//! appended one is read from where counting stopped, a rewritten or truncated one is counted
//! afresh, and what the client is still writing counts once it is whole. Bad input (a torn line,
//! a line that is not UTF-8, a huge line, an unreadable file, links) is counted where sound and
//! skipped with one notice where not; totals stay those of the sound lines, as ccusage counts
//! them.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common;
use crate::common::{Sandbox, have, stderr};
use crate::usage_support::{
    Profile, Reply, Rng, Totals, assistant_line, ccs_usage, ccusage, ccusage_totals, diff, history,
    now_millis, usage_with_open_refused,
};

const SESSION: &str = "11111111-2222-4333-8444-555555555555";

fn total(sandbox: &Sandbox, name: &str) -> Totals {
    Totals::of_ccs(&ccs_usage(sandbox, &[name])[name]["total"])
}

fn assert_counts(sandbox: &Sandbox, name: &str, truth: &Totals) {
    let wrong = diff(name, &total(sandbox, name), truth);
    assert!(wrong.is_empty(), "{wrong}");
}

/// ccs's totals for `name` equal what ccusage counts in its config dir `dir` (when ccusage is
/// installed: CI installs it, and `ccusage()` fails there when it is missing).
fn assert_ccusage_agrees(sandbox: &Sandbox, name: &str, dir: &Path) {
    if let Some(ccusage) = ccusage() {
        let theirs = ccusage_totals(&ccusage, dir, &sandbox.home);
        let wrong = diff("ccusage", &total(sandbox, name), &theirs);
        assert!(wrong.is_empty(), "{wrong}");
    }
}

/// A reply's lines (one per block) and the reply, for hand-made transcripts.
fn reply_lines(rng: &mut Rng, at: i64, blocks: usize) -> (String, Reply) {
    let reply = Reply::new(rng, at);
    let lines: String = (0..blocks)
        .map(|b| assistant_line(&reply, b, reply.usage, SESSION, false, "") + "\n")
        .collect();
    (lines, reply)
}

fn transcript(dir: &Path, rel: &str) -> PathBuf {
    let path = dir.join("projects").join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    path
}

fn append(path: &Path, text: &str) {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
}

/// The transcripts `ccs ARGS` opened, from strace.
fn transcripts_opened(sandbox: &Sandbox, args: &[&str]) -> Vec<String> {
    let trace = sandbox.root.join("trace");
    let mut cmd = Command::new("strace");
    sandbox.env(&mut cmd);
    let out = cmd
        .args(["-f", "-qq", "-e", "trace=open,openat", "-o"])
        .arg(&trace)
        .arg(common::BIN)
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let mut opened: Vec<String> = fs::read_to_string(&trace)
        .unwrap()
        .lines()
        .filter(|l| l.contains(".jsonl\"") && !l.contains("ENOENT"))
        .map(|l| {
            l.split('"')
                .nth(1)
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    opened.sort();
    opened
}

#[test]
fn a_repeated_count_opens_no_transcript_and_an_append_only_the_grown_file() {
    if !have("strace") {
        return;
    }
    let sandbox = Sandbox::new();
    let dir = sandbox.create("work");
    let mut rng = Rng::new(11);
    let mut profile = history(&mut rng, 12, 3, now_millis());
    profile.write(&dir);
    let first = sandbox.ok(["usage", "--json"]);
    assert!(transcripts_opened(&sandbox, &["usage"]).is_empty());
    assert_eq!(
        sandbox.ok(["usage", "--json"]),
        first,
        "the same answer from the cache"
    );

    let grown = profile.files.keys().next().unwrap().clone();
    let (lines, reply) = reply_lines(&mut rng, now_millis() - 60_000, 3);
    append(&transcript(&dir, &grown), &lines);
    profile.count(&reply);
    let opened = transcripts_opened(&sandbox, &["usage"]);
    assert_eq!(opened, [grown.rsplit('/').next().unwrap()]);
    assert_counts(&sandbox, "work", &profile.truth);
}

#[test]
fn what_the_client_is_writing_counts_once_it_is_whole_and_only_once() {
    a_line_being_written_counts_once_whole(false);
}

/// The same, with a reply six hours before: the sums then hold a five-hour gap, and a count
/// that finds the transcript grown brings them up to date (`usage::delta`) instead of summing
/// every reply up afresh.
#[test]
fn a_line_being_written_counts_once_whole_through_the_delta() {
    a_line_being_written_counts_once_whole(true);
}

fn a_line_being_written_counts_once_whole(hours_before: bool) {
    let sandbox = Sandbox::new();
    let dir = sandbox.create("work");
    let path = transcript(&dir, "-p/s.jsonl");
    let mut rng = Rng::new(5);
    let mut truth = Profile::default();
    if hours_before {
        let (old, old_reply) = reply_lines(&mut rng, now_millis() - 6 * 3_600_000, 1);
        truth.count(&old_reply);
        append(&path, &old);
        assert_counts(&sandbox, "work", &truth.truth);
    }
    let (done, reply) = reply_lines(&mut rng, now_millis() - 60_000, 1);
    truth.count(&reply);
    let (writing, next) = reply_lines(&mut rng, now_millis() - 30_000, 1);
    // Torn mid-line: not counted, and not worth a notice.
    let cut = writing.len() / 2;
    append(&path, &(done.clone() + &writing[..cut]));
    let out = sandbox.run(["usage", "work"]);
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    assert_counts(&sandbox, "work", &truth.truth);
    // Whole but for its newline: it counts (ccusage counts it too) ...
    append(&path, &writing[cut..writing.len() - 1]);
    truth.count(&next);
    assert_counts(&sandbox, "work", &truth.truth);
    // ... and once its newline and more lines come, still once.
    let (more, last) = reply_lines(&mut rng, now_millis() - 10_000, 2);
    append(&path, &("\n".to_owned() + &more));
    truth.count(&last);
    assert_counts(&sandbox, "work", &truth.truth);
    assert_ccusage_agrees(&sandbox, "work", &dir);
}

#[test]
fn a_file_rewritten_or_truncated_is_counted_afresh() {
    let sandbox = Sandbox::new();
    let dir = sandbox.create("work");
    let path = transcript(&dir, "-p/s.jsonl");
    let mut rng = Rng::new(9);
    let at = now_millis() - 3_600_000;
    let (first, first_reply) = reply_lines(&mut rng, at, 2);
    let (second, second_reply) = reply_lines(&mut rng, at + 1000, 2);
    let only = |replies: &[&Reply]| {
        let mut p = Profile::default();
        replies.iter().for_each(|r| p.count(r));
        p.truth
    };
    fs::write(&path, first.clone() + &second).unwrap();
    assert_counts(&sandbox, "work", &only(&[&first_reply, &second_reply]));

    // Replaced by another file (a rename over it): another inode.
    let (other, other_reply) = reply_lines(&mut rng, at + 2000, 1);
    let temp = path.with_extension("tmp");
    fs::write(&temp, &other).unwrap();
    fs::rename(&temp, &path).unwrap();
    assert_counts(&sandbox, "work", &only(&[&other_reply]));

    // Truncated and written again, shorter, in place.
    fs::write(&path, "").unwrap();
    assert_counts(&sandbox, "work", &Totals::default());
    fs::write(&path, &first).unwrap();
    assert_counts(&sandbox, "work", &only(&[&first_reply]));

    // Rewritten in place and longer, with a different start: not an append.
    fs::write(&path, second.clone() + &other + &first).unwrap();
    assert_counts(
        &sandbox,
        "work",
        &only(&[&second_reply, &other_reply, &first_reply]),
    );

    // Rewritten in place, the same size, one count changed.
    let text = fs::read_to_string(&path).unwrap();
    let digit = format!("\"output_tokens\":{}", other_reply.usage[1]);
    let changed = format!("\"output_tokens\":{}", other_reply.usage[1] % 9 + 1);
    let mut edited = other_reply.clone();
    edited.usage[1] = other_reply.usage[1] % 9 + 1;
    let text = text.replace(&digit, &format!("{changed:<width$}", width = digit.len()));
    fs::write(&path, &text).unwrap();
    assert_counts(
        &sandbox,
        "work",
        &only(&[&second_reply, &edited, &first_reply]),
    );

    // Rewritten in place, the same size, far from both ends (where a grown file is checked).
    let replies: Vec<(String, Reply)> = (0..30)
        .map(|i| reply_lines(&mut rng, at + 10_000 + i, 1))
        .collect();
    let text: String = replies.iter().map(|(l, _)| l.as_str()).collect();
    fs::write(&path, &text).unwrap();
    let mut replies: Vec<Reply> = replies.into_iter().map(|(_, r)| r).collect();
    assert_counts(&sandbox, "work", &only(&replies.iter().collect::<Vec<_>>()));
    let middle = &mut replies[15];
    let digit = format!("\"output_tokens\":{}", middle.usage[1]);
    middle.usage[1] = middle.usage[1] % 9 + 1;
    let changed = format!("\"output_tokens\":{}", middle.usage[1]);
    let text = text.replace(&digit, &format!("{changed:<width$}", width = digit.len()));
    fs::write(&path, &text).unwrap();
    assert_counts(&sandbox, "work", &only(&replies.iter().collect::<Vec<_>>()));

    // Gone.
    fs::remove_file(&path).unwrap();
    assert_counts(&sandbox, "work", &Totals::default());
}

#[test]
fn a_broken_or_foreign_cache_is_never_believed() {
    let sandbox = Sandbox::new();
    let dir = sandbox.create("work");
    let profile = history(&mut Rng::new(21), 8, 2, now_millis());
    profile.write(&dir);
    assert_counts(&sandbox, "work", &profile.truth);
    let cache = sandbox.ccs_home.join("usage-cache/work");
    let good = fs::read(&cache).unwrap();
    for bad in [
        b"garbage".to_vec(),
        good[..good.len() / 2].to_vec(),
        [&good[..], b"x"].concat(),
        good.iter().map(|b| b ^ 0x55).collect(),
    ] {
        fs::write(&cache, &bad).unwrap();
        assert_counts(&sandbox, "work", &profile.truth);
    }
    // A cache that claims files are counted when they were changed behind its back: the state
    // it keeps (size, times, inode) no longer matches, so the file is read again.
    let file = dir
        .join("projects")
        .join(profile.files.keys().next().unwrap());
    let text = fs::read_to_string(&file).unwrap();
    fs::write(
        &file,
        text.replace("\"output_tokens\":", "\"output_tokens\":1"),
    )
    .unwrap();
    let changed = total(&sandbox, "work");
    assert_ne!(changed, profile.truth, "the edit added digits");
}

#[test]
fn bad_lines_are_skipped_with_one_notice_and_sound_ones_counted() {
    let sandbox = Sandbox::new();
    let dir = sandbox.create("work");
    let mut rng = Rng::new(13);
    let mut truth = Profile::default();
    let at = now_millis() - 3_600_000;
    let (good, good_reply) = reply_lines(&mut rng, at, 2);
    truth.count(&good_reply);
    // Not UTF-8 (a byte 0xff inside the text), twice; not JSON; a count as a string.
    let (not_utf8, _) = reply_lines(&mut rng, at + 1, 1);
    let mut not_utf8 = not_utf8.into_bytes();
    let at_text = not_utf8.windows(6).position(|w| w == b"SECRET").unwrap();
    not_utf8[at_text] = 0xff;
    let (torn, _) = reply_lines(&mut rng, at + 2, 1);
    let torn = torn[..torn.len() / 2].to_owned() + "\n";
    let (typed, _) = reply_lines(&mut rng, at + 3, 1);
    let typed = typed.replacen("\"input_tokens\":", "\"input_tokens\":\"1\",\"x\":", 1);
    // A huge line: 40 MB of text in one reply, counted.
    let (huge, huge_reply) = reply_lines(&mut rng, at + 4, 1);
    let huge = huge.replacen("SECRET-MESSAGE-TEXT", &"a".repeat(40_000_000), 1);
    truth.count(&huge_reply);
    let path = transcript(&dir, "-p/s.jsonl");
    let mut bytes = good.into_bytes();
    bytes.extend_from_slice(&not_utf8);
    bytes.extend_from_slice(&not_utf8);
    bytes.extend_from_slice(torn.as_bytes());
    bytes.extend_from_slice(typed.as_bytes());
    bytes.extend_from_slice(huge.as_bytes());
    fs::write(&path, &bytes).unwrap();
    // A line that is not UTF-8 but holds no usage is no usage record: not counted, no notice.
    append(
        &transcript(&dir, "-p/t.jsonl"),
        "{\"type\":\"user\",\"x\":\"\u{1}\"}\n",
    );
    fs::OpenOptions::new()
        .append(true)
        .open(transcript(&dir, "-p/t.jsonl"))
        .unwrap()
        .write_all(b"{\"type\":\"user\",\"x\":\"\xff\"}\n")
        .unwrap();

    for run in ["cold", "from the cache"] {
        let out = sandbox.run(["usage", "work"]);
        let notices: Vec<String> = stderr(&out).lines().map(str::to_owned).collect();
        assert_eq!(
            notices,
            [
                "ccs: warning: work: skipped 4 lines that are not sound usage records (in projects/-p/s.jsonl)"
            ],
            "{run}"
        );
        assert_counts(&sandbox, "work", &truth.truth);
    }
    assert_ccusage_agrees(&sandbox, "work", &dir);
}

#[test]
fn an_unreadable_transcript_is_named_and_the_rest_counted() {
    if !have("strace") {
        return;
    }
    let sandbox = Sandbox::new();
    let dir = sandbox.create("work");
    let mut rng = Rng::new(17);
    let mut truth = Profile::default();
    let (readable, reply) = reply_lines(&mut rng, now_millis() - 60_000, 1);
    truth.count(&reply);
    fs::write(transcript(&dir, "-p/a.jsonl"), readable).unwrap();
    let (hidden, hidden_reply) = reply_lines(&mut rng, now_millis() - 60_000, 1);
    let hidden_path = transcript(&dir, "-p/b.jsonl");
    fs::write(&hidden_path, hidden).unwrap();
    let out = usage_with_open_refused(&sandbox, &hidden_path, &["work"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let notices = stderr(&out);
    assert_eq!(notices.lines().count(), 1, "{notices}");
    assert!(
        notices.contains("work: cannot read ")
            && notices.contains("b.jsonl: Permission denied (os error 13); not counted"),
        "{notices}"
    );
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let wrong = diff("readable", &Totals::of_ccs(&rows[0]["total"]), &truth.truth);
    assert!(wrong.is_empty(), "{wrong}");
    // Once readable, it counts.
    truth.count(&hidden_reply);
    assert_counts(&sandbox, "work", &truth.truth);
}

#[test]
fn links_inside_projects_are_not_followed_but_projects_may_be_one() {
    let sandbox = Sandbox::new();
    let dir = sandbox.create("work");
    let elsewhere = sandbox.root.join("elsewhere");
    let mut rng = Rng::new(23);
    let mut truth = Profile::default();
    let (own, own_reply) = reply_lines(&mut rng, now_millis() - 60_000, 1);
    truth.count(&own_reply);
    fs::write(transcript(&dir, "-p/own.jsonl"), own).unwrap();
    let (other, _) = reply_lines(&mut rng, now_millis() - 60_000, 1);
    fs::create_dir_all(elsewhere.join("q")).unwrap();
    fs::write(elsewhere.join("q/other.jsonl"), &other).unwrap();
    fs::write(elsewhere.join("file.jsonl"), &other).unwrap();
    let projects = dir.join("projects");
    std::os::unix::fs::symlink(elsewhere.join("q"), projects.join("linked-dir")).unwrap();
    std::os::unix::fs::symlink(
        elsewhere.join("file.jsonl"),
        projects.join("-p/linked.jsonl"),
    )
    .unwrap();
    std::os::unix::fs::symlink("..", projects.join("-p/loop")).unwrap();
    // A FIFO named like a transcript would block a reader forever: it is not a file.
    let fifo = projects.join("-p/fifo.jsonl");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );

    let out = sandbox.run(["usage", "work"]);
    let notices = stderr(&out);
    assert_eq!(notices.lines().count(), 1, "{notices}");
    assert!(
        notices.contains("work: not following links inside projects/")
            && notices.contains("and 2 more"),
        "{notices}"
    );
    assert_counts(&sandbox, "work", &truth.truth);

    // `projects` itself a link: the client writes through it, so it is the profile's history.
    let moved = sandbox.root.join("moved-projects");
    fs::remove_file(&fifo).unwrap();
    for link in ["linked-dir", "-p/linked.jsonl", "-p/loop"] {
        fs::remove_file(projects.join(link)).unwrap();
    }
    fs::rename(&projects, &moved).unwrap();
    std::os::unix::fs::symlink(&moved, &projects).unwrap();
    let out = sandbox.run(["usage", "work"]);
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    assert_counts(&sandbox, "work", &truth.truth);
    assert_ccusage_agrees(&sandbox, "work", &dir);
}

#[test]
fn caches_of_profiles_gone_are_removed() {
    let sandbox = Sandbox::new();
    for (seed, name) in [(1, "work"), (2, "old"), (3, "gone")] {
        let dir = sandbox.create(name);
        history(&mut Rng::new(seed), 2, 1, now_millis()).write(&dir);
    }
    sandbox.ok(["usage"]);
    let caches = sandbox.ccs_home.join("usage-cache");
    assert!(caches.join("old").is_file());
    // `ccs remove` takes the profile's cache with it.
    sandbox.ok(["remove", "old", "--yes"]);
    assert!(!caches.join("old").exists(), "removed with its profile");
    // A profile deleted by hand leaves its cache until a count of every profile prunes it.
    fs::remove_dir_all(sandbox.instance("gone")).unwrap();
    sandbox.ok(["usage", "work"]);
    assert!(
        caches.join("gone").is_file(),
        "only a count of every profile prunes"
    );
    sandbox.ok(["usage"]);
    assert!(!caches.join("gone").exists());
    assert!(caches.join("work").is_file());
}

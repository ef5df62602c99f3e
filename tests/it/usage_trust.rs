//! A count stamped with the client's register (src/usage/stamp.rs): while no client has run
//! since, `ccs usage` answers without looking at each transcript; whatever a client does
//! (starting, ending, running) and whatever changes a directory that holds transcripts makes
//! it count again, at once. With the real client 2.1.332, in each mode that writes transcripts.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::api::{Options, StandIn};
use crate::common::child::output_within;
use crate::common::{self, CLIENT_TIMEOUT, Sandbox, stderr, stdout};
use crate::usage_support::{
    Profile, Reply, Rng, Totals, assistant_line, ccs_usage, ccusage, ccusage_totals, diff,
    now_millis, usage_with_open_refused,
};

/// How long the tests' registers must be left alone (a minute outside the tests).
const QUIET: Duration = Duration::from_millis(300);

/// How long a directory must be left alone for a walk to vouch for it (the clock's grain rule,
/// `SETTLED` in src/usage/scan.rs), with a margin.
const SETTLED: Duration = Duration::from_millis(2100);

fn total(sandbox: &Sandbox, name: &str) -> Totals {
    Totals::of_ccs(&ccs_usage(sandbox, &[name])[name]["total"])
}

/// Waits until `path` was last changed at least `quiet` ago, by its own times.
fn left_alone(path: &Path, quiet: Duration) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let meta = fs::metadata(path).unwrap();
        let changed = meta.mtime() * 1000 + meta.mtime_nsec() / 1_000_000;
        let changed = changed.max(meta.ctime() * 1000 + meta.ctime_nsec() / 1_000_000);
        if now_millis() - changed > quiet.as_millis() as i64 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{} never settled",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A reply appended to `rel` (a transcript under `projects/`), as a program that keeps no
/// record in the register would write it.
fn append_reply(dir: &Path, profile: &mut Profile, rng: &mut Rng, rel: &str) {
    let reply = Reply::new(rng, now_millis() - 60_000);
    let session = rel.rsplit('/').next().unwrap().trim_end_matches(".jsonl");
    let line = assistant_line(&reply, 0, reply.usage, session, false, "");
    profile.push(rel, &line);
    profile.count(&reply);
    let path = dir.join("projects").join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut text = fs::read_to_string(&path).unwrap_or_default();
    text.push_str(&line);
    text.push('\n');
    fs::write(&path, text).unwrap();
}

/// A client's start and exit, as the register sees them: its record made and removed.
fn a_client_came_and_went(dir: &Path) {
    let record = dir.join("sessions/4242.json");
    fs::write(&record, r#"{"pid":4242}"#).unwrap();
    fs::remove_file(&record).unwrap();
}

/// A profile with a transcript in each of two projects, its register and directories left
/// alone long enough, counted once so that the count is stamped.
fn stamped_profile(sandbox: &Sandbox, rng: &mut Rng) -> (std::path::PathBuf, Profile) {
    let dir = sandbox.create("work");
    let mut profile = Profile::default();
    for rel in ["-home-me-a/s1.jsonl", "-home-me-b/s2.jsonl"] {
        append_reply(&dir, &mut profile, rng, rel);
    }
    fs::create_dir_all(dir.join("sessions")).unwrap();
    for path in [
        dir.join("sessions"),
        dir.join("projects"),
        dir.join("projects/-home-me-a"),
        dir.join("projects/-home-me-b"),
    ] {
        left_alone(&path, SETTLED);
    }
    assert!(diff("first", &total(sandbox, "work"), &profile.truth).is_empty());
    (dir, profile)
}

/// With no client run since, an append by a program that keeps no record in the register is
/// not looked for (this is what makes a repeated count cheap); a client's coming and going
/// makes the next count find it. A new transcript, in a project's directory or a new one, is
/// counted at once: its directory changed.
#[test]
fn a_stamped_count_stands_until_a_client_comes_or_a_directory_changes() {
    let sandbox = Sandbox::new().with_register_quiet(QUIET);
    let mut rng = Rng::new(91);
    let (dir, mut profile) = stamped_profile(&sandbox, &mut rng);
    let counted = profile.truth.clone();

    append_reply(&dir, &mut profile, &mut rng, "-home-me-a/s1.jsonl");
    assert!(
        diff("stamped", &total(&sandbox, "work"), &counted).is_empty(),
        "the stamp stands: the append is not looked for"
    );
    a_client_came_and_went(&dir);
    let wrong = diff("after a client", &total(&sandbox, "work"), &profile.truth);
    assert!(wrong.is_empty(), "{wrong}");

    // Stamped again once the register is quiet (written into the cache in place: nothing
    // else changed), and standing again; then new files show at once.
    left_alone(&dir.join("sessions"), QUIET * 2);
    assert!(diff("restamped", &total(&sandbox, "work"), &profile.truth).is_empty());
    let counted = profile.truth.clone();
    append_reply(&dir, &mut profile, &mut rng, "-home-me-b/s2.jsonl");
    let wrong = diff("restamped, standing", &total(&sandbox, "work"), &counted);
    assert!(wrong.is_empty(), "{wrong}");
    a_client_came_and_went(&dir);
    let wrong = diff("after a client", &total(&sandbox, "work"), &profile.truth);
    assert!(wrong.is_empty(), "{wrong}");
    left_alone(&dir.join("sessions"), QUIET * 2);
    assert!(diff("restamped", &total(&sandbox, "work"), &profile.truth).is_empty());
    append_reply(&dir, &mut profile, &mut rng, "-home-me-b/s3.jsonl");
    let wrong = diff("a new transcript", &total(&sandbox, "work"), &profile.truth);
    assert!(wrong.is_empty(), "{wrong}");
    left_alone(&dir.join("projects/-home-me-b"), SETTLED);
    assert!(diff("restamped", &total(&sandbox, "work"), &profile.truth).is_empty());
    append_reply(&dir, &mut profile, &mut rng, "-home-me-c/s4.jsonl");
    let wrong = diff("a new project", &total(&sandbox, "work"), &profile.truth);
    assert!(wrong.is_empty(), "{wrong}");
    if let Some(ccusage) = ccusage() {
        let theirs = ccusage_totals(&ccusage, &dir, &sandbox.home);
        let wrong = diff("ccusage", &total(&sandbox, "work"), &theirs);
        assert!(wrong.is_empty(), "{wrong}");
    }
}

/// A project directory with no transcript yet: the count that finds it keeps it among the
/// directories a stamp names, so the next stamp stands (and a transcript in it shows at once).
#[test]
fn a_new_project_directory_is_named_by_the_next_stamp() {
    let sandbox = Sandbox::new().with_register_quiet(QUIET);
    let mut rng = Rng::new(94);
    let (dir, mut profile) = stamped_profile(&sandbox, &mut rng);
    let empty = dir.join("projects/-home-me-new");
    fs::create_dir(&empty).unwrap();
    assert!(diff("a new directory", &total(&sandbox, "work"), &profile.truth).is_empty());
    left_alone(&dir.join("projects"), SETTLED);
    left_alone(&empty, SETTLED);
    assert!(diff("stamped", &total(&sandbox, "work"), &profile.truth).is_empty());
    let counted = profile.truth.clone();
    append_reply(&dir, &mut profile, &mut rng, "-home-me-a/s1.jsonl");
    let wrong = diff("standing", &total(&sandbox, "work"), &counted);
    assert!(
        wrong.is_empty(),
        "the stamp names the new directory: {wrong}"
    );
    append_reply(&dir, &mut profile, &mut rng, "-home-me-new/s5.jsonl");
    let wrong = diff(
        "a transcript in it",
        &total(&sandbox, "work"),
        &profile.truth,
    );
    assert!(wrong.is_empty(), "{wrong}");
}

/// A transcript that cannot be read is named on every count, and counted once it can be: a
/// count that met one is not stamped.
#[test]
fn a_count_that_could_not_read_a_transcript_is_not_stamped() {
    if !common::have("strace") {
        return;
    }
    let sandbox = Sandbox::new().with_register_quiet(QUIET);
    let mut rng = Rng::new(95);
    let (dir, mut profile) = stamped_profile(&sandbox, &mut rng);
    let counted = profile.truth.clone();
    append_reply(&dir, &mut profile, &mut rng, "-home-me-a/hidden.jsonl");
    left_alone(&dir.join("projects/-home-me-a"), SETTLED);
    let hidden = dir.join("projects/-home-me-a/hidden.jsonl");
    let out = usage_with_open_refused(&sandbox, &hidden, &["work"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("hidden.jsonl: Permission denied"),
        "{}",
        stderr(&out)
    );
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let wrong = diff("unreadable", &Totals::of_ccs(&rows[0]["total"]), &counted);
    assert!(wrong.is_empty(), "{wrong}");
    let out = sandbox.run(["usage", "--json", "work"]);
    assert_eq!(stderr(&out), "", "nothing left unread");
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let wrong = diff(
        "readable",
        &Totals::of_ccs(&rows[0]["total"]),
        &profile.truth,
    );
    assert!(wrong.is_empty(), "{wrong}");
}

/// A record in the register of a client that runs (this test's own process, as the client
/// records itself), or one that does not read, keeps every count walking: each append shows
/// at once. A record left by a client that is gone does not.
#[cfg(target_os = "linux")] // the record's start time as the client writes it on Linux
#[test]
fn a_client_that_runs_or_may_run_keeps_every_count_looking() {
    let sandbox = Sandbox::new().with_register_quiet(QUIET);
    let mut rng = Rng::new(92);
    let (dir, mut profile) = stamped_profile(&sandbox, &mut rng);
    let start = common::own_proc_start();
    let pid = std::process::id();
    let records = [
        format!(r#"{{"pid":{pid},"sessionId":"s1","cwd":"/home/me/a","procStart":"{start}"}}"#),
        format!(r#"{{"pid":{pid},"sessionId":"s1","#),
    ];
    for record in records {
        fs::write(dir.join(format!("sessions/{pid}.json")), &record).unwrap();
        left_alone(&dir.join("sessions"), QUIET * 2);
        for _ in 0..2 {
            append_reply(&dir, &mut profile, &mut rng, "-home-me-a/s1.jsonl");
            let wrong = diff(&record, &total(&sandbox, "work"), &profile.truth);
            assert!(wrong.is_empty(), "{wrong}");
        }
    }
    // The same process id with another start time: a client that was killed, long gone.
    let gone = format!(r#"{{"pid":{pid},"sessionId":"s1","procStart":"1"}}"#);
    fs::write(dir.join(format!("sessions/{pid}.json")), gone).unwrap();
    left_alone(&dir.join("sessions"), QUIET * 2);
    assert!(diff("stamped", &total(&sandbox, "work"), &profile.truth).is_empty());
    let counted = profile.truth.clone();
    append_reply(&dir, &mut profile, &mut rng, "-home-me-a/s1.jsonl");
    assert!(
        diff("a gone client's record", &total(&sandbox, "work"), &counted).is_empty(),
        "a record of a process that is gone does not keep the count looking"
    );
}

/// `claude ARGS` as `dir`'s client against the stand-in, in `project`.
fn run_client(sandbox: &Sandbox, claude: &Path, dir: &Path, api: &StandIn, args: &[&str]) {
    let project = sandbox.home.join("src/app");
    fs::create_dir_all(&project).unwrap();
    let mut cmd = common::client_command(sandbox, claude, dir, &api.url);
    cmd.args(args).current_dir(&project);
    let out = output_within(&mut cmd, CLIENT_TIMEOUT);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
}

/// What the stand-in's streamed replies add up to.
fn sent_totals(api: &StandIn) -> Totals {
    let mut totals = Totals::default();
    for s in api.sent().iter().filter(|s| s.streamed) {
        totals.add(&s.model, s.usage.tokens());
    }
    totals
}

/// The real client registers itself in every mode that writes transcripts: after a stamped
/// count (shown to stand: a reply appended by hand to another transcript is not looked for),
/// a turn with `-p`, one with `--output-format stream-json` (as the Agent SDK runs it) and one
/// resumed in place with `--continue` (appended to a transcript that exists) are each counted
/// by the very next `ccs usage`, equal to what the stand-in sent (and the reply by hand).
#[test]
fn every_turn_of_the_real_client_is_counted_at_once_after_a_stamp() {
    let Some(claude) = common::claude() else {
        return;
    };
    let sandbox = Sandbox::new().with_register_quiet(QUIET);
    let dir = sandbox.create("work");
    let api = StandIn::start(Options::default());
    let mut by_hand = Profile::default();
    let mut rng = Rng::new(93);
    append_reply(&dir, &mut by_hand, &mut rng, "-home-me-elsewhere/f.jsonl");
    let expected = |by_hand: &Profile| {
        let mut totals = sent_totals(&api);
        for (_, model, usage) in &by_hand.replies {
            totals.add(model, *usage);
        }
        totals
    };
    let turns: [&[&str]; 3] = [
        &["-p", "hello"],
        &["-p", "--output-format", "stream-json", "--verbose", "again"],
        &["-p", "--continue", "once more"],
    ];
    run_client(&sandbox, &claude, &dir, &api, turns[0]);
    for args in &turns[1..] {
        // The register and the directories left alone, then counted: stamped.
        left_alone(&dir.join("sessions"), QUIET * 2);
        for project in fs::read_dir(dir.join("projects")).unwrap() {
            left_alone(&project.unwrap().path(), SETTLED);
        }
        left_alone(&dir.join("projects"), SETTLED);
        let counted = expected(&by_hand);
        let wrong = diff("before", &total(&sandbox, "work"), &counted);
        assert!(wrong.is_empty(), "{wrong}");
        append_reply(&dir, &mut by_hand, &mut rng, "-home-me-elsewhere/f.jsonl");
        let wrong = diff("stamped", &total(&sandbox, "work"), &counted);
        assert!(wrong.is_empty(), "the stamp stands: {wrong}");

        run_client(&sandbox, &claude, &dir, &api, args);
        let wrong = diff(
            &args.join(" "),
            &total(&sandbox, "work"),
            &expected(&by_hand),
        );
        assert!(wrong.is_empty(), "{wrong}");
    }
}

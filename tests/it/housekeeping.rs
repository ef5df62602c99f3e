//! Housekeeping: `ccs du` sizes as du counts them, `ccs clean` removing session history and logs
//! and nothing else, and `ccs rename` moving a profile and re-pointing the shell that is on it.
//! Real files in a private HOME, real bash, zsh and fish.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::common::shells::{self, BASH, PRINT_SWITCH};
use crate::common::{Sandbox, have, stderr, stdout};

/// `du -sk PATH` in bytes: the reference ccs's sizes must match.
fn du_bytes(path: &Path) -> u64 {
    let out = std::process::Command::new("du")
        .arg("-sk")
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let kb: u64 = stdout(&out)
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    kb * 1024
}

fn write_bytes(path: &Path, len: usize) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, vec![b'x'; len]).unwrap();
}

fn age(path: &Path, days: u64) {
    let when = SystemTime::now() - Duration::from_secs(days * 86_400);
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(when)
        .unwrap();
}

/// A profile as Claude Code leaves it after some use: a login, state, transcripts, per-session
/// directories, logs, and the shared items linked from ~/.claude.
fn used_profile(sandbox: &Sandbox, name: &str) -> PathBuf {
    let claude = sandbox.home.join(".claude");
    write_bytes(&claude.join("commands/deploy.md"), 50_000);
    write_bytes(&claude.join("settings.json"), 100);
    let dir = sandbox.create(name);
    fs::write(
        dir.join(".credentials.json"),
        r#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-SECRET"}}"#,
    )
    .unwrap();
    fs::write(dir.join(".claude.json"), r#"{"numStartups":3}"#).unwrap();
    fs::write(dir.join("history.jsonl"), "{\"display\":\"hi\"}\n").unwrap();
    write_bytes(&dir.join("projects/-home-me-app/old.jsonl"), 300_000);
    write_bytes(&dir.join("projects/-home-me-app/new.jsonl"), 20_000);
    write_bytes(&dir.join("file-history/abc/f@v1"), 9_000);
    fs::create_dir_all(dir.join("session-env/abc")).unwrap();
    write_bytes(&dir.join("todos/abc-agent-abc.json"), 10);
    write_bytes(&dir.join("shell-snapshots/snapshot-bash-1.sh"), 5_000);
    write_bytes(&dir.join("debug/abc.txt"), 70_000);
    write_bytes(&dir.join("logs/mcp.log"), 3_000);
    age(&dir.join("projects/-home-me-app/old.jsonl"), 45);
    age(&dir.join("debug/abc.txt"), 45);
    dir
}

/// Every path under `dir` (links not followed) with its content: to show what changed.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut all = BTreeMap::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let meta = fs::symlink_metadata(&path).unwrap();
        if meta.file_type().is_symlink() {
            let target = fs::read_link(&path).unwrap();
            all.insert(path, target.into_os_string().into_encoded_bytes());
        } else if meta.is_dir() {
            all.insert(path.clone(), b"dir".to_vec());
            all.extend(snapshot(&path));
        } else {
            all.insert(path.clone(), fs::read(&path).unwrap());
        }
    }
    all
}

fn du_json(sandbox: &Sandbox, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["du", "--json"];
    all.extend(args);
    serde_json::from_str(&sandbox.ok(all)).unwrap()
}

// ---------------------------------------------------------------------------------------------
// du

#[test]
fn du_sizes_match_du_and_shared_items_count_once() {
    let sandbox = Sandbox::new();
    let work = used_profile(&sandbox, "work");
    let personal = used_profile(&sandbox, "personal");
    let json = du_json(&sandbox, &[]);
    let profiles = json["profiles"].as_array().unwrap();
    assert_eq!(profiles.len(), 2);
    for (row, dir) in profiles.iter().zip([&personal, &work]) {
        assert_eq!(row["path"], dir.to_str().unwrap());
        assert_eq!(row["size_bytes"].as_u64().unwrap(), du_bytes(dir), "{row}");
        for part in row["parts"].as_array().unwrap() {
            let path = dir.join(part["name"].as_str().unwrap());
            let want = if part["kind"] == "shared" {
                0 // the link itself, as du -s counts it without following
            } else {
                du_bytes(&path)
            };
            assert_eq!(part["size_bytes"].as_u64().unwrap(), want, "{part}");
        }
        let sizes: Vec<u64> = row["parts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["size_bytes"].as_u64().unwrap())
            .collect();
        assert!(
            sizes.is_sorted_by(|a, b| a >= b),
            "largest first: {sizes:?}"
        );
        assert_eq!(row["parts"][0]["name"], "projects", "{row}");
        assert_eq!(row["parts"][0]["kind"], "sessions");
    }
    // Both profiles link ~/.claude/commands and settings.json: counted once, in the total.
    let claude = sandbox.home.join(".claude");
    let shared = du_bytes(&claude.join("commands")) + du_bytes(&claude.join("settings.json"));
    assert_eq!(json["shared"]["size_bytes"].as_u64().unwrap(), shared);
    assert_eq!(
        json["total_bytes"].as_u64().unwrap(),
        du_bytes(&work) + du_bytes(&personal) + shared
    );
    let kinds: BTreeMap<String, String> = profiles[1]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (name, kind) in [
        ("projects", "sessions"),
        ("debug", "logs"),
        (".credentials.json", "login"),
        (".claude.json", "state"),
        ("history.jsonl", "state"),
        ("commands", "shared"),
        (".ccs.json", "ccs"),
    ] {
        assert_eq!(kinds[name], kind, "{name}");
    }
}

/// The human sizes: the ones du -s gives, within the rounding of one decimal.
#[test]
fn du_prints_sizes_within_rounding_of_du() {
    let sandbox = Sandbox::new();
    let work = used_profile(&sandbox, "work");
    let text = sandbox.ok(["du"]);
    let size_of = |label: &str| -> f64 {
        let line = text
            .lines()
            .find(|l| l.split_whitespace().nth(2) == Some(label))
            .unwrap_or_else(|| panic!("no line for {label}:\n{text}"));
        let mut words = line.split_whitespace();
        let number: f64 = words.next().unwrap().parse().unwrap();
        let unit = match words.next().unwrap() {
            "B" => 1.0,
            "KB" => 1024.0,
            "MB" => 1024.0 * 1024.0,
            other => panic!("unit {other}"),
        };
        number * unit
    };
    let close = |shown: f64, real: u64| (shown - real as f64).abs() <= real as f64 * 0.05 + 1.0;
    assert!(text.lines().next().unwrap().ends_with("  work"), "{text}");
    let first: f64 = {
        let mut w = text.lines().next().unwrap().split_whitespace();
        let n: f64 = w.next().unwrap().parse().unwrap();
        n * if w.next() == Some("KB") {
            1024.0
        } else {
            1024.0 * 1024.0
        }
    };
    assert!(close(first, du_bytes(&work)), "{text}");
    for part in ["projects/", "debug/", "file-history/"] {
        let real = du_bytes(&work.join(part.trim_end_matches('/')));
        assert!(close(size_of(part), real), "{part}: {text}");
    }
    assert!(text.contains("shared items, counted once"), "{text}");
    assert!(text.trim_end().ends_with("  total"), "{text}");
    assert!(!text.contains("SECRET"));
    assert!(Sandbox::new().run(["du"]).status.success());
}

// ---------------------------------------------------------------------------------------------
// clean

#[test]
fn clean_dry_run_lists_what_would_go_and_deletes_nothing() {
    let sandbox = Sandbox::new();
    let work = used_profile(&sandbox, "work");
    let before = snapshot(&sandbox.root);
    let out = sandbox.run(["clean", "work", "--dry-run"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("Would remove session history and logs:\n"),
        "{text}"
    );
    for part in [
        "projects/",
        "file-history/",
        "session-env/",
        "todos/",
        "debug/",
        "logs/",
    ] {
        assert!(
            text.lines().any(|l| l.trim_start().starts_with(part)),
            "{part} missing:\n{text}"
        );
    }
    assert!(text.contains("Nothing removed (--dry-run)."), "{text}");
    assert_eq!(
        snapshot(&sandbox.root),
        before,
        "--dry-run deleted something"
    );
    let _ = work;
}

#[test]
fn clean_removes_sessions_and_logs_and_keeps_the_login_state_settings_and_shared_items() {
    let sandbox = Sandbox::new();
    let work = used_profile(&sandbox, "work");
    let claude = sandbox.home.join(".claude");
    fs::remove_file(work.join("settings.json")).unwrap();
    fs::write(work.join("settings.json"), "{\"own\":1}").unwrap();
    let claude_before = snapshot(&claude);
    let kept = [
        ".credentials.json",
        ".claude.json",
        "history.jsonl",
        "settings.json",
        ".ccs.json",
    ]
    .map(|f| (f, fs::read(work.join(f)).unwrap()));
    let size_before = du_bytes(&work);

    let out = sandbox.run(["clean", "work", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for (file, bytes) in &kept {
        assert_eq!(&fs::read(work.join(file)).unwrap(), bytes, "{file} changed");
    }
    assert_eq!(snapshot(&claude), claude_before, "~/.claude changed");
    assert_eq!(
        fs::read_link(work.join("commands")).unwrap(),
        claude.join("commands")
    );
    for part in [
        "projects",
        "file-history",
        "session-env",
        "todos",
        "shell-snapshots",
        "debug",
        "logs",
    ] {
        assert!(work.join(part).is_dir(), "{part} itself stays");
        assert_eq!(
            fs::read_dir(work.join(part)).unwrap().count(),
            0,
            "{part} emptied"
        );
    }
    // The space it says it freed is what du sees go.
    let freed = size_before - du_bytes(&work);
    let shown = text
        .lines()
        .find_map(|l| l.strip_prefix("Freed "))
        .unwrap_or_else(|| panic!("no 'Freed' line:\n{text}"));
    assert_eq!(
        shown.trim_end_matches('.'),
        ccs::human_size(freed),
        "{text}"
    );
    assert!(freed >= 400_000, "{freed}");
}

#[test]
fn clean_selects_by_part_and_age() {
    let sandbox = Sandbox::new();
    let work = used_profile(&sandbox, "work");
    // Logs only: the transcripts stay.
    sandbox.ok(["clean", "work", "--logs", "--yes"]);
    assert!(work.join("projects/-home-me-app/old.jsonl").is_file());
    assert!(!work.join("debug/abc.txt").exists());
    assert!(!work.join("logs/mcp.log").exists());
    // Sessions older than 30 days: the old transcript goes, the new one and its directory stay.
    let out = sandbox.ok([
        "clean",
        "work",
        "--sessions",
        "--older-than",
        "30d",
        "--yes",
    ]);
    assert!(out.contains("session history older than 30d"), "{out}");
    assert!(!work.join("projects/-home-me-app/old.jsonl").exists());
    assert!(work.join("projects/-home-me-app/new.jsonl").is_file());
    assert!(work.join("file-history/abc/f@v1").is_file());
    // Nothing left that old.
    let out = sandbox.ok(["clean", "work", "--older-than", "2w", "--yes"]);
    assert!(out.starts_with("Nothing to clean"), "{out}");
    for bad in ["30", "3m", "d", "-1d"] {
        let out = sandbox.run(["clean", "work", "--older-than", bad, "--yes"]);
        assert!(!out.status.success() && out.stdout.is_empty(), "{bad}");
    }
}

#[test]
fn clean_asks_and_refuses_without_a_terminal() {
    let sandbox = Sandbox::new();
    let work = used_profile(&sandbox, "work");
    let before = snapshot(&work);
    let out = sandbox.run(["clean", "work"]);
    assert!(!out.status.success() && out.stdout.is_empty());
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    assert_eq!(snapshot(&work), before);
    let out = sandbox.run(["clean"]);
    assert!(!out.status.success() && stderr(&out).contains("--all"));
    if !have("script") {
        return;
    }
    let out = sandbox.shell(
        BASH,
        "printf 'n\\n' | script -qec 'ccs clean work' /dev/null",
    );
    assert!(!out.status.success());
    assert!(stdout(&out).contains("projects/"), "{}", stdout(&out));
    assert_eq!(snapshot(&work), before, "answering no removes nothing");
    let out = sandbox.shell(
        BASH,
        "printf 'y\\n' | script -qec 'ccs clean work' /dev/null",
    );
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(!work.join("debug/abc.txt").exists());
}

#[test]
fn clean_never_follows_links() {
    let sandbox = Sandbox::new();
    let work = used_profile(&sandbox, "work");
    let elsewhere = sandbox.root.join("elsewhere");
    write_bytes(&elsewhere.join("precious.log"), 10);
    fs::remove_dir_all(work.join("logs")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, work.join("logs")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, work.join("projects/linked")).unwrap();
    let out = sandbox.ok(["clean", "--all", "--yes"]);
    assert!(
        out.contains("logs/") && out.contains("skipped: a link"),
        "{out}"
    );
    assert!(elsewhere.join("precious.log").is_file());
    assert!(
        fs::symlink_metadata(work.join("projects/linked")).is_err(),
        "the link itself goes"
    );
}

// ---------------------------------------------------------------------------------------------
// rename

#[test]
fn rename_moves_the_profile_and_keeps_its_links_and_default() {
    let sandbox = Sandbox::new();
    let work = used_profile(&sandbox, "work");
    sandbox.create("other");
    sandbox.ok(["default", "work"]);
    let before = snapshot(&work);
    let out = sandbox.run(["rename", "work", "job"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        out.stdout.is_empty(),
        "no hook, not active: nothing to evaluate"
    );
    assert!(stderr(&out).contains("renamed profile 'work' to 'job'"));
    let job = sandbox.instance("job");
    assert!(!work.exists());
    let moved: BTreeMap<PathBuf, Vec<u8>> = before
        .into_iter()
        .map(|(p, c)| (job.join(p.strip_prefix(&work).unwrap()), c))
        .collect();
    assert_eq!(snapshot(&job), moved, "everything moved as it was");
    assert!(
        job.join("commands/deploy.md").is_file(),
        "absolute links still work"
    );
    assert_eq!(sandbox.ok(["default"]), "job\n");
    // The profiles job and other, under the row of the default config (this home has a ~/.claude).
    let list = sandbox.ok(["list"]);
    assert_eq!(list.lines().count(), 3, "{list}");
    assert!(list.starts_with("* ~/.claude "), "{list}");
    let _ = sandbox.ok(["rename", "job", "Job"]);
    assert!(
        sandbox.instance("Job").is_dir(),
        "a change of case is a rename"
    );
}

#[test]
fn rename_refuses_what_create_refuses_and_touches_nothing() {
    let sandbox = Sandbox::new();
    let work = sandbox.create("work");
    sandbox.create("other");
    for (new, needle) in [
        ("other", "already exists"),
        ("OTHER", "differs only in case"),
        ("../x", "invalid profile name"),
        ("work", "already has that name"),
    ] {
        let out = sandbox.run(["rename", "work", new]);
        assert!(!out.status.success() && out.stdout.is_empty(), "{new}");
        assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{new}: {}", stderr(&out));
    }
    let out = sandbox.run(["rename", "nosuch", "x"]);
    assert!(!out.status.success() && stderr(&out).contains("does not exist"));
    assert!(work.is_dir() && !sandbox.instance("x").exists());
}

#[test]
fn rename_prints_the_switch_only_for_the_shell_on_that_profile() {
    let sandbox = Sandbox::new();
    let work = sandbox.create("work");
    let other = sandbox.create("other");
    // Active here and asked by the hook (--shell): the code that re-points it.
    let out = sandbox
        .ccs(["rename", "--shell", "bash", "work", "job"])
        .env("CLAUDE_CONFIG_DIR", &work)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!(
            "export CLAUDE_CONFIG_DIR={};\nexport CCS_PROFILE=job;\n",
            sandbox.instance("job").display()
        )
    );
    // Another profile is active: nothing to evaluate.
    let out = sandbox
        .ccs(["rename", "--shell", "fish", "job", "work"])
        .env("CLAUDE_CONFIG_DIR", &other)
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "{}",
        stdout(&out)
    );
    // Active but no hook: say how to switch, print no code.
    let out = sandbox
        .ccs(["rename", "work", "job"])
        .env("CLAUDE_CONFIG_DIR", &work)
        .output()
        .unwrap();
    assert!(out.status.success() && out.stdout.is_empty());
    let err = stderr(&out);
    assert!(
        err.contains(&format!("still points at {}", work.display())) && err.contains("ccs use job"),
        "{err}"
    );
}

/// The hook's `ccs rename` in real shells: the shell on the renamed profile follows it, a failed
/// rename changes nothing, and renaming another profile leaves this shell alone.
#[test]
fn the_hook_re_points_the_shell_on_a_renamed_profile() {
    let sandbox = Sandbox::new();
    sandbox.create("work");
    sandbox.create("other");
    for shell in shells::installed() {
        let hook = shell.source_hook("");
        let show = PRINT_SWITCH;
        let script = [
            hook.as_str(),
            "ccs use work",
            "ccs rename work job",
            show,
            "ccs rename job other",
            show,
            "ccs rename other spare",
            show,
            "ccs rename spare other",
            "ccs rename job work",
            show,
        ]
        .join("\n")
            + "\n";
        let out = sandbox.shell(shell, &script);
        let shell = shell.name;
        let at = |name: &str| format!("{}|{name}", sandbox.instance(name).display());
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        assert_eq!(
            stdout(&out).lines().collect::<Vec<_>>(),
            [at("job"), at("job"), at("job"), at("work")],
            "{shell}: {}",
            stderr(&out)
        );
        let err = stderr(&out);
        assert!(
            err.contains("renamed profile 'work' to 'job'") && !err.contains("still points at"),
            "{shell}: the hook passed --shell, so no advice to switch by hand: {err}"
        );
    }
}

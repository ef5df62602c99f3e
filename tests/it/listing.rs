//! `ccs list` keeps what it measured in `$CCS_HOME/list-cache.tsv` (see src/list_cache): these
//! tests prove the cache is used while a profile is unchanged, and that every change a user or
//! Claude Code makes is seen at once.
//!
//! A profile changed within the settle time (two seconds) is never cached (a change in the same
//! clock tick could go unseen), so each test cuts that time ([`Sandbox::with_quick_settle`]) and
//! lists until the profile is cached ([`Sandbox::list_until_cached`]) before the listing it
//! wants cached.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Output;

use crate::common;
use crate::common::{Sandbox, have, stderr, stdout};

const CACHE: &str = "list-cache.tsv";

/// Replaces `path` the way Claude Code writes its files: a temporary file renamed into place.
fn replace(path: &Path, text: &str) {
    let temp = path.with_extension("tmp.1234");
    fs::write(&temp, text).unwrap();
    fs::rename(&temp, path).unwrap();
}

fn account_json(email: &str) -> String {
    format!(r#"{{"oauthAccount":{{"emailAddress":"{email}","organizationName":"Acme"}}}}"#)
}

/// The line `ccs list` prints for `name`.
fn row(sandbox: &Sandbox, name: &str) -> String {
    row_of(&sandbox.run(["list"]), name)
}

/// The line for `name` in the output of `ccs list`.
fn row_of(out: &Output, name: &str) -> String {
    assert!(out.status.success(), "{}", stderr(out));
    assert_eq!(stderr(out), "", "list says nothing on stderr");
    stdout(out)
        .lines()
        .find(|l| l[2..].starts_with(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no row for {name}:\n{}", stdout(out)))
        .to_owned()
}

#[test]
fn an_unchanged_profile_is_listed_from_the_cache() {
    let sandbox = Sandbox::new().with_quick_settle();
    let work = sandbox.create("work");
    fs::write(work.join(".claude.json"), account_json("a@example.com")).unwrap();
    let measured = row_of(&sandbox.list_until_cached(&["list"], &["work"]), "work");
    assert!(measured.contains("a@example.com"), "{measured}");
    assert!(sandbox.ccs_home.join(CACHE).is_file());

    // Written in place (no rename, so the directory is unchanged): the cache still answers,
    // which shows it is used. Claude Code never writes this way (see the next test).
    fs::write(work.join(".claude.json"), account_json("b@example.com")).unwrap();
    let cache_file = || fs::metadata(sandbox.ccs_home.join(CACHE)).unwrap();
    let before = cache_file();
    assert_eq!(row(&sandbox, "work"), measured);
    // Nothing new was learnt, so nothing was written: the cache is the same file, unmodified.
    let after = cache_file();
    assert_eq!(
        (after.ino(), after.modified().unwrap()),
        (before.ino(), before.modified().unwrap()),
        "an unchanged listing rewrote the cache"
    );

    if have("strace") {
        // And with the cache warm, nothing inside the profile is opened at all.
        let mut cmd = std::process::Command::new("strace");
        sandbox.env(&mut cmd);
        let trace = sandbox.root.join("trace");
        let out = cmd
            .args(["-f", "-e", "trace=open,openat", "-o"])
            .arg(&trace)
            .args([common::BIN, "list"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let trace = fs::read_to_string(trace).unwrap();
        let inside = format!("{}/", work.display());
        let opened: Vec<&str> = trace.lines().filter(|l| l.contains(&inside)).collect();
        assert!(opened.is_empty(), "opened inside the profile: {opened:#?}");
    }
}

#[test]
fn a_login_written_as_claude_code_writes_it_is_seen_at_once() {
    let sandbox = Sandbox::new().with_quick_settle();
    let work = sandbox.create("work");
    let listed = sandbox.list_until_cached(&["list"], &["work"]);
    assert!(row_of(&listed, "work").contains("not logged in"));
    replace(&work.join(".claude.json"), &account_json("new@example.com"));
    replace(
        &work.join(".credentials.json"),
        r#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-SECRET","subscriptionType":"max"}}"#,
    );
    assert!(
        row(&sandbox, "work").contains("max · new@example.com (Acme)"),
        "{}",
        row(&sandbox, "work")
    );
    // Cached once settled, and still right; the cache never holds a token.
    let listed = sandbox.list_until_cached(&["list"], &["work"]);
    assert!(row_of(&listed, "work").contains("max · new@example.com"));
    let cache = fs::read_to_string(sandbox.ccs_home.join(CACHE)).unwrap();
    assert!(cache.contains("new@example.com"), "{cache}");
    assert!(!cache.contains("SECRET"), "{cache}");
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(sandbox.ccs_home.join(CACHE))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "the cache names accounts: private");

    fs::remove_file(work.join(".credentials.json")).unwrap();
    fs::remove_file(work.join(".claude.json")).unwrap();
    assert!(row(&sandbox, "work").contains("not logged in"));
}

#[test]
fn a_file_added_inside_an_own_directory_is_seen_at_once() {
    let sandbox = Sandbox::new().with_quick_settle();
    let out = sandbox.run(["create", "solo", "--isolated"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let solo = sandbox.instance("solo");
    assert!(
        solo.join("commands").is_dir(),
        "an isolated profile has its own commands/"
    );
    let listed = sandbox.list_until_cached(&["list"], &["solo"]);
    assert!(
        row_of(&listed, "solo").contains("isolated "),
        "{}",
        row_of(&listed, "solo")
    );
    // Inside commands/: the instance directory's mtime does not change, commands/'s does.
    fs::write(solo.join("commands/review.md"), "Review.\n").unwrap();
    assert!(
        row(&sandbox, "solo").contains("isolated, 1 own"),
        "{}",
        row(&sandbox, "solo")
    );
}

#[test]
fn a_change_to_the_shared_source_is_seen_at_once() {
    let sandbox = Sandbox::new().with_quick_settle();
    let source = sandbox.home.join(".claude");
    fs::create_dir_all(source.join("commands")).unwrap();
    sandbox.create("work");
    let listed = sandbox.list_until_cached(&["list"], &["work"]);
    assert!(
        row_of(&listed, "work").contains("1 shared "),
        "{}",
        row_of(&listed, "work")
    );
    fs::create_dir(source.join("agents")).unwrap();
    assert!(
        row(&sandbox, "work").contains("1 shared, 1 to sync"),
        "{}",
        row(&sandbox, "work")
    );
    fs::remove_dir(source.join("commands")).unwrap();
    assert!(
        row(&sandbox, "work").contains("to sync"),
        "{}",
        row(&sandbox, "work")
    );
}

#[test]
fn removed_and_renamed_profiles_leave_the_cache() {
    let sandbox = Sandbox::new().with_quick_settle();
    sandbox.create("work");
    sandbox.create("old");
    row_of(
        &sandbox.list_until_cached(&["list"], &["work", "old"]),
        "work",
    );
    sandbox.ok(["remove", "work", "--yes"]);
    sandbox.ok(["rename", "old", "new"]);
    let listed = sandbox.ok(["list"]);
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(listed.starts_with("  new "), "{listed}");
    let cache = fs::read_to_string(sandbox.ccs_home.join(CACHE)).unwrap();
    assert!(
        !cache.contains("\nwork\t") && !cache.contains("\nold\t"),
        "{cache}"
    );
}

#[test]
fn an_old_size_is_measured_again() {
    let sandbox = Sandbox::new().with_quick_settle();
    let work = sandbox.create("work");
    fs::create_dir(work.join("projects")).unwrap();
    let before = row_of(&sandbox.list_until_cached(&["list"], &["work"]), "work");
    // A session log grows deep inside: the directory's mtime does not change.
    fs::write(work.join("projects/session.jsonl"), vec![b'x'; 3 << 20]).unwrap();
    assert_eq!(
        row(&sandbox, "work"),
        before,
        "cached until the size is old"
    );
    // Make the recorded measurement two hours old.
    let path = sandbox.ccs_home.join(CACHE);
    let cache = fs::read_to_string(&path).unwrap();
    let aged: Vec<String> = cache
        .lines()
        .map(|line| {
            let mut fields: Vec<String> = line.split('\t').map(str::to_owned).collect();
            if fields.len() > 2 && fields[0] == "work" {
                let then: u64 = fields[2].parse().unwrap();
                fields[2] = (then - 7200).to_string();
            }
            fields.join("\t")
        })
        .collect();
    fs::write(&path, aged.join("\n") + "\n").unwrap();
    let after = row(&sandbox, "work");
    assert!(after.trim_end().ends_with(" MB"), "{before}\n{after}");
}

#[test]
fn a_broken_or_foreign_cache_is_never_believed() {
    let sandbox = Sandbox::new().with_quick_settle();
    sandbox.create("work");
    let truth = stdout(&sandbox.list_until_cached(&["list", "--json"], &["work"]));
    let path = sandbox.ccs_home.join(CACHE);
    let cache = fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = cache.lines().collect();
    assert_eq!(lines.len(), 3, "{cache}");
    let (header, line) = (format!("{}\n{}\n", lines[0], lines[1]), lines[2]);
    let fields: Vec<&str> = line.split('\t').collect();
    let with = |index: usize, value: &str| {
        let mut changed = fields.clone();
        changed[index] = value;
        format!("{header}{}\n", changed.join("\t"))
    };
    let lying = |key: &str| {
        let mut changed = fields.clone();
        changed[1] = key;
        changed[6] = "evil@example.com";
        changed[4] = "1";
        format!("{header}{}\n", changed.join("\t"))
    };
    for planted in [
        "garbage\n".to_owned(),
        String::new(),
        header.clone(),
        lying(".=1:2:3:4:5:6"),
        lying(".=::"),
        lying("."),
        with(3, "-1"),
        with(9, "shared,shared"),
        with(9, "shared,shared,shared,shared,bogus"),
        with(8, "sometimes"),
        format!("{header}{}\n", &line[..line.len() / 2]),
        "\u{0}\u{1}binary".to_owned(),
    ] {
        fs::write(&path, &planted).unwrap();
        assert_eq!(sandbox.ok(["list", "--json"]), truth, "{planted:?}");
    }
    // A cache that cannot be written (a directory in its place) costs nothing but the cache.
    fs::remove_file(&path).unwrap();
    fs::create_dir(&path).unwrap();
    let out = sandbox.run(["list", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    assert_eq!(stdout(&out), truth);
}

#[test]
fn a_copy_mode_profile_is_measured_every_time() {
    let sandbox = Sandbox::new().with_quick_settle();
    let source = sandbox.home.join(".claude");
    fs::create_dir_all(source.join("commands")).unwrap();
    fs::write(source.join("commands/review.md"), "Review.\n").unwrap();
    let out = sandbox.run(["create", "copied", "--copy"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Settled: a linking profile made after it is cached, and so would this one be, were it not
    // a copy.
    sandbox.create("linked");
    let listed = sandbox.list_until_cached(&["list"], &["linked"]);
    assert!(
        row_of(&listed, "copied").contains("1 copied "),
        "{}",
        row_of(&listed, "copied")
    );
    // An edit deep in the source changes neither the profile nor the source's top level.
    fs::write(source.join("commands/review.md"), "Review carefully.\n").unwrap();
    assert!(
        row(&sandbox, "copied").contains("1 copied, 1 to sync"),
        "{}",
        row(&sandbox, "copied")
    );
}

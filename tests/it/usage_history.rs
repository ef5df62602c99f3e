//! `ccs usage` over a history written over time: what a repeated count reads from the cache's
//! head, what it takes from directory listings kept from the count before, and what it counts
//! again when transcripts were added or grew must give the totals a first count gives, and
//! ccusage's. A cache of an older format is discarded and written anew.

use std::fs;
use std::path::Path;

use crate::common::Sandbox;
use crate::usage_support::{
    Profile, Reply, Rng, Totals, assistant_line, ccs_usage, ccusage, ccusage_totals, diff, history,
    now_millis,
};

fn assert_agrees(sandbox: &Sandbox, dir: &Path, truth: &Totals) {
    let rows = ccs_usage(sandbox, &["work"]);
    let ours = Totals::of_ccs(&rows["work"]["total"]);
    let wrong = diff("truth", &ours, truth);
    assert!(wrong.is_empty(), "{wrong}");
    if let Some(ccusage) = ccusage() {
        let theirs = ccusage_totals(&ccusage, dir, &sandbox.home);
        let wrong = diff("ccusage", &ours, &theirs);
        assert!(wrong.is_empty(), "{wrong}");
    }
}

/// Everything `ccs usage --json` says of `work`, minus what moves with the clock alone.
fn shown(sandbox: &Sandbox) -> String {
    let mut row = ccs_usage(sandbox, &["work"]).remove("work").unwrap();
    row.as_object_mut().unwrap().remove("rate_limits");
    row.to_string()
}

fn write_files(dir: &Path, files: &[(&String, &String)]) {
    for (rel, text) in files {
        let path = dir.join("projects").join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
}

/// Half of a history's transcripts first, counted; a reply appended to one of them once the
/// directories were left alone long enough for their listings to be kept; then the other half
/// (sessions resumed from the first half's and the first half's resumed into it, in the same
/// directories and new ones): the count equals ccusage's and a first count's, and a repeated
/// one shows the same as the count before it.
#[test]
fn a_history_written_over_time_counts_as_a_first_count_does() {
    let sandbox = Sandbox::new();
    let dir = sandbox.create("work");
    let mut rng = Rng::new(71);
    let now = now_millis();
    let mut profile: Profile = history(&mut rng, 40, 20, now);
    let all: Vec<(String, String)> = profile
        .files
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    // Every other file, so that both halves hold originals and copies.
    let (first, second): (Vec<_>, Vec<_>) = all.iter().enumerate().partition(|(i, _)| i % 2 == 0);
    let first: Vec<(&String, &String)> = first.into_iter().map(|(_, (k, v))| (k, v)).collect();
    let second: Vec<(&String, &String)> = second.into_iter().map(|(_, (k, v))| (k, v)).collect();

    write_files(&dir, &first);
    let first_count = shown(&sandbox);
    assert_eq!(shown(&sandbox), first_count, "repeated, nothing changed");
    // Directories left alone for two seconds, then a reply appended to a transcript of the
    // first half: the count that reads it keeps the directories' listings (scan::Listing).
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let (grown, _) = first[first.len() / 2];
    let reply = Reply::new(&mut rng, now - 60_000);
    let session = grown.rsplit('/').next().unwrap().trim_end_matches(".jsonl");
    let line = assistant_line(&reply, 0, reply.usage, session, false, "");
    profile.push(grown, &line);
    profile.count(&reply);
    let grown_path = dir.join("projects").join(grown);
    let mut text = fs::read_to_string(&grown_path).unwrap();
    text.push_str(&line);
    text.push('\n');
    fs::write(&grown_path, text).unwrap();
    let with_reply = shown(&sandbox);
    assert_ne!(with_reply, first_count);
    assert_eq!(shown(&sandbox), with_reply, "repeated, listings used");

    // The rest, into the same directories and new ones.
    write_files(&dir, &second);
    assert_agrees(&sandbox, &dir, &profile.truth);
    let full = shown(&sandbox);
    assert_eq!(shown(&sandbox), full, "repeated after the change");
    // A first count of the same transcripts shows the same.
    fs::remove_dir_all(sandbox.ccs_home.join("usage-cache")).unwrap();
    assert_eq!(shown(&sandbox), full, "counted afresh");
}

/// A cache written by an older ccs (format 2: the records right after its magic line; format
/// 3: no stamp) is not read as this one's: the transcripts are counted afresh and the cache is
/// written anew.
#[test]
fn a_cache_of_an_older_format_is_discarded_and_written_anew() {
    for version in [2, 3] {
        let sandbox = Sandbox::new();
        let dir = sandbox.create("work");
        let profile = history(&mut Rng::new(72), 6, 3, now_millis());
        profile.write(&dir);
        let cache = sandbox.ccs_home.join("usage-cache/work");
        fs::create_dir_all(cache.parent().unwrap()).unwrap();
        // The older magic line, then bytes that would read as a head claiming nothing counted.
        let mut old = format!("ccs usage cache {version}\n").into_bytes();
        old.extend_from_slice(&[0; 200]);
        fs::write(&cache, &old).unwrap();
        assert_agrees(&sandbox, &dir, &profile.truth);
        let written = fs::read(&cache).unwrap();
        assert!(
            written.starts_with(b"ccs usage cache 4\n"),
            "{:?}",
            String::from_utf8_lossy(&written[..20])
        );
        assert_agrees(&sandbox, &dir, &profile.truth);
    }
}

/// The directories under `projects/` that `ccs usage` read (listed), from strace; `None`
/// where there is no strace (Linux only).
#[cfg(unix)]
fn directories_read(sandbox: &Sandbox) -> Option<Vec<String>> {
    if !cfg!(target_os = "linux") || !crate::common::have("strace") {
        return None;
    }
    let trace = sandbox.root.join("dirs-trace");
    let mut cmd = std::process::Command::new("strace");
    sandbox.env(&mut cmd);
    let out = cmd
        .args(["-f", "-qq", "-y", "-e", "trace=getdents64", "-o"])
        .arg(&trace)
        .arg(crate::common::BIN)
        .args(["usage", "work"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", crate::common::stderr(&out));
    let mut read: Vec<String> = fs::read_to_string(&trace)
        .unwrap()
        .lines()
        .filter_map(|l| Some(l.split_once("/projects")?.1.split('>').next()?.to_owned()))
        .collect();
    read.sort();
    read.dedup();
    Some(read)
}

#[cfg(unix)]
fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut file = fs::OpenOptions::new().append(true).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

/// Once the directories' listings are kept (the directories left alone two seconds, then a
/// count that wrote the cache), a repeated count lists no directory; a reply appended to a
/// subagent's transcript, whose directories are looked at through their project's without
/// being opened, counts (an append changes no directory); a transcript added to a kept
/// directory and a new session's directories are found, and only the directories that
/// changed are listed again. (Listings are kept only where directories have times: Unix.)
#[cfg(unix)]
#[test]
fn appends_and_additions_under_kept_listings_count() {
    let sandbox = Sandbox::new();
    let dir = sandbox.create("work");
    let projects = dir.join("projects");
    let mut rng = Rng::new(73);
    let now = now_millis();
    let mut profile: Profile = history(&mut rng, 30, 10, now);
    profile.write(&dir);
    shown(&sandbox);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let subagents: Vec<String> = profile
        .files
        .keys()
        .filter(|rel| rel.contains("/subagents/"))
        .cloned()
        .collect();
    assert!(subagents.len() >= 2, "{subagents:?}");
    let session_of = |rel: &str| {
        rel.split('/')
            .nth(1)
            .unwrap()
            .trim_end_matches(".jsonl")
            .to_owned()
    };

    // A reply appended to a session's transcript: the count that reads it keeps the listings.
    let main = profile
        .files
        .keys()
        .find(|rel| rel.matches('/').count() == 1)
        .unwrap()
        .clone();
    let reply = Reply::new(&mut rng, now - 50_000);
    let line = assistant_line(&reply, 0, reply.usage, &session_of(&main), false, "");
    append(&projects.join(&main), &(line + "\n"));
    profile.count(&reply);
    assert_agrees(&sandbox, &dir, &profile.truth);
    let counted = shown(&sandbox);
    if let Some(read) = directories_read(&sandbox) {
        assert_eq!(read, Vec::<String>::new(), "listings kept, nothing listed");
    }

    // A reply appended to a subagent's transcript, three directories down.
    let agent = &subagents[subagents.len() / 2];
    let reply = Reply::new(&mut rng, now - 40_000);
    let line = assistant_line(&reply, 0, reply.usage, &session_of(agent), true, "");
    append(&projects.join(agent), &(line + "\n"));
    profile.count(&reply);
    if let Some(read) = directories_read(&sandbox) {
        assert_eq!(read, Vec::<String>::new(), "an append changes no directory");
    }
    assert_agrees(&sandbox, &dir, &profile.truth);
    assert_ne!(shown(&sandbox), counted);

    // A subagent's transcript added beside it: only its directory is listed again.
    let agent_dir = &agent[..agent.rfind('/').unwrap()];
    let added = format!("{agent_dir}/agent-added.jsonl");
    let reply = Reply::new(&mut rng, now - 30_000);
    let line = assistant_line(&reply, 0, reply.usage, &session_of(agent), true, "");
    fs::write(projects.join(&added), line + "\n").unwrap();
    profile.count(&reply);
    if let Some(read) = directories_read(&sandbox) {
        assert_eq!(
            read,
            [format!("/{agent_dir}")],
            "only the changed directory"
        );
    }
    assert_agrees(&sandbox, &dir, &profile.truth);

    // A new session with a subagent in a project kept: its directories are found.
    let project = main.split('/').next().unwrap();
    let session = "0000000a-0000-4000-8000-00000000000a";
    for (rel, sidechain) in [
        (format!("{project}/{session}.jsonl"), false),
        (
            format!("{project}/{session}/subagents/agent-new.jsonl"),
            true,
        ),
    ] {
        let reply = Reply::new(&mut rng, now - 20_000);
        let line = assistant_line(&reply, 0, reply.usage, session, sidechain, "");
        let path = projects.join(&rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, line + "\n").unwrap();
        profile.count(&reply);
    }
    assert_agrees(&sandbox, &dir, &profile.truth);
    let full = shown(&sandbox);
    fs::remove_dir_all(sandbox.ccs_home.join("usage-cache")).unwrap();
    assert_eq!(shown(&sandbox), full, "counted afresh");
}

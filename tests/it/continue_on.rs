//! `ccs continue`: a conversation made on one profile goes on in another. Against the real
//! Claude Code, offline (the stand-in Messages API on 127.0.0.1, tests/it/common/api.rs): the
//! resumed client sends the earlier turns and writes its own into the target, the source's files
//! stay byte for byte, and `ccs usage` counts each turn once, under the profile that made it.
//! Then what can go wrong (a long or unusual path, another directory, a torn or missing
//! transcript, a conversation handed twice or back, one still open, one that belongs to another
//! account), and the switch of a real bash through the printed code.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::common;
use crate::common::api::{EDIT_FILE, Options, PRINT_A_LOT, Sent, StandIn, USE_AGENT};
use crate::common::child::output_within;
use crate::common::shells::{PRINT_SWITCH, installed};
use crate::common::{CLIENT_TIMEOUT, Sandbox, stderr, stdout};
use crate::usage_support::{self, Totals, ccs_usage, diff};

/// The client's environment: the sandbox, the profile, the stand-in, an API key, and nothing
/// that would reach the network otherwise. File checkpointing, which a `-p` session does only
/// when asked, so that the edit leaves a file-history backup.
fn client(sandbox: &Sandbox, claude: &Path, dir: &Path, api: &StandIn, cwd: &Path) -> Command {
    let mut cmd = common::client_command(sandbox, claude, dir, &api.url);
    cmd.env("CLAUDE_CODE_ENABLE_SDK_FILE_CHECKPOINTING", "1")
        .current_dir(cwd);
    cmd
}

fn run(mut cmd: Command) -> Output {
    let out = output_within(&mut cmd, CLIENT_TIMEOUT);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    out
}

/// `ccs ARGS` in `cwd`, from a shell on profile `dir`.
fn ccs_on(sandbox: &Sandbox, dir: &Path, cwd: &Path, args: &[&str]) -> Output {
    let mut cmd = sandbox.ccs(args);
    cmd.env("CLAUDE_CONFIG_DIR", dir).current_dir(cwd);
    cmd.output().unwrap()
}

/// `ccs continue ARGS --print` from profile `dir` in `cwd`: the claude arguments it prints.
fn hand_over(sandbox: &Sandbox, dir: &Path, cwd: &Path, args: &[&str]) -> Vec<String> {
    let mut all = vec!["continue"];
    all.extend_from_slice(args);
    all.push("--print");
    let out = ccs_on(sandbox, dir, cwd, &all);
    assert!(out.status.success(), "{}", stderr(&out));
    let line = stdout(&out);
    let words: Vec<String> = line
        .split_whitespace()
        .map(|w| w.trim_matches('\'').to_owned())
        .collect();
    assert_eq!(words[0], "claude", "{line}");
    assert_eq!(words.len(), 6, "{line}");
    words[1..].to_vec()
}

/// Every file under `dir`, by path, with its bytes.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                dirs.push(path);
            } else {
                found.insert(path.clone(), fs::read(&path).unwrap_or_default());
            }
        }
    }
    found
}

/// What the stand-in's streamed replies (the conversation's) add up to.
fn totals(sent: &[Sent]) -> Totals {
    let mut totals = Totals::default();
    for s in sent.iter().filter(|s| s.streamed) {
        totals.add(&s.model, s.usage.tokens());
    }
    totals
}

/// The texts of every message of the last turn the stand-in received.
fn last_turn(api: &StandIn) -> String {
    api.messages().last().unwrap()["messages"].to_string()
}

fn project(sandbox: &Sandbox, name: &str) -> PathBuf {
    let dir = sandbox.home.join(name);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// The session id of a conversation's transcript (`projects/*/<id>.jsonl`) holding `text`.
fn session_with(dir: &Path, text: &str) -> String {
    let found: Vec<String> = files(&dir.join("projects"))
        .into_iter()
        .filter(|(p, bytes)| {
            p.extension().is_some_and(|e| e == "jsonl")
                && !p.to_string_lossy().contains("/subagents/")
                && String::from_utf8_lossy(bytes).contains(text)
        })
        .map(|(p, _)| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(found.len(), 1, "{text}: {found:?}");
    found[0].clone()
}

/// `ccs usage --all` counts on a exactly what the stand-in answered there (`on_a`), and on b
/// what it answered there: every turn once, under the profile that made it.
fn counted_once(sandbox: &Sandbox, on_a: &[Sent], on_b: &[Sent]) {
    let rows = ccs_usage(sandbox, &["--all"]);
    let mut wrong = diff("a", &Totals::of_ccs(&rows["a"]["total"]), &totals(on_a));
    wrong += &diff("b", &Totals::of_ccs(&rows["b"]["total"]), &totals(on_b));
    assert!(wrong.is_empty(), "{wrong}");
}

#[test]
fn a_conversation_goes_on_in_another_profile_and_each_turn_counts_once() {
    let Some(claude) = common::claude() else {
        return;
    };
    let sandbox = Sandbox::new();
    let a = sandbox.create("a");
    let b = sandbox.create("b");
    let project = project(&sandbox, "src/app");
    let notes = project.join("notes.txt");
    fs::write(&notes, "before\n").unwrap();
    let api = StandIn::start(Options::default());
    let on_a = |args: &[&str]| {
        let mut cmd = client(&sandbox, &claude, &a, &api, &project);
        cmd.args(args);
        run(cmd)
    };
    // The stand-in calls the Agent tool on a conversation's first turn only.
    let first = format!("FIRST-PROMPT {USE_AGENT}");
    on_a(&["-p", &first, "--allowedTools", "Agent"]);
    let edit = format!("{EDIT_FILE} {}", notes.display());
    on_a(&["-p", "--continue", &edit, "--allowedTools", "Read", "Write"]);
    assert_eq!(fs::read_to_string(&notes).unwrap().lines().count(), 1);
    assert!(fs::read_to_string(&notes).unwrap().starts_with("edited"));
    on_a(&["-p", "--continue", PRINT_A_LOT, "--allowedTools", "Bash"]);
    let made_on_a = api.sent();
    let id = session_with(&a, "FIRST-PROMPT");
    let a_before = files(&a);
    let names: Vec<String> = a_before
        .keys()
        .map(|p| p.strip_prefix(&a).unwrap().to_string_lossy().into_owned())
        .collect();
    for part in ["/subagents/", "/tool-results/", "file-history/"] {
        assert!(
            names.iter().any(|n| n.contains(part) && n.contains(&id)),
            "{part}: {names:?}"
        );
    }

    let args = hand_over(&sandbox, &a, &project, &["b"]);
    assert_eq!(args[..3], ["--resume", id.as_str(), "--fork-session"]);
    let new_id = args[4].clone();
    let copied: Vec<String> = files(&b)
        .keys()
        .map(|p| p.strip_prefix(&b).unwrap().to_string_lossy().into_owned())
        .collect();
    for name in names.iter().filter(|n| n.contains(&id)) {
        assert!(copied.contains(name), "{name} not copied: {copied:?}");
    }
    // The transcript names the copied tool result where the copy is.
    let transcript = fs::read_to_string(
        b.join(
            names
                .iter()
                .find(|n| n.ends_with(&format!("{id}.jsonl")))
                .unwrap(),
        ),
    )
    .unwrap();
    let a_results = format!("{}/projects/", a.display());
    assert!(transcript.contains("/tool-results/"), "a tool result saved");
    assert!(
        !transcript.split(&a_results).skip(1).any(|rest| rest
            .split('/')
            .nth(2)
            .is_some_and(|p| p == "tool-results" || p == "subagents")),
        "a path into a's session directory is left"
    );
    // Nothing of a's account or settings.
    assert_ne!(
        fs::read(b.join(".claude.json")).ok(),
        fs::read(a.join(".claude.json")).ok()
    );

    let mut cmd = client(&sandbox, &claude, &b, &api, &project);
    cmd.args(&args).args(["-p", "SECOND-PROFILE next"]);
    run(cmd);
    let sent_on_b: Vec<Sent> = api.sent()[made_on_a.len()..].to_vec();
    let turn = last_turn(&api);
    for earlier in ["FIRST-PROMPT", EDIT_FILE, PRINT_A_LOT, "SECOND-PROFILE"] {
        assert!(turn.contains(earlier), "{earlier} not sent: {turn}");
    }
    // The first reply made on a and the last (the subagent's is its own transcript's).
    for n in [1, made_on_a.len()] {
        let answer = format!("STAND-IN-ANSWER {n}, part one");
        assert!(turn.contains(&answer), "{answer} not sent: {turn}");
    }
    let forked = fs::read_to_string(
        b.join("projects")
            .join(
                Path::new(
                    &names
                        .iter()
                        .find(|n| n.ends_with(&format!("{id}.jsonl")))
                        .unwrap(),
                )
                .parent()
                .unwrap()
                .strip_prefix("projects")
                .unwrap(),
            )
            .join(format!("{new_id}.jsonl")),
    )
    .unwrap();
    assert!(forked.contains("SECOND-PROFILE next"));
    // The client carried the copied file-history backups over to the new id, for /rewind.
    let backups = |dir: &Path, id: &str| -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir.join("file-history").join(id))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let carried = backups(&b, &new_id);
    for name in backups(&a, &id) {
        assert!(carried.contains(&name), "{name} not in {carried:?}");
    }
    assert_eq!(files(&a), a_before, "a's files changed");

    counted_once(&sandbox, &made_on_a, &sent_on_b);

    // Handed back: a resumes b's conversation, with every turn, and still counts each once.
    let back = hand_over(&sandbox, &b, &project, &["a", "--session", &new_id]);
    let mut cmd = client(&sandbox, &claude, &a, &api, &project);
    cmd.args(&back).args(["-p", "BACK-ON-A"]);
    run(cmd);
    let turn = last_turn(&api);
    for earlier in ["FIRST-PROMPT", "SECOND-PROFILE", "BACK-ON-A"] {
        assert!(turn.contains(earlier), "{earlier} not sent: {turn}");
    }
    let all = api.sent();
    let sent_back: Vec<Sent> = all[made_on_a.len() + sent_on_b.len()..].to_vec();
    let mut made_by_a = made_on_a.clone();
    made_by_a.extend(sent_back);
    counted_once(&sandbox, &made_by_a, &sent_on_b);
}

#[test]
fn unusual_paths_and_another_directory_resume_in_the_real_client() {
    let Some(claude) = common::claude() else {
        return;
    };
    let sandbox = Sandbox::new();
    let a = sandbox.create("a");
    let b = sandbox.create("b");
    let api = StandIn::start(Options::default());
    let long = format!(
        "deep/{}",
        "long directory name ".repeat(12).trim().replace(' ', "-")
    );
    let cases = [long.as_str(), "with space/é ü/😀 astral"];
    for (n, relative) in cases.into_iter().enumerate() {
        let cwd = project(&sandbox, relative);
        let marker = format!("PATH-CASE-{n}");
        let mut cmd = client(&sandbox, &claude, &a, &api, &cwd);
        cmd.args(["-p", &marker]);
        run(cmd);
        let id = session_with(&a, &marker);
        let project_dir = files(&a.join("projects"))
            .keys()
            .find(|p| p.ends_with(format!("{id}.jsonl")))
            .unwrap()
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if relative.len() > 200 {
            assert!(project_dir.len() > 200, "{project_dir}");
        }
        // The latest of this directory, found as the client named its folder.
        let args = hand_over(&sandbox, &a, &cwd, &["b"]);
        assert_eq!(args[1], id);
        let mut cmd = client(&sandbox, &claude, &b, &api, &cwd);
        cmd.args(&args).args(["-p", "next"]);
        run(cmd);
        assert!(last_turn(&api).contains(&marker), "{relative}");
        assert!(
            b.join("projects")
                .join(&project_dir)
                .join(format!("{}.jsonl", args[4]))
                .is_file(),
            "{relative}: the fork is written beside the copy"
        );
    }

    // From another directory, by id: found under any of the profile's projects, and resumed.
    let elsewhere = project(&sandbox, "elsewhere");
    let mut cmd = client(&sandbox, &claude, &a, &api, &project(&sandbox, "first"));
    cmd.args(["-p", "ANOTHER-DIR"]);
    run(cmd);
    let id = session_with(&a, "ANOTHER-DIR");
    let none = ccs_on(&sandbox, &a, &elsewhere, &["continue", "b", "--print"]);
    assert!(!none.status.success());
    assert_eq!(stdout(&none), "");
    assert!(
        stderr(&none).contains("has no conversation in"),
        "{}",
        stderr(&none)
    );
    let args = hand_over(&sandbox, &a, &elsewhere, &["b", "--session", &id]);
    let mut cmd = client(&sandbox, &claude, &b, &api, &elsewhere);
    cmd.args(&args).args(["-p", "next"]);
    let out = run(cmd);
    assert!(
        last_turn(&api).contains("ANOTHER-DIR"),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
}

// --- without the client: transcripts written as the client writes them ------------------------

const ID: &str = "0b9f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4";

/// A conversation on profile `dir` in `cwd`, as the client keeps it.
fn conversation(dir: &Path, cwd: &Path, lines: &[String]) -> PathBuf {
    let project = dir.join("projects").join(
        cwd.to_string_lossy()
            .replace(|c: char| !c.is_ascii_alphanumeric(), "-"),
    );
    fs::create_dir_all(&project).unwrap();
    let path = project.join(format!("{ID}.jsonl"));
    fs::write(&path, lines.concat()).unwrap();
    path
}

fn reply(n: u32) -> String {
    format!(
        "{{\"parentUuid\":null,\"isSidechain\":false,\"type\":\"assistant\",\"message\":{{\"id\":\"msg_{n}\",\"model\":\"claude-opus-5-5\",\"role\":\"assistant\",\"content\":[{{\"type\":\"text\",\"text\":\"hi\"}}],\"usage\":{{\"input_tokens\":{n},\"output_tokens\":1,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0}}}},\"requestId\":\"req_{n}\",\"timestamp\":\"2026-12-01T10:00:00.000Z\",\"sessionId\":\"{ID}\"}}\n"
    )
}

/// A sandbox with profiles a (holding one conversation in the project) and b.
fn two_profiles() -> (Sandbox, PathBuf, PathBuf, PathBuf) {
    let sandbox = Sandbox::new();
    let a = sandbox.create("a");
    let b = sandbox.create("b");
    let cwd = project(&sandbox, "app");
    conversation(&a, &cwd, &[reply(1), reply(2)]);
    (sandbox, a, b, cwd)
}

/// A failure: nothing on stdout, one line on stderr, b as it was.
fn refused(sandbox: &Sandbox, from: &Path, cwd: &Path, args: &[&str], b: &Path) -> String {
    let before = files(b);
    let out = ccs_on(sandbox, from, cwd, args);
    assert!(!out.status.success(), "{args:?} succeeded");
    assert_eq!(stdout(&out), "");
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(files(b), before, "{args:?} changed b");
    err
}

#[test]
fn a_missing_conversation_or_profile_is_one_line_and_changes_nothing() {
    let (sandbox, a, b, cwd) = two_profiles();
    let other = "11111111-2222-4333-8444-555555555555";
    let no_such_conversation = format!("no conversation {other}");
    let cases: [(&[&str], &str); 4] = [
        (&["b", "--session", other], &no_such_conversation),
        (&["b", "--session", "../x"], "not a session id"),
        (&["a"], "on 'a' already"),
        (&["nosuch"], "nosuch"),
    ];
    for (args, said) in cases {
        let mut all = vec!["continue", "--shell", "bash"];
        all.extend_from_slice(args);
        let err = refused(&sandbox, &a, &cwd, &all, &b);
        assert!(err.contains(said), "{args:?}: {err}");
    }
    let mut cmd = sandbox.ccs(["continue", "b"]);
    let out = cmd.current_dir(&cwd).output().unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no profile is active"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_torn_last_line_is_left_out_and_said() {
    let (sandbox, a, b, cwd) = two_profiles();
    let path = conversation(&a, &cwd, &[reply(1), reply(2)[..40].to_owned()]);
    let a_before = files(&a);
    let out = ccs_on(&sandbox, &a, &cwd, &["continue", "b", "--print"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("is cut short"), "{}", stderr(&out));
    let copy = b.join(path.strip_prefix(&a).unwrap());
    let copied = fs::read_to_string(copy).unwrap();
    assert_eq!(copied.lines().count(), 1);
    assert!(copied.starts_with("{\"ccsHandedFrom\":\"a\","), "{copied}");
    assert_eq!(files(&a), a_before);

    // Nothing but a cut line: nothing to hand over.
    conversation(&a, &cwd, &[reply(3)[..20].to_owned()]);
    let err = refused(&sandbox, &a, &cwd, &["continue", "b", "--print"], &b);
    assert!(err.contains("no complete line"), "{err}");
}

#[test]
fn handed_twice_the_copy_grows_and_a_copy_that_went_on_is_refused() {
    let (sandbox, a, b, cwd) = two_profiles();
    let path = conversation(&a, &cwd, &[reply(1)]);
    let copy = b.join(path.strip_prefix(&a).unwrap());
    hand_over(&sandbox, &a, &cwd, &["b"]);
    let first = fs::read(&copy).unwrap();
    conversation(&a, &cwd, &[reply(1), reply(2)]);
    hand_over(&sandbox, &a, &cwd, &["b"]);
    let second = fs::read(&copy).unwrap();
    assert!(second.starts_with(&first) && second.len() > first.len());
    // Once more: nothing new.
    let out = ccs_on(&sandbox, &a, &cwd, &["continue", "b", "--print"]);
    assert!(
        stderr(&out).contains("0 files written, 1 file already there"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fs::read(&copy).unwrap(), second);
    // b's copy went on by itself (resumed there without a fork): its history is not a's.
    let mut diverged = String::from_utf8(second).unwrap();
    diverged.push_str(&reply(7));
    fs::write(&copy, &diverged).unwrap();
    conversation(&a, &cwd, &[reply(1), reply(2), reply(3)]);
    let err = refused(&sandbox, &a, &cwd, &["continue", "b", "--print"], &b);
    assert!(
        err.contains("another version of this conversation"),
        "{err}"
    );
    // Each reply still counts once, in a.
    let rows = ccs_usage(&sandbox, &["--all"]);
    assert_eq!(rows["a"]["total"]["input_tokens"], 1 + 2 + 3);
    assert_eq!(rows["b"]["total"]["input_tokens"], 7);
}

#[test]
fn a_conversation_still_open_is_refused_unless_forced() {
    let (sandbox, a, b, cwd) = two_profiles();
    // A record of a client that runs (this test's own process) with the conversation open.
    let start = common::own_proc_start();
    fs::create_dir_all(a.join("sessions")).unwrap();
    let record = serde_json::json!({"pid": std::process::id(), "sessionId": ID,
        "cwd": cwd, "procStart": start});
    fs::write(
        a.join(format!("sessions/{}.json", std::process::id())),
        record.to_string(),
    )
    .unwrap();
    let err = refused(&sandbox, &a, &cwd, &["continue", "b", "--print"], &b);
    assert!(err.contains("still open on 'a'"), "{err}");
    let out = ccs_on(&sandbox, &a, &cwd, &["continue", "b", "--print", "--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("anyway (--force)"));
}

#[test]
fn another_account_s_restricted_session_is_refused_and_lost_thinking_is_said() {
    let (sandbox, a, b, cwd) = two_profiles();
    let account = |dir: &Path, account: &str, org: &str| {
        fs::write(
            dir.join(".claude.json"),
            serde_json::json!({"oauthAccount": {"accountUuid": account,
                "organizationUuid": org, "emailAddress": "me@example.com"}})
            .to_string(),
        )
        .unwrap();
    };
    account(&a, "acc-a", "org-a");
    account(&b, "acc-b", "org-b");
    let org = format!(
        "{{\"type\":\"attachment\",\"attachment\":{{\"type\":\"credential_org\",\"organizationUuid\":\"ORG-A\"}},\"sessionId\":\"{ID}\"}}\n"
    );
    let thinking = format!(
        "{{\"type\":\"assistant\",\"message\":{{\"id\":\"msg_t\",\"content\":[{{\"type\":\"thinking\",\"thinking\":\"hm\",\"signature\":\"x\"}}]}},\"sessionId\":\"{ID}\"}}\n"
    );
    let owner = format!(
        "{{\"type\":\"session-owner\",\"accountUuid\":\"acc-a\",\"organizationUuid\":\"org-a\",\"restricted\":[\"ldr\"],\"sessionId\":\"{ID}\"}}\n"
    );
    conversation(&a, &cwd, &[org.clone(), reply(1), owner]);
    let err = refused(&sandbox, &a, &cwd, &["continue", "b", "--print"], &b);
    assert!(err.contains("belongs to another account"), "{err}");
    // The same organization may.
    account(&b, "acc-b", "ORG-A");
    let out = ccs_on(&sandbox, &a, &cwd, &["continue", "b", "--print"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("thinking"), "{}", stderr(&out));

    // Not restricted, but thought under another organization: said, then handed over.
    account(&b, "acc-b", "org-b");
    let other = "22222222-2222-4333-8444-555555555555";
    let lines = [org, thinking].concat().replace(ID, other);
    let project = a.join("projects").join(
        cwd.to_string_lossy()
            .replace(|c: char| !c.is_ascii_alphanumeric(), "-"),
    );
    fs::write(project.join(format!("{other}.jsonl")), lines).unwrap();
    let out = ccs_on(
        &sandbox,
        &a,
        &cwd,
        &["continue", "b", "--print", "--session", other],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot reuse its earlier thinking"),
        "{}",
        stderr(&out)
    );
}

/// A stand-in `claude` that writes its profile and arguments, one a line, to the file returned,
/// and the PATH that finds it first, then ccs.
fn stand_in_claude(sandbox: &Sandbox) -> (String, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let bin = sandbox.root.join("bin");
    fs::create_dir_all(&bin).unwrap();
    let record = sandbox.root.join("claude-ran");
    fs::write(
        bin.join("claude"),
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$CLAUDE_CONFIG_DIR\" \"$@\" > '{}'\n",
            record.display()
        ),
    )
    .unwrap();
    fs::set_permissions(bin.join("claude"), fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}:{}",
        bin.display(),
        Path::new(common::BIN).parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    (path, record)
}

#[test]
fn every_shell_evaluating_the_code_switches_then_runs_claude_on_the_target() {
    let (sandbox, a, b, cwd) = two_profiles();
    let (path, record) = stand_in_claude(&sandbox);
    for shell in installed().into_iter().filter(|s| s.name != "nu") {
        let (open, close) = shell.eval;
        let script = format!(
            "{open}ccs continue b --shell {}{close}\n{PRINT_SWITCH}\n",
            shell.name
        );
        let mut cmd = sandbox.shell_command(shell);
        cmd.env("PATH", &path)
            .env("CLAUDE_CONFIG_DIR", &a)
            .current_dir(&cwd)
            .stdin(Stdio::piped());
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), script.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            stdout(&out),
            format!("{}|b\n", b.display()),
            "{}: {}",
            shell.name,
            stderr(&out)
        );
        let ran = fs::read_to_string(&record).unwrap();
        fs::remove_file(&record).unwrap();
        let ran: Vec<&str> = ran.lines().collect();
        assert_eq!(ran[0], b.display().to_string(), "{}", shell.name);
        assert_eq!(
            ran[1..4],
            ["--resume", ID, "--fork-session"],
            "{}",
            shell.name
        );
    }
}

#[test]
fn nushell_through_its_hook_switches_then_runs_claude_on_the_target() {
    if !crate::common::shells::TestShell::nu_fetched() {
        return;
    }
    let (sandbox, a, b, cwd) = two_profiles();
    let (path, record) = stand_in_claude(&sandbox);
    let hook = sandbox.root.join("ccs-init.nu");
    fs::write(&hook, sandbox.ok(["init", "nu"])).unwrap();
    let nu = |typed: &str| {
        let script = sandbox.root.join("continue.nu");
        fs::write(
            &script,
            format!(
                "source {}\n{typed}\nprint $\"($env.CLAUDE_CONFIG_DIR)|($env.CCS_PROFILE)\"\n",
                ccs::Shell::Nu.quote(&hook.to_string_lossy())
            ),
        )
        .unwrap();
        let mut cmd = Command::new(crate::common::shells::NU.program);
        cmd.args(crate::common::shells::NU.script_flags)
            .arg(&script);
        sandbox.env(&mut cmd);
        // The stand-in claude first, then ccs and nu.
        let path = format!(
            "{path}:{}",
            crate::common::path_with_bin().to_string_lossy()
        );
        cmd.env("PATH", path)
            .env("CLAUDE_CONFIG_DIR", &a)
            .env("CCS_PROFILE", "a")
            .current_dir(&cwd)
            .stdin(Stdio::null());
        output_within(&mut cmd, CLIENT_TIMEOUT)
    };
    let out = nu("ccs continue b");
    assert_eq!(
        stdout(&out),
        format!("{}|b\n", b.display()),
        "{}",
        stderr(&out)
    );
    let ran = fs::read_to_string(&record).unwrap();
    fs::remove_file(&record).unwrap();
    let ran: Vec<&str> = ran.lines().collect();
    assert_eq!(ran[0], b.display().to_string());
    assert_eq!(ran[1..4], ["--resume", ID, "--fork-session"]);

    // --print: the command for the person; the shell stays on a, claude is not run.
    let out = nu("ccs continue b --print");
    let printed = stdout(&out);
    assert!(
        printed.starts_with("claude --resume "),
        "{printed}{}",
        stderr(&out)
    );
    assert!(
        printed.ends_with(&format!("{}|a\n", a.display())),
        "{printed}"
    );
    assert!(!record.exists(), "--print ran claude");
}

#[test]
fn through_the_hook_plain_ccs_continue_switches_the_shell_and_print_only_prints() {
    let (sandbox, a, b, cwd) = two_profiles();
    let (path, record) = stand_in_claude(&sandbox);
    for shell in installed().into_iter().filter(|s| s.name != "nu") {
        let (open, close) = shell.eval;
        // The hook loaded as its start-up line loads it, then the commands a person types.
        let run = |typed: &str| {
            let script = format!(
                "{open}ccs init {}{close}\n{typed}\n{PRINT_SWITCH}\n",
                shell.name
            );
            let mut cmd = sandbox.shell_command(shell);
            cmd.env("PATH", &path)
                .env("CLAUDE_CONFIG_DIR", &a)
                .env("CCS_PROFILE", "a")
                .current_dir(&cwd);
            crate::common::child::output_with_input(
                &mut cmd,
                script.as_bytes(),
                crate::common::child::CCS_TIMEOUT,
            )
        };
        let out = run("ccs continue b");
        assert_eq!(
            stdout(&out),
            format!("{}|b\n", b.display()),
            "{}: {}",
            shell.name,
            stderr(&out)
        );
        let ran = fs::read_to_string(&record).unwrap();
        fs::remove_file(&record).unwrap();
        assert_eq!(ran.lines().nth(1), Some("--resume"), "{}", shell.name);

        // --print: the command for the person, on stdout; the shell stays where it was.
        let out = run("ccs continue b --print");
        let printed = stdout(&out);
        let lines: Vec<&str> = printed.lines().collect();
        assert_eq!(lines.len(), 2, "{}: {printed}", shell.name);
        assert!(
            lines[0].starts_with("claude --resume "),
            "{}: {printed}",
            shell.name
        );
        assert_eq!(lines[1], format!("{}|a", a.display()), "{}", shell.name);
        assert!(!record.exists(), "{}: --print ran claude", shell.name);
    }
}

#[test]
fn bash_evaluating_the_printed_code_is_on_the_target_and_runs_claude_there() {
    let (sandbox, a, b, cwd) = two_profiles();
    let (path, record) = stand_in_claude(&sandbox);
    let bash = |script: &str| {
        let mut cmd = Command::new("bash");
        sandbox.env(&mut cmd);
        cmd.env("PATH", &path)
            .env("CLAUDE_CONFIG_DIR", &a)
            .env("CCS_SHELL", "bash")
            .args(["--norc", "-c", script])
            .current_dir(&cwd)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let recorded = || -> Vec<String> {
        let text = fs::read_to_string(&record).unwrap();
        fs::remove_file(&record).unwrap();
        text.lines().map(str::to_owned).collect()
    };
    let out = bash(
        "eval \"$(ccs continue b)\" || exit 9; printf '%s\\n%s\\n%s\\n' \"$CLAUDE_CONFIG_DIR\" \"$CCS_PROFILE\" \"$CCS_PREVIOUS\"",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let shell: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    assert_eq!(shell, [b.display().to_string(), "b".into(), "a".into()]);
    let ran = recorded();
    assert_eq!(ran[0], b.display().to_string());
    assert_eq!(ran[1..4], ["--resume", ID, "--fork-session"]);
    assert_eq!(ran[4], "--session-id");

    // Run with stdout a terminal (nothing evaluates code): ccs runs claude as b itself, and
    // says that the shell stays on a.
    if !common::have("script") {
        return;
    }
    let out = bash("script -qec 'ccs continue b' /dev/null; printf '%s\\n' \"$CLAUDE_CONFIG_DIR\"");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("this shell stays on 'a'"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).ends_with(&format!("{}\n", a.display())),
        "{}",
        stdout(&out)
    );
    let ran = recorded();
    assert_eq!(ran[0], b.display().to_string());
    assert_eq!(ran[1..4], ["--resume", ID, "--fork-session"]);
}

// --- which profile: the one with most room, never a limited one -----------------------------

/// The profile `ccs continue --print` (no NAME) picks from a, and what it said.
fn picked(sandbox: &Sandbox, a: &Path, cwd: &Path) -> (Output, String) {
    let out = ccs_on(sandbox, a, cwd, &["continue", "--print"]);
    let said = stderr(&out);
    (out, said)
}

#[test]
fn without_a_name_the_profile_with_most_room_is_taken_and_said() {
    let (sandbox, a, _b, cwd) = two_profiles();
    for name in ["c", "d", "e", "f"] {
        sandbox.create(name);
    }
    // b: fresh, fairly used; c: fresh, the most room by its fuller window; d: less used in
    // five hours but its week nearly gone; e: the least used, but reported an hour ago; f: limited.
    usage_support::recorded(&sandbox, "b", 60.0, 30.0, 60);
    usage_support::recorded(&sandbox, "c", 20.0, 35.0, 60);
    usage_support::recorded(&sandbox, "d", 5.0, 96.0, 60);
    usage_support::recorded(&sandbox, "e", 1.0, 1.0, 3600);
    usage_support::recorded(&sandbox, "f", 100.0, 10.0, 60);
    // a itself, limited, is never a candidate.
    usage_support::recorded(&sandbox, "a", 100.0, 50.0, 60);
    let (out, said) = picked(&sandbox, &a, &cwd);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("continuing on 'c', the profile with most room: 5h 20% · 7d 35% used; 1 other profile's use is unknown"),
        "{said}"
    );
    assert!(said.contains("from 'a' to 'c'"), "{said}");
    assert!(transcript_in(&sandbox, "c", &cwd).is_file());
}

/// Where profile `name`'s copy of the conversation in `cwd` lands.
fn transcript_in(sandbox: &Sandbox, name: &str, cwd: &Path) -> PathBuf {
    sandbox
        .instance(name)
        .join("projects")
        .join(
            cwd.to_string_lossy()
                .replace(|c: char| !c.is_ascii_alphanumeric(), "-"),
        )
        .join(format!("{ID}.jsonl"))
}

#[test]
fn with_no_room_known_or_a_named_profile_limited_it_is_refused_and_nothing_copied() {
    let (sandbox, a, b, cwd) = two_profiles();
    sandbox.create("c");
    // b limited, c never reported.
    usage_support::recorded(&sandbox, "b", 100.0, 20.0, 60);
    let err = refused(&sandbox, &a, &cwd, &["continue", "--print"], &b);
    assert!(
        err.contains(
            "no other profile has room that ccs knows of (1 limited, 1 whose use is unknown"
        ),
        "{err}"
    );
    assert!(!transcript_in(&sandbox, "c", &cwd).exists());

    // Named, and limited by its last report: refused, with when it resets.
    let err = refused(&sandbox, &a, &cwd, &["continue", "b", "--print"], &b);
    assert!(err.contains("'b' is limited too, until "), "{err}");

    // Named, and limited by a limit its client recorded in a transcript (no report at all).
    let c = sandbox.instance("c");
    let now = usage_support::now_millis();
    let resets = now / 1000 + 2 * 3600;
    let limit =
        usage_support::limit_line("s-c", now - 60_000, "You've hit your limit", Some(resets));
    let other_project = c.join("projects/-elsewhere");
    fs::create_dir_all(&other_project).unwrap();
    fs::write(other_project.join("s-c.jsonl"), limit + "\n").unwrap();
    let err = refused(&sandbox, &a, &cwd, &["continue", "c", "--print"], &c);
    assert!(err.contains("'c' is limited too, until "), "{err}");

    // The only other profile: nothing to pick from.
    let lone = Sandbox::new();
    let a = lone.create("a");
    conversation(&a, &cwd, &[reply(1)]);
    let out = ccs_on(&lone, &a, &cwd, &["continue", "--print"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no other profile to continue on"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn from_the_default_config_the_conversation_is_read_there_and_counted_there() {
    let sandbox = Sandbox::new();
    sandbox.create("b");
    let cwd = project(&sandbox, "app");
    let default = sandbox.home.join(".claude");
    let path = conversation(&default, &cwd, &[reply(1), reply(2)]);
    let before = files(&default);
    let mut cmd = sandbox.ccs(["continue", "b", "--print"]);
    cmd.env_remove("CLAUDE_CONFIG_DIR").current_dir(&cwd);
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("from '~/.claude' to 'b'"),
        "{}",
        stderr(&out)
    );
    assert_eq!(files(&default), before, "~/.claude changed");
    let copy = transcript_in(&sandbox, "b", &cwd);
    assert!(copy.is_file());
    assert!(
        fs::read_to_string(&copy)
            .unwrap()
            .contains(r#""ccsHandedFrom":"~/.claude""#)
    );
    assert!(path.is_file());
    // Counted under ~/.claude only.
    let rows: serde_json::Value = serde_json::from_str(&sandbox.ok(["usage", "--json"])).unwrap();
    let input = |i: usize| rows[i]["total"]["input_tokens"].as_u64();
    assert_eq!(rows[0]["default_config"], true, "{rows}");
    assert_eq!((input(0), input(1)), (Some(3), Some(0)), "{rows}");
}

/// PowerShell cannot run here: what `ccs continue` prints for it is parsed with tree-sitter,
/// ASCII, and ends with the call of claude with the arguments as verbatim strings.
#[test]
fn powershell_code_parses_and_ends_with_the_call_of_claude() {
    let (sandbox, a, _b, cwd) = two_profiles();
    let out = ccs_on(
        &sandbox,
        &a,
        &cwd,
        &["continue", "b", "--shell", "powershell"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let code = stdout(&out);
    crate::common::pwsh::assert_ascii(&code, "continue's code");
    let mut parser = crate::common::pwsh::parser();
    crate::common::pwsh::parse_clean(&mut parser, &code, "continue's code");
    let last = code.lines().last().unwrap();
    assert!(
        last.starts_with(&format!(
            "& claude '--resume' '{ID}' '--fork-session' '--session-id' '"
        )),
        "{code}"
    );
}

#[test]
fn a_refusal_is_one_line_even_after_a_pick_or_with_a_warning_to_give() {
    let (sandbox, a, b, _cwd) = two_profiles();
    usage_support::recorded(&sandbox, "b", 10.0, 20.0, 60);
    let elsewhere = project(&sandbox, "no-conversation-here");
    // Picked b, then found no conversation: only the refusal is said.
    let err = refused(
        &sandbox,
        &a,
        &elsewhere,
        &["continue", "--shell", "bash"],
        &b,
    );
    assert!(err.contains("has no conversation in"), "{err}");
    // A login route to warn about on b, then no conversation: only the refusal.
    let before = files(&b);
    let mut cmd = sandbox.ccs(["continue", "b", "--shell", "bash"]);
    cmd.env("CLAUDE_CONFIG_DIR", &a)
        .env("ANTHROPIC_API_KEY", "sk-ant-api03-x")
        .current_dir(&elsewhere);
    let out = cmd.output().unwrap();
    assert!(!out.status.success());
    assert_eq!(stdout(&out), "");
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert_eq!(files(&b), before);
}

#[test]
fn the_sessions_tasks_and_hook_environment_stay_with_the_source() {
    let (sandbox, a, b, cwd) = two_profiles();
    // What the source profile's own SessionStart hook exported for this session, and a task.
    let env_dir = a.join("session-env").join(ID);
    fs::create_dir_all(&env_dir).unwrap();
    fs::write(
        env_dir.join("sessionstart-hook-0.sh"),
        "export GH_TOKEN=secret-of-a\n",
    )
    .unwrap();
    let tasks = a.join("tasks").join(ID);
    fs::create_dir_all(&tasks).unwrap();
    fs::write(tasks.join("1.json"), r#"{"status":"pending"}"#).unwrap();
    let history = a.join("file-history").join(ID);
    fs::create_dir_all(&history).unwrap();
    fs::write(history.join("backup@v1"), "before the edit").unwrap();
    hand_over(&sandbox, &a, &cwd, &["b"]);
    assert!(
        !b.join("session-env").join(ID).exists(),
        "session-env copied"
    );
    assert!(!b.join("tasks").join(ID).exists(), "tasks copied");
    assert_eq!(
        fs::read_to_string(b.join("file-history").join(ID).join("backup@v1")).unwrap(),
        "before the edit"
    );
    // Back on a the task moves on and the conversation grows: handed over again, it merges.
    fs::write(tasks.join("1.json"), r#"{"status":"completed"}"#).unwrap();
    conversation(&a, &cwd, &[reply(1), reply(2), reply(3)]);
    hand_over(&sandbox, &a, &cwd, &["b"]);
    let copy = fs::read_to_string(transcript_in(&sandbox, "b", &cwd)).unwrap();
    assert_eq!(copy.lines().count(), 3, "{copy}");
}

#[test]
fn tab_after_session_offers_this_directorys_conversations_newest_first() {
    use crate::common::completion::{ask_raw, candidates};
    use crate::common::shells::FISH;
    let (sandbox, a, _b, cwd) = two_profiles();
    let older = "11111111-2222-4333-8444-555555555555";
    let project = conversation(&a, &cwd, &[reply(1)])
        .parent()
        .unwrap()
        .to_path_buf();
    let prompt = format!(
        "{{\"type\":\"user\",\"message\":{{\"role\":\"user\",\"content\":\"fix the\\n\\u001b[31mbuild, please, and then run every test we have twice\"}},\"sessionId\":\"{older}\"}}\n"
    );
    fs::write(project.join(format!("{older}.jsonl")), prompt).unwrap();
    // The older one written an hour before the other.
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    fs::File::options()
        .write(true)
        .open(project.join(format!("{older}.jsonl")))
        .unwrap()
        .set_modified(hour_ago)
        .unwrap();
    let words = ["ccs", "continue", "b", "--session", ""];
    let out = ask_raw(&sandbox, FISH, &words, Some(&cwd), |cmd| {
        cmd.env("CLAUDE_CONFIG_DIR", &a);
    });
    assert_eq!(candidates(FISH, &out, &words), [ID, older]);
    // fish's answer carries descriptions: when, and how the conversation began, on one line and
    // without the escape sequence.
    let answer = stdout(&out);
    let described = answer.lines().find(|l| l.starts_with(older)).unwrap();
    assert_eq!(
        described,
        format!("{older}\t1h ago: fix the [31mbuild, please, and then run every te…")
    );
    // Nowhere to look (no profile active, no ~/.claude): nothing, and no error.
    let out = ask_raw(&sandbox, FISH, &words, Some(&cwd), |_| {});
    assert_eq!(candidates(FISH, &out, &words), Vec::<String>::new());
}

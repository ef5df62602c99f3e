//! Shared configuration: profiles see the user's own commands, skills, agents, settings and
//! memory from ~/.claude by link (or by copy), `ccs sync` brings them in line, and nothing the
//! user made, in ~/.claude or in a profile, is ever created, overwritten or deleted behind their
//! back. Real files in a private HOME.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::common::{Sandbox, stderr, stdout};

/// The user's ~/.claude with one of everything that is shared, and some state that never is.
fn with_user_config(sandbox: &Sandbox) -> PathBuf {
    let claude = sandbox.home.join(".claude");
    fs::create_dir_all(claude.join("commands/nested")).unwrap();
    fs::create_dir_all(claude.join("skills/review")).unwrap();
    fs::create_dir_all(claude.join("agents")).unwrap();
    fs::create_dir_all(claude.join("projects/-home-me")).unwrap();
    fs::write(claude.join("commands/nested/deploy.md"), "deploy it\n").unwrap();
    fs::write(claude.join("skills/review/SKILL.md"), "review\n").unwrap();
    fs::write(claude.join("agents/tester.md"), "test\n").unwrap();
    fs::write(claude.join("settings.json"), "{\"model\":\"opus\"}\n").unwrap();
    fs::write(claude.join("CLAUDE.md"), "# me\n").unwrap();
    fs::write(claude.join(".credentials.json"), "{\"default\":1}").unwrap();
    fs::write(claude.join("projects/-home-me/s.jsonl"), "{}\n").unwrap();
    claude
}

/// Every path under `dir` with its kind and content (link targets for links): a snapshot to
/// show that nothing changed.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut all = BTreeMap::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return all;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let meta = fs::symlink_metadata(&path).unwrap();
        if meta.file_type().is_symlink() {
            let target = fs::read_link(&path).unwrap();
            all.insert(path, format!("link {}", target.display()));
        } else if meta.is_dir() {
            all.insert(path.clone(), "dir".into());
            all.extend(snapshot(&path));
        } else {
            all.insert(path.clone(), fs::read_to_string(&path).unwrap_or_default());
        }
    }
    all
}

fn link_of(path: &Path) -> Option<PathBuf> {
    fs::symlink_metadata(path)
        .ok()
        .filter(|m| m.file_type().is_symlink())
        .map(|_| fs::read_link(path).unwrap())
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_new_profile_links_the_users_configuration_by_absolute_path() {
    let sandbox = Sandbox::new();
    let claude = with_user_config(&sandbox);
    let before = snapshot(&claude);
    let out = sandbox.ok(["create", "work"]);
    assert!(
        out.contains("It shares commands/ skills/ agents/ settings.json CLAUDE.md"),
        "{out}"
    );
    let work = sandbox.instance("work");
    for item in [
        "commands",
        "skills/review",
        "agents",
        "settings.json",
        "CLAUDE.md",
    ] {
        assert_eq!(
            link_of(&work.join(item)).as_deref(),
            Some(claude.join(item).as_path()),
            "{item} links to ~/.claude/{item}"
        );
    }
    // skills/ is shared entry by entry (tests/it/share_items.rs says why).
    assert!(link_of(&work.join("skills")).is_none() && work.join("skills").is_dir());
    // Per-profile state is never shared.
    for own in [".credentials.json", "projects"] {
        assert!(
            fs::symlink_metadata(work.join(own)).is_err(),
            "{own} must not come from ~/.claude"
        );
    }
    let own = work.join("session-env");
    assert!(link_of(&own).is_none() && own.is_dir());
    assert_eq!(
        snapshot(&claude),
        before,
        "create changes nothing in ~/.claude"
    );
}

#[test]
fn linked_items_follow_edits_in_claude_at_once() {
    let sandbox = Sandbox::new();
    let claude = with_user_config(&sandbox);
    let work = sandbox.create("work");
    let personal = sandbox.create("personal");
    fs::write(claude.join("commands/nested/deploy.md"), "deploy v2\n").unwrap();
    fs::write(claude.join("commands/new.md"), "new\n").unwrap();
    fs::write(claude.join("CLAUDE.md"), "# me, edited\n").unwrap();
    for profile in [&work, &personal] {
        assert_eq!(
            fs::read_to_string(profile.join("commands/nested/deploy.md")).unwrap(),
            "deploy v2\n"
        );
        assert_eq!(
            fs::read_to_string(profile.join("commands/new.md")).unwrap(),
            "new\n"
        );
        assert_eq!(
            fs::read_to_string(profile.join("CLAUDE.md")).unwrap(),
            "# me, edited\n"
        );
    }
}

#[test]
fn only_what_exists_is_linked_and_nothing_is_created_in_claude() {
    let sandbox = Sandbox::new();
    // No ~/.claude at all: the profile has its own empty commands/ and skills/.
    let work = sandbox.create("work");
    assert!(!sandbox.home.join(".claude").exists(), "~/.claude appeared");
    for dir in ["commands", "skills"] {
        assert!(link_of(&work.join(dir)).is_none());
        assert_eq!(fs::read_dir(work.join(dir)).unwrap().count(), 0);
        assert_eq!(mode(&work.join(dir)), 0o700);
    }
    for absent in ["agents", "settings.json", "CLAUDE.md"] {
        assert!(fs::symlink_metadata(work.join(absent)).is_err(), "{absent}");
    }
    // Only a settings.json: only that is linked.
    let claude = sandbox.home.join(".claude");
    fs::create_dir(&claude).unwrap();
    fs::write(claude.join("settings.json"), "{}").unwrap();
    let before = snapshot(&claude);
    let solo = sandbox.create("solo");
    assert_eq!(
        link_of(&solo.join("settings.json")),
        Some(claude.join("settings.json"))
    );
    assert!(link_of(&solo.join("commands")).is_none());
    assert!(fs::symlink_metadata(solo.join("agents")).is_err());
    sandbox.ok(["sync", "--all"]);
    assert_eq!(snapshot(&claude), before, "nothing is created in ~/.claude");
}

#[test]
fn ccs_shared_from_names_the_directory_to_share() {
    let sandbox = Sandbox::new();
    let dots = sandbox.root.join("dotfiles/claude");
    fs::create_dir_all(dots.join("agents")).unwrap();
    let out = sandbox
        .ccs(["create", "work"])
        .env("CCS_SHARED_FROM", &dots)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        link_of(&sandbox.instance("work").join("agents")),
        Some(dots.join("agents"))
    );
    let out = sandbox
        .ccs(["create", "other"])
        .env("CCS_SHARED_FROM", "relative/dir")
        .output()
        .unwrap();
    assert!(!out.status.success() && out.stdout.is_empty());
    assert!(
        stderr(&out).contains("CCS_SHARED_FROM is unusable"),
        "{}",
        stderr(&out)
    );
    assert!(!sandbox.instance("other").exists());
}

#[test]
fn sync_picks_up_a_new_agents_dir_and_replaces_an_empty_commands_dir() {
    let sandbox = Sandbox::new();
    let claude = sandbox.home.join(".claude");
    fs::create_dir_all(&claude).unwrap();
    let work = sandbox.create("work");
    assert!(fs::symlink_metadata(work.join("agents")).is_err());
    fs::create_dir(claude.join("agents")).unwrap();
    fs::write(claude.join("agents/reviewer.md"), "review\n").unwrap();
    fs::create_dir(claude.join("commands")).unwrap();
    fs::write(claude.join("commands/go.md"), "go\n").unwrap();

    let out = sandbox.ok(["sync", "work"]);
    assert!(out.contains("linked    agents/"), "{out}");
    assert!(
        out.contains("linked    commands/") && out.contains("replaced an empty directory"),
        "{out}"
    );
    assert_eq!(link_of(&work.join("agents")), Some(claude.join("agents")));
    assert_eq!(
        fs::read_to_string(work.join("agents/reviewer.md")).unwrap(),
        "review\n"
    );
    assert_eq!(
        link_of(&work.join("commands")),
        Some(claude.join("commands"))
    );
    // Nothing left to do.
    assert_eq!(sandbox.ok(["sync", "work"]), "work: up to date\n");
}

#[test]
fn sync_never_overwrites_what_the_user_made_inside_a_profile() {
    let sandbox = Sandbox::new();
    let claude = sandbox.home.join(".claude");
    fs::create_dir_all(&claude).unwrap();
    let work = sandbox.create("work");
    // The user's own settings and a command of the profile's own...
    fs::write(work.join("settings.json"), "{\"mine\":true}\n").unwrap();
    fs::write(work.join("commands/mine.md"), "mine\n").unwrap();
    // ... and then the same items appear in ~/.claude.
    fs::write(claude.join("settings.json"), "{\"theirs\":true}\n").unwrap();
    fs::create_dir(claude.join("commands")).unwrap();
    fs::write(claude.join("commands/theirs.md"), "theirs\n").unwrap();

    let before = snapshot(&work);
    let out = sandbox.run(["sync", "work"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("kept      commands/") && text.contains("the profile's own directory"),
        "{text}"
    );
    assert!(
        text.contains("kept      settings.json") && text.contains("the profile's own file"),
        "{text}"
    );
    assert_eq!(snapshot(&work), before, "sync changed the user's files");
    assert_eq!(
        fs::read_to_string(claude.join("settings.json")).unwrap(),
        "{\"theirs\":true}\n"
    );
    // show says which is which.
    let show = sandbox.ok(["show", "work"]);
    assert!(show.contains("settings.json  the profile's own"), "{show}");
    let list = sandbox.ok(["list"]);
    assert!(list.contains("2 own"), "{list}");
}

#[test]
fn sync_repairs_broken_links_and_drops_links_to_what_is_gone() {
    let sandbox = Sandbox::new();
    let claude = with_user_config(&sandbox);
    let work = sandbox.create("work");
    // A link broken by hand (or by a moved home directory).
    fs::remove_file(work.join("commands")).unwrap();
    std::os::unix::fs::symlink("/nonexistent/ccs-test/commands", work.join("commands")).unwrap();
    assert!(sandbox.ok(["show", "work"]).contains("a broken link"));
    let out = sandbox.ok(["sync", "work"]);
    assert!(out.contains("repaired  commands/"), "{out}");
    assert_eq!(
        link_of(&work.join("commands")),
        Some(claude.join("commands"))
    );
    assert!(work.join("commands/nested/deploy.md").is_file());
    // skills/, shared entry by entry, is repaired into a directory of entry links.
    fs::remove_dir_all(work.join("skills")).unwrap();
    std::os::unix::fs::symlink("/nonexistent/ccs-test/skills", work.join("skills")).unwrap();
    let out = sandbox.ok(["sync", "work"]);
    assert!(out.contains("repaired  skills/"), "{out}");
    assert_eq!(
        link_of(&work.join("skills/review")),
        Some(claude.join("skills/review"))
    );
    assert!(work.join("skills/review/SKILL.md").is_file());

    // The user deletes ~/.claude/agents: the profile's link to it goes, nothing else.
    fs::remove_dir_all(claude.join("agents")).unwrap();
    let out = sandbox.ok(["sync", "work"]);
    assert!(out.contains("unlinked  agents/"), "{out}");
    assert!(fs::symlink_metadata(work.join("agents")).is_err());
    // It comes back: so does the link.
    fs::create_dir(claude.join("agents")).unwrap();
    assert!(sandbox.ok(["sync", "work"]).contains("linked    agents/"));

    // A working link the user pointed elsewhere is their choice.
    let elsewhere = sandbox.root.join("my-settings.json");
    fs::write(&elsewhere, "{}").unwrap();
    fs::remove_file(work.join("settings.json")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, work.join("settings.json")).unwrap();
    let out = sandbox.ok(["sync", "work"]);
    assert!(
        out.contains("kept      settings.json") && out.contains("left alone"),
        "{out}"
    );
    assert_eq!(link_of(&work.join("settings.json")), Some(elsewhere));
}

#[test]
fn a_copy_mode_profile_is_independent_and_sync_refreshes_only_untouched_copies() {
    let sandbox = Sandbox::new();
    let claude = with_user_config(&sandbox);
    let out = sandbox.ok(["create", "work", "--copy"]);
    assert!(out.contains("copies of commands/"), "{out}");
    let work = sandbox.instance("work");
    assert!(link_of(&work.join("commands")).is_none());
    assert_eq!(
        fs::read_to_string(work.join("commands/nested/deploy.md")).unwrap(),
        "deploy it\n"
    );
    assert_eq!(mode(&work.join("commands/nested")), 0o700);
    assert_eq!(
        mode(&work.join("settings.json")) & 0o077,
        0,
        "copies are private"
    );

    // A change in ~/.claude does not reach the copy until sync, which says what changed.
    fs::write(claude.join("commands/nested/deploy.md"), "deploy v2\n").unwrap();
    fs::write(claude.join("commands/added.md"), "added\n").unwrap();
    assert_eq!(
        fs::read_to_string(work.join("commands/nested/deploy.md")).unwrap(),
        "deploy it\n"
    );
    assert!(sandbox.ok(["list"]).contains("1 to sync"));
    let out = sandbox.ok(["sync", "work"]);
    assert!(
        out.contains("updated   commands/")
            && out.contains("~nested/deploy.md")
            && out.contains("+added.md"),
        "{out}"
    );
    assert_eq!(
        fs::read_to_string(work.join("commands/nested/deploy.md")).unwrap(),
        "deploy v2\n"
    );
    assert_eq!(sandbox.ok(["sync", "work"]), "work: up to date\n");

    // An edit inside the profile is the user's: kept, even when ~/.claude changes again.
    fs::write(work.join("CLAUDE.md"), "# profile's own memory\n").unwrap();
    fs::write(claude.join("CLAUDE.md"), "# me, v2\n").unwrap();
    let out = sandbox.ok(["sync", "work"]);
    assert!(
        out.contains("kept      CLAUDE.md") && out.contains("not overwritten"),
        "{out}"
    );
    assert_eq!(
        fs::read_to_string(work.join("CLAUDE.md")).unwrap(),
        "# profile's own memory\n"
    );
    // And editing the copy never reaches ~/.claude.
    assert_eq!(
        fs::read_to_string(claude.join("CLAUDE.md")).unwrap(),
        "# me, v2\n"
    );
}

#[test]
fn isolated_and_opted_out_items_are_not_shared_even_by_sync() {
    let sandbox = Sandbox::new();
    with_user_config(&sandbox);
    let out = sandbox.ok(["create", "solo", "--isolated"]);
    assert!(out.contains("shares nothing"), "{out}");
    let solo = sandbox.instance("solo");
    for item in ["commands", "skills"] {
        assert!(link_of(&solo.join(item)).is_none());
        assert_eq!(fs::read_dir(solo.join(item)).unwrap().count(), 0, "{item}");
    }
    for item in ["agents", "settings.json", "CLAUDE.md"] {
        assert!(fs::symlink_metadata(solo.join(item)).is_err(), "{item}");
    }
    assert_eq!(
        sandbox.ok(["sync", "solo"]),
        "solo: isolated, shares nothing\n"
    );

    sandbox.ok([
        "create",
        "work",
        "--no-share",
        "settings.json",
        "--no-share",
        "CLAUDE.md",
    ]);
    let work = sandbox.instance("work");
    assert!(link_of(&work.join("commands")).is_some());
    assert!(fs::symlink_metadata(work.join("settings.json")).is_err());
    assert!(fs::symlink_metadata(work.join("CLAUDE.md")).is_err());
    assert_eq!(sandbox.ok(["sync", "work"]), "work: up to date\n");
    assert!(fs::symlink_metadata(work.join("settings.json")).is_err());
    let show = sandbox.ok(["show", "work"]);
    assert!(
        show.contains("settings.json  not shared (opted out)"),
        "{show}"
    );

    let out = sandbox.run(["create", "bad", "--isolated", "--copy"]);
    assert!(!out.status.success() && out.stdout.is_empty());
    let out = sandbox.run(["create", "bad", "--no-share", "history"]);
    assert!(!out.status.success() && out.stdout.is_empty());
    assert!(!sandbox.instance("bad").exists());
}

#[test]
fn list_and_show_say_which_items_are_shared_and_which_are_own() {
    let sandbox = Sandbox::new();
    let claude = with_user_config(&sandbox);
    let work = sandbox.create("work");
    sandbox.ok(["create", "solo", "--isolated"]);
    fs::remove_file(work.join("settings.json")).unwrap();
    fs::write(work.join("settings.json"), "{}").unwrap();

    // The profiles come after the row of the default config, ~/.claude (tests/default_config.rs).
    let list = sandbox.ok(["list"]);
    let lines: Vec<&str> = list.lines().skip(1).collect();
    assert!(list.starts_with("* ~/.claude "), "{list}");
    assert!(
        lines[0].starts_with("  solo ") && lines[0].contains(" isolated "),
        "{list}"
    );
    assert!(lines[1].contains(" 4 shared, 1 own "), "{list}");

    let json: serde_json::Value = serde_json::from_str(&sandbox.ok(["list", "--json"])).unwrap();
    assert_eq!(json[0]["default_config"], true);
    assert_eq!(json[2]["sharing"]["mode"], "link");
    assert_eq!(json[2]["sharing"]["items"]["commands"], "shared");
    assert_eq!(json[2]["sharing"]["items"]["settings.json"], "own");
    assert_eq!(json[1]["sharing"]["mode"], "isolated");

    let show = sandbox.ok(["show", "work"]);
    assert!(
        show.starts_with("work\n  account: not logged in\n"),
        "{show}"
    );
    assert!(show.contains("  sharing: link from "), "{show}");
    assert!(
        show.contains(&format!(
            "    commands/      shared → {}",
            claude.join("commands").display()
        )),
        "{show}"
    );
    assert!(
        show.contains("    settings.json  the profile's own"),
        "{show}"
    );
    let out = sandbox.run(["show", "nosuch"]);
    assert!(!out.status.success() && out.stdout.is_empty());
}

#[test]
fn sync_defaults_to_the_active_profile() {
    let sandbox = Sandbox::new();
    let claude = sandbox.home.join(".claude");
    fs::create_dir_all(&claude).unwrap();
    let work = sandbox.create("work");
    sandbox.create("personal");
    fs::write(claude.join("CLAUDE.md"), "# me\n").unwrap();
    let out = sandbox
        .ccs(["sync"])
        .env("CLAUDE_CONFIG_DIR", &work)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("work:\n"), "{}", stdout(&out));
    assert!(
        fs::symlink_metadata(sandbox.instance("personal").join("CLAUDE.md")).is_err(),
        "only the active profile is synced"
    );
    let out = sandbox.run(["sync"]);
    assert!(!out.status.success() && out.stdout.is_empty());
    assert!(stderr(&out).contains("--all"), "{}", stderr(&out));
    let all = sandbox.ok(["sync", "--all"]);
    assert!(all.contains("personal:\n  linked    CLAUDE.md"), "{all}");
    assert!(all.contains("work: up to date"), "{all}");
}

#[test]
fn a_broken_ccs_json_is_reported_not_guessed() {
    let sandbox = Sandbox::new();
    with_user_config(&sandbox);
    let work = sandbox.create("work");
    fs::write(work.join(".ccs.json"), "{\"share\":\"sometimes\"}").unwrap();
    let out = sandbox.run(["sync", "work"]);
    assert!(!out.status.success() && out.stdout.is_empty());
    assert_eq!(stderr(&out).lines().count(), 1);
    assert!(
        stderr(&out).contains("fix or delete it"),
        "{}",
        stderr(&out)
    );
    // A profile made before .ccs.json existed links.
    fs::remove_file(work.join(".ccs.json")).unwrap();
    assert_eq!(sandbox.ok(["sync", "work"]), "work: up to date\n");
    assert!(sandbox.ok(["show", "work"]).contains("sharing: link"));
}

#[test]
fn removing_a_profile_never_follows_its_links_into_claude() {
    let sandbox = Sandbox::new();
    let claude = with_user_config(&sandbox);
    let before = snapshot(&claude);
    sandbox.create("work");
    sandbox.ok(["remove", "work", "--yes"]);
    assert_eq!(snapshot(&claude), before);
}

/// A missing source (a typo, ~/.claude moved away for a moment) must not look like every shared
/// item was deleted: sync refuses and changes nothing.
#[test]
fn sync_without_a_source_changes_nothing() {
    let sandbox = Sandbox::new();
    with_user_config(&sandbox);
    let linked = sandbox.create("linked");
    sandbox.ok(["create", "copied", "--copy"]);
    let before = (snapshot(&linked), snapshot(&sandbox.instance("copied")));
    let out = sandbox
        .ccs(["sync", "--all"])
        .env("CCS_SHARED_FROM", sandbox.root.join("typo"))
        .output()
        .unwrap();
    assert!(
        !out.status.success() && out.stdout.is_empty(),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("nothing to sync from"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        (snapshot(&linked), snapshot(&sandbox.instance("copied"))),
        before
    );
    // Tracking of copies survives: a later sync with the source back still refreshes them.
    fs::write(
        sandbox.home.join(".claude/commands/nested/deploy.md"),
        "v2\n",
    )
    .unwrap();
    sandbox.ok(["sync", "copied"]);
    assert_eq!(
        fs::read_to_string(sandbox.instance("copied").join("commands/nested/deploy.md")).unwrap(),
        "v2\n"
    );
}

/// One broken profile does not hide what sync --all did to the others.
#[test]
fn sync_all_reports_every_profile_and_fails_at_the_end() {
    let sandbox = Sandbox::new();
    let claude = with_user_config(&sandbox);
    fs::remove_dir_all(claude.join("agents")).unwrap();
    sandbox.create("a");
    let b = sandbox.create("b");
    sandbox.create("c");
    fs::write(b.join(".ccs.json"), "{\"share\":\"sometimes\"}").unwrap();
    fs::create_dir(claude.join("agents")).unwrap();
    let out = sandbox.run(["sync", "--all"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("a:\n") && text.contains("c:\n"), "{text}");
    assert!(!text.contains("b:"), "{text}");
    assert!(stderr(&out).contains("cannot sync 'b'"), "{}", stderr(&out));
    assert!(sandbox.instance("c").join("agents").exists());
}

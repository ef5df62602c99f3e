//! The whole user-config set of today's Claude Code is shared, and what the client keeps per
//! account inside a shared item (claude.ai's synced skills) stays in that account's profile.

use std::fs;
use std::path::Path;

use crate::common;
use crate::common::Sandbox;

const ORG_A: &str = "11111111-1111-4111-8111-111111111111_aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa";

/// A `~/.claude` with every item the client reads as user configuration.
fn full_claude_dir(claude: &Path) {
    for dir in [
        "commands",
        "agents",
        "rules",
        "output-styles",
        "themes",
        "workflows",
        "routines",
        "hooks",
        "agent-memory/reviewer",
        "skills/review",
    ] {
        fs::create_dir_all(claude.join(dir)).unwrap();
    }
    for (file, text) in [
        ("settings.json", "{\"outputStyle\":\"Terse\"}\n"),
        ("CLAUDE.md", "be brief\n"),
        ("keybindings.json", "[]\n"),
        ("loop.md", "loop\n"),
        ("rules/style.md", "tabs\n"),
        ("output-styles/terse.md", "---\nname: Terse\n---\nterse\n"),
        ("skills/review/SKILL.md", "review\n"),
        ("hooks/pre.sh", "#!/bin/sh\n"),
        ("agent-memory/reviewer/MEMORY.md", "likes tests\n"),
    ] {
        fs::write(claude.join(file), text).unwrap();
    }
}

#[test]
fn every_user_config_item_is_shared() {
    let sandbox = Sandbox::new();
    let claude = sandbox.home.join(".claude");
    full_claude_dir(&claude);
    let work = sandbox.create("work");
    for item in [
        "commands",
        "agents",
        "rules",
        "output-styles",
        "themes",
        "workflows",
        "routines",
        "hooks",
        "agent-memory",
        "settings.json",
        "CLAUDE.md",
        "keybindings.json",
        "loop.md",
    ] {
        assert_eq!(
            fs::read_link(work.join(item)).unwrap(),
            claude.join(item),
            "{item}"
        );
    }
    let show = sandbox.ok(["show", "work"]);
    for item in [
        "output-styles/",
        "rules/",
        "keybindings.json",
        "agent-memory/",
        "skills/",
    ] {
        assert!(
            show.lines()
                .any(|l| l.contains(item) && l.contains("shared")),
            "{item}:\n{show}"
        );
    }
}

/// claude.ai syncs skills per account into `skills/synced/<org>_<account>/`. Written by the
/// client in one profile, they reach neither `~/.claude` nor another profile; the user's own
/// skills are shared, live, in both.
#[test]
fn each_accounts_synced_skills_stay_in_its_profile() {
    let sandbox = Sandbox::new();
    let claude = sandbox.home.join(".claude");
    full_claude_dir(&claude);
    let work = sandbox.create("work");
    let personal = sandbox.create("personal");
    // What the client does when it syncs work's account's skills.
    fs::create_dir_all(work.join("skills/synced").join(ORG_A).join("org-skill")).unwrap();
    fs::create_dir_all(work.join("skills/.staging")).unwrap();
    assert!(!claude.join("skills/synced").exists(), "reached ~/.claude");
    assert!(
        !personal.join("skills/synced").exists(),
        "reached another profile"
    );
    // The user's own skill: shared, and an edit is seen at once.
    fs::write(claude.join("skills/review/SKILL.md"), "review v2\n").unwrap();
    for profile in [&work, &personal] {
        assert_eq!(
            fs::read_to_string(profile.join("skills/review/SKILL.md")).unwrap(),
            "review v2\n"
        );
    }
    // A skill added later is linked by sync; the synced ones are never touched.
    fs::create_dir_all(claude.join("skills/deploy")).unwrap();
    let out = sandbox.ok(["sync", "work"]);
    assert!(out.contains("+deploy"), "{out}");
    assert_eq!(
        fs::read_link(work.join("skills/deploy")).unwrap(),
        claude.join("skills/deploy")
    );
    assert!(
        work.join("skills/synced")
            .join(ORG_A)
            .join("org-skill")
            .is_dir()
    );
    assert_eq!(sandbox.ok(["sync", "work"]), "work: up to date\n");
}

/// A profile an older ccs made links `skills/` whole, so every account's synced skills landed in
/// `~/.claude/skills`. `show` says so, and `sync` makes it a directory of links to the user's
/// own skills, leaving `~/.claude` as it is.
#[test]
fn sync_relinks_a_whole_skills_link_entry_by_entry() {
    let sandbox = Sandbox::new();
    let claude = sandbox.home.join(".claude");
    full_claude_dir(&claude);
    fs::create_dir_all(claude.join("skills/synced").join(ORG_A)).unwrap();
    let work = sandbox.create("work");
    fs::remove_dir_all(work.join("skills")).unwrap();
    std::os::unix::fs::symlink(claude.join("skills"), work.join("skills")).unwrap();
    let show = sandbox.ok(["show", "work"]);
    assert!(show.contains("linked whole"), "{show}");
    assert!(sandbox.ok(["list"]).contains("to sync"));
    let out = sandbox.ok(["sync", "work"]);
    assert!(out.contains("repaired") && out.contains("skills/"), "{out}");
    assert!(fs::symlink_metadata(work.join("skills")).unwrap().is_dir());
    assert_eq!(
        fs::read_link(work.join("skills/review")).unwrap(),
        claude.join("skills/review")
    );
    assert!(!work.join("skills/synced").exists());
    assert!(
        claude.join("skills/synced").join(ORG_A).is_dir(),
        "~/.claude untouched"
    );
}

/// Copy mode: a refresh of the copied skills keeps the account's synced skills in the profile.
#[test]
fn a_refreshed_copy_keeps_the_accounts_synced_skills() {
    let sandbox = Sandbox::new();
    let claude = sandbox.home.join(".claude");
    full_claude_dir(&claude);
    let work = sandbox.instance("work");
    sandbox.ok(["create", "work", "--copy"]);
    fs::create_dir_all(work.join("skills/synced").join(ORG_A)).unwrap();
    fs::write(
        work.join("skills/synced").join(ORG_A).join("x.md"),
        "mine\n",
    )
    .unwrap();
    assert_eq!(
        sandbox.ok(["sync", "work"]),
        "work: up to date\n",
        "synced skills are not an edit"
    );
    fs::write(claude.join("skills/review/SKILL.md"), "review v2\n").unwrap();
    let out = sandbox.ok(["sync", "work"]);
    assert!(out.contains("updated") && out.contains("skills/"), "{out}");
    assert_eq!(
        fs::read_to_string(work.join("skills/review/SKILL.md")).unwrap(),
        "review v2\n"
    );
    assert_eq!(
        fs::read_to_string(work.join("skills/synced").join(ORG_A).join("x.md")).unwrap(),
        "mine\n"
    );
}

/// Whichever rename of a copy refresh fails (strace injects the error), the account's synced
/// skills are not lost: they are in the profile's skills/ or, when moving them failed, in the
/// old copy the error names. (They were deleted with the staged copy when a refresh failed.)
#[test]
fn a_failed_copy_refresh_loses_no_synced_skill() {
    if !common::have("strace") {
        return;
    }
    for when in 1..=4 {
        let sandbox = Sandbox::new();
        let claude = sandbox.home.join(".claude");
        full_claude_dir(&claude);
        let work = sandbox.instance("work");
        sandbox.ok(["create", "work", "--copy"]);
        let synced = work.join("skills/synced").join(ORG_A);
        fs::create_dir_all(&synced).unwrap();
        fs::write(synced.join("x.md"), "mine\n").unwrap();
        fs::write(claude.join("skills/review/SKILL.md"), "review v2\n").unwrap();
        let mut cmd = std::process::Command::new("strace");
        sandbox.env(&mut cmd);
        let out = cmd
            .args([
                "-f",
                "-o",
                "/dev/null",
                "-e",
                "trace=rename,renameat,renameat2",
                "-e",
            ])
            .arg(format!(
                "inject=rename,renameat,renameat2:error=EACCES:when={when}"
            ))
            .args([common::BIN, "sync", "work"])
            .output()
            .unwrap();
        let kept: Vec<std::path::PathBuf> = std::iter::once(work.join("skills"))
            .chain(
                fs::read_dir(&work)
                    .unwrap()
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| p.to_string_lossy().contains(".skills.ccs-old-")),
            )
            .map(|dir| dir.join("synced").join(ORG_A).join("x.md"))
            .filter(|file| file.is_file())
            .collect();
        assert_eq!(
            kept.len(),
            1,
            "rename {when}: the synced skill is gone\n{}",
            common::stderr(&out)
        );
        assert!(
            work.join("skills").is_dir(),
            "rename {when}: no skills/ left"
        );
    }
}

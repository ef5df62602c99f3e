//! A home as a real one looks, for the tests that run the real Claude Code: a full `~/.claude`
//! with every item of the user's own configuration (marker words in each instruction file, so a
//! captured request shows where its instructions came from), state the default account left
//! there, a `~/.config/anthropic` with an inactive login profile, and a project under `$HOME`.

use std::fs;
use std::path::{Path, PathBuf};

use super::Sandbox;

/// Marker words, one per instruction file.
pub(crate) const SHARED_MEMORY: &str = "MARKER-SHARED-MEMORY";
pub(crate) const SHARED_RULE: &str = "MARKER-SHARED-RULE";
pub(crate) const OUTPUT_STYLE: &str = "MARKER-OUTPUT-STYLE";
pub(crate) const SHARED_SKILL: &str = "MARKER-SHARED-SKILL";

/// Fills the sandbox's home; returns `~/.claude`.
pub(crate) fn real_home(sandbox: &Sandbox) -> PathBuf {
    let claude = sandbox.home.join(".claude");
    for dir in [
        "commands",
        "agents",
        "rules",
        "output-styles",
        "skills/review",
        "skills/synced/11111111-1111-4111-8111-111111111111_22222222-2222-4222-8222-222222222222/org-skill",
        "hooks",
        "themes",
        "workflows",
        "agent-memory/reviewer",
        "projects/-home-me-project",
        "plugins/cache",
    ] {
        fs::create_dir_all(claude.join(dir)).unwrap();
    }
    for (file, text) in [
        (
            "settings.json",
            "{\"outputStyle\":\"Marker Style\",\"cleanupPeriodDays\":30}\n".to_owned(),
        ),
        ("CLAUDE.md", format!("Shared memory: {SHARED_MEMORY}\n")),
        ("rules/style.md", format!("Shared rule: {SHARED_RULE}\n")),
        (
            "output-styles/marker.md",
            format!(
                "---\nname: Marker Style\ndescription: for tests\n---\nAnswer in {OUTPUT_STYLE}.\n"
            ),
        ),
        (
            "skills/review/SKILL.md",
            format!("---\nname: review\ndescription: {SHARED_SKILL}\n---\nreview\n"),
        ),
        ("commands/deploy.md", "deploy it\n".to_owned()),
        (
            "agents/reviewer.md",
            "---\nname: reviewer\ndescription: reviews\n---\nreview\n".to_owned(),
        ),
        ("keybindings.json", "[]\n".to_owned()),
        ("hooks/pre.sh", "#!/bin/sh\n".to_owned()),
        (
            "agent-memory/reviewer/MEMORY.md",
            "likes tests\n".to_owned(),
        ),
        ("history.jsonl", "{\"display\":\"hello\"}\n".to_owned()),
        ("projects/-home-me-project/s.jsonl", "{}\n".to_owned()),
        (
            "plugins/installed_plugins.json",
            "{\"version\":2,\"plugins\":{}}\n".to_owned(),
        ),
    ] {
        fs::write(claude.join(file), text).unwrap();
    }
    // An Anthropic login profile that is not active (no active_config, no `default`).
    let anthropic = sandbox.home.join(".config/anthropic/configs");
    fs::create_dir_all(&anthropic).unwrap();
    fs::write(
        anthropic.join("console.json"),
        "{\"authentication\":{\"type\":\"api_key\"}}\n",
    )
    .unwrap();
    fs::create_dir_all(project(sandbox)).unwrap();
    claude
}

/// A project under `$HOME`, where people work.
pub(crate) fn project(sandbox: &Sandbox) -> PathBuf {
    sandbox.home.join("src/app")
}

/// Every file under `dir` with its content: to show that nothing in it changed.
pub(crate) fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let meta = fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            files.extend(snapshot(&path));
        } else {
            files.push((path.clone(), fs::read(&path).unwrap_or_default()));
        }
    }
    files.sort();
    files
}

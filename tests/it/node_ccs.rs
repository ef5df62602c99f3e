//! Profiles the Node switcher CCS (npm `@kaitranntt/ccs`) made in the same `~/.ccs/instances/`
//! keep working with ccs: its own code makes one (tests/fetch-node-ccs installs it), and ccs
//! lists, shows, switches to, syncs and checks it without changing what CCS made.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{Sandbox, required, stderr, stdout};

fn node_ccs() -> Option<PathBuf> {
    let manager = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/node-ccs/node_modules/@kaitranntt/ccs/dist/management/instance-manager.js");
    let node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    required(
        node && manager.is_file(),
        "node and the Node CCS (tests/fetch-node-ccs)",
    )
    .then_some(manager)
}

/// A profile made by the Node CCS's own instance manager, as its `ccs auth create` makes one.
fn made_by_node_ccs(sandbox: &Sandbox, manager: &Path, name: &str) -> PathBuf {
    let script = format!(
        "const m = require({manager:?}); new m.InstanceManager().ensureInstance({name:?})\
         .then(() => process.exit(0), e => {{ console.error(e); process.exit(1) }})"
    );
    let out = Command::new("node")
        .args(["-e", &script])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &sandbox.home)
        .current_dir(&sandbox.root)
        .output()
        .unwrap();
    assert!(out.status.success(), "node ccs: {}", stderr(&out));
    sandbox.instance(name)
}

/// Every path under `dir` with what it is (a link's target, a file's bytes).
fn snapshot(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let meta = fs::symlink_metadata(&path).unwrap();
            let what = if meta.file_type().is_symlink() {
                format!("-> {}", fs::read_link(&path).unwrap().display())
            } else if meta.is_dir() {
                stack.push(path.clone());
                "dir".to_owned()
            } else {
                String::from_utf8_lossy(&fs::read(&path).unwrap()).into_owned()
            };
            found.push((path, what));
        }
    }
    found.sort();
    found
}

#[test]
fn a_profile_the_node_ccs_made_keeps_working() {
    let Some(manager) = node_ccs() else {
        return;
    };
    let sandbox = Sandbox::new();
    let claude = sandbox.home.join(".claude");
    fs::create_dir_all(claude.join("commands")).unwrap();
    fs::create_dir_all(claude.join("skills/review")).unwrap();
    fs::write(claude.join("settings.json"), "{}\n").unwrap();
    let dir = made_by_node_ccs(&sandbox, &manager, "work");
    assert!(
        fs::symlink_metadata(dir.join("commands"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let before = snapshot(&dir);

    // Listed, its items shared (through the Node CCS's ~/.ccs/shared, which ends in ~/.claude).
    let list = sandbox.ok(["list"]);
    assert!(list.contains("work") && list.contains("shared"), "{list}");
    let show = sandbox.ok(["show", "work"]);
    assert!(show.contains("commands/      shared"), "{show}");
    assert!(show.contains("settings.json  shared"), "{show}");
    // Switched to, as any profile.
    let code = sandbox.ok(["use", "work", "--shell", "bash"]);
    assert!(
        code.contains(&format!("export CLAUDE_CONFIG_DIR={}", dir.display())),
        "{code}"
    );
    // sync changes nothing of what the Node CCS made: its links are kept, said once each.
    let out = sandbox.run(["sync", "work"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).contains("commands/"), "{}", stdout(&out));
    // doctor finds nothing to fail in the store it shares.
    let out = sandbox.run(["doctor"]);
    assert!(!stdout(&out).contains("FAIL"), "{}", stdout(&out));
    // Nothing in the profile changed: not a link, not a file.
    assert_eq!(snapshot(&dir), before);
}

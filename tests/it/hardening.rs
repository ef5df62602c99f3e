//! Hostile conditions: concurrent use, strict shell options, leftovers of interrupted work.

use std::fs;
use std::process::Stdio;

use crate::common;
use crate::common::shells::{self, BASH, FISH, ZSH};
use crate::common::{Sandbox, clean_success, have, stderr, stdout};

#[test]
fn concurrent_creates_of_one_profile_make_exactly_one() {
    for round in 0..5 {
        let sandbox = Sandbox::new();
        let children: Vec<_> = (0..8)
            .map(|_| {
                sandbox
                    .ccs(["create", "work"])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let outs: Vec<_> = children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        let winners = outs.iter().filter(|o| o.status.success()).count();
        assert_eq!(winners, 1, "round {round}: exactly one create succeeds");
        for out in outs.iter().filter(|o| !o.status.success()) {
            assert!(out.stdout.is_empty());
            assert!(
                stderr(out).contains("already exists"),
                "round {round}: {}",
                stderr(out)
            );
        }
        let entries: Vec<String> = fs::read_dir(sandbox.ccs_home.join("instances"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(
            entries,
            ["work"],
            "round {round}: no half-made profile may remain"
        );
        for sub in ["session-env", "commands", "skills"] {
            assert!(
                sandbox.instance("work").join(sub).is_dir(),
                "round {round}: {sub}"
            );
        }
    }
}

#[test]
fn leftovers_of_interrupted_work_are_not_profiles() {
    let sandbox = Sandbox::new();
    sandbox.create("work");
    // What a create or remove killed half-way leaves behind.
    let instances = sandbox.ccs_home.join("instances");
    fs::create_dir_all(instances.join(".creating-other-123/logs")).unwrap();
    fs::create_dir_all(instances.join(".removing-old-456/projects")).unwrap();
    fs::write(instances.join(".removing-old-456/.credentials.json"), "{}").unwrap();
    let listed = sandbox.ok(["list", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let names: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["work"]);
    for hidden in [".creating-other-123", ".removing-old-456"] {
        let out = sandbox.run(["use", hidden, "--shell", "bash"]);
        assert!(
            !out.status.success() && out.stdout.is_empty(),
            "{hidden} is not a usable profile"
        );
    }
    // The names are free again for real profiles.
    sandbox.create("other");
    sandbox.create("old");
}

#[test]
fn remove_deletes_everything_of_the_profile_and_nothing_else() {
    let sandbox = Sandbox::new();
    let work = sandbox.create("work");
    let personal = sandbox.create("personal");
    fs::write(work.join(".credentials.json"), "{}").unwrap();
    fs::create_dir_all(work.join("projects/-home-me-app")).unwrap();
    fs::write(work.join("projects/-home-me-app/session.jsonl"), "{}\n").unwrap();
    // A link out of the profile: removal must not follow it.
    let outside = sandbox.root.join("outside");
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("keep.md"), "mine\n").unwrap();
    std::os::unix::fs::symlink(&outside, work.join("linked")).unwrap();
    fs::write(personal.join(".credentials.json"), "{\"other\":1}").unwrap();
    sandbox.ok(["remove", "work", "--yes"]);
    assert!(!work.exists());
    assert_eq!(
        fs::read_to_string(outside.join("keep.md")).unwrap(),
        "mine\n"
    );
    assert_eq!(
        fs::read_to_string(personal.join(".credentials.json")).unwrap(),
        "{\"other\":1}"
    );
}

/// The bash hook under every strict option a user may have on.
#[test]
fn bash_hook_works_under_errexit_nounset_and_pipefail() {
    let sandbox = Sandbox::new();
    let work = sandbox.create("work");
    let script = "set -euo pipefail\neval \"$(ccs init bash --prompt --auto)\"\neval \"$(ccs init bash --prompt --auto)\"\n\
                  ccs use work\nprintf '%s|' \"$CLAUDE_CONFIG_DIR\"\nccs use nosuch || echo failed-as-expected\n\
                  ccs off\necho \"${CLAUDE_CONFIG_DIR-unset}\"\n";
    let out = sandbox.shell(BASH, script);
    assert_eq!(
        stdout(&out),
        format!("{}|failed-as-expected\nunset\n", work.display()),
        "{}",
        stderr(&out)
    );
}

#[test]
fn zsh_hook_works_with_ksh_arrays_nounset_and_errexit() {
    if !ZSH.here() {
        return;
    }
    let sandbox = Sandbox::new();
    let work = sandbox.create("work");
    let script = "setopt ksh_arrays nounset err_exit\nprecmd_functions=(user_fn)\nuser_fn() { :; }\n\
                  eval \"$(ccs init zsh --prompt --auto)\"\neval \"$(ccs init zsh --prompt --auto)\"\n\
                  ccs use work\nprint -r -- \"$CLAUDE_CONFIG_DIR|$CCS_PROFILE\"\nCCS_PROFILE=work\n__ccs_prompt_prefix\n\
                  print -r -- \"${precmd_functions[0]}\"\nccs use nosuch 2>/dev/null || print failed-as-expected\nccs off\n\
                  print -r -- \"${CLAUDE_CONFIG_DIR-unset}\"\n";
    let out = sandbox.shell(ZSH, script);
    assert_eq!(
        clean_success(&out, "zsh with ksh_arrays")
            .lines()
            .collect::<Vec<_>>(),
        [
            &format!("{}|work", work.display()),
            "user_fn",
            "failed-as-expected",
            "unset"
        ]
    );
}

#[test]
fn fish_hook_works_with_a_user_cd_wrapper() {
    if !FISH.here() {
        return;
    }
    let sandbox = Sandbox::new();
    sandbox.create("work");
    let pinned = sandbox.root.join("pinned");
    fs::create_dir(&pinned).unwrap();
    fs::write(pinned.join(".ccs-profile"), "work\n").unwrap();
    // A user's own `cd` function (as many fish configs have) must not stop the switch.
    let script = format!(
        "function cd; builtin cd $argv; and echo wrapped-cd; end\nccs init fish --auto | source\nccs init fish --auto | source\n\
         cd '{}'\necho \"[$CCS_PROFILE]\"\ncd /\nset -q CCS_PROFILE; or echo left\n",
        pinned.display()
    );
    let out = sandbox.shell(FISH, &script);
    assert_eq!(
        stdout(&out),
        "wrapped-cd\n[work]\nwrapped-cd\nleft\n",
        "{}",
        stderr(&out)
    );
}

/// Every hook file passes its shell's own parser after `init` adds completion and opt-ins.
#[test]
fn the_full_init_output_parses_in_each_shell() {
    let sandbox = Sandbox::new();
    for shell in shells::installed() {
        let Some(check) = shell.syntax_check else {
            continue;
        };
        let name = shell.name;
        let code = sandbox.ok(["init", name, "--prompt", "--auto"]);
        let file = sandbox.root.join(format!("init.{name}"));
        fs::write(&file, code).unwrap();
        let out = std::process::Command::new(shell.program)
            .arg(check)
            .arg(&file)
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}: {}", stderr(&out));
    }
    for shell in shells::runnable() {
        let Some(dialect) = shell.shellcheck else {
            continue;
        };
        if !have("shellcheck") {
            break;
        }
        let name = shell.name;
        let code = sandbox.ok(["init", name, "--prompt", "--auto"]);
        let file = sandbox.root.join(format!("init.{name}"));
        fs::write(&file, code).unwrap();
        // The completion registration is clap_complete's; only errors count against it.
        let out = std::process::Command::new("shellcheck")
            .arg(format!("--shell={dialect}"))
            .arg("--severity=error")
            .arg(&file)
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}: {}", stdout(&out));
    }
}

/// A link planted inside the store is never written through or used as a profile.
#[test]
fn links_planted_in_the_store_are_not_followed() {
    let sandbox = Sandbox::new();
    let outside = sandbox.root.join("outside");
    fs::create_dir(&outside).unwrap();
    // instances/ itself replaced by a link to elsewhere: create refuses, writes nothing there.
    fs::create_dir_all(&sandbox.ccs_home).unwrap();
    std::os::unix::fs::symlink(&outside, sandbox.ccs_home.join("instances")).unwrap();
    let out = sandbox.run(["create", "work"]);
    assert!(!out.status.success() && out.stdout.is_empty());
    assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
    assert_eq!(
        fs::read_dir(&outside).unwrap().count(),
        0,
        "nothing written outside the store"
    );

    // A profile that is a link: not listed, not usable.
    let sandbox = Sandbox::new();
    sandbox.create("work");
    std::os::unix::fs::symlink(&outside, sandbox.instance("planted")).unwrap();
    let listed = sandbox.ok(["list", "--json"]);
    assert!(!listed.contains("planted"), "{listed}");
    let out = sandbox.run(["use", "planted", "--shell", "bash"]);
    assert!(!out.status.success() && out.stdout.is_empty());
    assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
    // CCS_HOME itself may be a link: the user's choice.
    let sandbox = Sandbox::new();
    let real = sandbox.root.join("real-store");
    fs::create_dir(&real).unwrap();
    std::os::unix::fs::symlink(&real, &sandbox.ccs_home).unwrap();
    sandbox.create("work");
    assert!(real.join("instances/work").is_dir());
}

/// A name in another case means the profile of that name, and every command goes on with the
/// name as spelled on disk: on macOS's case-insensitive disk `instances/Work` would reach `work`
/// under another path string, and Claude Code keys its Keychain login on that exact string.
#[test]
fn a_name_in_another_case_means_the_profile_as_spelled_on_disk() {
    let sandbox = Sandbox::new();
    let work = sandbox.create("work");
    let want = work.to_str().unwrap();
    let code = sandbox.ok(["use", "Work", "--shell", "bash"]);
    assert!(
        code.contains(&format!("CLAUDE_CONFIG_DIR={want}")),
        "{code}"
    );
    assert!(code.contains("CCS_PROFILE=work"), "{code}");
    assert!(!code.contains("Work"), "{code}");
    assert_eq!(sandbox.ok(["path", "WORK"]), format!("{want}\n"));
    let out = sandbox.run(["default", "wOrK"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let config = fs::read_to_string(sandbox.ccs_home.join("config.json")).unwrap();
    assert!(config.contains(r#""default": "work""#), "{config}");
    let out = sandbox
        .ccs([
            "exec",
            "WORK",
            "--",
            "sh",
            "-c",
            "echo \"$CCS_PROFILE $CLAUDE_CONFIG_DIR\"",
        ])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), format!("work {want}\n"), "{}", stderr(&out));
    let project = sandbox.root.join("project");
    fs::create_dir(&project).unwrap();
    let out = sandbox
        .ccs(["pin", "Work"])
        .current_dir(&project)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(project.join(".ccs-profile")).unwrap(),
        "work\n"
    );
    // A name that matches nothing in any case is still an error.
    let out = sandbox.run(["use", "works", "--shell", "bash"]);
    assert!(!out.status.success() && out.stdout.is_empty());
    assert!(
        stderr(&out).contains("profile 'works' does not exist"),
        "{}",
        stderr(&out)
    );
    // Renamed and removed under another spelling, the profile is the one on disk.
    let out = sandbox.run(["rename", "WORK", "job"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(sandbox.instance("job").is_dir() && !work.exists());
    let out = sandbox.run(["remove", "JOB", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!sandbox.instance("job").exists());
}

/// A ccs killed at any point of writing its config (strace injects SIGKILL at the system call)
/// leaves the previous file whole: the new one is written to a temporary file, synced, then
/// renamed over it.
#[test]
fn a_crash_mid_write_leaves_the_old_config() {
    if !have("strace") {
        eprintln!("NOTICE: skipping: strace is not installed");
        return;
    }
    let sandbox = Sandbox::new();
    sandbox.create("work");
    sandbox.create("home");
    sandbox.ok(["default", "work"]);
    let config = sandbox.ccs_home.join("config.json");
    let before = fs::read_to_string(&config).unwrap();
    for (call, when) in [("write", "1"), ("fsync", "1"), ("rename", "1")] {
        let mut cmd = std::process::Command::new("strace");
        sandbox.env(&mut cmd);
        let out = cmd
            .args(["-f", "-o", "/dev/null", "-e"])
            .arg(format!("trace={call}"))
            .arg("-e")
            .arg(format!("inject={call}:signal=KILL:when={when}"))
            .args([common::BIN, "default", "home"])
            .output()
            .unwrap();
        assert!(
            !out.status.success(),
            "{call}: the write must have been cut short"
        );
        assert_eq!(fs::read_to_string(&config).unwrap(), before, "{call}");
        let parsed: serde_json::Value = serde_json::from_str(&before).unwrap();
        assert_eq!(parsed["default"], "work");
    }
    // And the next write succeeds, whatever the crash left behind.
    sandbox.ok(["default", "home"]);
    let after = fs::read_to_string(&config).unwrap();
    assert!(after.contains(r#""default": "home""#), "{after}");
}

/// A case-insensitive, case-preserving directory, as macOS's default disk is: the FUSE file
/// system in `tests/casefold-fs` (this kernel has no casefold support), unmounted when dropped.
struct CaseFoldDisk {
    mountpoint: std::path::PathBuf,
    backing: std::path::PathBuf,
    server: std::process::Child,
}

impl CaseFoldDisk {
    /// None (a notice locally, a failure under CI=true) without FUSE, the right to mount (root,
    /// or Debian's `fuse` for fusermount), or Debian's python3-fusepy.
    fn mount(sandbox: &Sandbox) -> Option<Self> {
        Self::mount_keeping_case_on_rename(sandbox, false)
    }

    /// `keeps_case`: a rename that only changes case succeeds and changes nothing, as on FAT.
    fn mount_keeping_case_on_rename(sandbox: &Sandbox, keeps_case: bool) -> Option<Self> {
        let can_mount = std::path::Path::new("/dev/fuse").exists()
            && (is_root() || common::on_path("fusermount"))
            && std::process::Command::new("/usr/bin/python3")
                .args(["-c", "import fusepy"])
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
        let missing = "a case-insensitive disk needs /dev/fuse, root or fusermount (Debian's \
                       fuse), and Debian's python3-fusepy";
        if !common::required(can_mount, missing) {
            return None;
        }
        let backing = sandbox.root.join("casefold-backing");
        let mountpoint = sandbox.root.join("casefold");
        fs::create_dir(&backing).unwrap();
        fs::create_dir(&mountpoint).unwrap();
        let server = std::process::Command::new("/usr/bin/python3")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/casefold-fs"))
            .args([&backing, &mountpoint])
            .env(
                "CASEFOLD_KEEP_CASE_ON_RENAME",
                if keeps_case { "1" } else { "0" },
            )
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let disk = CaseFoldDisk {
            mountpoint,
            backing,
            server,
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !disk.is_mounted() {
            assert!(
                std::time::Instant::now() < deadline,
                "casefold-fs did not mount"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Some(disk)
    }

    fn is_mounted(&self) -> bool {
        let mounts = fs::read_to_string("/proc/self/mounts").unwrap_or_default();
        // The kernel lists the mount point with links resolved (TMPDIR may be a link).
        let point = fs::canonicalize(&self.mountpoint).unwrap();
        let point = point.to_str().unwrap();
        mounts.lines().any(|l| l.split(' ').nth(1) == Some(point))
    }

    /// The names stored in `dir` (relative to the mount), as spelled on the backing disk.
    fn stored_names(&self, dir: &str) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.backing.join(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }
}

fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout == b"0\n")
}

impl Drop for CaseFoldDisk {
    fn drop(&mut self) {
        let mut unmount = if is_root() {
            std::process::Command::new("umount")
        } else {
            let mut fusermount = std::process::Command::new("fusermount");
            fusermount.arg("-u");
            fusermount
        };
        let _ = unmount.arg(&self.mountpoint).status();
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

/// What the case rule means on the disk it is for: on a case-insensitive disk `Work` opens
/// `work`'s directory, and ccs still prints the profile as spelled on disk (Claude Code keys its
/// macOS Keychain login on the exact path string), refuses a second profile differing only in
/// case, and renames a profile to another case of its own name.
#[test]
fn on_a_case_insensitive_disk_a_name_means_the_profile_as_spelled_on_disk() {
    let mut sandbox = Sandbox::new();
    let Some(disk) = CaseFoldDisk::mount(&sandbox) else {
        return;
    };
    sandbox.ccs_home = disk.mountpoint.join("store");
    sandbox.create("work");
    let instances = sandbox.ccs_home.join("instances");
    let work = instances.join("work");
    // The disk folds case: the premise of this test.
    assert!(instances.join("WORK").is_dir());

    assert_eq!(
        sandbox.ok(["use", "Work", "--shell", "bash"]),
        format!(
            "export CLAUDE_CONFIG_DIR={};\nexport CCS_PROFILE=work;\nexport CCS_PREVIOUS='~/.claude';\n",
            work.display()
        )
    );
    assert_eq!(
        sandbox.ok(["path", "WORK"]),
        format!("{}\n", work.display())
    );

    let out = sandbox.run(["create", "WORK"]);
    assert!(!out.status.success() && out.stdout.is_empty());
    assert_eq!(
        stderr(&out),
        format!("ccs: profile 'work' already exists at {}\n", work.display())
    );
    assert_eq!(disk.stored_names("store/instances"), ["work"]);
    let listed = sandbox.ok(["list"]);
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(listed.starts_with("  work "), "{listed}");

    // A rename to another case of its own name is a rename.
    let out = sandbox.run(["rename", "work", "Work"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(disk.stored_names("store/instances"), ["Work"]);
    let code = sandbox.ok(["use", "work", "--shell", "bash"]);
    assert!(code.contains("CCS_PROFILE=Work;"), "{code}");
}

/// On a disk that takes a case-only rename and keeps the old name (FAT, some network shares,
/// Wine), `ccs rename work Work` still ends with `Work` on disk, or says it could not: never a
/// rename claimed and not made.
#[test]
fn a_case_only_rename_the_disk_ignores_is_done_in_two_steps() {
    let mut sandbox = Sandbox::new();
    let Some(disk) = CaseFoldDisk::mount_keeping_case_on_rename(&sandbox, true) else {
        return;
    };
    sandbox.ccs_home = disk.mountpoint.join("store");
    sandbox.create("work");
    // The premise: this disk ignores a rename that changes only case.
    fs::rename(
        sandbox.ccs_home.join("instances/work"),
        sandbox.ccs_home.join("instances/Work"),
    )
    .unwrap();
    assert_eq!(disk.stored_names("store/instances"), ["work"]);

    let out = sandbox.run(["rename", "work", "Work"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(disk.stored_names("store/instances"), ["Work"]);
    assert!(
        stderr(&out).contains("renamed profile 'work' to 'Work'"),
        "{}",
        stderr(&out)
    );
    let code = sandbox.ok(["use", "work", "--shell", "bash"]);
    assert!(code.contains("CCS_PROFILE=Work;"), "{code}");
}

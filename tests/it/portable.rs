//! What keeps a profile, a store and the hooks usable across systems, checked on this one: names
//! Windows cannot hold are refused everywhere, a pin written with Windows line ends still pins,
//! and the files shells read keep LF line ends in every checkout.

use std::fs;
use std::process::Command;

use crate::common;
use crate::common::{Sandbox, shells, stderr};

#[test]
fn names_windows_cannot_hold_are_refused_on_every_system() {
    let sandbox = Sandbox::new();
    for name in ["con", "NUL", "aux.work", "com1", "lpt9", "work."] {
        let out = sandbox.run(["create", name]);
        assert!(!out.status.success(), "{name}");
        assert!(
            stderr(&out).contains("invalid profile name"),
            "{name}: {}",
            stderr(&out)
        );
    }
    assert!(!sandbox.ccs_home.join("instances").exists(), "nothing made");
    for name in ["console", "com10", "nully"] {
        sandbox.ok(["create", name]);
    }
}

/// A `.ccs-profile` committed from Windows holds `work\r\n`: every hook reads `work`.
#[test]
fn a_pin_with_windows_line_ends_pins() {
    let sandbox = Sandbox::new();
    sandbox.create("work");
    let project = sandbox.root.join("project");
    fs::create_dir(&project).unwrap();
    fs::write(project.join(".ccs-profile"), "work\r\n").unwrap();
    for shell in shells::installed() {
        let check = shell
            .after_cd
            .map(|check| format!("{check}; "))
            .unwrap_or_default();
        let script = format!(
            "{}\ncd '{}'; {check}{}\n",
            shell.source_hook("--auto"),
            project.display(),
            shell.print_or("%s\\n", "CCS_PROFILE", "none")
        );
        let out = sandbox.shell(shell, &script);
        assert_eq!(
            common::stdout(&out),
            "work\n",
            "{}: {}",
            shell.name,
            stderr(&out)
        );
    }
}

/// Git for Windows checks text out with CRLF by default; .gitattributes keeps what shells read
/// LF, so `ccs init` embeds no CR.
#[test]
fn files_shells_read_are_lf_in_every_checkout() {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut files: Vec<String> = fs::read_dir(format!("{root}/shell"))
        .unwrap()
        .map(|e| format!("shell/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    files.extend(
        [
            "completions/ccs.bash",
            "tests/fetch-claude-code",
            ".ci/run",
            "tests/cross/setup",
            "tests/cross/env",
        ]
        .map(String::from),
    );
    let out = Command::new("git")
        .args(["check-attr", "eol", "--"])
        .args(&files)
        .current_dir(root)
        .output();
    let Some(out) = out.ok().filter(|o| o.status.success()) else {
        common::required(false, "git check-attr needs a git checkout");
        return;
    };
    let text = String::from_utf8(out.stdout).unwrap();
    for line in text.lines() {
        assert!(line.ends_with(": eol: lf"), "{line}");
    }
    assert_eq!(text.lines().count(), files.len());
    for file in files {
        let bytes = fs::read(format!("{root}/{file}")).unwrap();
        assert!(!bytes.contains(&b'\r'), "{file} holds a CR");
    }
}

/// A config dir spelled in another case (as Windows and macOS disks allow) means the profile as
/// spelled on disk, in `current` and in `list`'s mark too.
#[test]
fn current_names_the_profile_as_spelled_on_disk() {
    let sandbox = Sandbox::new();
    let work = sandbox.create("work");
    let shouted = work.with_file_name("WORK");
    let run = |args: &[&str]| {
        sandbox
            .ccs(args)
            .env("CLAUDE_CONFIG_DIR", &shouted)
            .output()
            .unwrap()
    };
    assert_eq!(common::stdout(&run(&["current"])), "work\n");
    assert!(common::stdout(&run(&["list"])).starts_with("* work"));
}

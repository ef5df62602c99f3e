//! nushell, driven for real (`tests/fetch-nushell`): it cannot evaluate printed code, so its hook
//! loads the record `--shell nu` prints. These tests load the hook as a person's autoload file
//! holds it (what `ccs init nu` printed, sourced), run scripts in the real `nu`, and compare
//! byte for byte what the shell and its children see. The interactive tests are in
//! `interactive.rs`, the cost of a prompt and a `cd` in `prompt_cost.rs`.

use std::path::Path;
use std::process::{Command, Output};

use ccs::Shell;

use crate::common::shells::{NU, TestShell};
use crate::common::{Sandbox, stderr, stdout};
use crate::shells::{HOSTILE_NAMES, hostile_values};

/// Whether nushell is here: a skip with a notice locally, a failure under `CI=true`.
fn here() -> bool {
    TestShell::nu_fetched()
}

/// Runs `script` in a real `nu` with no config, in this sandbox, from a file (nushell takes no
/// script on stdin).
fn nu(sandbox: &Sandbox, script: &str) -> Output {
    let file = sandbox.root.join(format!("script-{}.nu", script.len()));
    std::fs::write(&file, script).unwrap();
    let mut cmd = Command::new(NU.program);
    cmd.args(NU.script_flags).arg(&file);
    sandbox.env(&mut cmd);
    cmd.output().unwrap()
}

/// `script` after the hook `ccs init nu FLAGS` prints, loaded from a file as nushell's autoload
/// directory would hold it.
fn with_hook(sandbox: &Sandbox, flags: &[&str], script: &str) -> Output {
    let hook = sandbox.ok(["init", "nu"].iter().chain(flags));
    let file = sandbox.root.join("ccs-init.nu");
    std::fs::write(&file, hook).unwrap();
    let source = format!("source {}\n", Shell::Nu.quote(file.to_str().unwrap()));
    nu(sandbox, &(source + script))
}

fn success(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {:?}\nstdout: {}\nstderr: {}",
        out.status,
        stdout(out),
        stderr(out)
    );
    stdout(out)
}

/// The two variables as nushell sees them, then as a child process sees them, NUL-separated.
const PRINT_VARS: &str = r#"print -n $"($env.CLAUDE_CONFIG_DIR)(char nul)($env.CCS_PROFILE)(char nul)"
^sh -c 'printf "%s\0%s\0" "$CLAUDE_CONFIG_DIR" "$CCS_PROFILE"'
"#;

#[test]
fn nu_use_sets_the_exact_path_through_the_hook() {
    if !here() {
        return;
    }
    for name in HOSTILE_NAMES {
        let sandbox = Sandbox::with_ccs_home(name);
        let dir = sandbox.create("work");
        let one = format!("{}\0work\0", dir.to_str().unwrap());
        let out = with_hook(&sandbox, &[], &format!("ccs use work\n{PRINT_VARS}"));
        assert_eq!(
            success(&out, name),
            one.repeat(2),
            "CCS_HOME {name:?}: {}",
            stderr(&out)
        );
        assert!(out.stderr.is_empty(), "{name:?}: {}", stderr(&out));
    }
}

/// The default profile, switched to by what `ccs init nu` prints (NUON read as code, not by
/// `from nuon`), in a home that breaks naive quoting.
#[test]
fn nu_starts_on_the_default_profile_whatever_its_path() {
    if !here() {
        return;
    }
    for name in HOSTILE_NAMES {
        let sandbox = Sandbox::with_ccs_home(name);
        let dir = sandbox.create("work");
        sandbox.ok(["default", "work"]);
        let out = with_hook(&sandbox, &[], PRINT_VARS);
        let one = format!("{}\0work\0", dir.to_str().unwrap());
        assert_eq!(success(&out, name), one.repeat(2), "CCS_HOME {name:?}");
    }
}

/// Thousands of hostile values, each quoted by ccs and read back by nushell twice: as code (what
/// `ccs init nu` prints) and as NUON inside a record (what `--shell nu` prints, read with
/// `from nuon`).
#[test]
fn nu_quoting_round_trips_random_hostile_values() {
    if !here() {
        return;
    }
    let seed = std::env::var("CCS_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    let values = hostile_values(seed, 3000);
    let mut script = String::new();
    for value in &values {
        let code = Shell::Nu.quote(value);
        let record = Shell::Nu.quote(&format!("{{v: {code}}}"));
        script.push_str(&format!(
            "print -n {code} (char nul) ({record} | from nuon | get v) (char nul)\n"
        ));
    }
    let sandbox = Sandbox::new();
    let out = nu(&sandbox, &script);
    let text = String::from_utf8(out.stdout.clone()).expect("output is UTF-8");
    assert!(out.status.success(), "seed {seed}: {}", stderr(&out));
    let got: Vec<&str> = text.split_terminator('\0').collect();
    assert_eq!(got.len(), values.len() * 2, "seed {seed}");
    for (i, want) in values.iter().enumerate() {
        assert_eq!(
            got[2 * i],
            want,
            "as code; replay with CCS_TEST_SEED={seed}"
        );
        assert_eq!(
            got[2 * i + 1],
            want,
            "as NUON; replay with CCS_TEST_SEED={seed}"
        );
    }
}

/// `off` and `use -` through the hook: unset means gone, for nushell and for its children.
#[test]
fn nu_off_unsets_and_use_dash_goes_back() {
    if !here() {
        return;
    }
    let sandbox = Sandbox::new();
    let work = sandbox.create("work");
    sandbox.create("personal");
    let script = r#"ccs use work
ccs use personal
ccs use -
print $env.CCS_PROFILE $env.CCS_PREVIOUS
ccs off
print ('CLAUDE_CONFIG_DIR' in $env) ('CCS_PROFILE' in $env) $env.CCS_PREVIOUS
^sh -c 'echo "child=${CLAUDE_CONFIG_DIR-unset}|${CCS_PROFILE-unset}"'
ccs use -
print $env.CLAUDE_CONFIG_DIR
"#;
    let out = with_hook(&sandbox, &[], script);
    assert_eq!(
        success(&out, "off"),
        format!(
            "work\npersonal\nfalse\nfalse\nwork\nchild=unset|unset\n{}\n",
            work.display()
        )
    );
    assert_eq!(stderr(&out), "ccs: back to work\nccs: back to work\n");
}

/// A failed `use` prints its one line, changes nothing, and fails the command; `--help` shows
/// help and switches nothing; other commands reach the binary, which knows the hook is there.
#[test]
fn nu_failed_use_changes_nothing_and_other_commands_pass_through() {
    if !here() {
        return;
    }
    let sandbox = Sandbox::new();
    sandbox.create("work");
    let script = r#"ccs use work
let failed = (try { ccs use nosuch; false } catch { true })
print $failed $env.CCS_PROFILE
ccs use --help | lines | first | print
print $env.CCS_PROFILE
ccs current
"#;
    let out = with_hook(&sandbox, &[], script);
    let text = success(&out, "failed use");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[..2], ["true", "work"], "{text}");
    assert!(lines[2].starts_with("Print the code"), "{text}");
    assert_eq!(lines[3..], ["work", "work"], "{text}");
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("ccs: profile 'nosuch' does not exist"),
        "{err}"
    );
}

/// `rename` re-points the shell on the profile it renames; `remove` switches it off.
#[test]
fn nu_rename_and_remove_follow_the_shell() {
    if !here() {
        return;
    }
    let sandbox = Sandbox::new();
    sandbox.create("work");
    let script = r#"ccs use work
ccs rename work job
print $env.CCS_PROFILE ($env.CLAUDE_CONFIG_DIR | path basename)
ccs remove job --yes
print ('CCS_PROFILE' in $env)
"#;
    let out = with_hook(&sandbox, &[], script);
    assert_eq!(
        success(&out, "rename"),
        "job\njob\nfalse\n",
        "{}",
        stderr(&out)
    );
}

/// Inside tmux a switch gives the session the profile too: the words of one `tmux` command,
/// which the hook runs (here a stand-in that records them).
#[test]
fn nu_switch_in_tmux_sets_the_session() {
    if !here() {
        return;
    }
    let sandbox = Sandbox::new();
    let work = sandbox.create("work");
    let bin = sandbox.root.join("fake-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = sandbox.root.join("tmux.log");
    let fake = bin.join("tmux");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\nprintf '%s|' \"$@\" >>'{}'\necho >>'{}'\n",
            log.display(),
            log.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let script = format!(
        "$env.PATH = ($env.PATH | prepend {})\n$env.TMUX = '/tmp/x,1,0'\nccs use work\nccs off\n",
        Shell::Nu.quote(bin.to_str().unwrap())
    );
    let out = with_hook(&sandbox, &[], &script);
    success(&out, "tmux");
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        format!(
            "set-environment|CLAUDE_CONFIG_DIR|{}|;|set-environment|CCS_PROFILE|work|\n\
             set-environment|-r|CLAUDE_CONFIG_DIR|;|set-environment|-r|CCS_PROFILE|\n",
            work.display()
        )
    );
}

/// --auto: entering a pinned tree switches, leaving it restores; a pin naming a missing profile
/// is said once per shell; notes only when the profile changes. (A script draws no prompt, so it
/// calls the PWD hook's command itself after each `cd`.)
#[test]
fn nu_auto_switches_by_pin_and_says_a_missing_profile_once() {
    if !here() {
        return;
    }
    let sandbox = Sandbox::new();
    sandbox.create("work");
    sandbox.create("other");
    let pinned = sandbox.root.join("pinned");
    let gone = sandbox.root.join("gone");
    std::fs::create_dir_all(pinned.join("sub")).unwrap();
    std::fs::create_dir_all(&gone).unwrap();
    std::fs::write(pinned.join(".ccs-profile"), "other\r\n").unwrap();
    std::fs::write(gone.join(".ccs-profile"), "nosuch\n").unwrap();
    let cd = |dir: &Path| {
        format!(
            "cd {}\n__ccs_auto_switch\nprint ($env.CCS_PROFILE? | default none)\n",
            Shell::Nu.quote(dir.to_str().unwrap())
        )
    };
    let root = &sandbox.root;
    let script = [
        "ccs use work\n".to_owned(),
        cd(&pinned),
        cd(&pinned.join("sub")),
        cd(root),
        cd(&gone),
        cd(root),
        cd(&gone),
        cd(root),
    ]
    .concat();
    let out = with_hook(&sandbox, &["--auto"], &script);
    assert_eq!(
        success(&out, "auto"),
        "other\nother\nwork\nwork\nwork\nwork\nwork\n"
    );
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert!(lines[0].starts_with("ccs: other (pinned by "), "{err}");
    assert_eq!(lines[1], "ccs: left the pinned tree; back to work", "{err}");
    assert!(lines[2].contains("nosuch"), "{err}");
}

/// Tab completion as nushell asks for it: the hook's completer, run by the real nu, turns the
/// binary's answer into records; the packagers' file declares `ccs` with the same completer.
#[test]
fn nu_completer_offers_commands_flags_and_profiles() {
    if !here() {
        return;
    }
    let sandbox = Sandbox::with_profiles(&["work", "work-eu", "personal"]);
    let script = r#"print (__ccs_complete [ccs use w] | get value | to json -r)
print (__ccs_complete [ccs rem] | get value | to json -r)
print (__ccs_complete [ccs use --sh] | get value | to json -r)
print (__ccs_complete [ccs pe] | to json -r)
"#;
    let out = with_hook(&sandbox, &[], script);
    assert_eq!(
        success(&out, "complete"),
        "[\"work\",\"work-eu\"]\n[\"remove\"]\n[\"--shell\"]\n\
         [{\"value\":\"personal\",\"description\":\"Run claude as this profile\"}]\n"
    );

    let packaged = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/ccs.nu");
    let script = format!(
        "source {}\nprint (scope commands | where name == ccs | get type.0)\n\
         print (__ccs_complete [ccs use p] | get value | to json -r)\n",
        Shell::Nu.quote(packaged.to_str().unwrap())
    );
    let out = nu(&sandbox, &script);
    assert_eq!(success(&out, "packaged"), "external\n[\"personal\"]\n");
}

/// `cd pinned; ccs off` in one go: the hook applies the pin first, quietly, then `off` wins,
/// and the shell's children see no profile. (nushell 0.115 would lose the `hide-env` after the
/// pin's switch in the same command: the hook sets the variables to nothing there.)
#[test]
fn nu_off_right_after_a_cd_into_a_pin_wins() {
    if !here() {
        return;
    }
    let sandbox = Sandbox::new();
    sandbox.create("work");
    sandbox.create("other");
    let pinned = sandbox.root.join("pinned");
    std::fs::create_dir_all(&pinned).unwrap();
    std::fs::write(pinned.join(".ccs-profile"), "other\n").unwrap();
    let script = format!(
        "ccs use work\ncd {}\nccs off\n\
         print ($env.CCS_PROFILE? | default none)\n\
         ^sh -c 'echo \"child=${{CLAUDE_CONFIG_DIR-unset}}|${{CCS_PROFILE-unset}}\"'\n",
        Shell::Nu.quote(pinned.to_str().unwrap())
    );
    let out = with_hook(&sandbox, &["--auto"], &script);
    assert_eq!(success(&out, "cd; off"), "none\nchild=unset|unset\n");
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
}

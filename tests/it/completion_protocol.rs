//! Tab completion (issue 3), the part without a terminal: what each shell's registration asks
//! the binary (`CCS_COMPLETE=<shell> ccs -- <words>`, the protocol in each row of
//! `common/shells.rs`) and what it answers: profile names from the store and nothing else, for
//! one profile or a thousand, and nothing at all, silently, when there is no usable store. Also
//! the shells' own completion code run from a script: bash's `COMPREPLY`, fish's `complete -C`.
//!
//! Tab pressed at a real prompt is `completion_tab.rs`; PowerShell's registration is
//! `completion_powershell.rs`.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;

use crate::common::completion::{ask, ask_raw, candidates, values};
use crate::common::shells::{self, BASH, FISH};
use crate::common::{Sandbox, clean_success};

// ---------------------------------------------------------------------------------------------
// What the binary answers, asked as each shell's registration asks

#[test]
fn every_protocol_answers_with_the_matching_profiles() {
    let sandbox = Sandbox::with_profiles(&["work", "work-eu", "personal"]);
    for shell in shells::ALL {
        let name = shell.name;
        assert_eq!(
            ask(&sandbox, shell, &["ccs", "use", "w"], None),
            ["work", "work-eu"],
            "{name}: ccs use w"
        );
        assert_eq!(
            ask(&sandbox, shell, &["ccs", "use", "p"], None),
            ["personal"],
            "{name}: ccs use p"
        );
        assert_eq!(
            values(&ask(&sandbox, shell, &["ccs", "use", ""], None)),
            ["personal", "work", "work-eu"],
            "{name}: ccs use <empty>"
        );
        for command in ["path", "remove", "rm"] {
            assert_eq!(
                ask(&sandbox, shell, &["ccs", command, "w"], None),
                ["work", "work-eu"],
                "{name}: ccs {command} w"
            );
        }
        assert_eq!(
            ask(&sandbox, shell, &["ccs", "rem"], None),
            ["remove"],
            "{name}: ccs rem"
        );
        let re = ask(&sandbox, shell, &["ccs", "re"], None);
        assert!(
            re.contains(&"remove".to_owned()) && re.iter().all(|c| c.starts_with("re")),
            "{name}: ccs re: {re:?}"
        );
        assert_eq!(
            ask(&sandbox, shell, &["ccs", "off", "--shell", "f"], None),
            ["fish"],
            "{name}: ccs off --shell f"
        );
        // `create` takes a new name: nothing to offer from the store.
        assert_eq!(
            values(&ask(&sandbox, shell, &["ccs", "create", "w"], None)),
            Vec::<&str>::new(),
            "{name}: ccs create w"
        );
    }
}

/// A thousand profiles, names of every allowed shape: every one is offered, once, in the
/// store's order (a correctness test: no time is measured).
#[test]
fn a_thousand_profiles_all_complete() {
    let sandbox = Sandbox::new();
    let instances = sandbox.ccs_home.join("instances");
    fs::create_dir_all(&instances).unwrap();
    let mut names: Vec<String> = (0..1000)
        .map(|i| match i % 4 {
            0 => format!("user{i}"),
            1 => format!("{i}-team.eu"),
            2 => format!("W_{i}"),
            _ => format!("a{i}b-c_d.e"),
        })
        .collect();
    for name in &names {
        fs::create_dir(instances.join(name)).unwrap();
    }
    names.sort();

    for shell in shells::ALL {
        let got = ask(&sandbox, shell, &["ccs", "use", ""], None);
        assert_eq!(
            values(&got),
            names,
            "{}: not every profile was offered, or not once each",
            shell.name
        );
    }

    // Through the shells' own code, which splits and keeps the answer.
    if BASH.here() {
        let out = sandbox.shell(
            BASH,
            "eval \"$(ccs init bash)\"\n\
             COMP_WORDS=(ccs use ''); COMP_CWORD=2; COMP_TYPE=9\n\
             COMP_LINE='ccs use '; COMP_POINT=${#COMP_LINE}\n\
             _clap_complete_ccs ccs '' use\n\
             printf '%s\\n' \"${COMPREPLY[@]}\"\n",
        );
        let text = clean_success(&out, BASH.name);
        let got: Vec<String> = text.lines().map(str::to_owned).collect();
        assert_eq!(values(&got), names, "bash's COMPREPLY");
    }
    if FISH.here() {
        let out = sandbox.shell(FISH, "ccs init fish | source\ncomplete -C 'ccs use '\n");
        let text = clean_success(&out, FISH.name);
        let got: Vec<String> = text
            .lines()
            .map(|l| l.split('\t').next().unwrap_or(l).to_owned())
            .collect();
        assert_eq!(values(&got), names, "fish's complete -C");
    }
}

/// Only profiles in the store in use are offered: not entries of `instances/` that are not
/// profiles, not what sits beside it, not another store, not the working directory.
#[test]
fn completion_offers_nothing_from_outside_the_store() {
    let sandbox = Sandbox::with_ccs_home("store");
    sandbox.create("work");
    let instances = sandbox.ccs_home.join("instances");
    // In `instances/`, but not profiles: a file with a profile's name, the temporary
    // directories of a create and a remove in progress, names ccs would refuse, a dead link.
    fs::write(instances.join("wnotes"), "").unwrap();
    fs::create_dir(instances.join(".creating-wip-123")).unwrap();
    fs::create_dir(instances.join(".removing-wold-123")).unwrap();
    fs::create_dir(instances.join("w x")).unwrap();
    fs::create_dir(instances.join("w..x")).unwrap();
    fs::create_dir(instances.join("-w")).unwrap();
    symlink(sandbox.root.join("nowhere"), instances.join("wgone")).unwrap();
    // Beside `instances/`, in the default store (not the one CCS_HOME names), in ~/.claude.
    fs::create_dir(sandbox.ccs_home.join("wbeside")).unwrap();
    fs::create_dir_all(sandbox.home.join(".ccs/instances/wdefault")).unwrap();
    fs::create_dir_all(sandbox.home.join(".claude/projects/wclaude")).unwrap();
    // The working directory, with an `instances/` of its own.
    let cwd = sandbox.root.join("cwd");
    fs::create_dir_all(cwd.join("instances/wlocal")).unwrap();
    fs::write(cwd.join("wfile"), "").unwrap();
    fs::create_dir(cwd.join("wdir")).unwrap();

    for shell in shells::ALL {
        let name = shell.name;
        for command in ["use", "path", "remove"] {
            assert_eq!(
                ask(&sandbox, shell, &["ccs", command, "w"], Some(&cwd)),
                ["work"],
                "{name}: ccs {command} w"
            );
            assert_eq!(
                values(&ask(&sandbox, shell, &["ccs", command, ""], Some(&cwd))),
                ["work"],
                "{name}: ccs {command} <empty>"
            );
        }
    }
}

/// No store, or one that cannot be read: no name is offered, nothing is written on stderr (where
/// bash and fish would show it in the middle of the command line), the exit code is 0 (bash
/// drops all candidates on failure) and no store is created.
#[test]
fn without_a_usable_store_completion_offers_no_name_and_no_error() {
    let missing = Sandbox::new();
    let file = Sandbox::with_ccs_home("a-file");
    fs::write(&file.ccs_home, "not a directory").unwrap();
    let relative = Sandbox::new();
    let not_utf8 = Sandbox::new();
    let cases: [(&str, &Sandbox, Option<&OsStr>); 4] = [
        ("no store", &missing, None),
        ("CCS_HOME is a file", &file, None),
        (
            "CCS_HOME is relative",
            &relative,
            Some(OsStr::new("relative/store")),
        ),
        (
            "CCS_HOME is not UTF-8",
            &not_utf8,
            Some(OsStr::from_bytes(b"/tmp/ccs-\xff-store")),
        ),
    ];
    for (case, sandbox, ccs_home) in cases {
        for shell in shells::ALL {
            for words in [
                &["ccs", "use", "w"][..],
                &["ccs", "use", ""],
                &["ccs", "remove", ""],
                &["ccs", "path", "p"],
            ] {
                let out = ask_raw(sandbox, shell, words, None, |cmd| {
                    if let Some(value) = ccs_home {
                        cmd.env("CCS_HOME", value);
                    }
                });
                let got = candidates(shell, &out, words);
                assert_eq!(
                    values(&got),
                    Vec::<&str>::new(),
                    "{case}: {}: completing {words:?}",
                    shell.name
                );
            }
        }
    }
    assert!(!missing.ccs_home.exists(), "completion created the store");
}

// ---------------------------------------------------------------------------------------------
// The shells' own completion code, without a terminal

/// `ccs off --shell=f`: bash splits the word at `=` (it is in COMP_WORDBREAKS), and the
/// registration passes COMP_WORDS on as they are, so the binary is asked about
/// `ccs off --shell = f`, takes `=` for the value and `f` for a stray argument, and offers
/// nothing; zsh and fish pass `--shell=f` whole and get `--shell=fish`. Ignored until the bash
/// registration rejoins `--flag` `=` `value` (or the hook wraps it to do so); `--shell f` works.
#[test]
#[ignore = "known gap in clap_complete's bash script: a `--flag=value` word is split at `=`"]
fn bash_completes_a_flag_value_written_with_equals() {
    if !BASH.here() {
        return;
    }
    let sandbox = Sandbox::new();
    // The words and index bash's programmable completion gives for `ccs off --shell=f<Tab>`.
    let out = sandbox.shell(
        BASH,
        "eval \"$(ccs init bash)\"\n\
         COMP_WORDS=(ccs off --shell = f); COMP_CWORD=4; COMP_TYPE=9\n\
         COMP_LINE='ccs off --shell=f'; COMP_POINT=${#COMP_LINE}\n\
         _clap_complete_ccs ccs f =\n\
         printf '%s\\n' \"${COMPREPLY[@]}\"\n",
    );
    assert_eq!(clean_success(&out, BASH.name), "fish\n");
}

#[test]
fn fish_complete_c_lists_the_profiles_and_the_subcommands() {
    if !FISH.here() {
        return;
    }
    let sandbox = Sandbox::with_profiles(&["work", "work-eu", "personal"]);
    let out = sandbox.shell(
        FISH,
        "ccs init fish | source\n\
         complete -C 'ccs use '\n\
         echo ---\n\
         complete -C 'ccs use w'\n\
         echo ---\n\
         complete -C 'ccs '\n",
    );
    let text = clean_success(&out, FISH.name);
    let sections: Vec<Vec<&str>> = text
        .split("---\n")
        .map(|section| {
            section
                .lines()
                .map(|line| line.split('\t').next().unwrap_or(line))
                .collect()
        })
        .collect();
    let [use_any, use_w, top] = sections.as_slice() else {
        panic!("three sections expected from fish:\n{text}");
    };

    // `ccs use <Tab>`: the profiles, sorted, then `use`'s own flags (clap offers a command's
    // flags when the word is empty); no file of the working directory, nothing else.
    assert_eq!(
        use_any,
        &[
            "personal", "work", "work-eu", "--shell", "--color", "--help"
        ],
        "complete -C 'ccs use ':\n{text}"
    );
    assert_eq!(
        values(&use_any.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
        ["personal", "work", "work-eu"],
        "the names offered for `ccs use` are exactly the profiles"
    );
    // With a letter typed, exactly the profiles that start with it.
    assert_eq!(
        use_w,
        &["work", "work-eu"],
        "complete -C 'ccs use w':\n{text}"
    );
    // `ccs <Tab>`: every subcommand.
    for sub in [
        "create",
        "list",
        "use",
        "off",
        "current",
        "path",
        "remove",
        "init",
        "completions",
    ] {
        assert!(
            top.contains(&sub),
            "complete -C 'ccs ' does not offer {sub}:\n{text}"
        );
    }
    // And the profiles, for `ccs NAME "task"`, after every subcommand.
    let last_command = top.iter().position(|c| *c == "completions").unwrap();
    for profile in ["personal", "work", "work-eu"] {
        let at = top.iter().position(|c| *c == profile);
        assert!(
            at.is_some_and(|at| at > last_command),
            "complete -C 'ccs ' does not offer {profile} after the subcommands:\n{text}"
        );
    }
}

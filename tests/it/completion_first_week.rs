//! Tab completion where the words are another program's (issue 20, item 9): after
//! `ccs exec NAME` the programs on PATH, then files; after `ccs NAME` (claude as profile NAME)
//! files, nothing of ccs's own; and `ccs <Tab>` offering the profiles after the commands.
//!
//! Two layers, as for the rest of completion: what the binary answers each shell's request
//! (`common/completion.rs`, every shell including PowerShell's request format), and Tab pressed
//! in interactive bash, zsh and fish in tmux, read back from the screen.
// Unix only: executables on PATH are files with an execute bit.
#![cfg(unix)]

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::PathBuf;

use crate::common::completion::{ask, ask_raw, candidates};
use crate::common::shells::{self, POWERSHELL, TestShell};
use crate::common::tmux::{Term, can_run, edit_line, printed_below, wait_line};
use crate::common::{BIN, Sandbox, stdout};

/// A directory to be all of PATH: programs `claude` and `clamp`, a file `clank` that does not
/// run, a directory `clapdir`. Beside it `ccs/`, holding a link to the binary under test, which
/// the tmux shells' hook needs on PATH too.
fn programs(sandbox: &Sandbox) -> PathBuf {
    let bin = sandbox.root.join("bin");
    fs::create_dir(&bin).unwrap();
    for (name, mode) in [("claude", 0o755), ("clamp", 0o755), ("clank", 0o644)] {
        let path = bin.join(name);
        fs::write(&path, "#!/bin/sh\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    }
    fs::create_dir(bin.join("clapdir")).unwrap();
    fs::create_dir(sandbox.root.join("ccs")).unwrap();
    symlink(BIN, sandbox.root.join("ccs/ccs")).unwrap();
    bin
}

/// The working directory: files that complete as a command's arguments.
fn files(sandbox: &Sandbox) -> PathBuf {
    let dir = sandbox.root.join("cwd");
    fs::create_dir(&dir).unwrap();
    for file in ["wallet.txt", "readme.md"] {
        fs::write(dir.join(file), "").unwrap();
    }
    fs::create_dir(dir.join("pictures")).unwrap();
    dir
}

struct Setup {
    sandbox: Sandbox,
    bin: PathBuf,
    cwd: PathBuf,
}

fn setup() -> Setup {
    let sandbox = Sandbox::with_profiles(&["work", "personal"]);
    let bin = programs(&sandbox);
    let cwd = files(&sandbox);
    Setup { sandbox, bin, cwd }
}

/// The candidates `shell` gets for `words`, with PATH the programs' directory and the files'
/// directory current (ccs is not on it).
fn answer(s: &Setup, shell: TestShell, words: &[&str]) -> Vec<String> {
    let out = ask_raw(&s.sandbox, shell, words, Some(&s.cwd), |cmd| {
        cmd.env("PATH", &s.bin);
    });
    candidates(shell, &out, words)
}

const PROGRAMS: [&str; 2] = ["clamp", "claude"];

// ---------------------------------------------------------------------------------------------
// What the binary answers, asked as each shell's registration asks

/// `ccs exec work <Tab>` and `ccs exec work cla<Tab>`: the programs on PATH, not `--help` (a
/// file that does not run and a directory are no programs); then, the program's arguments:
/// files.
#[test]
fn exec_completes_a_program_then_files() {
    let s = setup();
    for shell in shells::ALL {
        let name = shell.name;
        for words in [
            &["ccs", "exec", "work", ""][..],
            &["ccs", "exec", "work", "cla"],
        ] {
            assert_eq!(answer(&s, shell, words), PROGRAMS, "{name}: {words:?}");
        }
        assert_eq!(
            answer(&s, shell, &["ccs", "exec", "work", "clau"]),
            ["claude"],
            "{name}"
        );
        // exec's own flags before NAME and the program still count as ccs's.
        assert_eq!(
            answer(
                &s,
                shell,
                &["ccs", "exec", "--color", "never", "work", "cla"]
            ),
            PROGRAMS,
            "{name}"
        );
        // After the program: its arguments, files as a shell completes them; nothing of ccs's.
        assert_eq!(
            answer(&s, shell, &["ccs", "exec", "work", "claude", ""]),
            ["pictures/", "readme.md", "wallet.txt"],
            "{name}"
        );
        assert_eq!(
            answer(&s, shell, &["ccs", "exec", "work", "claude", "wa"]),
            ["wallet.txt"],
            "{name}"
        );
        assert_eq!(
            answer(&s, shell, &["ccs", "exec", "work", "claude", "-"]),
            Vec::<String>::new(),
            "{name}: a flag there is the program's"
        );
    }
}

/// `ccs exec work -- cla<Tab>`: the same after `--`.
#[test]
fn exec_completes_a_program_after_the_separator() {
    let s = setup();
    for shell in shells::ALL {
        let name = shell.name;
        for words in [
            &["ccs", "exec", "work", "--", ""][..],
            &["ccs", "exec", "work", "--", "cla"],
        ] {
            assert_eq!(answer(&s, shell, words), PROGRAMS, "{name}: {words:?}");
        }
        assert_eq!(
            answer(
                &s,
                shell,
                &["ccs", "exec", "work", "--", "claude", "-p", "wa"]
            ),
            ["wallet.txt"],
            "{name}"
        );
    }
}

/// `ccs work <Tab>`: the words after a profile's name are claude's; no command of ccs's (`us`
/// would be `use` and `usage`), no flag of ccs's; files.
#[test]
fn after_a_profile_name_nothing_of_ccs_is_offered() {
    let s = setup();
    for shell in shells::ALL {
        let name = shell.name;
        assert_eq!(
            answer(&s, shell, &["ccs", "work", ""]),
            ["pictures/", "readme.md", "wallet.txt"],
            "{name}"
        );
        for words in [
            &["ccs", "work", "us"][..],
            &["ccs", "work", "--c"],
            &["ccs", "--color", "never", "personal", "us"],
            &["ccs", "work", "task", "us"],
        ] {
            assert_eq!(
                answer(&s, shell, words),
                Vec::<String>::new(),
                "{name}: {words:?}"
            );
        }
    }
}

/// `ccs <Tab>`: the commands, then the profiles (`ccs NAME "task"`), described where the shell
/// shows descriptions; a profile a command shadows (`list`) is not offered as one.
#[test]
fn the_profiles_complete_after_the_commands() {
    let s = setup();
    s.sandbox.create("list");
    for shell in shells::ALL {
        let name = shell.name;
        let all = answer(&s, shell, &["ccs", ""]);
        let at = |word: &str| all.iter().position(|c| c == word);
        let last_command = at("completions").unwrap_or_else(|| panic!("{name}: {all:?}"));
        for profile in ["personal", "work"] {
            let i = at(profile).unwrap_or_else(|| panic!("{name}: no {profile} in {all:?}"));
            assert!(
                i > last_command,
                "{name}: {profile} before a command: {all:?}"
            );
        }
        assert_eq!(
            all.iter().filter(|c| *c == "list").count(),
            1,
            "{name}: {all:?}"
        );
        assert_eq!(
            answer(&s, shell, &["ccs", "p"]),
            ["path", "pin", "personal"],
            "{name}"
        );
        assert_eq!(answer(&s, shell, &["ccs", "wo"]), ["work"], "{name}");

        let out = ask_raw(&s.sandbox, shell, &["ccs", "pe"], None, |_| {});
        let text = stdout(&out);
        match shell.completion.description {
            Some(sep) => assert_eq!(
                text.trim_end(),
                format!("personal{sep}Run claude as this profile"),
                "{name}"
            ),
            None => assert_eq!(text, "personal", "{name}"),
        }
    }
}

/// No store (no profile ever created): the programs still complete after `ccs exec NAME`, the
/// commands at `ccs <Tab>`, silently, and no store is created.
#[test]
fn without_a_store_programs_and_commands_still_complete() {
    let s = setup();
    let sandbox = Sandbox::new();
    for shell in shells::ALL {
        let out = ask_raw(
            &sandbox,
            shell,
            &["ccs", "exec", "work", "cla"],
            None,
            |cmd| {
                cmd.env("PATH", &s.bin);
            },
        );
        let got = candidates(shell, &out, &["ccs", "exec", "work", "cla"]);
        assert_eq!(got, PROGRAMS, "{}", shell.name);
        let all = ask(&sandbox, shell, &["ccs", "p"], None);
        assert_eq!(all, ["path", "pin"], "{}", shell.name);
    }
    assert!(!sandbox.ccs_home.exists());
}

/// PowerShell through the hook's `ccs` function loses the first `--` (see
/// completion_powershell.rs): exec's own `--` must still be read as exec's.
#[test]
fn powershell_request_through_the_hook_function_completes_a_program_after_the_separator() {
    let s = setup();
    for args in [
        &["--", "ccs", "exec", "work", "--", "cla"][..],
        &["ccs", "exec", "work", "--", "cla"],
    ] {
        let out = s
            .sandbox
            .ccs(args)
            .env("CCS_COMPLETE", POWERSHELL.name)
            .env("PATH", &s.bin)
            .output()
            .unwrap();
        assert!(out.status.success() && out.stderr.is_empty(), "{args:?}");
        assert_eq!(stdout(&out), "clamp\nclaude\n", "{args:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Tab pressed in a real shell

/// The hook installed at the first prompt (zsh after `compinit`), PATH set to the programs'
/// directory, the files' directory current.
fn start<'a>(s: &'a Setup, shell: TestShell) -> Term<'a> {
    let mut term = Term::start(&s.sandbox, shell);
    let prompt = term.prompt().to_owned();
    if shell.name == "zsh" {
        term.expect("autoload -Uz compinit && compinit -u", &[], &prompt);
    }
    term.expect(&shell.source_hook(""), &[], &prompt);
    term.expect(
        &shell.export(
            "PATH",
            &format!(
                "'{}:{}'",
                s.bin.display(),
                s.sandbox.root.join("ccs").display()
            ),
        ),
        &[],
        &prompt,
    );
    term.expect(&format!("cd '{}'", s.cwd.display()), &[], &prompt);
    term
}

/// Types `typed` at an empty line and presses Tab; returns the row typed on.
fn type_tab(term: &Term, typed: &str) -> usize {
    let row = wait_line(term, "", "an empty command line").row;
    term.type_text(typed);
    term.wait_for_screen(&format!("`{typed}` to show"), |screen| {
        (screen.before_cursor() == edit_line(term, typed)).then_some(())
    });
    term.press(&["Tab"]);
    row
}

/// Tab after `typed` makes the line `want`, and prints nothing.
fn tab(term: &Term, typed: &str, want: &str) {
    let row = type_tab(term, typed);
    let screen = wait_line(term, want, &format!("Tab after `{typed}` to make `{want}`"));
    let printed = printed_below(&screen, row);
    assert!(
        printed.is_empty(),
        "{}: Tab after `{typed}` printed {printed:?}:\n{}",
        term.program(),
        screen.show()
    );
    clear_line(term);
}

/// Tab after `typed` makes the line `line`, and `keys` then list `names`, in this order (each
/// on the screen after the one before), the line unchanged; with `shown` printed too (a
/// description).
fn tab_lists(term: &Term, typed: &str, line: &str, keys: &[&str], names: &[&str], shown: &str) {
    let row = type_tab(term, typed);
    wait_line(term, line, &format!("Tab after `{typed}` to make `{line}`"));
    if !keys.is_empty() {
        term.press(keys);
    }
    let want = edit_line(term, line);
    term.wait_for_screen(
        &format!("{keys:?} to list {names:?} (and {shown:?}) under `{line}`"),
        |screen| {
            let printed = printed_below(screen, row).join("\n");
            let mut from = 0;
            let in_order = names
                .iter()
                .all(|name| match find_word(&printed[from..], name) {
                    Some(at) => {
                        from += at + name.len();
                        true
                    }
                    None => false,
                });
            (in_order
                && printed.contains(shown)
                && screen.before_cursor() == want
                && screen.after_cursor().is_empty())
            .then_some(())
        },
    );
    clear_line(term);
}

/// Where `word` first stands alone in `text` (not inside a longer word).
fn find_word(text: &str, word: &str) -> Option<usize> {
    let is_word = |c: char| c.is_alphanumeric() || c == '-' || c == '_' || c == '.';
    text.match_indices(word).map(|(at, _)| at).find(|&at| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

/// Tab (and the keys that would list) after `typed` leaves the line alone and prints nothing.
fn tab_completes_nothing(term: &Term, shell: TestShell, typed: &str) {
    let row = type_tab(term, typed);
    if !shell.list_keys.is_empty() {
        term.press(shell.list_keys);
    }
    term.type_text("Z");
    let screen = wait_line(
        term,
        &format!("{typed}Z"),
        &format!("Tab after `{typed}` to leave the line alone"),
    );
    let printed = printed_below(&screen, row);
    assert!(
        printed.is_empty(),
        "{}: Tab after `{typed}` printed {printed:?}:\n{}",
        term.program(),
        screen.show()
    );
    clear_line(term);
}

fn clear_line(term: &Term) {
    term.press(&["C-u"]);
    wait_line(term, "", "Ctrl-U to empty the command line");
}

/// The keys that list the candidates when Tab could not extend the word: bash rings the bell
/// at the first Tab and lists at the second; zsh and fish list at the first.
fn keys_to_list(shell: TestShell) -> &'static [&'static str] {
    if shell.name == "bash" { &["Tab"] } else { &[] }
}

/// Item 1: `ccs exec work <Tab>` gives the programs' common prefix, then lists the programs
/// (ccs is one), not `--help`; then the program's arguments complete as files.
fn exec_program(term: &Term, shell: TestShell) {
    tab_lists(
        term,
        "ccs exec work ",
        "ccs exec work c",
        shell.list_keys,
        &["ccs", "clamp", "claude"],
        "",
    );
    tab(term, "ccs exec work clau", "ccs exec work claude ");
    tab(
        term,
        "ccs exec work claude wal",
        "ccs exec work claude wallet.txt ",
    );
}

/// Item 2: the same after `--`.
fn exec_program_after_separator(term: &Term, _: TestShell) {
    tab(term, "ccs exec work -- clau", "ccs exec work -- claude ");
    tab(
        term,
        "ccs exec work -- claude -p wal",
        "ccs exec work -- claude -p wallet.txt ",
    );
}

/// Item 3: after a profile's name, claude's words: no command of ccs's (`use`, `usage`);
/// files.
fn after_profile(term: &Term, shell: TestShell) {
    tab_completes_nothing(term, shell, "ccs work us");
    tab(term, "ccs work wal", "ccs work wallet.txt ");
}

/// Item 4: `ccs <Tab>` offers the profiles too, after the commands, described where the shell
/// shows descriptions (bash shows none).
fn profiles_after_commands(term: &Term, shell: TestShell) {
    tab(term, "ccs pe", "ccs personal ");
    let description = if shell.name == "bash" {
        ""
    } else {
        "Run claude as this profile"
    };
    tab_lists(
        term,
        "ccs p",
        "ccs p",
        keys_to_list(shell),
        &["path", "pin", "personal"],
        description,
    );
}

fn at_the_prompt(shell: TestShell, item: fn(&Term, TestShell)) {
    if !can_run(shell) {
        return;
    }
    let s = setup();
    let term = start(&s, shell);
    item(&term, shell);
}

macro_rules! at_the_prompt {
    ($($test:ident: $shell:ident, $item:ident;)*) => {
        $(
            #[test]
            fn $test() {
                at_the_prompt(shells::$shell, $item);
            }
        )*
    };
}

at_the_prompt! {
    bash_exec_completes_a_program: BASH, exec_program;
    zsh_exec_completes_a_program: ZSH, exec_program;
    fish_exec_completes_a_program: FISH, exec_program;
    bash_exec_completes_a_program_after_the_separator: BASH, exec_program_after_separator;
    zsh_exec_completes_a_program_after_the_separator: ZSH, exec_program_after_separator;
    fish_exec_completes_a_program_after_the_separator: FISH, exec_program_after_separator;
    bash_offers_nothing_of_ccs_after_a_profile: BASH, after_profile;
    zsh_offers_nothing_of_ccs_after_a_profile: ZSH, after_profile;
    fish_offers_nothing_of_ccs_after_a_profile: FISH, after_profile;
    bash_offers_the_profiles_after_the_commands: BASH, profiles_after_commands;
    zsh_offers_the_profiles_after_the_commands: ZSH, profiles_after_commands;
    fish_offers_the_profiles_after_the_commands: FISH, profiles_after_commands;
}

//! Tab completion (issue 3), as people and packagers get it.
//!
//! - A person at a real terminal: interactive bash, zsh and fish in tmux (the driver in
//!   `common/tmux.rs`), the hook installed the README way, Tab pressed, the command line and the
//!   candidate list read back from the screen with the cursor position, so that a completed word
//!   is told apart from a suggestion and the space typed after it is seen.
//! - What each shell's registration asks the binary (`CCS_COMPLETE=<shell> ccs -- <words>`), and
//!   what it answers: profile names from the store and nothing else, for one profile or a
//!   thousand, and nothing at all, silently, when there is no store.
//! - fish's own `complete -C`, without a terminal.
//! - The scripts checked in under `completions/`, byte for byte against the binary.
//! - PowerShell, which cannot run here: its registration parsed with tree-sitter-powershell, and
//!   the binary's answer to the request that registration makes.
//!
//! Interactive steps wait for the screen (polling, with a timeout that panics with the screen),
//! never for a fixed time.

mod common;
#[path = "common/pwsh.rs"]
mod pwsh;

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::tmux::{self, Screen, Term, can_run};
use common::{Sandbox, clean_success, have, stderr, stdout};
use pwsh::{descendants, text};
use tree_sitter::Tree;

/// The shells whose completion protocol the binary speaks, as `CCS_COMPLETE` names them.
const PROTOCOLS: [&str; 4] = ["bash", "zsh", "fish", "powershell"];

// ---------------------------------------------------------------------------------------------
// Asking the binary directly, as each shell's registration does

/// Runs one completion request the way `shell`'s registration makes it: the words of the command
/// line after `--`, the last one being the word under the cursor (possibly empty), and the
/// variables that registration sets. Insists that it succeeded and wrote nothing on stderr (bash
/// and fish show a completer's stderr in the middle of the command line). Returns the candidate
/// values, descriptions stripped.
fn ask(sandbox: &Sandbox, shell: &str, words: &[&str], cwd: Option<&Path>) -> Vec<String> {
    let out = ask_raw(sandbox, shell, words, cwd, |_| {});
    candidates(shell, &out, words)
}

fn ask_raw(
    sandbox: &Sandbox,
    shell: &str,
    words: &[&str],
    cwd: Option<&Path>,
    adjust: impl FnOnce(&mut std::process::Command),
) -> Output {
    let mut cmd = sandbox.ccs(std::iter::once("--").chain(words.iter().copied()));
    cmd.env("CCS_COMPLETE", shell);
    let index = (words.len() - 1).to_string();
    match shell {
        "bash" => {
            cmd.env("_CLAP_IFS", "\u{b}")
                .env("_CLAP_COMPLETE_INDEX", &index)
                .env("_CLAP_COMPLETE_COMP_TYPE", "9")
                .env("_CLAP_COMPLETE_SPACE", "false");
        }
        "zsh" => {
            cmd.env("_CLAP_IFS", "\n")
                .env("_CLAP_COMPLETE_INDEX", &index);
        }
        "fish" | "powershell" => {}
        other => panic!("no completion protocol for {other}"),
    }
    if let Some(cwd) = cwd {
        cmd.current_dir(cwd);
    }
    adjust(&mut cmd);
    cmd.output().unwrap()
}

/// The candidate values in a completion answer, checked to be a clean one.
fn candidates(shell: &str, out: &Output, words: &[&str]) -> Vec<String> {
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{shell}: completing {words:?}: status {:?}\nstdout: {}\nstderr: {}",
        out.status,
        stdout(out),
        stderr(out)
    );
    let text = stdout(out);
    let entries: Vec<&str> = match shell {
        // bash splits the answer at the separator its registration passed in _CLAP_IFS.
        "bash" => text.split('\u{b}').filter(|e| !e.is_empty()).collect(),
        _ => text.lines().filter(|e| !e.is_empty()).collect(),
    };
    entries
        .into_iter()
        .map(|entry| {
            let value = match shell {
                // `value:description`, a ':' in the value escaped (profile names have none).
                "zsh" => entry.split(':').next().unwrap_or(entry),
                "fish" | "powershell" => entry.split('\t').next().unwrap_or(entry),
                _ => entry,
            };
            value.to_owned()
        })
        .collect()
}

/// The candidates that are not flags.
fn values(candidates: &[String]) -> Vec<&str> {
    candidates
        .iter()
        .map(String::as_str)
        .filter(|c| !c.starts_with('-'))
        .collect()
}

fn sandbox_with(profiles: &[&str]) -> Sandbox {
    let sandbox = Sandbox::new();
    for name in profiles {
        sandbox.create(name);
    }
    sandbox
}

// ---------------------------------------------------------------------------------------------
// A person at a terminal

/// How a person sets up one shell, and how that shell shows candidates.
#[derive(Clone, Copy)]
struct Person {
    shell: tmux::Shell,
    /// A start-up file written before the shell starts: its path under HOME and its text.
    rc_file: Option<(&'static str, &'static str)>,
    /// Lines typed at the first prompt, in order, to install the hook the README way.
    install: &'static [&'static str],
    /// A command typed after the install and the one line it must print: a check that the set-up
    /// is the one the test means to exercise.
    check: Option<(&'static str, &'static str)>,
    /// The keys that list the candidates once Tab has completed their common prefix: bash wants
    /// two more (the first only rings the bell), zsh one, fish showed them with the first Tab.
    list_keys: &'static [&'static str],
    /// The start of a line that sets and exports CCS_HOME in this shell.
    set_ccs_home: &'static str,
}

const BASH: Person = Person {
    shell: tmux::BASH,
    rc_file: None,
    install: &[r#"eval "$(ccs init bash)""#],
    check: None,
    list_keys: &["Tab", "Tab"],
    set_ccs_home: "export CCS_HOME=",
};

/// compinit first, then the hook: `compdef` exists, and the hook registers at once.
const ZSH_COMPINIT_FIRST: Person = Person {
    shell: tmux::ZSH,
    rc_file: None,
    install: &[
        "autoload -Uz compinit && compinit -u",
        r#"eval "$(ccs init zsh)""#,
    ],
    check: Some(("echo $_comps[ccs]", "_clap_dynamic_completer_ccs")),
    list_keys: &["Tab"],
    set_ccs_home: "export CCS_HOME=",
};

/// The hook first, compinit after it, both in ~/.zshrc: `compdef` does not exist yet when the
/// hook runs, so it registers at the first prompt. zsh reads the user's ~/.zshrc here (and none
/// of the system's start-up files), as a person's shell does. The line between the two records
/// that `compdef` was indeed missing when the hook ran.
const ZSH_COMPINIT_AFTER: Person = Person {
    shell: tmux::Shell {
        flags: &["--no-globalrcs", "-i"],
        ..tmux::ZSH
    },
    rc_file: Some((
        ".zshrc",
        "eval \"$(ccs init zsh)\"\n\
         compdef_when_hook_ran=$+functions[compdef]\n\
         autoload -Uz compinit && compinit -u\n",
    )),
    install: &[],
    check: Some(("echo compdef=$compdef_when_hook_ran", "compdef=0")),
    list_keys: &["Tab"],
    set_ccs_home: "export CCS_HOME=",
};

const FISH: Person = Person {
    shell: tmux::FISH,
    rc_file: None,
    install: &["ccs init fish | source"],
    check: None,
    list_keys: &[],
    set_ccs_home: "set -gx CCS_HOME ",
};

/// Starts the person's shell in `sandbox`, installs the hook, and moves to `cwd`.
fn start<'a>(sandbox: &'a Sandbox, person: Person, cwd: &Path) -> Term<'a> {
    if let Some((file, text)) = person.rc_file {
        fs::write(sandbox.home.join(file), text).unwrap();
    }
    let mut term = Term::start(sandbox, person.shell);
    let prompt = term.prompt().to_owned();
    for line in person.install {
        term.expect(line, &[], &prompt);
    }
    if let Some((command, output)) = person.check {
        term.expect(command, &[output], &prompt);
    }
    // Sandbox paths hold no quote, so single quotes suit all three shells.
    term.expect(&format!("cd '{}'", cwd.display()), &[], &prompt);
    term
}

/// The command line as the screen shows it while `text` is being edited: prompt, space, text.
fn edit_line(term: &Term, text: &str) -> String {
    format!("{} {text}", term.prompt())
}

/// Waits until the command line reads `text` with the cursor right after it and nothing shown
/// beyond the cursor (a fish autosuggestion would be).
fn wait_line(term: &Term, text: &str, what: &str) -> Screen {
    let want = edit_line(term, text);
    term.wait_for_screen(what, |screen| {
        (screen.before_cursor() == want && screen.after_cursor().is_empty()).then(|| screen.clone())
    })
}

/// The non-blank lines below `row` other than the cursor's: what the shell printed while the
/// line was being edited (a candidate list, or an error that should not be there).
fn printed_below(screen: &Screen, row: usize) -> Vec<String> {
    screen
        .lines
        .iter()
        .enumerate()
        .skip(row + 1)
        .filter(|(i, line)| *i != screen.row && !line.is_empty())
        .map(|(_, line)| line.clone())
        .collect()
}

/// Types `typed` at an empty command line and presses Tab: the line must come to read `want`,
/// cursor at its end. Returns the row the line was typed on and the screen.
fn type_and_tab(term: &Term, typed: &str, want: &str) -> (usize, Screen) {
    let row = wait_line(term, "", "an empty command line").row;
    term.type_text(typed);
    term.wait_for_screen(&format!("`{typed}` to show"), |screen| {
        (screen.before_cursor() == edit_line(term, typed)).then_some(())
    });
    term.press(&["Tab"]);
    let screen = wait_line(
        term,
        want,
        &format!("Tab after `{typed}` to make the line `{want}`"),
    );
    (row, screen)
}

/// `type_and_tab` for a word with one candidate: the line must come to read `want`, and nothing
/// may be printed (no list, no error).
fn tab(term: &Term, typed: &str, want: &str) {
    let (row, screen) = type_and_tab(term, typed, want);
    let printed = printed_below(&screen, row);
    assert!(
        printed.is_empty(),
        "{}: Tab after `{typed}` printed {printed:?}; the screen (█ is the cursor):\n{}",
        term.program(),
        screen.show()
    );
}

/// After `type_and_tab` has completed a common prefix, `keys` list the candidates: exactly
/// `names`, on one line, with the command line still reading `line`, and nothing else printed.
fn list(term: &Term, row: usize, keys: &[&str], line: &str, names: &[&str]) {
    if !keys.is_empty() {
        term.press(keys);
    }
    let want = edit_line(term, line);
    term.wait_for_screen(
        &format!("{keys:?} to list exactly {names:?} under `{line}`"),
        |screen| {
            let printed = printed_below(screen, row);
            let listed =
                printed.len() == 1 && printed[0].split_whitespace().eq(names.iter().copied());
            (listed && screen.before_cursor() == want && screen.after_cursor().is_empty())
                .then_some(())
        },
    );
}

/// Types `typed`, presses Tab (and the keys that would list candidates), then one more letter:
/// once that letter shows, the shell has finished with Tab. The line must be `typed` unchanged,
/// and nothing printed: no candidate, no error.
fn tab_completes_nothing(term: &Term, person: Person, typed: &str) {
    let row = wait_line(term, "", "an empty command line").row;
    term.type_text(typed);
    term.wait_for_screen(&format!("`{typed}` to show"), |screen| {
        (screen.before_cursor() == edit_line(term, typed)).then_some(())
    });
    term.press(&["Tab"]);
    if !person.list_keys.is_empty() {
        term.press(person.list_keys);
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
        "{}: Tab after `{typed}` should complete and print nothing, but printed {printed:?}; \
         the screen (█ is the cursor):\n{}",
        term.program(),
        screen.show()
    );
}

/// Empties the command line (Ctrl-U, with the cursor at its end) and waits until it is empty.
fn clear_line(term: &Term) {
    term.press(&["C-u"]);
    wait_line(term, "", "Ctrl-U to empty the command line");
}

/// A working directory full of names that would creep into the candidates if the shell fell
/// back to completing files: each shares a prefix the tests complete.
fn decoy_dir(sandbox: &Sandbox) -> PathBuf {
    let dir = sandbox.root.join("cwd");
    fs::create_dir(&dir).unwrap();
    for file in ["wallet.txt", "readme.md", "fishbowl", "notes"] {
        fs::write(dir.join(file), "").unwrap();
    }
    for sub in ["pictures", "stash", "work-files"] {
        fs::create_dir(dir.join(sub)).unwrap();
    }
    dir
}

/// A person's session: profiles, subcommands and flag values complete with Tab, the candidates
/// shown are the profiles and nothing from the working directory, and a profile created after
/// the shell started completes with nothing re-sourced.
fn complete_at_the_prompt(person: Person) {
    if !can_run(person.shell.program) {
        return;
    }
    let sandbox = sandbox_with(&["work", "work-eu", "personal"]);
    let cwd = decoy_dir(&sandbox);
    let term = start(&sandbox, person, &cwd);

    // Two profiles start with `w`: Tab completes their common prefix, and asking again lists
    // both, and nothing else.
    let (row, _) = type_and_tab(&term, "ccs use w", "ccs use work");
    list(
        &term,
        row,
        person.list_keys,
        "ccs use work",
        &["work", "work-eu"],
    );
    clear_line(&term);

    // One profile starts with `p`: Tab completes it and the space after it.
    tab(&term, "ccs use p", "ccs use personal ");
    clear_line(&term);

    // A subcommand (`re` alone is shared with `rename`).
    tab(&term, "ccs rem", "ccs remove ");
    clear_line(&term);

    // A flag's value.
    tab(&term, "ccs off --shell f", "ccs off --shell fish ");
    clear_line(&term);

    // A profile made after the shell started (as from another terminal) completes at once.
    tab_completes_nothing(&term, person, "ccs use st");
    clear_line(&term);
    sandbox.create("staging");
    tab(&term, "ccs use st", "ccs use staging ");
    clear_line(&term);
}

#[test]
fn bash_completes_at_the_prompt() {
    complete_at_the_prompt(BASH);
}

#[test]
fn zsh_completes_at_the_prompt_with_compinit_before_the_hook() {
    complete_at_the_prompt(ZSH_COMPINIT_FIRST);
}

#[test]
fn zsh_completes_at_the_prompt_with_compinit_after_the_hook() {
    complete_at_the_prompt(ZSH_COMPINIT_AFTER);
}

#[test]
fn fish_completes_at_the_prompt() {
    complete_at_the_prompt(FISH);
}

/// With no store at all (no profile ever created), or one that cannot be read, Tab on a profile
/// name completes nothing and shows nothing: no error in the middle of the command line.
fn complete_nothing_without_a_store(person: Person) {
    if !can_run(person.shell.program) {
        return;
    }
    let sandbox = Sandbox::new();
    let cwd = decoy_dir(&sandbox);
    let mut term = start(&sandbox, person, &cwd);
    tab_completes_nothing(&term, person, "ccs use w");
    clear_line(&term);
    tab_completes_nothing(&term, person, "ccs remove p");
    clear_line(&term);
    // Subcommands still complete: they come from the definition, not the store.
    tab(&term, "ccs rem", "ccs remove ");
    clear_line(&term);
    assert!(
        !sandbox.ccs_home.exists(),
        "completion created the store at {}",
        sandbox.ccs_home.display()
    );

    // A store that cannot be read (CCS_HOME names a file): the same, and no error shows.
    let not_a_store = sandbox.root.join("not-a-store");
    fs::write(&not_a_store, "").unwrap();
    let prompt = term.prompt().to_owned();
    term.expect(
        &format!("{}'{}'", person.set_ccs_home, not_a_store.display()),
        &[],
        &prompt,
    );
    tab_completes_nothing(&term, person, "ccs use w");
    clear_line(&term);
}

#[test]
fn bash_completes_nothing_without_a_store() {
    complete_nothing_without_a_store(BASH);
}

#[test]
fn zsh_completes_nothing_without_a_store() {
    complete_nothing_without_a_store(ZSH_COMPINIT_FIRST);
}

#[test]
fn fish_completes_nothing_without_a_store() {
    complete_nothing_without_a_store(FISH);
}

/// compinit run after the first prompt that followed the hook: typed by hand as here, or
/// deferred by a plugin manager (zsh-defer, a turbo-mode compinit). The hook's late registration
/// looks for `compdef` at that first prompt only, finds none, and gives up for good, so Tab on
/// `ccs` never completes in that shell. Ignored until `__ccs_install_completion_late` in
/// shell/ccs.zsh keeps looking at later prompts: return at once while `compdef` is missing, and
/// unhook itself only once it has registered (one arithmetic test per prompt, no process).
#[test]
fn zsh_completes_when_compinit_runs_after_the_first_prompt() {
    if !can_run("zsh") {
        return;
    }
    let sandbox = sandbox_with(&["work", "work-eu", "personal"]);
    let cwd = decoy_dir(&sandbox);
    let person = Person {
        install: &[
            r#"eval "$(ccs init zsh)""#,
            "autoload -Uz compinit && compinit -u",
        ],
        ..ZSH_COMPINIT_FIRST
    };
    let term = start(&sandbox, person, &cwd);
    tab(&term, "ccs use p", "ccs use personal ");
    clear_line(&term);
}

/// `ccs off --shell=f`: bash splits the word at `=` (it is in COMP_WORDBREAKS), and the
/// registration passes COMP_WORDS on as they are, so the binary is asked about
/// `ccs off --shell = f`, takes `=` for the value and `f` for a stray argument, and offers
/// nothing; zsh and fish pass `--shell=f` whole and get `--shell=fish`. Ignored until the bash
/// registration rejoins `--flag` `=` `value` (or the hook wraps it to do so); `--shell f` works.
#[test]
#[ignore = "known gap in clap_complete's bash script: a `--flag=value` word is split at `=`"]
fn bash_completes_a_flag_value_written_with_equals() {
    if !have("bash") {
        return;
    }
    let sandbox = Sandbox::new();
    // The words and index bash's programmable completion gives for `ccs off --shell=f<Tab>`.
    let out = sandbox.shell(
        "bash",
        "eval \"$(ccs init bash)\"\n\
         COMP_WORDS=(ccs off --shell = f); COMP_CWORD=4; COMP_TYPE=9\n\
         COMP_LINE='ccs off --shell=f'; COMP_POINT=${#COMP_LINE}\n\
         _clap_complete_ccs ccs f =\n\
         printf '%s\\n' \"${COMPREPLY[@]}\"\n",
    );
    assert_eq!(clean_success(&out, "bash"), "fish\n");
}

// ---------------------------------------------------------------------------------------------
// fish without a terminal: `complete -C`

#[test]
fn fish_complete_c_lists_the_profiles_and_the_subcommands() {
    if !have("fish") {
        return;
    }
    let sandbox = sandbox_with(&["work", "work-eu", "personal"]);
    let out = sandbox.shell(
        "fish",
        "ccs init fish | source\n\
         complete -C 'ccs use '\n\
         echo ---\n\
         complete -C 'ccs use w'\n\
         echo ---\n\
         complete -C 'ccs '\n",
    );
    let text = clean_success(&out, "fish");
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
        &["personal", "work", "work-eu", "--shell", "--help"],
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
    assert!(
        top.iter()
            .all(|c| !["personal", "work", "work-eu"].contains(c)),
        "profiles offered where a subcommand goes:\n{text}"
    );
}

// ---------------------------------------------------------------------------------------------
// The checked-in scripts

/// `completions/<file>` must be exactly what the binary prints: packagers ship the file, while
/// the hook prints the binary's version, and the two must not drift apart.
fn checked_in_script_matches(shell: &str, file: &str) {
    let sandbox = Sandbox::new();
    let printed = sandbox.run(["completions", shell]);
    assert!(
        printed.status.success() && printed.stderr.is_empty(),
        "ccs completions {shell} failed: {}",
        stderr(&printed)
    );
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("completions")
        .join(file);
    let checked_in =
        fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    if checked_in != printed.stdout {
        let first_difference = checked_in
            .iter()
            .zip(&printed.stdout)
            .position(|(a, b)| a != b)
            .unwrap_or(checked_in.len().min(printed.stdout.len()));
        panic!(
            "completions/{file} differs from `ccs completions {shell}` (first at byte \
             {first_difference}; {} bytes checked in, {} printed). Regenerate it with:\n\n    \
             cargo run --quiet -- completions {shell} > completions/{file}\n\n\
             and commit the result.",
            checked_in.len(),
            printed.stdout.len()
        );
    }
}

#[test]
fn checked_in_bash_script_is_what_the_binary_prints() {
    checked_in_script_matches("bash", "ccs.bash");
}

#[test]
fn checked_in_zsh_script_is_what_the_binary_prints() {
    checked_in_script_matches("zsh", "_ccs");
}

#[test]
fn checked_in_fish_script_is_what_the_binary_prints() {
    checked_in_script_matches("fish", "ccs.fish");
}

#[test]
fn checked_in_powershell_script_is_what_the_binary_prints() {
    checked_in_script_matches("powershell", "_ccs.ps1");
}

// ---------------------------------------------------------------------------------------------
// What the binary answers

#[test]
fn every_protocol_answers_with_the_matching_profiles() {
    let sandbox = sandbox_with(&["work", "work-eu", "personal"]);
    for shell in PROTOCOLS {
        assert_eq!(
            ask(&sandbox, shell, &["ccs", "use", "w"], None),
            ["work", "work-eu"],
            "{shell}: ccs use w"
        );
        assert_eq!(
            ask(&sandbox, shell, &["ccs", "use", "p"], None),
            ["personal"],
            "{shell}: ccs use p"
        );
        assert_eq!(
            values(&ask(&sandbox, shell, &["ccs", "use", ""], None)),
            ["personal", "work", "work-eu"],
            "{shell}: ccs use <empty>"
        );
        for command in ["path", "remove", "rm"] {
            assert_eq!(
                ask(&sandbox, shell, &["ccs", command, "w"], None),
                ["work", "work-eu"],
                "{shell}: ccs {command} w"
            );
        }
        assert_eq!(
            ask(&sandbox, shell, &["ccs", "rem"], None),
            ["remove"],
            "{shell}: ccs rem"
        );
        let re = ask(&sandbox, shell, &["ccs", "re"], None);
        assert!(
            re.contains(&"remove".to_owned()) && re.iter().all(|c| c.starts_with("re")),
            "{shell}: ccs re: {re:?}"
        );
        assert_eq!(
            ask(&sandbox, shell, &["ccs", "off", "--shell", "f"], None),
            ["fish"],
            "{shell}: ccs off --shell f"
        );
        // `create` takes a new name: nothing to offer from the store.
        assert_eq!(
            values(&ask(&sandbox, shell, &["ccs", "create", "w"], None)),
            Vec::<&str>::new(),
            "{shell}: ccs create w"
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

    for shell in PROTOCOLS {
        let got = ask(&sandbox, shell, &["ccs", "use", ""], None);
        assert_eq!(
            values(&got),
            names,
            "{shell}: not every profile was offered, or not once each"
        );
    }

    // Through the shells' own code, which splits and keeps the answer.
    if have("bash") {
        let out = sandbox.shell(
            "bash",
            "eval \"$(ccs init bash)\"\n\
             COMP_WORDS=(ccs use ''); COMP_CWORD=2; COMP_TYPE=9\n\
             COMP_LINE='ccs use '; COMP_POINT=${#COMP_LINE}\n\
             _clap_complete_ccs ccs '' use\n\
             printf '%s\\n' \"${COMPREPLY[@]}\"\n",
        );
        let text = clean_success(&out, "bash");
        let got: Vec<String> = text.lines().map(str::to_owned).collect();
        assert_eq!(values(&got), names, "bash's COMPREPLY");
    }
    if have("fish") {
        let out = sandbox.shell("fish", "ccs init fish | source\ncomplete -C 'ccs use '\n");
        let text = clean_success(&out, "fish");
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

    for shell in PROTOCOLS {
        for command in ["use", "path", "remove"] {
            assert_eq!(
                ask(&sandbox, shell, &["ccs", command, "w"], Some(&cwd)),
                ["work"],
                "{shell}: ccs {command} w"
            );
            assert_eq!(
                values(&ask(&sandbox, shell, &["ccs", command, ""], Some(&cwd))),
                ["work"],
                "{shell}: ccs {command} <empty>"
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
        for shell in PROTOCOLS {
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
                    "{case}: {shell}: completing {words:?}"
                );
            }
        }
    }
    assert!(!missing.ccs_home.exists(), "completion created the store");
}

// ---------------------------------------------------------------------------------------------
// PowerShell: parsed, not run

fn parse_clean(src: &str, what: &str) -> Tree {
    pwsh::parse_clean(&mut pwsh::parser(), src, what)
}

/// The command the registration runs through `Invoke-Expression`, from its here-string: the
/// word after `&` in `& <command> -- $args`.
fn invoked_command(registration: &str) -> String {
    let line = registration
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("& ") && l.ends_with(" -- $args"))
        .unwrap_or_else(|| panic!("no `& <command> -- $args` line in:\n{registration}"));
    line["& ".len()..line.len() - " -- $args".len()].to_owned()
}

#[test]
fn powershell_registration_parses_and_asks_with_the_right_variable() {
    let sandbox = Sandbox::new();
    let registration = sandbox.ok(["completions", "powershell"]);
    let tree = parse_clean(&registration, "ccs completions powershell");

    // One top-level command: Register-ArgumentCompleter, native, for `ccs`.
    let commands: Vec<String> = descendants(tree.root_node())
        .into_iter()
        .filter(|n| n.kind() == "command")
        .map(|n| text(n, &registration).to_owned())
        .collect();
    let register = commands
        .iter()
        .find(|c| c.starts_with("Register-ArgumentCompleter"))
        .unwrap_or_else(|| panic!("no Register-ArgumentCompleter in:\n{registration}"));
    let words: Vec<&str> = register.split_whitespace().take(4).collect();
    assert_eq!(
        words,
        [
            "Register-ArgumentCompleter",
            "-Native",
            "-CommandName",
            "ccs"
        ],
        "{registration}"
    );

    // The script block sets the variable the binary reads, to the name it knows PowerShell by.
    let sets_var = descendants(tree.root_node())
        .into_iter()
        .filter(|n| n.kind() == "assignment_expression")
        .map(|n| {
            text(n, &registration)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .any(|a| a == format!("$env:{} = \"powershell\"", ccs::names::COMPLETE_VAR));
    assert!(
        sets_var,
        "the registration does not set $env:{} = \"powershell\":\n{registration}",
        ccs::names::COMPLETE_VAR
    );

    // What it runs through Invoke-Expression parses too, for a typical command line.
    let command = invoked_command(&registration);
    let expanded = format!("& {command} -- ccs use w\n");
    parse_clean(&expanded, "the command the registration runs");
    assert_eq!(command, "ccs", "the registration runs the command `ccs`");
}

/// The request the PowerShell registration makes when it calls the `ccs` application:
/// `& ccs -- <the line up to the cursor>`, with `''` appended for an empty word.
#[test]
fn powershell_request_lists_the_matching_profiles() {
    let sandbox = sandbox_with(&["work", "work-eu", "personal"]);
    let out = ask_raw(&sandbox, "powershell", &["ccs", "use", "w"], None, |_| {});
    assert_eq!(
        clean_success(&out, "CCS_COMPLETE=powershell ccs -- ccs use w"),
        "work\nwork-eu\n"
    );
    // `ccs use <Tab>`: PowerShell passes the `''` the registration appends as an empty word.
    let all = ask(&sandbox, "powershell", &["ccs", "use", ""], None);
    assert_eq!(values(&all), ["personal", "work", "work-eu"]);
}

/// With the hook installed, `ccs` at a PowerShell prompt is the hook's function, not the binary:
/// the function shadows the application, so the registration's `& ccs -- ccs use w` calls the
/// function. PowerShell's parameter binder removes `--` from the arguments of a function
/// (PowerShell/PowerShell#21208), and the function passes the rest on with
/// `& $global:__ccs_binary @args`: the binary is asked `ccs use w` with no `--`. The answer to
/// that must still be the matching profiles, not clap_complete's registration script (which is
/// what a completion request without `--` prints).
///
/// This models PowerShell, which cannot run here. A fix may be made in the binary (take a
/// request whose first argument is not `--` as if it were there), in the registration (call the
/// application, not the function), or in the hook's function (pass `-- @args` on when
/// `CCS_COMPLETE` is set); the model follows each of them.
#[test]
fn powershell_request_through_the_hook_function_lists_the_matching_profiles() {
    let sandbox = sandbox_with(&["work", "work-eu", "personal"]);
    let hook = sandbox.ok(["init", "powershell"]);
    let tree = parse_clean(&hook, "ccs init powershell");
    let functions: Vec<String> = descendants(tree.root_node())
        .into_iter()
        .filter(|n| n.kind() == "function_name")
        .map(|n| {
            let name = text(n, &hook);
            let name = name.strip_prefix("global:").unwrap_or(name);
            name.to_ascii_lowercase()
        })
        .collect();
    let command = invoked_command(&hook);
    let through_function = functions.contains(&command.to_ascii_lowercase());
    // A function that puts the separator back when it passes its arguments on.
    let function_restores_separator = descendants(tree.root_node())
        .into_iter()
        .filter(|n| n.kind() == "function_statement")
        .map(|n| text(n, &hook))
        .any(|f| f.contains("function global:ccs") && f.contains("-- @args"));

    let line = ["ccs", "use", "w"];
    let mut args: Vec<&str> = Vec::new();
    if !through_function || function_restores_separator {
        args.push("--");
    }
    args.extend(line);
    let out = sandbox
        .ccs(&args)
        .env("CCS_COMPLETE", "powershell")
        .output()
        .unwrap();
    let answer = stdout(&out);
    assert!(
        out.status.success() && answer == "work\nwork-eu\n",
        "PowerShell with the hook: the registration runs `& {command} -- ccs use w`, which {}; \
         the binary, asked {args:?}, answered:\n{answer}\n(wanted work and work-eu)",
        if through_function {
            "lands in the hook's function `ccs` and loses its `--`"
        } else {
            "runs the binary with its `--`"
        }
    );
}

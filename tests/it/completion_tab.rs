//! Tab completion (issue 3) as a person gets it: interactive bash, zsh (with `compinit` before
//! and after the hook) and fish in tmux (the driver in `common/tmux.rs`), the hook installed the
//! README way, Tab pressed, the command line and the candidate list read back from the screen
//! with the cursor position, so that a completed word is told apart from a suggestion and the
//! space typed after it is seen: subcommands, flag values, live profile names, nothing from the
//! working directory, nothing and no error without a store.
//!
//! Steps wait for the screen (polling, with a timeout that panics with the screen), never for a
//! fixed time. What the binary answers, without a terminal, is `completion_protocol.rs`.

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::Sandbox;
use crate::common::shells::{self, TestShell};
use crate::common::tmux::{Screen, Term, can_run, edit_line, printed_below, wait_line};

/// A line a person types at the first prompt, or writes in a start-up file.
#[derive(Clone, Copy)]
enum Line {
    /// The hook's install line, as the README gives it for the shell.
    Hook,
    Text(&'static str),
}

/// How a person sets up one shell.
#[derive(Clone, Copy)]
struct Person {
    shell: TestShell,
    /// A start-up file written before the shell starts: its path under HOME and its lines.
    rc_file: Option<(&'static str, &'static [Line])>,
    /// Lines typed at the first prompt, in order, to install the hook the README way.
    install: &'static [Line],
    /// A command typed after the install and the one line it must print: a check that the set-up
    /// is the one the test means to exercise.
    check: Option<(&'static str, &'static str)>,
}

impl Person {
    /// The hook installed at the first prompt, nothing else.
    const fn hook_only(shell: TestShell) -> Self {
        Self {
            shell,
            rc_file: None,
            install: &[Line::Hook],
            check: None,
        }
    }

    fn text(&self, line: Line) -> String {
        match line {
            Line::Hook => self.shell.source_hook(""),
            Line::Text(text) => text.to_owned(),
        }
    }
}

const BASH: Person = Person::hook_only(shells::BASH);

/// compinit first, then the hook: `compdef` exists, and the hook registers at once.
const ZSH_COMPINIT_FIRST: Person = Person {
    install: &[
        Line::Text("autoload -Uz compinit && compinit -u"),
        Line::Hook,
    ],
    check: Some(("echo $_comps[ccs]", "_clap_dynamic_completer_ccs")),
    ..Person::hook_only(shells::ZSH)
};

/// The hook first, compinit after it, both in ~/.zshrc: `compdef` does not exist yet when the
/// hook runs, so it registers at the first prompt. zsh reads the user's ~/.zshrc here (and none
/// of the system's start-up files), as a person's shell does. The line between the two records
/// that `compdef` was indeed missing when the hook ran.
const ZSH_COMPINIT_AFTER: Person = Person {
    shell: TestShell {
        tty_flags: &["--no-globalrcs", "-i"],
        ..shells::ZSH
    },
    rc_file: Some((
        ".zshrc",
        &[
            Line::Hook,
            Line::Text("compdef_when_hook_ran=$+functions[compdef]"),
            Line::Text("autoload -Uz compinit && compinit -u"),
        ],
    )),
    install: &[],
    check: Some(("echo compdef=$compdef_when_hook_ran", "compdef=0")),
};

const FISH: Person = Person::hook_only(shells::FISH);

/// Starts the person's shell in `sandbox`, installs the hook, and moves to `cwd`.
fn start<'a>(sandbox: &'a Sandbox, person: Person, cwd: &Path) -> Term<'a> {
    if let Some((file, lines)) = person.rc_file {
        let text: String = lines.iter().map(|line| person.text(*line) + "\n").collect();
        fs::write(sandbox.home.join(file), text).unwrap();
    }
    let mut term = Term::start(sandbox, person.shell);
    let prompt = term.prompt().to_owned();
    for line in person.install {
        term.expect(&person.text(*line), &[], &prompt);
    }
    if let Some((command, output)) = person.check {
        term.expect(command, &[output], &prompt);
    }
    // Sandbox paths hold no quote, so single quotes suit all three shells.
    term.expect(&format!("cd '{}'", cwd.display()), &[], &prompt);
    term
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
    if !person.shell.list_keys.is_empty() {
        term.press(person.shell.list_keys);
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
    if !can_run(person.shell) {
        return;
    }
    let sandbox = Sandbox::with_profiles(&["work", "work-eu", "personal"]);
    let cwd = decoy_dir(&sandbox);
    let term = start(&sandbox, person, &cwd);

    // Two profiles start with `w`: Tab completes their common prefix, and asking again lists
    // both, and nothing else.
    let (row, _) = type_and_tab(&term, "ccs use w", "ccs use work");
    list(
        &term,
        row,
        person.shell.list_keys,
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
    if !can_run(person.shell) {
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
        &person
            .shell
            .export("CCS_HOME", &format!("'{}'", not_a_store.display())),
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
/// finds no `compdef` at that first prompt; were it to give up there, Tab on `ccs` would never
/// complete in that shell. `__ccs_install_completion_late` in shell/ccs.zsh keeps looking at
/// later prompts: it returns at once while `compdef` is missing, and unhooks itself only once it
/// has registered (one arithmetic test per prompt, no process).
#[test]
fn zsh_completes_when_compinit_runs_after_the_first_prompt() {
    if !can_run(shells::ZSH) {
        return;
    }
    let sandbox = Sandbox::with_profiles(&["work", "work-eu", "personal"]);
    let cwd = decoy_dir(&sandbox);
    let person = Person {
        install: &[
            Line::Hook,
            Line::Text("autoload -Uz compinit && compinit -u"),
        ],
        ..ZSH_COMPINIT_FIRST
    };
    let term = start(&sandbox, person, &cwd);
    tab(&term, "ccs use p", "ccs use personal ");
    clear_line(&term);
}

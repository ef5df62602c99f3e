//! Tab completion, all answered from the one clap definition in this folder (the registration
//! script each shell sources is `shell::completion`).
//!
//! Mechanism: clap_complete's dynamic `CompleteEnv`. The shell's completion function calls
//! `CCS_COMPLETE=<shell> ccs -- <words>` and the binary answers from the same clap definition
//! it parses with, so subcommands, flags and `--shell` values are never written twice, and
//! profile names are read live from the store: a profile created a second ago completes with
//! nothing re-sourced. The price is one process start per Tab, the same as the generated
//! scripts' alternative of calling a hidden listing command, and it needs no post-processing of
//! generated scripts. The feature is marked unstable upstream, so Cargo.toml pins the exact
//! clap_complete version and the completion tests check what the shells get from it.
//!
//! Where the words are another program's (`ccs exec NAME PROGRAM ARGS...`, `ccs NAME ARGS...`)
//! the definition has nothing to say, and clap_complete would offer ccs's commands and flags
//! there. So the binary first reads the words before the cursor as clap parses them (`place`),
//! and answers those places from a one-argument definition instead: the programs on PATH, then
//! files. Still one process per Tab.

use std::ffi::{OsStr, OsString};

use clap::CommandFactory;
use clap_complete::engine::{
    ArgValueCompleter, PathCompleter, SubcommandCandidates, ValueCompleter,
};
use clap_complete::{CompleteEnv, CompletionCandidate};

use super::Cli;
use crate::contract::COMPLETE_VAR as VAR;
use crate::store::Store;

/// Answers a completion request and exits, if this run is one; otherwise returns at once.
pub fn answer_if_asked() {
    let Some(shell) = std::env::var_os(VAR).filter(|v| !v.is_empty()) else {
        return;
    };
    let args = with_separator(std::env::args_os().collect());
    let current_dir = std::env::current_dir().ok();
    let words = args.get(2..).unwrap_or_default();
    let asked = match place(words, cursor(&shell, words)) {
        Place::Ccs => CompleteEnv::with_factory(command_with_profiles)
            .var(VAR)
            .shells(crate::shell::completion::shells())
            .try_complete(args, current_dir.as_deref()),
        Place::Program => other_words(programs, args, current_dir.as_deref()),
        Place::ProgramArgs => other_words(paths, args, current_dir.as_deref()),
    };
    match asked {
        Ok(true) => std::process::exit(0),
        Ok(false) => {}
        Err(e) => e.exit(),
    }
}

/// Where the word under the cursor is, for what completes it.
#[derive(Debug, PartialEq, Eq)]
enum Place {
    /// A word of ccs's own: a command, a flag, a flag's value, a profile name. The clap
    /// definition answers.
    Ccs,
    /// The program `ccs exec NAME` runs: the programs on PATH.
    Program,
    /// An argument of that program, or of claude after `ccs NAME`: another program's word,
    /// nothing of ccs's; files, as a shell completes them for a command it knows nothing about.
    ProgramArgs,
}

/// The index of the word under the cursor in `words` (`ccs` first), as clap_complete reads it:
/// bash and zsh pass it, the other shells complete the last word.
fn cursor(shell: &OsStr, words: &[OsString]) -> usize {
    let last = words.len().saturating_sub(1);
    if shell == "bash" || shell == "zsh" || shell == "elvish" {
        std::env::var("_CLAP_COMPLETE_INDEX")
            .ok()
            .and_then(|i| i.parse().ok())
            .unwrap_or(last)
    } else {
        last
    }
}

/// Reads the words before the cursor the way clap parses them: ccs's own flags (and their
/// values) up to the command word; for `exec`, its flags, then NAME, then an optional `--`,
/// then the program, and from there every word is the program's; a word that is not a command
/// is a profile's name (`ccs NAME [ARGS]...`), and every word after it is claude's.
fn place(words: &[OsString], cursor: usize) -> Place {
    let mut cli = Cli::command();
    cli.build();
    let before = words.get(1..cursor).unwrap_or_default();
    let current = words
        .get(cursor)
        .map(OsString::as_os_str)
        .unwrap_or_default();
    let mut rest = before.iter();
    let Some(command) = first_operand(&cli, &mut rest) else {
        return Place::Ccs;
    };
    let Some(command) = command.to_str().and_then(|c| cli.find_subcommand(c)) else {
        return Place::ProgramArgs;
    };
    if command.get_name() != "exec" {
        return Place::Ccs;
    }
    // `exec [OPTIONS] NAME [--] COMMAND...`: clap takes ccs's flags up to the program's name.
    if first_operand(command, &mut rest).is_none() {
        return Place::Ccs;
    }
    let mut escaped = false;
    loop {
        let Some(word) = rest.next() else {
            // The cursor is on the program's name. A word starting with `-` before `--` is
            // one of exec's flags (clap takes `--color` or `--help` there).
            let flag = !escaped && current.as_encoded_bytes().starts_with(b"-");
            return if flag { Place::Ccs } else { Place::Program };
        };
        if word == "--" && !escaped {
            escaped = true;
        } else if escaped || !is_flag(word) {
            return Place::ProgramArgs;
        } else if takes_value(command, word) && rest.next().is_none() {
            return Place::Ccs;
        }
    }
}

/// Takes flags (and the values they take) from `words` up to the first other word, and returns
/// it; `None` when the words run out first. A `--` ends the flags.
fn first_operand<'w>(
    cmd: &clap::Command,
    words: &mut std::slice::Iter<'w, OsString>,
) -> Option<&'w OsString> {
    loop {
        let word = words.next()?;
        if word == "--" {
            return words.next();
        }
        if !is_flag(word) {
            return Some(word);
        }
        if takes_value(cmd, word) {
            words.next()?;
        }
    }
}

fn is_flag(word: &OsStr) -> bool {
    word.len() > 1 && word.as_encoded_bytes().starts_with(b"-")
}

/// Whether `word`, a flag, is one of `cmd`'s that takes its value from the next word
/// (`--color never`, not `--color=never`).
fn takes_value(cmd: &clap::Command, word: &OsStr) -> bool {
    let Some(word) = word.to_str() else {
        return false;
    };
    let arg = if let Some(long) = word.strip_prefix("--") {
        if long.contains('=') {
            return false;
        }
        cmd.get_arguments().find(|a| {
            a.get_long_and_visible_aliases()
                .is_some_and(|l| l.contains(&long))
        })
    } else {
        let mut shorts = word[1..].chars();
        match (shorts.next(), shorts.next()) {
            (Some(short), None) => cmd.get_arguments().find(|a| {
                a.get_short_and_visible_aliases()
                    .is_some_and(|s| s.contains(&short))
            }),
            _ => None,
        }
    };
    arg.and_then(clap::Arg::get_num_args)
        .is_some_and(|n| n.takes_values())
}

/// The clap definition, with the profiles a command does not shadow as `ccs NAME`'s candidates:
/// after the commands, described.
fn command_with_profiles() -> clap::Command {
    let cli = Cli::command();
    let heading = cli
        .get_subcommand_help_heading()
        .unwrap_or("Commands")
        .to_owned();
    cli.add(SubcommandCandidates::new(move || {
        let commands = super::command_names();
        profile_names()
            .into_iter()
            .filter(|c| !commands.iter().any(|name| c.get_value() == name.as_str()))
            .map(|c| {
                c.help(Some("Run claude as this profile".into()))
                    // The commands' tag, last in it: clap_complete sorts by tag, then order.
                    .tag(Some(heading.clone().into()))
                    .display_order(Some(usize::MAX))
            })
            .collect()
    }))
}

/// Answers for a word that is not ccs's: a definition with one argument that takes every word
/// and offers only what `completer` gives (no command, no flag), in each shell's format.
fn other_words(
    completer: impl ValueCompleter + Clone + 'static,
    args: Vec<OsString>,
    current_dir: Option<&std::path::Path>,
) -> clap::error::Result<bool> {
    let factory = move || {
        clap::Command::new("ccs")
            .disable_help_flag(true)
            .disable_version_flag(true)
            .arg(
                clap::Arg::new("words")
                    .num_args(0..)
                    .trailing_var_arg(true)
                    .allow_hyphen_values(true)
                    .add(ArgValueCompleter::new(completer.clone())),
            )
    };
    CompleteEnv::with_factory(factory)
        .var(VAR)
        .shells(crate::shell::completion::shells())
        .try_complete(args, current_dir)
}

/// The programs on PATH that start with `current`; with a `/` in it (`./run.sh`), the paths.
fn programs(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(prefix) = current.to_str() else {
        return Vec::new();
    };
    if prefix.contains(std::path::is_separator) {
        return paths(current);
    }
    crate::process::lookup::names_starting_with(prefix)
        .into_iter()
        .map(CompletionCandidate::new)
        .collect()
}

/// Files and directories, as a shell completes a command's arguments (clap_complete's, less the
/// `.` it offers for an empty word).
fn paths(current: &OsStr) -> Vec<CompletionCandidate> {
    let mut found = PathCompleter::any().complete(current);
    if current.is_empty() {
        found.retain(|c| c.get_value() != ".");
    }
    found
}

/// The registration scripts call `ccs -- <words>`. PowerShell drops a `--` from the arguments of
/// a function, and with the hook installed `ccs` is one, so the binary may get the words alone;
/// clap_complete would then print the registration script instead of completing. Put it back.
fn with_separator(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    if args.len() > 1 && args[1] != "--" {
        args.insert(1, "--".into());
    }
    args
}

/// Profile names for any argument that takes one. Errors (no store yet, unreadable store)
/// complete nothing rather than print into the user's command line.
pub(crate) fn profile_names() -> Vec<CompletionCandidate> {
    let names = Store::from_env()
        .and_then(|store| store.names())
        .unwrap_or_default();
    names
        .iter()
        .map(|name| CompletionCandidate::new(name.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The place of the last word of `line` (split at spaces; a trailing space is an empty word).
    fn place_of(line: &str) -> Place {
        let words: Vec<OsString> = line.split(' ').map(OsString::from).collect();
        place(&words, words.len() - 1)
    }

    #[test]
    fn exec_takes_a_program_then_its_arguments() {
        for line in [
            "ccs exec work ",
            "ccs exec work cla",
            "ccs exec work -- ",
            "ccs exec work -- cla",
            "ccs exec --color never work cla",
            "ccs exec work --color=never cla",
            "ccs --color never exec work cla",
            "ccs exec -- work cla",
        ] {
            assert_eq!(place_of(line), Place::Program, "{line:?}");
        }
        for line in [
            "ccs exec work claude ",
            "ccs exec work claude -",
            "ccs exec work -- claude -p ",
            "ccs exec work -- -- ",
            "ccs exec work claude -- ",
        ] {
            assert_eq!(place_of(line), Place::ProgramArgs, "{line:?}");
        }
        for line in [
            "ccs ex",
            "ccs exec ",
            "ccs exec w",
            "ccs exec --color ",
            "ccs exec work --color ",
            "ccs exec work --",
            "ccs exec work --c",
        ] {
            assert_eq!(place_of(line), Place::Ccs, "{line:?}");
        }
    }

    #[test]
    fn after_a_profile_the_words_are_claudes() {
        for line in [
            "ccs work ",
            "ccs work -",
            "ccs work --color ",
            "ccs --color never work ",
            "ccs work task ",
        ] {
            assert_eq!(place_of(line), Place::ProgramArgs, "{line:?}");
        }
        for line in [
            "ccs ",
            "ccs w",
            "ccs --color ",
            "ccs --color never ",
            "ccs use ",
            "ccs rm ",
            "ccs help ",
        ] {
            assert_eq!(place_of(line), Place::Ccs, "{line:?}");
        }
    }
}

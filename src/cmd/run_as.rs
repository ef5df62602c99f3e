//! `ccs NAME [ARGS]...`: claude as profile NAME, as the Node switcher CCS documents it
//! (`ccs work "implement feature X"`). Reached only when NAME is not a command: clap tries the
//! commands first.

use std::ffi::OsString;

use anyhow::Result;

use super::Outcome;
use super::exec::run_as_profile;
use crate::profile_name::ProfileName;
use crate::store::Store;
use crate::ui;

pub(crate) fn run(words: Vec<OsString>) -> Result<Outcome> {
    let (first, args) = words
        .split_first()
        .expect("clap passes the word it did not know");
    let shown = first.to_string_lossy();
    let profile = first
        .to_str()
        .and_then(ProfileName::from_disk)
        .filter(|name| Store::from_env().is_ok_and(|store| store.find(name).is_ok()));
    let Some(name) = profile else {
        // A usage error, as clap reports one: exit status 2.
        ui::note(format_args!(
            "unrecognized subcommand '{shown}', and no profile of that name{} (usage: ccs <COMMAND> | ccs <PROFILE> [ARGS]...; see ccs --help, ccs list)",
            did_you_mean(&shown)
        ));
        return Ok(Outcome {
            stdout: String::new(),
            code: 2,
        });
    };
    let command: Vec<OsString> = std::iter::once(OsString::from("claude"))
        .chain(args.iter().cloned())
        .collect();
    run_as_profile(&name, &command)
}

/// `; did you mean 'list'?` when the word looks like a typo of a command or a profile.
fn did_you_mean(word: &str) -> String {
    let commands = super::command_names();
    let profiles = Store::from_env()
        .and_then(|store| store.names())
        .unwrap_or_default();
    let candidates = commands
        .iter()
        .map(String::as_str)
        .chain(profiles.iter().map(ProfileName::as_str));
    match ui::closest(word, candidates) {
        Some(close) => format!("; did you mean '{close}'?"),
        None => String::new(),
    }
}

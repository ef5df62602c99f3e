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

use clap::CommandFactory;
use clap_complete::CompletionCandidate;

use super::Cli;
use crate::contract::COMPLETE_VAR as VAR;
use crate::store::Store;

/// Answers a completion request and exits, if this run is one; otherwise returns at once.
pub fn answer_if_asked() {
    if std::env::var_os(VAR).is_none_or(|v| v.is_empty()) {
        return;
    }
    let args = with_separator(std::env::args_os().collect());
    let current_dir = std::env::current_dir().ok();
    let completer = clap_complete::CompleteEnv::with_factory(Cli::command).var(VAR);
    match completer.try_complete(args, current_dir.as_deref()) {
        Ok(true) => std::process::exit(0),
        Ok(false) => {}
        Err(e) => e.exit(),
    }
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

//! Tab completion, all generated from the one clap definition in `cmd/`.
//!
//! Mechanism: clap_complete's dynamic `CompleteEnv`. The shell's completion function calls
//! `CCS_COMPLETE=<shell> ccs -- <words>` and the binary answers from the same clap definition
//! it parses with, so subcommands, flags and `--shell` values are never written twice, and
//! profile names are read live from the store: a profile created a second ago completes with
//! nothing re-sourced. The price is one process start per Tab, the same as the generated
//! scripts' alternative of calling a hidden listing command, and it needs no post-processing of
//! generated scripts. The feature is marked unstable upstream, so Cargo.toml pins the exact
//! clap_complete version and tests/completion.rs checks what the shells get from it.

use clap::CommandFactory;
use clap_complete::CompletionCandidate;

use crate::cmd::Cli;
use crate::names::COMPLETE_VAR as VAR;
use crate::shell::Shell;
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
pub fn profile_names() -> Vec<CompletionCandidate> {
    let names = Store::from_env()
        .and_then(|store| store.names())
        .unwrap_or_default();
    names
        .iter()
        .map(|name| CompletionCandidate::new(name.as_str()))
        .collect()
}

/// The script that registers completion for `shell`; the same text is checked in under
/// `completions/` for packagers.
pub fn registration(shell: Shell) -> String {
    let mut script = Vec::new();
    shell
        .syntax()
        .completer()
        .write_registration(VAR, "ccs", "ccs", "ccs", &mut script)
        .expect("writing to a Vec cannot fail");
    let script = String::from_utf8(script).expect("the registration script is UTF-8");
    // clap_complete's zsh function starts `expr` at every Tab to subtract one; zsh's own
    // arithmetic does it with no process, leaving `ccs` the only one a Tab starts.
    script.replace("$(expr $CURRENT - 1)", "$((CURRENT - 1))")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Tab in zsh starts `ccs` and nothing else: the registration's only command
    /// substitution is the call to ccs (clap_complete's own text also ran `expr`).
    #[test]
    fn zsh_completion_starts_no_process_but_ccs() {
        let script = registration(Shell::Zsh);
        assert!(!script.contains("expr"), "{script}");
        assert!(script.contains("$((CURRENT - 1))"), "{script}");
        let substitutions: Vec<&str> = script
            .match_indices("$(")
            .map(|(at, _)| &script[at..])
            .collect();
        let commands: Vec<&str> = substitutions
            .iter()
            .filter(|s| !s.starts_with("$(("))
            .copied()
            .collect();
        assert_eq!(commands.len(), 1, "{script}");
        assert!(commands[0].contains("ccs -- \"${words[@]}\""), "{script}");
    }
}

//! How each shell registers ccs's Tab completion: clap_complete's registration script, which
//! calls `CCS_COMPLETE=<shell> ccs -- <words>` at every Tab (answered in `cmd::tab`).

use clap_complete::env::{self, Shells};

use super::Shell;
use crate::contract::COMPLETE_VAR as VAR;

/// The shells a completion request may name in `CCS_COMPLETE`: clap_complete's own, and
/// nushell, for which clap_complete has no adapter (`super::nu::Completer`).
pub(crate) fn shells() -> Shells<'static> {
    Shells(&[
        &env::Bash,
        &env::Elvish,
        &env::Fish,
        &env::Powershell,
        &env::Zsh,
        &super::nu::Completer,
    ])
}

/// The script that registers completion for `shell`; the same text is checked in under
/// `completions/` for packagers.
pub(crate) fn registration(shell: Shell) -> String {
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

//! zsh: quoting and the common hook from `posix`, its own part of the hook in `shell/ccs.zsh`.

use clap_complete::env::{self, EnvCompleter};

use super::posix::PosixShell;

pub(crate) struct Zsh;

impl PosixShell for Zsh {
    fn program_names(&self) -> &'static [&'static str] {
        &["zsh"]
    }

    fn own_hook(&self) -> &'static str {
        include_str!("../../shell/ccs.zsh")
    }

    fn completer(&self) -> &'static dyn EnvCompleter {
        &env::Zsh
    }

    /// zsh's registration calls `compdef`, which exists only after `compinit`. The hook defines
    /// it as a function and `__ccs_install_completion` (in ccs.zsh) runs it now or at the first
    /// prompt.
    fn wrap_completion(&self, registration: String) -> String {
        format!("__ccs_register_completion() {{\n{registration}}}\n__ccs_install_completion\n")
    }
}

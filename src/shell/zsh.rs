//! zsh: POSIX quoting (`posix`), the shared hook and its own part (`shell/ccs.zsh`).

use clap_complete::env::{self, EnvCompleter};

use super::{Syntax, posix};

pub struct Zsh;

const HOOK: &str = include_str!("../../shell/ccs.zsh");

impl Syntax for Zsh {
    fn program_names(&self) -> &'static [&'static str] {
        &["zsh"]
    }

    fn quote(&self, value: &str) -> String {
        posix::quote(value)
    }

    fn set(&self, name: &str, value_code: &str) -> String {
        posix::set(name, value_code)
    }

    fn unset(&self, names: &[&str]) -> String {
        posix::unset(names)
    }

    fn hook(&self) -> String {
        [posix::COMMON_HOOK, HOOK].concat()
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

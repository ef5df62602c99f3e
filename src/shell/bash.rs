//! bash: POSIX quoting (`posix`), the shared hook and its own part (`shell/ccs.bash`).

use clap_complete::env::{self, EnvCompleter};

use super::{Syntax, posix};

pub struct Bash;

const HOOK: &str = include_str!("../../shell/ccs.bash");

impl Syntax for Bash {
    fn program_names(&self) -> &'static [&'static str] {
        &["bash"]
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
        &env::Bash
    }
}

//! bash: quoting and the common hook from `posix`, its own part of the hook in `shell/ccs.bash`.

use clap_complete::env::{self, EnvCompleter};

use super::posix::PosixShell;

pub(crate) struct Bash;

impl PosixShell for Bash {
    fn program_names(&self) -> &'static [&'static str] {
        &["bash"]
    }

    fn own_hook(&self) -> &'static str {
        include_str!("../../shell/ccs.bash")
    }

    fn completer(&self) -> &'static dyn EnvCompleter {
        &env::Bash
    }
}

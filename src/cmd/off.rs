use anyhow::Result;
use clap::Args;

use super::{Outcome, switch_here};
use crate::shell::{Shell, detect};
use crate::store::Store;

/// Print the code that switches this shell back to Claude Code's default ~/.claude
#[derive(Debug, Args)]
pub struct Off {
    /// The shell to write code for [default: detected]
    #[arg(long, value_enum)]
    shell: Option<Shell>,
}

impl Off {
    pub fn run(self) -> Result<Outcome> {
        let shell = detect::explicit_or_detected(self.shell)?;
        // Without a usable store there is no profile to remember for `ccs use -`; `off` works
        // all the same.
        let store = Store::from_env().ok();
        let (code, _) = switch_here(shell, store.as_ref(), None, true)?;
        Ok(Outcome::print(code))
    }
}

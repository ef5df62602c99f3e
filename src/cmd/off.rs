use anyhow::Result;
use clap::Args;

use super::Outcome;
use crate::shell::{Shell, Switch, detect};

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
        Ok(Outcome::print(shell.render(&Switch::off())?))
    }
}

use anyhow::Result;
use clap::Args;

use super::Outcome;

use crate::shell::Shell;

/// Print the Tab-completion script alone, for packagers (the hook already includes it)
#[derive(Debug, Args)]
pub struct Completions {
    #[arg(value_enum)]
    shell: Shell,
}

impl Completions {
    pub fn run(self) -> Result<Outcome> {
        Ok(Outcome::print(crate::shell::completion::registration(
            self.shell,
        )))
    }
}

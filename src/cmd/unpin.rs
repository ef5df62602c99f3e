use anyhow::{Context, Result, bail};
use clap::Args;

use super::Outcome;
use super::pin::pin_file;
use crate::contract::PIN_FILE;

/// Remove ./.ccs-profile
#[derive(Debug, Args)]
pub struct Unpin {}

impl Unpin {
    pub fn run(self) -> Result<Outcome> {
        let file = pin_file()?;
        match std::fs::remove_file(&file) {
            Ok(()) => Ok(Outcome::report(&format!("Removed {}\n", file.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                bail!("no {PIN_FILE} in this directory (a pin applies to the directory it is in)")
            }
            Err(e) => Err(e).with_context(|| format!("cannot remove {}", file.display())),
        }
    }
}

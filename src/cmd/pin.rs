use anyhow::{Context, Result};
use clap::Args;

use super::{Outcome, ProfileArg};
use crate::contract::PIN_FILE;
use crate::fsx;
use crate::store::Store;

/// Pin a profile to this directory tree: writes ./.ccs-profile (see `ccs init --auto`)
#[derive(Debug, Args)]
pub struct Pin {
    #[command(flatten)]
    profile: ProfileArg,
}

impl Pin {
    pub fn run(self) -> Result<Outcome> {
        let (name, _) = self.profile.find(&Store::from_env()?, "pin")?;
        let file = pin_file()?;
        fsx::write_atomically(&file, format!("{name}\n").as_bytes(), 0o644)?;
        Ok(Outcome::report(&format!(
            "Pinned '{name}' to {} (switches with `ccs init <shell> --auto`)\n",
            file.display()
        )))
    }
}

/// `./.ccs-profile`: a pin applies to the directory it is in.
pub(super) fn pin_file() -> Result<std::path::PathBuf> {
    Ok(std::env::current_dir()
        .context("cannot read the current directory")?
        .join(PIN_FILE))
}

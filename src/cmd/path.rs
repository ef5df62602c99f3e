use anyhow::Result;
use clap::Args;

use super::{Outcome, ProfileArg};
use crate::store::Store;

/// Print a profile's config dir
#[derive(Debug, Args)]
pub struct PathCmd {
    #[command(flatten)]
    profile: ProfileArg,
}

impl PathCmd {
    /// The path exactly as it is, for `"$(ccs path work)"`: data, not a report.
    pub fn run(self) -> Result<Outcome> {
        let (_, dir) = self.profile.find(&Store::from_env()?, "path")?;
        Ok(Outcome::print(format!("{}\n", dir.display())))
    }
}

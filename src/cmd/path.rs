use anyhow::Result;
use clap::Args;
use clap_complete::ArgValueCandidates;

use super::Outcome;
use super::tab::profile_names;
use crate::profile_name::ProfileName;
use crate::store::Store;

/// Print a profile's config dir
#[derive(Debug, Args)]
pub struct PathCmd {
    #[arg(add = ArgValueCandidates::new(profile_names))]
    name: String,
}

impl PathCmd {
    /// The path exactly as it is, for `"$(ccs path work)"`: data, not a report.
    pub fn run(self) -> Result<Outcome> {
        let (_, dir) = Store::from_env()?.find(&ProfileName::parse(&self.name)?)?;
        Ok(Outcome::print(format!("{}\n", dir.display())))
    }
}

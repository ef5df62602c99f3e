use anyhow::Result;
use clap::Args;
use clap_complete::ArgValueCandidates;

use super::tab::profile_names;
use super::{Outcome, switch_code, warn_about_login_routes};
use crate::profile_name::ProfileName;
use crate::shell::{Shell, detect};
use crate::store::Store;

/// Print the code that switches this shell to a profile (the hook runs it for you)
#[derive(Debug, Args)]
pub struct Use {
    /// The profile to switch this shell to
    #[arg(add = ArgValueCandidates::new(profile_names))]
    name: String,
    /// The shell to write code for [default: detected]
    #[arg(long, value_enum)]
    shell: Option<Shell>,
}

impl Use {
    pub fn run(self) -> Result<Outcome> {
        let name = ProfileName::parse(&self.name)?;
        let shell = detect::explicit_or_detected(self.shell)?;
        let (name, dir) = Store::from_env()?.find(&name)?;
        warn_about_login_routes(&name, &dir);
        Ok(Outcome::print(switch_code(shell, &dir, &name)?))
    }
}

use anyhow::Result;
use clap::Args;
use clap_complete::ArgValueCandidates;

use super::Outcome;
use super::tab::profile_names;
use crate::config::Config;
use crate::profile_name::ProfileName;
use crate::store::Store;

/// Set the profile new terminals start on (shells that inherit one keep it)
#[derive(Debug, Args)]
pub struct Default {
    /// The profile; without it, print the current default
    #[arg(add = ArgValueCandidates::new(profile_names), conflicts_with = "clear")]
    name: Option<String>,
    /// New terminals start on Claude Code's default ~/.claude again
    #[arg(long)]
    clear: bool,
}

impl Default {
    pub fn run(self) -> Result<Outcome> {
        let store = Store::from_env()?;
        let mut config = Config::load(&store)?;
        if self.clear {
            config.set_default_profile(None);
            config.save()?;
            return Ok(Outcome::report(
                "New terminals start on Claude Code's default ~/.claude\n",
            ));
        }
        let Some(raw) = self.name else {
            return Ok(match config.default_profile() {
                Some(name) => Outcome::print(format!("{name}\n")),
                None => Outcome::no(),
            });
        };
        let (name, _) = store.find(&ProfileName::parse(&raw)?)?;
        config.set_default_profile(Some(&name));
        config.save()?;
        Ok(Outcome::report(&format!(
            "New terminals start on '{name}' (a shell that inherits a profile keeps it)\n"
        )))
    }
}

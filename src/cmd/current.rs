use anyhow::Result;
use clap::Args;

use super::{Outcome, profile_summary};
use crate::claude_code::CONFIG_DIR_VAR;
use crate::store::Store;
use crate::ui;

/// Print the profile active in this shell; exit 1 if none is, or it no longer exists
#[derive(Debug, Args)]
pub struct Current {
    /// Also show its account (login, plan, e-mail, organisation) and disk size
    #[arg(short, long)]
    verbose: bool,
}

impl Current {
    pub fn run(self) -> Result<Outcome> {
        let Some(config_dir) = std::env::var_os(CONFIG_DIR_VAR).filter(|v| !v.is_empty()) else {
            return Ok(Outcome::no());
        };
        let store = Store::from_env()?;
        let Some(name) = store.profile_for_config_dir(&config_dir) else {
            ui::note(format_args!(
                "{CONFIG_DIR_VAR}={:?} is not a ccs profile (profiles live in {})",
                config_dir,
                store.instances_dir().display()
            ));
            return Ok(Outcome::no());
        };
        let name = store.spelled(name);
        let dir = store.instance_dir(&name);
        if !dir.is_dir() {
            // Not a profile to print: a script would act on a name that is gone.
            ui::note(format_args!(
                "profile '{name}' is active here but no longer exists; run: ccs off"
            ));
            return Ok(Outcome::no());
        }
        if !self.verbose {
            return Ok(Outcome::print(format!("{name}\n")));
        }
        Ok(Outcome::report(&profile_summary(&name, &dir)))
    }
}

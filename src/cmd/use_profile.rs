use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;
use clap_complete::ArgValueCandidates;

use super::tab::profile_names;
use super::{Outcome, PREVIOUS_NONE, switch_here, warn_about_login_routes};
use crate::contract::{AUTO_QUIET_VAR, PREVIOUS_VAR};
use crate::profile_name::ProfileName;
use crate::shell::{Shell, detect};
use crate::store::Store;
use crate::ui;

/// Print the code that switches this shell to a profile (the hook runs it for you)
///
/// `ccs use -` goes back to the profile this shell was on before its last `ccs use` or `ccs off`
/// (or to none), like `cd -`.
#[derive(Debug, Args)]
pub struct Use {
    /// The profile to switch to, or `-` for the previous one
    #[arg(add = ArgValueCandidates::new(profile_names))]
    name: String,
    /// The shell to write code for [default: detected]
    #[arg(long, value_enum)]
    shell: Option<Shell>,
    /// Given by the hook's auto-switch: the `.ccs-profile` that names this profile. Its notes
    /// name the file; the tmux session is left alone (a pin is about a directory).
    #[arg(long, hide = true, value_name = "FILE")]
    pinned_by: Option<PathBuf>,
    /// Given by the hook for a pin it has already reported, or while a `ccs use` of the
    /// person's is about to decide: a pin that cannot apply fails silently (exit 1).
    #[arg(long, hide = true, requires = "pinned_by")]
    pin_reported: bool,
}

impl Use {
    pub fn run(self) -> Result<Outcome> {
        if self.name == "-" && self.pinned_by.is_none() {
            return back(detect::explicit_or_detected(self.shell)?);
        }
        let name = ProfileName::parse(&self.name)?;
        let shell = detect::explicit_or_detected(self.shell)?;
        let store = Store::from_env()?;
        let (name, dir) = match (store.find_to_use(&name), &self.pinned_by) {
            (Ok(found), _) => found,
            (Err(e), None) => return Err(e),
            (Err(_), Some(_)) if self.pin_reported => return Ok(Outcome::no()),
            (Err(e), Some(pin)) => {
                let what = if store.instance_dir(&name).exists() {
                    format!("which is unusable ({e:#})")
                } else {
                    "which does not exist".to_owned()
                };
                bail!(
                    "{} pins profile '{name}', {what}: pin another there (ccs pin <profile>) or \
                     remove the pin (ccs unpin)",
                    pin.display()
                )
            }
        };
        warn_about_login_routes(&name, &dir);
        let (code, changes) = switch_here(
            shell,
            Some(&store),
            Some((&dir, &name)),
            self.pinned_by.is_none(),
        )?;
        if let Some(pin) = &self.pinned_by
            && changes
            && std::env::var_os(AUTO_QUIET_VAR).is_none_or(|v| v.is_empty())
        {
            ui::note(format_args!("{name} (pinned by {})", pin.display()));
        }
        Ok(Outcome::print(code))
    }
}

/// `ccs use -`: back to where `CCS_PREVIOUS` says this shell was.
fn back(shell: Shell) -> Result<Outcome> {
    let previous = std::env::var(PREVIOUS_VAR).unwrap_or_default();
    if previous.is_empty() {
        bail!(
            "no previous profile in this shell: `ccs use -` goes back once this shell has switched \
             with `ccs use` or `ccs off`"
        );
    }
    let store = Store::from_env();
    if previous == PREVIOUS_NONE {
        let (code, _) = switch_here(shell, store.as_ref().ok(), None, true)?;
        ui::note("back to no profile (the default ~/.claude)");
        return Ok(Outcome::print(code));
    }
    let store = store?;
    let (name, dir) = store.find(&ProfileName::parse(&previous)?)?;
    warn_about_login_routes(&name, &dir);
    let (code, _) = switch_here(shell, Some(&store), Some((&dir, &name)), true)?;
    ui::note(format_args!("back to {name}"));
    Ok(Outcome::print(code))
}

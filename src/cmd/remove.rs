use anyhow::Result;
use clap::Args;
use clap_complete::ArgValueCandidates;

use super::tab::profile_names;
use super::{Outcome, active_profile, refuse_if_running, repoint_code};
use crate::config::Config;
use crate::keychain::Keychain;
use crate::profile_name::ProfileName;
use crate::shell::Shell;
use crate::store::Store;
use crate::ui;

/// Delete a profile, its login and its history, after confirmation (the hook switches this
/// shell off if it is on it)
#[derive(Debug, Args)]
pub struct Remove {
    /// The profile to delete, with its login and history
    #[arg(add = ArgValueCandidates::new(profile_names))]
    name: String,
    /// The shell to write code for, to switch it off when the profile is active in it
    #[arg(long, value_enum)]
    shell: Option<Shell>,
    /// Do not ask for confirmation (needed when stdin is not a terminal)
    #[arg(short, long)]
    yes: bool,
    /// Remove it even while Claude Code runs on it
    #[arg(long)]
    force: bool,
}

impl Remove {
    /// Without `--shell` its report goes to stdout. Called by the hook with `--shell`, stdout is
    /// code: the switch off when the profile was active in this shell (so that the next `claude`
    /// there does not make the directory again), else nothing; the report goes to stderr.
    pub fn run(self) -> Result<Outcome> {
        let store = Store::from_env()?;
        let (name, dir) = store.find(&ProfileName::parse(&self.name)?)?;
        refuse_if_running(&format!("profile '{name}'"), &dir, self.force, "remove it")?;
        let was_active = active_profile(&store).as_ref() == Some(&name);
        let code = match self.shell.filter(|_| was_active) {
            Some(shell) => repoint_code(shell, None)?,
            None => String::new(),
        };
        if !self.yes {
            ui::confirm(
                &format!(
                    "Remove profile '{name}' at {}?\nIts login, credentials and history are deleted for good. [y/N] ",
                    dir.display()
                ),
                &format!(
                    "not removing profile '{name}' without confirmation: pass --yes to remove it from a script"
                ),
                "nothing removed",
            )?;
        }
        // Once the profile is renamed away it is gone, even if deleting its files then fails
        // part-way: what belongs to it elsewhere (Keychain, default, usage) goes all the same,
        // and the failure is reported after.
        let removed = store.remove(&name);
        if removed.is_err() && dir.exists() {
            return removed.map(|()| Outcome::nothing());
        }
        let mut report = format!(
            "Removed profile '{name}' ({}); its login, credentials and history are gone\n",
            dir.display()
        );
        if was_active && code.is_empty() {
            report.push_str("This shell still points at it; switch away with: ccs off\n");
        } else if was_active {
            report.push_str("Switched this shell off it: claude uses ~/.claude here\n");
        }
        report.push_str(&forget_keychain_login(&dir));
        crate::usage::forget(&store, &name);
        if forget_default(&store, &name) {
            report.push_str(&format!(
                "'{name}' was the default; new terminals start on ~/.claude again\n"
            ));
        }
        removed?;
        if self.shell.is_none() {
            return Ok(Outcome::report(&report));
        }
        // stdout is code for the hook: the report is for the person, on stderr.
        eprint!("{}", crate::ui::lines(&report));
        Ok(Outcome::print(code))
    }
}

/// On macOS Claude Code keeps the login in the Keychain, under a name made from the config
/// dir's path: left there, a profile created again under this name would be logged in again.
/// Deleted with the profile, after the same confirmation. Returns the report's line.
fn forget_keychain_login(dir: &std::path::Path) -> String {
    let Some(keychain) = Keychain::from_env() else {
        return String::new();
    };
    match keychain.delete_login(&dir.to_string_lossy()) {
        Ok(deleted) if deleted.is_empty() => String::new(),
        Ok(deleted) => format!("Deleted its Keychain login ({})\n", deleted.join(", ")),
        Err(e) => {
            ui::warn(format_args!(
                "its Keychain login is still there: {e:#} (ccs doctor lists it)"
            ));
            String::new()
        }
    }
}

/// A removed profile cannot stay the default: every new terminal would warn about it.
/// Whether it was the default (and is no more).
fn forget_default(store: &Store, name: &ProfileName) -> bool {
    let cleared = Config::load(store).and_then(|mut config| {
        if config.default_profile().as_ref() != Some(name) {
            return Ok(false);
        }
        config.set_default_profile(None);
        config.save().map(|()| true)
    });
    cleared.unwrap_or_else(|e| {
        ui::warn(format_args!("could not clear the default profile: {e:#}"));
        false
    })
}

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

/// Rename a profile (the hook re-points this shell if it is on it)
///
/// Other terminals on the profile must switch again with `ccs use NEW`. Refused while Claude
/// Code runs on the profile (--force to insist). On macOS the Keychain login, filed under the
/// config dir's path, moves with it.
#[derive(Debug, Args)]
pub struct Rename {
    /// The profile to rename
    #[arg(add = ArgValueCandidates::new(profile_names))]
    old: String,
    /// Its new name: letters, digits, '.', '_' and '-', starting with a letter or digit
    new: String,
    /// The shell to write code for, to re-point it when the profile is active in it
    #[arg(long, value_enum)]
    shell: Option<Shell>,
    /// Rename it even while Claude Code runs on it
    #[arg(long)]
    force: bool,
}

impl Rename {
    /// Called by the hook with `--shell`, it prints the code that re-points this shell when the
    /// profile was active in it; otherwise stdout stays empty. Its stdout being code, every word
    /// for a person goes to stderr.
    pub fn run(self) -> Result<Outcome> {
        let (old, new) = (
            ProfileName::parse(&self.old)?,
            ProfileName::parse(&self.new)?,
        );
        let store = Store::from_env()?;
        let (old, old_dir) = store.find(&old)?;
        refuse_if_running(
            &format!("profile '{old}'"),
            &old_dir,
            self.force,
            "rename it",
        )?;
        let was_active = active_profile(&store).as_ref() == Some(&old);
        // The code is made before anything moves: a path the shell cannot take fails the rename
        // rather than leave the shell on a directory that no longer exists.
        let code = match self.shell.filter(|_| was_active) {
            Some(shell) => repoint_code(shell, Some((&store.instance_dir(&new), &new)))?,
            None => String::new(),
        };
        let dir = store.rename(&old, &new)?;
        ui::note(format_args!(
            "renamed profile '{old}' to '{new}' ({})",
            dir.display()
        ));
        if let Err(e) = update_default(&store, &old, &new) {
            ui::warn(format_args!("the default profile is still '{old}': {e:#}"));
        }
        if was_active && code.is_empty() {
            ui::note(format_args!(
                "this shell still points at {}; switch with: ccs use {new}",
                old_dir.display()
            ));
        }
        ui::note(format_args!(
            "other terminals on '{old}' need `ccs use {new}`, and pins of it `ccs pin {new}`"
        ));
        move_keychain_login(&old_dir, &dir, &new);
        crate::usage::follow_rename(&store, &old, &new);
        Ok(Outcome::print(code))
    }
}

/// On macOS Claude Code files the login in the Keychain under a name made from the config
/// dir's path: it moves with the profile, or the renamed profile would be logged out.
pub(super) fn move_keychain_login(
    old_dir: &std::path::Path,
    new_dir: &std::path::Path,
    new: &ProfileName,
) {
    let Some(keychain) = Keychain::from_env() else {
        return;
    };
    match keychain.move_login(&old_dir.to_string_lossy(), &new_dir.to_string_lossy()) {
        Ok(moved) => {
            if !moved.items.is_empty() {
                ui::note(format_args!("moved its Keychain login to '{new}'"));
            }
            if let Some(e) = moved.old_not_deleted {
                ui::warn(format_args!(
                    "the old Keychain item is still there: {e:#} (ccs doctor lists it)"
                ));
            }
        }
        Err(e) => ui::warn(format_args!(
            "its Keychain login could not move ({e:#}): run /login in '{new}'"
        )),
    }
}

fn update_default(store: &Store, old: &ProfileName, new: &ProfileName) -> Result<()> {
    let mut config = Config::load(store)?;
    if config.default_profile().as_ref() == Some(old) {
        config.set_default_profile(Some(new));
        config.save()?;
        ui::note(format_args!(
            "new terminals start on '{new}' (the default, renamed)"
        ));
    }
    Ok(())
}

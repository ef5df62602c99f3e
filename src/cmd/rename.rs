use anyhow::Result;
use clap::Args;
use clap_complete::ArgValueCandidates;

use super::{Outcome, active_profile, refuse_if_running, switch_code};
use crate::completion::profile_names;
use crate::config::Config;
use crate::notice;
use crate::profile_name::ProfileName;
use crate::shell::Shell;
use crate::store::Store;

/// Rename a profile (the hook re-points this shell if it is on it)
///
/// Other terminals on the profile must switch again with `ccs use NEW`; quit Claude Code
/// running on it first. On macOS Claude Code keys its Keychain login on the config dir's
/// path, so the renamed profile may need /login again.
#[derive(Debug, Args)]
pub struct Rename {
    #[arg(add = ArgValueCandidates::new(profile_names))]
    old: String,
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
        refuse_if_running(&old, &old_dir, self.force, "rename it")?;
        let was_active = active_profile(&store).as_ref() == Some(&old);
        // The code is made before anything moves: a path the shell cannot take fails the rename
        // rather than leave the shell on a directory that no longer exists.
        let code = match self.shell.filter(|_| was_active) {
            Some(shell) => switch_code(shell, &store.instance_dir(&new), &new)?,
            None => String::new(),
        };
        let dir = store.rename(&old, &new)?;
        notice::note(format_args!(
            "renamed profile '{old}' to '{new}' ({})",
            dir.display()
        ));
        if let Err(e) = update_default(&store, &old, &new) {
            notice::warn(format_args!("the default profile is still '{old}': {e:#}"));
        }
        if was_active && code.is_empty() {
            notice::note(format_args!(
                "this shell still points at {}; switch with: ccs use {new}",
                old_dir.display()
            ));
        }
        notice::note(format_args!(
            "other terminals on '{old}' need `ccs use {new}`, and pins of it `ccs pin {new}`"
        ));
        if cfg!(target_os = "macos") {
            notice::note(format_args!(
                "Claude Code keys its Keychain login on the config dir's path: if it asks, run /login in '{new}'"
            ));
        }
        Ok(Outcome::print(code))
    }
}

fn update_default(store: &Store, old: &ProfileName, new: &ProfileName) -> Result<()> {
    let mut config = Config::load(store)?;
    if config.default_profile().as_ref() == Some(old) {
        config.set_default_profile(Some(new));
        config.save()?;
        notice::note(format_args!(
            "new terminals start on '{new}' (the default, renamed)"
        ));
    }
    Ok(())
}

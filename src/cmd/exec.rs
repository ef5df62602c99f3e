use std::ffi::OsString;

use anyhow::{Context, Result};
use clap::Args;
use clap_complete::ArgValueCandidates;

use super::{Outcome, warn_about_login_routes};
use crate::completion::profile_names;
use crate::names::{CONFIG_DIR_VAR, HOOK_VAR, PROFILE_VAR};
use crate::notice;
use crate::profile_name::ProfileName;
use crate::store::Store;

/// Run one command as a profile, with no shell hook: `ccs exec work -- claude -p "hi"`
#[derive(Debug, Args)]
pub struct Exec {
    #[arg(add = ArgValueCandidates::new(profile_names))]
    name: String,
    /// The command and its arguments, after `--`. Not `last`: PowerShell drops a `--` from a
    /// function's arguments, so through its hook the command arrives without one.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        required = true,
        value_name = "COMMAND"
    )]
    command: Vec<OsString>,
}

impl Exec {
    pub fn run(self) -> Result<Outcome> {
        run_as_profile(&ProfileName::parse(&self.name)?, &self.command)
    }
}

/// Runs a command as a profile. On Unix ccs becomes the command (exec), so its exit status,
/// signals and stdio are the command's own.
pub(super) fn run_as_profile(name: &ProfileName, command: &[OsString]) -> Result<Outcome> {
    let (name, dir) = Store::from_env()?.find(name)?;
    warn_about_login_routes(&name, &dir);
    let (program, args) = command.split_first().context("no command given after --")?;
    let mut cmd = std::process::Command::new(program);
    cmd.args(args)
        .env(CONFIG_DIR_VAR, &dir)
        .env(PROFILE_VAR, name.as_str())
        .env_remove(HOOK_VAR);
    let err = run_in_place(&mut cmd);
    let code = if err.kind() == std::io::ErrorKind::NotFound {
        127
    } else {
        126
    };
    notice::note(format_args!("cannot run {:?}: {err}", program));
    Ok(Outcome {
        stdout: String::new(),
        code,
    })
}

#[cfg(unix)]
fn run_in_place(cmd: &mut std::process::Command) -> std::io::Error {
    use std::os::unix::process::CommandExt;
    cmd.exec()
}

#[cfg(not(unix))]
fn run_in_place(cmd: &mut std::process::Command) -> std::io::Error {
    match cmd.status() {
        Ok(status) => std::process::exit(status.code().unwrap_or(1)),
        Err(e) => e,
    }
}

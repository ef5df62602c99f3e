use std::ffi::OsString;

use anyhow::{Context, Result};
use clap::Args;
use clap_complete::ArgValueCandidates;

use super::tab::profile_names;
use super::{Outcome, carries_over_ssh, warn_about_login_routes};
use crate::claude_code::CONFIG_DIR_VAR;
use crate::contract::{HOOK_VAR, PROFILE_VAR, SSH_PROFILE_VAR};
use crate::profile_name::ProfileName;
use crate::store::Store;
use crate::ui;

/// Run one command as a profile, with no shell hook: `ccs exec work -- claude -p "hi"`
#[derive(Debug, Args)]
pub struct Exec {
    /// The profile to run the command as
    #[arg(add = ArgValueCandidates::new(profile_names))]
    name: String,
    /// The command and its arguments, after `--` (e.g. `-- claude -p "summarise"`)
    // Not `last`: PowerShell drops a `--` from a function's arguments, so through its hook the
    // command arrives without one.
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
    let (name, dir) = Store::from_env()?.find_to_use(name)?;
    run_command(command, Some((&name, &dir)))
}

/// Runs `command` in place of ccs, as `profile` when given (its routes around the login warned
/// about), else with the environment exactly as ccs was given it.
pub(super) fn run_command(
    command: &[OsString],
    profile: Option<(&ProfileName, &std::path::Path)>,
) -> Result<Outcome> {
    let (program, args) = command.split_first().context("no command given after --")?;
    // On Windows, found as its shells find it, through PATHEXT (`claude` is the `claude.cmd` of
    // an npm install), which Rust's lookup does not try. On Unix exec searches PATH itself and
    // keeps the name the user typed as the program's argv[0].
    let found = cfg!(windows)
        .then(|| crate::process::lookup::find(program))
        .flatten();
    let mut cmd = std::process::Command::new(found.as_deref().unwrap_or(program.as_ref()));
    cmd.args(args);
    if let Some((name, dir)) = profile {
        warn_about_login_routes(name, dir);
        cmd.env(CONFIG_DIR_VAR, dir)
            .env(PROFILE_VAR, name.as_str())
            .env_remove(HOOK_VAR);
        // A shell that carries its profile's name over ssh would otherwise send the wrong one
        // from `ccs exec work -- ssh devbox`.
        if carries_over_ssh() {
            cmd.env(SSH_PROFILE_VAR, name.as_str());
        }
    }
    let err = run_in_place(&mut cmd);
    let code = if err.kind() == std::io::ErrorKind::NotFound {
        127
    } else {
        126
    };
    ui::note(format_args!("cannot run {:?}: {err}", program));
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

/// Windows has no exec: ccs runs the command and exits with its status. A Ctrl+C in the console
/// reaches every process attached to it; ccs takes it as handled and waits, so the command
/// decides what Ctrl+C means (claude interrupts a turn and goes on), as it would run alone.
#[cfg(windows)]
fn run_in_place(cmd: &mut std::process::Command) -> std::io::Error {
    windows_console::survive_ctrl_c();
    match cmd.status() {
        Ok(status) => std::process::exit(status.code().unwrap_or(1)),
        Err(e) => e,
    }
}

#[cfg(not(any(unix, windows)))]
fn run_in_place(cmd: &mut std::process::Command) -> std::io::Error {
    match cmd.status() {
        Ok(status) => std::process::exit(status.code().unwrap_or(1)),
        Err(e) => e,
    }
}

// Registering a console control handler is a Win32 call std does not wrap; the one `unsafe`
// block below says why it is sound.
#[cfg(windows)]
#[allow(unsafe_code)]
mod windows_console {
    use windows_sys::Win32::Foundation::TRUE;
    use windows_sys::Win32::System::Console::{PHANDLER_ROUTINE, SetConsoleCtrlHandler};
    use windows_sys::core::BOOL;

    /// Takes every console control event (Ctrl+C, Ctrl+Break) as handled, in this process
    /// only: a handler is not inherited, where ignoring them (a null handler) would be, by the
    /// command too.
    extern "system" fn handled(_event: u32) -> BOOL {
        TRUE
    }

    pub(super) fn survive_ctrl_c() {
        let handler: PHANDLER_ROUTINE = Some(handled);
        // SAFETY: registers a function of the signature the call expects, which only returns and
        // lives as long as the program; failure leaves the default handler, which is all ccs
        // could do about it.
        unsafe {
            SetConsoleCtrlHandler(handler, TRUE);
        }
    }
}

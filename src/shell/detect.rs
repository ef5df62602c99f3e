//! Which shell to write for when `--shell` is not given: `CCS_SHELL`, then the parent process
//! (the shell running `eval "$(ccs use …)"`), then the login shell in `$SHELL`, and on Windows,
//! where there is no `$SHELL` but in Git Bash and the like, PowerShell.

use std::ffi::OsStr;

use anyhow::{Result, bail};
use clap::ValueEnum;

use super::Shell;
use crate::contract::SHELL_VAR;

pub(crate) fn detect() -> Result<Shell> {
    if let Some(explicit) = std::env::var_os(SHELL_VAR).filter(|v| !v.is_empty()) {
        return parse_named(&explicit, SHELL_VAR);
    }
    if let Some(shell) = parent_process_name().as_deref().and_then(from_program_name) {
        return Ok(shell);
    }
    if let Some(shell) = std::env::var("SHELL")
        .ok()
        .as_deref()
        .and_then(from_program_name)
    {
        return Ok(shell);
    }
    if cfg!(windows) {
        return Ok(Shell::Powershell);
    }
    bail!(
        "cannot tell which shell to write for: pass --shell bash|zsh|fish|powershell \
         or set CCS_SHELL"
    )
}

/// `--shell` when given, else [`detect`].
pub(crate) fn explicit_or_detected(explicit: Option<Shell>) -> Result<Shell> {
    match explicit {
        Some(shell) => Ok(shell),
        None => detect(),
    }
}

fn from_program_name(name: &str) -> Option<Shell> {
    // A login shell's argv[0] starts with '-'; a path may come from $SHELL.
    let name = name.trim_start_matches('-').rsplit(['/', '\\']).next()?;
    let lower = name.to_ascii_lowercase();
    let name = lower.strip_suffix(".exe").unwrap_or(&lower);
    Shell::ALL
        .into_iter()
        .find(|shell| shell.syntax().program_names().contains(&name))
}

fn parse_named(value: &OsStr, source: &str) -> Result<Shell> {
    let text = value.to_string_lossy();
    match Shell::from_str(&text, true) {
        Ok(shell) => Ok(shell),
        Err(_) => bail!("{source}={text:?} is not a shell ccs knows (bash, zsh, fish, powershell)"),
    }
}

/// The parent's command name, read from `/proc` on Linux: one small read, no process started.
#[cfg(target_os = "linux")]
fn parent_process_name() -> Option<String> {
    let ppid = std::os::unix::process::parent_id();
    let comm = std::fs::read_to_string(format!("/proc/{ppid}/comm")).ok()?;
    Some(comm.trim_end().to_owned())
}

#[cfg(not(target_os = "linux"))]
fn parent_process_name() -> Option<String> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_shell_program_names() {
        for (name, shell) in [
            ("bash", Shell::Bash),
            ("-bash", Shell::Bash),
            ("/usr/bin/zsh", Shell::Zsh),
            ("/opt/homebrew/bin/fish", Shell::Fish),
            ("pwsh", Shell::Powershell),
            ("powershell.exe", Shell::Powershell),
            (r"C:\Program Files\Git\usr\bin\bash.exe", Shell::Bash),
            ("PWSH.EXE", Shell::Powershell),
        ] {
            assert_eq!(from_program_name(name), Some(shell), "{name}");
        }
        for name in ["sh", "dash", "tmux", "sudo", "", "/"] {
            assert_eq!(from_program_name(name), None, "{name}");
        }
    }

    #[test]
    fn refuses_an_unknown_ccs_shell_value() {
        let err = parse_named(OsStr::new("tcsh"), SHELL_VAR)
            .unwrap_err()
            .to_string();
        assert!(err.contains("CCS_SHELL=\"tcsh\""), "{err}");
    }
}

//! The shells ccs writes code for. Each module owns one shell's quoting, the lines that set and
//! unset variables, and its hook script (embedded from `shell/` at the top of the repo).

pub mod fish;
pub mod posix;
pub mod powershell;

use std::ffi::OsStr;

use anyhow::{Result, bail};
use clap::ValueEnum;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    #[value(alias = "pwsh")]
    Powershell,
}

impl Shell {
    /// `value` as one literal word of this shell's syntax, exactly.
    pub fn quote(self, value: &str) -> String {
        match self {
            Shell::Bash | Shell::Zsh => posix::quote(value),
            Shell::Fish => fish::quote(value),
            Shell::Powershell => powershell::quote(value),
        }
    }

    /// A statement that sets and exports an environment variable. `name` is one of ccs's own
    /// constant names, never user input, so only the value is quoted.
    pub fn set_var(self, name: &str, value: &str) -> Result<String> {
        let value_code = self.quote(value);
        Ok(match self {
            Shell::Bash | Shell::Zsh => format!("export {name}={value_code};\n"),
            Shell::Fish => format!("set -gx {name} {value_code};\n"),
            Shell::Powershell => {
                powershell::check_value(value)?;
                format!("$env:{name} = {value_code};\n")
            }
        })
    }

    /// Statements that remove environment variables (an unset one stays unset, silently).
    pub fn unset_vars(self, names: &[&str]) -> String {
        match self {
            Shell::Bash | Shell::Zsh => format!("unset {};\n", names.join(" ")),
            Shell::Fish => format!("set -e -g {};\n", names.join(" ")),
            Shell::Powershell => names
                .iter()
                .map(|n| format!("$env:{n} = $null;\n"))
                .collect(),
        }
    }

    /// The hook `ccs init <shell>` prints.
    pub fn hook(self) -> &'static str {
        match self {
            Shell::Bash => posix::BASH_HOOK,
            Shell::Zsh => posix::ZSH_HOOK,
            Shell::Fish => fish::HOOK,
            Shell::Powershell => powershell::HOOK,
        }
    }

    /// The completion registration as the hook installs it.
    pub fn wrap_completion(self, registration: &str) -> String {
        match self {
            Shell::Zsh => posix::zsh_completion(registration),
            Shell::Bash | Shell::Fish | Shell::Powershell => registration.to_owned(),
        }
    }

    /// The hook line that turns on the `(profile)` prompt prefix, appended by `init --prompt`.
    pub fn enable_prompt_prefix(self) -> &'static str {
        "__ccs_enable_prompt_prefix\n"
    }

    /// The hook line that turns on switching by `.ccs-profile`, appended by `init --auto`.
    pub fn enable_auto_switch(self) -> &'static str {
        "__ccs_enable_auto_switch\n"
    }

    fn from_program_name(name: &str) -> Option<Shell> {
        // A login shell's argv[0] starts with '-'; a path may come from $SHELL.
        let name = name.trim_start_matches('-').rsplit('/').next()?;
        let name = name.strip_suffix(".exe").unwrap_or(name);
        match name {
            "bash" => Some(Shell::Bash),
            "zsh" => Some(Shell::Zsh),
            "fish" => Some(Shell::Fish),
            "pwsh" | "powershell" | "pwsh-preview" => Some(Shell::Powershell),
            _ => None,
        }
    }
}

/// The shell to write for when `--shell` is not given: `CCS_SHELL`, then the parent process
/// (the shell running `eval "$(ccs use …)"`), then the login shell in `$SHELL`.
pub fn detect() -> Result<Shell> {
    if let Some(explicit) = std::env::var_os("CCS_SHELL").filter(|v| !v.is_empty()) {
        return parse_named(&explicit, "CCS_SHELL");
    }
    if let Some(shell) = parent_process_name()
        .as_deref()
        .and_then(Shell::from_program_name)
    {
        return Ok(shell);
    }
    if let Some(shell) = std::env::var("SHELL")
        .ok()
        .as_deref()
        .and_then(Shell::from_program_name)
    {
        return Ok(shell);
    }
    bail!(
        "cannot tell which shell to write for: pass --shell bash|zsh|fish|powershell \
         or set CCS_SHELL"
    )
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
        ] {
            assert_eq!(Shell::from_program_name(name), Some(shell), "{name}");
        }
        for name in ["sh", "dash", "tmux", "sudo", "", "/"] {
            assert_eq!(Shell::from_program_name(name), None, "{name}");
        }
    }

    #[test]
    fn refuses_an_unknown_ccs_shell_value() {
        let err = parse_named(OsStr::new("tcsh"), "CCS_SHELL")
            .unwrap_err()
            .to_string();
        assert!(err.contains("CCS_SHELL=\"tcsh\""), "{err}");
    }
}

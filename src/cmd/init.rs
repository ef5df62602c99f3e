use anyhow::{Context, Result};
use clap::Args;

use super::{Outcome, active_profile, carries_over_ssh};

use crate::claude_code::CONFIG_DIR_VAR;
use crate::config::Config;
use crate::contract::{SSH_CONNECTION_VAR, SSH_PROFILE_VAR};
use crate::profile_name::ProfileName;
use crate::shell::{ENABLE_AUTO_SWITCH, ENABLE_PROMPT_PREFIX, Shell, Switch};
use crate::store::Store;
use crate::ui;

/// Print the shell hook, to add to your shell's start-up file
///
/// One line, after anything that sets up your prompt or runs compinit:
///
///   bash        ~/.bashrc                     eval "$(ccs init bash)"
///   zsh         ~/.zshrc                      eval "$(ccs init zsh)"
///   fish        ~/.config/fish/config.fish    ccs init fish | source
///   PowerShell  $PROFILE                      Invoke-Expression (& ccs init powershell | Out-String)
///   nushell     config.nu                     mkdir ($nu.user-autoload-dirs | first)
///                                             ccs init nu | save -f ($nu.user-autoload-dirs | first | path join ccs.nu)
///
/// The hook makes `ccs use` and `ccs off` change the shell they are typed in, and adds Tab
/// completion; --prompt, --auto and --ssh add the rest. On a host reached by ssh, a new shell
/// starts on the profile the ssh client was on (sent by --ssh) when this host has one of that
/// name, else says so once.
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct Init {
    /// The shell to print the hook for
    #[arg(value_enum)]
    shell: Shell,
    /// Also prefix the prompt with the active profile, like a Python venv: `(work) $`
    #[arg(long)]
    prompt: bool,
    /// Also switch profiles on `cd` into a tree pinned with `ccs pin`, and back on leaving
    #[arg(long)]
    auto: bool,
    /// Also send the profile's name (never a path or a login) to the hosts `ssh` logs in to, in
    /// LC_CCS_PROFILE, which Debian's, Ubuntu's and macOS's ssh pass as they ship
    #[arg(long)]
    ssh: bool,
}

impl Init {
    /// The hook, then the completion registration wrapped so the hook can install it, the
    /// switch to the default profile for a shell that inherited none, and the opt-ins.
    pub fn run(self) -> Result<Outcome> {
        let syntax = self.shell.syntax();
        // LF only, even from a checkout that turned the hook files' line ends into CRLF (see
        // .gitattributes): a CR breaks the POSIX shells.
        let mut hook = syntax.hook().replace("\r\n", "\n");
        hook.push_str(&syntax.wrap_completion(crate::shell::completion::registration(self.shell)));
        hook.push_str(&syntax.at_start(start_code(self.shell, self.ssh)));
        if self.prompt {
            hook.push_str(ENABLE_PROMPT_PREFIX);
        }
        if self.auto {
            hook.push_str(ENABLE_AUTO_SWITCH);
        }
        Ok(Outcome::print(hook))
    }
}

/// The switch a new shell starts with, costing no extra process: the hook's own `ccs init`
/// prints it. A shell that inherited a config dir from its parent keeps it. Otherwise an ssh
/// login goes to the profile the client sent, when there is one of that name here, and any
/// other shell (or a login whose name is no profile here, said once) to the default profile.
/// A shell that carries the name over ssh always leaves with `LC_CCS_PROFILE` set to the profile
/// it is on: a sent name is used once, not again by the shells started from this one. Problems
/// only warn: the hook must load whatever happens.
fn start_code(shell: Shell, send_over_ssh: bool) -> String {
    let switch = if nonempty_env(CONFIG_DIR_VAR).is_some() {
        // Set again from the config dir, the truth: an ssh login whose own start-up set
        // `CLAUDE_CONFIG_DIR` would otherwise carry on the name its client sent.
        (send_over_ssh || carries_over_ssh()).then(|| {
            let name = Store::from_env()
                .ok()
                .and_then(|store| active_profile(&store));
            Switch::only_carried(name.as_ref().map_or("", ProfileName::as_str))
        })
    } else {
        let mut switch = start_switch().unwrap_or_else(|e| {
            ui::warn(format_args!("not switching to the default profile: {e:#}"));
            None
        });
        if send_over_ssh || carries_over_ssh() {
            let carried = switch.get_or_insert_with(|| Switch::only_carried(""));
            carried.carry_over_ssh();
        }
        switch
    };
    let code = switch.map(|s| shell.render(&s)).transpose();
    code.unwrap_or_else(|e| {
        ui::warn(format_args!("not switching at start: {e:#}"));
        None
    })
    .unwrap_or_default()
}

/// The profile a shell with no config dir starts on: the one the ssh client sent when this
/// host has it, else the default profile, else none.
fn start_switch() -> anyhow::Result<Option<Switch>> {
    let store = Store::from_env()?;
    let sent = sent_over_ssh().map(|raw| {
        let name = ProfileName::parse(&raw).context("ignoring the name the ssh client sent")?;
        store
            .find(&name)
            .with_context(|| format!("the ssh client is on profile '{name}'"))
    });
    let staying = match sent {
        Some(Ok((name, dir))) => return Ok(Some(Switch::to_profile(&dir, &name)?)),
        Some(Err(e)) => Some(e),
        None => None,
    };
    let default = Config::load(&store)?.default_profile();
    let found = default
        .map(|name| store.find(&name).context("the default profile is unusable"))
        .transpose();
    if let Some(e) = staying {
        let here = match &found {
            Ok(Some((name, _))) => format!("profile '{name}', the default here"),
            _ => "Claude Code's default (~/.claude)".to_owned(),
        };
        ui::note(format_args!("{e:#}; staying on {here}"));
    }
    found?
        .map(|(name, dir)| Switch::to_profile(&dir, &name))
        .transpose()
}

/// The profile name an ssh client sent (`LC_CCS_PROFILE`), raw, in a shell sshd started.
fn sent_over_ssh() -> Option<String> {
    nonempty_env(SSH_CONNECTION_VAR)?;
    nonempty_env(SSH_PROFILE_VAR)
}

/// A variable's value when it is set, non-empty and valid UTF-8.
fn nonempty_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

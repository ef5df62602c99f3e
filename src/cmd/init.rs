use anyhow::{Context, Result};
use clap::Args;

use super::{Outcome, switch_code};

use crate::claude_code::CONFIG_DIR_VAR;
use crate::config::Config;
use crate::shell::{ENABLE_AUTO_SWITCH, ENABLE_PROMPT_PREFIX, Shell};
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
/// completion; --prompt and --auto add the rest.
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
        hook.push_str(&syntax.at_start(default_profile_code(self.shell)));
        if self.prompt {
            hook.push_str(ENABLE_PROMPT_PREFIX);
        }
        if self.auto {
            hook.push_str(ENABLE_AUTO_SWITCH);
        }
        Ok(Outcome::print(hook))
    }
}

/// A new terminal starts on the default profile: the hook's own `ccs init` prints the switch, so
/// it costs no extra process. A shell that inherited a config dir from its parent keeps it.
/// Problems only warn: the hook must load whatever happens.
fn default_profile_code(shell: Shell) -> String {
    if std::env::var_os(CONFIG_DIR_VAR).is_some_and(|v| !v.is_empty()) {
        return String::new();
    }
    let code = (|| -> Result<Option<String>> {
        let store = Store::from_env()?;
        let Some(name) = Config::load(&store)?.default_profile() else {
            return Ok(None);
        };
        let (name, dir) = store
            .find(&name)
            .context("the default profile is unusable")?;
        Ok(Some(switch_code(shell, &dir, &name)?))
    })();
    code.unwrap_or_else(|e| {
        ui::warn(format_args!("not switching to the default profile: {e:#}"));
        None
    })
    .unwrap_or_default()
}

use anyhow::Result;
use clap::Args;

use super::{Outcome, command_names};
use crate::profile_name::ProfileName;
use crate::share::{self, Item, Mode, Sharing};
use crate::store::Store;
use crate::ui;

/// Create a profile: a private Claude Code config dir of its own
///
/// By default the profile shares your own configuration from ~/.claude (or
/// $CCS_SHARED_FROM) by symlink, so an edit there is seen by every profile at once: each item
/// `--no-share` lists below (`ccs show NAME` shows their state). skills/ is shared entry by
/// entry, so each account's synced skills stay its own. Only what exists is linked; where no
/// link can be made, ccs keeps a copy in step. Logins, history and sessions are always the
/// profile's own.
#[derive(Debug, Args)]
pub struct Create {
    /// Letters, digits, '.', '_' and '-', starting with a letter or digit
    name: String,
    /// Share nothing: the profile starts with empty commands/ and skills/ of its own
    #[arg(long, conflicts_with_all = ["copy", "no_share"])]
    isolated: bool,
    /// Copy your configuration instead of linking it (for systems without symlinks);
    /// `ccs sync` copies it again
    #[arg(long)]
    copy: bool,
    /// Do not share this item (repeat for more)
    #[arg(long, value_enum, value_name = "ITEM")]
    no_share: Vec<Item>,
}

impl Create {
    pub fn run(self) -> Result<Outcome> {
        let name = ProfileName::parse(&self.name)?;
        let mode = match (self.isolated, self.copy) {
            (true, _) => Mode::Isolated,
            (_, true) => Mode::Copy,
            _ => Mode::Link,
        };
        let sharing = Sharing::new(mode, self.no_share);
        let store = Store::from_env()?;
        let source = match sharing.mode {
            Mode::Isolated => None,
            Mode::Link | Mode::Copy => sharing_source()?,
        };
        let mut carried = Vec::new();
        let dir = store.create(&name, |staging| {
            carried = share::populate(staging, sharing, source.as_deref())?;
            Ok(())
        })?;
        if command_names().iter().any(|c| c == name.as_str()) {
            ui::warn(format_args!(
                "'{name}' is also a command: `ccs {name} ...` runs the command, so run claude as \
                 this profile with `ccs exec {name} -- claude`"
            ));
        }
        let mut carried_text = String::new();
        for line in &carried {
            carried_text.push_str(&format!("  {line}\n"));
        }
        let remote = share::remote_servers(&dir);
        if !remote.is_empty() {
            carried_text.push_str(&format!(
                "MCP sign-ins are per account and never copied: sign in to {} in this profile \
                 with /mcp.\n",
                remote.join(", ")
            ));
        }
        Ok(Outcome::report(&format!(
            "Created profile '{name}' at {}\n{}\n{carried_text}Switch a terminal to it with: ccs \
             use {name}\n",
            dir.display(),
            share::creation_summary(&dir, source.as_deref())
        )))
    }
}

/// The directory to share from, for create and sync. Without HOME there is no `~/.claude` to
/// share (a warning, not an error: the profile is still usable); a `CCS_SHARED_FROM` that is set
/// must be usable.
pub(super) fn sharing_source() -> Result<Option<std::path::PathBuf>> {
    use crate::contract::SHARED_FROM_VAR;
    let named = std::env::var_os(SHARED_FROM_VAR).is_some_and(|v| !v.is_empty());
    match share::source_dir() {
        Ok(dir) => {
            if named && !dir.is_dir() {
                ui::warn(format_args!(
                    "{SHARED_FROM_VAR}={} is not a directory: nothing to share",
                    dir.display()
                ));
            }
            Ok(Some(dir))
        }
        Err(e) if named => Err(e),
        Err(e) => {
            ui::warn(format_args!("sharing nothing: {e:#}"));
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use crate::claude_code::layout::ITEMS;

    /// `create --help` names the shared items from the one table (`--no-share`'s values), so a
    /// new row there reaches the help, `du`'s labels and the linking alike.
    #[test]
    fn the_help_names_every_shared_item() {
        let mut cli = super::super::Cli::command();
        let help = cli
            .find_subcommand_mut("create")
            .expect("create is a command")
            .render_long_help()
            .to_string();
        for spec in &ITEMS {
            assert!(
                help.contains(spec.file_name),
                "{} in {help}",
                spec.file_name
            );
        }
    }
}

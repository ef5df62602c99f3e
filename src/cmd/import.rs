//! `ccs import NAME DIR`: a config dir made by hand (`CLAUDE_CONFIG_DIR=~/.claude-work claude`)
//! or by another switcher becomes a profile, with its login, history and settings.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;

use super::rename::move_keychain_login;
use super::{Outcome, active_profile, refuse_if_running};
use crate::claude_code::{self, CONFIG_DIR_VAR};
use crate::fsx;
use crate::profile_name::ProfileName;
use crate::store::Store;
use crate::ui;

/// Make an existing Claude Code config dir a profile, moving it into the store
///
/// For a config dir used as `CLAUDE_CONFIG_DIR=~/.claude-work claude`, or one another switcher
/// made: the directory moves (one rename, on the same file system) to the store with its
/// login, history and settings, and on macOS its Keychain login moves with it. Its own
/// settings, CLAUDE.md and the like stay its own; `ccs sync` shares ~/.claude's where it has
/// none. Claude Code's default ~/.claude cannot be imported: it stays the default.
#[derive(Debug, Args)]
pub struct Import {
    /// The new profile's name: letters, digits, '.', '_' and '-', starting with a letter or digit
    name: String,
    /// The config dir to move into the store
    #[arg(value_hint = clap::ValueHint::DirPath)]
    dir: PathBuf,
    /// Import it even while Claude Code runs on it
    #[arg(long)]
    force: bool,
}

impl Import {
    pub fn run(self) -> Result<Outcome> {
        let name = ProfileName::parse(&self.name)?;
        let store = Store::from_env()?;
        let typed = self.dir.as_os_str().to_owned();
        let cwd = std::env::current_dir().context("cannot read the current directory")?;
        let dir = fsx::normalised_absolute(&cwd.join(&self.dir))?;
        refuse_unless_a_config_dir(&dir, &store)?;
        refuse_if_running(&dir.display().to_string(), &dir, self.force, "import it")?;
        let was_here = std::env::var_os(CONFIG_DIR_VAR)
            .and_then(|v| fsx::normalised_absolute(Path::new(&v)).ok())
            .is_some_and(|active| active == dir);
        let target = store.adopt(&name, &dir)?;
        // The Keychain names a login after the config dir's path as the client was given it:
        // an absolute one, as a shell expands `~/.claude-work`.
        let given = if Path::new(&typed).is_absolute() {
            PathBuf::from(&typed)
        } else {
            dir.clone()
        };
        move_keychain_login(&given, &target, &name);
        let mut report = format!(
            "Imported {} as profile '{name}' at {}\n",
            dir.display(),
            target.display()
        );
        report.push_str(&format!(
            "Its login, history and settings came along; `ccs sync {name}` shares your own \
             configuration from ~/.claude where it has none of its own.\n"
        ));
        report.push_str(&format!("Switch a terminal to it with: ccs use {name}\n"));
        if was_here && active_profile(&store).is_none() {
            ui::note(format_args!(
                "this shell's {CONFIG_DIR_VAR} still names {}: switch with: ccs use {name}",
                dir.display()
            ));
        }
        ui::note(format_args!(
            "where a start-up file or script sets {CONFIG_DIR_VAR}={}, use `ccs use {name}` instead",
            dir.display()
        ));
        Ok(Outcome::report(&report))
    }
}

/// Only a real directory outside the store that is not Claude Code's default, and that holds
/// what the client writes, is taken: anything else is most likely a typo of a path.
fn refuse_unless_a_config_dir(dir: &Path, store: &Store) -> Result<()> {
    let meta =
        std::fs::symlink_metadata(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    if meta.file_type().is_symlink() {
        bail!(
            "{} is a symbolic link: import the directory it points to",
            dir.display()
        );
    }
    if !meta.is_dir() {
        bail!("{} is not a directory", dir.display());
    }
    let home = fsx::home_dir()?;
    if dir == home.join(claude_code::DEFAULT_DIR) {
        bail!(
            "{} is Claude Code's default config dir: it stays the default (ccs off), and profiles share your configuration from it",
            dir.display()
        );
    }
    if dir.starts_with(store.root()) || store.root().starts_with(dir) {
        bail!(
            "{} is inside the store or holds it: only a directory outside {} can be imported",
            dir.display(),
            store.root().display()
        );
    }
    let written_by_the_client = [
        claude_code::GLOBAL_CONFIG_FILE,
        claude_code::CREDENTIALS_FILE,
        "projects",
        "settings.json",
        "history.jsonl",
    ];
    if !written_by_the_client
        .iter()
        .any(|entry| dir.join(entry).exists())
    {
        bail!(
            "{} does not look like a Claude Code config dir (none of {} in it)",
            dir.display(),
            written_by_the_client.join(", ")
        );
    }
    Ok(())
}

use anyhow::{Result, bail};
use clap::Args;
use clap_complete::ArgValueCandidates;

use super::tab::profile_names;
use super::{Outcome, refuse_if_running, targets};
use crate::cleaning::{self, Selection};
use crate::disk::human_size;
use crate::store::Store;
use crate::ui;

/// Remove a profile's session history and logs, after confirmation
///
/// Sessions: projects/ (conversation transcripts), file-history/, session-env/,
/// shell-snapshots/, plans/, tasks/ and Claude Code's other per-session directories. Logs:
/// debug/, telemetry/, traces/ and the like (`ccs du` labels each). Never touches the login,
/// .claude.json, history.jsonl, the records of running sessions, settings or the shared items.
/// Quit Claude Code running on the profile first, or use --older-than.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("which").required(true).args(["name", "all"]))]
pub struct Clean {
    /// The profile to clean (or --all)
    #[arg(add = ArgValueCandidates::new(profile_names))]
    name: Option<String>,
    /// Clean every profile
    #[arg(long)]
    all: bool,
    /// Only session history (without --sessions or --logs: both)
    #[arg(long)]
    sessions: bool,
    /// Only logs (without --sessions or --logs: both)
    #[arg(long)]
    logs: bool,
    /// Only what was last modified longer ago than this: 12h, 30d, 2w
    #[arg(long, value_name = "AGE", value_parser = cleaning::parse_age)]
    older_than: Option<std::time::Duration>,
    /// List what would be removed and how much room that frees; remove nothing
    #[arg(long)]
    dry_run: bool,
    /// Do not ask for confirmation (needed when stdin is not a terminal)
    #[arg(short, long)]
    yes: bool,
    /// Clean even a profile Claude Code runs on
    #[arg(long)]
    force: bool,
}

impl Clean {
    pub fn run(self) -> Result<Outcome> {
        // Neither flag means both.
        let selection = Selection {
            sessions: self.sessions || !self.logs,
            logs: self.logs || !self.sessions,
            older_than: self.older_than,
        };
        let store = Store::from_env()?;
        let mut plans = Vec::new();
        // Without a name clap has required --all.
        for name in targets(&store, self.name.as_deref(), self.all, None)? {
            let (name, dir) = store.find(&name)?;
            if !self.dry_run {
                refuse_if_running(&format!("profile '{name}'"), &dir, self.force, "clean it")?;
            }
            let plan = cleaning::plan(&dir, selection)?;
            plans.push((name, plan));
        }
        let what = cleaning::describe_selection(selection);
        let listing = cleaning::plan_report(&plans);
        if plans.iter().all(|(_, p)| cleaning::is_empty(p)) {
            return Ok(Outcome::report(&format!(
                "Nothing to clean: no {what}.\n{listing}"
            )));
        }
        if self.dry_run {
            return Ok(Outcome::report(&format!(
                "Would remove {what}:\n{listing}Nothing removed (--dry-run).\n"
            )));
        }
        if !self.yes {
            ui::confirm(
                &format!(
                    "Remove {what}:\n{listing}This history cannot be recovered. Remove it? [y/N] "
                ),
                "not cleaning without confirmation: pass --yes to clean from a script, or --dry-run to see what would go",
                "nothing removed",
            )?;
        }
        let removed = cleaning::remove(plans.iter().flat_map(|(_, parts)| parts));
        let freed = human_size(removed.bytes);
        if let Some(first) = removed.first_failure {
            // Partial: one line on stderr, as for any failure, saying what did go.
            bail!(
                "cleaned only partly ({freed} freed): {} entries could not be removed, first {first}",
                removed.failures
            );
        }
        Ok(Outcome::report(&format!(
            "Removed {what}:\n{listing}Freed {freed}.\n"
        )))
    }
}

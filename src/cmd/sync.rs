use anyhow::{Context, Result, bail};
use clap::Args;
use clap_complete::ArgValueCandidates;

use super::create::sharing_source;
use super::tab::profile_names;
use super::{Outcome, note_no_profiles, targets};
use crate::share::{self, Mode};
use crate::store::Store;
use crate::ui;

/// Bring profiles in line with ~/.claude: link new items, repair broken links, re-copy
///
/// Never overwrites a file or directory that is the profile's own: it reports it instead.
/// Without a name, syncs the profile active in this shell.
#[derive(Debug, Args)]
pub struct Sync {
    /// The profile (default: the one active in this shell)
    #[arg(add = ArgValueCandidates::new(profile_names), conflicts_with = "all")]
    name: Option<String>,
    /// Sync every profile
    #[arg(long)]
    all: bool,
}

impl Sync {
    pub fn run(self) -> Result<Outcome> {
        let store = Store::from_env()?;
        let names = targets(&store, self.name.as_deref(), self.all, Some("sync"))?;
        let source = sharing_source()?.context("there is nothing to share from")?;
        // A missing source (a typo in CCS_SHARED_FROM, ~/.claude moved away for a moment) would
        // make every shared item look deleted: sync would unlink them all and forget every copy.
        if !source.is_dir() {
            bail!(
                "{} is not a directory: nothing to sync from, nothing changed",
                source.display()
            );
        }
        if names.is_empty() {
            note_no_profiles();
        }
        let mut out = String::new();
        let mut failed = 0;
        for name in &names {
            // One broken profile does not hide what was done to the others: report each.
            let synced = store
                .find(name)
                .and_then(|(_, dir)| share::sync(&dir, &source))
                .with_context(|| format!("cannot sync '{name}'"));
            let (mode, changes, carried) = match synced {
                Ok(result) => result,
                Err(e) => {
                    ui::note(format_args!("{e:#}"));
                    failed += 1;
                    continue;
                }
            };
            if mode == Mode::Isolated {
                out.push_str(&format!("{name}: isolated, shares nothing\n"));
            } else if changes.is_empty() && carried.is_empty() {
                out.push_str(&format!("{name}: up to date\n"));
            } else {
                out.push_str(&format!("{name}:\n"));
                for change in changes {
                    out.push_str(&format!("  {change}\n"));
                }
                for line in carried {
                    out.push_str(&format!("  {line}\n"));
                }
            }
        }
        Ok(Outcome {
            code: u8::from(failed > 0),
            ..Outcome::report(&out)
        })
    }
}

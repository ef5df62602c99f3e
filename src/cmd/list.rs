use std::collections::BTreeMap;

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use super::{Outcome, active_profile, note_no_profiles};
use crate::account::Account;
use crate::listing::{self, Facts, SharingFacts};
use crate::names::SHARING_FILE;
use crate::profile_name::ProfileName;
use crate::size;
use crate::store::Store;

/// List profiles with their accounts, marking the one active in this shell with '*'
#[derive(Debug, Args)]
pub struct List {
    /// One JSON array for scripts: name, path, active, account and size of each profile
    #[arg(long)]
    json: bool,
}

/// One profile in `ccs list --json`.
#[derive(Serialize)]
struct Row<'a> {
    name: &'a str,
    path: Option<&'a str>,
    active: bool,
    account: &'a Account,
    size_bytes: u64,
    /// `null` when `.ccs.json` is broken.
    sharing: Option<SharingRow>,
}

/// `{"mode": "link", "items": {"commands": "shared", …}}`
#[derive(Serialize)]
struct SharingRow {
    mode: &'static str,
    items: BTreeMap<&'static str, &'static str>,
}

impl SharingRow {
    fn of(sharing: &SharingFacts) -> Self {
        Self {
            mode: sharing.mode.as_str(),
            items: sharing.items.iter().copied().collect(),
        }
    }
}

impl List {
    pub fn run(self) -> Result<Outcome> {
        let store = Store::from_env()?;
        let active = active_profile(&store);
        let listed = store.profiles_with_metadata()?;
        let facts = listing::facts(&store, &listed);
        let profiles: Vec<_> = listed
            .iter()
            .zip(&facts)
            .map(|((name, _), facts)| (name, Some(name) == active.as_ref(), facts))
            .collect();
        if self.json {
            let paths: Vec<_> = profiles
                .iter()
                .map(|(name, ..)| store.instance_dir(name))
                .collect();
            let rows: Vec<Row> = profiles
                .iter()
                .zip(&paths)
                .map(|((name, active, facts), path)| Row {
                    name: name.as_str(),
                    path: path.to_str(),
                    active: *active,
                    account: &facts.account,
                    size_bytes: facts.size,
                    sharing: facts.sharing.as_ref().map(SharingRow::of),
                })
                .collect();
            return Ok(Outcome::print(serde_json::to_string(&rows)? + "\n"));
        }
        if profiles.is_empty() {
            note_no_profiles();
        }
        Ok(Outcome::print(table(&profiles)))
    }
}

/// The listing for a person: `* work  max · me@example.com (Acme)  4 shared, 1 own   1.2 MB`.
///
/// Columns padded by hand into one buffer sized for the whole table: with a thousand profiles,
/// `format!`'s width machinery was a tenth of the listing's instructions (README, performance).
fn table(profiles: &[(&ProfileName, bool, &Facts)]) -> String {
    let name_width = profiles
        .iter()
        .map(|(n, ..)| n.as_str().len())
        .max()
        .unwrap_or(0);
    let summaries: Vec<String> = profiles.iter().map(|(.., f)| f.account.summary()).collect();
    let summary_width = summaries
        .iter()
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(0);
    let unreadable = format!("{SHARING_FILE} unreadable");
    let shares: Vec<&str> = profiles
        .iter()
        .map(|(.., f)| f.sharing.as_ref().map_or(&*unreadable, |s| &s.summary))
        .collect();
    let share_width = shares.iter().map(|s| s.len()).max().unwrap_or(0);
    let line_width = name_width + summary_width + share_width + 16;
    let mut out = String::with_capacity(profiles.len() * line_width);
    let pad = |out: &mut String, n: usize| out.extend(std::iter::repeat_n(' ', n));
    for (((name, active, facts), summary), share) in profiles.iter().zip(&summaries).zip(&shares) {
        out.push_str(if *active { "* " } else { "  " });
        out.push_str(name.as_str());
        pad(&mut out, name_width - name.as_str().len() + 2);
        out.push_str(summary);
        pad(&mut out, summary_width - summary.chars().count() + 2);
        out.push_str(share);
        pad(&mut out, share_width - share.len() + 2);
        let size = size::human_size(facts.size);
        pad(&mut out, 7usize.saturating_sub(size.chars().count()));
        out.push_str(&size);
        out.push('\n');
    }
    out
}

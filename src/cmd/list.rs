use std::collections::BTreeMap;

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use super::{Outcome, active_profile, note_no_profiles};
use crate::claude_code::account::Account;
use crate::claude_code::sessions;
use crate::contract::SHARING_FILE;
use crate::disk;
use crate::list_cache::{self, Facts, SharingFacts};
use crate::profile_name::ProfileName;
use crate::store::Store;
use crate::ui;
use crate::usage::snapshot::{self, Snapshot};
use crate::usage::time;

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
    /// The account's last known use, as the client reported it to `ccs statusline`; `null`
    /// when never reported.
    rate_limits: Option<snapshot::Shown<'a>>,
    /// Claude Code sessions running on the profile now.
    running_sessions: usize,
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
        let facts = list_cache::facts(&store, &listed);
        let profiles: Vec<_> = listed
            .iter()
            .zip(&facts)
            .map(|(profile, facts)| {
                let name = &profile.name;
                (name, Some(name) == active.as_ref(), facts)
            })
            .collect();
        let running = running_sessions(&store, &profiles);
        let limits = rate_limits(&store, &profiles);
        let now = time::now_millis();
        if self.json {
            let paths: Vec<_> = profiles
                .iter()
                .map(|(name, ..)| store.instance_dir(name))
                .collect();
            let rows: Vec<Row> = profiles
                .iter()
                .zip(&paths)
                .zip(&limits)
                .zip(&running)
                .map(|((((name, active, facts), path), limits), running)| Row {
                    name: name.as_str(),
                    path: path.to_str(),
                    active: *active,
                    account: &facts.account,
                    size_bytes: facts.size,
                    sharing: facts.sharing.as_ref().map(SharingRow::of),
                    rate_limits: limits.as_ref().map(|r| r.shown(now)),
                    running_sessions: *running,
                })
                .collect();
            return Ok(Outcome::print(serde_json::to_string(&rows)? + "\n"));
        }
        if profiles.is_empty() {
            note_no_profiles();
        }
        let uses: Vec<Option<String>> = if limits.iter().any(Option::is_some) {
            let zone = time::local_zone();
            limits
                .iter()
                .map(|r| r.as_ref().and_then(|r| r.summary(now, &zone)))
                .collect()
        } else {
            Vec::new()
        };
        Ok(Outcome::print(super::paint_lines(
            table(&profiles, &running, &uses),
            paint_active,
        )))
    }
}

/// How many Claude Code sessions run on each profile: its records checked only where the
/// listing's facts say there are any (most profiles have none, most of the time).
fn running_sessions(store: &Store, profiles: &[(&ProfileName, bool, &Facts)]) -> Vec<usize> {
    profiles
        .iter()
        .map(|(name, _, facts)| {
            if facts.session_records {
                sessions::running_sessions(&store.instance_dir(name)).len()
            } else {
                0
            }
        })
        .collect()
}

/// Each profile's last reported rate limits: one listing of `$CCS_HOME/rate-limits/` (most
/// stores have none, or a few), never a file tried per profile.
fn rate_limits(store: &Store, profiles: &[(&ProfileName, bool, &Facts)]) -> Vec<Option<Snapshot>> {
    let mut all = snapshot::load_all(store);
    all.retain(|(_, s)| s.has_limits());
    profiles
        .iter()
        .map(|(name, ..)| {
            let at = all
                .binary_search_by(|(n, _)| n.as_str().cmp(name.as_str()))
                .ok()?;
            Some(all[at].1.clone())
        })
        .collect()
}

/// The row of the profile active in this shell, which starts with `*`, stands out.
pub(super) fn paint_active(line: &str) -> String {
    if line.starts_with("* ") {
        ui::paint(true, ui::style::ACTIVE, line)
    } else {
        line.to_owned()
    }
}

/// The listing for a person: `* work  max · me@example.com (Acme)  4 shared, 1 own   1.2 MB`,
/// and the account's last known use when reported (`uses`, empty when none is).
///
/// Columns padded by hand into one buffer sized for the whole table: with a thousand profiles,
/// `format!`'s width machinery was a tenth of the listing's instructions (docs/performance.md).
fn table(
    profiles: &[(&ProfileName, bool, &Facts)],
    running: &[usize],
    uses: &[Option<String>],
) -> String {
    let running: Vec<String> = if running.iter().any(|&n| n > 0) {
        running
            .iter()
            .map(|&n| {
                if n > 0 {
                    format!("{n} running")
                } else {
                    String::new()
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let running_width = running.iter().map(String::len).max().unwrap_or(0);
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
    for (i, (((name, active, facts), summary), share)) in
        profiles.iter().zip(&summaries).zip(&shares).enumerate()
    {
        out.push_str(if *active { "* " } else { "  " });
        out.push_str(name.as_str());
        pad(&mut out, name_width - name.as_str().len() + 2);
        out.push_str(summary);
        pad(&mut out, summary_width - summary.chars().count() + 2);
        out.push_str(share);
        pad(&mut out, share_width - share.len() + 2);
        let size = disk::human_size(facts.size);
        pad(&mut out, 7usize.saturating_sub(size.chars().count()));
        out.push_str(&size);
        let used = uses.get(i).and_then(Option::as_deref);
        if let Some(text) = running.get(i).filter(|t| !t.is_empty() || used.is_some()) {
            out.push_str("  ");
            out.push_str(text);
            if used.is_some() {
                pad(&mut out, running_width - text.len());
            }
        }
        if let Some(used) = used {
            out.push_str("  ");
            out.push_str(used);
        }
        out.push('\n');
    }
    out
}

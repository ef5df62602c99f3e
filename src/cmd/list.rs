use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use super::{Outcome, active_profile, default_config, note_no_profiles};
use crate::claude_code::account::Account;
use crate::claude_code::default_config::DefaultConfig;
use crate::claude_code::sessions;
use crate::contract::SHARING_FILE;
use crate::disk;
use crate::list_cache::{self, Facts, SharingFacts};
use crate::profile_name::ProfileName;
use crate::store::Store;
use crate::ui;
use crate::usage::Owner;
use crate::usage::snapshot::{self, Snapshot};
use crate::usage::time;

/// List profiles with their accounts, marking the one active in this shell with '*'
///
/// Claude Code's default config (~/.claude, used with no profile active) is listed first as
/// ~/.claude, when it is there.
#[derive(Debug, Args)]
pub struct List {
    /// One JSON array for scripts: name, path, active, account and size of each profile (the
    /// default config with "name": null and "default_config": true)
    #[arg(long)]
    json: bool,
}

/// One profile in `ccs list --json`, or the default config.
#[derive(Serialize)]
struct Row<'a> {
    /// `null` for the default config: scripts that iterate names never take it for a profile.
    name: Option<&'a str>,
    /// The row is Claude Code's default config (`~/.claude`), not a profile.
    default_config: bool,
    path: Option<&'a str>,
    active: bool,
    account: &'a Account,
    /// `null` for the default config, which is not measured (see [`DefaultRow`]).
    size_bytes: Option<u64>,
    /// `null` when `.ccs.json` is broken, and for the default config.
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

/// The default config's row: its account, read from its two small files at every listing (they
/// are not in the listing's cache, which is keyed on profiles' directories), and its running
/// sessions and last known use. Its size is never measured: `~/.claude` may hold gigabytes of
/// history, and `ccs list` must cost no more than a couple of `stat`s and those two files beyond
/// the profiles' (1,000 profiles in about 3 ms); `ccs du` and `du -sh ~/.claude` say it.
struct DefaultRow {
    dir: PathBuf,
    facts: Facts,
    running: usize,
    limits: Option<Snapshot>,
}

impl DefaultRow {
    fn read(store: &Store, config: &DefaultConfig) -> Self {
        let dir = config.dir();
        let running = sessions::running_sessions(&dir).len();
        let limits = snapshot::load(store, Owner::DefaultConfig).filter(Snapshot::has_limits);
        Self {
            facts: Facts {
                account: Account::read_files(&config.account_files()),
                size: 0,
                sharing: None,
                session_records: running > 0,
            },
            dir,
            running,
            limits,
        }
    }
}

/// One line of the listing: a profile (`name`), or the default config (`None`).
struct Line<'a> {
    name: Option<&'a ProfileName>,
    active: bool,
    facts: &'a Facts,
}

impl Line<'_> {
    fn label(&self) -> &str {
        self.name.map_or(DefaultConfig::LABEL, |name| name.as_str())
    }
}

impl List {
    pub fn run(self) -> Result<Outcome> {
        let store = Store::from_env()?;
        let active = active_profile(&store);
        let listed = store.profiles_with_metadata()?;
        let facts = list_cache::facts(&store, &listed);
        let default = default_config().map(|config| DefaultRow::read(&store, &config));
        let profiles: Vec<_> = listed
            .iter()
            .zip(&facts)
            .map(|(profile, facts)| {
                let name = &profile.name;
                (name, Some(name) == active.as_ref(), facts)
            })
            .collect();
        let mut running = running_sessions(&store, &profiles);
        let mut limits = rate_limits(&store, &profiles);
        let mut lines: Vec<Line> = Vec::with_capacity(profiles.len() + 1);
        // The default config first, above the profiles.
        if let Some(default) = &default {
            lines.push(Line {
                name: None,
                active: DefaultConfig::is_active(),
                facts: &default.facts,
            });
            running.insert(0, default.running);
            limits.insert(0, default.limits.clone());
        }
        lines.extend(profiles.iter().map(|&(name, active, facts)| Line {
            name: Some(name),
            active,
            facts,
        }));
        let now = time::now_millis();
        if self.json {
            let paths: Vec<_> = lines
                .iter()
                .map(|line| match line.name {
                    Some(name) => store.instance_dir(name),
                    None => default.as_ref().map(|d| d.dir.clone()).unwrap_or_default(),
                })
                .collect();
            let rows: Vec<Row> = lines
                .iter()
                .zip(&paths)
                .zip(&limits)
                .zip(&running)
                .map(|(((line, path), limits), running)| Row {
                    name: line.name.map(ProfileName::as_str),
                    default_config: line.name.is_none(),
                    path: path.to_str(),
                    active: line.active,
                    account: &line.facts.account,
                    size_bytes: line.name.map(|_| line.facts.size),
                    sharing: line.facts.sharing.as_ref().map(SharingRow::of),
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
            table(&lines, &running, &uses),
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
/// and the account's last known use when reported (`uses`, empty when none is). The default
/// config's line shows `-` for what is not measured for it: sharing and size.
///
/// Columns padded by hand into one buffer sized for the whole table: with a thousand profiles,
/// `format!`'s width machinery was a tenth of the listing's instructions (docs/performance.md).
fn table(lines: &[Line], running: &[usize], uses: &[Option<String>]) -> String {
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
    let name_width = lines.iter().map(|l| l.label().len()).max().unwrap_or(0);
    let summaries: Vec<String> = lines.iter().map(|l| l.facts.account.summary()).collect();
    let summary_width = summaries
        .iter()
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(0);
    let unreadable = format!("{SHARING_FILE} unreadable");
    let shares: Vec<&str> = lines
        .iter()
        .map(|l| match (&l.facts.sharing, l.name) {
            (Some(s), _) => &s.summary,
            (None, Some(_)) => &*unreadable,
            (None, None) => "-",
        })
        .collect();
    let share_width = shares.iter().map(|s| s.len()).max().unwrap_or(0);
    let line_width = name_width + summary_width + share_width + 16;
    let mut out = String::with_capacity(lines.len() * line_width);
    let pad = |out: &mut String, n: usize| out.extend(std::iter::repeat_n(' ', n));
    for (i, ((line, summary), share)) in lines.iter().zip(&summaries).zip(&shares).enumerate() {
        let label = line.label();
        out.push_str(if line.active { "* " } else { "  " });
        out.push_str(label);
        pad(&mut out, name_width - label.len() + 2);
        out.push_str(summary);
        pad(&mut out, summary_width - summary.chars().count() + 2);
        out.push_str(share);
        pad(&mut out, share_width - share.len() + 2);
        let size = match line.name {
            Some(_) => disk::human_size(line.facts.size),
            None => "-".to_owned(),
        };
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

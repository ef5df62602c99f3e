use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use clap_complete::ArgValueCandidates;
use serde::Serialize;

use super::tab::profile_names;
use super::{Outcome, note_no_profiles, targets};
use crate::disk;
use crate::disk::human_size;
use crate::disk::parts::Footprint;
use crate::profile_name::ProfileName;
use crate::share;
use crate::store::Store;

/// Disk usage per profile and in total, largest parts first; shared items counted once
#[derive(Debug, Args)]
pub struct Du {
    /// Only this profile (the total then counts it alone)
    #[arg(add = ArgValueCandidates::new(profile_names))]
    name: Option<String>,
    /// One JSON object for scripts, sizes in bytes
    #[arg(long)]
    json: bool,
}

impl Du {
    pub fn run(self) -> Result<Outcome> {
        let store = Store::from_env()?;
        let source = share::source_dir().ok();
        let mut usages = Vec::new();
        for name in targets(&store, self.name.as_deref(), false, None)? {
            let (name, dir) = store.find(&name)?;
            let usage = disk::parts::measure(&dir, source.as_deref())?;
            usages.push((name, dir, usage));
        }
        if self.json {
            return Ok(Outcome::print(
                serde_json::to_string(&Report::of(&usages))? + "\n",
            ));
        }
        if usages.is_empty() {
            note_no_profiles();
            return Ok(Outcome::nothing());
        }
        Ok(Outcome::report(&text(&usages)))
    }
}

type Measured = (ProfileName, PathBuf, Footprint);

/// `ccs du --json`: each profile with its parts, the shared items once, and the total.
#[derive(Serialize)]
struct Report<'a> {
    profiles: Vec<ProfileRow<'a>>,
    shared: SharedRow,
    total_bytes: u64,
}

#[derive(Serialize)]
struct ProfileRow<'a> {
    name: &'a str,
    path: Option<&'a str>,
    size_bytes: u64,
    parts: Vec<PartRow<'a>>,
}

#[derive(Serialize)]
struct PartRow<'a> {
    name: &'a str,
    kind: &'static str,
    /// Today's Claude Code no longer writes it.
    legacy: bool,
    size_bytes: u64,
}

#[derive(Serialize)]
struct SharedRow {
    size_bytes: u64,
    paths: Vec<String>,
}

impl<'a> Report<'a> {
    fn of(usages: &'a [Measured]) -> Self {
        let (shared, shared_paths) = shared(usages);
        Report {
            profiles: usages
                .iter()
                .map(|(name, dir, usage)| ProfileRow {
                    name: name.as_str(),
                    path: dir.to_str(),
                    size_bytes: usage.bytes,
                    parts: usage
                        .parts
                        .iter()
                        .map(|p| PartRow {
                            name: &p.name,
                            kind: p.kind.label(),
                            legacy: p.legacy,
                            size_bytes: p.bytes,
                        })
                        .collect(),
                })
                .collect(),
            shared: SharedRow {
                size_bytes: shared,
                paths: shared_paths
                    .iter()
                    .map(|p| p.to_string_lossy().into_owned())
                    .collect(),
            },
            total_bytes: total(usages, shared),
        }
    }
}

/// `ccs du`: sizes first, like `du -sh`, each profile followed by its parts, largest first.
///
/// ```text
///  148 KB  work
///  108 KB    projects/          sessions
///     0 B    commands           shared
///   44 KB  shared items, counted once
///  192 KB  total
/// ```
fn text(usages: &[Measured]) -> String {
    let (shared, _) = shared(usages);
    let width = usages
        .iter()
        .flat_map(|(.., u)| u.parts.iter().map(|p| p.shown().chars().count()))
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (name, _, usage) in usages {
        out.push_str(&format!("{:>7}  {name}\n", human_size(usage.bytes)));
        for part in &usage.parts {
            out.push_str(&format!(
                "{:>7}    {:<width$}  {}\n",
                human_size(part.bytes),
                part.shown(),
                part.label()
            ));
        }
    }
    if shared > 0 {
        out.push_str(&format!(
            "{:>7}  shared items, counted once\n",
            human_size(shared)
        ));
    }
    out.push_str(&format!(
        "{:>7}  total\n",
        human_size(total(usages, shared))
    ));
    out
}

fn shared(usages: &[Measured]) -> (u64, Vec<PathBuf>) {
    disk::parts::shared_bytes(&usages.iter().map(|(.., u)| u).collect::<Vec<_>>())
}

fn total(usages: &[Measured], shared: u64) -> u64 {
    usages.iter().map(|(.., u)| u.bytes).sum::<u64>() + shared
}

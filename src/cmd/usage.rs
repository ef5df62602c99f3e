use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;
use clap_complete::ArgValueCandidates;
use serde::Serialize;

use super::tab::profile_names;
use super::{Outcome, active_profile, default_config, note_no_profiles, targets};
use crate::claude_code::default_config::DefaultConfig;
use crate::profile_name::ProfileName;
use crate::store::Store;
use crate::ui;
use crate::usage::room::{self, Room};
use crate::usage::snapshot::{self, Snapshot, percent};
use crate::usage::tally::{Block, Tally};
use crate::usage::time::{self, Millis, SECOND};
use crate::usage::{self, Owner, Problems, Report};

/// Which account has room left: each profile's token use and limits
///
/// Counts the tokens in each profile's transcripts (input, output, cache writes and reads, per
/// model) in the current 5-hour block, the last 7 days and in all, and shows how much of the
/// account's 5-hour and 7-day limits the client last reported as used (recorded by `ccs
/// statusline`), or that it is limited until a time. Without NAME, every profile, and Claude
/// Code's default config (~/.claude) as a row of its own when it is there.
#[derive(Debug, Args)]
pub struct Usage {
    /// Only this profile (default: every profile)
    #[arg(add = ArgValueCandidates::new(profile_names), conflicts_with = "all")]
    name: Option<String>,
    /// Every profile (the default without NAME)
    #[arg(long)]
    all: bool,
    /// One JSON array for scripts: per profile its totals, 5-hour block, 7 days, limit and rate
    /// limits, under Claude's own field names
    #[arg(long)]
    json: bool,
}

/// One profile, as `--json` shows it.
#[derive(Serialize)]
struct Row<'a> {
    /// `null` for the default config.
    name: Option<&'a str>,
    /// The row is Claude Code's default config (`~/.claude`), not a profile.
    default_config: bool,
    active: bool,
    total: &'a Tally,
    five_hour: Option<&'a Block>,
    seven_days: &'a Tally,
    limit: Option<LimitRow<'a>>,
    rate_limits: Option<snapshot::Shown<'a>>,
}

/// `{"resets_at": …, "since": …, "window": "five_hour"}`: a limit the client hit, still holding.
#[derive(Serialize)]
struct LimitRow<'a> {
    resets_at: i64,
    /// When the client recorded it (Unix seconds).
    since: i64,
    /// Which limit, when the client said (`five_hour`, `seven_day`, …).
    window: Option<&'a str>,
}

/// Everything shown for one profile, or for the default config.
struct Shown {
    /// `None` for the default config.
    name: Option<ProfileName>,
    active: bool,
    report: Report,
    snapshot: Option<Snapshot>,
}

impl Shown {
    /// The row's first column: the profile's name, or [`DefaultConfig::LABEL`].
    fn label(&self) -> &str {
        self.name
            .as_ref()
            .map_or(DefaultConfig::LABEL, ProfileName::as_str)
    }
}

impl Usage {
    pub fn run(self) -> Result<Outcome> {
        let store = Store::from_env()?;
        let everyone = self.name.is_none();
        let mut profiles: Vec<(ProfileName, PathBuf)> = Vec::new();
        for name in targets(&store, self.name.as_deref(), self.all, None)? {
            profiles.push(store.find(&name)?);
        }
        if everyone {
            let names: Vec<ProfileName> = profiles.iter().map(|(n, _)| n.clone()).collect();
            usage::prune(&store, &names);
            snapshot::prune(&store, &names);
        }
        if profiles.is_empty() {
            note_no_profiles();
        }
        // The default config first, counted like a profile under its own key.
        let counted: Vec<(Option<ProfileName>, PathBuf)> = everyone
            .then(default_config)
            .flatten()
            .map(|d| (None, d.dir()))
            .into_iter()
            .chain(profiles.into_iter().map(|(name, dir)| (Some(name), dir)))
            .collect();
        let dirs: Vec<(Owner, &Path)> = counted
            .iter()
            .map(|(name, dir)| (owner(name.as_ref()), dir.as_path()))
            .collect();
        let now = time::now_millis();
        let reports = usage::measure(&store, &dirs, now);
        let active = active_profile(&store);
        let default_active = DefaultConfig::is_active();
        let shown: Vec<Shown> = counted
            .into_iter()
            .zip(reports)
            .map(|((name, _), report)| Shown {
                snapshot: snapshot::load(&store, owner(name.as_ref())),
                active: match &name {
                    Some(name) => Some(name) == active.as_ref(),
                    None => default_active,
                },
                name,
                report,
            })
            .collect();
        for s in &shown {
            note_problems(s.label(), &s.report.problems);
        }
        if self.json {
            let rows: Vec<Row> = shown.iter().map(|s| row(s, now)).collect();
            return Ok(Outcome::print(serde_json::to_string(&rows)? + "\n"));
        }
        Ok(Outcome::painted_report(
            &table(&shown, now, &time::local_zone()),
            paint_row,
        ))
    }
}

/// Whose records a row's are.
fn owner(name: Option<&ProfileName>) -> Owner<'_> {
    name.map_or(Owner::DefaultConfig, Owner::Profile)
}

fn row(s: &Shown, now: Millis) -> Row<'_> {
    Row {
        name: s.name.as_ref().map(ProfileName::as_str),
        default_config: s.name.is_none(),
        active: s.active,
        total: &s.report.sums.total,
        five_hour: s.report.sums.five_hour.as_ref(),
        seven_days: &s.report.sums.seven_days,
        limit: s.report.limit.as_ref().map(|l| LimitRow {
            resets_at: l.resets_at,
            since: l.at.div_euclid(SECOND),
            window: l.window.as_deref(),
        }),
        rate_limits: s
            .snapshot
            .as_ref()
            .filter(|r| r.has_limits())
            .map(|r| r.shown(now)),
    }
}

/// One notice per kind of trouble per profile (`name`: its label).
fn note_problems(name: &str, p: &Problems) {
    if p.broken_lines > 0 {
        let others = p.broken_files.len() - 1;
        ui::warn(format_args!(
            "{name}: skipped {} {} that {} not sound usage records (in projects/{}{})",
            p.broken_lines,
            plural(p.broken_lines, "line", "lines"),
            plural(p.broken_lines, "is", "are"),
            p.broken_files[0],
            and_others(others, "file")
        ));
    }
    if let Some((path, error)) = p.unreadable.first() {
        // A folder as well as a transcript: whatever could not be read is not counted.
        ui::warn(format_args!(
            "{name}: cannot read {}: {error}{}; not counted",
            path.display(),
            and_others(p.unreadable.len() - 1, "")
        ));
    }
    if let Some(link) = p.links.first() {
        ui::note(format_args!(
            "{name}: not following {} inside projects/ ({}{}): the client never makes one",
            plural(p.links.len() as u64, "a link", "links"),
            link.display(),
            and_others(p.links.len() - 1, "")
        ));
    }
}

fn plural<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

fn and_others(n: usize, what: &str) -> String {
    match (n, what) {
        (0, _) => String::new(),
        (n, "") => format!(" and {n} more"),
        (n, what) => format!(" and {n} other {what}{}", if n == 1 { "" } else { "s" }),
    }
}

// --- the table --------------------------------------------------------------------------------

const BAR: usize = 10;

/// The table for a person: one line per profile, a bar of the 5-hour window's use, then the
/// tokens counted. `* work  ████░░░░░░  42% of 5h · resets 14:00 · 7d 17%   block 1.2M · …`
fn table(shown: &[Shown], now: Millis, zone: &jiff::tz::TimeZone) -> String {
    let name_width = shown.iter().map(|s| s.label().len()).max().unwrap_or(0);
    let states: Vec<(String, String)> = shown.iter().map(|s| state(s, now, zone)).collect();
    let state_width = states
        .iter()
        .map(|(_, t)| t.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (s, (bar, state)) in shown.iter().zip(&states) {
        let sums = &s.report.sums;
        out.push_str(if s.active { "* " } else { "  " });
        out.push_str(&format!("{:<name_width$}  {bar}  ", s.label()));
        out.push_str(&format!("{state:<state_width$}  "));
        let block = sums
            .five_hour
            .as_ref()
            .map_or_else(|| "-".to_owned(), |b| human(b.tally.tokens.total()));
        out.push_str(&format!(
            "tokens: 5h block {block} · 7 days {} · all {}",
            human(sums.seven_days.tokens.total()),
            human(sums.total.tokens.total())
        ));
        out.truncate(out.trim_end().len());
        out.push('\n');
    }
    if let Some(line) = most_room(shown, now) {
        out.push_str(&line);
    }
    out
}

/// The bar and the words for a profile's limits.
fn state(s: &Shown, now: Millis, zone: &jiff::tz::TimeZone) -> (String, String) {
    let limited_until = s
        .report
        .limit
        .as_ref()
        .map(|l| l.resets_at)
        .into_iter()
        .chain(s.snapshot.as_ref().and_then(|r| r.limited_until(now)))
        .max();
    if let Some(until) = limited_until {
        let which = s
            .report
            .limit
            .as_ref()
            .and_then(|l| l.window.as_deref())
            .map(|w| format!(" ({})", window_words(w)))
            .unwrap_or_default();
        return (
            bar(100.0),
            format!("limited until {}{which}", time::clock(until, now, zone)),
        );
    }
    let Some(r) = &s.snapshot else {
        return (
            "·".repeat(BAR),
            "5h use unknown (no status line yet)".to_owned(),
        );
    };
    let Some(words) = r.summary(now, zone) else {
        return (
            "·".repeat(BAR),
            "no limits reported (not a subscription?)".to_owned(),
        );
    };
    let five_hour = r
        .five_hour
        .filter(|w| w.resets_at.saturating_mul(SECOND) > now);
    let shown_bar = five_hour.map_or_else(|| "·".repeat(BAR), |w| bar(w.used_percentage));
    (shown_bar, words)
}

fn window_words(window: &str) -> &str {
    match window {
        "five_hour" => "5-hour limit",
        "seven_day" => "weekly limit",
        "seven_day_opus" => "Opus limit",
        "seven_day_sonnet" => "Sonnet limit",
        other => other,
    }
}

/// The active profile's name stands out, and a bar is green, yellow from half used, red from
/// 80%.
fn paint_row(line: &str) -> String {
    let line = match line.strip_prefix("* ") {
        Some(rest) => {
            let name_end = rest.find(' ').unwrap_or(rest.len());
            let name = ui::paint(true, ui::style::ACTIVE, &rest[..name_end]);
            format!("* {name}{}", &rest[name_end..])
        }
        None => line.to_owned(),
    };
    let Some(start) = line.find(['█', '░']) else {
        return line;
    };
    let bar_len = line[start..]
        .char_indices()
        .find(|&(_, c)| c != '█' && c != '░')
        .map_or(line.len() - start, |(at, _)| at);
    let bar = &line[start..start + bar_len];
    let filled = bar.matches('█').count();
    let style = match filled * 100 / BAR {
        0..50 => ui::style::OK,
        50..80 => ui::style::WARN,
        _ => ui::style::FAIL,
    };
    format!(
        "{}{}{}",
        &line[..start],
        ui::paint(true, style, bar),
        &line[start + bar_len..]
    )
}

/// `██████░░░░` for 60%.
fn bar(percentage: f64) -> String {
    let filled = ((percentage.clamp(0.0, 100.0) / 100.0) * BAR as f64).round() as usize;
    "█".repeat(filled) + &"░".repeat(BAR - filled)
}

/// Which account has the most room (`usage::room`'s rule), among those whose use is known.
fn most_room(shown: &[Shown], now: Millis) -> Option<String> {
    if shown.len() < 2 {
        return None;
    }
    let rooms = shown.iter().map(|s| {
        let recorded = s.report.limit.as_ref().map(|l| l.resets_at);
        (s, Room::of(s.snapshot.as_ref(), recorded, now))
    });
    let pick = room::most_room(rooms);
    let (
        best,
        Room::Left {
            five_hour,
            seven_day,
        },
    ) = pick.best?
    else {
        return None;
    };
    let among = if pick.known < pick.weighed {
        format!(" (of {} whose use is known)", pick.known)
    } else {
        String::new()
    };
    Some(format!(
        "most room now{among}: {} (5h {}% · 7d {}% used)\n",
        best.label(),
        percent(five_hour),
        percent(seven_day)
    ))
}

/// A token count for a person: `950`, `12.3k`, `4.5M`, `1.2B`, `3.0T`, in tenths rounded half
/// up. The count is rounded before its unit is chosen, so 999,950 is `1.0M`, never `1000.0k`.
fn human(n: u64) -> String {
    const UNITS: [(u64, &str); 4] = [
        (1_000, "k"),
        (1_000_000, "M"),
        (1_000_000_000, "B"),
        (1_000_000_000_000, "T"),
    ];
    if n < UNITS[0].0 {
        return n.to_string();
    }
    let tenths = |scale: u64| (u128::from(n) * 10 + u128::from(scale / 2)) / u128::from(scale);
    let (scale, unit) = UNITS
        .into_iter()
        .find(|&(scale, _)| tenths(scale) < 10_000)
        .unwrap_or(UNITS[UNITS.len() - 1]);
    let tenths = tenths(scale);
    format!("{}.{}{unit}", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_and_numbers_read_at_a_glance() {
        assert_eq!(bar(0.0), "░░░░░░░░░░");
        assert_eq!(bar(42.0), "████░░░░░░");
        assert_eq!(bar(100.0), "██████████");
        assert_eq!(bar(250.0), "██████████");
        assert_eq!(human(950), "950");
        assert_eq!(human(12_345), "12.3k");
        assert_eq!(human(4_500_000), "4.5M");
        assert_eq!(human(1_200_000_000), "1.2B");
    }

    /// At each unit: just below it, at it, just above it, and on both sides of the rounding
    /// edge where the count reads as the next unit.
    #[test]
    fn token_counts_are_rounded_before_the_unit_is_chosen() {
        let cases: [(u64, &str); 27] = [
            (0, "0"),
            (999, "999"),
            (1_000, "1.0k"),
            (1_001, "1.0k"),
            (1_049, "1.0k"),
            (1_050, "1.1k"),
            (9_949, "9.9k"),
            (9_950, "10.0k"),
            (999_949, "999.9k"),
            (999_950, "1.0M"),
            (999_999, "1.0M"),
            (1_000_000, "1.0M"),
            (1_000_001, "1.0M"),
            (999_949_999, "999.9M"),
            (999_950_000, "1.0B"),
            (999_999_999, "1.0B"),
            (1_000_000_000, "1.0B"),
            (1_000_000_001, "1.0B"),
            (999_949_999_999, "999.9B"),
            (999_950_000_000, "1.0T"),
            (999_999_999_999, "1.0T"),
            (1_000_000_000_000, "1.0T"),
            (1_000_000_000_001, "1.0T"),
            (12_345_678_901_234, "12.3T"),
            // The last unit takes what is left.
            (999_949_999_999_999, "999.9T"),
            (999_950_000_000_000, "1000.0T"),
            (u64::MAX, "18446744.1T"),
        ];
        for (n, shown) in cases {
            assert_eq!(human(n), shown, "{n}");
        }
    }
}

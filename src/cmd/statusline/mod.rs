use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;
use serde_json::Value;

use super::Outcome;
use crate::claude_code::CONFIG_DIR_VAR;
use crate::claude_code::account::{Account, AccountFiles};
use crate::claude_code::default_config::DefaultConfig;
use crate::fsx;
use crate::process;
use crate::profile_name::ProfileName;
use crate::store::Store;
use crate::ui;
use crate::usage::Owner;
use crate::usage::room::{self, Room};
use crate::usage::snapshot::{self, SeenAccount, Snapshot, Window};
use crate::usage::time::{self, Millis, SECOND};

mod install;

/// The status line for Claude Code: profile, account and 5-hour use, recorded for `ccs list`
///
/// Claude Code runs its statusLine command at every refresh with the session as JSON on stdin;
/// for subscribers that holds the account's 5-hour and 7-day use. `ccs statusline` prints one
/// line (`work · me@example.com · 5h 42% · resets 14:00 · 7d 17%`) and records the use for the
/// profile, so that `ccs list` and `ccs usage` show every account's last known use. With no
/// profile active it does the same for Claude Code's default config, as ~/.claude. It reads no
/// transcript. `--install` puts it into the settings.json that profiles share.
#[derive(Debug, Args)]
pub struct Statusline {
    /// Set Claude Code's statusLine in the shared settings.json (~/.claude/settings.json) to
    /// this command, keeping a status line already there: it runs after, with the same input
    #[arg(long, conflicts_with_all = ["uninstall", "then"])]
    install: bool,
    /// Take it out of the shared settings.json again, restoring the status line it kept
    #[arg(long, conflicts_with = "then")]
    uninstall: bool,
    /// Another status line command to run after this one, with the same input (what --install
    /// keeps of a status line that was there)
    #[arg(long, value_name = "COMMAND")]
    then: Option<String>,
}

/// The input is a few kilobytes; more than this is not a status line's.
const INPUT_LIMIT: u64 = 4 << 20;
/// A snapshot with the same numbers is written again only after this, to say it is still true.
const REFRESH: Millis = 60 * SECOND;
/// The file and the key `--install` edits.
const SETTINGS_FILE: &str = "settings.json";
const KEY: &str = "statusLine";

impl Statusline {
    pub fn run(self) -> Result<Outcome> {
        if self.install {
            return install::install();
        }
        if self.uninstall {
            return install::uninstall();
        }
        if std::io::stdin().is_terminal() {
            // Typed by a person, not run by Claude Code: nothing will come on stdin. Say what it
            // is for, as bare `ccs` does (the help on stderr, exit 2), instead of waiting.
            eprint!("{}", super::help_of("statusline"));
            return Ok(Outcome {
                stdout: String::new(),
                code: 2,
            });
        }
        let mut input = Vec::new();
        std::io::stdin()
            .take(INPUT_LIMIT)
            .read_to_end(&mut input)
            .context("cannot read the status line input")?;
        let mut out = ui::one_line(&line(&input, time::now_millis())) + "\n";
        if let Some(command) = &self.then {
            out.push_str(&run_chained(command, &input, THEN_TIMEOUT));
        }
        Ok(Outcome::print(out))
    }
}

/// The one line, recording the snapshot on the way. Never fails: a status line shows what it can.
fn line(input: &[u8], now: Millis) -> String {
    let input: Value = serde_json::from_slice(input).unwrap_or(Value::Null);
    let reported = rate_limits(&input, now);
    let Ok(store) = Store::from_env() else {
        return words("ccs: no store", None, reported.as_ref(), now);
    };
    let (owner, files) = match session_of(&store, &input) {
        Session::Profile(name, dir) => (Some(name), AccountFiles::of_profile(&dir)),
        Session::Default(config) => (None, config.account_files()),
        Session::Elsewhere => {
            return words("not a ccs profile", None, reported.as_ref(), now);
        }
    };
    let label = owner
        .as_ref()
        .map_or(DefaultConfig::LABEL, ProfileName::as_str);
    let owner = owner.as_ref().map_or(Owner::DefaultConfig, Owner::Profile);
    let before = snapshot::load(&store, owner);
    let mut next = before.clone().unwrap_or_default();
    next.account = Some(account(
        &files,
        before.as_ref().and_then(|s| s.account.as_ref()),
    ));
    if let Some(r) = &reported {
        next.five_hour = r.five_hour;
        next.seven_day = r.seven_day;
        next.observed_at = now.div_euclid(SECOND);
    }
    if worth_writing(before.as_ref(), &next, now) {
        // A refresh that cannot record still shows its line.
        if let Err(e) = snapshot::save(&store, owner, &next) {
            ui::warn(format_args!("{e:#}"));
        }
    }
    let account = next.account.as_ref().map(|a| a.text.as_str());
    let mut line = words(label, account, reported.as_ref(), now);
    if let Some(way_out) = way_out(&store, owner, reported.as_ref(), now) {
        line.push_str(" · ");
        line.push_str(&way_out);
    }
    line
}

/// `ccs continue personal` while this account is limited and another profile has room, so that
/// the way out shows where the user is looking. Weighed on the other profiles' recorded reports
/// alone (a status line reads no transcript), and only while limited: a refresh that is not
/// limited reads nothing more.
fn way_out(
    store: &Store,
    owner: Owner,
    reported: Option<&Snapshot>,
    now: Millis,
) -> Option<String> {
    if !matches!(Room::of(reported, None, now), Room::Limited { .. }) {
        return None;
    }
    let others = snapshot::load_all(store)
        .into_iter()
        .filter(|(name, _)| *name != owner.key())
        .filter(|(name, _)| {
            ProfileName::from_disk(name).is_some_and(|n| store.instance_dir(&n).is_dir())
        })
        .map(|(name, s)| {
            let room = Room::of(Some(&s), None, now);
            (name, room)
        });
    let (name, _) = room::most_room(others).best?;
    Some(format!("ccs continue {name}"))
}

/// `work · me@example.com · 5h 42% · resets 14:00 · 7d 17%`.
fn words(label: &str, account: Option<&str>, reported: Option<&Snapshot>, now: Millis) -> String {
    let mut parts = vec![label.to_owned()];
    parts.extend(account.filter(|a| !a.is_empty()).map(str::to_owned));
    let zone = time::local_zone();
    if let Some(w) = reported.and_then(|r| r.five_hour) {
        let when = time::clock(w.resets_at, now, &zone);
        if w.used_percentage >= 100.0 {
            parts.push(format!("5h limit reached · resets {when}"));
        } else {
            parts.push(format!(
                "5h {:.0}% · resets {when}",
                w.used_percentage.floor()
            ));
        }
    }
    if let Some(w) = reported.and_then(|r| r.seven_day) {
        parts.push(format!("7d {:.0}%", w.used_percentage.floor()));
    }
    parts.join(" · ")
}

/// `rate_limits` as the client sends it; windows whose reset has passed are left out (the
/// client does the same), and anything not shaped as documented is ignored.
fn rate_limits(input: &Value, now: Millis) -> Option<Snapshot> {
    let limits = input.get("rate_limits")?;
    let window = |key: &str| -> Option<Window> {
        let w = limits.get(key)?;
        let window = Window {
            used_percentage: w.get("used_percentage")?.as_f64()?,
            resets_at: w.get("resets_at")?.as_f64()? as i64,
        };
        (window.resets_at.saturating_mul(SECOND) > now).then_some(window)
    };
    let snapshot = Snapshot {
        five_hour: window("five_hour"),
        seven_day: window("seven_day"),
        observed_at: now.div_euclid(SECOND),
        account: None,
    };
    snapshot.has_limits().then_some(snapshot)
}

/// What the session runs on.
enum Session {
    /// A profile: its name as spelled on disk, and its config dir.
    Profile(ProfileName, PathBuf),
    /// Claude Code's default config, `~/.claude`.
    Default(DefaultConfig),
    /// A config dir that is no profile (or a profile that is gone).
    Elsewhere,
}

/// What the session runs on: `CLAUDE_CONFIG_DIR` (which the client passes on), else the store's
/// instance the transcript lies in, else (no variable, and a transcript outside the store) the
/// default config, which is what the client uses without the variable.
fn session_of(store: &Store, input: &Value) -> Session {
    let name = match std::env::var_os(CONFIG_DIR_VAR).filter(|v| !v.is_empty()) {
        Some(dir) => store.profile_for_config_dir(&dir),
        None => {
            let transcript = input
                .get("transcript_path")
                .and_then(Value::as_str)
                .map(Path::new);
            match transcript.and_then(|t| t.strip_prefix(store.instances_dir()).ok()) {
                Some(rest) => rest.components().next().and_then(|first| {
                    store.profile_for_config_dir(
                        store.instances_dir().join(first.as_os_str()).as_os_str(),
                    )
                }),
                None => {
                    return fsx::home_dir().map_or(Session::Elsewhere, |home| {
                        Session::Default(DefaultConfig::at(&home))
                    });
                }
            }
        }
    };
    // As spelled on disk: a config dir typed in another case is the same profile.
    match name.and_then(|name| store.find(&name).ok()) {
        Some((name, dir)) => Session::Profile(name, dir),
        None => Session::Elsewhere,
    }
}

/// The account's words, read again only when its two files (`files`: a profile's, or the
/// default config's, one inside `~/.claude` and one beside it) changed since `seen`.
fn account(files: &AccountFiles, seen: Option<&SeenAccount>) -> SeenAccount {
    let state = [&files.global_config, &files.credentials]
        .map(|f| file_state(f))
        .join(" ");
    if let Some(seen) = seen.filter(|s| s.files == state) {
        return seen.clone();
    }
    let account = Account::read_files(files);
    let text = account
        .email
        .clone()
        .or_else(|| account.subscription.clone())
        .unwrap_or_else(|| account.summary());
    SeenAccount { text, files: state }
}

#[cfg(unix)]
fn file_state(path: &Path) -> String {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).map_or_else(
        |_| "-".to_owned(),
        |m| format!("{}:{}:{}:{}", m.ino(), m.size(), m.mtime(), m.mtime_nsec()),
    )
}

/// Without an inode: the size and modification time, which Claude Code's rename into place
/// changes too.
#[cfg(not(unix))]
fn file_state(path: &Path) -> String {
    std::fs::metadata(path).map_or_else(
        |_| "-".to_owned(),
        |m| {
            let modified = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            format!("{}:{modified}", m.len())
        },
    )
}

fn worth_writing(before: Option<&Snapshot>, next: &Snapshot, now: Millis) -> bool {
    let Some(before) = before else {
        return true;
    };
    let same = before.five_hour == next.five_hour
        && before.seven_day == next.seven_day
        && before.account == next.account;
    !same
        || (next.observed_at != before.observed_at && now - before.observed_at * SECOND >= REFRESH)
}

/// How long `--then`'s command may take. The client waits for the whole status line, so a
/// command that hangs would freeze it; a status line command answers in milliseconds.
const THEN_TIMEOUT: Duration = Duration::from_secs(5);

/// Another status line command's output, given the same input: `sh -c COMMAND`, as the client
/// runs status line commands, bounded by `timeout`. What it writes on stderr is passed on. Its
/// failure only costs its own output, and is said on stderr.
fn run_chained(command: &str, input: &[u8], timeout: Duration) -> String {
    let mut sh = Command::new("sh");
    sh.args(["-c", command]);
    let output = match process::run_bounded(sh, input.to_vec(), timeout) {
        Ok(output) => output,
        Err(e) => {
            ui::warn(format_args!("statusline --then: {e:#}"));
            return String::new();
        }
    };
    let _ = std::io::stderr().write_all(&output.stderr);
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_says_profile_account_and_use() {
        let now = 1_795_168_800_000;
        let reported = Snapshot {
            five_hour: Some(Window {
                used_percentage: 42.7,
                resets_at: 1_795_168_800 + 3600,
            }),
            seven_day: Some(Window {
                used_percentage: 17.0,
                resets_at: 1_795_168_800 + 86_400 * 3,
            }),
            observed_at: 0,
            account: None,
        };
        let line = words("work", Some("me@example.com"), Some(&reported), now);
        assert!(
            line.starts_with("work · me@example.com · 5h 42% · resets "),
            "{line}"
        );
        assert!(line.ends_with(" · 7d 17%"), "{line}");
        assert_eq!(words("~/.claude", None, None, now), "~/.claude");
    }

    #[test]
    fn the_default_configs_account_is_read_again_only_when_one_of_its_files_changed() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir(home.path().join(".claude")).unwrap();
        let global = home.path().join(".claude.json");
        std::fs::write(
            &global,
            r#"{"oauthAccount":{"emailAddress":"a@example.com"}}"#,
        )
        .unwrap();
        let files = DefaultConfig::at(home.path()).account_files();
        let first = account(&files, None);
        assert_eq!(first.text, "a@example.com");
        // Unchanged files: what was seen is believed, nothing is read.
        let seen = SeenAccount {
            text: "seen".to_owned(),
            files: first.files.clone(),
        };
        assert_eq!(account(&files, Some(&seen)).text, "seen");
        // ~/.claude.json replaced as the client does it (a new file renamed into place).
        let new = home.path().join(".claude.json.tmp");
        std::fs::write(&new, r#"{"oauthAccount":{"emailAddress":"b@example.com"}}"#).unwrap();
        std::fs::rename(&new, &global).unwrap();
        let second = account(&files, Some(&seen));
        assert_eq!(second.text, "b@example.com");
        // A login written inside ~/.claude changes the state too.
        std::fs::write(
            home.path().join(".claude/.credentials.json"),
            r#"{"claudeAiOauth":{"accessToken":"x","subscriptionType":"max"}}"#,
        )
        .unwrap();
        let seen = SeenAccount {
            text: "seen".to_owned(),
            files: second.files.clone(),
        };
        assert_eq!(account(&files, Some(&seen)).text, "b@example.com");
    }

    #[cfg(unix)]
    #[test]
    fn a_chained_command_that_hangs_is_stopped_and_costs_only_its_output() {
        let started = std::time::Instant::now();
        let shown = run_chained("echo partial; sleep 30", b"{}", Duration::from_millis(300));
        assert_eq!(shown, "");
        assert!(started.elapsed() < Duration::from_secs(10));
        let passed_on = run_chained("cat; printf ' then'", b"{}", Duration::from_secs(60));
        assert_eq!(passed_on, "{} then\n");
    }
}

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use clap::Args;
use serde_json::Value;

use super::Outcome;
use crate::account::Account;
use crate::names::CONFIG_DIR_VAR;
use crate::notice;
use crate::profile_name::ProfileName;
use crate::share;
use crate::store::Store;
use crate::usage::settings_file;
use crate::usage::snapshot::{self, SeenAccount, Snapshot, Window};
use crate::usage::time::{self, Millis, SECOND};

/// The status line for Claude Code: profile, account and 5-hour use, recorded for `ccs list`
///
/// Claude Code runs its statusLine command at every refresh with the session as JSON on stdin;
/// for subscribers that holds the account's 5-hour and 7-day use. `ccs statusline` prints one
/// line (`work · me@example.com · 5h 42% · resets 14:00 · 7d 17%`) and records the use for the
/// profile, so that `ccs list` and `ccs usage` show every account's last known use. It reads no
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
const SETTINGS_FILE: &str = "settings.json";
const KEY: &str = "statusLine";

impl Statusline {
    pub fn run(self) -> Result<Outcome> {
        if self.install {
            return install();
        }
        if self.uninstall {
            return uninstall();
        }
        let mut input = Vec::new();
        std::io::stdin()
            .take(INPUT_LIMIT)
            .read_to_end(&mut input)
            .context("cannot read the status line input")?;
        let mut out = notice::one_line(&line(&input, time::now_millis())) + "\n";
        if let Some(command) = &self.then {
            out.push_str(&run_chained(command, &input));
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
    let Some((name, dir)) = profile(&store, &input) else {
        let label = if std::env::var_os(CONFIG_DIR_VAR).is_some_and(|v| !v.is_empty()) {
            "not a ccs profile"
        } else {
            "default"
        };
        return words(label, None, reported.as_ref(), now);
    };
    let before = snapshot::load(&store, &name);
    let mut next = before.clone().unwrap_or_default();
    next.account = Some(account(
        &dir,
        before.as_ref().and_then(|s| s.account.as_ref()),
    ));
    if let Some(r) = &reported {
        next.five_hour = r.five_hour;
        next.seven_day = r.seven_day;
        next.observed_at = now.div_euclid(SECOND);
    }
    if worth_writing(before.as_ref(), &next, now) {
        // A refresh that cannot record still shows its line.
        if let Err(e) = snapshot::save(&store, &name, &next) {
            notice::warn(format_args!("{e:#}"));
        }
    }
    let account = next.account.as_ref().map(|a| a.text.as_str());
    words(name.as_str(), account, reported.as_ref(), now)
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

/// The profile the session runs as: `CLAUDE_CONFIG_DIR` (which the client passes on), else the
/// store's instance the transcript lies in.
fn profile(store: &Store, input: &Value) -> Option<(ProfileName, PathBuf)> {
    let name = match std::env::var_os(CONFIG_DIR_VAR).filter(|v| !v.is_empty()) {
        Some(dir) => store.profile_for_config_dir(&dir)?,
        None => {
            let transcript = Path::new(input.get("transcript_path")?.as_str()?);
            let rest = transcript.strip_prefix(store.instances_dir()).ok()?;
            let first = rest.components().next()?.as_os_str();
            store.profile_for_config_dir(store.instances_dir().join(first).as_os_str())?
        }
    };
    let dir = store.instance_dir(&name);
    dir.is_dir().then_some((name, dir))
}

/// The account's words, read again only when its files changed since `seen`.
fn account(dir: &Path, seen: Option<&SeenAccount>) -> SeenAccount {
    let files = [".claude.json", ".credentials.json"]
        .map(|f| file_state(&dir.join(f)))
        .join(" ");
    if let Some(seen) = seen.filter(|s| s.files == files) {
        return seen.clone();
    }
    let account = Account::read(dir);
    let text = account
        .email
        .clone()
        .or_else(|| account.subscription.clone())
        .unwrap_or_else(|| account.summary());
    SeenAccount { text, files }
}

#[cfg(unix)]
fn file_state(path: &Path) -> String {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(path).map_or_else(
        |_| "-".to_owned(),
        |m| format!("{}:{}:{}:{}", m.ino(), m.size(), m.mtime(), m.mtime_nsec()),
    )
}

#[cfg(not(unix))]
fn file_state(_path: &Path) -> String {
    "?".to_owned()
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

/// Another status line command's output, given the same input: `sh -c COMMAND`, as the client
/// runs status line commands. Its failure only costs its own output.
fn run_chained(command: &str, input: &[u8]) -> String {
    let child = Command::new("sh")
        .args(["-c", command])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn();
    let Ok(mut child) = child else {
        return String::new();
    };
    // Fed from a thread: a command that prints before reading its input must not wait on us.
    let mut stdin = child.stdin.take();
    let input = input.to_vec();
    let feeder = std::thread::spawn(move || {
        if let Some(stdin) = stdin.as_mut() {
            let _ = stdin.write_all(&input);
        }
    });
    let output = child.wait_with_output();
    let _ = feeder.join();
    output.map_or_else(
        |_| String::new(),
        |o| {
            let mut text = String::from_utf8_lossy(&o.stdout).into_owned();
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text
        },
    )
}

// --- installing -------------------------------------------------------------------------------

/// The settings.json profiles share (a link to a file is followed: the person's dotfiles keep
/// their link).
fn shared_settings() -> Result<PathBuf> {
    let path = share::source_dir()?.join(SETTINGS_FILE);
    Ok(fs::canonicalize(&path).unwrap_or(path))
}

/// This binary's path, as the command the client runs.
fn this_command() -> Result<String> {
    let exe = std::env::current_exe().context("cannot tell where ccs is installed")?;
    let exe = exe.to_str().context("ccs's path is not UTF-8")?;
    Ok(format!(
        "{} statusline",
        shell_escape::unix::escape(exe.into())
    ))
}

/// Whether a statusLine command is one `--install` wrote: `<…/ccs> statusline …`.
fn is_ours(command: &str) -> bool {
    let Some((program, rest)) = shell_word(command.trim_start()) else {
        return false;
    };
    let ccs = Path::new(&program).file_name().is_some_and(|f| f == "ccs");
    ccs && rest.split_whitespace().next() == Some("statusline")
}

fn read_settings(path: &Path) -> Result<Option<(String, Value)>> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let value: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not valid JSON; nothing changed", path.display()))?;
    if !value.is_object() {
        bail!("{} is not a JSON object; nothing changed", path.display());
    }
    Ok(Some((text, value)))
}

fn install() -> Result<Outcome> {
    let path = shared_settings()?;
    let ours = this_command()?;
    let (text, value) = read_settings(&path)?.unwrap_or_else(|| ("{}\n".to_owned(), Value::Null));
    let old = value.get(KEY);
    let old_command = old.and_then(|o| o.get("command")).and_then(Value::as_str);
    if old_command.is_some_and(is_ours) {
        return Ok(Outcome::report(&format!(
            "{} already runs ccs statusline\n",
            path.display()
        )));
    }
    let command = match old_command {
        Some(old) => format!("{ours} --then {}", shell_escape::unix::escape(old.into())),
        None => ours,
    };
    let member = status_line_value(&text, &command)?;
    let edited = settings_file::set(&text, KEY, &member)
        .with_context(|| format!("cannot edit {}", path.display()))?;
    crate::fsx::write_atomically(&path, edited.as_bytes(), 0o644)?;
    let kept = old_command.map_or_else(String::new, |c| {
        format!("kept the status line that was there; it runs after: {c}\n")
    });
    Ok(Outcome::report(&format!(
        "{}: statusLine runs {command}\n{kept}",
        path.display()
    )))
}

/// The statusLine object: `type` and `command`, then the fields the old one had besides
/// (`padding`, `refreshInterval`, …) exactly as written.
fn status_line_value(text: &str, command: &str) -> Result<String> {
    let mut fields = vec![
        "\"type\": \"command\"".to_owned(),
        format!("\"command\": {}", serde_json::to_string(command)?),
    ];
    let open = settings_file::top_level(text).context("not a JSON object")?;
    let old = settings_file::members(text, open)
        .unwrap_or_default()
        .into_iter()
        .find(|m| m.key == KEY);
    if let Some(old) = old.filter(|m| text.as_bytes()[m.value.start] == b'{') {
        for m in settings_file::members(text, old.value.start).unwrap_or_default() {
            if m.key != "type" && m.key != "command" {
                fields.push(text[m.span.clone()].to_owned());
            }
        }
    }
    Ok(format!("{{\n  {}\n}}", fields.join(",\n  ")))
}

fn uninstall() -> Result<Outcome> {
    let path = shared_settings()?;
    let Some((text, value)) = read_settings(&path)? else {
        return Ok(Outcome::report(&format!(
            "{} does not exist\n",
            path.display()
        )));
    };
    let command = value
        .get(KEY)
        .and_then(|o| o.get("command"))
        .and_then(Value::as_str);
    let Some(command) = command.filter(|c| is_ours(c)) else {
        return Ok(Outcome::report(&format!(
            "{} does not run ccs statusline; nothing changed\n",
            path.display()
        )));
    };
    let (edited, said) = match command.split_once(" --then ") {
        Some((_, kept)) => {
            let kept = unquote(kept).with_context(|| {
                format!("cannot read the status line kept in {}", path.display())
            })?;
            let member = status_line_value(&text, &kept)?;
            let edited = settings_file::set(&text, KEY, &member);
            (edited, format!("restored the status line it kept: {kept}"))
        }
        None => (
            settings_file::remove(&text, KEY),
            "removed the status line".to_owned(),
        ),
    };
    let edited = edited.with_context(|| format!("cannot edit {}", path.display()))?;
    crate::fsx::write_atomically(&path, edited.as_bytes(), 0o644)?;
    Ok(Outcome::report(&format!("{}: {said}\n", path.display())))
}

/// The shell word at the start of `text` (as `shell_escape` quotes one: plain characters,
/// single-quoted pieces, backslash escapes), and the rest after it.
fn shell_word(text: &str) -> Option<(String, &str)> {
    let mut word = String::new();
    let mut chars = text.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '\'' => loop {
                match chars.next()?.1 {
                    '\'' => break,
                    c => word.push(c),
                }
            },
            '\\' => word.push(chars.next()?.1),
            c if c.is_whitespace() => return Some((word, &text[at..])),
            c => word.push(c),
        }
    }
    Some((word, ""))
}

/// The command `--then` keeps, from its quoted form: exactly one word.
fn unquote(text: &str) -> Option<String> {
    let (word, rest) = shell_word(text)?;
    rest.is_empty().then_some(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_command_reads_back_as_it_was_quoted() {
        for command in [
            "~/.claude/statusline.sh",
            "jq -r '.model.display_name'",
            "printf '%s' \"$(pwd)\" | tr a-z A-Z",
            "it's",
            "",
        ] {
            let quoted = shell_escape::unix::escape(command.into());
            assert_eq!(unquote(&quoted).as_deref(), Some(command), "{quoted}");
        }
    }

    #[test]
    fn only_ccs_statusline_is_ours() {
        assert!(is_ours("/home/me/.cargo/bin/ccs statusline"));
        assert!(is_ours("'/a b/ccs' statusline --then 'x'"));
        assert!(is_ours("ccs statusline"));
        assert!(!is_ours("ccusage statusline"));
        assert!(!is_ours("~/.claude/statusline.sh"));
        assert!(!is_ours("ccs list"));
    }

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
        assert_eq!(words("default", None, None, now), "default");
    }
}

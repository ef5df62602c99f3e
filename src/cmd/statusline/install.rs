//! `ccs statusline --install` and `--uninstall`: the one `statusLine` entry of the settings.json
//! profiles share, written keeping a status line already there (it runs after ours, `--then`),
//! and given back.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::super::Outcome;
use super::{KEY, SETTINGS_FILE};
use crate::fsx;
use crate::share;
use crate::usage::settings_file;

/// The settings.json profiles share (a link to a file is followed: the person's dotfiles keep
/// their link).
fn shared_settings() -> Result<PathBuf> {
    let path = share::source_dir()?.join(SETTINGS_FILE);
    Ok(fs::canonicalize(&path).unwrap_or(path))
}

/// This binary's path, quoted for the shell the client runs the command with: the status line
/// then works whatever `PATH` the client has.
fn this_program() -> Result<String> {
    let exe = std::env::current_exe().context("cannot tell where ccs is installed")?;
    let exe = exe.to_str().context("ccs's path is not UTF-8")?;
    Ok(shell_escape::unix::escape(exe.into()).into_owned())
}

/// A statusLine command `--install` wrote, `<…/ccs> statusline …`: its program (unquoted) and
/// the rest (` statusline …`).
fn ours_in(command: &str) -> Option<(String, &str)> {
    let (program, rest) = shell_word(command.trim_start())?;
    // `…/ccs`, or `…\ccs.exe` on Windows (what current_exe names there).
    let file = program.rsplit(['/', '\\']).next().unwrap_or(&program);
    let ccs = file.eq_ignore_ascii_case("ccs") || file.eq_ignore_ascii_case("ccs.exe");
    (ccs && rest.split_whitespace().next() == Some("statusline")).then_some((program, rest))
}

fn is_ours(command: &str) -> bool {
    ours_in(command).is_some()
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

pub(super) fn install() -> Result<Outcome> {
    let path = shared_settings()?;
    let program = this_program()?;
    let (text, value) = read_settings(&path)?.unwrap_or_else(|| ("{}\n".to_owned(), Value::Null));
    let old = value.get(KEY);
    let old_command = old.and_then(|o| o.get("command")).and_then(Value::as_str);
    let command = match old_command.map(|c| (c, ours_in(c))) {
        // This ccs, or `ccs` found on PATH (written by hand): nothing to do. A ccs elsewhere
        // (moved, or installed anew at another place): the same command pointed at this one,
        // keeping what it ran after.
        Some((_, Some((old_program, rest)))) => {
            let by_name = !old_program.contains(['/', '\\']);
            if by_name || shell_escape::unix::escape(old_program.as_str().into()) == program {
                return Ok(Outcome::report(&format!(
                    "{} already runs ccs statusline\n",
                    path.display()
                )));
            }
            format!("{program}{rest}")
        }
        Some((theirs, None)) => format!(
            "{program} statusline --then {}",
            shell_escape::unix::escape(theirs.into())
        ),
        None => format!("{program} statusline"),
    };
    let member = status_line_value(&text, &command)?;
    let edited = settings_file::set(&text, KEY, &member)
        .with_context(|| format!("cannot edit {}", path.display()))?;
    // What Claude Code will read must be what was meant: JSON, whose statusLine (the last of
    // duplicate keys, as JSON.parse takes it) runs this command.
    let reads_back = serde_json::from_str::<Value>(&edited)
        .ok()
        .and_then(|v| v.get(KEY)?.get("command")?.as_str().map(str::to_owned));
    if reads_back.as_deref() != Some(command.as_str()) {
        bail!(
            "cannot edit {} safely (a duplicate \"{KEY}\" key?): nothing changed",
            path.display()
        );
    }
    fsx::write_atomically(&path, edited.as_bytes(), fsx::mode_or(&path, 0o644))?;
    let kept = match old_command {
        Some(c) if is_ours(c) => format!("it ran another ccs before: {c}\n"),
        Some(c) => format!("kept the status line that was there; it runs after: {c}\n"),
        None => String::new(),
    };
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

pub(super) fn uninstall() -> Result<Outcome> {
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
    fsx::write_atomically(&path, edited.as_bytes(), fsx::mode_or(&path, 0o644))?;
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
        assert!(is_ours("'C:\\Users\\me\\.cargo\\bin\\ccs.exe' statusline"));
        assert!(is_ours("CCS.EXE statusline"));
        assert!(!is_ours("ccusage statusline"));
        assert!(!is_ours("ccs.sh statusline"));
        assert!(!is_ours("~/.claude/statusline.sh"));
        assert!(!is_ours("ccs list"));
    }
}

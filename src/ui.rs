//! Everything ccs says to a person on stderr goes through here: one prefix, one line each, and
//! control characters shown escaped, so a hostile path or name can neither break a line nor send
//! escape sequences to the terminal.
//!
//! Where words go, one rule for every command: stdout carries a command's result (the code
//! `use`, `off` and `rename` print for the shell, the data a command was asked for, or the report
//! of what it did); stderr carries questions, warnings and notes. A command whose stdout is
//! shell code says everything else on stderr.

use std::fmt::Display;
use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context, Result, bail};

/// `ccs: <message>` on stderr.
pub(crate) fn note(message: impl Display) {
    eprintln!("ccs: {}", one_line(&message.to_string()));
}

/// `ccs: warning: <message>` on stderr.
pub(crate) fn warn(message: impl Display) {
    note(format_args!("warning: {message}"));
}

/// `message` with every control character shown escaped (`\n`, `\u{1b}`).
pub fn one_line(message: &str) -> String {
    if !message.contains(char::is_control) {
        return message.to_owned();
    }
    message
        .chars()
        .flat_map(|c| {
            let escaped = c.is_control().then(|| c.escape_default());
            let plain = (!c.is_control()).then_some(c);
            escaped.into_iter().flatten().chain(plain)
        })
        .collect()
}

/// Text for a person, on several lines: each line as [`one_line`] shows it.
pub(crate) fn lines(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|line| match line.strip_suffix('\n') {
            Some(line) => one_line(line) + "\n",
            None => one_line(line),
        })
        .collect()
}

/// Asks `question` on the terminal (on stderr: stdout is for results). Without a terminal to
/// ask on, refuses with `refusal`; anything but a yes fails with `declined`.
pub(crate) fn confirm(question: &str, refusal: &str, declined: &str) -> Result<()> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        bail!("{refusal}");
    }
    eprint!("{}", lines(question));
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .context("cannot read the answer")?;
    if !matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes") {
        bail!("{declined}");
    }
    Ok(())
}

/// Whether stdout gets colour: `--color`, else the conventions of the ecosystem (`NO_COLOR`,
/// `CLICOLOR_FORCE`, `CLICOLOR=0`, `TERM=dumb`) and whether stdout is a terminal, decided as
/// clap decides it for its help (anstream, which clap already builds).
pub(crate) fn paints_stdout() -> bool {
    let choice = anstream::AutoStream::choice(&std::io::stdout());
    let paints = choice != anstream::ColorChoice::Never;
    #[cfg(windows)]
    if paints {
        // A console that has not turned on escape sequences would print them.
        let _ = anstyle_query::windows::enable_ansi_colors();
    }
    paints
}

/// Sets `--color` for the whole run.
pub(crate) fn set_color(choice: clap::ColorChoice) {
    let choice = match choice {
        clap::ColorChoice::Auto => anstream::ColorChoice::Auto,
        clap::ColorChoice::Always => anstream::ColorChoice::Always,
        clap::ColorChoice::Never => anstream::ColorChoice::Never,
    };
    choice.write_global();
}

/// `text` in `style`, when `paint`.
pub(crate) fn paint(paint: bool, style: anstyle::Style, text: &str) -> String {
    if paint {
        format!("{style}{text}{style:#}")
    } else {
        text.to_owned()
    }
}

/// The styles, one per meaning, so every command paints alike.
pub(crate) mod style {
    use anstyle::{AnsiColor, Style};

    /// The profile active in this shell (`*` rows).
    pub(crate) const ACTIVE: Style = AnsiColor::Green.on_default().bold();
    pub(crate) const OK: Style = AnsiColor::Green.on_default();
    pub(crate) const NOTE: Style = AnsiColor::Cyan.on_default();
    pub(crate) const WARN: Style = AnsiColor::Yellow.on_default().bold();
    pub(crate) const FAIL: Style = AnsiColor::Red.on_default().bold();
}

/// The candidate closest to what was typed, if one is close enough to be a typo of it: at most
/// two edits (a swap of two neighbours counts as one), and fewer than half the typed word's
/// letters, so that `wrok` finds `work` and `x` finds nothing. Case does not count.
pub(crate) fn closest<'a>(
    typed: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let typed_lower = typed.to_lowercase();
    let limit = 2.min(typed.chars().count().saturating_sub(1) / 2).max(1);
    candidates
        .into_iter()
        .map(|c| (strsim::osa_distance(&typed_lower, &c.to_lowercase()), c))
        .filter(|&(distance, c)| distance <= limit && !c.eq_ignore_ascii_case(typed))
        .min_by_key(|&(distance, c)| (distance, c))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_escaped() {
        assert_eq!(one_line("plain /path é"), "plain /path é");
        assert_eq!(one_line("a\nb\u{1b}[31m\t"), "a\\nb\\u{1b}[31m\\t");
        assert_eq!(lines("one\u{1b}\ntwo\n"), "one\\u{1b}\ntwo\n");
        assert_eq!(lines("no newline"), "no newline");
    }

    #[test]
    fn a_typo_finds_the_name_it_was_meant_to_be() {
        let names = ["work", "personal", "work-2", "list"];
        assert_eq!(closest("wrok", names), Some("work"));
        assert_eq!(closest("personl", names), Some("personal"));
        assert_eq!(closest("lsit", names), Some("list"));
        assert_eq!(closest("WROK", names), Some("work"));
        assert_eq!(closest("work-3", names), Some("work-2"));
        // Too far, too short, or the name itself: nothing.
        assert_eq!(closest("nope", names), None);
        assert_eq!(closest("x", names), None);
        assert_eq!(closest("wo", names), None);
        assert_eq!(closest("work", names), None);
    }
}

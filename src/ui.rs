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

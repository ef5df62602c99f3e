//! The one rule for profile names, used for arguments, for names read back from disk and for
//! anything else that ends up as a directory name under the store.

use std::fmt;

use anyhow::{Result, bail};

/// The longest name accepted: long enough for any label, short enough for a prompt.
pub(crate) const MAX_LEN: usize = 64;

/// A validated profile name: `[A-Za-z0-9][A-Za-z0-9._-]{0,63}`, never containing `..`.
///
/// The rule keeps a name safe as a single path component (no `/`, no `..`, no leading `-` that a
/// command could take for a flag, no leading `.` that would hide it) and safe unquoted in every
/// shell prompt, which is why the prompt segments may print it as is.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProfileName(String);

impl ProfileName {
    pub fn parse(raw: &str) -> Result<Self> {
        if let Some(problem) = problem_with(raw) {
            bail!(
                "invalid profile name {}: {problem} (a name is 1 to {MAX_LEN} ASCII letters, digits, \
                 '.', '_' or '-', starting with a letter or digit)",
                shown(raw)
            );
        }
        Ok(Self(raw.to_owned()))
    }

    /// A name read from disk: `None` for anything ccs would not have created (temporary
    /// directories, files a user dropped there).
    pub fn from_disk(raw: &str) -> Option<Self> {
        problem_with(raw).is_none().then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The same name with every letter's case swapped (`Work` → `wORK`), or `None` for a name
    /// without letters: a probe for whether the disk tells case apart.
    pub fn with_case_flipped(&self) -> Option<Self> {
        let flipped: String = self
            .0
            .chars()
            .map(|c| {
                if c.is_ascii_lowercase() {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect();
        (flipped != self.0).then_some(Self(flipped))
    }
}

impl fmt::Display for ProfileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

fn problem_with(raw: &str) -> Option<&'static str> {
    let Some(first) = raw.chars().next() else {
        return Some("it is empty");
    };
    if raw.chars().count() > MAX_LEN {
        return Some("too long");
    }
    if !raw.is_ascii() {
        return Some("it contains a character outside ASCII");
    }
    if !first.is_ascii_alphanumeric() {
        return Some("it must start with a letter or digit");
    }
    if let Some(bad) = raw.chars().find(|&c| !is_name_char(c)) {
        return Some(if bad.is_whitespace() {
            "it contains white space"
        } else if bad == '/' || bad == '\\' {
            "it contains a path separator"
        } else if !bad.is_ascii() {
            "it contains a character outside ASCII"
        } else {
            "it contains a character that is not allowed"
        });
    }
    if raw.contains("..") {
        return Some("it contains '..'");
    }
    if crate::claude_code::locks::is_lock_name(raw) {
        return Some("it ends in '.lock', as Claude Code's lock beside a profile does");
    }
    if raw.ends_with('.') {
        return Some("it ends in '.', which Windows drops from a file name");
    }
    if is_windows_device(raw) {
        return Some("it is a device name on Windows (con, nul, aux, prn, com1-9, lpt1-9)");
    }
    None
}

/// Windows opens a device, not a directory, for these names, also with an extension
/// (`nul.work`) and in any case. Refused on every system, so that a profile can move between
/// systems (a store on a shared disk, a restored backup).
fn is_windows_device(raw: &str) -> bool {
    let stem = raw.split('.').next().unwrap_or(raw).to_ascii_lowercase();
    matches!(stem.as_str(), "con" | "nul" | "aux" | "prn")
        || (stem.len() == 4
            && (stem.starts_with("com") || stem.starts_with("lpt"))
            && matches!(stem.as_bytes()[3], b'1'..=b'9'))
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

/// The name as it goes into an error message: debug-quoted, so a newline or an escape sequence in
/// a hostile name cannot break the one-line error or the terminal.
fn shown(raw: &str) -> String {
    if raw.is_empty() {
        "(empty)".to_owned()
    } else {
        format!("{raw:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_names() {
        for name in [
            "work",
            "personal",
            "a",
            "Work-EU",
            "team.1",
            "x_y",
            "0",
            &"a".repeat(64),
            "console",
            "com10",
            "com0",
            "nully",
            "lpt",
        ] {
            assert_eq!(ProfileName::parse(name).unwrap().as_str(), name);
        }
    }

    #[test]
    fn rejects_names_that_are_not_one_safe_path_component() {
        let too_long = "a".repeat(65);
        for name in [
            "",
            ".",
            "..",
            "../x",
            "a/b",
            "/etc",
            "-rf",
            "--help",
            ".hidden",
            "a..b",
            "a b",
            "a\nb",
            "wörk",
            "wоrk",
            /* Cyrillic o */ "a$b",
            "a'b",
            "a\\",
            &too_long,
            "work.lock",
            "work.LOCK",
            "a.Lock",
        ] {
            let err = ProfileName::parse(name).unwrap_err().to_string();
            assert!(err.starts_with("invalid profile name"), "{name:?}: {err}");
            assert!(!err.contains('\n'), "error must stay on one line: {err:?}");
            assert!(ProfileName::from_disk(name).is_none());
        }
    }
}

//! fish: its own quoting and its hook (`shell/ccs.fish`).

use clap_complete::env::{self, EnvCompleter};

use super::Syntax;

pub struct Fish;

impl Syntax for Fish {
    fn program_names(&self) -> &'static [&'static str] {
        &["fish"]
    }

    fn quote(&self, value: &str) -> String {
        quote(value)
    }

    fn set(&self, name: &str, value_code: &str) -> String {
        format!("set -gx {name} {value_code};\n")
    }

    fn unset(&self, names: &[&str]) -> String {
        format!("set -e -g {};\n", names.join(" "))
    }

    fn hook(&self) -> String {
        include_str!("../../shell/ccs.fish").to_owned()
    }

    fn completer(&self) -> &'static dyn EnvCompleter {
        &env::Fish
    }
}

/// A single-quoted fish word. fish's single quotes, unlike POSIX ones, give meaning to `\`
/// before `\` or `'`, so both are escaped; everything else, newlines included, is literal.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if matches!(c, '\\' | '\'') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn escapes_backslash_and_quote_only() {
        assert_eq!(quote(""), "''");
        assert_eq!(quote("/a b/$c"), "'/a b/$c'");
        assert_eq!(quote(r"it's\"), r"'it\'s\\'");
        assert_eq!(quote("a\nb"), "'a\nb'");
    }
}

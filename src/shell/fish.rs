//! fish: its own quoting and its hook (`shell/ccs.fish`).

use clap_complete::env::{self, EnvCompleter};

use super::{Syntax, single_quoted};

pub(crate) struct Fish;

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

    /// `command -q` first: fish reports an unknown command itself, past the redirection.
    fn run_quietly(&self, program: &str, args: &[String]) -> String {
        format!(
            "command -q {program}; and command {program} {} >/dev/null 2>&1; or true;\n",
            args.join(" ")
        )
    }

    fn then_run(&self, code: String, program: &str, args: &[String]) -> anyhow::Result<String> {
        let words: Vec<String> = args.iter().map(|a| self.quote(a)).collect();
        Ok(format!("{code}command {program} {}\n", words.join(" ")))
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
pub(crate) fn quote(value: &str) -> String {
    single_quoted(value, |c| matches!(c, '\\' | '\'').then_some('\\'))
}

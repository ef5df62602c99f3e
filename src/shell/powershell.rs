//! PowerShell: its own quoting and its hook (`shell/ccs.ps1`).

use anyhow::{Result, bail};
use clap_complete::env::{self, EnvCompleter};

use super::{Syntax, single_quoted};

pub struct PowerShell;

impl Syntax for PowerShell {
    fn program_names(&self) -> &'static [&'static str] {
        &["pwsh", "powershell", "pwsh-preview"]
    }

    fn quote(&self, value: &str) -> String {
        quote(value)
    }

    /// PowerShell splits a native command's output into lines at CR as well as LF and the hook
    /// joins them with LF, so a CR could never arrive intact: refused rather than set a different
    /// path.
    fn check(&self, value: &str) -> Result<()> {
        if value.contains('\r') {
            bail!("{value:?} contains a carriage return, which PowerShell cannot receive intact");
        }
        Ok(())
    }

    fn set(&self, name: &str, value_code: &str) -> String {
        format!("$env:{name} = {value_code};\n")
    }

    fn unset(&self, names: &[&str]) -> String {
        names
            .iter()
            .map(|n| format!("$env:{n} = $null;\n"))
            .collect()
    }

    fn hook(&self) -> String {
        include_str!("../../shell/ccs.ps1").to_owned()
    }

    fn completer(&self) -> &'static dyn EnvCompleter {
        &env::Powershell
    }
}

/// A verbatim (single-quoted) PowerShell string. PowerShell treats the typographic quotes
/// U+2018–U+201B as single quotes too, so each of them is doubled like `'`; nothing else is
/// special inside a verbatim string (`$`, backticks and newlines are literal).
pub fn quote(value: &str) -> String {
    single_quoted(value, |c| {
        matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}').then_some(c)
    })
}

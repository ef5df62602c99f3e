//! PowerShell: its own quoting and its hook (`shell/ccs.ps1`).

use anyhow::{Result, bail};
use clap_complete::env::{self, EnvCompleter};

use super::{Syntax, single_quoted};

pub(crate) struct PowerShell;

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

    fn run_quietly(&self, program: &str, args: &[String]) -> String {
        format!(
            "if (Get-Command -Name {program} -CommandType Application -ErrorAction Ignore) {{ & {program} {} 2>$null | Out-Null }};\n",
            args.join(" ")
        )
    }

    fn then_run(&self, code: String, program: &str, args: &[String]) -> Result<String> {
        let mut words = Vec::with_capacity(args.len());
        for arg in args {
            self.check(arg)?;
            words.push(self.quote(arg));
        }
        Ok(format!("{code}& {program} {}\n", words.join(" ")))
    }

    fn hook(&self) -> String {
        include_str!("../../shell/ccs.ps1").to_owned()
    }

    fn completer(&self) -> &'static dyn EnvCompleter {
        &env::Powershell
    }
}

/// `value` as a PowerShell expression in ASCII only. PowerShell decodes a native command's output
/// with the console's code page, not UTF-8, so a non-ASCII character printed as itself could
/// arrive as another (`C:\Users\José` garbled through `ccs init powershell | Out-String`); ASCII
/// reads the same in every code page.
///
/// An ASCII value is one verbatim (single-quoted) string, in which only `'` is special (doubled;
/// `$`, backticks and newlines are literal). Any other value is a parenthesized sum of the
/// verbatim strings of its ASCII runs and a `[char]0xXXXX` for each UTF-16 unit of the rest
/// (two, a surrogate pair, for a character outside the BMP): `('C:\Users\Jos' + [char]0x00E9)`.
/// It starts with a string, `''` if need be, so that `+` concatenates strings: a `[char]` first
/// would make it add numbers. The typographic quotes U+2018–U+201B, which PowerShell reads as
/// `'` too, are then never inside a string, so only `'` needs doubling.
pub(crate) fn quote(value: &str) -> String {
    if value.is_ascii() {
        return verbatim(value);
    }
    let mut terms = Vec::new();
    let mut run = String::new();
    for c in value.chars() {
        if c.is_ascii() {
            run.push(c);
            continue;
        }
        if !run.is_empty() || terms.is_empty() {
            terms.push(verbatim(&std::mem::take(&mut run)));
        }
        for unit in c.encode_utf16(&mut [0; 2]) {
            terms.push(format!("[char]0x{unit:04X}"));
        }
    }
    if !run.is_empty() {
        terms.push(verbatim(&run));
    }
    format!("({})", terms.join(" + "))
}

/// ASCII as a verbatim string.
fn verbatim(ascii: &str) -> String {
    single_quoted(ascii, |c| (c == '\'').then_some(c))
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn non_ascii_is_built_from_char_codes() {
        for (raw, want) in [
            ("", "''"),
            ("it's", "'it''s'"),
            (
                "C:\\Users\\Jos\u{e9}\\x",
                "('C:\\Users\\Jos' + [char]0x00E9 + '\\x')",
            ),
            ("\u{e9}", "('' + [char]0x00E9)"),
            (
                "\u{65e5}\u{672c}'",
                "('' + [char]0x65E5 + [char]0x672C + '''')",
            ),
            ("a\u{1f980}", "('a' + [char]0xD83E + [char]0xDD80)"),
            (
                "\u{2019}'\u{2018}",
                "('' + [char]0x2019 + '''' + [char]0x2018)",
            ),
            ("e\u{301}\n", "('e' + [char]0x0301 + '\n')"),
        ] {
            assert_eq!(quote(raw), want, "{raw:?}");
            assert!(quote(raw).is_ascii(), "{raw:?}");
        }
    }
}

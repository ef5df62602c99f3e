//! nushell: its quoting, the record its hook loads, its hook (`shell/ccs.nu`) and its completion
//! registration.
//!
//! nushell cannot evaluate printed code, so a switch is printed as data: one NUON record,
//! `{set: {NAME: "value", …}, unset: [NAME, …], tmux: [word, …]}`, which the hook reads with
//! `from nuon` and applies with `hide-env` and `load-env` (and runs `tmux` with the words, when
//! there are any). NUON is nushell's own literal syntax, so the same text is also code: `ccs
//! init nu` prints the default profile's switch as the argument of the hook's `__ccs_apply`.

use anyhow::Result;
use clap_complete::env::{self, EnvCompleter};

use super::{Switch, Syntax};

pub(crate) struct Nu;

impl Syntax for Nu {
    fn program_names(&self) -> &'static [&'static str] {
        &["nu"]
    }

    fn quote(&self, value: &str) -> String {
        quote(value)
    }

    /// A field of the record's `set`.
    fn set(&self, name: &str, value_code: &str) -> String {
        format!("{name}: {value_code}")
    }

    /// The record's `unset` list.
    fn unset(&self, names: &[&str]) -> String {
        format!("[{}]", names.join(", "))
    }

    /// The record: what to set, what to unset, and the words of the one `tmux` command (empty
    /// outside tmux), which the hook runs, quietly, if tmux is there.
    fn render(&self, switch: &Switch) -> Result<String> {
        let set: Vec<String> = switch
            .set
            .iter()
            .map(|(name, value)| self.set(name, &quote(value)))
            .collect();
        let tmux: Vec<String> = if switch.tmux {
            switch.tmux_words().iter().map(|w| quote(w)).collect()
        } else {
            Vec::new()
        };
        Ok(format!(
            "{{set: {{{}}}, unset: {}, tmux: [{}]}}\n",
            set.join(", "),
            self.unset(&switch.unset),
            tmux.join(", ")
        ))
    }

    fn run_quietly(&self, program: &str, args: &[String]) -> String {
        format!(
            "if (which -a {program} | where type == external | is-not-empty) {{ try {{ ^{program} {} o+e>| ignore }} }}\n",
            args.join(" ")
        )
    }

    /// nushell cannot run printed code: the switch record names the command
    /// (`{set: …, unset: …, tmux: …, run: ['claude', '--resume', …]}`), which the hook runs once
    /// it has applied the switch.
    fn then_run(&self, code: String, program: &str, args: &[String]) -> Result<String> {
        let open = code
            .trim_end()
            .strip_suffix('}')
            .ok_or_else(|| anyhow::anyhow!("not a nushell switch record: {code:?}"))?;
        let words: Vec<String> = std::iter::once(program)
            .chain(args.iter().map(String::as_str))
            .map(quote)
            .collect();
        Ok(format!("{open}, run: [{}]}}\n", words.join(", ")))
    }

    /// What `ccs init nu` prints is sourced as a file: the switch to the default profile is
    /// handed to the hook's `__ccs_apply`.
    fn at_start(&self, code: String) -> String {
        if code.is_empty() {
            code
        } else {
            format!("__ccs_apply {code}")
        }
    }

    fn hook(&self) -> String {
        include_str!("../../shell/ccs.nu").to_owned()
    }

    fn completer(&self) -> &'static dyn EnvCompleter {
        &Completer
    }

    /// The hook's own `ccs` command names the completer (`@complete`): only the completer's
    /// definition, not the `extern` a packager's file declares without the hook.
    fn wrap_completion(&self, registration: String) -> String {
        match registration.find(EXTERN_MARK) {
            Some(at) => registration[..at].to_owned(),
            None => registration,
        }
    }
}

/// Where the packagers' file declares `ccs` as an external command with the completer.
const EXTERN_MARK: &str = "\n# Without the hook";

/// A double-quoted nushell string. Inside one, `\` starts an escape and `"` ends it; nothing
/// else is special (`$`, `(` and backticks interpolate only in `$"…"`). Control characters are
/// escaped, so that the text stays one line and readable: `\n`, `\r`, `\t`, and `\u{…}` for the
/// rest. Everything else, non-ASCII included, is itself (nushell reads its source as UTF-8).
pub(crate) fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// clap_complete has no nushell adapter: this one speaks the same protocol. The completer
/// nushell calls with the line's words (`spans`, the last one under the cursor) runs
/// `CCS_COMPLETE=nu ccs -- <spans>`, and the binary answers as it answers fish, a line per
/// candidate and its description after a tab, which the completer turns into the records
/// nushell offers (`{value, description}`), in nushell itself.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Completer;

impl EnvCompleter for Completer {
    fn name(&self) -> &'static str {
        "nu"
    }

    fn is(&self, name: &str) -> bool {
        name == "nu" || name == "nushell"
    }

    fn write_registration(
        &self,
        var: &str,
        _name: &str,
        bin: &str,
        completer: &str,
        buf: &mut dyn std::io::Write,
    ) -> Result<(), std::io::Error> {
        let (bin, completer) = (quote(bin), quote(completer));
        write!(
            buf,
            r#"# Tab completion for ccs: nushell calls this with the words of the line, the last one
# under the cursor; the binary answers from its own definition and its profiles.
def __ccs_complete [spans: list<string>] {{
    with-env {{{var}: "nu"}} {{ ^{completer} -- ...$spans }}
    | lines
    | each {{|line| let parts = ($line | split row "\t"); {{value: $parts.0, description: ($parts.1? | default '')}} }}
}}
{EXTERN_MARK} (`ccs completions nu`, saved in an autoload directory), ccs is an external
# command; the hook defines its own `ccs`, which names the completer itself.
@complete __ccs_complete
extern {bin} [...args: string]
"#
        )
    }

    /// fish's answer: a line per candidate, its description after a tab.
    fn write_complete(
        &self,
        cmd: &mut clap::Command,
        args: Vec<std::ffi::OsString>,
        current_dir: Option<&std::path::Path>,
        buf: &mut dyn std::io::Write,
    ) -> Result<(), std::io::Error> {
        env::Fish.write_complete(cmd, args, current_dir, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile_name::ProfileName;

    #[test]
    fn quoting_by_example() {
        for (raw, want) in [
            ("", r#""""#),
            ("/a b/$c (d)", r#""/a b/$c (d)""#),
            (r#"it's "x"\"#, r#""it's \"x\"\\""#),
            ("a\nb\r\tc\u{1}\u{7f}é", "\"a\\nb\\r\\tc\\u{1}\\u{7f}é\""),
        ] {
            assert_eq!(quote(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn a_switch_is_a_record() {
        let name = ProfileName::parse("work").unwrap();
        let mut on = Switch::to_profile(std::path::Path::new("/h/\"w\""), &name).unwrap();
        on.unset.push("CCS_PREVIOUS");
        assert_eq!(
            Nu.render(&on).unwrap(),
            "{set: {CLAUDE_CONFIG_DIR: \"/h/\\\"w\\\"\", CCS_PROFILE: \"work\"}, \
             unset: [CCS_PREVIOUS], tmux: []}\n"
        );
        let mut off = Switch::off();
        off.tmux = true;
        assert_eq!(
            Nu.render(&off).unwrap(),
            "{set: {}, unset: [CLAUDE_CONFIG_DIR, CCS_PROFILE], tmux: [\"set-environment\", \
             \"-r\", \"CLAUDE_CONFIG_DIR\", \";\", \"set-environment\", \"-r\", \
             \"CCS_PROFILE\"]}\n"
        );
    }
}

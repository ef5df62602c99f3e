//! The shells ccs writes code for.
//!
//! A switch is data ([`Switch`]: what to set, what to unset); each shell's module renders it and
//! owns everything else of that shell's syntax: quoting, the hook it installs (from `shell/` at
//! the top of the repo), how its completion is registered. [`Shell::syntax`] is the one table
//! from a shell to its module. Adding a shell means a variant here (the compiler then points at
//! that table), a module implementing [`Syntax`], a hook file, and a row in the tests' table of
//! shells (`tests/it/common/shells.rs`).

mod bash;
pub(crate) mod completion;
pub(crate) mod detect;
mod fish;
mod nu;
mod posix;
mod powershell;
mod zsh;

use anyhow::{Context, Result};
use clap::ValueEnum;
use clap_complete::env::EnvCompleter;

use crate::claude_code::CONFIG_DIR_VAR;
use crate::contract::{PROFILE_VAR, SSH_PROFILE_VAR};
use crate::profile_name::ProfileName;

pub(crate) use detect::detect;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    #[value(alias = "pwsh")]
    Powershell,
    #[value(alias = "nushell")]
    Nu,
}

/// One shell's syntax: everything ccs prints for it.
pub trait Syntax: Sync {
    /// The names its program goes by (`bash`; `pwsh` and `powershell`), for detection.
    fn program_names(&self) -> &'static [&'static str];

    /// `value` as one literal word of this shell, exactly.
    fn quote(&self, value: &str) -> String;

    /// An error for a value this shell cannot receive intact, however quoted.
    fn check(&self, _value: &str) -> Result<()> {
        Ok(())
    }

    /// A statement that sets and exports `name` (one of ccs's own names, never user input) to
    /// `value_code` (already quoted).
    fn set(&self, name: &str, value_code: &str) -> String;

    /// Statements that remove `names` (an unset one stays unset, silently).
    fn unset(&self, names: &[&str]) -> String;

    /// The code for a whole switch. A shell that cannot evaluate printed code would render the
    /// switch another way (nushell's `load-env` takes a record).
    fn render(&self, switch: &Switch) -> Result<String> {
        let mut code = String::new();
        if !switch.unset.is_empty() {
            code.push_str(&self.unset(&switch.unset));
        }
        for (name, value) in &switch.set {
            self.check(value)?;
            code.push_str(&self.set(name, &self.quote(value)));
        }
        if switch.tmux {
            let words: Vec<String> = switch.tmux_words().iter().map(|w| self.quote(w)).collect();
            code.push_str(&self.run_quietly("tmux", &words));
        }
        Ok(code)
    }

    /// A statement that runs `program` with `args` (already quoted) if it is there, its output
    /// and failure ignored: the switch has happened whatever it does.
    fn run_quietly(&self, program: &str, args: &[String]) -> String;

    /// A switch's code (from [`Syntax::render`]) followed by a run of `program` with `args`
    /// (unquoted), in the foreground, once the switch is made: how `ccs continue` resumes a
    /// conversation on the profile it switched to.
    fn then_run(&self, code: String, program: &str, args: &[String]) -> Result<String>;

    /// A switch's code (from [`Syntax::render`]) as the hook file `ccs init` prints runs it at
    /// start: as it is where the hook is evaluated code.
    fn at_start(&self, code: String) -> String {
        code
    }

    /// The hook `ccs init` prints before the completion registration and the opt-ins.
    fn hook(&self) -> String;

    /// clap_complete's registration writer for this shell.
    fn completer(&self) -> &'static dyn EnvCompleter;

    /// The completion registration as the hook installs it.
    fn wrap_completion(&self, registration: String) -> String {
        registration
    }
}

impl Shell {
    pub const ALL: [Shell; 5] = [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::Powershell,
        Shell::Nu,
    ];

    /// The table: each shell's module.
    pub fn syntax(self) -> &'static dyn Syntax {
        match self {
            Shell::Bash => &bash::Bash,
            Shell::Zsh => &zsh::Zsh,
            Shell::Fish => &fish::Fish,
            Shell::Powershell => &powershell::PowerShell,
            Shell::Nu => &nu::Nu,
        }
    }

    pub fn render(self, switch: &Switch) -> Result<String> {
        self.syntax().render(switch)
    }

    /// `value` quoted for this shell (see [`Syntax::quote`]).
    pub fn quote(self, value: &str) -> String {
        self.syntax().quote(value)
    }
}

/// What a switch changes in a shell's environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Switch {
    pub set: Vec<(&'static str, String)>,
    pub unset: Vec<&'static str>,
    /// Also set the profile in the environment of the tmux session the shell runs in, so that
    /// panes and windows opened from it later start on the same profile (or on none: `-r` marks
    /// a variable to be removed from new panes even when tmux's global environment has it).
    pub tmux: bool,
}

impl Switch {
    /// Onto a profile: `CLAUDE_CONFIG_DIR`, the truth Claude Code reads, and `CCS_PROFILE`, which
    /// only names it for prompts.
    pub fn to_profile(dir: &std::path::Path, name: &ProfileName) -> Result<Self> {
        let dir = dir.to_str().context("profile path is not valid UTF-8")?;
        Ok(Self {
            set: vec![
                (CONFIG_DIR_VAR, dir.to_owned()),
                (PROFILE_VAR, name.as_str().to_owned()),
            ],
            unset: Vec::new(),
            tmux: false,
        })
    }

    /// Back to Claude Code's default: unset, never `~/.claude`, since an unset
    /// `CLAUDE_CONFIG_DIR` is what Claude Code's default means.
    pub fn off() -> Self {
        Self {
            set: Vec::new(),
            unset: vec![CONFIG_DIR_VAR, PROFILE_VAR],
            tmux: false,
        }
    }

    /// Also carry the profile's name over ssh (`LC_CCS_PROFILE`): the name this switch goes to,
    /// or empty for none, so that the variable never names a profile the shell has left.
    pub fn carry_over_ssh(&mut self) {
        let name = self
            .set
            .iter()
            .find(|(var, _)| *var == PROFILE_VAR)
            .map_or_else(String::new, |(_, name)| name.clone());
        self.set.retain(|(var, _)| *var != SSH_PROFILE_VAR);
        self.set.push((SSH_PROFILE_VAR, name));
    }

    /// Only the name carried over ssh set to `name` (empty for none): what a shell that switches
    /// nothing at start still sets, when it carries the name.
    pub fn only_carried(name: &str) -> Self {
        Self {
            set: vec![(SSH_PROFILE_VAR, name.to_owned())],
            unset: Vec::new(),
            tmux: false,
        }
    }

    /// The arguments of the one `tmux` command that gives the session the profile: the
    /// variables a new pane needs, nothing of this shell's own (`CCS_PREVIOUS`).
    fn tmux_words(&self) -> Vec<String> {
        let mirrored = [CONFIG_DIR_VAR, PROFILE_VAR, SSH_PROFILE_VAR];
        let mut commands: Vec<Vec<String>> = Vec::new();
        for name in self.unset.iter().filter(|n| mirrored.contains(n)) {
            commands.push(vec!["set-environment".into(), "-r".into(), (*name).into()]);
        }
        for (name, value) in self.set.iter().filter(|(n, _)| mirrored.contains(n)) {
            // A value never ends in `;` (tmux would split the command there): each is a
            // profile's path or name.
            commands.push(vec![
                "set-environment".into(),
                (*name).into(),
                value.clone(),
            ]);
        }
        commands.join(&";".to_owned())
    }
}

/// `value` in single quotes, each character for which `escape` gives one preceded by it: the
/// quoting fish (`\'`, `\\`) and PowerShell (`''`) share in shape.
fn single_quoted(value: &str, escape: impl Fn(char) -> Option<char>) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        out.extend(escape(c));
        out.push(c);
    }
    out.push('\'');
    out
}

/// The hook lines that turn on the opt-ins, appended by `init --prompt` and `init --auto`: every
/// hook defines these two functions.
pub(crate) const ENABLE_PROMPT_PREFIX: &str = "__ccs_enable_prompt_prefix\n";
pub(crate) const ENABLE_AUTO_SWITCH: &str = "__ccs_enable_auto_switch\n";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{ALL_VARS, HOOK_VAR};

    /// Each shell's quoting, by example (the round trips through real shells and the fuzz target
    /// test it on everything else).
    #[test]
    fn quoting_by_example() {
        for (shell, raw, want) in [
            (Shell::Bash, "/plain/path", "/plain/path"),
            (Shell::Bash, "", "''"),
            (Shell::Zsh, "=ls", "'=ls'"),
            (Shell::Zsh, "a=b", "a=b"),
            (Shell::Bash, "it's", "'it'\\''s'"),
            (Shell::Zsh, "~user", "'~user'"),
            (Shell::Fish, "", "''"),
            (Shell::Fish, "/a b/$c", "'/a b/$c'"),
            (Shell::Fish, r"it's\", r"'it\'s\\'"),
            (Shell::Fish, "a\nb", "'a\nb'"),
            (Shell::Powershell, "", "''"),
            (Shell::Powershell, "C:\\Users\\me\\", "'C:\\Users\\me\\'"),
            (Shell::Powershell, "it's", "'it''s'"),
            (
                Shell::Powershell,
                "a\u{2018}b\u{201B}",
                "('a' + [char]0x2018 + 'b' + [char]0x201B)",
            ),
            (Shell::Powershell, "$env:X `n", "'$env:X `n'"),
            (
                Shell::Powershell,
                "\u{201C}double\u{201D}",
                "('' + [char]0x201C + 'double' + [char]0x201D)",
            ),
        ] {
            assert_eq!(shell.quote(raw), want, "{shell:?} {raw:?}");
        }
    }

    #[test]
    fn switches_render_in_every_shell() {
        let name = ProfileName::parse("work").unwrap();
        let on = Switch::to_profile(std::path::Path::new("/h/it's"), &name).unwrap();
        for (shell, want_on, want_off) in [
            (
                Shell::Bash,
                "export CLAUDE_CONFIG_DIR='/h/it'\\''s';\nexport CCS_PROFILE=work;\n",
                "unset CLAUDE_CONFIG_DIR CCS_PROFILE;\n",
            ),
            (
                Shell::Fish,
                "set -gx CLAUDE_CONFIG_DIR '/h/it\\'s';\nset -gx CCS_PROFILE 'work';\n",
                "set -e -g CLAUDE_CONFIG_DIR CCS_PROFILE;\n",
            ),
            (
                Shell::Powershell,
                "$env:CLAUDE_CONFIG_DIR = '/h/it''s';\n$env:CCS_PROFILE = 'work';\n",
                "$env:CLAUDE_CONFIG_DIR = $null;\n$env:CCS_PROFILE = $null;\n",
            ),
        ] {
            assert_eq!(shell.render(&on).unwrap(), want_on, "{shell:?}");
            assert_eq!(shell.render(&Switch::off()).unwrap(), want_off, "{shell:?}");
        }
    }

    /// Inside tmux one `tmux` command also gives the session the profile (`-r` for off), after
    /// the shell's own variables, never failing the switch.
    #[test]
    fn a_switch_in_tmux_also_sets_the_session() {
        let name = ProfileName::parse("work").unwrap();
        let mut on = Switch::to_profile(std::path::Path::new("/h/w"), &name).unwrap();
        on.tmux = true;
        assert_eq!(
            Shell::Bash.render(&on).unwrap(),
            "export CLAUDE_CONFIG_DIR=/h/w;\nexport CCS_PROFILE=work;\ncommand tmux \
             set-environment CLAUDE_CONFIG_DIR /h/w ';' set-environment CCS_PROFILE work \
             >/dev/null 2>&1 || :;\n"
        );
        let mut off = Switch::off();
        off.tmux = true;
        assert!(Shell::Fish.render(&off).unwrap().ends_with(
            "command -q tmux; and command tmux 'set-environment' '-r' 'CLAUDE_CONFIG_DIR' ';' \
             'set-environment' '-r' 'CCS_PROFILE' >/dev/null 2>&1; or true;\n"
        ));
    }

    /// Carried over ssh, the variable holds the name the switch goes to, or empty for none, once;
    /// inside tmux the session gets it too.
    #[test]
    fn a_carried_switch_sets_the_name_for_ssh() {
        let name = ProfileName::parse("work").unwrap();
        let mut on = Switch::to_profile(std::path::Path::new("/h/w"), &name).unwrap();
        on.carry_over_ssh();
        on.carry_over_ssh();
        assert_eq!(
            Shell::Bash.render(&on).unwrap(),
            "export CLAUDE_CONFIG_DIR=/h/w;\nexport CCS_PROFILE=work;\nexport LC_CCS_PROFILE=work;\n"
        );
        let mut off = Switch::off();
        off.carry_over_ssh();
        off.tmux = true;
        assert_eq!(
            Shell::Bash.render(&off).unwrap(),
            "unset CLAUDE_CONFIG_DIR CCS_PROFILE;\nexport LC_CCS_PROFILE='';\ncommand tmux \
             set-environment -r CLAUDE_CONFIG_DIR ';' set-environment -r CCS_PROFILE ';' \
             set-environment LC_CCS_PROFILE '' >/dev/null 2>&1 || :;\n"
        );
        assert_eq!(
            Shell::Fish.render(&Switch::only_carried("")).unwrap(),
            "set -gx LC_CCS_PROFILE '';\n"
        );
    }

    /// Every hook defines the functions the opt-in lines call, and names no variable or file of
    /// ccs's that `contract` does not define.
    #[test]
    fn hooks_use_only_these_names() {
        for shell in Shell::ALL {
            let hook = shell.syntax().hook();
            for enable in [ENABLE_PROMPT_PREFIX, ENABLE_AUTO_SWITCH] {
                assert!(hook.contains(enable.trim()), "{shell:?} lacks {enable}");
            }
            for word in hook.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                let ours = ["CCS_", "CLAUDE_", "LC_CCS_"]
                    .iter()
                    .any(|p| word.starts_with(p));
                if ours && word.len() > 5 {
                    assert!(ALL_VARS.contains(&word), "{shell:?} hook names {word}");
                }
            }
            assert!(hook.contains(crate::contract::PIN_FILE), "{shell:?}");
            // The name carried over ssh too: leaving a pinned tree restores it in the hook's own
            // code.
            for var in [CONFIG_DIR_VAR, PROFILE_VAR, HOOK_VAR, SSH_PROFILE_VAR] {
                assert!(hook.contains(var), "{shell:?} hook lacks {var}");
            }
        }
    }
}

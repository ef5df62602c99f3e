//! What bash and zsh share: their quoting (they read single quotes alike), `export`/`unset`,
//! and the common part of their hooks. Each shell's module adds only what is its own.

use clap_complete::env::EnvCompleter;

use super::Syntax;

/// A shell of the POSIX family: its own part of [`Syntax`]; the rest comes from here.
pub trait PosixShell: Sync {
    fn program_names(&self) -> &'static [&'static str];
    /// Its own part of the hook, printed after the common part (`shell/ccs.sh`).
    fn own_hook(&self) -> &'static str;
    fn completer(&self) -> &'static dyn EnvCompleter;
    fn wrap_completion(&self, registration: String) -> String {
        registration
    }
}

impl<T: PosixShell> Syntax for T {
    fn program_names(&self) -> &'static [&'static str] {
        PosixShell::program_names(self)
    }

    fn quote(&self, value: &str) -> String {
        quote(value)
    }

    fn set(&self, name: &str, value_code: &str) -> String {
        format!("export {name}={value_code};\n")
    }

    fn unset(&self, names: &[&str]) -> String {
        format!("unset {};\n", names.join(" "))
    }

    fn run_quietly(&self, program: &str, args: &[String]) -> String {
        format!(
            "command {program} {} >/dev/null 2>&1 || :;\n",
            args.join(" ")
        )
    }

    fn then_run(&self, code: String, program: &str, args: &[String]) -> anyhow::Result<String> {
        let words: Vec<String> = args.iter().map(|a| self.quote(a)).collect();
        Ok(format!("{code}command {program} {}\n", words.join(" ")))
    }

    fn hook(&self) -> String {
        [COMMON_HOOK, self.own_hook()].concat()
    }

    fn completer(&self) -> &'static dyn EnvCompleter {
        PosixShell::completer(self)
    }

    fn wrap_completion(&self, registration: String) -> String {
        PosixShell::wrap_completion(self, registration)
    }
}

/// One word for bash and zsh. shell-escape single-quotes anything unsafe; inside single quotes
/// both shells take every byte literally (newlines, `$`, backticks, `!`, backslashes), and a `'`
/// closes, is escaped, and reopens.
pub(crate) fn quote(value: &str) -> String {
    let escaped = shell_escape::unix::escape(value.into());
    // shell-escape leaves `=` bare, but zsh expands a word that starts with it (`=ls` is the
    // path of ls). A bare word holds no `'`, so wrapping it is enough.
    if escaped.starts_with('=') {
        format!("'{escaped}'")
    } else {
        escaped.into_owned()
    }
}

/// The part of the hook bash and zsh share (`shell/ccs.sh`), before each one's own.
const COMMON_HOOK: &str = include_str!("../../shell/ccs.sh");

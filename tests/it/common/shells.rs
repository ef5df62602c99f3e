//! The shells the tests know, each described once: one [`TestShell`] row per shell, and [`ALL`].
//! Every test file takes what it needs of a shell from here (its program, flags, hook files, how
//! to evaluate code or print a variable in it, how it draws its prompt, how its completion asks
//! the binary) instead of a table or a `match` of its own.
//!
//! Adding a shell to the tests means adding its row and listing it in [`ALL`]. The compiler
//! points at anything else: [`ALL`] has the length of `ccs::Shell::ALL` (and its order is
//! checked when this compiles), and the tests' `match`es on [`TestShell::kind`] are exhaustive.
//! The tests that loop over [`ALL`], [`runnable`] or [`installed`] take a new shell at once;
//! those written once per shell (`bash_…`, `zsh_…`, `fish_…`) take it by a one-line test.
//!
//! PowerShell cannot be installed on the test machines (it is parsed with tree-sitter instead,
//! see `pwsh.rs`): its row is never run, so what it says of running PowerShell is written from
//! PowerShell's documentation and unverified.

use std::process::Command;

use ccs::Shell;

/// One shell, as the tests drive it.
#[derive(Clone, Copy)]
pub(crate) struct TestShell {
    /// Its name as `--shell`, `ccs init`, `ccs completions` and `CCS_COMPLETE` take it.
    pub(crate) name: &'static str,
    /// The program run.
    pub(crate) program: &'static str,
    /// ccs's own value for it.
    pub(crate) kind: Shell,
    /// Whether it can run on the test machines. Those that can are installed by `.ci/run`; a
    /// missing one skips a test locally and fails it under `CI=true` (see `required`).
    pub(crate) runnable: bool,

    /// Flags for a script run without a terminal, on stdin or with `-c`: no startup file of the
    /// user's or the system's.
    pub(crate) script_flags: &'static [&'static str],
    /// The hook's files under `shell/`, in the order `ccs init` prints them.
    pub(crate) hook_files: &'static [&'static str],
    /// The completion script checked in under `completions/`, for packagers.
    pub(crate) completion_file: &'static str,
    /// The flag that makes the program parse a file without running it; `None` where the shell
    /// cannot run here.
    pub(crate) syntax_check: Option<&'static str>,
    /// shellcheck's `--shell=` dialect for its hook files, where shellcheck knows the shell.
    pub(crate) shellcheck: Option<&'static str>,

    /// Runs a command and evaluates its output: `eval "$(` + command + `)"`.
    pub(crate) eval: (&'static str, &'static str),
    /// The line that makes an unset variable an error (nothing for fish, which has no such
    /// option).
    pub(crate) nounset: &'static str,
    /// The line that turns on the expansion of `alias name='text'` aliases in a script; `None`
    /// for a shell that has no such aliases.
    pub(crate) aliases: Option<&'static str>,
    /// The exit status of the last command.
    pub(crate) status: &'static str,
    /// `(format, var, default)`: a statement printing `printf`'s `format` (one `%s`) with the
    /// variable's value, or with `default` when it is not set.
    pub(crate) print_or: fn(&str, &str, &str) -> String,
    /// `(name, quoted value)`: a statement that sets and exports a variable.
    pub(crate) export: fn(&str, &str) -> String,
    /// What a script must run after a `cd` for the hook's auto-switch to see it, where the shell
    /// checks for a change of directory only at a prompt (bash), which a script never draws.
    pub(crate) after_cd: Option<&'static str>,

    /// Flags for an interactive shell (in tmux, or traced by prompt_cost.rs) with no startup file.
    pub(crate) tty_flags: &'static [&'static str],
    /// A statement that sets a fixed prompt, given as the shell's prompt code.
    pub(crate) set_prompt: fn(&str) -> String,
    /// The prompt the interactive tests set, as prompt code.
    pub(crate) prompt_code: &'static str,
    /// That prompt as the screen shows it, trailing space trimmed.
    pub(crate) prompt: &'static str,
    /// Statements that make the shell run a command before each prompt.
    pub(crate) run_before_prompt: fn(&str) -> String,
    /// A builtin that does nothing, as a line.
    pub(crate) no_op: &'static str,
    /// Whether it draws prompts only on a terminal (when its input is a pipe, it does not).
    pub(crate) prompts_need_a_terminal: bool,
    /// The keys that list the completion candidates once Tab has completed their common prefix:
    /// bash wants two more (the first only rings the bell), zsh one, fish showed them with the
    /// first Tab.
    pub(crate) list_keys: &'static [&'static str],

    /// How its completion registration asks the binary.
    pub(crate) completion: Protocol,
}

/// How a shell's completion registration (clap_complete's) asks the binary for candidates: it
/// runs `CCS_COMPLETE=<name> ccs -- <words>`, the last word being the one under the cursor.
#[derive(Clone, Copy)]
pub(crate) struct Protocol {
    /// The variables it sets besides `CCS_COMPLETE`.
    pub(crate) env: &'static [(&'static str, &'static str)],
    /// Whether it passes the index of the word under the cursor in `_CLAP_COMPLETE_INDEX`.
    pub(crate) passes_index: bool,
    /// What separates the candidates in the answer.
    pub(crate) separator: char,
    /// What separates a candidate's value from its description, if the answer has any.
    pub(crate) description: Option<char>,
}

pub(crate) const BASH: TestShell = TestShell {
    name: "bash",
    program: "bash",
    kind: Shell::Bash,
    runnable: true,
    script_flags: &["--norc", "--noprofile"],
    hook_files: &["ccs.sh", "ccs.bash"],
    completion_file: "ccs.bash",
    syntax_check: Some("-n"),
    shellcheck: Some("bash"),
    eval: ("eval \"$(", ")\""),
    nounset: "set -u",
    aliases: Some("shopt -s expand_aliases"),
    status: "$?",
    print_or: posix_print_or,
    export: posix_export,
    after_cd: Some("__ccs_auto_switch"),
    tty_flags: &["--norc", "--noprofile", "-i"],
    set_prompt: |code| format!("PS1='{code}'"),
    prompt_code: "$ ",
    prompt: "$",
    run_before_prompt: |command| format!("PROMPT_COMMAND+=$'\\n'{command}\n"),
    no_op: ":\n",
    prompts_need_a_terminal: false,
    list_keys: &["Tab", "Tab"],
    completion: Protocol {
        env: &[
            ("_CLAP_IFS", "\u{b}"),
            ("_CLAP_COMPLETE_COMP_TYPE", "9"),
            ("_CLAP_COMPLETE_SPACE", "false"),
        ],
        passes_index: true,
        separator: '\u{b}',
        description: None,
    },
};

pub(crate) const ZSH: TestShell = TestShell {
    name: "zsh",
    program: "zsh",
    kind: Shell::Zsh,
    runnable: true,
    script_flags: &["--no-rcs"],
    hook_files: &["ccs.sh", "ccs.zsh"],
    completion_file: "_ccs",
    syntax_check: Some("-n"),
    shellcheck: None,
    eval: ("eval \"$(", ")\""),
    nounset: "setopt nounset",
    aliases: Some(""),
    status: "$?",
    print_or: posix_print_or,
    export: posix_export,
    after_cd: None,
    tty_flags: &["--no-rcs", "-i"],
    set_prompt: |code| format!("PROMPT='{code}'"),
    prompt_code: "%% ",
    prompt: "%",
    run_before_prompt: |command| {
        format!("__ccs_test_true() {{ {command}; }}\nprecmd_functions+=(__ccs_test_true)\n")
    },
    no_op: ":\n",
    prompts_need_a_terminal: false,
    list_keys: &["Tab"],
    completion: Protocol {
        env: &[("_CLAP_IFS", "\n")],
        passes_index: true,
        separator: '\n',
        // `value:description`, a ':' in the value escaped (profile names have none).
        description: Some(':'),
    },
};

pub(crate) const FISH: TestShell = TestShell {
    name: "fish",
    program: "fish",
    kind: Shell::Fish,
    runnable: true,
    script_flags: &["--no-config"],
    hook_files: &["ccs.fish"],
    completion_file: "ccs.fish",
    syntax_check: Some("--no-execute"),
    shellcheck: None,
    eval: ("", " | source"),
    nounset: "",
    aliases: None,
    status: "$status",
    print_or: |format, var, default| {
        format!("set -q {var}; and printf '{format}' \"${var}\"; or printf '{format}' '{default}'")
    },
    export: |name, value| format!("set -gx {name} {value}"),
    after_cd: None,
    tty_flags: &["--no-config", "-i"],
    set_prompt: |code| format!("function fish_prompt; printf '{code}'; end"),
    prompt_code: "> ",
    prompt: ">",
    run_before_prompt: |command| {
        format!("function __ccs_test_true --on-event fish_prompt; {command}; end\n")
    },
    no_op: "true\n",
    prompts_need_a_terminal: true,
    list_keys: &[],
    completion: Protocol {
        env: &[],
        passes_index: false,
        separator: '\n',
        description: Some('\t'),
    },
};

/// Not run here (see the module's notes): what it says of running PowerShell is unverified.
pub(crate) const POWERSHELL: TestShell = TestShell {
    name: "powershell",
    program: "pwsh",
    kind: Shell::Powershell,
    runnable: false,
    script_flags: &["-NoProfile", "-NonInteractive", "-Command", "-"],
    hook_files: &["ccs.ps1"],
    completion_file: "_ccs.ps1",
    syntax_check: None,
    shellcheck: None,
    eval: ("Invoke-Expression (& ", " | Out-String)"),
    nounset: "Set-StrictMode -Version Latest",
    aliases: None,
    status: "$LASTEXITCODE",
    print_or: |format, var, default| {
        let format = format.replace("\\n", "`n").replace("\\0", "`0");
        format!(
            "[Console]::Out.Write(\"{format}\".Replace('%s', $(if (Test-Path Env:{var}) \
             {{ $env:{var} }} else {{ '{default}' }})))"
        )
    },
    export: |name, value| format!("$env:{name} = {value}"),
    after_cd: None,
    tty_flags: &["-NoProfile", "-NoLogo"],
    set_prompt: |code| format!("function prompt {{ '{code}' }}"),
    prompt_code: "PS> ",
    prompt: "PS>",
    run_before_prompt: |command| {
        format!(
            "$__ccs_test_prompt = $function:prompt\n\
             function prompt {{ {command}; & $__ccs_test_prompt }}\n"
        )
    },
    no_op: "$null\n",
    prompts_need_a_terminal: false,
    list_keys: &["Tab", "Tab"],
    completion: Protocol {
        env: &[],
        passes_index: false,
        separator: '\n',
        description: Some('\t'),
    },
};

/// Runs here (`tests/fetch-nushell` installs it into target/nushell, see `nu`), but is not
/// `runnable`: nushell cannot evaluate printed code, so the tests that `eval` a command's output
/// on one line of a script, or source the hook on one, do not fit it. `tests/it/nushell.rs`
/// drives it with the hook installed as its docs say, from this row where it can.
pub(crate) const NU: TestShell = TestShell {
    name: "nu",
    program: "nu",
    kind: Shell::Nu,
    runnable: false,
    script_flags: &["--no-config-file", "--no-std-lib"],
    hook_files: &["ccs.nu"],
    completion_file: "ccs.nu",
    syntax_check: None,
    shellcheck: None,
    // What the hook's `__ccs_apply` does, for a script without the hook.
    eval: (
        "do --env {|s| hide-env --ignore-errors ...$s.unset; load-env $s.set } (",
        " | from nuon)",
    ),
    nounset: "",
    aliases: None,
    status: "($env.LAST_EXIT_CODE)",
    print_or: |format, var, default| {
        format!("print -n (\"{format}\" | str replace '%s' ($env.{var}? | default '{default}'))")
    },
    export: |name, value| format!("$env.{name} = {value}"),
    after_cd: None,
    // Its config.nu in the sandbox's home, where a person installs the hook.
    tty_flags: &["--no-std-lib"],
    set_prompt: |code| {
        format!(
            "$env.PROMPT_COMMAND = {{|| '{code}' }}; $env.PROMPT_INDICATOR = ''; \
             $env.PROMPT_COMMAND_RIGHT = ''"
        )
    },
    prompt_code: "> ",
    prompt: ">",
    run_before_prompt: |command| {
        format!(
            "$env.config.hooks.pre_prompt = ($env.config.hooks.pre_prompt? | default [] | \
             append {{|| {command} }})\n"
        )
    },
    no_op: "ignore\n",
    prompts_need_a_terminal: true,
    list_keys: &[],
    completion: Protocol {
        env: &[],
        passes_index: false,
        separator: '\n',
        description: Some('\t'),
    },
};

/// Every shell ccs knows, in ccs's own order (checked when this compiles).
pub(crate) const ALL: [TestShell; Shell::ALL.len()] = [BASH, ZSH, FISH, POWERSHELL, NU];

const _: () = {
    let mut i = 0;
    while i < ALL.len() {
        assert!(
            ALL[i].kind as u8 == Shell::ALL[i] as u8,
            "ALL is not in the order of ccs::Shell::ALL"
        );
        i += 1;
    }
};

/// The shells that can run on the test machines.
pub(crate) fn runnable() -> impl Iterator<Item = TestShell> {
    ALL.into_iter().filter(|s| s.runnable)
}

/// The runnable shells installed here; a missing one is skipped with a notice (a failure under
/// `CI=true`, see `have`).
pub(crate) fn installed() -> Vec<TestShell> {
    runnable().filter(|s| s.here()).collect()
}

/// A shell's row by its name or its program (`"bash"`, `"pwsh"`).
impl From<&str> for TestShell {
    fn from(name: &str) -> Self {
        ALL.into_iter()
            .find(|s| s.name == name || s.program == name)
            .unwrap_or_else(|| panic!("no such test shell: {name}"))
    }
}

impl From<&TestShell> for TestShell {
    fn from(shell: &TestShell) -> Self {
        *shell
    }
}

/// What every shell prints the same way: the two variables a switch sets, `|`-separated. (Only
/// Unix-only tests use it.)
#[cfg(unix)]
pub(crate) const PRINT_SWITCH: &str = "printf '%s|%s\\n' \"$CLAUDE_CONFIG_DIR\" \"$CCS_PROFILE\"";

fn posix_print_or(format: &str, var: &str, default: &str) -> String {
    format!("printf '{format}' \"${{{var}-{default}}}\"")
}

fn posix_export(name: &str, value: &str) -> String {
    format!("export {name}={value}")
}

impl TestShell {
    /// Whether it runs here: runnable and installed (see [`installed`]). A shell that cannot
    /// run on the test machines is no missing tool: no notice, no failure under `CI=true`.
    pub(crate) fn here(&self) -> bool {
        if self.kind == Shell::Nu {
            return Self::nu_fetched();
        }
        self.runnable && super::have(self.program)
    }

    /// Whether nushell was fetched (`tests/fetch-nushell`, into target/nushell, which
    /// `path_with_bin` puts on PATH); see `required`.
    pub(crate) fn nu_fetched() -> bool {
        let nu = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/nushell/bin/nu");
        super::required(
            nu.is_file(),
            "nushell is not installed (run tests/fetch-nushell)",
        )
    }

    /// The program with its script flags, nothing else set.
    pub(crate) fn command(&self) -> Command {
        assert!(
            self.runnable,
            "{} cannot run on the test machines",
            self.name
        );
        let mut cmd = Command::new(self.program);
        cmd.args(self.script_flags);
        cmd
    }

    /// A line that runs `command` and evaluates what it prints.
    pub(crate) fn eval(&self, command: &str) -> String {
        format!("{}{command}{}", self.eval.0, self.eval.1)
    }

    /// The line that installs the hook, `ccs init <name> <flags>` evaluated, as the README gives
    /// it (`flags` may be empty).
    /// nushell sources only a file that exists when the line is parsed: two lines, at an
    /// interactive prompt (its docs save the hook in an autoload directory instead).
    pub(crate) fn source_hook(&self, flags: &str) -> String {
        let command = format!("ccs init {} {flags}", self.name);
        if self.kind == Shell::Nu {
            return format!(
                "{} | save -f ~/.ccs-hook.nu\nsource ~/.ccs-hook.nu",
                command.trim_end()
            );
        }
        self.eval(command.trim_end())
    }

    /// A statement printing `format` with the variable's value, or `default` when it is unset.
    pub(crate) fn print_or(&self, format: &str, var: &str, default: &str) -> String {
        (self.print_or)(format, var, default)
    }

    /// A statement that sets and exports `name` to `value`, already quoted for this shell.
    pub(crate) fn export(&self, name: &str, value: &str) -> String {
        (self.export)(name, value)
    }

    /// The line that sets the interactive tests' prompt.
    pub(crate) fn setup(&self) -> String {
        (self.set_prompt)(self.prompt_code)
    }

    /// The prompt set by [`TestShell::setup`] with the hook's `--prompt` prefix for `profile`.
    pub(crate) fn prefixed(&self, profile: &str) -> String {
        format!("({profile}) {}", self.prompt)
    }

    /// Its hook files, as paths into `shell/` in the repository.
    pub(crate) fn hook_paths(&self) -> Vec<std::path::PathBuf> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("shell");
        self.hook_files.iter().map(|f| dir.join(f)).collect()
    }
}

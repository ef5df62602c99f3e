//! What ccs prints is code: these tests run it in the real bash, zsh and fish and compare the
//! resulting variables byte for byte, and run the hooks under strict settings.

use crate::common;
use crate::common::shells::{self, BASH, FISH, TestShell, ZSH};
use crate::common::{Sandbox, clean_success, have, stderr, stdout};

/// Directory names that break naive quoting in at least one shell.
pub(crate) const HOSTILE_NAMES: &[&str] = &[
    "it's \"quoted\"",
    "$HOME and ${HOME} and $(id)",
    "`id` back`ticks",
    "bang!! !$ !-1",
    r"back\slash \\ \n \t",
    "trailing-backslash\\",
    "new\nline",
    "  spaces  ",
    "ünïcødé 日本 🦀",
    "‘curly’ ‚low‛ “double”",
    "*?[glob] ~tilde {a,b}",
    ";&|<>() # hash",
    "tab\tand\rreturn",
    "percent %d %s %% %F{red}",
    "-dash-first",
];

/// Reads back the two variables as the shell sees them, NUL-separated (the same in all three).
const PRINT_VARS: &str = "printf '%s\\0' \"$CLAUDE_CONFIG_DIR\" \"$CCS_PROFILE\"";

fn eval_line(shell: TestShell) -> String {
    shell.eval(&format!("ccs use work --shell {}", shell.name))
}

#[test]
fn use_output_sets_the_exact_path_in_every_shell() {
    for name in HOSTILE_NAMES {
        let sandbox = Sandbox::with_ccs_home(name);
        let dir = sandbox.create("work");
        let want = format!("{}\0work\0", dir.to_str().unwrap());
        for shell in shells::installed() {
            let script = format!("{}\n{}\n", eval_line(shell), PRINT_VARS);
            let out = sandbox.shell(shell, &script);
            assert_eq!(
                clean_success(&out, shell.name),
                want,
                "{} with CCS_HOME {name:?}",
                shell.name
            );
        }
    }
}

#[test]
fn off_output_unsets_both_variables_in_every_shell() {
    let sandbox = Sandbox::new();
    sandbox.create("work");
    for shell in shells::installed() {
        let off = shell.eval(&format!("ccs off --shell {}", shell.name));
        let check = format!(
            "{}\n{}",
            shell.print_or("%s\\n", "CLAUDE_CONFIG_DIR", "unset1"),
            shell.print_or("%s\\n", "CCS_PROFILE", "unset2")
        );
        let script = format!("{}\n{off}\n{check}\n{off}\n", eval_line(shell));
        let out = sandbox.shell(shell, &script);
        assert_eq!(
            stdout(&out),
            "unset1\nunset2\n",
            "{}: {}",
            shell.name,
            stderr(&out)
        );
        assert!(out.stderr.is_empty(), "{}: {}", shell.name, stderr(&out));
    }
}

/// A small deterministic generator: no dependency, and a failing seed can be replayed.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Random strings weighted towards what breaks quoting: quotes, backslashes (often last),
/// expansions, history, newlines, control characters and non-ASCII, including PowerShell's
/// typographic quotes. Never NUL, which no environment variable can hold.
pub(crate) fn hostile_values(seed: u64, count: usize) -> Vec<String> {
    const PIECES: &[&str] = &[
        "'",
        "\"",
        "\\",
        "$",
        "`",
        "!",
        "\n",
        " ",
        "\t",
        "$(",
        "${",
        "}",
        "*",
        "?",
        "[",
        "]",
        "~",
        "#",
        ";",
        "&",
        "|",
        "<",
        ">",
        "(",
        ")",
        "{",
        "}",
        "%",
        "^",
        "=",
        "-",
        "--",
        "ü",
        "日本",
        "🦀",
        "\u{2018}",
        "\u{2019}",
        "\u{201A}",
        "\u{201B}",
        "\u{201C}",
        "\u{201D}",
        "\r",
        "\u{1b}[31m",
        "\u{7f}",
        "\u{a0}",
        "\u{200b}",
        "a",
        "b",
        "/",
        ".",
        "\\'",
        "'\\",
        "\\\\",
        "!!",
        "$HOME",
        "%1v",
    ];
    let mut rng = XorShift(seed | 1);
    (0..count)
        .map(|_| {
            let len = rng.below(12);
            let mut s: String = (0..len).map(|_| PIECES[rng.below(PIECES.len())]).collect();
            match rng.below(6) {
                0 => s.push('\\'),
                1 => s.push_str("\\\\"),
                2 => {
                    let c = char::from_u32(1 + rng.below(0x2fff) as u32).unwrap_or('x');
                    s.push(c);
                }
                _ => {}
            }
            s
        })
        .collect()
}

fn round_trip(shell: TestShell, values: &[String]) -> Vec<String> {
    let sandbox = Sandbox::new();
    let mut script = String::new();
    for value in values {
        script.push_str(&format!("printf '%s\\0' {}\n", shell.kind.quote(value)));
    }
    let out = sandbox.shell(shell, &script);
    assert!(
        out.status.success(),
        "{} failed: {}",
        shell.name,
        stderr(&out)
    );
    let text = String::from_utf8(out.stdout).expect("output is UTF-8");
    text.split_terminator('\0').map(str::to_owned).collect()
}

/// Thousands of hostile values per run, each quoted by ccs and read back by the real shell.
#[test]
fn quoting_round_trips_random_hostile_values_through_real_shells() {
    let seed = std::env::var("CCS_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    let count = std::env::var("CCS_TEST_VALUES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let values = hostile_values(seed, count);
    for shell in shells::installed() {
        let name = shell.name;
        let got = round_trip(shell, &values);
        assert_eq!(
            got.len(),
            values.len(),
            "{name}: value count differs (seed {seed})"
        );
        for (want, got) in values.iter().zip(&got) {
            assert_eq!(
                got, want,
                "{name} changed a value; replay with CCS_TEST_SEED={seed}"
            );
        }
    }
}

/// A shell with the hook installed twice, strict settings on.
fn hooked(shell: TestShell, prompt: bool) -> String {
    let hook = shell.source_hook(if prompt { "--prompt" } else { "" });
    let nounset = match shell.nounset {
        "" => String::new(),
        line => format!("{line}\n"),
    };
    format!("{nounset}{hook}\n{hook}\n")
}

#[test]
fn hooks_switch_the_shell_without_a_word_on_stdout_or_stderr() {
    let sandbox = Sandbox::new();
    let work = sandbox.create("work");
    let personal = sandbox.create("personal");
    for shell in shells::installed() {
        let script = format!(
            "{}ccs use work\n{vars}\nccs use personal\n{vars}\nccs off\n{}\n{}\n",
            hooked(shell, true),
            shell.print_or("%s\\0", "CLAUDE_CONFIG_DIR", "off"),
            shell.print_or("%s\\0", "CCS_PROFILE", "off"),
            vars = PRINT_VARS,
        );
        let out = sandbox.shell(shell, &script);
        let want = format!(
            "{}\0work\0{}\0personal\0off\0off\0",
            work.display(),
            personal.display()
        );
        assert_eq!(clean_success(&out, shell.name), want, "{}", shell.name);
    }
}

#[test]
fn a_failed_use_changes_nothing_and_returns_non_zero() {
    let sandbox = Sandbox::new();
    let work = sandbox.create("work");
    for shell in shells::installed() {
        let status = shell.status;
        let script = format!(
            "{}ccs use work\nccs use nosuch\necho \"rc={status}\"\n{}\nccs use 'bad name'\necho \"rc={status}\"\n",
            hooked(shell, false),
            PRINT_VARS,
        );
        let out = sandbox.shell(shell, &script);
        assert_eq!(
            stdout(&out),
            format!("rc=1\n{}\0work\0rc=1\n", work.display()),
            "{}",
            shell.name
        );
        let err = stderr(&out);
        assert!(
            err.contains("ccs create nosuch") && err.contains("invalid profile name"),
            "{}: {err}",
            shell.name
        );
    }
}

#[test]
fn use_help_shows_help_and_evaluates_nothing() {
    let sandbox = Sandbox::new();
    sandbox.create("work");
    for shell in shells::installed() {
        let check = shell.print_or("%s\\n", "CLAUDE_CONFIG_DIR", "still-unset");
        let shell_name = shell.name;
        for help in [
            "ccs use --help",
            "ccs use -h",
            "ccs use work --help",
            "ccs off --help",
        ] {
            let out = sandbox.shell(shell, &format!("{}{help}\n{check}\n", hooked(shell, false)));
            let text = clean_success(&out, shell_name);
            assert!(text.contains("Usage: ccs"), "{shell_name} {help}: {text}");
            assert!(
                text.ends_with("still-unset\n"),
                "{shell_name} {help}: {text}"
            );
        }
    }
}

#[test]
fn other_commands_pass_through_to_the_binary_which_knows_the_hook_is_there() {
    let sandbox = Sandbox::new();
    sandbox.create("work");
    for shell in shells::installed() {
        let script = format!(
            "{}ccs path work\nccs current\necho rc={}\nccs doctor | grep hook\n",
            hooked(shell, false),
            shell.status
        );
        let out = sandbox.shell(shell, &script);
        let want = format!(
            "{}\nrc=1\nok    the {} hook is installed in this shell\n",
            sandbox.instance("work").display(),
            shell.name
        );
        assert_eq!(stdout(&out), want, "{}: {}", shell.name, stderr(&out));
    }
    // Without the hook, doctor says so.
    let out = sandbox.shell(BASH, "ccs doctor | grep hook");
    assert!(
        stdout(&out).starts_with("warn  the shell hook is not installed"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn the_hook_installs_and_calls_the_binary_even_with_an_alias_named_ccs() {
    let sandbox = Sandbox::new();
    sandbox.create("work");
    for shell in shells::installed() {
        let Some(aliases) = shell.aliases else {
            continue;
        };
        // The alias exists before the hook, as in a .bashrc: defining the function must not be
        // alias-expanded, and `command ccs` inside it bypasses both, so nothing recurses.
        let setup = match aliases {
            "" => String::new(),
            line => format!("{line}\n"),
        };
        let script = format!(
            "{setup}alias ccs='nice ccs'\n{}\\ccs use work\necho \"$CCS_PROFILE\"\n",
            hooked(shell, false)
        );
        let out = sandbox.shell(shell, &script);
        assert_eq!(clean_success(&out, shell.name), "work\n", "{}", shell.name);
    }
}

#[test]
fn bash_hook_keeps_prompt_command_as_string_or_array() {
    if !BASH.here() {
        return;
    }
    let sandbox = Sandbox::new();
    let cases = [
        (
            "PROMPT_COMMAND='history -a;'",
            "declare -- PROMPT_COMMAND=$'history -a;\\n__ccs_prompt_prefix'",
        ),
        (
            "unset PROMPT_COMMAND",
            "declare -- PROMPT_COMMAND=\"__ccs_prompt_prefix\"",
        ),
        (
            "PROMPT_COMMAND=(one 'two words')",
            "declare -a PROMPT_COMMAND=([0]=\"one\" [1]=\"two words\" [2]=\"__ccs_prompt_prefix\")",
        ),
    ];
    for (setup, want) in cases {
        let script = format!(
            "set -u\n{setup}\n{}declare -p PROMPT_COMMAND\n",
            hooked(BASH, true)
        );
        let out = sandbox.shell(BASH, &script);
        assert_eq!(clean_success(&out, setup).trim_end(), want, "{setup}");
    }
}

/// bash-preexec imported but not installed (its install delayed, as some setups ask): the hook
/// must not wait in precmd_functions for an install that may never come.
#[test]
fn bash_hook_uses_precmd_functions_only_once_bash_preexec_installs() {
    if !BASH.here() {
        return;
    }
    let Some(preexec) = common::bash_preexec() else {
        return;
    };
    let sandbox = Sandbox::new();
    let script = format!(
        "__bp_delay_install=1\nsource '{}'\n{}declare -p PROMPT_COMMAND\n\
         echo \"[${{precmd_functions[*]-}}]\"\n",
        preexec.display(),
        hooked(BASH, true)
    );
    let out = sandbox.shell(BASH, &script);
    assert_eq!(
        clean_success(&out, BASH.name),
        "declare -- PROMPT_COMMAND=\"__ccs_prompt_prefix\"\n[]\n"
    );
}

#[test]
fn bash_prompt_prefix_is_added_once_and_keeps_the_exit_status() {
    let sandbox = Sandbox::new();
    let script = format!(
        "{}PS1='$ '\nCCS_PROFILE=work\n(exit 7); __ccs_prompt_prefix; echo \"status=$?\"\n__ccs_prompt_prefix\n\
         echo \"${{PS1@P}}\"\nCCS_PROFILE=$'x\\e]0;pwned\\a'\n__ccs_prompt_prefix\necho \"[${{PS1@P}}]\"\n\
         unset CCS_PROFILE\n__ccs_prompt_prefix\necho \"[${{PS1@P}}]\"\n",
        hooked(BASH, true)
    );
    let out = sandbox.shell(BASH, &script);
    // In a value that is no profile name (here an escape sequence that retitles the terminal)
    // every character a name cannot hold is shown as `?`.
    assert_eq!(
        clean_success(&out, BASH.name),
        "status=7\n(work) $ \n[(x??0?pwned?) $ ]\n[$ ]\n"
    );
}

#[test]
fn zsh_hook_keeps_precmd_functions_and_prefixes_once() {
    if !ZSH.here() {
        return;
    }
    let sandbox = Sandbox::new();
    let script = format!(
        "user_precmd() {{ :; }}\nprecmd_functions=(user_precmd)\n{}PROMPT='%% '\n\
         print -r -- \"${{precmd_functions[*]}}\"\nCCS_PROFILE=work\n__ccs_prompt_prefix\n__ccs_prompt_prefix\n\
         print -r -- \"[$PROMPT]\"\nCCS_PROFILE='x%F{{red}}'\n__ccs_prompt_prefix\nprint -r -- \"[$PROMPT]\"\n\
         unset CCS_PROFILE\n__ccs_prompt_prefix\nprint -r -- \"[$PROMPT]\"\n",
        hooked(ZSH, true)
    );
    let out = sandbox.shell(ZSH, &script);
    assert_eq!(
        clean_success(&out, ZSH.name),
        // Without compinit (no rc files here), completion waits for the first prompt.
        "user_precmd __ccs_install_completion_late __ccs_prompt_prefix\n[(work) %% ]\n[%% ]\n[%% ]\n"
    );
}

#[test]
fn fish_hook_wraps_the_users_prompt_once_and_keeps_status() {
    if !FISH.here() {
        return;
    }
    let sandbox = Sandbox::new();
    let script = format!(
        "function fish_prompt; printf 'user[%s]> ' $status; end\n{}set -gx CCS_PROFILE work\n\
         false; fish_prompt; echo\nset -e CCS_PROFILE\ntrue; fish_prompt; echo\n",
        hooked(FISH, true)
    );
    let out = sandbox.shell(FISH, &script);
    assert_eq!(
        clean_success(&out, FISH.name),
        "(work) user[1]> \nuser[0]> \n"
    );
}

#[test]
fn ccs_prompt_prints_the_profile_in_every_shell() {
    let sandbox = Sandbox::new();
    sandbox.create("work");
    for shell in shells::installed() {
        let script = format!(
            "{}ccs_prompt\nccs use work\nccs_prompt\n",
            hooked(shell, false)
        );
        let out = sandbox.shell(shell, &script);
        assert_eq!(clean_success(&out, shell.name), "work", "{}", shell.name);
    }
}

/// The hook files themselves pass each shell's own checker, and shellcheck where it knows the
/// shell (bash).
#[test]
fn hook_files_pass_their_shells_linters() {
    let mut checks: Vec<(&str, Vec<String>)> = Vec::new();
    for shell in shells::runnable() {
        let Some(check) = shell.syntax_check else {
            continue;
        };
        for file in shell.hook_paths() {
            checks.push((
                shell.program,
                vec![check.into(), file.display().to_string()],
            ));
        }
    }
    for shell in shells::runnable() {
        let Some(dialect) = shell.shellcheck else {
            continue;
        };
        let mut args = vec![format!("--shell={dialect}"), "--severity=style".into()];
        args.extend(shell.hook_paths().iter().map(|f| f.display().to_string()));
        checks.push(("shellcheck", args));
    }
    // fish's own formatter, as the README promises: the hook is as fish_indent writes it.
    let fish_hook = shells::FISH.hook_paths();
    checks.push((
        "fish_indent",
        std::iter::once("--check".to_owned())
            .chain(fish_hook.iter().map(|f| f.display().to_string()))
            .collect(),
    ));
    checks.retain(|(tool, _)| have(tool));
    for (tool, args) in checks {
        let out = std::process::Command::new(tool)
            .args(&args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{tool} {args:?}:\n{}{}",
            stdout(&out),
            stderr(&out)
        );
    }
}

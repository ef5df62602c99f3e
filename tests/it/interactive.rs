//! A person at a real terminal: interactive bash, zsh and fish run inside tmux, keys are typed
//! with `send-keys` and the screen is read back with `capture-pane`. These tests check what the
//! scripted tests in `shells.rs` cannot: the hook installed the way the README says, the prompt a
//! person actually sees after `ccs use` and `ccs off`, and the variables the next command gets.
//!
//! Every test has its own sandbox and its own tmux server (a socket inside the sandbox), ended
//! when the test ends, pass or panic, so the tests run in parallel and leave nothing behind.
//! Steps wait for the screen (polling, with a timeout that panics with the screen), never for a
//! fixed time: the whole file runs in about a second.

use std::fs;
use std::path::Path;

use ccs::Shell;

use crate::common::shells::{BASH, FISH, NU, TestShell, ZSH};
use crate::common::tmux::{Term, can_run};
use crate::common::{Sandbox, bash_preexec, path_with_bin};

/// The lines a person types to install the hook and look at the variables, in `shell`.
struct Lines {
    /// The install line, as the README gives it.
    hook: String,
    /// Prints `cfg=[<CLAUDE_CONFIG_DIR>]`, or `cfg=[unset]` if it is not set.
    show_config_dir: String,
    /// Prints `profile=[<CCS_PROFILE>]`, or `profile=[unset]` if it is not set.
    show_profile: String,
    /// Prints `status=<exit code of the previous command>`.
    show_status: String,
}

fn lines(shell: TestShell) -> Lines {
    Lines {
        hook: shell.source_hook("--prompt"),
        show_config_dir: shell.print_or("cfg=[%s]\\n", "CLAUDE_CONFIG_DIR", "unset"),
        show_profile: shell.print_or("profile=[%s]\\n", "CCS_PROFILE", "unset"),
        show_status: match shell.kind {
            Shell::Nu => format!("print $\"status={}\"", shell.status),
            _ => format!("echo \"status={}\"", shell.status),
        },
    }
}

/// nushell's hook installed as docs/shell.md says: two lines in config.nu, which save what `ccs
/// init nu` prints in the autoload directory nushell loads next (the banner off, to see the
/// prompt at once).
fn install_nu_hook(sandbox: &Sandbox, flags: &str) {
    let dir = sandbox.home.join(".config/nushell");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("config.nu"),
        format!(
            "$env.config.show_banner = false\n\
             mkdir ($nu.user-autoload-dirs | first)\n\
             ccs init nu {flags} | save -f ($nu.user-autoload-dirs | first | path join ccs.nu)\n"
        ),
    )
    .unwrap();
}

/// What a child process of the shell (Claude Code, say) sees: the same line in all three shells.
const SHOW_CHILD_ENV: &str =
    r#"sh -c 'echo "child=[${CLAUDE_CONFIG_DIR-unset}|${CCS_PROFILE-unset}]"'"#;

fn path_text(path: &Path) -> &str {
    path.to_str().expect("sandbox paths are UTF-8")
}

/// The whole day of a person with two accounts, in one shell: install the hook, switch to one
/// profile, to the other, mistype a name, switch off.
fn switch_profiles_at_the_prompt(shell: TestShell) {
    if !can_run(shell) {
        return;
    }
    let typed = lines(shell);
    let sandbox = Sandbox::new();
    let work = sandbox.create("work");
    let personal = sandbox.create("personal");
    let (work, personal) = (path_text(&work), path_text(&personal));
    let bare = shell.prompt;
    let prefixed = |profile: &str| shell.prefixed(profile);
    // nushell loads its hook at start, from config.nu; the others take it at the prompt.
    if shell.kind == Shell::Nu {
        install_nu_hook(&sandbox, "--prompt");
    }
    let mut term = Term::start(&sandbox, shell);

    // Installing the hook prints nothing and, with no profile active, leaves the prompt alone.
    if shell.kind != Shell::Nu {
        term.expect(&typed.hook, &[], bare);
    }
    term.expect(&typed.show_config_dir, &["cfg=[unset]"], bare);

    // `ccs use work` switches this very shell, silently, and the next prompt says so.
    term.expect("ccs use work", &[], &prefixed("work"));
    term.expect(
        &typed.show_config_dir,
        &[&format!("cfg=[{work}]")],
        &prefixed("work"),
    );
    term.expect(&typed.show_profile, &["profile=[work]"], &prefixed("work"));
    // Exported: the programs started from this shell see the profile too.
    term.expect(
        SHOW_CHILD_ENV,
        &[&format!("child=[{work}|work]")],
        &prefixed("work"),
    );
    term.expect("ccs current", &["work"], &prefixed("work"));

    // Switching again replaces the prefix rather than adding a second one.
    term.expect("ccs use personal", &[], &prefixed("personal"));
    term.expect(
        &typed.show_config_dir,
        &[&format!("cfg=[{personal}]")],
        &prefixed("personal"),
    );
    term.expect(
        &typed.show_profile,
        &["profile=[personal]"],
        &prefixed("personal"),
    );

    // A mistyped name: one line of error saying how to create it, a failure status, and the
    // shell still on the profile it was on.
    let step = term.run("ccs use nosuch");
    assert!(
        step.output.len() == 1
            && step.output[0].starts_with("ccs: ")
            && step.output[0].contains("ccs create nosuch"),
        "{}: `ccs use nosuch` should print one error line naming `ccs create nosuch`, got {:?}\n\
         screen:\n{}",
        shell.program,
        step.output,
        term.screen()
    );
    term.assert_prompt(&prefixed("personal"), "after a failed `ccs use`");
    let status = term.run(&typed.show_status);
    let code = status
        .output
        .first()
        .and_then(|l| l.strip_prefix("status="))
        .and_then(|c| c.parse::<i32>().ok());
    assert!(
        status.output.len() == 1 && code.is_some_and(|c| c != 0),
        "{}: `ccs use nosuch` should fail with a non-zero status, got {:?}\nscreen:\n{}",
        shell.program,
        status.output,
        term.screen()
    );
    term.expect(
        &typed.show_config_dir,
        &[&format!("cfg=[{personal}]")],
        &prefixed("personal"),
    );
    term.expect(
        &typed.show_profile,
        &["profile=[personal]"],
        &prefixed("personal"),
    );

    // `ccs off`: both variables gone, for the shell and its children, and the prefix with them.
    term.expect("ccs off", &[], bare);
    term.expect(&typed.show_config_dir, &["cfg=[unset]"], bare);
    term.expect(&typed.show_profile, &["profile=[unset]"], bare);
    term.expect(SHOW_CHILD_ENV, &["child=[unset|unset]"], bare);
    term.expect("ccs current", &[], bare);
    term.expect(&typed.show_status, &["status=1"], bare);
}

#[test]
fn bash_user_switches_profiles_at_the_prompt() {
    switch_profiles_at_the_prompt(BASH);
}

#[test]
fn zsh_user_switches_profiles_at_the_prompt() {
    switch_profiles_at_the_prompt(ZSH);
}

/// The prompt the test sets after start replaces the hook's wrapped one: the hook wraps it again
/// before the next prompt.
#[test]
fn nu_user_switches_profiles_at_the_prompt() {
    switch_profiles_at_the_prompt(NU);
}

/// Tab after `ccs use wo` completes the profile's name in nushell, through the hook's
/// completer.
#[test]
fn nu_user_completes_a_profile_name_with_tab() {
    if !can_run(NU) {
        return;
    }
    let sandbox = Sandbox::with_profiles(&["work", "personal"]);
    install_nu_hook(&sandbox, "--prompt");
    let mut term = Term::start(&sandbox, NU);
    term.type_text("ccs use wo");
    term.press(&["Tab"]);
    term.wait_for_screen("Tab to complete `work`", |screen| {
        screen
            .before_cursor()
            .ends_with("ccs use work")
            .then_some(())
    });
    term.press(&["Enter"]);
    term.next_prompt("ccs use work");
    term.assert_prompt(&NU.prefixed("work"), "after a completed `ccs use work`");
}

#[test]
fn fish_user_switches_profiles_at_the_prompt() {
    switch_profiles_at_the_prompt(FISH);
}

/// A bash user whose PROMPT_COMMAND rebuilds PS1 before every prompt, as prompt themes do, and
/// counts prompts so that we can see it still runs once the hook is in.
fn bash_prefix_survives_a_prompt_command(user_prompt_command: &str) {
    if !can_run(BASH) {
        return;
    }
    let bash = lines(BASH);
    let sandbox = Sandbox::new();
    sandbox.create("work");
    let mut term = Term::start(&sandbox, BASH);

    // The theme's own prompt, then a PROMPT_COMMAND that replaces it at every prompt.
    term.expect("PS1='old$ '", &[], "old$");
    term.expect(user_prompt_command, &[], "$");
    term.expect(&bash.hook, &[], "$");

    term.expect("ccs use work", &[], "(work) $");
    // The user's PROMPT_COMMAND still runs before each prompt, and the prefix is back each time
    // after it rebuilt PS1, once.
    let before = prompt_runs(&mut term);
    term.expect("true", &[], "(work) $");
    term.expect("false", &[], "(work) $");
    let after = prompt_runs(&mut term);
    assert_eq!(
        after,
        before + 3,
        "the user's PROMPT_COMMAND should have run once per prompt; screen:\n{}",
        term.screen()
    );
    // Neither PROMPT_COMMAND entry hides the exit status of the user's last command.
    term.expect("false", &[], "(work) $");
    term.expect(&bash.show_status, &["status=1"], "(work) $");

    term.expect("ccs off", &[], "$");
    term.expect("true", &[], "$");
    assert_eq!(
        prompt_runs(&mut term),
        after + 5,
        "the user's PROMPT_COMMAND stopped running; screen:\n{}",
        term.screen()
    );
}

/// How many prompts the user's PROMPT_COMMAND has counted.
fn prompt_runs(term: &mut Term) -> u32 {
    let step = term.run(r#"echo "runs=$pc_runs""#);
    step.output
        .first()
        .and_then(|l| l.strip_prefix("runs="))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "no prompt count in {:?}; screen:\n{}",
                step.output,
                term.screen()
            )
        })
}

#[test]
fn bash_prefix_survives_a_prompt_command_string_that_rebuilds_ps1() {
    bash_prefix_survives_a_prompt_command(r#"PROMPT_COMMAND='PS1="$ "; pc_runs=$((pc_runs+1))'"#);
}

#[test]
fn bash_prefix_survives_a_prompt_command_array_that_rebuilds_ps1() {
    if !can_run(BASH) {
        return;
    }
    // PROMPT_COMMAND as an array runs every element from bash 5.1 on.
    let out = BASH
        .command()
        .env_clear()
        .env("PATH", path_with_bin())
        .args(["-c", "echo $((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1]))"])
        .output();
    let version = out
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|v| v.trim().parse::<u32>().ok());
    if version.is_some_and(|v| v < 501) {
        eprintln!("NOTICE: skipping: PROMPT_COMMAND arrays need bash 5.1");
        return;
    }
    bash_prefix_survives_a_prompt_command(
        r#"PROMPT_COMMAND=('PS1="$ "' 'pc_runs=$((pc_runs+1))')"#,
    );
}

/// `ccs remove` is the one command that asks at the terminal. From a shell switched to the
/// profile it removes, the hook switches the shell off it, and says so.
#[test]
fn bash_user_answers_the_remove_question_at_the_terminal() {
    if !can_run(BASH) {
        return;
    }
    let bash = lines(BASH);
    let sandbox = Sandbox::new();
    let work = sandbox.create("work");
    let mut term = Term::start(&sandbox, BASH);
    term.expect(&bash.hook, &[], "$");
    term.expect("ccs use work", &[], "(work) $");
    let question = format!("Remove profile 'work' at {}?", path_text(&work));

    // "n" keeps the profile, and says so with a failure.
    let step = term.run_answering("ccs remove work", "[y/N]", "n");
    assert!(
        step.output.len() == 3
            && step.output[0] == question
            && step.output[1].ends_with("[y/N] n")
            && step.output[2] == "ccs: nothing removed"
            && step.prompt == "(work) $",
        "answering n: {:?} then {:?}\nscreen:\n{}",
        step.output,
        step.prompt,
        term.screen()
    );
    term.expect(&bash.show_status, &["status=1"], "(work) $");
    assert!(work.is_dir(), "answering n removed the profile");

    // "y" removes it, and switches this shell off it (the report still reaches the terminal).
    let step = term.run_answering("ccs remove work", "[y/N]", "y");
    assert!(
        step.output.len() == 4
            && step.output[0] == question
            && step.output[1].ends_with("[y/N] y")
            && step.output[2].starts_with("Removed profile 'work'")
            && step.output[3] == "Switched this shell off it: claude uses ~/.claude here"
            && step.prompt == "$",
        "answering y: {:?} then {:?}\nscreen:\n{}",
        step.output,
        step.prompt,
        term.screen()
    );
    assert!(!work.exists(), "answering y left the profile in place");
    term.expect(
        "echo ${CLAUDE_CONFIG_DIR-unset} ${CCS_PROFILE-unset}",
        &["unset unset"],
        "$",
    );
}

/// bash-preexec takes over PROMPT_COMMAND and the DEBUG trap, whether it is sourced before the
/// hook or after it. With it loaded, the hook's prompt prefix and auto-switch still run once per
/// prompt, `ccs use` and `ccs off` still switch the shell, `$?` survives, and bash-preexec's own
/// `precmd` and `preexec` functions still run once per prompt and once per command. `hook_first`
/// also sources the hook a second time after bash-preexec, which must not add it twice.
fn bash_hook_beside_bash_preexec(hook_first: bool) {
    if !can_run(BASH) {
        return;
    }
    let Some(preexec) = bash_preexec() else {
        return;
    };
    let bash = lines(BASH);
    let sandbox = Sandbox::new();
    let work = sandbox.create("work");
    sandbox.create("other");
    let project = sandbox.root.join("project");
    fs::create_dir(&project).unwrap();
    fs::write(project.join(".ccs-profile"), "other\n").unwrap();
    let mut term = Term::start(&sandbox, BASH);

    let source_preexec = format!("source '{}'", path_text(&preexec));
    let hook = r#"eval "$(ccs init bash --prompt --auto)""#;
    let order = if hook_first {
        vec![hook, &source_preexec, hook]
    } else {
        vec![&source_preexec, hook]
    };
    for line in order {
        term.expect(line, &[], "$");
    }
    // Each of the hook's functions is registered once, wherever it went.
    term.expect(
        r#"echo "${PROMPT_COMMAND[*]} ${precmd_functions[*]}" | grep -o '__ccs_[a-z_]*' | sort | uniq -c | tr -s ' '"#,
        &[" 1 __ccs_auto_switch", " 1 __ccs_prompt_prefix"],
        "$",
    );
    term.expect(
        "count_precmd() { pre=$((pre+1)); }; count_preexec() { exe=$((exe+1)); }",
        &[],
        "$",
    );
    term.expect(
        "precmd_functions+=(count_precmd); preexec_functions+=(count_preexec); pre=0 exe=0",
        &[],
        "$",
    );

    term.expect("ccs use work", &[], "(work) $");
    term.expect(
        &bash.show_config_dir,
        &[&format!("cfg=[{}]", path_text(&work))],
        "(work) $",
    );
    term.expect("false", &[], "(work) $");
    term.expect(&bash.show_status, &["status=1"], "(work) $");

    // Into the pinned tree and out: one note each way, the prefix follows.
    let note = format!(
        "ccs: other (pinned by {}/.ccs-profile)",
        path_text(&project)
    );
    term.expect(
        &format!("cd '{}'", path_text(&project)),
        &[&note],
        "(other) $",
    );
    term.expect(&bash.show_profile, &["profile=[other]"], "(other) $");
    term.expect(
        "cd ..",
        &["ccs: left the pinned tree; back to work"],
        "(work) $",
    );

    // bash-preexec's functions ran once per command and once per prompt since the counters were
    // reset: 8 commands (this one included) and 8 prompts (the one it was typed at included).
    term.expect(r#"echo "pre=$pre exe=$exe""#, &["pre=8 exe=8"], "(work) $");

    term.expect("ccs off", &[], "$");
    term.expect(&bash.show_config_dir, &["cfg=[unset]"], "$");
}

#[test]
fn bash_hook_sourced_after_bash_preexec() {
    bash_hook_beside_bash_preexec(false);
}

#[test]
fn bash_hook_sourced_before_bash_preexec_and_again_after_it() {
    bash_hook_beside_bash_preexec(true);
}

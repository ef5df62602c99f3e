//! A person at a real terminal: interactive bash, zsh and fish run inside tmux, keys are typed
//! with `send-keys` and the screen is read back with `capture-pane`. These tests check what the
//! scripted tests in `shells.rs` cannot: the hook installed the way the README says, the prompt a
//! person actually sees after `ccs use` and `ccs off`, and the variables the next command gets.
//!
//! Every test has its own sandbox and its own tmux server (a socket inside the sandbox), ended
//! when the test ends, pass or panic, so the tests run in parallel and leave nothing behind.
//! Steps wait for the screen (polling, with a timeout that panics with the screen), never for a
//! fixed time: the whole file runs in about a second.

mod common;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{Sandbox, have, path_with_bin};

/// How long the screen may take to show what a step waits for.
const TIMEOUT: Duration = Duration::from_secs(10);
/// How often the screen is read while waiting.
const POLL: Duration = Duration::from_millis(20);

/// One interactive shell, as the tests drive it.
#[derive(Clone, Copy)]
struct ShellKind {
    program: &'static str,
    /// Flags that keep the user's and the system's startup files out, and force interactive mode.
    flags: &'static [&'static str],
    /// Typed first: a short prompt that is the same on every machine.
    setup: &'static str,
    /// That prompt as the screen shows it, trailing space trimmed.
    prompt: &'static str,
    /// The install line, as the README gives it.
    hook: &'static str,
    /// Prints `cfg=[<CLAUDE_CONFIG_DIR>]`, or `cfg=[unset]` if it is not set.
    show_config_dir: &'static str,
    /// Prints `profile=[<CCS_PROFILE>]`, or `profile=[unset]` if it is not set.
    show_profile: &'static str,
    /// Prints `status=<exit code of the previous command>`.
    show_status: &'static str,
}

const BASH: ShellKind = ShellKind {
    program: "bash",
    flags: &["--norc", "--noprofile", "-i"],
    setup: "PS1='$ '",
    prompt: "$",
    hook: r#"eval "$(ccs init bash --prompt)""#,
    show_config_dir: r#"echo "cfg=[${CLAUDE_CONFIG_DIR-unset}]""#,
    show_profile: r#"echo "profile=[${CCS_PROFILE-unset}]""#,
    show_status: r#"echo "status=$?""#,
};

const ZSH: ShellKind = ShellKind {
    program: "zsh",
    flags: &["--no-rcs", "-i"],
    setup: "PROMPT='%% '",
    prompt: "%",
    hook: r#"eval "$(ccs init zsh --prompt)""#,
    show_config_dir: r#"echo "cfg=[${CLAUDE_CONFIG_DIR-unset}]""#,
    show_profile: r#"echo "profile=[${CCS_PROFILE-unset}]""#,
    show_status: r#"echo "status=$?""#,
};

const FISH: ShellKind = ShellKind {
    program: "fish",
    flags: &["--no-config", "-i"],
    setup: "function fish_prompt; printf '> '; end",
    prompt: ">",
    hook: "ccs init fish --prompt | source",
    show_config_dir: r#"set -q CLAUDE_CONFIG_DIR; and echo "cfg=[$CLAUDE_CONFIG_DIR]"; or echo 'cfg=[unset]'"#,
    show_profile: r#"set -q CCS_PROFILE; and echo "profile=[$CCS_PROFILE]"; or echo 'profile=[unset]'"#,
    show_status: r#"echo "status=$status""#,
};

/// What a child process of the shell (Claude Code, say) sees: the same line in all three shells.
const SHOW_CHILD_ENV: &str =
    r#"sh -c 'echo "child=[${CLAUDE_CONFIG_DIR-unset}|${CCS_PROFILE-unset}]"'"#;

/// An interactive shell in a tmux server of its own. Dropping it ends both.
struct Term<'a> {
    sandbox: &'a Sandbox,
    socket: PathBuf,
    kind: ShellKind,
    /// Where the prompt now waiting for input is: its line in the pane, history included (tmux
    /// keeps the lines that scroll off, so a line's index never changes), and its text.
    at: usize,
    prompt: String,
}

/// What one typed command did: the lines it printed and the prompt that came back.
struct Step {
    output: Vec<String>,
    prompt: String,
}

impl<'a> Term<'a> {
    /// Starts the shell in a clean environment, sets its prompt and waits until it is ready.
    fn start(sandbox: &'a Sandbox, kind: ShellKind) -> Self {
        let mut term = Term {
            sandbox,
            socket: sandbox.root.join("tmux.sock"),
            kind,
            at: 0,
            prompt: String::new(),
        };
        // `env -i` so that nothing of the tmux server's environment (TMUX, TMUX_PANE) or the
        // developer's reaches the shell: only the sandbox.
        let mut args: Vec<OsString> = [
            "new-session",
            "-d",
            "-s",
            "ccs",
            "-x",
            "200",
            "-y",
            "50",
            "--",
            "env",
            "-i",
        ]
        .map(OsString::from)
        .into();
        for (name, value) in [
            ("PATH", path_with_bin()),
            ("HOME", sandbox.home.clone().into()),
            ("CCS_HOME", sandbox.ccs_home.clone().into()),
            ("TERM", "screen".into()),
            ("LANG", "C.UTF-8".into()),
            ("LC_ALL", "C.UTF-8".into()),
        ] {
            let mut pair = OsString::from(format!("{name}="));
            pair.push(value);
            args.push(pair);
        }
        args.push(kind.program.into());
        args.extend(kind.flags.iter().map(OsString::from));
        let out = term.tmux(&args);
        assert!(
            out.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );

        // Type only once the shell shows something: keys typed before its line editor is up
        // would be echoed twice.
        term.wait_for("the shell to start", |lines| {
            lines.iter().any(|l| !l.is_empty()).then_some(())
        });
        term.type_line(kind.setup);
        // The command line shows the quotes; only the output is the bare word.
        term.type_line(r#"echo "rea""dy""#);
        let (at, prompt) = term.wait_for("the shell to be ready", |lines| {
            let ready = lines.iter().rposition(|l| l == "ready")?;
            let (at, prompt) = last_prompt(lines, kind.prompt)?;
            (at > ready).then_some((at, prompt))
        });
        term.at = at;
        term.prompt = prompt;
        term.assert_prompt(kind.prompt, "after setting the prompt");
        term
    }

    fn tmux<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Output {
        let mut cmd = Command::new("tmux");
        self.sandbox.env(&mut cmd);
        cmd.arg("-f")
            .arg("/dev/null")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("cannot run tmux")
    }

    /// Types `text` and presses Enter.
    fn type_line(&self, text: &str) {
        for keys in [
            &["send-keys", "-t", "ccs", "-l", "--", text][..],
            &["send-keys", "-t", "ccs", "Enter"],
        ] {
            let out = self.tmux(keys);
            assert!(
                out.status.success(),
                "tmux send-keys failed: {}\nscreen:\n{}",
                String::from_utf8_lossy(&out.stderr),
                self.screen()
            );
        }
    }

    /// The pane with its history, wrapped lines joined, trailing blanks trimmed from each line.
    fn lines(&self) -> Result<Vec<String>, String> {
        let out = self.tmux(&["capture-pane", "-p", "-J", "-S", "-", "-t", "ccs"]);
        if !out.status.success() {
            return Err(format!(
                "tmux capture-pane failed (did the shell exit?): {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.trim_end().to_owned())
            .collect())
    }

    /// The pane as text, history included, for failure messages.
    fn screen(&self) -> String {
        match self.lines() {
            Ok(lines) => {
                let end = lines
                    .iter()
                    .rposition(|l| !l.is_empty())
                    .map_or(0, |i| i + 1);
                lines[..end].join("\n")
            }
            Err(e) => e,
        }
    }

    /// Reads the screen until `found` returns something, or panics with the screen.
    fn wait_for<T>(&self, what: &str, mut found: impl FnMut(&[String]) -> Option<T>) -> T {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let lines = self.lines();
            if let Ok(lines) = &lines
                && let Some(value) = found(lines)
            {
                return value;
            }
            if Instant::now() >= deadline {
                panic!(
                    "{}: timed out after {TIMEOUT:?} waiting for {what}; the screen:\n{}",
                    self.kind.program,
                    lines.map_or_else(|e| e, |l| l.join("\n").trim_end().to_owned())
                );
            }
            std::thread::sleep(POLL);
        }
    }

    /// Types `command`, presses Enter and waits for the next prompt.
    fn run(&mut self, command: &str) -> Step {
        self.type_line(command);
        self.next_prompt(command)
    }

    /// Types `command`, waits for the question it asks at the terminal (a line ending in
    /// `question_end`), types `answer` and Enter, and waits for the next prompt.
    fn run_answering(&mut self, command: &str, question_end: &str, answer: &str) -> Step {
        let start = self.at;
        self.type_line(command);
        self.wait_for(&format!("`{command}` to ask a question"), |lines| {
            let asked = lines
                .iter()
                .skip(start + 1)
                .any(|l| l.ends_with(question_end));
            asked.then_some(())
        });
        self.type_line(answer);
        self.next_prompt(command)
    }

    /// Waits for the prompt that follows `command`, typed at the current prompt.
    fn next_prompt(&mut self, command: &str) -> Step {
        let start = self.at;
        let prompt_end = self.kind.prompt;
        let (typed, output, at, prompt) =
            self.wait_for(&format!("the prompt after `{command}`"), |lines| {
                let typed = lines.get(start)?;
                if !typed.ends_with(command) {
                    return None;
                }
                let (at, prompt) = last_prompt(lines, prompt_end)?;
                (at > start).then(|| (typed.clone(), lines[start + 1..at].to_vec(), at, prompt))
            });
        // The line the command was typed on: the prompt, a space, the command, nothing else.
        assert_eq!(
            typed,
            format!("{} {command}", self.prompt),
            "{}: the command line is not what was typed; screen:\n{}",
            self.kind.program,
            self.screen()
        );
        self.at = at;
        self.prompt = prompt.clone();
        Step { output, prompt }
    }

    /// Types `command` and insists on exactly these output lines and this prompt after them.
    fn expect(&mut self, command: &str, output: &[&str], prompt: &str) {
        let step = self.run(command);
        assert!(
            step.output == output && step.prompt == prompt,
            "{}: after `{command}`\nwanted output {output:?} then prompt {prompt:?}\n\
             got output    {:?} then prompt {:?}\nscreen:\n{}",
            self.kind.program,
            step.output,
            step.prompt,
            self.screen()
        );
    }

    fn assert_prompt(&self, want: &str, when: &str) {
        assert_eq!(
            self.prompt,
            want,
            "{}: wrong prompt {when}; screen:\n{}",
            self.kind.program,
            self.screen()
        );
    }
}

impl Drop for Term<'_> {
    /// Ends the shell and its server, also when the test panicked. The shell is asked to `exit`
    /// first, as a person would, and the server only goes once the shell is gone: a shell killed
    /// with the server would write its history file (bash does, on SIGHUP) into the sandbox while
    /// the sandbox is being deleted, leaving it behind.
    fn drop(&mut self) {
        // Ctrl-C first: a failed test may leave a command running or a line half typed.
        let _ = self.tmux(&["send-keys", "-t", "ccs", "C-c"]);
        let _ = self.tmux(&["send-keys", "-t", "ccs", "-l", "--", "exit"]);
        let _ = self.tmux(&["send-keys", "-t", "ccs", "Enter"]);
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if !self.tmux(&["has-session"]).status.success() {
                return;
            }
            std::thread::sleep(POLL);
        }
        // The shell did not exit (a command that ignores Ctrl-C, in a failed test): kill it.
        let _ = self.tmux(&["kill-server"]);
    }
}

/// The last non-blank line, if it is a prompt waiting for input: one ending in `prompt`.
fn last_prompt(lines: &[String], prompt: &str) -> Option<(usize, String)> {
    let at = lines.iter().rposition(|l| !l.is_empty())?;
    lines[at].ends_with(prompt).then(|| (at, lines[at].clone()))
}

fn prefixed(profile: &str, prompt: &str) -> String {
    format!("({profile}) {prompt}")
}

fn path_text(path: &Path) -> &str {
    path.to_str().expect("sandbox paths are UTF-8")
}

fn can_run(shell: &str) -> bool {
    have("tmux") && have(shell)
}

/// The whole day of a person with two accounts, in one shell: install the hook, switch to one
/// profile, to the other, mistype a name, switch off.
fn switch_profiles_at_the_prompt(kind: ShellKind) {
    if !can_run(kind.program) {
        return;
    }
    let sandbox = Sandbox::new();
    let work = sandbox.create("work");
    let personal = sandbox.create("personal");
    let (work, personal) = (path_text(&work), path_text(&personal));
    let bare = kind.prompt;
    let mut term = Term::start(&sandbox, kind);

    // Installing the hook prints nothing and, with no profile active, leaves the prompt alone.
    term.expect(kind.hook, &[], bare);
    term.expect(kind.show_config_dir, &["cfg=[unset]"], bare);

    // `ccs use work` switches this very shell, silently, and the next prompt says so.
    term.expect("ccs use work", &[], &prefixed("work", bare));
    term.expect(
        kind.show_config_dir,
        &[&format!("cfg=[{work}]")],
        &prefixed("work", bare),
    );
    term.expect(
        kind.show_profile,
        &["profile=[work]"],
        &prefixed("work", bare),
    );
    // Exported: the programs started from this shell see the profile too.
    term.expect(
        SHOW_CHILD_ENV,
        &[&format!("child=[{work}|work]")],
        &prefixed("work", bare),
    );
    term.expect("ccs current", &["work"], &prefixed("work", bare));

    // Switching again replaces the prefix rather than adding a second one.
    term.expect("ccs use personal", &[], &prefixed("personal", bare));
    term.expect(
        kind.show_config_dir,
        &[&format!("cfg=[{personal}]")],
        &prefixed("personal", bare),
    );
    term.expect(
        kind.show_profile,
        &["profile=[personal]"],
        &prefixed("personal", bare),
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
        kind.program,
        step.output,
        term.screen()
    );
    term.assert_prompt(&prefixed("personal", bare), "after a failed `ccs use`");
    let status = term.run(kind.show_status);
    let code = status
        .output
        .first()
        .and_then(|l| l.strip_prefix("status="))
        .and_then(|c| c.parse::<i32>().ok());
    assert!(
        status.output.len() == 1 && code.is_some_and(|c| c != 0),
        "{}: `ccs use nosuch` should fail with a non-zero status, got {:?}\nscreen:\n{}",
        kind.program,
        status.output,
        term.screen()
    );
    term.expect(
        kind.show_config_dir,
        &[&format!("cfg=[{personal}]")],
        &prefixed("personal", bare),
    );
    term.expect(
        kind.show_profile,
        &["profile=[personal]"],
        &prefixed("personal", bare),
    );

    // `ccs off`: both variables gone, for the shell and its children, and the prefix with them.
    term.expect("ccs off", &[], bare);
    term.expect(kind.show_config_dir, &["cfg=[unset]"], bare);
    term.expect(kind.show_profile, &["profile=[unset]"], bare);
    term.expect(SHOW_CHILD_ENV, &["child=[unset|unset]"], bare);
    term.expect("ccs current", &[], bare);
    term.expect(kind.show_status, &["status=1"], bare);
}

#[test]
fn bash_user_switches_profiles_at_the_prompt() {
    switch_profiles_at_the_prompt(BASH);
}

#[test]
fn zsh_user_switches_profiles_at_the_prompt() {
    switch_profiles_at_the_prompt(ZSH);
}

#[test]
fn fish_user_switches_profiles_at_the_prompt() {
    switch_profiles_at_the_prompt(FISH);
}

/// A bash user whose PROMPT_COMMAND rebuilds PS1 before every prompt, as prompt themes do, and
/// counts prompts so that we can see it still runs once the hook is in.
fn bash_prefix_survives_a_prompt_command(user_prompt_command: &str) {
    if !can_run("bash") {
        return;
    }
    let sandbox = Sandbox::new();
    sandbox.create("work");
    let mut term = Term::start(&sandbox, BASH);

    // The theme's own prompt, then a PROMPT_COMMAND that replaces it at every prompt.
    term.expect("PS1='old$ '", &[], "old$");
    term.expect(user_prompt_command, &[], "$");
    term.expect(BASH.hook, &[], "$");

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
    term.expect(BASH.show_status, &["status=1"], "(work) $");

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
    if !can_run("bash") {
        return;
    }
    // PROMPT_COMMAND as an array runs every element from bash 5.1 on.
    let out = Command::new("bash")
        .env_clear()
        .env("PATH", path_with_bin())
        .args([
            "--norc",
            "--noprofile",
            "-c",
            "echo $((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1]))",
        ])
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
/// profile it removes, it also says that the shell still points at it.
#[test]
fn bash_user_answers_the_remove_question_at_the_terminal() {
    if !can_run("bash") {
        return;
    }
    let sandbox = Sandbox::new();
    let work = sandbox.create("work");
    let mut term = Term::start(&sandbox, BASH);
    term.expect(BASH.hook, &[], "$");
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
    term.expect(BASH.show_status, &["status=1"], "(work) $");
    assert!(work.is_dir(), "answering n removed the profile");

    // "y" removes it, and warns that this shell is still switched to it.
    let step = term.run_answering("ccs remove work", "[y/N]", "y");
    assert!(
        step.output.len() == 4
            && step.output[0] == question
            && step.output[1].ends_with("[y/N] y")
            && step.output[2].starts_with("ccs: removed profile 'work'")
            && step.output[3].contains("ccs off")
            && step.prompt == "(work) $",
        "answering y: {:?} then {:?}\nscreen:\n{}",
        step.output,
        step.prompt,
        term.screen()
    );
    assert!(!work.exists(), "answering y left the profile in place");
    let step = term.run("ccs current");
    assert!(
        step.output.len() == 2
            && step.output[0].contains("no longer exists")
            && step.output[1] == "work",
        "`ccs current` on a removed profile: {:?}\nscreen:\n{}",
        step.output,
        term.screen()
    );
    term.expect("ccs off", &[], "$");
}

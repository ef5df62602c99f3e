//! A person at a real terminal: an interactive shell run inside tmux, keys typed with
//! `send-keys`, the screen read back with `capture-pane`.
//!
//! Every `Term` has its own tmux server (a socket inside the test's sandbox), ended when the
//! `Term` is dropped, pass or panic, so tests run in parallel and leave nothing behind. Steps wait
//! for the screen (polling, with a timeout that panics with the screen), never for a fixed time.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::{Sandbox, have, path_with_bin};

/// How long the screen may take to show what a step waits for.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(10);
/// How often the screen is read while waiting.
pub(crate) const POLL: Duration = Duration::from_millis(20);

/// The shells as `Term::start` takes them: the rows of `shells.rs` (`tty_flags`, `setup()`,
/// `prompt`), under the names the tmux tests have long used.
pub(crate) use super::shells::{BASH, FISH, TestShell as Shell, ZSH};

/// Whether tmux and `shell` (a row of `shells.rs`, or its name) are both here (see `have`: a
/// skip locally, a failure in CI).
pub(crate) fn can_run(shell: impl Into<Shell>) -> bool {
    have("tmux") && shell.into().here()
}

/// An interactive shell in a tmux server of its own. Dropping it ends both.
pub(crate) struct Term<'a> {
    sandbox: &'a Sandbox,
    socket: PathBuf,
    kind: Shell,
    /// Where the prompt now waiting for input is: its line in the pane, history included (tmux
    /// keeps the lines that scroll off, so a line's index never changes), and its text.
    at: usize,
    prompt: String,
}

/// What one typed command did: the lines it printed and the prompt that came back.
pub(crate) struct Step {
    pub(crate) output: Vec<String>,
    pub(crate) prompt: String,
}

/// The pane, history included, and where the cursor is in it.
#[derive(Clone)]
pub(crate) struct Screen {
    /// Every line, trailing blanks trimmed; the visible ones last.
    pub(crate) lines: Vec<String>,
    /// The cursor's line, as an index into `lines`.
    pub(crate) row: usize,
    /// The cursor's column.
    pub(crate) col: usize,
}

impl Screen {
    /// The text left of the cursor on its line (a space typed last is kept).
    pub(crate) fn before_cursor(&self) -> String {
        let line = self.lines.get(self.row).map_or("", String::as_str);
        let mut text: String = line.chars().take(self.col).collect();
        while text.chars().count() < self.col {
            text.push(' ');
        }
        text
    }

    /// The text right of the cursor on its line, trailing blanks trimmed: empty unless the shell
    /// shows something there (a suggestion, the rest of the line).
    pub(crate) fn after_cursor(&self) -> String {
        let line = self.lines.get(self.row).map_or("", String::as_str);
        line.chars()
            .skip(self.col)
            .collect::<String>()
            .trim_end()
            .to_owned()
    }

    /// The screen as text, for failure messages: the last lines, the cursor marked with `█`.
    pub(crate) fn show(&self) -> String {
        let end = self
            .lines
            .iter()
            .rposition(|l| !l.is_empty())
            .map_or(0, |i| i + 1)
            .max(self.row + 1);
        let start = end.saturating_sub(40);
        (start..end)
            .map(|i| {
                if i == self.row {
                    format!("{}█{}", self.before_cursor(), self.after_cursor())
                } else {
                    self.lines.get(i).cloned().unwrap_or_default()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl<'a> Term<'a> {
    /// Starts the shell in a clean environment, sets its prompt and waits until it is ready.
    pub(crate) fn start(sandbox: &'a Sandbox, kind: Shell) -> Self {
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
        args.extend(kind.tty_flags.iter().map(OsString::from));
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
        term.type_line(&kind.setup());
        // The command line shows more; only the output is the bare word (a variable that is
        // not set, printed with its default, in each shell's own words).
        term.type_line(&kind.print_or("%s\\n", "__ccs_test_unset", "ready"));
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

    /// The shell's program name, for messages.
    pub(crate) fn program(&self) -> &'static str {
        self.kind.program
    }

    /// The prompt now waiting for input, as the screen shows it (trailing space trimmed).
    pub(crate) fn prompt(&self) -> &str {
        &self.prompt
    }

    pub(crate) fn tmux<S: AsRef<OsStr>>(&self, args: &[S]) -> Output {
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

    fn send(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "ccs"];
        args.extend_from_slice(keys);
        let out = self.tmux(&args);
        assert!(
            out.status.success(),
            "tmux send-keys failed: {}\nscreen:\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.screen()
        );
    }

    /// Types `text` literally, without pressing Enter.
    pub(crate) fn type_text(&self, text: &str) {
        self.send(&["-l", "--", text]);
    }

    /// Presses keys by tmux's names for them: "Tab", "Enter", "C-u".
    pub(crate) fn press(&self, keys: &[&str]) {
        self.send(keys);
    }

    /// Types `text` and presses Enter.
    pub(crate) fn type_line(&self, text: &str) {
        self.type_text(text);
        self.press(&["Enter"]);
    }

    /// The pane with its history, wrapped lines joined, trailing blanks trimmed from each line.
    pub(crate) fn lines(&self) -> Result<Vec<String>, String> {
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

    /// The pane with its history and the cursor, read in one tmux call so that they agree. Lines
    /// are not joined here, so that the cursor's row indexes them (the pane is wide enough that
    /// the tests' lines never wrap).
    pub(crate) fn snapshot(&self) -> Result<Screen, String> {
        let out = self.tmux(&[
            "capture-pane",
            "-p",
            "-S",
            "-",
            "-t",
            "ccs",
            ";",
            "display-message",
            "-p",
            "-t",
            "ccs",
            "#{history_size} #{cursor_x} #{cursor_y}",
        ]);
        if !out.status.success() {
            return Err(format!(
                "tmux capture-pane failed (did the shell exit?): {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let mut lines: Vec<String> = text.lines().map(|l| l.trim_end().to_owned()).collect();
        let cursor = lines.pop().unwrap_or_default();
        let numbers: Vec<usize> = cursor
            .split(' ')
            .map(|n| n.parse())
            .collect::<Result<_, _>>()
            .map_err(|_| format!("tmux gave no cursor position: {cursor:?}"))?;
        let [history, col, row] = numbers[..] else {
            return Err(format!("tmux gave no cursor position: {cursor:?}"));
        };
        Ok(Screen {
            lines,
            row: history + row,
            col,
        })
    }

    /// The pane as text, history included, for failure messages.
    pub(crate) fn screen(&self) -> String {
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
    pub(crate) fn wait_for<T>(
        &self,
        what: &str,
        mut found: impl FnMut(&[String]) -> Option<T>,
    ) -> T {
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

    /// Reads the screen and cursor until `found` returns something, or panics with the screen.
    pub(crate) fn wait_for_screen<T>(
        &self,
        what: &str,
        mut found: impl FnMut(&Screen) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let screen = self.snapshot();
            if let Ok(screen) = &screen
                && let Some(value) = found(screen)
            {
                return value;
            }
            if Instant::now() >= deadline {
                panic!(
                    "{}: timed out after {TIMEOUT:?} waiting for {what}; the screen (█ is the \
                     cursor):\n{}",
                    self.kind.program,
                    screen.map_or_else(|e| e, |s| s.show())
                );
            }
            std::thread::sleep(POLL);
        }
    }

    /// Types `command`, presses Enter and waits for the next prompt.
    pub(crate) fn run(&mut self, command: &str) -> Step {
        self.type_line(command);
        self.next_prompt(command)
    }

    /// Types `command`, waits for the question it asks at the terminal (a line ending in
    /// `question_end`), types `answer` and Enter, and waits for the next prompt.
    pub(crate) fn run_answering(
        &mut self,
        command: &str,
        question_end: &str,
        answer: &str,
    ) -> Step {
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
    pub(crate) fn next_prompt(&mut self, command: &str) -> Step {
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
    pub(crate) fn expect(&mut self, command: &str, output: &[&str], prompt: &str) {
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

    pub(crate) fn assert_prompt(&self, want: &str, when: &str) {
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

/// The command line as the screen shows it while `text` is being edited: prompt, space, text.
pub(crate) fn edit_line(term: &Term, text: &str) -> String {
    format!("{} {text}", term.prompt())
}

/// Waits until the command line reads `text` with the cursor right after it and nothing shown
/// beyond the cursor (a fish autosuggestion would be).
pub(crate) fn wait_line(term: &Term, text: &str, what: &str) -> Screen {
    let want = edit_line(term, text);
    term.wait_for_screen(what, |screen| {
        (screen.before_cursor() == want && screen.after_cursor().is_empty()).then(|| screen.clone())
    })
}

/// The non-blank lines below `row` other than the cursor's: what the shell printed while the
/// line was being edited (a candidate list, or an error that should not be there).
pub(crate) fn printed_below(screen: &Screen, row: usize) -> Vec<String> {
    screen
        .lines
        .iter()
        .enumerate()
        .skip(row + 1)
        .filter(|(i, line)| *i != screen.row && !line.is_empty())
        .map(|(_, line)| line.clone())
        .collect()
}

/// The last non-blank line, if it is a prompt waiting for input: one ending in `prompt`.
pub(crate) fn last_prompt(lines: &[String], prompt: &str) -> Option<(usize, String)> {
    let at = lines.iter().rposition(|l| !l.is_empty())?;
    lines[at].ends_with(prompt).then(|| (at, lines[at].clone()))
}

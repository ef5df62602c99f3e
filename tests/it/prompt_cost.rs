//! What the hook costs at every prompt and every `cd`: no process, counted exactly, in bash, zsh
//! and fish. (The time it takes is bench/run's business; this test times nothing.)
//!
//! Each shell reads a script: a fixed prompt, the hook with everything that runs per prompt or
//! per directory change (`ccs init SHELL --prompt --auto`), `ccs use work`, then K steps, then
//! `exit`. strace -f records every fork, vfork, clone and execve of the shell and its
//! descendants. The counts with K = STEPS minus the counts with K = 0 are what the steps cost:
//! start-up, installing the hook and `ccs use` are the same in both runs and cancel out. Threads
//! (clone with CLONE_THREAD: fish keeps a pool) are not processes and are not counted.
//!
//! The counting is shown to work in the same tests: with a `/bin/true` added to the list the
//! shell runs before each prompt, the difference must be exactly one process and one exec per
//! prompt; and entering a pinned tree costs exactly the one `ccs use` the hook runs for it. The
//! prompt as drawn, `(work) P> `, must appear at least STEPS more times, so the prompts really
//! were drawn, with the hook's prefix.
//!
//! bash and zsh read the script from a pipe with -i; fish and nushell draw their prompts only on
//! a terminal, so they run under script(1), which gives them a pseudo-terminal. nushell reads
//! each line as it comes, so its hook is installed in two (`source_hook`).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common::shells::{BASH, FISH, NU, TestShell, ZSH};
use crate::common::{Sandbox, bash_preexec, have};

/// Steps in the counted run; the baseline run has none.
const STEPS: usize = 20;

/// The prompt the scripts set, as prompt code.
const PROMPT: &str = "P> ";

/// The prompt the scripts set, as drawn with the hook's prefix for profile `work`, and for
/// `other`, the profile the cd tests pin.
const SHOWN: [&str; 2] = ["(work) P> ", "(other) P> "];

/// Killed after this long, so a shell waiting for input fails the test instead of hanging it.
const TIMEOUT_SECS: &str = "60";

/// A fixed prompt, the hook as the README installs it with both opt-ins, then `ccs use work`.
fn setup(shell: TestShell) -> String {
    format!(
        "{}\n{}\nccs use work\n",
        (shell.set_prompt)(PROMPT),
        shell.source_hook("--prompt --auto")
    )
}

/// Adds a `/bin/true` to what the shell runs before each prompt: one process per prompt.
fn one_process_per_prompt(shell: TestShell) -> String {
    (shell.run_before_prompt)("/bin/true")
}

/// What one traced run started, and how often it drew the prompt with the prefix.
#[derive(Debug)]
struct Run {
    processes: i64,
    execs: i64,
    /// The programs run, in order, for the message when a count is off.
    programs: Vec<String>,
    prompts_shown: i64,
    output: String,
}

/// The processes made and programs run, over the baseline.
#[derive(Debug, PartialEq)]
struct Cost {
    processes: i64,
    execs: i64,
}

impl Cost {
    fn each(n: i64) -> Self {
        Self {
            processes: n,
            execs: n,
        }
    }
}

struct Counter<'a> {
    sandbox: &'a Sandbox,
    shell: TestShell,
    /// Where the shell starts.
    cwd: PathBuf,
    runs: usize,
}

impl Counter<'_> {
    /// Runs the setup, `extra`, then `step` K times, with K = 0 and with K = STEPS, and asserts
    /// the difference is `want`, after checking the prompts were drawn with the hook's prefix.
    fn expect(&mut self, extra: &str, step: &str, want: Cost, what: &str) {
        let program = self.shell.program;
        let setup = setup(self.shell);
        let base = self.run(&format!("{setup}{extra}"));
        let many = self.run(&format!("{setup}{extra}{}", step.repeat(STEPS)));
        let details = format!(
            "baseline: {} forks, {} execs: {:?}\ncounted: {} forks, {} execs: {:?}\n\
             baseline run {}\ncounted run {}",
            base.processes,
            base.execs,
            base.programs,
            many.processes,
            many.execs,
            many.programs,
            base.output,
            many.output
        );
        assert!(
            many.prompts_shown - base.prompts_shown >= STEPS as i64,
            "{program}: {STEPS} more prompts showing one of {SHOWN:?} expected, got {} then {}\n\
             {details}",
            base.prompts_shown,
            many.prompts_shown,
        );
        let got = Cost {
            processes: many.processes - base.processes,
            execs: many.execs - base.execs,
        };
        assert_eq!(
            got, want,
            "{program}: {what} ({step:?} x{STEPS})\n{details}"
        );
    }

    fn run(&mut self, script: &str) -> Run {
        self.runs += 1;
        let trace = self
            .sandbox
            .root
            .join(format!("trace-{}-{}", self.shell.program, self.runs));
        let mut traced: Vec<String> = [
            "strace",
            "-qq",
            "-f",
            "-e",
            "signal=none",
            "-e",
            "trace=fork,vfork,clone,clone3,execve",
            "-o",
            trace.to_str().unwrap(),
            self.shell.program,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        traced.extend(self.shell.tty_flags.iter().map(|s| s.to_string()));
        if self.shell.kind == ccs::Shell::Nu {
            return self.run_in_tmux(&traced, script, &trace);
        }

        // timeout(1) goes outside script(1): it leaves its own process group, and a shell on a
        // terminal must be in the terminal's foreground group (script makes it a session).
        let mut cmd = Command::new("timeout");
        cmd.args(["-k", "5", TIMEOUT_SECS]);
        if self.shell.prompts_need_a_terminal {
            let line: Vec<String> = traced.iter().map(|a| sh_quote(a)).collect();
            cmd.args(["script", "-qec", &line.join(" "), "/dev/null"]);
        } else {
            cmd.args(&traced);
        }
        self.sandbox.env(&mut cmd);
        // script(1) runs its command with $SHELL -c.
        cmd.env("SHELL", "/bin/sh")
            .current_dir(&self.cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        // A few kilobytes at most: the pipe takes them at once, so no feeder thread is needed.
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(script.as_bytes()).unwrap();
        stdin.write_all(b"exit\n").unwrap();
        drop(stdin);
        let out = child.wait_with_output().unwrap();
        let output = format!(
            "status {:?}\nstdout:\n{}\nstderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success(),
            "{} run failed: {output}",
            self.shell.program
        );
        let (processes, programs) = count_calls(&trace);
        Run {
            processes,
            execs: programs.len() as i64,
            programs,
            prompts_shown: SHOWN.iter().map(|p| output.matches(p).count() as i64).sum(),
            output,
        }
    }
}

impl Counter<'_> {
    /// nushell's line editor asks the terminal where the cursor is before each prompt and waits
    /// for the answer, which script(1) never gives: it runs in tmux instead, whose terminal
    /// answers, the script typed in as keys. Only the traced program's own calls are counted;
    /// tmux is outside the trace.
    fn run_in_tmux(&mut self, traced: &[String], script: &str, trace: &Path) -> Run {
        use std::time::{Duration, Instant};
        let socket = self.sandbox.root.join(format!("cost-{}.sock", self.runs));
        let tmux = |args: &[&str]| {
            let mut cmd = Command::new("tmux");
            self.sandbox.env(&mut cmd);
            cmd.arg("-f")
                .arg("/dev/null")
                .arg("-S")
                .arg(&socket)
                .args(args)
                .stdin(Stdio::null())
                .current_dir(&self.cwd)
                .output()
                .unwrap()
        };
        let mut command = vec!["env".to_owned(), "-i".to_owned()];
        for (name, value) in [
            ("PATH", crate::common::path_with_bin()),
            ("HOME", self.sandbox.home.clone().into()),
            ("CCS_HOME", self.sandbox.ccs_home.clone().into()),
            ("TERM", "screen".into()),
            ("LANG", "C.UTF-8".into()),
        ] {
            command.push(format!("{name}={}", value.to_str().unwrap()));
        }
        command.extend(traced.iter().cloned());
        let mut args = vec![
            "new-session",
            "-d",
            "-s",
            "cost",
            "-x",
            "200",
            "-y",
            "50",
            "-c",
        ];
        let cwd = self.cwd.to_str().unwrap().to_owned();
        args.push(&cwd);
        args.push("--");
        args.extend(command.iter().map(String::as_str));
        let out = tmux(&args);
        assert!(
            out.status.success(),
            "tmux: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        tmux(&["set-option", "-t", "cost", "remain-on-exit", "on"]);
        let deadline = Instant::now() + Duration::from_secs(TIMEOUT_SECS.parse().unwrap());
        // Each line is typed at a prompt, as a person would: keys typed while nushell starts or
        // runs a command may be lost. A prompt is an empty line ending in `>` under the cursor,
        // on a later line of the pane than the one before.
        let where_ = || {
            let out = tmux(&[
                "display-message",
                "-p",
                "-t",
                "cost",
                "#{e|+:#{history_size},#{cursor_y}} #{cursor_x}",
            ]);
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let mut numbers = text.split_whitespace().map(|n| n.parse().unwrap_or(0));
            let row: i64 = numbers.next().unwrap_or(0);
            let column = numbers.next().unwrap_or(0) as usize;
            let screen = tmux(&["capture-pane", "-p", "-t", "cost", "-S", "-", "-E", "-"]);
            let screen = String::from_utf8_lossy(&screen.stdout).into_owned();
            // Up to the cursor: the right prompt (a clock) may follow.
            let line: String = screen
                .lines()
                .nth(row as usize)
                .unwrap_or("")
                .chars()
                .take(column)
                .collect();
            (row, line, screen)
        };
        let mut last = -1;
        for line in script.lines().chain(["exit"]) {
            loop {
                let (row, text, screen) = where_();
                if row > last && text.trim_end().ends_with('>') {
                    last = row;
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "{}: no prompt for {line:?}; screen:\n{screen}",
                    self.shell.program
                );
                std::thread::sleep(Duration::from_millis(20));
            }
            tmux(&["send-keys", "-t", "cost", "-l", line]);
            tmux(&["send-keys", "-t", "cost", "Enter"]);
        }
        let screen = loop {
            let dead = tmux(&["display-message", "-p", "-t", "cost", "#{pane_dead}"]);
            let screen = tmux(&["capture-pane", "-p", "-t", "cost", "-S", "-", "-E", "-"]);
            let screen = String::from_utf8_lossy(&screen.stdout).into_owned();
            if String::from_utf8_lossy(&dead.stdout).trim() == "1" {
                break screen;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not exit; screen:\n{screen}",
                self.shell.program
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        tmux(&["kill-server"]);
        let (processes, programs) = count_calls(trace);
        Run {
            processes,
            execs: programs.len() as i64,
            programs,
            prompts_shown: SHOWN
                .iter()
                .map(|p| screen.matches(p.trim_end()).count() as i64)
                .sum(),
            output: screen,
        }
    }
}

/// Processes made (fork, vfork, clone or clone3 without CLONE_THREAD, returning a pid) and
/// programs run (execve returning 0) in an `strace -f -o` trace, whose lines are `PID call...`.
/// A call another process interrupted is split into `<unfinished ...>` and `<... resumed>` lines
/// and is put back together first.
fn count_calls(trace: &Path) -> (i64, Vec<String>) {
    let text = std::fs::read_to_string(trace).unwrap();
    let mut pending = HashMap::new();
    let mut processes = 0;
    let mut programs = Vec::new();
    for line in text.lines() {
        let Some((pid, rest)) = line.split_once(' ') else {
            continue;
        };
        let rest = rest.trim_start();
        let call = if ["fork(", "vfork(", "clone(", "clone3(", "execve("]
            .iter()
            .any(|c| rest.starts_with(c))
        {
            if rest.contains("<unfinished ...>") {
                pending.insert(pid.to_owned(), rest.to_owned());
                continue;
            }
            rest.to_owned()
        } else if rest.starts_with("<...") && rest.contains("resumed>") {
            match pending.remove(pid) {
                Some(start) => start + rest,
                None => continue,
            }
        } else {
            continue;
        };
        let result = call
            .rsplit_once('=')
            .and_then(|(_, r)| r.split_whitespace().next())
            .unwrap_or("");
        if let Some(args) = call.strip_prefix("execve(") {
            if result == "0" {
                programs.push(
                    args.split(',')
                        .next()
                        .unwrap_or("")
                        .trim_matches('"')
                        .to_owned(),
                );
            }
        } else if !call.contains("CLONE_THREAD") && result.parse::<u32>().is_ok_and(|p| p > 0) {
            processes += 1;
        }
    }
    (processes, programs)
}

fn sh_quote(arg: &str) -> String {
    format!("'{}'", arg.replace('\'', r"'\''"))
}

/// A sandbox with profiles `work` and `other`, or None (with a notice) if a tool is missing.
fn sandbox_for(shell: TestShell) -> Option<Sandbox> {
    if !have("strace") || !have("timeout") || !shell.here() {
        return None;
    }
    if shell.kind == ccs::Shell::Nu && !have("tmux") {
        return None;
    }
    if shell.prompts_need_a_terminal && !have("script") {
        return None;
    }
    let sandbox = Sandbox::new();
    sandbox.create("work");
    sandbox.create("other");
    Some(sandbox)
}

fn prompts_start_no_process(shell: TestShell) {
    let Some(sandbox) = sandbox_for(shell) else {
        return;
    };
    let mut counter = Counter {
        sandbox: &sandbox,
        shell,
        cwd: sandbox.root.clone(),
        runs: 0,
    };
    counter.expect(
        "",
        shell.no_op,
        Cost::each(0),
        "the hook started processes at prompts",
    );
    // The same count sees one /bin/true per prompt, exactly.
    counter.expect(
        &one_process_per_prompt(shell),
        shell.no_op,
        Cost::each(STEPS as i64),
        "a /bin/true per prompt must count as one fork and one exec per prompt",
    );
}

fn cds_start_no_process_unless_the_pin_changes(shell: TestShell) {
    let Some(sandbox) = sandbox_for(shell) else {
        return;
    };
    let (a, b, pinned) = (
        sandbox.root.join("a"),
        sandbox.root.join("b"),
        sandbox.root.join("pinned"),
    );
    let inside = pinned.join("sub");
    for dir in [&a, &b, &inside] {
        std::fs::create_dir_all(dir).unwrap();
    }
    // What `ccs pin other` writes.
    std::fs::write(pinned.join(".ccs-profile"), "other\n").unwrap();
    let cd = |dir: &Path| format!("cd {}\n", sh_quote(dir.to_str().unwrap()));
    let mut counter = Counter {
        sandbox: &sandbox,
        shell,
        cwd: a.clone(),
        runs: 0,
    };

    // Between unpinned directories, and within one pinned tree: the hook looks for a pin with
    // builtins only.
    counter.expect(
        "",
        &(cd(&b) + &cd(&a)),
        Cost::each(0),
        "cd between unpinned directories started processes",
    );
    counter.expect(
        &cd(&pinned),
        &(cd(&inside) + &cd(&pinned)),
        Cost::each(0),
        "cd within a pinned tree started processes",
    );
    // Entering the pinned tree runs one `ccs use other`, as designed; leaving it restores the
    // previous profile with builtins. (Lower this if the hook learns to switch without ccs.)
    counter.expect(
        "",
        &(cd(&pinned) + &cd(&a)),
        Cost::each(STEPS as i64),
        "entering a pinned tree should cost exactly one `ccs use`, leaving it nothing",
    );
}

#[test]
fn bash_prompts_start_no_process() {
    prompts_start_no_process(BASH);
}

/// With bash-preexec loaded the hook runs from its precmd_functions: still no process.
#[test]
fn bash_prompts_start_no_process_beside_bash_preexec() {
    let Some(sandbox) = sandbox_for(BASH) else {
        return;
    };
    let Some(preexec) = bash_preexec() else {
        return;
    };
    let mut counter = Counter {
        sandbox: &sandbox,
        shell: BASH,
        cwd: sandbox.root.clone(),
        runs: 0,
    };
    let source = format!("source {}\n", sh_quote(preexec.to_str().unwrap()));
    counter.expect(
        &source,
        BASH.no_op,
        Cost::each(0),
        "the hook started processes at prompts beside bash-preexec",
    );
    // The count still sees a process that bash-preexec runs before each prompt.
    counter.expect(
        &format!(
            "{source}__ccs_test_true() {{ /bin/true; }}\nprecmd_functions+=(__ccs_test_true)\n"
        ),
        BASH.no_op,
        Cost::each(STEPS as i64),
        "a /bin/true in precmd_functions must count as one fork and one exec per prompt",
    );
}

#[test]
fn zsh_prompts_start_no_process() {
    prompts_start_no_process(ZSH);
}

#[test]
fn fish_prompts_start_no_process() {
    prompts_start_no_process(FISH);
}

#[test]
fn nu_prompts_start_no_process() {
    prompts_start_no_process(NU);
}

#[test]
fn bash_cds_start_no_process_unless_the_pin_changes() {
    cds_start_no_process_unless_the_pin_changes(BASH);
}

#[test]
fn zsh_cds_start_no_process_unless_the_pin_changes() {
    cds_start_no_process_unless_the_pin_changes(ZSH);
}

#[test]
fn fish_cds_start_no_process_unless_the_pin_changes() {
    cds_start_no_process_unless_the_pin_changes(FISH);
}

#[test]
fn nu_cds_start_no_process_unless_the_pin_changes() {
    cds_start_no_process_unless_the_pin_changes(NU);
}

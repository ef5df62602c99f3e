//! Other programs: running one bounded in time, and finding one the way the system's own shells
//! do (`lookup`). Every child whose answer ccs waits for runs through [`run_bounded`], so none
//! can hang it; only `ccs exec` hands over to its command for as long as that runs, as it should.

pub(crate) mod lookup;

use std::io::{Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

/// What a program that ran to its end left: its exit code (None if a signal ended it) and
/// everything it wrote.
pub(crate) struct Output {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: Vec<u8>,
    pub(crate) stderr: Vec<u8>,
}

/// Runs `command` with `input` on its stdin and its stdout and stderr captured, for at most
/// `timeout`: then it is killed and the run is an error. Pipes are served by threads, so
/// neither a program that never reads its stdin, nor one that writes more than a pipe holds
/// before it reads, nor one that leaves a child holding its stdout open can hold ccs past the
/// deadline. Every error names the command (`sh -c 'x': timed out after 5 s; stopped it`), so
/// its arguments must hold nothing secret.
pub(crate) fn run_bounded(command: Command, input: Vec<u8>, timeout: Duration) -> Result<Output> {
    let shown = describe(&command);
    run_described(command, input, timeout).with_context(|| shown)
}

fn run_described(mut command: Command, input: Vec<u8>, timeout: Duration) -> Result<Output> {
    let deadline = Instant::now() + timeout;
    lead_own_group(&mut command);
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot start")?;
    if let Some(mut stdin) = child.stdin.take() {
        // Dropped at the end of the thread: the program sees the end of its input. One that
        // exits without reading it all only ends the write.
        thread::spawn(move || stdin.write_all(&input));
    }
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let Some(status) = wait_until(&mut child, deadline)? else {
        bail!("timed out after {}; stopped it", seconds(timeout));
    };
    let gathered = |pipe: Receiver<Vec<u8>>| match pipe
        .recv_timeout(deadline.saturating_duration_since(Instant::now()))
    {
        Ok(bytes) => Ok(bytes),
        Err(RecvTimeoutError::Disconnected) => Ok(Vec::new()),
        Err(RecvTimeoutError::Timeout) => {
            stop_group(&child);
            Err(anyhow!(
                "exited, but something it started kept its output open past {}; stopped its process group",
                seconds(timeout)
            ))
        }
    };
    Ok(Output {
        code: status.code(),
        stdout: gathered(stdout)?,
        stderr: gathered(stderr)?,
    })
}

/// Makes the child the leader of a process group of its own, so that what it starts (a status
/// line's `sh -c` starts the real command) can be stopped with it. Its input and output are
/// pipes, never the terminal, so leaving the terminal's foreground group costs nothing.
#[cfg(unix)]
fn lead_own_group(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    command.process_group(0);
}

#[cfg(not(unix))]
fn lead_own_group(_: &mut Command) {}

/// Kills the child's process group: the child, and every process it started that did not leave
/// the group (one that did, with `setsid`, runs on: the messages say "its process group"). Called before the child is reaped, or while something it started still holds its
/// output, so the group's id cannot yet belong to anyone else.
#[cfg(unix)]
fn stop_group(child: &Child) {
    use rustix::process::{Pid, Signal, kill_process_group};
    if let Some(group) = i32::try_from(child.id()).ok().and_then(Pid::from_raw) {
        let _ = kill_process_group(group, Signal::KILL);
    }
}

/// Windows has no process groups to kill; only the child itself is stopped there (by the
/// caller). A job object could hold its descendants too.
#[cfg(not(unix))]
fn stop_group(_: &Child) {}

/// `5 s`, `1.5 s`: a limit as a person reads it.
fn seconds(timeout: Duration) -> String {
    format!("{} s", timeout.as_secs_f64())
}

/// The command as a POSIX shell would take it, for messages: `sh -c 'my status line'`.
fn describe(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|word| shell_escape::unix::escape(word.to_string_lossy()).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Everything `pipe` yields, from a thread, once it is closed.
fn drain(pipe: Option<impl Read + Send + 'static>) -> Receiver<Vec<u8>> {
    let (sender, receiver) = mpsc::channel();
    if let Some(mut pipe) = pipe {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            let _ = sender.send(bytes);
        });
    }
    receiver
}

/// The child's exit status, or None once `deadline` has passed: the child is killed then.
fn wait_until(child: &mut Child, deadline: Instant) -> Result<Option<ExitStatus>> {
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(status) = child.try_wait().context("cannot wait for it")? {
            return Ok(Some(status));
        }
        let now = Instant::now();
        if now >= deadline {
            stop_group(child);
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(unix)]
    fn sh(script: &str) -> Command {
        let mut sh = Command::new("sh");
        sh.args(["-c", script]);
        sh
    }
    #[cfg(unix)]
    #[test]
    fn a_run_past_its_time_is_stopped_and_says_so() {
        let started = Instant::now();
        let error = run_bounded(sh("sleep 30"), Vec::new(), Duration::from_millis(300))
            .err()
            .expect("sleep 30 outlasts 0.3 s");
        assert_eq!(
            format!("{error:#}"),
            "sh -c 'sleep 30': timed out after 0.3 s; stopped it"
        );
        assert!(started.elapsed() < Duration::from_secs(10));
    }
    #[cfg(unix)]
    #[test]
    fn a_chatty_program_that_never_reads_its_input_runs_to_its_end() {
        // More than a pipe holds, on both outputs, before and without reading stdin.
        let script = "head -c 1000000 /dev/zero; head -c 700000 /dev/zero >&2; exit 3";
        let out = run_bounded(sh(script), vec![b'x'; 1 << 20], Duration::from_secs(60)).unwrap();
        assert_eq!(
            (out.code, out.stdout.len(), out.stderr.len()),
            (Some(3), 1_000_000, 700_000)
        );
        let echoed = run_bounded(sh("cat"), b"in\n".to_vec(), Duration::from_secs(60)).unwrap();
        assert_eq!(echoed.stdout, b"in\n");
    }
    #[cfg(unix)]
    #[test]
    fn output_held_open_by_a_grandchild_does_not_hold_the_run() {
        let started = Instant::now();
        let error = run_bounded(
            sh("sleep 30 & echo started"),
            Vec::new(),
            Duration::from_millis(500),
        )
        .err()
        .expect("sleep holds stdout past 0.5 s");
        assert!(
            format!("{error:#}")
                .ends_with("kept its output open past 0.5 s; stopped its process group"),
            "{error:#}"
        );
        assert!(started.elapsed() < Duration::from_secs(10));
    }
    /// Whether process `pid` is gone (or a zombie, dead and waiting for its reaper), within a
    /// few seconds: a killed process takes a moment to die.
    #[cfg(target_os = "linux")]
    fn dies(pid: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let state = stat.rsplit_once(") ").map(|(_, rest)| &rest[..1]);
            if matches!(state, None | Some("Z" | "X")) {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
    #[cfg(target_os = "linux")]
    #[test]
    fn what_a_stopped_program_started_is_stopped_too() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        let quoted = shell_escape::unix::escape(pid_file.to_string_lossy());
        // Timed out while it waits for what it started.
        let script = format!("sleep 30 & echo $! > {quoted}; wait");
        run_bounded(sh(&script), Vec::new(), Duration::from_millis(500))
            .err()
            .expect("times out");
        let grandchild = std::fs::read_to_string(&pid_file).unwrap();
        assert!(dies(grandchild.trim()), "sleep {grandchild} still runs");
        // Exited, but what it started holds its output.
        let script = format!("sleep 30 & echo $! > {quoted}");
        let error = run_bounded(sh(&script), Vec::new(), Duration::from_millis(500))
            .err()
            .expect("sleep holds stdout");
        assert!(
            format!("{error:#}").ends_with("; stopped its process group"),
            "{error:#}"
        );
        let grandchild = std::fs::read_to_string(&pid_file).unwrap();
        assert!(dies(grandchild.trim()), "sleep {grandchild} still runs");
    }
    #[test]
    fn a_program_that_cannot_start_is_named() {
        let error = run_bounded(
            Command::new("/nonexistent/ccs test program"),
            Vec::new(),
            Duration::from_secs(5),
        )
        .err()
        .expect("no such program");
        assert!(
            format!("{error:#}").starts_with("'/nonexistent/ccs test program': cannot start: "),
            "{error:#}"
        );
    }
}

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
        Err(RecvTimeoutError::Timeout) => Err(anyhow!(
            "exited, but something it started kept its output open past {}",
            seconds(timeout)
        )),
    };
    Ok(Output {
        code: status.code(),
        stdout: gathered(stdout)?,
        stderr: gathered(stderr)?,
    })
}

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
            format!("{error:#}").ends_with("kept its output open past 0.5 s"),
            "{error:#}"
        );
        assert!(started.elapsed() < Duration::from_secs(10));
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

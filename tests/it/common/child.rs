//! Running a program that may print a lot or hang (the real Claude Code, ccusage): one bounded
//! run that reads its output all along.

use std::io::{ErrorKind, Read};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

/// `cmd.output()`, bounded: stdout and stderr are piped and read on threads all along, so a
/// child that prints more than a pipe holds never waits for a reader; if the child has not
/// ended and closed its output within `timeout`, it is killed and the test fails, showing what
/// it printed. stdin is what `cmd` sets (inherited if nothing, as with `spawn`).
pub(crate) fn output_within(cmd: &mut Command, timeout: Duration) -> Output {
    let (child, program) = spawn(cmd);
    output_of(child, &program, timeout)
}

/// Long enough for any ccs run on a loaded machine; a run that takes it has hung.
// The tests that feed stdin (status line, editor wrapper) are Unix only.
#[cfg(unix)]
pub(crate) const CCS_TIMEOUT: Duration = Duration::from_secs(60);

/// [`output_within`] with `input` on the child's stdin, written on a thread (a child that prints
/// before it has read all of its input never waits on the test), then closed.
#[cfg(unix)]
pub(crate) fn output_with_input(cmd: &mut Command, input: &[u8], timeout: Duration) -> Output {
    let (mut child, program) = spawn(cmd.stdin(Stdio::piped()));
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    // A child that exits without reading all of it closes the pipe: not the test's failure.
    let writer = std::thread::spawn(move || drop(std::io::Write::write_all(&mut stdin, &input)));
    let out = output_of(child, &program, timeout);
    writer.join().unwrap();
    out
}

fn spawn(cmd: &mut Command) -> (Child, String) {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
    (child, program)
}

/// The output of a child whose stdout and stderr are piped, bounded as [`output_within`] says.
fn output_of(mut child: Child, program: &str, timeout: Duration) -> Output {
    let deadline = Instant::now() + timeout;
    let (closed, closing) = mpsc::channel();
    let stdout = drain(child.stdout.take().unwrap(), closed.clone());
    let stderr = drain(child.stderr.take().unwrap(), closed);
    // Both pipes at their end (closed by the child and by anything it started), then its exit.
    let left = || deadline.saturating_duration_since(Instant::now());
    let all_closed = (0..2).all(|_| closing.recv_timeout(left()).is_ok());
    let mut status = None;
    while all_closed && status.is_none() && !left().is_zero() {
        status = child.try_wait().unwrap();
        if status.is_none() {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    let printed = |buffer: &Mutex<Vec<u8>>| std::mem::take(&mut *buffer.lock().unwrap());
    let Some(status) = status else {
        let exited = child.try_wait().unwrap().is_some();
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "{program} took longer than {timeout:?}{}\nstdout:\n{}\nstderr:\n{}",
            if exited {
                " (it exited, but something it started still holds its output open)"
            } else {
                ""
            },
            String::from_utf8_lossy(&printed(&stdout)),
            String::from_utf8_lossy(&printed(&stderr))
        );
    };
    Output {
        status,
        stdout: printed(&stdout),
        stderr: printed(&stderr),
    }
}

/// Reads `pipe` to its end on a thread, into a buffer that can be looked at meanwhile; says so
/// on `closed` when the end is reached.
fn drain(mut pipe: impl Read + Send + 'static, closed: mpsc::Sender<()>) -> Arc<Mutex<Vec<u8>>> {
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let filling = buffer.clone();
    std::thread::spawn(move || {
        let mut chunk = [0; 16 * 1024];
        loop {
            match pipe.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => filling.lock().unwrap().extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let _ = closed.send(());
    });
    buffer
}

#[cfg(unix)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", script]).stdin(Stdio::null());
        cmd
    }

    /// The failure message of `output_within`, and how long it took to fail.
    fn failure(mut cmd: Command, timeout: Duration) -> (String, Duration) {
        let started = Instant::now();
        let run = std::panic::AssertUnwindSafe(move || output_within(&mut cmd, timeout));
        let panic = std::panic::catch_unwind(run).expect_err("it should have failed");
        let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
        (message, started.elapsed())
    }

    #[test]
    fn a_child_printing_more_than_a_pipe_holds_is_read_to_its_end() {
        // 1 MiB on stdout, then a line on stderr: unread, the child would block on the first
        // 64 KiB and never get to its end.
        let out = output_within(
            &mut sh("head -c 1048576 /dev/zero; echo done >&2; exit 3"),
            Duration::from_secs(60),
        );
        assert_eq!(out.stdout.len(), 1 << 20);
        assert_eq!(out.stderr, b"done\n");
        assert_eq!(out.status.code(), Some(3));
    }

    #[test]
    fn a_child_past_its_time_is_killed_and_fails_the_test() {
        let (message, took) = failure(
            sh("echo started; exec sleep 30"),
            Duration::from_millis(300),
        );
        assert!(
            message.starts_with("sh took longer than 300ms\nstdout:\nstarted\n"),
            "{message}"
        );
        assert!(took < Duration::from_secs(10), "{took:?}");
    }

    #[test]
    fn output_held_open_by_what_the_child_started_fails_the_test() {
        let (message, took) = failure(sh("sleep 5 & exit 0"), Duration::from_millis(300));
        assert!(
            message.contains("it exited, but something it started still holds its output open"),
            "{message}"
        );
        assert!(took < Duration::from_secs(10), "{took:?}");
    }
}

//! The client's records of its running sessions (`sessions/<pid>.json`), and whether the
//! process each names still runs: what keeps ccs from moving or deleting a profile in use.

use std::fs;
use std::path::Path;

/// A record of a running client, as the client writes it when it starts
/// (`sessions/<pid>.json`) and removes it when it exits, also on SIGTERM; a client killed
/// outright leaves it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Session {
    pub pid: u32,
    /// Where it was started, for the message.
    pub cwd: Option<String>,
    /// The conversation it has open (`sessionId`, which the client keeps up to date: the
    /// record's reader `w7l` takes `sessionId:typeof e.sessionId==="string"?e.sessionId:void 0`).
    pub session_id: Option<String>,
    /// Whether the process is known to run still, or only not known to be gone (a record from
    /// another machine or PID namespace, or a system where ccs cannot look).
    pub certain: bool,
}

#[derive(serde::Deserialize)]
#[cfg_attr(
    not(any(target_os = "linux", target_os = "macos", windows)),
    allow(dead_code, reason = "liveness reads them where it can look")
)]
struct Record {
    pid: u32,
    cwd: Option<String>,
    #[serde(rename = "sessionId")]
    session_id: Option<String>,
    #[serde(rename = "procStart")]
    proc_start: Option<String>,
    /// Windows: the process's creation time as a FILETIME, in decimal (the native client's).
    #[serde(rename = "procStartFt")]
    #[cfg_attr(not(windows), allow(dead_code, reason = "read on Windows only"))]
    proc_start_ft: Option<String>,
    #[serde(rename = "pidDomain")]
    pid_domain: Option<String>,
}

/// The clients running on the profile at `dir` now: its records whose process still runs, the
/// same process (its start time as recorded), in this machine's PID namespace as recorded. A
/// record whose process is gone is left over from a client that was killed.
pub(crate) fn running_sessions(dir: &Path) -> Vec<Session> {
    let Ok(entries) = fs::read_dir(dir.join(REGISTER)) else {
        return Vec::new();
    };
    let mut found: Vec<Session> = entries
        .flatten()
        .filter(|e| is_session_record(&e.file_name()))
        .filter_map(|e| serde_json::from_slice::<Record>(&fs::read(e.path()).ok()?).ok())
        .filter_map(|record| {
            let certain = match liveness(&record) {
                Liveness::Gone => return None,
                Liveness::Runs => true,
                Liveness::Unknown => false,
            };
            Some(Session {
                pid: record.pid,
                cwd: record.cwd,
                session_id: record.session_id,
                certain,
            })
        })
        .collect();
    found.sort_by_key(|s| s.pid);
    found
}

/// The register's directory in a config dir.
pub(crate) const REGISTER: &str = "sessions";

/// How long the register must have been left alone before its quiet is taken to mean that no
/// client writes in the config dir. A client removes its record in the same cleanup drain that
/// flushes its transcript (`CSt` runs every cleanup at once: the record's `Ls(C)` and the
/// writer's flush, which waits up to 500 ms for rows held at exit), so rows may land after the
/// record is gone; the process ends at the latest when its shutdown failsafe fires,
/// `armShutdownFailsafe(Math.max(5000,k+5000))` with `k` the session-end hooks' budget (1.5 s
/// unless a hook asks for more), or after 15 s on another path (`lld=15000`). A minute covers
/// that with room; a longer hook budget is what a stamp's own bound covers
/// (`usage::stamp::TRUSTED_FOR`).
pub(crate) const REGISTER_QUIET_MS: i64 = 60_000;

/// Whether no record in the register at `dir` (`sessions/`) names a client that runs or may
/// run: every record is one of a process known to be gone. A record that does not read (being
/// written: the client rewrites it in place as its state changes, `Tn` → `writeFile`) may be of
/// a running client.
///
/// With the register left alone since, this is what lets a count of a profile's use know
/// that no transcript changed without looking at each. Read from the client 2.1.332: its main
/// action (interactive, `-p`, `--output-format stream-json`, background kinds) writes the
/// record when it starts (`t1r` → `r2`, a plain `writeFile` of `<pid>.json`, which changes the
/// directory's time) and removes it when it ends; `-p`, `--output-format stream-json` and a
/// resume with `--continue` are tested with the real client in tests/it/usage_trust.rs. The
/// record is written without being waited for, after the client's messaging key (itself a file
/// made in the register, up to `keyPublishRegisterWaitMs` = 5 s), so a client's first lines
/// may come before its record; the record's arrival changes the register all the same. `r2` skips it (`Wm()`) for a diskless launch (never set by the
/// CLI, and it writes no transcript), a nested interactive session (which keeps no transcript
/// either: `jgo` → "nested_marker") and a process with an agent id: a subagent or in-process
/// teammate runs inside its registered leader, but an agent team's teammate in a pane of its
/// own (`--agent-id`) writes transcripts unregistered; its leader ends it as it shuts down,
/// unless the leader was killed. Its new transcripts change a project directory; its appends
/// are what a stamp's bound (`usage::stamp::TRUSTED_FOR`) covers.
pub(crate) fn none_may_run(dir: &Path) -> bool {
    let Ok(entries) = fs::read_dir(dir.join(REGISTER)) else {
        return false;
    };
    entries.into_iter().all(|entry| {
        let Ok(entry) = entry else {
            return false;
        };
        if !is_session_record(&entry.file_name()) {
            return true;
        }
        let record = fs::read(entry.path())
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Record>(&bytes).ok());
        record.is_some_and(|r| matches!(liveness(&r), Liveness::Gone))
    })
}

/// Whether `name`, in `sessions/`, is a record of a session: `<pid>.json`.
pub(crate) fn is_session_record(name: &std::ffi::OsStr) -> bool {
    name.to_str()
        .and_then(|n| n.strip_suffix(".json"))
        .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg_attr(
    not(any(target_os = "linux", target_os = "macos", windows)),
    allow(dead_code, reason = "only Unknown where ccs cannot look")
)]
enum Liveness {
    Runs,
    Gone,
    Unknown,
}

/// Linux: `/proc/<pid>/stat`'s start time (field 22, as the client records it) and the PID
/// namespace. A record from another namespace or machine is not known to be gone.
#[cfg(target_os = "linux")]
fn liveness(record: &Record) -> Liveness {
    if record
        .pid_domain
        .as_deref()
        .is_some_and(|d| Some(d) != pid_domain().as_deref())
    {
        return Liveness::Unknown;
    }
    let Ok(stat) = fs::read_to_string(format!("/proc/{}/stat", record.pid)) else {
        return if Path::new("/proc/self/stat").exists() {
            Liveness::Gone
        } else {
            Liveness::Unknown
        };
    };
    match (&record.proc_start, start_time(&stat)) {
        (Some(recorded), Some(now)) if *recorded != now => Liveness::Gone,
        // A zombie has exited; its parent has not collected it yet.
        _ if process_state(&stat) == Some('Z') => Liveness::Gone,
        _ => Liveness::Runs,
    }
}

/// macOS: what the client itself records there, `ps -o lstart=` (one process, on a command that
/// moves or deletes a profile or lists them while records exist), in the `darwin` domain.
#[cfg(target_os = "macos")]
fn liveness(record: &Record) -> Liveness {
    if record.pid_domain.as_deref().is_some_and(|d| d != "darwin") {
        return Liveness::Unknown;
    }
    let mut ps = std::process::Command::new("/bin/ps");
    ps.args(["-o", "lstart=", "-p", &record.pid.to_string()])
        .env("LC_ALL", "C")
        .env("TZ", "UTC");
    // ps answers at once; one that does not is no answer.
    let timeout = std::time::Duration::from_secs(5);
    let Ok(out) = crate::process::run_bounded(ps, Vec::new(), timeout) else {
        return Liveness::Unknown;
    };
    let started = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    match &record.proc_start {
        _ if started.is_empty() => Liveness::Gone,
        Some(recorded) if *recorded != started => Liveness::Gone,
        _ => Liveness::Runs,
    }
}

/// Windows: the process's creation time, which the client records (`procStartFt`, or
/// `procStart` in .NET ticks where it had to ask PowerShell), in the `win32:<host name>` domain.
#[cfg(windows)]
fn liveness(record: &Record) -> Liveness {
    if record
        .pid_domain
        .as_deref()
        .is_some_and(|d| Some(d) != windows_process::pid_domain().as_deref())
    {
        return Liveness::Unknown;
    }
    match windows_process::creation_time(record.pid) {
        windows_process::Found::Gone => Liveness::Gone,
        windows_process::Found::Unreadable => Liveness::Runs,
        windows_process::Found::Created(filetime) => {
            let recorded = record
                .proc_start_ft
                .as_deref()
                .or(record.proc_start.as_deref());
            match recorded.map(|r| same_start(r, filetime)) {
                Some(false) => Liveness::Gone,
                _ => Liveness::Runs,
            }
        }
    }
}

/// Elsewhere ccs has no way to look: not known to be gone.
#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
fn liveness(_record: &Record) -> Liveness {
    Liveness::Unknown
}

/// Whether a recorded Windows start time is `created` (a FILETIME: 100 ns since 1601). The
/// client records a FILETIME, or .NET ticks (100 ns since year 1) when it asked PowerShell; the
/// two scales part at 3·10¹⁷, as the client tells them apart. Unreadable counts as the same.
#[cfg_attr(
    not(windows),
    allow(dead_code, reason = "tested everywhere, used on Windows")
)]
fn same_start(recorded: &str, created: u64) -> bool {
    /// .NET ticks at 1601-01-01, the FILETIME epoch.
    const DOTNET_TICKS_AT_1601: u64 = 504_911_232_000_000_000;
    const SCALES_PART: u64 = 300_000_000_000_000_000;
    let Ok(recorded) = recorded.trim().parse::<u64>() else {
        return true;
    };
    if recorded > SCALES_PART {
        recorded == created + DOTNET_TICKS_AT_1601
    } else {
        recorded == created
    }
}

// The Win32 calls ccs needs here have no safe wrapper in std; each `unsafe` block below says
// why it is sound, and nothing else in the crate may use unsafe code.
#[cfg(windows)]
#[allow(unsafe_code)]
mod windows_process {
    use std::ffi::OsString;
    use std::io;
    use std::os::windows::ffi::OsStringExt;
    use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};

    use windows_sys::Win32::Foundation::{ERROR_INVALID_PARAMETER, FALSE, FILETIME, STILL_ACTIVE};
    use windows_sys::Win32::System::SystemInformation::{
        ComputerNameDnsHostname, GetComputerNameExW,
    };
    use windows_sys::Win32::System::Threading::{
        GetExitCodeProcess, GetProcessTimes, OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION,
    };

    pub(super) enum Found {
        /// No such process, or one that has exited (a handle someone holds keeps it listed).
        Gone,
        /// It exists but may not be asked (another user's, a protected one).
        Unreadable,
        /// It runs, created at this FILETIME.
        Created(u64),
    }

    pub(super) fn creation_time(pid: u32) -> Found {
        let process = match open(pid) {
            Ok(process) => process,
            // What OpenProcess says of a pid no process has.
            Err(e) if e.raw_os_error() == Some(ERROR_INVALID_PARAMETER.cast_signed()) => {
                return Found::Gone;
            }
            Err(_) => return Found::Unreadable,
        };
        if has_exited(&process) {
            return Found::Gone;
        }
        created(&process).map_or(Found::Unreadable, Found::Created)
    }

    /// A handle to process `pid` that may ask its times and exit code, closed when dropped.
    fn open(pid: u32) -> io::Result<OwnedHandle> {
        // SAFETY: OpenProcess takes plain values and returns a new handle, or null on failure.
        let raw = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid) };
        if raw.is_null() {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a non-null handle from OpenProcess is open and owned by no one else, so the
        // OwnedHandle is its only owner and closes it exactly once.
        Ok(unsafe { OwnedHandle::from_raw_handle(raw) })
    }

    /// Whether the process has an exit code: an exited one stays listed while a handle to it
    /// is open. Unknown (the call failed) counts as running.
    fn has_exited(process: &OwnedHandle) -> bool {
        let mut code = 0u32;
        // SAFETY: the handle is open for the borrow's length; `code` is a local u32.
        let ok = unsafe { GetExitCodeProcess(process.as_raw_handle(), &mut code) };
        ok != FALSE && code != STILL_ACTIVE.cast_unsigned()
    }

    /// The process's creation time as a FILETIME (100 ns since 1601), if it may be read.
    fn created(process: &OwnedHandle) -> Option<u64> {
        let zero = FILETIME {
            dwLowDateTime: 0,
            dwHighDateTime: 0,
        };
        let (mut created, mut exited, mut kernel, mut user) = (zero, zero, zero, zero);
        // SAFETY: the handle is open for the borrow's length; each pointer is to a local
        // FILETIME, which the call only writes.
        let ok = unsafe {
            GetProcessTimes(
                process.as_raw_handle(),
                &mut created,
                &mut exited,
                &mut kernel,
                &mut user,
            )
        };
        (ok != FALSE)
            .then(|| u64::from(created.dwHighDateTime) << 32 | u64::from(created.dwLowDateTime))
    }

    /// `win32:<host name, lower case>`, as the client writes `pidDomain` on Windows: the DNS
    /// host name, what Node's `os.hostname()` returns.
    pub(super) fn pid_domain() -> Option<String> {
        let mut buffer = [0u16; 256];
        let mut size = buffer.len() as u32;
        // SAFETY: `size` is the buffer's length in UTF-16 units, and the call writes at most
        // that many; on success `size` holds the name's length, without the terminating null.
        let ok =
            unsafe { GetComputerNameExW(ComputerNameDnsHostname, buffer.as_mut_ptr(), &mut size) };
        if ok == FALSE {
            return None;
        }
        let name = OsString::from_wide(buffer.get(..size as usize)?);
        Some(format!("win32:{}", name.to_string_lossy().to_lowercase()))
    }
}

/// `linux:<machine id>:<PID namespace>`, as the client writes `pidDomain`.
#[cfg(target_os = "linux")]
fn pid_domain() -> Option<String> {
    let machine = fs::read_to_string("/etc/machine-id").ok()?;
    let namespace = fs::read_link("/proc/self/ns/pid").ok()?;
    Some(format!(
        "linux:{}:{}",
        machine.trim(),
        namespace.to_string_lossy()
    ))
}

/// Field 22 of `/proc/<pid>/stat`: counted after the command name, which may hold spaces.
#[cfg(target_os = "linux")]
fn start_time(stat: &str) -> Option<String> {
    let after_name = &stat[stat.rfind(')')? + 2..];
    after_name.split(' ').nth(19).map(str::to_owned)
}

#[cfg(target_os = "linux")]
fn process_state(stat: &str) -> Option<char> {
    stat[stat.rfind(')')? + 2..].chars().next()
}

/// One line for an error: who runs on the profile.
pub(crate) fn describe_sessions(sessions: &[Session]) -> String {
    let shown: Vec<String> = sessions
        .iter()
        .map(|s| {
            let mut text = format!("pid {}", s.pid);
            if let Some(cwd) = &s.cwd {
                text.push_str(&format!(" in {cwd}"));
            }
            if !s.certain {
                text.push_str(", not known to have exited");
            }
            text
        })
        .collect();
    shown.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_reads_as_running_and_a_reused_pid_as_gone() {
        let stat = fs::read_to_string("/proc/self/stat").unwrap();
        let ours = Record {
            pid: std::process::id(),
            cwd: None,
            session_id: None,
            proc_start: start_time(&stat),
            proc_start_ft: None,
            pid_domain: pid_domain(),
        };
        assert!(matches!(liveness(&ours), Liveness::Runs));
        let reused = Record {
            proc_start: Some("1".into()),
            ..ours
        };
        assert!(matches!(liveness(&reused), Liveness::Gone));
        let elsewhere = Record {
            pid_domain: Some("linux:other:pid:[1]".into()),
            proc_start: None,
            ..reused
        };
        assert!(matches!(liveness(&elsewhere), Liveness::Unknown));
        assert_eq!(
            start_time("1 (a ) b) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 4242 x")
                .as_deref(),
            Some("4242")
        );
    }

    #[test]
    fn a_windows_start_time_is_read_as_filetime_or_dotnet_ticks() {
        // 2026-11-30 09:00 UTC.
        let filetime = 134_405_028_000_000_000;
        assert!(same_start("134405028000000000", filetime));
        assert!(same_start("639316260000000000", filetime));
        assert!(!same_start("134405028000000001", filetime));
        assert!(!same_start("639316260000000001", filetime));
        assert!(same_start("not a number", filetime));
    }
}

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
    let Ok(entries) = fs::read_dir(dir.join("sessions")) else {
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
                certain,
            })
        })
        .collect();
    found.sort_by_key(|s| s.pid);
    found
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
    let out = std::process::Command::new("/bin/ps")
        .args(["-o", "lstart=", "-p", &record.pid.to_string()])
        .env("LC_ALL", "C")
        .env("TZ", "UTC")
        .stderr(std::process::Stdio::null())
        .output();
    let Ok(out) = out else {
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

#[cfg(windows)]
mod windows_process {
    use std::os::windows::ffi::OsStringExt;

    type Handle = *mut core::ffi::c_void;

    #[repr(C)]
    #[derive(Default)]
    struct FileTime {
        low: u32,
        high: u32,
    }

    // kernel32, which std links.
    unsafe extern "system" {
        fn OpenProcess(access: u32, inherit: i32, pid: u32) -> Handle;
        fn GetProcessTimes(
            process: Handle,
            creation: *mut FileTime,
            exit: *mut FileTime,
            kernel: *mut FileTime,
            user: *mut FileTime,
        ) -> i32;
        fn GetExitCodeProcess(process: Handle, code: *mut u32) -> i32;
        fn CloseHandle(handle: Handle) -> i32;
        fn GetComputerNameExW(kind: u32, buffer: *mut u16, size: *mut u32) -> i32;
    }

    const PROCESS_QUERY_LIMITED_INFORMATION: u32 = 0x1000;
    const ERROR_INVALID_PARAMETER: i32 = 87;
    const STILL_ACTIVE: u32 = 259;
    /// The DNS host name, what Node's `os.hostname()` returns.
    const COMPUTER_NAME_DNS_HOSTNAME: u32 = 1;

    pub enum Found {
        /// No such process, or one that has exited (a handle someone holds keeps it listed).
        Gone,
        /// It exists but may not be asked (another user's, a protected one).
        Unreadable,
        /// It runs, created at this FILETIME.
        Created(u64),
    }

    pub fn creation_time(pid: u32) -> Found {
        // SAFETY: OpenProcess takes plain values; a null handle is checked before any use.
        let process = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) };
        if process.is_null() {
            let gone =
                std::io::Error::last_os_error().raw_os_error() == Some(ERROR_INVALID_PARAMETER);
            return if gone { Found::Gone } else { Found::Unreadable };
        }
        let (mut created, mut exited, mut kernel, mut user) = Default::default();
        let mut code = 0;
        // SAFETY: `process` is a valid handle, closed once below; each pointer is to a local.
        let (times, exit) = unsafe {
            let times = GetProcessTimes(process, &mut created, &mut exited, &mut kernel, &mut user);
            let exit = GetExitCodeProcess(process, &mut code);
            CloseHandle(process);
            (times, exit)
        };
        if exit != 0 && code != STILL_ACTIVE {
            return Found::Gone;
        }
        if times == 0 {
            return Found::Unreadable;
        }
        let FileTime { low, high } = created;
        Found::Created(u64::from(high) << 32 | u64::from(low))
    }

    /// `win32:<host name, lower case>`, as the client writes `pidDomain` on Windows.
    pub fn pid_domain() -> Option<String> {
        let mut buffer = [0u16; 256];
        let mut size = buffer.len() as u32;
        // SAFETY: `size` is the buffer's length in UTF-16 units; on success it holds the name's.
        let ok = unsafe {
            GetComputerNameExW(COMPUTER_NAME_DNS_HOSTNAME, buffer.as_mut_ptr(), &mut size)
        };
        if ok == 0 {
            return None;
        }
        let name = std::ffi::OsString::from_wide(&buffer[..size as usize]);
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

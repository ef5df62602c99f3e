//! The store's own health: who may read the profiles, what an interrupted ccs or a killed client
//! left behind, and Keychain logins no profile has.

use std::path::Path;

use super::{Finding, Level, finding};
use crate::claude_code;
use crate::contract::{CONFIG_FILE, LIST_CACHE_FILE, SHARING_FILE};
use crate::fsx::{open_to_others, temp_file_writer};
use crate::store::{Leftover, Store};

pub(super) fn check_permissions(store: &Store) -> Vec<Finding> {
    if !cfg!(unix) {
        // Windows keeps access in ACLs, which ccs neither sets nor reads: say so rather than
        // call the profiles private.
        return vec![finding(
            Level::Note,
            format!(
                "ccs cannot check who may read the profiles here: {} gets the access rights of the folder it is in (by default, you and administrators)",
                store.instances_dir().display()
            ),
            Some(format!(
                "icacls \"{}\" to see them",
                store.instances_dir().display()
            )),
        )];
    }
    let mut findings = Vec::new();
    let names = store.names().unwrap_or_default();
    for name in &names {
        let dir = store.instance_dir(name);
        if open_to_others(&dir) {
            findings.push(finding(
                Level::Fail,
                format!("profile '{name}' can be read by other users"),
                Some(format!("chmod 700 {}", dir.display())),
            ));
        }
        let credentials = dir.join(crate::claude_code::CREDENTIALS_FILE);
        if credentials.exists() && open_to_others(&credentials) {
            findings.push(finding(
                Level::Fail,
                format!("the login of profile '{name}' can be read by other users"),
                Some(format!("chmod 600 {}", credentials.display())),
            ));
        }
    }
    if findings.is_empty() && !names.is_empty() {
        findings.push(finding(
            Level::Ok,
            format!("all {} profiles are private to you", names.len()),
            None,
        ));
    }
    findings
}

/// What an interrupted ccs leaves behind: a half-made profile, the rest of one whose removal
/// stopped half-way (see [`Leftover`]), a temporary copy of a file ccs writes. None is ever used
/// again; doctor names them with the command that deletes them, and deletes nothing itself. Only
/// names ccs makes count (their profile names are valid, so nothing odd reaches the terminal),
/// and one whose process still runs is work in progress, not a leftover.
pub(super) fn check_leftovers(store: &Store) -> Vec<Finding> {
    let mut found = Vec::new();
    let mut look = |dir: &Path, what_is: &dyn Fn(&str) -> Option<(u32, &'static str)>| {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let name = entry.file_name();
            if let Some((pid, what)) = name.to_str().and_then(what_is)
                && !process_runs(pid)
            {
                found.push((entry.path(), what));
            }
        }
    };
    look(store.root(), &|name| {
        [CONFIG_FILE, LIST_CACHE_FILE]
            .into_iter()
            .find_map(|file| temp_file_writer(name, file))
            .map(|pid| (pid, "a temporary file of an interrupted write"))
    });
    look(store.instances_dir(), &|name| {
        Leftover::parse(name).map(|(kind, _, pid)| match kind {
            Leftover::Creating => (pid, "a profile whose creation was interrupted"),
            Leftover::Removing => (pid, "the rest of a removed profile"),
            Leftover::Renaming => (pid, "a profile whose rename was interrupted"),
        })
    });
    for profile in store.names().unwrap_or_default() {
        look(&store.instance_dir(&profile), &|name| {
            temp_file_writer(name, SHARING_FILE)
                .map(|pid| (pid, "a temporary file of an interrupted write"))
        });
    }
    found.sort();
    found
        .into_iter()
        .map(|(path, what)| {
            finding(
                Level::Warn,
                format!("{} is {what}", path.display()),
                Some(format!(
                    "rm -rf {}",
                    shell_escape::unix::escape(path.to_string_lossy())
                )),
            )
        })
        .collect()
}

/// Claude Code's lock directories, beside the profiles (`instances/work.lock`, taken on a login
/// refresh) and inside them, that no client holds any more: a refresh killed mid-way leaves one,
/// and the next refresh waits on it. Only a lock untouched past the client's own stale limit is
/// named: a held one is refreshed every few seconds.
pub(super) fn check_stale_locks(store: &Store) -> Vec<Finding> {
    let now = std::time::SystemTime::now();
    let mut dirs = vec![store.instances_dir().to_path_buf()];
    dirs.extend(
        store
            .names()
            .unwrap_or_default()
            .iter()
            .map(|n| store.instance_dir(n)),
    );
    dirs.iter()
        .flat_map(|dir| claude_code::locks::stale_locks(dir, now))
        .map(|lock| {
            finding(
                Level::Warn,
                format!(
                    "{} is a lock Claude Code left behind (untouched for over {} s; no client holds it)",
                    lock.display(),
                    claude_code::locks::LOCK_STALE_AFTER.as_secs()
                ),
                Some(format!(
                    "rmdir {}",
                    shell_escape::unix::escape(lock.to_string_lossy())
                )),
            )
        })
        .collect()
}

/// Keychain logins of Claude Code's (macOS) under a config dir no profile has: left by a
/// profile removed or renamed without them, or by a run with some other `CLAUDE_CONFIG_DIR`.
pub(super) fn check_keychain(store: &Store) -> Vec<Finding> {
    let Some(keychain) = crate::keychain::Keychain::from_env() else {
        return Vec::new();
    };
    let known: Vec<String> = store
        .names()
        .unwrap_or_default()
        .iter()
        .map(|n| store.instance_dir(n).to_string_lossy().into_owned())
        .collect();
    match keychain.logins_without_profile(&known) {
        Ok(orphans) => orphans
            .into_iter()
            .map(|orphan| {
                finding(
                    Level::Warn,
                    format!(
                        "the Keychain login '{}' belongs to no ccs profile (a removed or renamed one, or another CLAUDE_CONFIG_DIR)",
                        orphan.service
                    ),
                    Some(orphan.delete_commands().join(" && ")),
                )
            })
            .collect(),
        Err(e) => vec![finding(
            Level::Note,
            format!("could not list Claude Code's Keychain logins: {e:#}"),
            None,
        )],
    }
}

/// Whether process `pid` still runs, where /proc tells. Without /proc (macOS) every pid counts
/// as gone, so a create running at that very moment would be named too.
fn process_runs(pid: u32) -> bool {
    pid == std::process::id() || Path::new("/proc").join(pid.to_string()).exists()
}

/// Each profile's preferences and MCP servers carried from the user's global config: a Warn
/// with the fix when the source changed since the last sync, a Note naming what is the
/// profile's own and the servers waiting for a sign-in in it.
pub(super) fn check_carried(store: &Store) -> Vec<Finding> {
    let source = crate::share::source_dir().ok();
    let mut findings = Vec::new();
    for name in store.names().unwrap_or_default() {
        let dir = store.instance_dir(&name);
        let Ok(sharing) = crate::share::Sharing::load(&dir) else {
            continue;
        };
        let lines = crate::share::describe_carried(&dir, &sharing, source.as_deref());
        if lines.is_empty() {
            continue;
        }
        let text = lines
            .iter()
            .map(|(label, line)| format!("{label}: {line}"))
            .collect::<Vec<_>>()
            .join("; ");
        let (level, fix) = if text.contains("to sync") {
            (Level::Warn, Some(format!("ccs sync {name}")))
        } else {
            (Level::Note, None)
        };
        findings.push(finding(level, format!("{name}: {text}"), fix));
    }
    findings
}

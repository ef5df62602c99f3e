//! `ccs doctor`: the things that silently defeat per-terminal accounts, each checked with a
//! verdict and a fix.

use std::env;
use std::path::{Path, PathBuf};

use crate::client;
use crate::fsx::{self, open_to_others, temp_file_writer};
use crate::names::{
    CLAUDE_DIR, CONFIG_DIR_VAR, CONFIG_FILE, HOOK_VAR, LIST_CACHE_FILE, PROFILE_VAR, SHARING_FILE,
};
use crate::routes;
use crate::share::{self, Item, Sharing, Status};
use crate::store::{Leftover, Store};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Ok,
    Note,
    Warn,
    Fail,
}

pub struct Finding {
    pub level: Level,
    pub what: String,
    pub fix: Option<String>,
}

fn finding(level: Level, what: impl Into<String>, fix: Option<String>) -> Finding {
    Finding {
        level,
        what: what.into(),
        fix,
    }
}

pub fn check(store: &Store) -> Vec<Finding> {
    let home_claude = fsx::home_dir().ok().map(|h| h.join(CLAUDE_DIR));
    let mut findings = Vec::new();
    findings.extend(check_login_routes(store, home_claude.as_deref()));
    findings.extend(check_shared_accounts(store));
    findings.push(check_claude_on_path());
    findings.push(check_hook());
    findings.extend(check_active_profile(store));
    findings.extend(check_permissions(store));
    findings.extend(check_leftovers(store));
    findings.extend(check_stale_locks(store));
    findings.extend(check_keychain(store));
    findings.extend(check_shared_memory(store));
    findings.extend(check_home_project_files(home_claude.as_deref()));
    findings
}

/// The shared CLAUDE.md (~/.claude's, or `CCS_SHARED_FROM`'s) reaches a profile through the
/// link ccs makes to it, or the copy in copy mode: Claude Code reads the memory file of the
/// config dir it runs with. Names the profiles it reaches.
fn check_shared_memory(store: &Store) -> Option<Finding> {
    let source = share::source_dir().ok()?;
    let claude_md = source.join(Item::Memory.file_name());
    if !claude_md.is_file() {
        return None;
    }
    let reached: Vec<String> = store
        .names()
        .ok()?
        .into_iter()
        .filter(|name| {
            let dir = store.instance_dir(name);
            Sharing::load(&dir).is_ok_and(|sharing| {
                share::status(&dir, &sharing, Some(&source))
                    .iter()
                    .any(|i| {
                        i.item == Item::Memory
                            && matches!(i.status, Status::Shared | Status::Copied { .. })
                    })
            })
        })
        .map(|name| name.to_string())
        .collect();
    if reached.is_empty() {
        return None;
    }
    Some(finding(
        Level::Note,
        format!(
            "{} is shared with {} {}: Claude Code loads it there too",
            claude_md.display(),
            if reached.len() == 1 {
                "profile"
            } else {
                "profiles"
            },
            reached.join(", ")
        ),
        Some("keep account-specific instructions in a profile's own CLAUDE.md".into()),
    ))
}

/// What an interrupted ccs leaves behind: a half-made profile, the rest of one whose removal
/// stopped half-way (see [`Leftover`]), a temporary copy of a file ccs writes. None is ever used
/// again; doctor names them with the command that deletes them, and deletes nothing itself. Only
/// names ccs makes count (their profile names are valid, so nothing odd reaches the terminal),
/// and one whose process still runs is work in progress, not a leftover.
fn check_leftovers(store: &Store) -> Vec<Finding> {
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
fn check_stale_locks(store: &Store) -> Vec<Finding> {
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
        .flat_map(|dir| client::stale_locks(dir, now))
        .map(|lock| {
            finding(
                Level::Warn,
                format!(
                    "{} is a lock Claude Code left behind (untouched for over {} s; no client holds it)",
                    lock.display(),
                    client::LOCK_STALE_AFTER.as_secs()
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
fn check_keychain(store: &Store) -> Vec<Finding> {
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

/// Every route around the profiles' logins that applies (see [`routes`]): in the environment,
/// in `~/.claude/settings.json` and in each profile's own, and a login profile of
/// `~/.config/anthropic` that logs in the profiles without a login of their own.
fn check_login_routes(store: &Store, home_claude: Option<&Path>) -> Vec<Finding> {
    let mut findings: Vec<Finding> = routes::in_env()
        .into_iter()
        .map(|found| {
            finding(
                Level::Warn,
                format!("{} is set: {}", found.route, found.effect),
                Some(format!(
                    "unset {} (and remove it from your shell start-up files)",
                    found.route
                )),
            )
        })
        .collect();
    let mut settings: Vec<PathBuf> = home_claude
        .map(|d| d.join("settings.json"))
        .into_iter()
        .collect();
    let names = store.names().unwrap_or_default();
    settings.extend(
        names
            .iter()
            .map(|n| store.instance_dir(n).join("settings.json")),
    );
    // A profile's settings.json is usually a link to ~/.claude's: report each real file once.
    let mut seen = std::collections::HashSet::new();
    settings
        .retain(|file| seen.insert(std::fs::canonicalize(file).unwrap_or_else(|_| file.clone())));
    for found in settings.iter().flat_map(|file| routes::in_settings(file)) {
        let file = found.file.as_deref().unwrap_or(Path::new("?")).display();
        let (where_, fix) = if found.route == "apiKeyHelper" {
            (
                "as a setting",
                format!("remove \"apiKeyHelper\" from {file}"),
            )
        } else {
            (
                "in its env block",
                format!("remove {} from the \"env\" block of {file}", found.route),
            )
        };
        findings.push(finding(
            Level::Warn,
            format!("{file} sets {} {where_}: {}", found.route, found.effect),
            Some(fix),
        ));
    }
    findings.extend(check_anthropic_login_profile(store, &names));
    if findings.is_empty() {
        findings.push(finding(
            Level::Ok,
            "no API key or token variable overrides the profiles' logins, and nothing moves them",
            None,
        ));
    }
    findings
}

/// An active login profile in `~/.config/anthropic` (or `ANTHROPIC_CONFIG_DIR`) logs in every
/// config dir without a claude.ai login of its own: name the profiles it reaches.
fn check_anthropic_login_profile(
    store: &Store,
    names: &[crate::profile_name::ProfileName],
) -> Option<Finding> {
    let home = fsx::home_dir().ok()?;
    let (dir, active) = routes::anthropic_login_profile(&home)?;
    let reached: Vec<String> = names
        .iter()
        .filter(|n| !crate::account::Account::read(&store.instance_dir(n)).logged_in)
        .map(|n| n.to_string())
        .collect();
    let whom = if reached.is_empty() {
        "any profile without a login of its own".to_owned()
    } else {
        format!("profiles {} (no login of their own)", reached.join(", "))
    };
    Some(finding(
        Level::Warn,
        format!(
            "the login profile '{active}' in {} logs in {whom}: they would all be its account",
            dir.display()
        ),
        Some(format!(
            "/login in each profile, or remove {}/configs/{active}.json",
            dir.display()
        )),
    ))
}

/// Two profiles logged into one account (the same `oauthAccount.accountUuid`) rotate each
/// other's refresh token: whenever one refreshes its login, the other's stops working and must
/// `/login` again.
fn check_shared_accounts(store: &Store) -> Vec<Finding> {
    let mut by_account: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for name in store.names().unwrap_or_default() {
        if let Some(uuid) = crate::account::account_uuid(&store.instance_dir(&name)) {
            by_account.entry(uuid).or_default().push(name.to_string());
        }
    }
    by_account
        .into_values()
        .filter(|profiles| profiles.len() > 1)
        .map(|profiles| {
            finding(
                Level::Warn,
                format!(
                    "profiles {} are logged into the same account: each login refresh in one logs the others out",
                    profiles.join(", ")
                ),
                Some(format!(
                    "keep one profile per account (ccs remove {}), or /login to another account there",
                    profiles[1..].join(" ")
                )),
            )
        })
        .collect()
}

/// Working anywhere under the home directory, the client reads `~/.claude/CLAUDE.md` and
/// `~/.claude/rules/` as a project's instructions (and, started in the home directory itself,
/// `~/.claude/settings.json` as a project's settings), whatever the config dir: every profile,
/// `--isolated` ones too, gets them there.
fn check_home_project_files(home_claude: Option<&Path>) -> Option<Finding> {
    let home_claude = home_claude?;
    let files: Vec<String> = ["CLAUDE.md", "rules"]
        .iter()
        .map(|f| home_claude.join(f))
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if files.is_empty() {
        return None;
    }
    Some(finding(
        Level::Note,
        format!(
            "{} reach every profile (isolated ones too) when you work under your home directory: Claude Code reads them as a project's instructions",
            files.join(" and ")
        ),
        Some("keep account-specific instructions out of ~/.claude/CLAUDE.md and ~/.claude/rules/ (a profile's own CLAUDE.md is for those)".into()),
    ))
}

fn check_claude_on_path() -> Finding {
    match crate::program::find(std::ffi::OsStr::new("claude")) {
        Some(path) => finding(Level::Ok, format!("claude is {}", path.display()), None),
        None => finding(
            Level::Warn,
            "claude is not on PATH",
            Some("install Claude Code: npm install -g @anthropic-ai/claude-code".into()),
        ),
    }
}

fn check_hook() -> Finding {
    match env::var(HOOK_VAR) {
        Ok(shell) if !shell.is_empty() => finding(
            Level::Ok,
            format!("the {shell} hook is installed in this shell"),
            None,
        ),
        _ => finding(
            Level::Warn,
            "the shell hook is not installed in this shell: `ccs use` only prints code",
            Some(
                "add the hook line for your shell to its start-up file (see `ccs init --help`)"
                    .into(),
            ),
        ),
    }
}

fn check_active_profile(store: &Store) -> Vec<Finding> {
    let config_dir = env::var_os(CONFIG_DIR_VAR).filter(|v| !v.is_empty());
    let profile_var = env::var(PROFILE_VAR).ok().filter(|v| !v.is_empty());
    let Some(config_dir) = config_dir else {
        let mut findings = vec![finding(
            Level::Ok,
            "no profile is active: claude uses ~/.claude",
            None,
        )];
        if let Some(name) = profile_var {
            findings.push(finding(
                Level::Warn,
                format!("{PROFILE_VAR}={name} but {CONFIG_DIR_VAR} is unset: the prompt shows a profile that is not active"),
                Some(format!("ccs use {name}, or ccs off")),
            ));
        }
        return findings;
    };
    let shown = Path::new(&config_dir).display().to_string();
    let Some(name) = store.profile_for_config_dir(&config_dir) else {
        let level = if Path::new(&config_dir).is_dir() {
            Level::Warn
        } else {
            Level::Fail
        };
        return vec![finding(
            level,
            format!(
                "{CONFIG_DIR_VAR}={shown} is not a ccs profile (profiles live in {})",
                store.instances_dir().display()
            ),
            Some("ccs use <profile>, or ccs off".into()),
        )];
    };
    let mut findings = Vec::new();
    if store.instance_dir(&name).is_dir() {
        findings.push(finding(Level::Ok, format!("active profile: {name}"), None));
    } else {
        findings.push(finding(
            Level::Fail,
            format!("the active profile '{name}' does not exist any more"),
            Some(format!("ccs off, or ccs create {name}")),
        ));
    }
    if profile_var.as_deref().is_some_and(|p| p != name.as_str()) {
        findings.push(finding(
            Level::Warn,
            format!(
                "{PROFILE_VAR}={} disagrees with {CONFIG_DIR_VAR} ({name})",
                profile_var.unwrap_or_default()
            ),
            Some(format!("ccs use {name}")),
        ));
    }
    findings
}

fn check_permissions(store: &Store) -> Vec<Finding> {
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
        let credentials = dir.join(".credentials.json");
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

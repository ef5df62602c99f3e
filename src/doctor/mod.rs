//! `ccs doctor`: the things that silently defeat per-terminal accounts, each checked with a
//! verdict and a fix. `login` checks what decides which account a profile is (routes around a
//! login, shared accounts, what `~/.claude` lends every profile); `store` checks the store
//! (permissions, leftovers, locks, Keychain logins); this file, the shell ccs runs in.

mod login;
mod store;
mod tmux;

use std::env;
use std::path::Path;

use crate::claude_code::{CONFIG_DIR_VAR, DEFAULT_DIR as CLAUDE_DIR};
use crate::contract::{HOOK_VAR, PROFILE_VAR};
use crate::fsx;
use crate::store::Store;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Level {
    Ok,
    Note,
    Warn,
    Fail,
}

pub(crate) struct Finding {
    pub level: Level,
    pub what: String,
    pub fix: Option<String>,
}

pub(super) fn finding(level: Level, what: impl Into<String>, fix: Option<String>) -> Finding {
    Finding {
        level,
        what: what.into(),
        fix,
    }
}

pub(crate) fn check(store: &Store) -> Vec<Finding> {
    let home_claude = fsx::home_dir().ok().map(|h| h.join(CLAUDE_DIR));
    let mut findings = Vec::new();
    findings.extend(login::check_routes(store, home_claude.as_deref()));
    let home = fsx::home_dir().ok();
    findings.extend(login::check_shared_accounts(store, home.as_deref()));
    findings.push(check_claude_on_path());
    findings.push(check_hook());
    findings.extend(tmux::check_tmux(store));
    findings.extend(check_active_profile(store));
    findings.extend(store::check_permissions(store));
    findings.extend(store::check_leftovers(store));
    findings.extend(store::check_stale_locks(store));
    findings.extend(store::check_carried(store));
    findings.extend(store::check_keychain(store));
    findings.extend(login::check_shared_memory(store));
    findings.extend(login::check_home_project_files(home_claude.as_deref()));
    findings
}

fn check_claude_on_path() -> Finding {
    match crate::process::lookup::find(std::ffi::OsStr::new("claude")) {
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

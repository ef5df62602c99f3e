//! What decides which account a profile is: the routes around its login, accounts two profiles
//! (or a profile and the default config) share, and what `~/.claude` (or the shared source) lends every profile.

use std::path::{Path, PathBuf};

use super::{Finding, Level, finding};
use crate::claude_code::account;
use crate::claude_code::default_config::DefaultConfig;
use crate::claude_code::routes;
use crate::fsx;
use crate::profile_name::ProfileName;
use crate::share::{self, Item, Sharing, Status};
use crate::store::Store;

/// The shared CLAUDE.md (~/.claude's, or `CCS_SHARED_FROM`'s) reaches a profile through the
/// link ccs makes to it, or the copy in copy mode: Claude Code reads the memory file of the
/// config dir it runs with. Names the profiles it reaches.
pub(super) fn check_shared_memory(store: &Store) -> Option<Finding> {
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

/// Every route around the profiles' logins that applies (see [`routes`]): in the environment,
/// in `~/.claude/settings.json` and in each profile's own, and a login profile of
/// `~/.config/anthropic` that logs in the profiles without a login of their own.
pub(super) fn check_routes(store: &Store, home_claude: Option<&Path>) -> Vec<Finding> {
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
fn check_anthropic_login_profile(store: &Store, names: &[ProfileName]) -> Option<Finding> {
    let home = fsx::home_dir().ok()?;
    let (dir, active) = routes::anthropic_login_profile(&home)?;
    let reached: Vec<String> = names
        .iter()
        .filter(|n| !crate::claude_code::account::Account::read(&store.instance_dir(n)).logged_in)
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
/// `/login` again. The default config (`~/.claude`, its account in `~/.claude.json` under
/// `home`) is one more login that can share an account with a profile.
pub(super) fn check_shared_accounts(store: &Store, home: Option<&Path>) -> Vec<Finding> {
    let mut by_account: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for name in store.names().unwrap_or_default() {
        if let Some(uuid) = account::account_uuid(&store.instance_dir(&name)) {
            by_account.entry(uuid).or_default().push(name.to_string());
        }
    }
    let default_uuid = home.and_then(|home| {
        account::account_uuid_in(&DefaultConfig::at(home).account_files().global_config)
    });
    by_account
        .into_iter()
        .filter_map(|(uuid, profiles)| {
            if default_uuid.as_ref() == Some(&uuid) {
                return Some(shared_with_default(&profiles));
            }
            (profiles.len() > 1).then(|| finding(
                Level::Warn,
                format!(
                    "profiles {} are logged into the same account: each login refresh in one logs the others out",
                    profiles.join(", ")
                ),
                Some(format!(
                    "keep one profile per account (ccs remove {}), or /login to another account there",
                    profiles[1..].join(" ")
                )),
            ))
        })
        .collect()
}

/// Profiles logged into the account of the default config (`~/.claude`): a login refresh in
/// either logs the other out, as between two profiles.
fn shared_with_default(profiles: &[String]) -> Finding {
    let (whom, there) = match profiles {
        [one] => (format!("profile {one} is"), "there"),
        _ => (format!("profiles {} are", profiles.join(", ")), "in each"),
    };
    finding(
        Level::Warn,
        format!(
            "{whom} logged into the same account as {} (Claude Code's default config, ~/.claude.json): each login refresh in one logs the other out",
            DefaultConfig::LABEL
        ),
        Some(format!(
            "use that account from one place only: ccs remove {} (and use {} with ccs off), or /login to another account {there}",
            profiles.join(" "),
            DefaultConfig::LABEL
        )),
    )
}

/// Working anywhere under the home directory, the client reads `~/.claude/CLAUDE.md` and
/// `~/.claude/rules/` as a project's instructions (and, started in the home directory itself,
/// `~/.claude/settings.json` as a project's settings), whatever the config dir: every profile,
/// `--isolated` ones too, gets them there.
pub(super) fn check_home_project_files(home_claude: Option<&Path>) -> Option<Finding> {
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

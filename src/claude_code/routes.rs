//! The routes around a profile's login: settings and variables with which today's Claude Code
//! (read from its code and tested against it) takes its login, or its whole config dir,
//! from somewhere other than the config dir ccs switched to. `ccs doctor` names every one that
//! applies; `ccs use` and `ccs exec` warn about one that would defeat the switch.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// Where a route is set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// The environment of this shell.
    Env,
    /// The `env` block of a `settings.json`, which the client applies to itself at start.
    SettingsEnv,
    /// A key of a `settings.json`.
    Setting,
}

/// One route: its name, where it is read, what it does to the profiles.
pub(crate) struct Route {
    pub name: &'static str,
    pub places: &'static [Place],
    pub effect: &'static str,
}

const ENV_OR_SETTINGS: &[Place] = &[Place::Env, Place::SettingsEnv];

/// Every route, in the client's order of precedence where it has one.
pub(crate) const ROUTES: &[Route] = &[
    Route {
        name: super::ssh::SOCKET_VAR,
        places: &[Place::Env],
        effect: "Claude Code sends its API requests through that socket (a `claude ssh` session): \
                 the launcher at its other end supplies the login, not the profile",
    },
    Route {
        name: "ANTHROPIC_AUTH_TOKEN",
        places: ENV_OR_SETTINGS,
        effect: "Claude Code uses it instead of the profile's login",
    },
    Route {
        name: "CLAUDE_CODE_OAUTH_TOKEN",
        places: ENV_OR_SETTINGS,
        effect: "Claude Code uses it instead of the profile's login",
    },
    Route {
        name: "ANTHROPIC_API_KEY",
        places: ENV_OR_SETTINGS,
        effect: "Claude Code uses it instead of the profile's login",
    },
    Route {
        name: "apiKeyHelper",
        places: &[Place::Setting],
        effect: "every login becomes the key that command prints (api_key_helper)",
    },
    Route {
        name: "ANTHROPIC_PROFILE",
        places: ENV_OR_SETTINGS,
        effect: "a login profile of ~/.config/anthropic overrides the profile's own login",
    },
    Route {
        name: super::SECURESTORAGE_DIR_VAR,
        places: ENV_OR_SETTINGS,
        effect: "the login is read from and written to that directory: every profile shares one login",
    },
    Route {
        name: "CLAUDE_CONFIG_DIR",
        places: &[Place::SettingsEnv],
        effect: "Claude Code moves its whole config dir there, away from the profile ccs switched to",
    },
];

/// A route found set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Found {
    pub route: &'static str,
    pub effect: &'static str,
    /// `None` for the environment; the settings file otherwise.
    pub file: Option<PathBuf>,
}

/// The routes set (non-empty, or set at all for `CLAUDE_SECURESTORAGE_CONFIG_DIR`, whose empty
/// value means `~/.claude`) in this process's environment.
pub(crate) fn in_env() -> Vec<Found> {
    ROUTES
        .iter()
        .filter(|r| r.places.contains(&Place::Env))
        // Set but empty counts for CLAUDE_SECURESTORAGE_CONFIG_DIR alone: the client then keeps
        // the login in `~/.claude` (`t || ~/.claude`), for every profile.
        .filter(|r| {
            std::env::var_os(r.name)
                .is_some_and(|v| !v.is_empty() || r.name == super::SECURESTORAGE_DIR_VAR)
        })
        .map(|r| Found {
            route: r.name,
            effect: r.effect,
            file: None,
        })
        .collect()
}

/// The routes a `settings.json` sets (in its `env` block, or as keys). An unreadable or broken
/// file sets none: Claude Code would not apply it either.
pub(crate) fn in_settings(file: &Path) -> Vec<Found> {
    let Ok(bytes) = std::fs::read(file) else {
        return Vec::new();
    };
    let Ok(settings) = serde_json::from_slice::<Value>(&bytes) else {
        return Vec::new();
    };
    ROUTES
        .iter()
        .filter(|r| {
            let in_env = r.places.contains(&Place::SettingsEnv)
                && settings.get("env").and_then(|e| e.get(r.name)).is_some();
            let as_key = r.places.contains(&Place::Setting)
                && settings.get(r.name).is_some_and(|v| !v.is_null());
            in_env || as_key
        })
        .map(|r| Found {
            route: r.name,
            effect: r.effect,
            file: Some(file.to_path_buf()),
        })
        .collect()
}

/// The routes that would defeat a switch to the profile at `dir`: the environment's, and its
/// user `settings.json`'s (the only settings file whose `env` the client lets move the config
/// dir). One file read; `ccs use` runs this.
pub(crate) fn against_profile(dir: &Path) -> Vec<Found> {
    let mut found = in_env();
    found.extend(in_settings(&dir.join("settings.json")));
    found
}

/// The directory of the login profiles the client reads (`ANTHROPIC_CONFIG_DIR`, else
/// `$XDG_CONFIG_HOME/anthropic`, else `~/.config/anthropic`) and the name of the active one, if
/// that one logs in a user (`user_oauth`, `oidc_federation`): the client then uses it for any
/// config dir without a claude.ai login of its own.
pub(crate) fn anthropic_login_profile(home: &Path) -> Option<(PathBuf, String)> {
    let nonempty = |var: &str| std::env::var_os(var).filter(|v| !v.is_empty());
    let dir = nonempty("ANTHROPIC_CONFIG_DIR")
        .map(PathBuf::from)
        .or_else(|| nonempty("XDG_CONFIG_HOME").map(|x| PathBuf::from(x).join("anthropic")))
        .unwrap_or_else(|| home.join(".config/anthropic"));
    let active = std::fs::read_to_string(dir.join("active_config"))
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "default".to_owned());
    let config: Value = serde_json::from_slice(
        &std::fs::read(dir.join("configs").join(format!("{active}.json"))).ok()?,
    )
    .ok()?;
    let kind = config.get("authentication")?.get("type")?.as_str()?;
    matches!(kind, "user_oauth" | "oidc_federation").then_some((dir, active))
}

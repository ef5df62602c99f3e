//! The client's global config file ([`super::GLOBAL_CONFIG_FILE`]): which of its top-level keys
//! are the user's preferences and user-scope MCP servers (what ccs carries into profiles), which
//! are per account or per machine, where the default config keeps it, how the client locks it,
//! and what it records about MCP servers waiting for a sign-in. Read from the client's code at
//! [`super::VERSION`] (`strings` of the native binary; the names below are its minified ones).

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result, bail};

/// The top-level key of the user-scope MCP servers: `claude mcp add --scope user` runs
/// `Py(Y=>({...Y,mcpServers:{...Y.mcpServers,[e]:y}}),…,{writesOnlyUnderLock:!0})`, a locked
/// update of the global config (`Hce()`, `case"user"`). Local-scope servers live in
/// `projects[<path>].mcpServers`, per project state, and stay behind.
pub(crate) const MCP_SERVERS: &str = "mcpServers";

/// The user's preferences ccs carries: the client's own list of user-settable global config
/// keys (`var ZWs=[…]`, tested by `isGlobalConfigKey` (`Xvd`), right after `function fo(e)`),
/// in its order, without [`NOT_CARRIED`]. Everything else in the file is the account's or the
/// machine's (`oauthAccount`, `userID`, `projects`, caches, the counters of `Ih`, …).
pub(crate) const PREFERENCES: [&str; 43] = [
    "installMethod",
    "autoUpdates",
    "autoUpdatesProtectedForNative",
    "theme",
    "verbose",
    "preferredNotifChannel",
    "shiftEnterKeyBindingInstalled",
    "editorMode",
    "hasUsedBackslashReturn",
    "autoCompactEnabled",
    "autoScrollEnabled",
    "showTurnDuration",
    "externalEditorContext",
    "showMessageTimestamps",
    "diffTool",
    "todoFeatureEnabled",
    "showExpandedTodos",
    "briefTranscript",
    "diffSidebarOpen",
    "messageIdleNotifThresholdMs",
    "autoConnectIde",
    "autoInstallIdeExtension",
    "fileCheckpointingEnabled",
    "terminalProgressBarEnabled",
    "showStatusInTerminalTab",
    "taskCompleteNotifEnabled",
    "inputNeededNotifEnabled",
    "agentPushNotifEnabled",
    "respectGitignore",
    "claudeInChromeDefaultEnabled",
    "hasCompletedClaudeInChromeOnboarding",
    "lspRecommendationDisabled",
    "lspRecommendationNeverPlugins",
    "copyFullResponse",
    "copyOnSelect",
    "leftArrowOpensAgents",
    "defaultToAgentsView",
    "prStatusFooterEnabled",
    "remoteControlAtStartup",
    "autoUploadSessions",
    "autoAddRemoteControlDaemonWorker",
    "remoteDialogSeen",
    "workflowSizeGuideline",
];

/// Keys of the client's user-settable list that ccs leaves behind, and why (the record of the
/// decision; a test holds it apart from [`PREFERENCES`]).
#[cfg_attr(
    not(test),
    expect(dead_code, reason = "documents the decision; checked by a test")
)]
pub(crate) const NOT_CARRIED: [(&str, &str); 4] = [
    (
        "apiKeyHelper",
        "a login route: every login becomes that key (see routes)",
    ),
    (
        "env",
        "a login route: it can set ANTHROPIC_API_KEY or CLAUDE_CONFIG_DIR (see routes)",
    ),
    (
        "tipsHistory",
        "a counter (`Ih=new Set([…,\"tipsHistory\",…])`), the account's usage",
    ),
    (
        "lspRecommendationIgnoredCount",
        "a counter (in `Ih`), the account's usage",
    ),
];

/// Preferences the client now keeps in `settings.json` (`bMe=[…]`): it reads them from the
/// settings first and from the global config only as a fallback (`source:"legacyGlobalConfig"`),
/// and its migration `En()` (run while the file's `migrationVersion` is not 15) writes each
/// one the global config holds and `settings.json` lacks into the user's `settings.json`. In a
/// profile whose `settings.json` is a link to the user's, that write lands in
/// `~/.claude/settings.json` (the real client does it through the link); so ccs carries these
/// only into a profile with a `settings.json` of its own. Into the others they come through
/// the shared `settings.json`, where the user's own client already moved them.
pub(crate) const KEPT_IN_SETTINGS: [&str; 16] = [
    "theme",
    "editorMode",
    "verbose",
    "preferredNotifChannel",
    "autoCompactEnabled",
    "autoScrollEnabled",
    "fileCheckpointingEnabled",
    "showTurnDuration",
    "showMessageTimestamps",
    "terminalProgressBarEnabled",
    "todoFeatureEnabled",
    "teammateMode",
    "remoteControlAtStartup",
    "autoUploadSessions",
    "inputNeededNotifEnabled",
    "agentPushNotifEnabled",
];

/// `autoUpdates:false`, unless `autoUpdatesProtectedForNative` is true, is moved the same way
/// by the migration `_n()`: it writes `env.DISABLE_AUTOUPDATER="1"` into the user's
/// `settings.json` and deletes both keys from the global config.
pub(crate) const AUTO_UPDATES: &str = "autoUpdates";
pub(crate) const AUTO_UPDATES_PROTECTED: &str = "autoUpdatesProtectedForNative";

/// Whether the client, started on a config dir whose global config holds `config`'s values,
/// would move `key` into `settings.json` (see [`KEPT_IN_SETTINGS`], [`AUTO_UPDATES`]).
pub(crate) fn moves_to_settings(
    key: &str,
    config: &serde_json::Map<String, serde_json::Value>,
) -> bool {
    if KEPT_IN_SETTINGS.contains(&key) {
        return true;
    }
    if key == AUTO_UPDATES || key == AUTO_UPDATES_PROTECTED {
        return config.get(AUTO_UPDATES) == Some(&serde_json::Value::Bool(false))
            && config.get(AUTO_UPDATES_PROTECTED) != Some(&serde_json::Value::Bool(true));
    }
    false
}

/// The global config that goes with a config dir, as the client finds it:
/// `join(process.env.CLAUDE_CONFIG_DIR||homedir, ".claude"+…+".json")` (`rQt()`). The default
/// config dir `~/.claude` is used without `CLAUDE_CONFIG_DIR`, so its file is `~/.claude.json`
/// beside it, in the home directory; any other dir keeps it inside.
pub(crate) fn file_of(config_dir: &Path, home: Option<&Path>) -> PathBuf {
    match home {
        Some(home) if config_dir == home.join(super::DEFAULT_DIR) => {
            home.join(super::GLOBAL_CONFIG_FILE)
        }
        _ => config_dir.join(super::GLOBAL_CONFIG_FILE),
    }
}

/// The file's mode when the client writes it (`mode:384`, 0600, in `saveConfigWithLock`).
pub(crate) const FILE_MODE: u32 = 0o600;

/// The client's lock on its global config: `saveConfigWithLock` (`po()`) takes
/// `` `${file}.lock` `` with its bundled proper-lockfile (`lock(file,{lockfilePath,…})`, no
/// `stale` given), re-reads the file under it (`X=await wc()`), applies its change to what it
/// read and writes. The lock is a directory made with `mkdir`; `EEXIST` means held.
pub(crate) fn lock_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(super::locks::LOCK_SUFFIX);
    PathBuf::from(name)
}

/// proper-lockfile's default stale time, the one the config lock uses
/// (`function b(e){return"stale"in e?Math.max(e.stale||0,2000):1e4}`); its holder touches the
/// directory every `stale/2` = 5 s. A lock untouched for longer is abandoned: the client then
/// removes it and makes it once more (`A(i,…,(y)=>y?t(y):k(e,!1,t))`), failing if that `mkdir`
/// finds it taken again.
pub(crate) const LOCK_STALE_AFTER: Duration = Duration::from_secs(10);

/// How long ccs waits for a held lock: longer than the stale time, so that a lock its holder
/// abandoned is taken over, while one a live client keeps touching fails the command.
pub(crate) const LOCK_WAIT: Duration = Duration::from_secs(12);

/// The config lock, held; removed when dropped.
pub(crate) struct Lock {
    dir: PathBuf,
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_dir(&self.dir);
    }
}

impl Lock {
    /// Takes the lock on `file` as the client does, waiting up to `wait` while it is held.
    pub(crate) fn acquire(file: &Path, wait: Duration) -> Result<Lock> {
        let dir = lock_path(file);
        let deadline = Instant::now() + wait;
        let mut pause = Duration::from_millis(50);
        loop {
            if take(&dir)? {
                return Ok(Lock { dir });
            }
            if Instant::now() >= deadline {
                bail!(
                    "Claude Code holds {} (a running claude is saving its config); nothing \
                     changed: try again when it is done",
                    dir.display()
                );
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(500));
        }
    }
}

/// One attempt, as proper-lockfile's `k()`: `mkdir`; if held and stale, remove it and `mkdir`
/// once more.
fn take(dir: &Path) -> Result<bool> {
    for first in [true, false] {
        match fs::create_dir(dir) {
            Ok(()) => return Ok(true),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e).with_context(|| format!("cannot make {}", dir.display())),
        }
        if !first {
            return Ok(false);
        }
        let stale = match fs::metadata(dir) {
            Ok(meta) => meta
                .modified()
                .ok()
                .and_then(|m| SystemTime::now().duration_since(m).ok())
                .is_some_and(|age| age > LOCK_STALE_AFTER),
            // Released between the mkdir and the stat: try again at once.
            Err(e) if e.kind() == ErrorKind::NotFound => true,
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
        };
        if !stale {
            return Ok(false);
        }
        match fs::remove_dir(dir) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot remove {}", dir.display())),
        }
    }
    Ok(false)
}

/// The MCP servers a config dir's client found waiting for a sign-in: the client keeps
/// `mcp-needs-auth-cache.json` in the config dir, an object from server name to
/// `{timestamp, id?, ttlMs?}`, written when an HTTP or SSE server answers that it needs
/// OAuth (`qi()`) and the entry deleted when it connects (`Xr()`). The sign-ins themselves are
/// in the login's secure storage (`mcpOAuth`), per account: ccs never reads or copies them.
pub(crate) const NEEDS_AUTH_CACHE: &str = "mcp-needs-auth-cache.json";

/// The names in a config dir's [`NEEDS_AUTH_CACHE`], sorted; none when it is absent or unreadable.
pub(crate) fn needing_sign_in(config_dir: &Path) -> Vec<String> {
    let Ok(bytes) = fs::read(config_dir.join(NEEDS_AUTH_CACHE)) else {
        return Vec::new();
    };
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(map)) => {
            let mut names: Vec<String> = map.keys().cloned().collect();
            names.sort();
            names
        }
        _ => Vec::new(),
    }
}

/// Whether an MCP server's entry is a remote one (HTTP or SSE), whose sign-in is per account.
pub(crate) fn is_remote(server: &serde_json::Value) -> bool {
    matches!(
        server.get("type").and_then(|t| t.as_str()),
        Some("http" | "sse")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_dir_keeps_its_file_beside_it() {
        let home = Path::new("/h");
        assert_eq!(
            file_of(Path::new("/h/.claude"), Some(home)),
            Path::new("/h/.claude.json")
        );
        assert_eq!(
            file_of(Path::new("/h/other"), Some(home)),
            Path::new("/h/other/.claude.json")
        );
        assert_eq!(
            lock_path(Path::new("/h/.claude.json")),
            Path::new("/h/.claude.json.lock")
        );
    }

    #[test]
    fn no_key_is_both_carried_and_left_behind() {
        for (key, _) in NOT_CARRIED {
            assert!(!PREFERENCES.contains(&key), "{key}");
        }
        assert!(!PREFERENCES.contains(&MCP_SERVERS));
    }

    #[test]
    fn a_held_lock_is_waited_for_and_a_stale_one_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(".claude.json");
        let lock = lock_path(&file);
        fs::create_dir(&lock).unwrap();
        let err = Lock::acquire(&file, Duration::from_millis(200))
            .err()
            .unwrap();
        assert!(format!("{err:#}").contains("nothing changed"), "{err:#}");
        assert!(lock.is_dir());
        let old = SystemTime::now() - Duration::from_secs(11);
        fs::File::open(&lock).unwrap().set_modified(old).unwrap();
        let held = Lock::acquire(&file, Duration::from_millis(200)).unwrap();
        assert!(lock.is_dir());
        drop(held);
        assert!(!lock.exists());
    }
}

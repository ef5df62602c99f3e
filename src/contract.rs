//! Every name ccs shares with the outside world: the environment variables it sets or reads and
//! the files it writes. Defined once here (Claude Code's own names are in `claude_code`); the
//! hooks in `shell/` use the same names, and a test (`hooks_use_only_these_names`) checks that
//! they use no other.

#[cfg(test)]
use crate::claude_code::CONFIG_DIR_VAR;

/// The active profile's name, for prompts only (`CONFIG_DIR_VAR` decides).
pub(crate) const PROFILE_VAR: &str = "CCS_PROFILE";
/// Moves the store (default `~/.ccs`).
pub(crate) const HOME_VAR: &str = "CCS_HOME";
/// The directory shared with profiles instead of `~/.claude`.
pub(crate) const SHARED_FROM_VAR: &str = "CCS_SHARED_FROM";
/// The shell to write code for when `--shell` is not given.
pub(crate) const SHELL_VAR: &str = "CCS_SHELL";
/// Set by the hook's `ccs` function on the commands it passes through, so the binary (`ccs
/// doctor`) can tell that the hook is installed in the calling shell.
pub(crate) const HOOK_VAR: &str = "CCS_HOOK";
/// Puts the binary into completion mode. Not clap's default `COMPLETE`: a stray `COMPLETE=bash`
/// in a user's environment must never turn the code `ccs use` prints into completion output.
pub const COMPLETE_VAR: &str = "CCS_COMPLETE";
/// The macOS `security` program ccs runs for Claude Code's Keychain logins (default
/// /usr/bin/security on macOS; unset elsewhere, where there is no Keychain); set but empty,
/// the Keychain is left alone. The tests run the whole path on Linux with a stand-in.
pub(crate) const KEYCHAIN_TOOL_VAR: &str = "CCS_SECURITY";
/// Silences the notes of the auto-switch (read by the hooks, and by `ccs use --pinned-by`).
pub(crate) const AUTO_QUIET_VAR: &str = "CCS_AUTO_QUIET";
/// The profile this shell was on before its last switch, for `ccs use -`: set by the code a
/// switch prints, empty for none (Claude Code's default), unset when there is none to go back
/// to. Exported, so that `eval "$(ccs use -)"` works without the hook too.
pub(crate) const PREVIOUS_VAR: &str = "CCS_PREVIOUS";
/// tmux's own: set in every pane of a tmux server. A switch inside tmux also sets the session's
/// environment, so that new panes and windows start on the same profile.
pub(crate) const TMUX_VAR: &str = "TMUX";

/// The active profile's name, carried to the hosts `ssh` logs in to. `LC_`, because the ssh
/// client and server of Debian, Ubuntu and macOS pass every `LC_*` variable as they ship
/// (`SendEnv LANG LC_*` in `ssh_config`, `AcceptEnv LANG LC_*` in `sshd_config`), so the name
/// travels with no configuration on either side; glibc reads only the `LC_*` names of its own
/// categories and ignores this one. Only the name, never a path or a login: the other end
/// validates it and switches to its own profile of that name at start (`ccs init`). Present in
/// a shell's environment (even empty) only after `ccs init SHELL --ssh` or an ssh login that
/// brought it: then every switch keeps it equal to `CCS_PROFILE` (empty for none).
pub(crate) const SSH_PROFILE_VAR: &str = "LC_CCS_PROFILE";
/// sshd's own: set in every session it starts, so it marks a shell as a remote login.
pub(crate) const SSH_CONNECTION_VAR: &str = "SSH_CONNECTION";

/// Every variable above, for the test that holds the hooks to them.
#[cfg(test)]
pub(crate) const ALL_VARS: [&str; 10] = [
    CONFIG_DIR_VAR,
    PROFILE_VAR,
    HOME_VAR,
    SHARED_FROM_VAR,
    SHELL_VAR,
    HOOK_VAR,
    COMPLETE_VAR,
    AUTO_QUIET_VAR,
    PREVIOUS_VAR,
    SSH_PROFILE_VAR,
];

/// The member `ccs continue` adds to each line with usage it copies into another profile's
/// transcript, naming the profile it came from: that profile counts the line, so `ccs usage`
/// counts it nowhere else (the client keeps members it does not know, also when it re-records
/// the line into a forked conversation).
pub(crate) const HANDED_FROM_KEY: &str = "ccsHandedFrom";

/// The file that pins a directory tree to a profile (`ccs pin`). It only ever holds a name.
pub(crate) const PIN_FILE: &str = ".ccs-profile";
/// The store's directory of profiles, in `CCS_HOME`.
pub(crate) const INSTANCES_DIR: &str = "instances";
/// The store's settings (the default profile), in `CCS_HOME`.
pub(crate) const CONFIG_FILE: &str = "config.json";
/// What `ccs list` measured per profile, in `CCS_HOME`.
pub(crate) const LIST_CACHE_FILE: &str = "list-cache.tsv";
/// What `ccs usage` counted in each profile's transcripts, one file per profile, in `CCS_HOME`.
pub(crate) const USAGE_CACHE_DIR: &str = "usage-cache";
/// The rate limits `ccs statusline` last recorded, one `<profile>.json` per profile, in
/// `CCS_HOME`.
pub(crate) const RATE_LIMITS_DIR: &str = "rate-limits";
/// A profile's share mode and opt-outs, inside its config dir (Claude Code ignores it).
pub(crate) const SHARING_FILE: &str = ".ccs.json";
/// The store's default place, in the home directory.
pub(crate) const DEFAULT_STORE_DIR: &str = ".ccs";

//! The tmux server this shell runs in: a profile in its global environment (the server was
//! started from a shell on a profile) is what every new pane of a session that never switched
//! starts on. A switch inside tmux sets the session's environment, which wins over the global
//! one; sessions created later, and panes of sessions that never switched, still get the global.

use std::process::{Command, Stdio};

use super::{Finding, Level, finding};
use crate::claude_code::CONFIG_DIR_VAR;
use crate::contract::{PROFILE_VAR, TMUX_VAR};
use crate::store::Store;

pub(super) fn check_tmux(store: &Store) -> Option<Finding> {
    std::env::var_os(TMUX_VAR).filter(|v| !v.is_empty())?;
    // The server of this pane: tmux finds it from $TMUX.
    let out = Command::new("tmux")
        .args(["show-environment", "-g", CONFIG_DIR_VAR])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    // `NAME=value` when set; `-NAME` (marked for removal) or an error when not.
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(dir) = text
        .trim_end_matches('\n')
        .strip_prefix(&format!("{CONFIG_DIR_VAR}="))
    else {
        return Some(finding(
            Level::Ok,
            "the tmux server's global environment holds no profile",
            None,
        ));
    };
    let which = store
        .profile_for_config_dir(std::ffi::OsStr::new(dir))
        .map_or_else(String::new, |name| format!(" (profile '{name}')"));
    Some(finding(
        Level::Warn,
        format!(
            "this tmux server was started on {CONFIG_DIR_VAR}={dir}{which}: a new pane or session \
             that was never switched with `ccs use` or `ccs off` inside tmux starts on it"
        ),
        Some(format!(
            "tmux set-environment -g -u {CONFIG_DIR_VAR} \\; set-environment -g -u {PROFILE_VAR} \
             (or start tmux from a shell on no profile)"
        )),
    ))
}

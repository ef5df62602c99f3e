//! The integration tests, one binary: each module is what was once a test file of its own, and
//! keeps its name, so `cargo test --test it listing::` runs what `cargo test --test listing`
//! ran. `common` and `usage_support` are the helpers they share.
//!
//! The modules under `cfg(unix)` drive Unix shells and check Unix modes, links or signals. The
//! Windows build is proved apart (cross-compiled, and run under Wine: `windows`, and the README's
//! platforms section).

mod common;
mod usage_support;

mod architecture;
#[cfg(unix)]
mod claude;
#[cfg(unix)]
mod claude_home;
#[cfg(unix)]
mod cli;
#[cfg(unix)]
mod completion_first_week;
mod completion_powershell;
#[cfg(unix)]
mod completion_protocol;
mod completion_scripts;
mod completion_tab;
#[cfg(unix)]
mod continue_on;
#[cfg(unix)]
mod default_config;
#[cfg(unix)]
mod doctor;
#[cfg(unix)]
mod editor;
#[cfg(unix)]
mod first_week_commands;
#[cfg(unix)]
mod first_week_shell;
#[cfg(unix)]
mod global_config;
#[cfg(unix)]
mod hardening;
#[cfg(unix)]
mod housekeeping;
mod interactive;
#[cfg(unix)]
mod keychain;
mod keychain_cmds;
#[cfg(unix)]
mod listing;
#[cfg(unix)]
mod node_ccs;
mod notices;
#[cfg(unix)]
mod nushell;
mod portable;
mod powershell;
mod prompt_cost;
mod prompt_order;
mod reference;
#[cfg(unix)]
mod run_as;
#[cfg(unix)]
mod share_items;
#[cfg(unix)]
mod shared;
mod shells;
#[cfg(unix)]
mod ssh;
#[cfg(unix)]
mod switching;
mod usage;
mod usage_claude;
#[cfg(unix)]
mod usage_files;
mod usage_history;
#[cfg(unix)]
mod usage_statusline;
#[cfg(unix)]
mod usage_trust;
#[cfg(target_os = "linux")]
mod windows;

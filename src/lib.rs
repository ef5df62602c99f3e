//! ccs: one Claude Code config dir per profile, switched per terminal through
//! `CLAUDE_CONFIG_DIR`. The binary prints shell code; the hooks in `shell/` evaluate it.

pub mod account;
pub mod cli;
pub mod commands;
pub mod completion;
pub mod config;
pub mod doctor;
pub mod housekeeping;
pub mod listing;
pub mod profile_name;
pub mod shared;
pub mod shell;
pub mod store;

//! ccs: one Claude Code config dir per profile, switched per terminal through
//! `CLAUDE_CONFIG_DIR`. The binary prints shell code; the hooks in `shell/` evaluate it.
//! ARCHITECTURE.md draws the layers and what each may use.
//!
//! The library exists for the binary, the tests and the fuzz target, and exports only what they
//! use; everything else is private to the crate, so the compiler sees dead code.

mod claude_code;
mod cleaning;
mod cmd;
mod config;
mod contract;
mod disk;
mod doctor;
mod fsx;
mod keychain;
mod list_cache;
mod process;
mod profile_name;
mod share;
mod shell;
mod store;
mod ui;
mod usage;

/// The command line (`ccs` itself): parse with [`Cli`], run with [`run`].
pub use cmd::{Cli, answer_completion_request, run};
/// Keychain names and the `security` runner, for the tests that drive them with a stand-in.
pub use keychain::{Keychain, Orphan, service_name};
/// The shells ccs writes code for, and how it quotes for each: the fuzz target's oracle.
pub use shell::Shell;
/// Facts the tests hold the binary and the real client to.
pub use {claude_code::VERSION as CLAUDE_CODE_VERSION, contract::COMPLETE_VAR};
/// For messages: one line, control characters escaped; sizes as `du -h` shows them.
pub use {disk::human_size, ui::one_line};

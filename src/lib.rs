//! ccs: one Claude Code config dir per profile, switched per terminal through
//! `CLAUDE_CONFIG_DIR`. The binary prints shell code; the hooks in `shell/` evaluate it.
//!
//! Layers, from the command line down (README, "Where things live"): `cmd` (one file per
//! command) uses the model (`store`, `share`, `account`, `listing`, `parts`, `cleaning`,
//! `doctor`, `config`), which stands on `fsx`, `size`, `names` and `notice`. `shell` renders
//! switches and holds the hooks; `completion` answers Tab.

pub mod account;
pub mod cleaning;
pub mod client;
pub mod cmd;
pub mod completion;
pub mod config;
pub mod doctor;
pub mod fsx;
pub mod keychain;
pub mod listing;
pub mod names;
pub mod notice;
pub mod parts;
pub mod profile_name;
pub mod program;
pub mod routes;
pub mod share;
pub mod shell;
pub mod size;
pub mod store;
pub mod usage;

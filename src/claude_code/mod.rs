//! Everything ccs knows about Claude Code itself, in one place: what the client keeps in and
//! beside a config dir, how it names, locks and guards what it writes, and every route by which
//! it takes a login from somewhere else. Each fact was read from the client's own code (the
//! JavaScript embedded in the native binary of the npm package `@anthropic-ai/claude-code`,
//! `strings` of it) at [`VERSION`], and the tests run that version to hold ccs to it. The next
//! client release is checked by reading it again here, module by module, and running the suite
//! against it (`CCS_TEST_CLAUDE_VERSION`, see CONTRIBUTING.md).
//!
//! - [`layout`]: what each top-level entry of a config dir is (the user's configuration that ccs
//!   shares, sessions and logs that `clean` may empty, the login, state).
//! - [`account`]: which account a config dir is logged into (never a token).
//! - [`default_config`]: the config the client uses without `CLAUDE_CONFIG_DIR`, `~/.claude`.
//! - [`keychain`]: the macOS Keychain names of a config dir's login.
//! - [`locks`] and [`sessions`]: the client's lock directories and its records of running
//!   sessions.
//! - [`routes`]: settings and variables that take the login or the config dir elsewhere.
//! - [`transcripts`]: where a conversation lives (its transcript and the directories of its own)
//!   and what its transcript says about the accounts it ran under.
//! - [`ssh`]: `claude ssh`, which today's CLI does not launch, and the socket its remote
//!   sessions send their requests through.

pub(crate) mod account;
pub(crate) mod default_config;
pub(crate) mod global_config;
pub(crate) mod keychain;
pub(crate) mod layout;
pub(crate) mod locks;
pub(crate) mod routes;
pub(crate) mod sessions;
pub(crate) mod ssh;
pub(crate) mod transcripts;

/// The Claude Code release every fact in this module was read from and the tests run.
pub const VERSION: &str = "2.1.332";

/// The variable the client reads its config dir from: the truth of which profile is active.
pub(crate) const CONFIG_DIR_VAR: &str = "CLAUDE_CONFIG_DIR";
/// The client's default config dir, in the home directory: shared from, never written.
pub(crate) const DEFAULT_DIR: &str = ".claude";
/// The client's override of where the login lives: when set (even empty), it, not the config
/// dir, names the login's Keychain item or holds its `.credentials.json`.
pub(crate) const SECURESTORAGE_DIR_VAR: &str = "CLAUDE_SECURESTORAGE_CONFIG_DIR";
/// The client's global config inside a config dir set by `CLAUDE_CONFIG_DIR` (beside the default
/// one, as `~/.claude.json`): the account, preferences, project state and user MCP servers.
pub(crate) const GLOBAL_CONFIG_FILE: &str = ".claude.json";
/// The login where no Keychain keeps it (every system but macOS).
pub(crate) const CREDENTIALS_FILE: &str = ".credentials.json";

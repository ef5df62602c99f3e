//! `claude ssh`: what today's client does with it, and which login a session it runs on the
//! remote host uses. Read from the client at `VERSION` (`strings` of the native binary;
//! the names are its minified ones) and run in `tests/it/ssh.rs`.
//!
//! - **There is no `claude ssh` command in the CLI.** The settings schema still describes
//!   `sshConfigs` ("Can be overridden by the [dir] positional argument in `claude ssh <config>
//!   [dir]`"), and the option checks name it (`hasSSH:Boolean(h?.host)`; "cannot be combined
//!   with … `claude ssh`"), but the program's `main` (`tg`) hands the run both its pending
//!   connection and its pending ssh host as `void 0` (`let y=…,O=void 0,E=void 0; … await
//!   Li(O,E,o,y,n)`, and `Li` passes them on as `pendingConnect:o,pendingSSH:e`), and `claude
//!   --help` lists no `ssh`. So `claude ssh devbox` runs no ssh: it is the prompt "ssh devbox",
//!   sent on the login of the config dir it runs in, like any prompt; under `ccs use` or `ccs
//!   exec` that is the profile's (tested).
//! - **The launcher is Claude Desktop.** `sshHostCommands`: "SSH connections in Claude Desktop
//!   … Claude Code itself does not use it"; the updater's note: "updates arrive with Claude
//!   Desktop. On an SSH host, an update reaches new sessions there". Desktop signs in with its
//!   own login, which is in no profile: ccs cannot choose it.
//! - **The remote session runs on the launcher's login, through a socket.** A session is a
//!   `claude ssh` remote (`vB()` → `Iht()`; shown as "local machine (via claude ssh tunnel)")
//!   when `dnd` holds: [`SOCKET_VAR`] set, no `ANTHROPIC_AUTH_TOKEN`, and
//!   `CLAUDE_CODE_OAUTH_TOKEN` (or `ANTHROPIC_API_KEY`, the other unset) equal to
//!   `ssh-placeholder` (`JCe`). And with [`SOCKET_VAR`] set at all, every request to Anthropic's API goes
//!   to the socket (`Kl`: `forAnthropicAPI` → `{unix: s.ANTHROPIC_UNIX_SOCKET}`), where the
//!   launcher adds its credential ("the claude ssh launcher injects a different credential than
//!   the one this policy was fetched with"). The remote config dir's login is not sent, whichever
//!   profile the remote shell is on (tested, with a relay on the socket): a route around the
//!   login, in `routes`.
//!
//! So a profile's login reaches a remote host only by running the client there on a profile of
//! that host's own: what `ccs init SHELL --ssh` carries the name for (see `docs/ssh.md`).

/// The variable that sends the client's API requests to a Unix socket (a `claude ssh` remote's
/// way to its launcher).
pub(crate) const SOCKET_VAR: &str = "ANTHROPIC_UNIX_SOCKET";

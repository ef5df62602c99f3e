//! The command line: one file per command, each owning its arguments (a clap `Args` struct,
//! whose doc comment is the command's help) and its `run`. This file holds the list of commands
//! and what several of them share.
//!
//! Every command builds its whole stdout as one string and hands it back in an [`Outcome`], so
//! that code meant for a shell is written at once or not at all. Where the rest goes is the rule
//! in `ui`.

mod clean;
mod completions;
mod continue_on;
mod create;
mod current;
mod default;
mod doctor;
mod du;
mod exec;
mod import;
mod init;
mod list;
mod off;
mod path;
mod pin;
mod remove;
mod rename;
mod run_as;
mod show;
mod statusline;
mod sync;
mod tab;
mod unpin;
mod usage;
mod use_profile;
mod wrap;

use std::ffi::OsString;
use std::path::Path;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use crate::claude_code::CONFIG_DIR_VAR;
use crate::claude_code::account::Account;
use crate::claude_code::default_config::DefaultConfig;
use crate::claude_code::routes;
use crate::claude_code::sessions;
use crate::contract::{PREVIOUS_VAR, SSH_PROFILE_VAR, TMUX_VAR};
use crate::disk;
use crate::fsx;
use crate::profile_name::ProfileName;
use crate::shell::{Shell, Switch};
use crate::store::Store;
use crate::ui;

pub use tab::answer_if_asked as answer_completion_request;

#[derive(Debug, Parser)]
#[command(
    name = "ccs",
    version = version_text(),
    arg_required_else_help = true,
    about = "Use several Claude Code accounts at once, one per terminal",
    long_about = "Use several Claude Code accounts at once, one per terminal.\n\n\
        Each profile is its own Claude Code config dir under $CCS_HOME/instances (default \
        ~/.ccs). `ccs use NAME` switches the current terminal by setting CLAUDE_CONFIG_DIR; \
        install the shell hook (`ccs init --help`) so that it works without `eval`.\n\n\
        `ccs NAME [ARGS]...` runs claude as profile NAME, like `ccs exec NAME -- claude \
        [ARGS]...`. Commands come first: a profile named like a command is reached with \
        `ccs exec`."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// When to colour what a person reads (doctor's levels, the active profile, usage bars);
    /// auto follows NO_COLOR, CLICOLOR_FORCE and whether stdout is a terminal
    #[arg(long, global = true, value_name = "WHEN", default_value = "auto")]
    pub color: clap::ColorChoice,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Create(create::Create),
    #[command(visible_alias = "ls")]
    List(list::List),
    Use(use_profile::Use),
    Off(off::Off),
    Current(current::Current),
    Show(show::Show),
    Sync(sync::Sync),
    Rename(rename::Rename),
    Import(import::Import),
    Du(du::Du),
    Clean(clean::Clean),
    Path(path::PathCmd),
    #[command(visible_alias = "rm")]
    Remove(remove::Remove),
    Exec(exec::Exec),
    #[command(name = "continue")]
    Continue(continue_on::Continue),
    Default(default::Default),
    Pin(pin::Pin),
    Unpin(unpin::Unpin),
    Doctor(doctor::Doctor),
    Usage(usage::Usage),
    Statusline(statusline::Statusline),
    Init(init::Init),
    Completions(completions::Completions),
    Wrap(wrap::Wrap),
    /// `ccs NAME [ARGS]...`: claude as profile NAME (see `run_as`).
    #[command(external_subcommand)]
    Profile(Vec<OsString>),
}

/// A command's stdout and exit code.
pub struct Outcome {
    pub stdout: String,
    pub code: u8,
}

impl Outcome {
    pub fn print(stdout: String) -> Self {
        Self { stdout, code: 0 }
    }

    /// Success with nothing on stdout.
    pub fn nothing() -> Self {
        Self::print(String::new())
    }

    /// A quiet "no": nothing on stdout, exit 1 (as `ccs current` with no active profile).
    pub fn no() -> Self {
        Self {
            stdout: String::new(),
            code: 1,
        }
    }

    /// A report for a person: control characters from paths and names shown escaped.
    pub fn report(text: &str) -> Self {
        Self::print(ui::lines(text))
    }

    /// A report whose lines `paint` colours when stdout takes colour: after they are escaped,
    /// so that only ccs's own escape sequences reach the terminal.
    fn painted_report(text: &str, paint: impl Fn(&str) -> String) -> Self {
        Self::print(paint_lines(ui::lines(text), paint))
    }
}

/// `text` with each line through `paint`, when stdout takes colour; `text` must hold no escape
/// sequence of its own (a report already escaped, or a table of names ccs checked).
fn paint_lines(text: String, paint: impl Fn(&str) -> String) -> String {
    if !ui::paints_stdout() {
        return text;
    }
    text.split_inclusive('\n')
        .map(|line| match line.strip_suffix('\n') {
            Some(line) => paint(line) + "\n",
            None => paint(line),
        })
        .collect()
}

pub fn run(cli: Cli) -> Result<Outcome> {
    ui::set_color(cli.color);
    match cli.command {
        Command::Create(c) => c.run(),
        Command::List(c) => c.run(),
        Command::Use(c) => c.run(),
        Command::Off(c) => c.run(),
        Command::Current(c) => c.run(),
        Command::Show(c) => c.run(),
        Command::Sync(c) => c.run(),
        Command::Rename(c) => c.run(),
        Command::Import(c) => c.run(),
        Command::Du(c) => c.run(),
        Command::Clean(c) => c.run(),
        Command::Path(c) => c.run(),
        Command::Remove(c) => c.run(),
        Command::Exec(c) => c.run(),
        Command::Continue(c) => c.run(),
        Command::Default(c) => c.run(),
        Command::Pin(c) => c.run(),
        Command::Unpin(c) => c.run(),
        Command::Doctor(c) => c.run(),
        Command::Usage(c) => c.run(),
        Command::Statusline(c) => c.run(),
        Command::Init(c) => c.run(),
        Command::Completions(c) => c.run(),
        Command::Wrap(c) => c.run(),
        Command::Profile(words) => run_as::run(words),
    }
}

/// A command's long help, as `ccs COMMAND --help` prints it.
fn help_of(command: &str) -> String {
    use clap::CommandFactory;
    let mut cli = Cli::command();
    cli.build();
    cli.find_subcommand_mut(command)
        .map(|c| c.render_long_help().to_string())
        .unwrap_or_default()
}

/// What `ccs --version` prints after `ccs `: this release, and the Claude Code release its facts
/// were read from (`claude_code::VERSION`), e.g. `0.1.0 (Claude Code 2.1.332)`. The version
/// itself is Cargo.toml's, its one place.
fn version_text() -> &'static str {
    static TEXT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "{} (Claude Code {})",
            env!("CARGO_PKG_VERSION"),
            crate::claude_code::VERSION
        )
    });
    &TEXT
}

/// The names clap gives the commands (aliases included): `ccs NAME` means a command, never a
/// profile, when NAME is one of these.
pub(crate) fn command_names() -> Vec<String> {
    use clap::CommandFactory;
    Cli::command()
        .get_subcommands()
        .flat_map(|c| {
            std::iter::once(c.get_name().to_owned()).chain(c.get_all_aliases().map(str::to_owned))
        })
        .chain(["help".to_owned()])
        .collect()
}

// --- what several commands share ---------------------------------------------------------------

/// The profile active in this shell, read from `CLAUDE_CONFIG_DIR` (the truth; `CCS_PROFILE` is
/// only for prompts).
fn active_profile(store: &Store) -> Option<ProfileName> {
    let named = store.profile_for_config_dir(&std::env::var_os(CONFIG_DIR_VAR)?)?;
    Some(store.spelled(named))
}

/// Claude Code's default config (`~/.claude`), when the client has used it: the row `list` and
/// `usage` show for it. Two `stat`s.
fn default_config() -> Option<DefaultConfig> {
    let default = DefaultConfig::at(&fsx::home_dir().ok()?);
    default.exists().then_some(default)
}

/// The one profile a command acts on: the one named, else the one active in this shell.
#[derive(Debug, clap::Args)]
pub(crate) struct ProfileArg {
    /// The profile (default: the one active in this shell)
    #[arg(value_name = "NAME", add = clap_complete::ArgValueCandidates::new(tab::profile_names))]
    name: Option<String>,
}

impl ProfileArg {
    /// The profile as spelled on disk and its directory; `command` is named in the error when
    /// no name was given and no profile is active.
    fn find(&self, store: &Store, command: &str) -> Result<(ProfileName, std::path::PathBuf)> {
        let name = match &self.name {
            Some(raw) => ProfileName::parse(raw)?,
            None => active_profile(store).with_context(|| {
                format!("no profile is active in this shell: name one (ccs {command} NAME)")
            })?,
        };
        store.find(&name)
    }
}

/// The profiles a command that takes `[NAME | --all]` acts on. Without either: every profile,
/// or for `Some(command)` the one active in this shell.
fn targets(
    store: &Store,
    name: Option<&str>,
    all: bool,
    active_for: Option<&str>,
) -> Result<Vec<ProfileName>> {
    match (name, all, active_for) {
        (Some(raw), false, _) => Ok(vec![ProfileName::parse(raw)?]),
        (None, false, Some(command)) => Ok(vec![active_profile(store).with_context(|| {
            format!(
                "no profile is active in this shell: name one (ccs {command} NAME) or pass --all"
            )
        })?]),
        _ => store.names(),
    }
}

/// Said wherever an empty store leaves nothing to show.
fn note_no_profiles() {
    ui::note("no profiles yet; create one with: ccs create <name>");
}

/// Whether this shell carries its profile's name over ssh: it has `LC_CCS_PROFILE`, even empty
/// (from `ccs init SHELL --ssh`, or from the ssh login that started it).
fn carries_over_ssh() -> bool {
    std::env::var_os(SSH_PROFILE_VAR).is_some()
}

/// `switch`, keeping the name carried over ssh in step when this shell carries one.
fn carried(mut switch: Switch) -> Switch {
    if carries_over_ssh() {
        switch.carry_over_ssh();
    }
    switch
}

/// What `CCS_PREVIOUS` holds for "no profile": Claude Code's default, which no profile name can
/// be mistaken for.
const PREVIOUS_NONE: &str = "~/.claude";

/// Where a switch goes: a profile (its directory and name), or none (`Switch::off`).
type Target<'a> = Option<(&'a Path, &'a ProfileName)>;

/// The switch a person asked for in this shell (`use`, `off`, `use -`): it also remembers where
/// the shell was, for `ccs use -`, when that changes, and inside tmux (`tmux`) gives the session
/// the new profile. Whether the profile changes: callers say something only then.
fn switch_here(
    shell: Shell,
    store: Option<&Store>,
    to: Target,
    tmux: bool,
) -> Result<(String, bool)> {
    let config_set = std::env::var_os(CONFIG_DIR_VAR).is_some_and(|v| !v.is_empty());
    let here = store.and_then(active_profile);
    let mut switch = carried(match to {
        Some((dir, name)) => Switch::to_profile(dir, name)?,
        None => Switch::off(),
    });
    let changes = match (to, &here) {
        (Some((_, name)), Some(here)) => name != here,
        (None, None) => config_set,
        _ => true,
    };
    if changes {
        match (here, config_set) {
            (Some(here), _) => switch.set.push((PREVIOUS_VAR, here.as_str().to_owned())),
            (None, false) => switch.set.push((PREVIOUS_VAR, PREVIOUS_NONE.to_owned())),
            // A directory that is not a profile: nothing `ccs use -` could go back to.
            (None, true) => switch.unset.push(PREVIOUS_VAR),
        }
    }
    switch.tmux = tmux && in_tmux();
    Ok((shell.render(&switch)?, changes))
}

/// The code that re-points a shell whose profile was renamed or removed (no switch of the
/// person's: `CCS_PREVIOUS` stays), and its tmux session with it.
fn repoint_code(shell: Shell, to: Target) -> Result<String> {
    let mut switch = carried(match to {
        Some((dir, name)) => Switch::to_profile(dir, name)?,
        None => Switch::off(),
    });
    switch.tmux = in_tmux();
    shell.render(&switch)
}

/// Whether this shell runs in a tmux pane.
fn in_tmux() -> bool {
    std::env::var_os(TMUX_VAR).is_some_and(|v| !v.is_empty())
}

/// One line on stderr when a route around the login (a variable, or the profile's own
/// settings) would defeat the switch to the profile at `dir`.
fn warn_about_login_routes(name: &ProfileName, dir: &Path) {
    if let Some(warning) = login_route_warning(name, dir) {
        ui::warn(format_args!("{warning}"));
    }
}

/// The warning [`warn_about_login_routes`] gives, for a command that says it only once it
/// cannot fail any more.
fn login_route_warning(name: &ProfileName, dir: &Path) -> Option<String> {
    let found = routes::against_profile(dir).into_iter().next()?;
    Some(match &found.file {
        None => format!(
            "{} is set and overrides the login of '{name}': {} (see: ccs doctor)",
            found.route, found.effect
        ),
        Some(file) => format!(
            "{} sets {}: {} (see: ccs doctor)",
            file.display(),
            found.route,
            found.effect
        ),
    })
}

/// Refuses to move or delete files of a config dir Claude Code is running on (its records in
/// `sessions/`), unless `force`: the running client would lose its state, or write it back into
/// a directory that is gone. `what` names the directory for the message (`profile 'work'`).
fn refuse_if_running(what: &str, dir: &Path, force: bool, doing: &str) -> Result<()> {
    let running = sessions::running_sessions(dir);
    if running.is_empty() {
        return Ok(());
    }
    let who = sessions::describe_sessions(&running);
    if force {
        ui::warn(format_args!(
            "Claude Code is running on {what} ({who}); {doing} anyway (--force)"
        ));
        return Ok(());
    }
    anyhow::bail!(
        "Claude Code is running on {what} ({who}): quit it before you {doing}, or pass --force"
    )
}

/// A profile's name, account, path and size: the head of `show` and all of `current -v`.
fn profile_summary(name: &ProfileName, dir: &Path) -> String {
    format!(
        "{name}\n  account: {}\n  path:    {}\n  size:    {}\n",
        Account::read(dir).summary(),
        dir.display(),
        disk::human_size(disk::disk_usage(dir)),
    )
}

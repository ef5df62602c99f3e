//! The command line, defined once: parsing, `--help` and the completion scripts all come from it.

use clap::{Parser, Subcommand};
use clap_complete::ArgValueCandidates;

use crate::completion::profile_names;
use crate::shared::Item;
use crate::shell::Shell;

#[derive(Debug, Parser)]
#[command(
    name = "ccs",
    version,
    about = "Use several Claude Code accounts at once, one per terminal",
    long_about = "Use several Claude Code accounts at once, one per terminal.\n\n\
        Each profile is its own Claude Code config dir under $CCS_HOME/instances (default \
        ~/.ccs). `ccs use NAME` switches the current terminal by setting CLAUDE_CONFIG_DIR; \
        install the shell hook (`ccs init --help`) so that it works without `eval`."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a profile: a private Claude Code config dir of its own
    ///
    /// By default the profile shares your own configuration from ~/.claude (or
    /// $CCS_SHARED_FROM): commands/, skills/, agents/, settings.json and CLAUDE.md, by symlink,
    /// so an edit there is seen by every profile at once. Only what exists is linked. Logins,
    /// history and sessions are always the profile's own.
    Create {
        /// Letters, digits, '.', '_' and '-', starting with a letter or digit
        name: String,
        /// Share nothing: the profile starts with empty commands/ and skills/ of its own
        #[arg(long, conflicts_with_all = ["copy", "no_share"])]
        isolated: bool,
        /// Copy your configuration instead of linking it (for systems without symlinks);
        /// `ccs sync` copies it again
        #[arg(long)]
        copy: bool,
        /// Do not share this item (repeat for more)
        #[arg(long, value_enum, value_name = "ITEM")]
        no_share: Vec<Item>,
    },
    /// List profiles with their accounts, marking the one active in this shell with '*'
    #[command(visible_alias = "ls")]
    List {
        /// One JSON array for scripts: name, path, active, account and size of each profile
        #[arg(long)]
        json: bool,
    },
    /// Print the code that switches this shell to a profile (the hook runs it for you)
    Use {
        #[arg(add = ArgValueCandidates::new(profile_names))]
        name: String,
        /// The shell to write code for [default: detected]
        #[arg(long, value_enum)]
        shell: Option<Shell>,
    },
    /// Print the code that switches this shell back to Claude Code's default ~/.claude
    Off {
        /// The shell to write code for [default: detected]
        #[arg(long, value_enum)]
        shell: Option<Shell>,
    },
    /// Print the profile active in this shell; exit 1 if none is
    Current {
        /// Also show its account (login, plan, e-mail, organisation) and disk size
        #[arg(short, long)]
        verbose: bool,
    },
    /// Show a profile: its account, path, size, and which items are shared or its own
    Show {
        #[arg(add = ArgValueCandidates::new(profile_names))]
        name: String,
    },
    /// Bring profiles in line with ~/.claude: link new items, repair broken links, re-copy
    ///
    /// Never overwrites a file or directory that is the profile's own: it reports it instead.
    /// Without a name, syncs the profile active in this shell.
    Sync {
        #[arg(add = ArgValueCandidates::new(profile_names), conflicts_with = "all")]
        name: Option<String>,
        /// Sync every profile
        #[arg(long)]
        all: bool,
    },
    /// Rename a profile (the hook re-points this shell if it is on it)
    ///
    /// Other terminals on the profile must switch again with `ccs use NEW`; quit Claude Code
    /// running on it first. On macOS Claude Code keys its Keychain login on the config dir's
    /// path, so the renamed profile may need /login again.
    Rename {
        #[arg(add = ArgValueCandidates::new(profile_names))]
        old: String,
        new: String,
        /// The shell to write code for, to re-point it when the profile is active in it
        #[arg(long, value_enum)]
        shell: Option<Shell>,
    },
    /// Disk usage per profile and in total, largest parts first; shared items counted once
    Du {
        /// Only this profile (the total then counts it alone)
        #[arg(add = ArgValueCandidates::new(profile_names))]
        name: Option<String>,
        /// One JSON object for scripts, sizes in bytes
        #[arg(long)]
        json: bool,
    },
    /// Remove a profile's session history and logs, after confirmation
    ///
    /// Sessions: projects/ (conversation transcripts), file-history/, session-env/, todos/,
    /// shell-snapshots/ and Claude Code's other per-session directories. Logs: logs/, debug/,
    /// telemetry/. Never touches the login, .claude.json, settings or the shared items. Quit
    /// Claude Code running on the profile first, or use --older-than.
    #[command(group = clap::ArgGroup::new("which").required(true).args(["name", "all"]))]
    Clean {
        #[arg(add = ArgValueCandidates::new(profile_names))]
        name: Option<String>,
        /// Clean every profile
        #[arg(long)]
        all: bool,
        /// Only session history (without --sessions or --logs: both)
        #[arg(long)]
        sessions: bool,
        /// Only logs (without --sessions or --logs: both)
        #[arg(long)]
        logs: bool,
        /// Only what was last modified longer ago than this: 12h, 30d, 2w
        #[arg(long, value_name = "AGE", value_parser = crate::housekeeping::parse_age)]
        older_than: Option<std::time::Duration>,
        /// List what would be removed and how much room that frees; remove nothing
        #[arg(long)]
        dry_run: bool,
        /// Do not ask for confirmation (needed when stdin is not a terminal)
        #[arg(short, long)]
        yes: bool,
    },
    /// Print a profile's config dir
    Path {
        #[arg(add = ArgValueCandidates::new(profile_names))]
        name: String,
    },
    /// Delete a profile, its login and its history, after confirmation
    #[command(visible_alias = "rm")]
    Remove {
        #[arg(add = ArgValueCandidates::new(profile_names))]
        name: String,
        /// Do not ask for confirmation (needed when stdin is not a terminal)
        #[arg(short, long)]
        yes: bool,
    },
    /// Run one command as a profile, with no shell hook: `ccs exec work -- claude -p "hi"`
    Exec {
        #[arg(add = ArgValueCandidates::new(profile_names))]
        name: String,
        /// The command and its arguments, after `--`. Not `last`: PowerShell drops a `--` from a
        /// function's arguments, so through its hook the command arrives without one.
        #[arg(
            trailing_var_arg = true,
            allow_hyphen_values = true,
            required = true,
            value_name = "COMMAND"
        )]
        command: Vec<std::ffi::OsString>,
    },
    /// Set the profile new terminals start on (shells that inherit one keep it)
    Default {
        /// The profile; without it, print the current default
        #[arg(add = ArgValueCandidates::new(profile_names), conflicts_with = "clear")]
        name: Option<String>,
        /// New terminals start on Claude Code's default ~/.claude again
        #[arg(long)]
        clear: bool,
    },
    /// Pin a profile to this directory tree: writes ./.ccs-profile (see `ccs init --auto`)
    Pin {
        #[arg(add = ArgValueCandidates::new(profile_names))]
        name: String,
    },
    /// Remove ./.ccs-profile
    Unpin,
    /// Check for what silently defeats per-terminal accounts, and say how to fix it
    Doctor,
    /// Print the shell hook: add `eval "$(ccs init bash)"` to ~/.bashrc (see README for others)
    Init {
        #[arg(value_enum)]
        shell: Shell,
        /// Also prefix the prompt with the active profile, like a Python venv: `(work) $`
        #[arg(long)]
        prompt: bool,
        /// Also switch profiles on `cd` into a tree pinned with `ccs pin`, and back on leaving
        #[arg(long)]
        auto: bool,
    },
    /// Print the Tab-completion script alone, for packagers (the hook already includes it)
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
}

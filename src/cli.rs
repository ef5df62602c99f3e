//! The command line, defined once: parsing, `--help` and the completion scripts all come from it.

use clap::{Parser, Subcommand};
use clap_complete::ArgValueCandidates;

use crate::completion::profile_names;
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
    Create {
        /// Letters, digits, '.', '_' and '-', starting with a letter or digit
        name: String,
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
        /// The command and its arguments, after `--`
        #[arg(last = true, required = true, value_name = "COMMAND")]
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

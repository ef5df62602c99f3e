//! `ccs wrap`: ccs as the Claude Code editor extension's process wrapper
//! (`claudeCode.claudeProcessWrapper`). The extension runs the wrapper in place of its bundled
//! `claude`, with that binary's path first and its own arguments after, in the workspace folder,
//! and speaks JSON with it over stdin and stdout: so ccs writes nothing on stdout here, ever,
//! and becomes the binary (exec) on the profile the workspace is pinned to, or unchanged.
//! `--install` and `--uninstall` (in `install.rs`) edit the editor's user settings.

mod install;

use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::Outcome;
use super::exec::run_command;
use super::pin::{nearest_pin, pinned_name};
use crate::profile_name::ProfileName;
use crate::store::Store;
use crate::ui;

pub(super) use install::findings as doctor_findings;

/// Run the editor's Claude Code on the profile pinned to its workspace (the extension's wrapper)
///
/// The Claude Code extension for VS Code, Cursor and Windsurf starts its bundled `claude` with
/// the editor's environment. Set as its `claudeCode.claudeProcessWrapper` (`ccs wrap --install`
/// does it), ccs is started instead, as `ccs wrap <bundled claude> [ARGS]...` in the workspace
/// folder: it finds the nearest `.ccs-profile` at or above that folder (the rule of `ccs init
/// --auto`) and becomes the bundled claude on that profile, its arguments, stdio and exit status
/// untouched. Where no pin applies, claude runs with the environment as given. ccs never writes
/// to stdout here (the extension's protocol); a pin it cannot apply is one line on stderr.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("edit").args(["install", "uninstall"]))]
pub struct Wrap {
    /// Set this ccs as the extension's process wrapper in the editor's user settings.json
    #[arg(long, conflicts_with = "uninstall")]
    install: bool,
    /// Remove the wrapper setting --install wrote
    #[arg(long)]
    uninstall: bool,
    /// The editor whose user settings --install and --uninstall edit
    #[arg(long, value_enum, default_value_t = install::Editor::Code, requires = "edit")]
    editor: install::Editor,
    /// The settings.json to edit instead of the editor's own (a portable install, a profile of
    /// the editor's)
    #[arg(
        long,
        value_name = "FILE",
        requires = "edit",
        conflicts_with = "editor"
    )]
    settings: Option<PathBuf>,
    /// The program the extension starts (its bundled claude) and its arguments
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        required_unless_present = "edit",
        conflicts_with = "edit",
        value_name = "CLAUDE"
    )]
    command: Vec<OsString>,
}

impl Wrap {
    pub fn run(self) -> Result<Outcome> {
        let settings = || install::settings_path(self.editor, self.settings.clone());
        if self.install {
            return install::install(&settings()?);
        }
        if self.uninstall {
            return install::uninstall(&settings()?);
        }
        let profile = pinned_profile();
        run_command(
            &self.command,
            profile.as_ref().map(|(name, dir)| (name, dir.as_path())),
        )
    }
}

/// The profile pinned to the directory ccs was started in, or none: no pin, or one that cannot
/// apply (said in one line on stderr, and claude runs unchanged rather than not at all: a
/// `.ccs-profile` in a cloned repository must not stop the editor's Claude).
fn pinned_profile() -> Option<(ProfileName, PathBuf)> {
    // The directory itself, not $PWD: the extension sets the child's directory, and $PWD is the
    // editor's own.
    let here = std::env::current_dir().ok()?;
    let pin = nearest_pin(&here)?;
    let raw = match pinned_name(&pin) {
        Ok(raw) => raw,
        Err(e) => {
            ui::warn(format_args!(
                "cannot read {}: {e}; claude runs without a profile",
                pin.display()
            ));
            return None;
        }
    };
    let Ok(name) = ProfileName::parse(&raw) else {
        ui::warn(format_args!(
            "ignoring {}: it does not hold a profile name; claude runs without a profile",
            pin.display()
        ));
        return None;
    };
    let found = Store::from_env().and_then(|store| store.find_to_use(&name));
    match found {
        Ok(found) => Some(found),
        Err(e) => {
            let what = match Store::from_env() {
                Ok(store) if store.instance_dir(&name).exists() => {
                    format!("which is unusable ({e:#})")
                }
                _ => "which does not exist".to_owned(),
            };
            ui::warn(format_args!(
                "{} pins profile '{name}', {what}: claude runs without a profile (pin another \
                 there with `ccs pin <profile>`, or `ccs unpin`)",
                pin.display()
            ));
            None
        }
    }
}

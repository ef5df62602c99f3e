//! `ccs wrap --install` and `--uninstall`: the one `claudeCode.claudeProcessWrapper` member of
//! an editor's user settings.json (JSON with comments), written as this ccs's absolute path and
//! taken away again, every other byte of the file kept; and what `doctor` says about it.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::super::Outcome;
use crate::doctor::{Finding, Level};
use crate::fsx;
use crate::usage::settings_file;

/// The extension's setting: the executable it runs instead of its bundled claude.
pub(super) const KEY: &str = "claudeCode.claudeProcessWrapper";

/// The editors the Claude Code extension runs in, by the folder of their user data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Editor {
    /// Visual Studio Code
    Code,
    Cursor,
    Windsurf,
}

impl Editor {
    const ALL: [Editor; 3] = [Editor::Code, Editor::Cursor, Editor::Windsurf];

    /// The folder under the system's application data (`~/.config` on Linux).
    fn folder(self) -> &'static str {
        match self {
            Editor::Code => "Code",
            Editor::Cursor => "Cursor",
            Editor::Windsurf => "Windsurf",
        }
    }

    fn flag(self) -> &'static str {
        match self {
            Editor::Code => "code",
            Editor::Cursor => "cursor",
            Editor::Windsurf => "windsurf",
        }
    }

    /// Its user settings.json: `%APPDATA%\<Editor>\User` on Windows, `~/Library/Application
    /// Support/<Editor>/User` on macOS, `$XDG_CONFIG_HOME/<Editor>/User` (or `~/.config`)
    /// elsewhere, where Electron keeps an app's data.
    fn user_settings(self) -> Result<PathBuf> {
        let base = if cfg!(windows) {
            PathBuf::from(std::env::var_os("APPDATA").context("APPDATA is not set")?)
        } else if cfg!(target_os = "macos") {
            fsx::home_dir()?.join("Library/Application Support")
        } else {
            match std::env::var_os("XDG_CONFIG_HOME").map(PathBuf::from) {
                Some(dir) if dir.is_absolute() => dir,
                _ => fsx::home_dir()?.join(".config"),
            }
        };
        Ok(base.join(self.folder()).join("User").join("settings.json"))
    }
}

/// The file `--install` and `--uninstall` edit: the one named, else the editor's (a link to a
/// file followed: dotfiles keep their link).
pub(super) fn settings_path(editor: Editor, named: Option<PathBuf>) -> Result<PathBuf> {
    let path = match named {
        Some(path) => path,
        None => editor.user_settings()?,
    };
    Ok(fs::canonicalize(&path).unwrap_or(path))
}

/// The settings' text and the blanked JSON it reads as; None for no file.
fn read_settings(path: &Path) -> Result<Option<(String, Value)>> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let value = parse(&text)
        .with_context(|| format!("{} is not a JSON object; nothing changed", path.display()))?;
    Ok(Some((text, value)))
}

/// JSON with comments and trailing commas, as the editor reads it: an object.
fn parse(text: &str) -> Option<Value> {
    let value: Value = serde_json::from_str(&settings_file::blank_jsonc(text)?).ok()?;
    value.is_object().then_some(value)
}

/// The wrapper a settings text sets, when it sets one.
fn wrapper_in(value: &Value) -> Option<&str> {
    value.get(KEY)?.as_str().filter(|s| !s.is_empty())
}

/// A wrapper that is a ccs (`…/ccs`, `…\ccs.exe`, or a `ccs.cmd` that Windows cannot start).
fn is_ccs(wrapper: &str) -> bool {
    let file = wrapper.rsplit(['/', '\\']).next().unwrap_or(wrapper);
    ["ccs", "ccs.exe", "ccs.cmd", "ccs.bat"]
        .iter()
        .any(|name| file.eq_ignore_ascii_case(name))
}

fn this_program() -> Result<String> {
    let exe = std::env::current_exe().context("cannot tell where ccs is installed")?;
    let exe = exe.to_str().context("ccs's path is not UTF-8")?;
    Ok(exe.to_owned())
}

pub(super) fn install(path: &Path) -> Result<Outcome> {
    let program = this_program()?;
    let (text, value) = match read_settings(path)? {
        Some(found) => found,
        None => {
            let dir = path.parent().unwrap_or(Path::new("."));
            if !dir.is_dir() {
                bail!(
                    "{} does not exist: is the editor installed? (or name its settings.json with \
                     --settings FILE)",
                    dir.display()
                );
            }
            ("{}\n".to_owned(), Value::Null)
        }
    };
    match wrapper_in(&value) {
        Some(old) if old == program => {
            return Ok(Outcome::report(&format!(
                "{} already runs Claude Code through {program}\n",
                path.display()
            )));
        }
        Some(old) if !is_ccs(old) => bail!(
            "{} already sets {KEY} to {old}: ccs cannot run after another wrapper; remove it \
             first (nothing changed)",
            path.display()
        ),
        _ => {}
    }
    let member = serde_json::to_string(&program)?;
    let edited = settings_file::set_jsonc(&text, KEY, &member).with_context(|| {
        format!(
            "cannot edit {} safely (a comment where the setting goes?): add this line to it \
             yourself: {}: {member}",
            path.display(),
            serde_json::to_string(KEY).unwrap_or_default()
        )
    })?;
    // What the editor will read must be what was meant (the last of duplicate keys, as its
    // parser takes it).
    if parse(&edited).as_ref().and_then(wrapper_in) != Some(program.as_str()) {
        bail!(
            "cannot edit {} safely (a duplicate \"{KEY}\" key?): nothing changed",
            path.display()
        );
    }
    fsx::write_atomically(path, edited.as_bytes(), fsx::mode_or(path, 0o644))?;
    let was = match wrapper_in(&value) {
        Some(old) => format!("it ran another ccs before: {old}\n"),
        None => String::new(),
    };
    Ok(Outcome::report(&format!(
        "{}: {KEY} is {program}\n{was}Claude Code sessions the editor starts from now on follow \
         the workspace's pin (ccs pin); undo with: ccs wrap --uninstall\n",
        path.display()
    )))
}

pub(super) fn uninstall(path: &Path) -> Result<Outcome> {
    let Some((text, value)) = read_settings(path)? else {
        return Ok(Outcome::report(&format!(
            "{} does not exist; nothing changed\n",
            path.display()
        )));
    };
    let Some(old) = wrapper_in(&value).filter(|w| is_ccs(w)) else {
        return Ok(Outcome::report(&format!(
            "{} does not run Claude Code through ccs; nothing changed\n",
            path.display()
        )));
    };
    let edited = settings_file::remove_jsonc(&text, KEY).with_context(|| {
        format!(
            "cannot edit {} safely (comments around the setting?): remove its \"{KEY}\" line \
             yourself",
            path.display()
        )
    })?;
    if parse(&edited).is_none_or(|v| v.get(KEY).is_some()) {
        bail!(
            "cannot edit {} safely (a duplicate \"{KEY}\" key?): nothing changed",
            path.display()
        );
    }
    fsx::write_atomically(path, edited.as_bytes(), fsx::mode_or(path, 0o644))?;
    Ok(Outcome::report(&format!(
        "{}: removed {KEY} ({old})\n",
        path.display()
    )))
}

/// For `ccs doctor`: each editor whose user settings set a process wrapper that cannot start (a
/// program that is gone, or a `.cmd` Windows cannot spawn), and each that runs through a ccs.
pub(crate) fn findings() -> Vec<Finding> {
    let mut found = Vec::new();
    for editor in Editor::ALL {
        let Ok(path) = editor.user_settings() else {
            continue;
        };
        let Ok(Some((_, value))) = read_settings(&path) else {
            continue;
        };
        let Some(wrapper) = wrapper_in(&value) else {
            continue;
        };
        let flag = editor.flag();
        let setting = format!("{} sets {KEY} to {wrapper}", path.display());
        let lower = wrapper.to_ascii_lowercase();
        let finding = if lower.ends_with(".cmd") || lower.ends_with(".bat") {
            Finding {
                level: Level::Fail,
                what: format!(
                    "{setting}: the extension cannot start a .cmd or .bat (spawn EINVAL)"
                ),
                fix: Some(format!(
                    "ccs wrap --install --editor {flag} (it writes the path of ccs.exe)"
                )),
            }
        } else if !Path::new(wrapper).is_file() {
            Finding {
                level: Level::Fail,
                what: format!("{setting}, which is gone: the editor's Claude Code cannot start"),
                fix: Some(format!(
                    "ccs wrap --install --editor {flag} (this ccs), or ccs wrap --uninstall \
                     --editor {flag}"
                )),
            }
        } else if is_ccs(wrapper) {
            Finding {
                level: Level::Ok,
                what: format!(
                    "{}: the editor's Claude Code follows pins (through {wrapper})",
                    path.display()
                ),
                fix: None,
            }
        } else {
            continue;
        };
        found.push(finding);
    }
    found
}

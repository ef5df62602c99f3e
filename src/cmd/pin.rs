use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;

use super::{Outcome, ProfileArg};
use crate::contract::PIN_FILE;
use crate::fsx;
use crate::store::Store;

/// Pin a profile to this directory tree: writes ./.ccs-profile (see `ccs init --auto`)
#[derive(Debug, Args)]
pub struct Pin {
    #[command(flatten)]
    profile: ProfileArg,
}

impl Pin {
    pub fn run(self) -> Result<Outcome> {
        let (name, _) = self.profile.find(&Store::from_env()?, "pin")?;
        let file = pin_file()?;
        fsx::write_atomically(&file, format!("{name}\n").as_bytes(), 0o644)?;
        Ok(Outcome::report(&format!(
            "Pinned '{name}' to {} (switches with `ccs init <shell> --auto`)\n",
            file.display()
        )))
    }
}

/// `./.ccs-profile`: a pin applies to the directory it is in.
pub(super) fn pin_file() -> Result<PathBuf> {
    Ok(std::env::current_dir()
        .context("cannot read the current directory")?
        .join(PIN_FILE))
}

/// The nearest `.ccs-profile` at or above `dir`: the rule the hooks' `__ccs_find_pin` follows
/// in shell builtins (`[[ -f ]]`, a link followed), here for `ccs wrap`, which has no shell.
pub(super) fn nearest_pin(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .map(|d| d.join(PIN_FILE))
        .find(|file| file.is_file())
}

/// The name a pin holds, as the hooks read it: its first line, without the CR a checkout with
/// Windows line ends leaves. Read as data, never more than a line's worth.
pub(super) fn pinned_name(pin: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(pin)?
        .take(4096)
        .read_to_end(&mut bytes)?;
    let line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    Ok(String::from_utf8_lossy(line).into_owned())
}

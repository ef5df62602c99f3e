//! ccs's own settings: `$CCS_HOME/config.json`, today only the default profile for new
//! terminals. Written atomically (a temporary file renamed over the old one), so a crash
//! mid-write leaves the previous file whole.

use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::{Map, Value};

use crate::profile_name::ProfileName;
use crate::store::Store;

/// The store's settings (the default profile), in its root.
pub const CONFIG_FILE: &str = "config.json";

pub struct Config {
    path: PathBuf,
    values: Map<String, Value>,
}

impl Config {
    pub fn load(store: &Store) -> Result<Self> {
        let path = store.root().join(CONFIG_FILE);
        let values = match fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(Value::Object(values)) => values,
                _ => anyhow::bail!("{} is not a JSON object; fix or delete it", path.display()),
            },
            Err(e) if e.kind() == ErrorKind::NotFound => Map::new(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        Ok(Self { path, values })
    }

    /// The default profile, if one is set and is a valid name (the file is user-editable).
    pub fn default_profile(&self) -> Option<ProfileName> {
        ProfileName::from_disk(self.values.get("default")?.as_str()?)
    }

    pub fn set_default_profile(&mut self, name: Option<&ProfileName>) {
        match name {
            Some(name) => self.values.insert("default".into(), name.as_str().into()),
            None => self.values.remove("default"),
        };
    }

    pub fn save(&self) -> Result<()> {
        let text = serde_json::to_string_pretty(&Value::Object(self.values.clone()))? + "\n";
        write_atomically(&self.path, text.as_bytes(), 0o600)
    }
}

/// Writes `path` by renaming a fully written and synced temporary file over it, with `mode`
/// from the start. The rename replaces a symlink at `path` rather than writing through it.
pub fn write_atomically(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    replace_file(path, bytes, mode, true)
}

/// The temporary copy process `pid` writes before renaming it to `file_name`.
pub fn temp_file_name(file_name: &str, pid: u32) -> String {
    format!(".{file_name}.{pid}.tmp")
}

/// The process that wrote `name`, if `name` is a temporary copy of `file_name`.
pub fn temp_file_writer(name: &str, file_name: &str) -> Option<u32> {
    let pid = name
        .strip_prefix('.')?
        .strip_prefix(file_name)?
        .strip_prefix('.')?
        .strip_suffix(".tmp")?;
    let pid: u32 = pid.parse().ok()?;
    (temp_file_name(file_name, pid) == name).then_some(pid)
}

/// [`write_atomically`], with the fsync left out when `durable` is false: for a file that may be
/// lost in a crash (a cache), but must never be seen half-written.
pub fn replace_file(path: &Path, bytes: &[u8], mode: u32, durable: bool) -> Result<()> {
    let dir = path.parent().context("path has no parent")?;
    // The store's own directories are private (~/.ccs holds every login below it).
    crate::store::make_private_dir_all(dir)?;
    let file_name = path
        .file_name()
        .context("path has no file name")?
        .to_string_lossy();
    let temp = dir.join(temp_file_name(&file_name, std::process::id()));
    let written = (|| {
        // A file of this name can only be left by a crashed ccs whose process id was ours: no
        // live process shares it. It holds nothing anyone needs.
        let _ = fs::remove_file(&temp);
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
        let mut file = options.open(&temp)?;
        file.write_all(bytes)?;
        if durable {
            file.sync_all()?;
        }
        fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written.with_context(|| format!("cannot write {}", path.display()))
}

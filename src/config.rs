//! ccs's own settings: `$CCS_HOME/config.json`, today only the default profile for new
//! terminals. Written atomically, so a crash mid-write leaves the previous file whole; keys a
//! later version (or the user) added are kept as they are.

use std::fs;
use std::io::ErrorKind;
use std::path::PathBuf;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::contract::CONFIG_FILE;
use crate::fsx;
use crate::profile_name::ProfileName;
use crate::share::parse_object;
use crate::store::Store;

pub(crate) struct Config {
    path: PathBuf,
    values: Values,
}

#[derive(Default, Serialize, Deserialize)]
struct Values {
    /// Any string: the file is user-editable, and an invalid name is ignored when read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    default: Option<Value>,
    #[serde(flatten)]
    others: Map<String, Value>,
}

impl Config {
    pub(crate) fn load(store: &Store) -> Result<Self> {
        let path = store.root().join(CONFIG_FILE);
        let values = match fs::read(&path) {
            Ok(bytes) => parse_object(&bytes).map_err(|_| {
                anyhow::anyhow!("{} is not a JSON object; fix or delete it", path.display())
            })?,
            Err(e) if e.kind() == ErrorKind::NotFound => Values::default(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        Ok(Self { path, values })
    }

    /// The default profile, if one is set and is a valid name (the file is user-editable).
    pub(crate) fn default_profile(&self) -> Option<ProfileName> {
        ProfileName::from_disk(self.values.default.as_ref()?.as_str()?)
    }

    pub(crate) fn set_default_profile(&mut self, name: Option<&ProfileName>) {
        self.values.default = name.map(|n| n.as_str().into());
    }

    pub(crate) fn save(&self) -> Result<()> {
        let text = serde_json::to_string_pretty(&self.values)? + "\n";
        fsx::write_atomically(&self.path, text.as_bytes(), 0o600)
    }
}

//! Claude Code's default config, which it uses without `CLAUDE_CONFIG_DIR` (or with it empty:
//! `process.env.CLAUDE_CONFIG_DIR || homedir`): the dir `~/.claude`, with its global config
//! `~/.claude.json` beside it rather than inside. It is the person's main account, shown by
//! `list`, `usage` and `statusline` as a row of its own, labelled [`DefaultConfig::LABEL`]: a
//! label no profile name can be (a name never holds `~` or `/`). ccs never writes in it.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use super::account::AccountFiles;

/// Where the default config is, under one home directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DefaultConfig {
    home: PathBuf,
}

impl DefaultConfig {
    /// How ccs names it wherever profiles are named: never a profile name (`default` may be one).
    pub(crate) const LABEL: &'static str = "~/.claude";

    pub(crate) fn at(home: &Path) -> Self {
        Self {
            home: home.to_path_buf(),
        }
    }

    /// The config dir, `~/.claude`.
    pub(crate) fn dir(&self) -> PathBuf {
        self.home.join(super::DEFAULT_DIR)
    }

    /// The files its account is read from.
    pub(crate) fn account_files(&self) -> AccountFiles {
        AccountFiles::of_default(&self.home)
    }

    /// Whether the client has used it: `~/.claude` or `~/.claude.json` is there (two `stat`s at
    /// most). A machine where Claude Code only ever ran on profiles has no default row.
    pub(crate) fn exists(&self) -> bool {
        self.dir().exists() || self.account_files().global_config.exists()
    }

    /// Whether a process with this `CLAUDE_CONFIG_DIR` runs on the default config: unset or
    /// empty, as the client reads it.
    pub(crate) fn is_used_with(config_dir_var: Option<&OsStr>) -> bool {
        config_dir_var.is_none_or(OsStr::is_empty)
    }

    /// Whether this process runs on it (see [`Self::is_used_with`]).
    pub(crate) fn is_active() -> bool {
        Self::is_used_with(std::env::var_os(super::CONFIG_DIR_VAR).as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exists_with_either_the_dir_or_the_file_beside_it() {
        let home = tempfile::tempdir().unwrap();
        let default = DefaultConfig::at(home.path());
        assert!(!default.exists());
        std::fs::write(home.path().join(".claude.json"), "{}").unwrap();
        assert!(default.exists());
        std::fs::remove_file(home.path().join(".claude.json")).unwrap();
        std::fs::create_dir(home.path().join(".claude")).unwrap();
        assert!(default.exists());
        assert_eq!(default.dir(), home.path().join(".claude"));
    }

    #[test]
    fn it_is_active_without_the_variable_or_with_it_empty() {
        assert!(DefaultConfig::is_used_with(None));
        assert!(DefaultConfig::is_used_with(Some(OsStr::new(""))));
        assert!(!DefaultConfig::is_used_with(Some(OsStr::new("/p"))));
        assert!(crate::profile_name::ProfileName::parse(DefaultConfig::LABEL).is_err());
    }
}

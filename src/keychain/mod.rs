//! Claude Code's logins in the macOS Keychain, for `ccs remove`, `ccs rename` and `ccs doctor`.
//!
//! On macOS Claude Code keeps a login in the login keychain, not in the config dir, under a
//! service name hashed from the exact `CLAUDE_CONFIG_DIR` string (`claude_code::keychain`). So
//! deleting a profile's directory leaves its login behind, and renaming the directory strands
//! the login under the old name. This module names those items as Claude Code does, and
//! deletes, moves and lists them with Apple's `security` program: the program Claude Code
//! itself uses, so the items it created open to us without a prompt.
//!
//! A secret is only ever read from the stdout of `security find-generic-password -w` into
//! memory and written on the stdin of `security -i`: never on a command line (anyone can read
//! those with `ps`), never printed, never in an error message.

mod dump;
mod run;

use std::borrow::Cow;
use std::collections::HashSet;
use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, ensure};

use crate::process::{Output, run_bounded};
use crate::ui::one_line;

use crate::claude_code::keychain::{LOGIN, items_of};
use dump::{orphans, parse_dump};
use run::{Secret, add_command, hex, secret_from_stdout, tool_from, user_from_env};

pub use crate::claude_code::keychain::service_name;
use crate::claude_code::keychain::{account_name, dir_hash};
use crate::contract::KEYCHAIN_TOOL_VAR;
/// How long one `security` call may take: it answers in milliseconds, but a locked keychain or
/// a stuck security daemon must not hang ccs.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// `security`'s exit status for errSecItemNotFound (-25300 & 0xff).
const ITEM_NOT_FOUND: i32 = 44;

// --- the keychain -----------------------------------------------------------------------------

/// The Keychain as Claude Code uses it: a `security` program and the account its items are
/// filed under.
#[derive(Debug, Clone)]
pub struct Keychain {
    tool: PathBuf,
    account: String,
    timeout: Duration,
}

/// What [`Keychain::move_login`] did.
#[derive(Debug, Default)]
pub struct Moved {
    /// The items now under the new name, as service names; empty when the old name had none.
    pub items: Vec<String>,
    /// Why some old item is still there, if one is: the copy is complete and in use, and the
    /// leftover is one `ccs doctor` lists.
    pub old_not_deleted: Option<anyhow::Error>,
}

/// The Keychain items of a config dir that no profile has: a login left by a profile removed
/// or renamed without its login, or by a Claude Code run on some other `CLAUDE_CONFIG_DIR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orphan {
    /// The login's service name, `Claude Code-credentials-<hash>` (whether or not only its
    /// overflow or API key item is left).
    pub service: String,
    pub account: String,
    /// The items present, as service names, in the order to delete them.
    pub items: Vec<String>,
}

impl Orphan {
    /// The commands that delete it, one per item, quoted for a POSIX shell.
    pub fn delete_commands(&self) -> Vec<String> {
        let quote = |s: &str| shell_escape::unix::escape(Cow::from(s)).into_owned();
        self.items
            .iter()
            .map(|item| {
                format!(
                    "security delete-generic-password -a {} -s {}",
                    quote(&self.account),
                    quote(item)
                )
            })
            .collect()
    }
}

impl Keychain {
    /// The Keychain where Claude Code uses it (macOS, or wherever `CCS_SECURITY` names a
    /// program), with the account Claude Code would use in this environment; None elsewhere.
    pub fn from_env() -> Option<Self> {
        let tool = tool_from(env::var_os(KEYCHAIN_TOOL_VAR), cfg!(target_os = "macos"))?;
        Some(Self::new(tool, &user_from_env()))
    }

    /// The Keychain behind `tool` (a program that speaks like `security`), for `user`'s items.
    pub fn new(tool: impl Into<PathBuf>, user: &str) -> Self {
        Self {
            tool: tool.into(),
            account: account_name(user),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The same, with another limit on each call.
    pub fn with_timeout(self, timeout: Duration) -> Self {
        Self { timeout, ..self }
    }

    pub fn tool(&self) -> &Path {
        &self.tool
    }

    pub fn account(&self) -> &str {
        &self.account
    }

    /// Deletes every item Claude Code may keep for the config dir: its login, the login's two
    /// overflow items and its API key; one not there is no error. The items deleted, as
    /// service names. Stops at the first failure, which names what was already deleted.
    pub fn delete_login(&self, config_dir: &str) -> Result<Vec<String>> {
        let mut deleted: Vec<String> = Vec::new();
        for service in items_of(config_dir)?.iter().rev() {
            match self.delete(service) {
                Ok(true) => deleted.push(service.clone()),
                Ok(false) => {}
                Err(e) if deleted.is_empty() => return Err(e),
                Err(e) => {
                    let done = format!("deleted the Keychain items {}, then", deleted.join(", "));
                    return Err(e.context(done));
                }
            }
        }
        Ok(deleted)
    }

    /// Moves the config dir's login to another config dir's name, for a renamed profile:
    /// `new_dir` must be a config dir no profile uses.
    ///
    /// Every old item is copied to its new name (any item of the new name the old one lacks is
    /// deleted first, so the renamed profile never picks up a stale login), each copy is read
    /// back and compared, and only then are the old items deleted. On any failure before that,
    /// the copies are deleted and the old items stay: the login is always under one name.
    pub fn move_login(&self, old_dir: &str, new_dir: &str) -> Result<Moved> {
        let (old, new) = (items_of(old_dir)?, items_of(new_dir)?);
        // Two spellings of one name (NFD and NFC) are one login: deleting the "old" one after
        // the copy would delete the only one.
        if old == new {
            return Ok(Moved::default());
        }
        let kept = |e: anyhow::Error| {
            e.context(format!(
                "the Keychain login was not moved: it stays under '{}'",
                old[LOGIN]
            ))
        };
        let found = self.read_all(&old).map_err(kept)?;
        self.clear_missing(&new, &found).map_err(kept)?;
        if found.is_empty() {
            return Ok(Moved::default());
        }
        if let Err(e) = self.copy_verified(&new, &found) {
            self.delete_copies(&new, &found);
            return Err(kept(e));
        }
        Ok(Moved {
            items: found.iter().map(|(i, _)| new[*i].clone()).collect(),
            old_not_deleted: self.delete_each(&old, &found).err(),
        })
    }

    /// The hashed logins whose config dir is none of `known_config_dirs`: every profile's, as
    /// the exact string Claude Code is started with, and any other in use (such as
    /// `CLAUDE_SECURESTORAGE_CONFIG_DIR`'s). From `security dump-keychain`, which lists every
    /// item's attributes and no secret. The unhashed default login is never one.
    pub fn logins_without_profile(&self, known_config_dirs: &[String]) -> Result<Vec<Orphan>> {
        let out = self.run(&["dump-keychain"], Vec::new())?;
        if out.code != Some(0) {
            return Err(self.failure("dump-keychain", &out, &[]));
        }
        let known: HashSet<String> = known_config_dirs.iter().map(|d| dir_hash(d)).collect();
        Ok(orphans(
            &parse_dump(&String::from_utf8_lossy(&out.stdout)),
            &known,
        ))
    }

    // --- the steps of a move ----------------------------------------------------------------

    /// The items present among `items`: their index and secret.
    fn read_all(&self, items: &[String; 4]) -> Result<Vec<(usize, Secret)>> {
        let mut found = Vec::new();
        for (i, service) in items.iter().enumerate() {
            if let Some(secret) = self.read(service)? {
                found.push((i, secret));
            }
        }
        Ok(found)
    }

    /// Deletes the items of `items` whose index is not in `found`.
    fn clear_missing(&self, items: &[String; 4], found: &[(usize, Secret)]) -> Result<()> {
        for (i, service) in items.iter().enumerate().rev() {
            if !found.iter().any(|(f, _)| *f == i) {
                self.delete(service)?;
            }
        }
        Ok(())
    }

    fn copy_verified(&self, items: &[String; 4], found: &[(usize, Secret)]) -> Result<()> {
        for (i, secret) in found {
            self.write(&items[*i], secret)?;
        }
        for (i, secret) in found {
            let copy = self.read(&items[*i])?;
            ensure!(
                copy.as_ref() == Some(secret),
                "the copy under '{}' does not read back the same",
                items[*i]
            );
        }
        Ok(())
    }

    /// Undoes a failed copy, as far as it can: what it cannot delete is a leftover of a name
    /// no profile has, which `ccs doctor` lists, and never the only copy of the login.
    fn delete_copies(&self, items: &[String; 4], found: &[(usize, Secret)]) {
        for (i, _) in found.iter().rev() {
            let _ = self.delete(&items[*i]);
        }
    }

    fn delete_each(&self, items: &[String; 4], found: &[(usize, Secret)]) -> Result<()> {
        for (i, _) in found.iter().rev() {
            self.delete(&items[*i])?;
        }
        Ok(())
    }

    // --- one item -----------------------------------------------------------------------------

    /// The item's secret, None when there is no such item.
    fn read(&self, service: &str) -> Result<Option<Secret>> {
        let args = [
            "find-generic-password",
            "-a",
            &self.account,
            "-w",
            "-s",
            service,
        ];
        let out = self.run(&args, Vec::new())?;
        match out.code {
            Some(0) => secret_from_stdout(&out.stdout)
                .map(Some)
                .with_context(|| format!("cannot read the Keychain item '{service}'")),
            Some(ITEM_NOT_FOUND) => Ok(None),
            _ => Err(self.failure("find-generic-password", &out, &[])),
        }
    }

    /// Creates or replaces the item. The secret goes as hex in a command on `security -i`'s
    /// stdin, Claude Code's own way to keep it off the command line.
    fn write(&self, service: &str, secret: &Secret) -> Result<()> {
        let line = add_command(&self.account, service, secret)?;
        let out = self.run(&["-i"], line.into_bytes())?;
        if out.code == Some(0) {
            return Ok(());
        }
        let hex = hex(&secret.0);
        let secret_text = String::from_utf8_lossy(&secret.0);
        Err(self.failure("-i add-generic-password", &out, &[&hex, &secret_text]))
    }

    /// Deletes the item; whether it was there.
    fn delete(&self, service: &str) -> Result<bool> {
        let args = [
            "delete-generic-password",
            "-a",
            &self.account,
            "-s",
            service,
        ];
        let out = self.run(&args, Vec::new())?;
        match out.code {
            Some(0) => Ok(true),
            Some(ITEM_NOT_FOUND) => Ok(false),
            _ => Err(self.failure("delete-generic-password", &out, &[]))
                .with_context(|| format!("cannot delete the Keychain item '{service}'")),
        }
    }

    // --- running security ---------------------------------------------------------------------

    /// Its errors name the command line, which never holds a secret.
    fn run(&self, args: &[&str], input: Vec<u8>) -> Result<Output> {
        let mut command = Command::new(&self.tool);
        command.args(args);
        run_bounded(command, input, self.timeout)
    }

    /// The error of a call that ran and failed: its status and what it said on stderr, with
    /// every string in `hide` (the secret, in any form) cut out.
    fn failure(&self, subcommand: &str, out: &Output, hide: &[&str]) -> anyhow::Error {
        let status = match out.code {
            Some(code) => format!("exit status {code}"),
            None => "killed by a signal".to_owned(),
        };
        let mut said = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        for secret in hide.iter().filter(|s| !s.is_empty()) {
            said = said.replace(secret, "<secret>");
        }
        let said = said.lines().map(str::trim).collect::<Vec<_>>().join("; ");
        let said = if said.is_empty() {
            String::new()
        } else {
            format!(": {said}")
        };
        anyhow!(one_line(&format!(
            "{} {subcommand} failed ({status}){said}",
            self.tool.display()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_show_stderr_on_one_line_without_the_secret() {
        let keychain = Keychain::new("security", "me");
        let out = Output {
            code: Some(36),
            stdout: b"s3cret".to_vec(),
            stderr: b"security: cannot store 73336372657420 s3cret\n\x1b[31mlocked\n".to_vec(),
        };
        let message = keychain
            .failure("add-generic-password", &out, &["73336372657420", "s3cret"])
            .to_string();
        assert_eq!(
            message,
            "security add-generic-password failed (exit status 36): \
             security: cannot store <secret> <secret>; \\u{1b}[31mlocked"
        );
    }
}

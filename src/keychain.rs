//! Claude Code's logins in the macOS Keychain, for `ccs remove`, `ccs rename` and `ccs doctor`.
//!
//! On macOS Claude Code keeps a login in the login keychain, not in the config dir, under a
//! service name hashed from the exact `CLAUDE_CONFIG_DIR` string (Claude Code 2.1.332). So
//! deleting a profile's directory leaves its login behind, and renaming the directory strands
//! the login under the old name. This module names those items as Claude Code does, and
//! deletes, moves and lists them with Apple's `security` program: the program Claude Code
//! itself uses, so the items it created open to us without a prompt.
//!
//! A secret is only ever read from the stdout of `security find-generic-password -w` into
//! memory and written on the stdin of `security -i`: never on a command line (anyone can read
//! those with `ps`), never printed, never in an error message.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::env;
use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

use crate::notice::one_line;

pub use crate::names::KEYCHAIN_TOOL_VAR;
/// Claude Code's override of where the login lives: when set, it, not `CLAUDE_CONFIG_DIR`,
/// names the Keychain item.
pub const SECURESTORAGE_VAR: &str = "CLAUDE_SECURESTORAGE_CONFIG_DIR";
/// How long one `security` call may take: it answers in milliseconds, but a locked keychain or
/// a stuck security daemon must not hang ccs.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

const MACOS_TOOL: &str = "/usr/bin/security";
/// The login's service name, and the API key's, before the config dir's hash.
const LOGIN_SERVICE: &str = "Claude Code-credentials";
const API_KEY_SERVICE: &str = "Claude Code";
/// Claude Code's account when the user name does not fit `[A-Za-z0-9._-]+`.
const FALLBACK_ACCOUNT: &str = "claude-code-user";
/// `security`'s exit status for errSecItemNotFound (-25300 & 0xff).
const ITEM_NOT_FOUND: i32 = 44;
/// The longest line `security -i` takes whole, newline included: it reads into 4096 bytes and
/// runs the rest of a longer line as another command. Claude Code's own limit.
const INTERACTIVE_LINE_MAX: usize = 4032;

// --- names ------------------------------------------------------------------------------------

/// The service name of the login Claude Code keeps for a Claude Code started with
/// `CLAUDE_CONFIG_DIR=config_dir` (and no `CLAUDE_SECURESTORAGE_CONFIG_DIR`).
pub fn service_name(config_dir: &str) -> String {
    login_service(None, Some(config_dir))
}

/// The login's service name from both variables, Claude Code's rule: the secure-storage dir
/// wins when set, even empty; an empty or missing one means the unhashed name of the default
/// login (`~/.claude`'s).
pub fn login_service(securestorage_dir: Option<&str>, config_dir: Option<&str>) -> String {
    with_hash(
        LOGIN_SERVICE,
        securestorage_dir.or(config_dir).unwrap_or(""),
    )
}

/// The first 8 hex digits of SHA-256 of `dir` in NFC: what Claude Code appends. The string is
/// hashed as given, never resolved, so `/a/b/` and `/a/b` are two different logins.
pub fn dir_hash(dir: &str) -> String {
    let nfc: String = dir.nfc().collect();
    hex(&Sha256::digest(nfc.as_bytes())[..4])
}

fn with_hash(base: &str, dir: &str) -> String {
    if dir.is_empty() {
        base.to_owned()
    } else {
        format!("{base}-{}", dir_hash(dir))
    }
}

fn overflow(login: &str, slot: &str) -> String {
    format!("{login}-overflow-{slot}")
}

/// Where each item is in [`items_of`]'s answer.
const OVERFLOW_A: usize = 0;
const OVERFLOW_B: usize = 1;
const API_KEY: usize = 2;
const LOGIN: usize = 3;

/// Every item Claude Code may keep for one config dir: the login, the two items a long login
/// overflows into (the login names them), and a Console API key saved by /login.
///
/// In the order they are written: the overflow before the login that points at it, so a login
/// never names an item not there yet. Deleted in the reverse order, for the same reason.
fn items_of(config_dir: &str) -> Result<[String; 4]> {
    // The empty string names the default login, which belongs to no profile.
    ensure!(
        !config_dir.is_empty(),
        "an empty config dir names Claude Code's default login, which ccs never touches"
    );
    let login = service_name(config_dir);
    Ok([
        overflow(&login, "a"),
        overflow(&login, "b"),
        with_hash(API_KEY_SERVICE, config_dir),
        login,
    ])
}

/// The config-dir hash and the rank (in [`items_of`]'s order) of a service name of Claude
/// Code's that carries a hash; None for any other name, the unhashed default's included.
fn hashed_item(service: &str) -> Option<(&str, usize)> {
    if let Some(rest) = service.strip_prefix("Claude Code-credentials-") {
        let (hash, slot) = rest.split_at_checked(8)?;
        let rank = match slot {
            "-overflow-a" => OVERFLOW_A,
            "-overflow-b" => OVERFLOW_B,
            "" => LOGIN,
            _ => return None,
        };
        return is_hash(hash).then_some((hash, rank));
    }
    let hash = service.strip_prefix("Claude Code-")?;
    is_hash(hash).then_some((hash, API_KEY))
}

fn is_hash(text: &str) -> bool {
    text.len() == 8 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The account Claude Code files its items under, from the user name: the name itself, or
/// `claude-code-user` when it does not fit `[A-Za-z0-9._-]+`.
pub fn account_name(user: &str) -> String {
    let fits = !user.is_empty()
        && user
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if fits { user } else { FALLBACK_ACCOUNT }.to_owned()
}

/// The `security` program to run: the one `CCS_SECURITY` names (set but empty: none), else
/// /usr/bin/security on macOS, and none elsewhere, where Claude Code keeps its login in the
/// config dir's `.credentials.json` (which goes with the directory).
fn tool_from(named: Option<OsString>, on_macos: bool) -> Option<PathBuf> {
    match named {
        Some(named) if named.is_empty() => None,
        Some(named) => Some(PathBuf::from(named)),
        None => on_macos.then(|| PathBuf::from(MACOS_TOOL)),
    }
}

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

/// A secret as read from the Keychain. Neither Debug nor Display, so no message can show it.
#[derive(PartialEq, Eq)]
struct Secret(Vec<u8>);

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

    fn run(&self, args: &[&str], input: Vec<u8>) -> Result<Output> {
        let mut command = Command::new(&self.tool);
        command.args(args);
        let what = format!("{} {}", self.tool.display(), args[0]);
        run_bounded(command, input, self.timeout).with_context(|| one_line(&what))
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

/// `security -i`'s line that stores `secret`, exactly as Claude Code writes it.
fn add_command(account: &str, service: &str, secret: &Secret) -> Result<String> {
    // The line is split on quotes and backslashes: none may be in a quoted value. Neither an
    // account (see `account_name`) nor one of our service names has one; checked all the same.
    for value in [account, service] {
        ensure!(
            !value.contains(['"', '\\']) && !value.contains(char::is_control),
            "cannot pass {value:?} to security -i"
        );
    }
    let line = format!(
        "add-generic-password -U -a \"{account}\" -s \"{service}\" -X \"{}\"\n",
        hex(&secret.0)
    );
    // Too long for one line, Claude Code passes the secret as an argument. ccs never does:
    // such a login is not moved (it stays under the old name) and Claude Code asks for /login.
    ensure!(
        line.len() <= INTERACTIVE_LINE_MAX,
        "the Keychain item '{service}' is too long for security -i, and ccs never puts a secret on a command line"
    );
    Ok(line)
}

/// The secret `security find-generic-password -w` printed: its stdout less the newline.
fn secret_from_stdout(stdout: &[u8]) -> Result<Secret> {
    let Some(secret) = stdout.strip_suffix(b"\n") else {
        bail!("security printed no complete line");
    };
    // `-w` prints a secret with any byte outside printable ASCII as hex digits instead, which
    // no one can tell from a secret made of hex digits. Claude Code stores printable ASCII
    // only (JSON with \uXXXX escapes, base64), so such an answer is refused rather than
    // guessed at: a wrong guess would store a different secret.
    ensure!(
        secret.is_empty() || secret.len() % 2 == 1 || !secret.iter().all(u8::is_ascii_hexdigit),
        "its secret reads as hex digits, which may be security's rendering of binary data"
    );
    Ok(Secret(secret.to_vec()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `$USER`, else the OS user name: what Claude Code (a Node program) takes.
fn user_from_env() -> String {
    match env::var_os("USER").filter(|u| !u.is_empty()) {
        // A name that is not UTF-8 cannot fit the account pattern either way.
        Some(user) => user.to_string_lossy().into_owned(),
        None => os_user_name().unwrap_or_default(),
    }
}

/// The OS user name, as `os.userInfo().username` reads it (the password database's entry for
/// the effective user), asked of `id` so that ccs needs no unsafe code for it.
fn os_user_name() -> Option<String> {
    let mut id = Command::new("id");
    id.arg("-un");
    let out = run_bounded(id, Vec::new(), DEFAULT_TIMEOUT).ok()?;
    let name = String::from_utf8(out.stdout).ok()?;
    (out.code == Some(0)).then(|| name.trim_end_matches('\n').to_owned())
}

// --- dump-keychain --------------------------------------------------------------------------

/// A generic password's names, as `security dump-keychain` prints them.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Listed {
    service: String,
    account: String,
}

/// The generic passwords (`class: "genp"`) in `security dump-keychain`'s output: each item
/// starts with a `keychain:` line, its attributes one a line, `"svce"<blob>="…"`.
fn parse_dump(text: &str) -> Vec<Listed> {
    let mut listed = Vec::new();
    let mut item: Option<(bool, Option<String>, Option<String>)> = None;
    for line in text.lines() {
        if line.starts_with("keychain: ") {
            listed.extend(item.take().and_then(generic_password));
            item = Some((false, None, None));
            continue;
        }
        let Some((is_genp, service, account)) = item.as_mut() else {
            continue;
        };
        let line = line.trim_start();
        if let Some(class) = line.strip_prefix("class: ") {
            *is_genp = class == "\"genp\"";
        } else if let Some(value) = line.strip_prefix("\"svce\"<blob>=") {
            *service = attribute(value);
        } else if let Some(value) = line.strip_prefix("\"acct\"<blob>=") {
            *account = attribute(value);
        }
    }
    listed.extend(item.and_then(generic_password));
    listed
}

fn generic_password(item: (bool, Option<String>, Option<String>)) -> Option<Listed> {
    match item {
        (true, Some(service), account) => Some(Listed {
            service,
            account: account.unwrap_or_default(),
        }),
        _ => None,
    }
}

/// An attribute's value as `security` prints it: `"text"` (a backslash or unprintable byte
/// as `\ooo`), `0xHEX  "text"` when a byte is unprintable (the hex is exact), or `<NULL>`.
fn attribute(value: &str) -> Option<String> {
    let value = value.trim_end();
    let bytes = match value.strip_prefix("0x") {
        Some(rest) => unhex(rest.split_whitespace().next()?)?,
        None => unescape(value.strip_prefix('"')?.strip_suffix('"')?)?,
    };
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

fn unhex(digits: &str) -> Option<Vec<u8>> {
    if digits.len() % 2 == 1 {
        return None;
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(digits.get(i..i + 2)?, 16).ok())
        .collect()
}

fn unescape(text: &str) -> Option<Vec<u8>> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'\\' {
            let octal = std::str::from_utf8(tail.get(..3)?).ok()?;
            bytes.push(u8::from_str_radix(octal, 8).ok()?);
            rest = &tail[3..];
        } else {
            bytes.push(b);
            rest = tail;
        }
    }
    Some(bytes)
}

/// Groups the hashed items of Claude Code's whose hash is not in `known` by config dir and
/// account.
fn orphans(listed: &[Listed], known: &HashSet<String>) -> Vec<Orphan> {
    let mut groups: BTreeMap<(&str, &str), Vec<(usize, &str)>> = BTreeMap::new();
    for item in listed {
        if let Some((hash, rank)) = hashed_item(&item.service).filter(|(h, _)| !known.contains(*h))
        {
            groups
                .entry((hash, &item.account))
                .or_default()
                .push((rank, &item.service));
        }
    }
    groups
        .into_iter()
        .map(|((hash, account), mut items)| {
            // Deleted like a login: the login before the items it points at.
            items.sort_unstable_by(|a, b| b.cmp(a));
            items.dedup();
            Orphan {
                service: format!("{LOGIN_SERVICE}-{hash}"),
                account: account.to_owned(),
                items: items.into_iter().map(|(_, s)| s.to_owned()).collect(),
            }
        })
        .collect()
}

// --- a bounded run ------------------------------------------------------------------------------

struct Output {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Runs `command` with `input` on its stdin and its stdout and stderr captured, for at most
/// `timeout`: then it is killed and the run is an error. Pipes are served by threads, so
/// neither a program that never reads its stdin nor one that leaves a child holding its
/// stdout open can hold ccs past the deadline.
fn run_bounded(mut command: Command, input: Vec<u8>, timeout: Duration) -> Result<Output> {
    let deadline = Instant::now() + timeout;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run it")?;
    if let Some(mut stdin) = child.stdin.take() {
        // Dropped at the end of the thread: the program sees the end of its input.
        thread::spawn(move || stdin.write_all(&input));
    }
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let Some(status) = wait_until(&mut child, deadline)? else {
        bail!("no answer within {timeout:?}; stopped it");
    };
    let gathered = |pipe: Receiver<Vec<u8>>| match pipe
        .recv_timeout(deadline.saturating_duration_since(Instant::now()))
    {
        Ok(bytes) => Ok(bytes),
        Err(RecvTimeoutError::Disconnected) => Ok(Vec::new()),
        Err(RecvTimeoutError::Timeout) => Err(anyhow!(
            "it exited, but something it started kept its output open past {timeout:?}"
        )),
    };
    Ok(Output {
        code: status.code(),
        stdout: gathered(stdout)?,
        stderr: gathered(stderr)?,
    })
}

/// Everything `pipe` yields, from a thread, once it is closed.
fn drain(pipe: Option<impl Read + Send + 'static>) -> Receiver<Vec<u8>> {
    let (sender, receiver) = mpsc::channel();
    if let Some(mut pipe) = pipe {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            let _ = sender.send(bytes);
        });
    }
    receiver
}

/// The child's exit status, or None once `deadline` has passed: the child is killed then.
fn wait_until(child: &mut Child, deadline: Instant) -> Result<Option<ExitStatus>> {
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(status) = child.try_wait().context("cannot wait for it")? {
            return Ok(Some(status));
        }
        let now = Instant::now();
        if now >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected hashes computed independently: python3 -c 'import hashlib, unicodedata;
    // print(hashlib.sha256(unicodedata.normalize("NFC", s).encode()).hexdigest()[:8])',
    // and the same with Node's crypto and String.prototype.normalize.

    #[test]
    fn service_names_are_claude_codes() {
        assert_eq!(
            service_name("/Users/me/.ccs/instances/work"),
            "Claude Code-credentials-7cba2e47"
        );
        assert_eq!(
            service_name("/Users/me/.ccs/instances/caf\u{e9}"),
            "Claude Code-credentials-22eae088"
        );
        assert_eq!(
            service_name("/Users/me/.claude"),
            "Claude Code-credentials-0bd83d07"
        );
    }

    #[test]
    fn a_path_in_nfd_hashes_as_its_nfc_form() {
        // "café" with a combining acute accent: its raw bytes would hash to 113919d3.
        let nfd = "/Users/me/.ccs/instances/cafe\u{301}";
        assert_eq!(service_name(nfd), "Claude Code-credentials-22eae088");
    }

    #[test]
    fn the_string_is_hashed_as_given() {
        assert_eq!(
            service_name("/Users/me/.ccs/instances/work/"),
            "Claude Code-credentials-eeedbb48"
        );
    }

    #[test]
    fn the_secure_storage_dir_overrides_the_config_dir() {
        let (work, other) = ("/Users/me/.ccs/instances/work", "/elsewhere");
        assert_eq!(
            login_service(Some(work), Some(other)),
            "Claude Code-credentials-7cba2e47"
        );
        // Set but empty: the default login, whatever the config dir.
        assert_eq!(
            login_service(Some(""), Some(work)),
            "Claude Code-credentials"
        );
        assert_eq!(login_service(None, None), "Claude Code-credentials");
        assert_eq!(login_service(None, Some("")), "Claude Code-credentials");
    }

    #[test]
    fn a_profile_owns_four_items_and_the_default_none() {
        assert_eq!(
            items_of("/Users/me/.ccs/instances/work").unwrap(),
            [
                "Claude Code-credentials-7cba2e47-overflow-a",
                "Claude Code-credentials-7cba2e47-overflow-b",
                "Claude Code-7cba2e47",
                "Claude Code-credentials-7cba2e47",
            ]
        );
        assert!(items_of("").is_err());
    }

    #[test]
    fn hashed_names_are_recognised_and_others_not() {
        for (service, expected) in [
            ("Claude Code-credentials-1a2b3c4d", Some(("1a2b3c4d", 3))),
            (
                "Claude Code-credentials-1a2b3c4d-overflow-a",
                Some(("1a2b3c4d", 0)),
            ),
            (
                "Claude Code-credentials-1a2b3c4d-overflow-b",
                Some(("1a2b3c4d", 1)),
            ),
            ("Claude Code-1a2b3c4d", Some(("1a2b3c4d", 2))),
            ("Claude Code-credentials", None),
            ("Claude Code-credentials-overflow-a", None),
            ("Claude Code-credentials-1a2b3c4d-overflow-c", None),
            ("Claude Code-credentials-1A2B3C4D", None),
            ("Claude Code-credentials-1a2b3c4", None),
            ("Claude Code-doctor-probe", None),
            ("Claude Code", None),
            ("Claude Code-custom-oauth-credentials-1a2b3c4d", None),
            ("Other App-1a2b3c4d", None),
        ] {
            assert_eq!(hashed_item(service), expected, "{service}");
        }
    }

    #[test]
    fn accounts_follow_claude_codes_pattern() {
        assert_eq!(account_name("me"), "me");
        assert_eq!(account_name("first.last_2-x"), "first.last_2-x");
        assert_eq!(account_name(""), "claude-code-user");
        assert_eq!(account_name("Jürgen"), "claude-code-user");
        assert_eq!(account_name("a b"), "claude-code-user");
        assert_eq!(account_name("me\""), "claude-code-user");
    }

    #[test]
    fn the_keychain_is_used_on_macos_or_when_named() {
        let named = |s: &str| Some(OsString::from(s));
        assert_eq!(
            tool_from(None, true),
            Some(PathBuf::from("/usr/bin/security"))
        );
        assert_eq!(tool_from(None, false), None);
        assert_eq!(
            tool_from(named("/t/sec"), false),
            Some(PathBuf::from("/t/sec"))
        );
        assert_eq!(
            tool_from(named("/t/sec"), true),
            Some(PathBuf::from("/t/sec"))
        );
        assert_eq!(tool_from(named(""), true), None);
        assert_eq!(tool_from(named(""), false), None);
    }

    #[test]
    fn the_add_command_is_claude_codes() {
        let secret = Secret(b"{\"a\":1}".to_vec());
        assert_eq!(
            add_command("me", "Claude Code-credentials-7cba2e47", &secret).unwrap(),
            "add-generic-password -U -a \"me\" -s \"Claude Code-credentials-7cba2e47\" -X \"7b2261223a317d\"\n"
        );
        assert!(add_command("m\"e", "s", &secret).is_err());
        assert!(add_command("me", "s\n", &secret).is_err());
    }

    #[test]
    fn a_secret_too_long_for_one_line_is_refused() {
        let service = "Claude Code-credentials-7cba2e47";
        let fixed = add_command("me", service, &Secret(Vec::new()))
            .unwrap()
            .len();
        let fits = (INTERACTIVE_LINE_MAX - fixed) / 2;
        assert!(add_command("me", service, &Secret(vec![b'x'; fits])).is_ok());
        assert!(add_command("me", service, &Secret(vec![b'x'; fits + 1])).is_err());
    }

    #[test]
    fn secrets_are_read_exactly() {
        let read = |s: &[u8]| secret_from_stdout(s).map(|s| s.0);
        assert_eq!(
            read(b"{\"a\": \"b\\\\\"}\n").unwrap(),
            b"{\"a\": \"b\\\\\"}"
        );
        // Only the one newline security adds is taken off.
        assert_eq!(read(b" x \n\n").unwrap(), b" x \n");
        assert_eq!(read(b"\n").unwrap(), b"");
        assert_eq!(read(b"abc\n").unwrap(), b"abc");
        assert!(read(b"no newline").is_err());
        // Hex digits could be security's rendering of binary data.
        assert!(read(b"00ff\n").is_err());
    }

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

    /// As macOS 15 prints it, other items and internet passwords included.
    const DUMP: &str = r#"keychain: "/Users/me/Library/Keychains/login.keychain-db"
version: 512
class: "genp"
attributes:
    0x00000007 <blob>="Claude Code-credentials-1a2b3c4d"
    0x00000008 <blob>=<NULL>
    "acct"<blob>="me"
    "cdat"<timedate>=0x32303235303631323039343533315A00  "20250612094531Z\000"
    "svce"<blob>="Claude Code-credentials-1a2b3c4d"
    "type"<uint32>=<NULL>
keychain: "/Users/me/Library/Keychains/login.keychain-db"
version: 512
class: "inet"
attributes:
    0x00000007 <blob>="github.com"
    "acct"<blob>="me"
    "srvr"<blob>="github.com"
keychain: "/Users/me/Library/Keychains/login.keychain-db"
version: 512
class: "genp"
attributes:
    "acct"<blob>=0x4AC3BC7267656E  "J\303\274rgen"
    "svce"<blob>="Claude Code-5e6f7a8b"
keychain: "/Users/me/Library/Keychains/login.keychain-db"
version: 512
class: "genp"
attributes:
    "acct"<blob>="back\134slash"
    "svce"<blob>=<NULL>
keychain: "/Library/Keychains/System.keychain"
version: 256
class: "genp"
attributes:
    "acct"<blob>="me"
    "svce"<blob>="Claude Code-credentials"
"#;

    #[test]
    fn the_dump_yields_generic_passwords() {
        let listed = |service: &str, account: &str| Listed {
            service: service.to_owned(),
            account: account.to_owned(),
        };
        assert_eq!(
            parse_dump(DUMP),
            [
                listed("Claude Code-credentials-1a2b3c4d", "me"),
                listed("Claude Code-5e6f7a8b", "Jürgen"),
                listed("Claude Code-credentials", "me"),
            ]
        );
    }

    #[test]
    fn orphans_are_grouped_by_config_dir_and_account() {
        let listed: Vec<Listed> = [
            ("Claude Code-credentials-1a2b3c4d-overflow-a", "me"),
            ("Claude Code-credentials-1a2b3c4d", "me"),
            ("Claude Code-1a2b3c4d", "me"),
            ("Claude Code-credentials-1a2b3c4d", "claude-code-user"),
            ("Claude Code-credentials-7cba2e47", "me"),
            ("Claude Code-credentials", "me"),
            ("Claude Code-credentials-99999999-overflow-b", "me"),
        ]
        .into_iter()
        .map(|(service, account)| Listed {
            service: service.to_owned(),
            account: account.to_owned(),
        })
        .collect();
        let known = HashSet::from([dir_hash("/Users/me/.ccs/instances/work")]);
        let found = orphans(&listed, &known);
        let summary: Vec<(&str, &str, Vec<&str>)> = found
            .iter()
            .map(|o| {
                let items = o.items.iter().map(String::as_str).collect();
                (o.service.as_str(), o.account.as_str(), items)
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "Claude Code-credentials-1a2b3c4d",
                    "claude-code-user",
                    vec!["Claude Code-credentials-1a2b3c4d"]
                ),
                (
                    "Claude Code-credentials-1a2b3c4d",
                    "me",
                    vec![
                        "Claude Code-credentials-1a2b3c4d",
                        "Claude Code-1a2b3c4d",
                        "Claude Code-credentials-1a2b3c4d-overflow-a",
                    ]
                ),
                (
                    "Claude Code-credentials-99999999",
                    "me",
                    vec!["Claude Code-credentials-99999999-overflow-b"]
                ),
            ]
        );
        assert_eq!(
            found[0].delete_commands(),
            [
                "security delete-generic-password -a claude-code-user -s 'Claude Code-credentials-1a2b3c4d'"
            ]
        );
    }
}

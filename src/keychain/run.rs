//! Talking to `security`: the secret as it goes in and out (never on a command line), and the
//! user it runs for.

use std::env;
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;

use anyhow::{Result, bail, ensure};

use super::DEFAULT_TIMEOUT;
use crate::process::run_bounded;

/// The longest line `security -i` takes whole, newline included: it reads into 4096 bytes and
/// runs the rest of a longer line as another command. Claude Code's own limit.
const INTERACTIVE_LINE_MAX: usize = 4032;

/// A secret as read from the Keychain. Neither Debug nor Display, so no message can show it.
#[derive(PartialEq, Eq)]
pub(super) struct Secret(pub(super) Vec<u8>);

/// `security -i`'s line that stores `secret`, exactly as Claude Code writes it.
pub(super) fn add_command(account: &str, service: &str, secret: &Secret) -> Result<String> {
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
pub(super) fn secret_from_stdout(stdout: &[u8]) -> Result<Secret> {
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

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `$USER`, else the OS user name: what Claude Code (a Node program) takes.
pub(super) fn user_from_env() -> String {
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

const MACOS_TOOL: &str = "/usr/bin/security";

/// The `security` program to run: the one `CCS_SECURITY` names (set but empty: none), else
/// /usr/bin/security on macOS, and none elsewhere, where Claude Code keeps its login in the
/// config dir's `.credentials.json` (which goes with the directory).
pub(super) fn tool_from(named: Option<OsString>, on_macos: bool) -> Option<PathBuf> {
    match named {
        Some(named) if named.is_empty() => None,
        Some(named) => Some(PathBuf::from(named)),
        None => on_macos.then(|| PathBuf::from(MACOS_TOOL)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}

//! The names the client gives its macOS Keychain items: the login's service name, hashed from the
//! config dir, the items that go with the login, and the account they are filed under.

use anyhow::{Result, ensure};
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

/// The login's service name, and the API key's, before the config dir's hash.
pub(crate) const LOGIN_SERVICE: &str = "Claude Code-credentials";
const API_KEY_SERVICE: &str = "Claude Code";
/// Claude Code's account when the user name does not fit `[A-Za-z0-9._-]+`.
const FALLBACK_ACCOUNT: &str = "claude-code-user";

/// The service name of the login Claude Code keeps for a Claude Code started with
/// `CLAUDE_CONFIG_DIR=config_dir` (and no `CLAUDE_SECURESTORAGE_CONFIG_DIR`).
pub fn service_name(config_dir: &str) -> String {
    login_service(None, Some(config_dir))
}

/// The login's service name from both variables, Claude Code's rule: the secure-storage dir
/// wins when set, even empty; an empty or missing one means the unhashed name of the default
/// login (`~/.claude`'s).
pub(crate) fn login_service(securestorage_dir: Option<&str>, config_dir: Option<&str>) -> String {
    with_hash(
        LOGIN_SERVICE,
        securestorage_dir.or(config_dir).unwrap_or(""),
    )
}

/// The first 8 hex digits of SHA-256 of `dir` in NFC: what Claude Code appends. The string is
/// hashed as given, never resolved, so `/a/b/` and `/a/b` are two different logins.
pub(crate) fn dir_hash(dir: &str) -> String {
    let nfc: String = dir.nfc().collect();
    Sha256::digest(nfc.as_bytes())[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
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
pub(crate) const LOGIN: usize = 3;

/// Every item Claude Code may keep for one config dir: the login, the two items a long login
/// overflows into (the login names them), and a Console API key saved by /login.
///
/// In the order they are written: the overflow before the login that points at it, so a login
/// never names an item not there yet. Deleted in the reverse order, for the same reason.
pub(crate) fn items_of(config_dir: &str) -> Result<[String; 4]> {
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
pub(crate) fn hashed_item(service: &str) -> Option<(&str, usize)> {
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
pub(crate) fn account_name(user: &str) -> String {
    let fits = !user.is_empty()
        && user
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if fits { user } else { FALLBACK_ACCOUNT }.to_owned()
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
}

//! What a profile's account is, read from the files Claude Code writes into its config dir.
//! Only descriptive fields are ever read out: no token leaves this module, not even in `Debug`.

use std::fs;
use std::path::Path;

use serde_json::Value;

/// The account behind one instance, as far as its files tell.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Account {
    /// A stored OAuth login (or, on macOS where the token lives in the Keychain, a recorded one).
    pub logged_in: bool,
    /// `subscriptionType` from `.credentials.json` (`max`, `pro`, …).
    pub subscription: Option<String>,
    /// `oauthAccount.emailAddress` from `.claude.json`.
    pub email: Option<String>,
    /// `oauthAccount.organizationName` from `.claude.json`.
    pub organization: Option<String>,
}

impl Account {
    pub fn read(instance: &Path) -> Self {
        let credentials = read_json(&instance.join(".credentials.json"));
        let oauth = credentials.as_ref().and_then(|c| c.get("claudeAiOauth"));
        let has_token = oauth
            .and_then(|o| o.get("accessToken"))
            .and_then(Value::as_str)
            .is_some_and(|t| !t.is_empty());
        let state = read_json(&instance.join(".claude.json"));
        let account = state
            .as_ref()
            .and_then(|s| s.get("oauthAccount"))
            .filter(|a| a.is_object());
        Self {
            logged_in: has_token || account.is_some(),
            subscription: text(oauth, "subscriptionType"),
            email: text(account, "emailAddress"),
            organization: text(account, "organizationName"),
        }
    }

    /// One human-readable phrase: `max · alice@example.com (Acme)`, or `not logged in`.
    pub fn summary(&self) -> String {
        if !self.logged_in {
            return "not logged in".to_owned();
        }
        let mut parts = vec![
            self.subscription
                .clone()
                .unwrap_or_else(|| "logged in".to_owned()),
        ];
        match (&self.email, &self.organization) {
            (Some(email), Some(org)) => parts.push(format!("{email} ({org})")),
            (Some(email), None) => parts.push(email.clone()),
            (None, Some(org)) => parts.push(format!("({org})")),
            (None, None) => {}
        }
        parts.join(" · ")
    }

    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "logged_in": self.logged_in,
            "subscription": self.subscription,
            "email": self.email,
            "organization": self.organization,
        })
    }
}

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_slice(&fs::read(path).ok()?).ok()
}

/// A string field, cleaned of control characters so a hostile file cannot drive the terminal.
fn text(object: Option<&Value>, key: &str) -> Option<String> {
    let value = object?.get(key)?.as_str()?;
    let clean: String = value.chars().filter(|c| !c.is_control()).collect();
    (!clean.is_empty()).then_some(clean)
}

/// Bytes on disk under `dir`, counted like `du` (allocated blocks), not following symlinks.
pub fn disk_usage(dir: &Path) -> u64 {
    let Ok(meta) = fs::symlink_metadata(dir) else {
        return 0;
    };
    let mut total = allocated(&meta);
    if meta.is_dir() {
        for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
            total += disk_usage(&entry.path());
        }
    }
    total
}

/// The bytes one entry takes on disk (not what it holds, if it is a directory).
#[cfg(unix)]
pub fn allocated(meta: &fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    meta.blocks() * 512
}

#[cfg(not(unix))]
pub fn allocated(meta: &fs::Metadata) -> u64 {
    meta.len()
}

/// `1.2 MB`, `24 KB`, `512 B`: the figure a person reads, in powers of 1024 like `du -h`.
/// In integers (tenths, rounded half up) because `ccs list` prints one per profile.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut unit = 0;
    let mut scale: u128 = 1;
    while u128::from(bytes) >= scale * 1024 && unit + 1 < UNITS.len() {
        scale *= 1024;
        unit += 1;
    }
    let tenths = (u128::from(bytes) * 10 + scale / 2) / scale;
    // Built by hand: `ccs list` formats one size per profile, and `format!` cost more than the
    // rest of this function.
    let mut text = String::with_capacity(12);
    if unit == 0 || tenths >= 100 {
        push_decimal(&mut text, (tenths + 5) / 10);
    } else {
        push_decimal(&mut text, tenths / 10);
        text.push('.');
        push_decimal(&mut text, tenths % 10);
    }
    text.push(' ');
    text.push_str(UNITS[unit]);
    text
}

fn push_decimal(text: &mut String, mut n: u128) {
    let mut digits = [0u8; 40];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    text.extend(digits[at..].iter().map(|&d| char::from(d)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance_with(credentials: Option<&str>, state: Option<&str>) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        if let Some(c) = credentials {
            fs::write(dir.path().join(".credentials.json"), c).unwrap();
        }
        if let Some(s) = state {
            fs::write(dir.path().join(".claude.json"), s).unwrap();
        }
        dir
    }

    #[test]
    fn reads_the_login_and_never_the_token() {
        let dir = instance_with(
            Some(
                r#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-SECRET","refreshToken":"sk-ant-ort01-SECRET","subscriptionType":"max"}}"#,
            ),
            Some(
                r#"{"oauthAccount":{"emailAddress":"a@example.com","organizationName":"Acme\u001b[31m"}}"#,
            ),
        );
        let account = Account::read(dir.path());
        assert_eq!(account.summary(), "max · a@example.com (Acme[31m)");
        let everything = format!("{account:?} {}", account.to_json());
        assert!(!everything.contains("SECRET"), "{everything}");
    }

    #[test]
    fn missing_or_broken_files_mean_not_logged_in() {
        for (credentials, state) in [
            (None, None),
            (Some("not json"), Some("{")),
            (Some(r#"{"claudeAiOauth":{"accessToken":""}}"#), None),
        ] {
            let dir = instance_with(credentials, state);
            assert_eq!(
                Account::read(dir.path()),
                Account::default(),
                "{credentials:?}"
            );
            assert_eq!(Account::read(dir.path()).summary(), "not logged in");
        }
    }

    #[test]
    fn sizes_read_like_du_h() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(4096), "4.0 KB");
        assert_eq!(human_size(20 * 1024), "20 KB");
        assert_eq!(human_size(1536 * 1024), "1.5 MB");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(10 * 1024 - 1), "10 KB");
        assert_eq!(human_size(1024 * 1024 - 1), "1024 KB");
        assert_eq!(human_size(3 * 1024u64.pow(4)), "3.0 TB");
        assert_eq!(human_size(u64::MAX), "16777216 TB");
    }
}

//! What a profile's account is, read from the files Claude Code writes into its config dir.
//! Only descriptive fields are ever read out: no token leaves this module, not even in `Debug`.

use std::fs;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

/// The account behind one instance, as far as its files tell.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Account {
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
    pub(crate) fn read(instance: &Path) -> Self {
        let credentials = read_json(&instance.join(super::CREDENTIALS_FILE));
        let oauth = credentials.as_ref().and_then(|c| c.get("claudeAiOauth"));
        let has_token = oauth
            .and_then(|o| o.get("accessToken"))
            .and_then(Value::as_str)
            .is_some_and(|t| !t.is_empty());
        let state = read_json(&instance.join(super::GLOBAL_CONFIG_FILE));
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
    pub(crate) fn summary(&self) -> String {
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
}

/// The account a profile is logged into, as `.claude.json` records it
/// (`oauthAccount.accountUuid`): two profiles with the same one share an account.
pub(crate) fn account_uuid(instance: &Path) -> Option<String> {
    let state = read_json(&instance.join(super::GLOBAL_CONFIG_FILE))?;
    let uuid = state.get("oauthAccount")?.get("accountUuid")?.as_str()?;
    (!uuid.is_empty()).then(|| uuid.to_owned())
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
        let everything = format!("{account:?} {}", serde_json::to_string(&account).unwrap());
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
}

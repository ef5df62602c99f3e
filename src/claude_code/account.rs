//! What a config dir's account is, read from the two files Claude Code keeps it in: the login
//! (`.credentials.json`) and the global config (`.claude.json`), both inside a profile, and for
//! the default config `~/.claude/.credentials.json` with `~/.claude.json` beside the dir
//! ([`AccountFiles`]). Only descriptive fields are ever read out: no token leaves this module,
//! not even in `Debug`.

use std::fs;
use std::path::{Path, PathBuf};

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

/// The two files a config dir's account is read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AccountFiles {
    /// The login: `.credentials.json` in the config dir (where no Keychain keeps it).
    pub credentials: PathBuf,
    /// The global config, which names the account (`oauthAccount`).
    pub global_config: PathBuf,
}

impl AccountFiles {
    /// A profile's: both inside its config dir (what `CLAUDE_CONFIG_DIR` names).
    pub(crate) fn of_profile(config_dir: &Path) -> Self {
        Self {
            credentials: config_dir.join(super::CREDENTIALS_FILE),
            global_config: config_dir.join(super::GLOBAL_CONFIG_FILE),
        }
    }

    /// The default config's (the constructor for it), without `CLAUDE_CONFIG_DIR`: `~/.claude/.credentials.json`, and
    /// `~/.claude.json` beside the dir (see [`super::global_config::file_of`]).
    pub(crate) fn of_default(home: &Path) -> Self {
        let dir = home.join(super::DEFAULT_DIR);
        Self {
            credentials: dir.join(super::CREDENTIALS_FILE),
            global_config: super::global_config::file_of(&dir, Some(home)),
        }
    }
}

impl Account {
    /// A profile's account, from the files in its config dir.
    pub(crate) fn read(instance: &Path) -> Self {
        Self::read_files(&AccountFiles::of_profile(instance))
    }

    /// The account these two files name.
    pub(crate) fn read_files(files: &AccountFiles) -> Self {
        let credentials = read_json(&files.credentials);
        let oauth = credentials.as_ref().and_then(|c| c.get("claudeAiOauth"));
        let has_token = oauth
            .and_then(|o| o.get("accessToken"))
            .and_then(Value::as_str)
            .is_some_and(|t| !t.is_empty());
        let account = oauth_account(&files.global_config);
        let account = account.as_ref().filter(|a| a.is_object());
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
    account_uuid_in(&AccountFiles::of_profile(instance).global_config)
}

/// The same, from a global config file: for the default config, `~/.claude.json`.
pub(crate) fn account_uuid_in(global_config: &Path) -> Option<String> {
    let uuid = oauth_account(global_config)?
        .get("accountUuid")?
        .as_str()?
        .to_owned();
    (!uuid.is_empty()).then_some(uuid)
}

/// The organization a profile is logged into (`oauthAccount.organizationUuid`), lower-cased as
/// the client compares organizations.
pub(crate) fn organization_uuid(instance: &Path) -> Option<String> {
    let global_config = AccountFiles::of_profile(instance).global_config;
    let uuid = oauth_account(&global_config)?
        .get("organizationUuid")?
        .as_str()?
        .to_lowercase();
    (!uuid.is_empty()).then_some(uuid)
}

/// The one member of a global config this module reads. The rest of the file (megabytes in a
/// long-used config: every project's state, caches) is skipped while it is parsed, never built
/// into values: `ccs list` reads `~/.claude.json` at every listing.
#[derive(serde::Deserialize)]
struct GlobalConfig {
    #[serde(rename = "oauthAccount", default)]
    oauth_account: Option<Value>,
}

/// `oauthAccount` of the global config at `path`, if it can be read.
fn oauth_account(path: &Path) -> Option<Value> {
    let bytes = fs::read(path).ok()?;
    if let Some(found) = member_as_the_client_writes_it(&bytes, "oauthAccount") {
        return found;
    }
    serde_json::from_slice::<GlobalConfig>(&bytes)
        .ok()?
        .oauth_account
}

/// A top-level member of a global config, found without parsing the rest: the client writes
/// the file as `JSON.stringify(config, null, 2)` (its `ci()`), where a line that starts with
/// exactly two spaces and a quoted key is a top-level member, and only that (a string holds no
/// raw newline). `Some(None)`: such a file without the member. `None`: a file shaped otherwise,
/// to be parsed whole. A megabytes-long `~/.claude.json` then costs `ccs list` a read and a
/// scan, not a parse.
fn member_as_the_client_writes_it(bytes: &[u8], key: &str) -> Option<Option<Value>> {
    if !bytes.starts_with(b"{\n  \"") {
        return None;
    }
    let needle = format!("\n  \"{key}\": ");
    let Some(at) = memchr::memmem::find(bytes, needle.as_bytes()) else {
        return Some(None);
    };
    let mut values =
        serde_json::Deserializer::from_slice(&bytes[at + needle.len()..]).into_iter::<Value>();
    Some(values.next().and_then(Result::ok))
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
    fn a_member_is_found_in_the_clients_layout_and_the_whole_parsed_otherwise() {
        let pretty = serde_json::to_string_pretty(&serde_json::json!({
            "projects": {"/p": {"history": [{"display": "\\n  \"oauthAccount\": {\"emailAddress\": \"no\"}"}]}},
            "oauthAccount": {"emailAddress": "yes@example.com"},
            "later": 1
        }))
        .unwrap();
        let found = member_as_the_client_writes_it(pretty.as_bytes(), "oauthAccount");
        assert_eq!(
            found,
            Some(Some(serde_json::json!({"emailAddress": "yes@example.com"})))
        );
        let without = serde_json::to_string_pretty(&serde_json::json!({"a": 1})).unwrap();
        assert_eq!(
            member_as_the_client_writes_it(without.as_bytes(), "oauthAccount"),
            Some(None)
        );
        let compact = r#"{"oauthAccount":{"emailAddress":"c@example.com"}}"#;
        assert_eq!(
            member_as_the_client_writes_it(compact.as_bytes(), "oauthAccount"),
            None
        );
        let dir = tempfile::tempdir().unwrap();
        for text in [pretty.as_str(), compact] {
            fs::write(dir.path().join("c.json"), text).unwrap();
            assert!(
                oauth_account(&dir.path().join("c.json")).is_some(),
                "{text}"
            );
        }
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

    #[test]
    fn the_default_config_keeps_its_global_config_beside_the_dir() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join(".claude");
        fs::create_dir(&dir).unwrap();
        fs::write(
            dir.join(".credentials.json"),
            r#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-SECRET","subscriptionType":"pro"}}"#,
        )
        .unwrap();
        // Inside the dir is where a profile keeps it, not the default: not read.
        fs::write(
            dir.join(".claude.json"),
            r#"{"oauthAccount":{"emailAddress":"inside@example.com","accountUuid":"in"}}"#,
        )
        .unwrap();
        fs::write(
            home.path().join(".claude.json"),
            r#"{"oauthAccount":{"emailAddress":"main@example.com","accountUuid":"u-1"}}"#,
        )
        .unwrap();
        let files = AccountFiles::of_default(home.path());
        let account = Account::read_files(&files);
        assert_eq!(account.summary(), "pro · main@example.com");
        assert_eq!(files.global_config, home.path().join(".claude.json"));
        assert_eq!(
            account_uuid_in(&files.global_config).as_deref(),
            Some("u-1")
        );
    }
}

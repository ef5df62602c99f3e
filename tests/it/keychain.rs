//! `ccs::keychain` against tests/security-standin, a stand-in for macOS's `security` that keeps
//! items as files and logs every call: deleting, moving and listing Claude Code's logins, and
//! that a secret never reaches a command line. Never the real Keychain: every `Keychain` here
//! is built on the stand-in, in a sandbox.

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::Sandbox;
use ccs::{Keychain, Orphan, service_name};
use serde_json::{Value, json};

const STANDIN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/security-standin");
const WORK: &str = "/Users/me/.ccs/instances/work";
const JOB: &str = "/Users/me/.ccs/instances/job";

/// A login as Claude Code stores it: JSON, non-ASCII escaped, with quotes, backslashes, spaces
/// and shell metacharacters, so that any re-quoting on the way would show.
const LOGIN: &[u8] = br#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-Ab_9$(x)`y`'z'","refreshToken":"sk-ant-ort01-Q\"w\\e r","expiresAt":1767225600000,"scopes":["user:inference","user:profile"],"subscriptionType":"max"},"keychainOverflow":{"slot":"a","key":"k1"},"note":"caf\u00e9 & <tag> ; |"}"#;
/// An overflow section: base64 of iv, ciphertext and tag.
const OVERFLOW: &[u8] = b"q83vEjRWeJq83vEj+/9Rk2V4YW1wbGUgY2lwaGVydGV4dA==";
const API_KEY: &[u8] = b"sk-ant-api03-Zx9_Yw8-Vu7";

fn overflow(login: &str, slot: &str) -> String {
    format!("{login}-overflow-{slot}")
}

/// The API key's service name: the login's without "-credentials".
fn api_key(dir: &str) -> String {
    service_name(dir).replace("-credentials", "")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One call the stand-in saw.
struct Call {
    argv: Vec<String>,
    stdin: String,
}

/// A keychain of a test's own: the stand-in linked into a sandbox directory, which holds its
/// items, its log of calls and the behaviour the test asks of it (see tests/security-standin).
/// Linked, not written: a script written while other tests spawn processes can fail to start.
struct Standin {
    _sandbox: Sandbox,
    dir: PathBuf,
}

impl Standin {
    fn new() -> Self {
        let sandbox = Sandbox::new();
        let dir = sandbox.root.join("keychain");
        fs::create_dir(&dir).unwrap();
        std::os::unix::fs::symlink(STANDIN, dir.join("security")).unwrap();
        Self {
            _sandbox: sandbox,
            dir,
        }
    }

    fn behaving(self, behaviour: Value) -> Self {
        fs::write(self.dir.join("behaviour.json"), behaviour.to_string()).unwrap();
        self
    }

    /// The Keychain on the stand-in, for the account `me`. A generous limit: the stand-in is a
    /// Python program, slow to start on a busy machine; the test of limits sets its own.
    fn keychain(&self) -> Keychain {
        Keychain::new(self.dir.join("security"), "me").with_timeout(Duration::from_secs(60))
    }

    fn item(&self, account: &str, service: &str) -> PathBuf {
        let name = format!("{}.{}", hex(account.as_bytes()), hex(service.as_bytes()));
        self.dir.join("items").join(name)
    }

    fn seed_as(&self, account: &str, service: &str, secret: &[u8]) {
        fs::create_dir_all(self.dir.join("items")).unwrap();
        fs::write(self.item(account, service), secret).unwrap();
    }

    fn seed(&self, service: &str, secret: &[u8]) {
        self.seed_as("me", service, secret);
    }

    /// The secret of `me`'s item, if there is one.
    fn secret(&self, service: &str) -> Option<Vec<u8>> {
        fs::read(self.item("me", service)).ok()
    }

    /// Every item, as "account: service".
    fn items(&self) -> BTreeSet<String> {
        let Ok(entries) = fs::read_dir(self.dir.join("items")) else {
            return BTreeSet::new();
        };
        let unhex = |h: &str| {
            let bytes = (0..h.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
                .collect();
            String::from_utf8(bytes).unwrap()
        };
        entries
            .map(|e| {
                let name = e.unwrap().file_name().into_string().unwrap();
                let (account, service) = name.split_once('.').unwrap();
                format!("{}: {}", unhex(account), unhex(service))
            })
            .collect()
    }

    fn calls(&self) -> Vec<Call> {
        let log = fs::read_to_string(self.dir.join("calls.log")).unwrap_or_default();
        log.lines()
            .map(|line| {
                let call: Value = serde_json::from_str(line).unwrap();
                let argv = call["argv"].as_array().unwrap().iter();
                Call {
                    argv: argv.map(|a| a.as_str().unwrap().to_owned()).collect(),
                    stdin: call["stdin"].as_str().unwrap().to_owned(),
                }
            })
            .collect()
    }

    /// A profile's full login at `dir`: the login, both overflow items and an API key.
    fn seed_profile(&self, dir: &str) {
        let login = service_name(dir);
        self.seed(&login, LOGIN);
        self.seed(&overflow(&login, "a"), OVERFLOW);
        self.seed(&overflow(&login, "b"), &OVERFLOW[1..]);
        self.seed(&api_key(dir), API_KEY);
    }
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

// --- names --------------------------------------------------------------------------------

#[test]
fn items_are_named_as_claude_code_names_them() {
    // The hash computed independently (sha256 of the path, first 8 hex digits).
    assert_eq!(service_name(WORK), "Claude Code-credentials-7cba2e47");
    assert_eq!(api_key(WORK), "Claude Code-7cba2e47");
}

// --- remove -----------------------------------------------------------------------------------

#[test]
fn removing_deletes_the_login_its_overflow_and_its_api_key() {
    let standin = Standin::new();
    standin.seed_profile(WORK);
    standin.seed(&service_name(JOB), LOGIN);
    standin.seed("Claude Code-credentials", LOGIN);
    standin.seed_as("claude-code-user", &service_name(WORK), LOGIN);

    let login = service_name(WORK);
    let deleted = standin.keychain().delete_login(WORK).unwrap();

    assert_eq!(
        deleted,
        [
            login.clone(),
            api_key(WORK),
            overflow(&login, "b"),
            overflow(&login, "a")
        ]
    );
    let others = [
        "claude-code-user: Claude Code-credentials-7cba2e47".to_owned(),
        format!("me: {}", service_name(JOB)),
        "me: Claude Code-credentials".to_owned(),
    ];
    assert_eq!(standin.items(), others.into_iter().collect());
    for call in standin.calls() {
        assert_eq!(
            call.argv[..4],
            ["delete-generic-password", "-a", "me", "-s"]
        );
    }
}

#[test]
fn removing_a_profile_without_a_login_is_quiet() {
    let standin = Standin::new();
    standin.seed(&service_name(JOB), LOGIN);

    assert_eq!(
        standin.keychain().delete_login(WORK).unwrap(),
        Vec::<String>::new()
    );
    assert_eq!(standin.calls().len(), 4, "one delete per item");
    assert_eq!(standin.secret(&service_name(JOB)).unwrap(), LOGIN);
}

#[test]
fn a_failed_delete_says_what_was_deleted_before() {
    let standin = Standin::new()
        .behaving(json!({"fail": [format!("delete-generic-password:{}", api_key(WORK))]}));
    standin.seed_profile(WORK);

    let error = standin.keychain().delete_login(WORK).unwrap_err();

    let message = format!("{error:#}");
    assert!(
        message.contains("deleted the Keychain items Claude Code-credentials-7cba2e47, then"),
        "{message}"
    );
    assert!(
        message.contains("User interaction is not allowed"),
        "{message}"
    );
    assert_eq!(standin.secret(&api_key(WORK)).unwrap(), API_KEY);
    assert_eq!(standin.secret(&service_name(WORK)), None);
}

// --- rename -----------------------------------------------------------------------------------

#[test]
fn renaming_moves_every_item_byte_for_byte() {
    let standin = Standin::new();
    standin.seed_profile(WORK);

    let moved = standin.keychain().move_login(WORK, JOB).unwrap();

    let login = service_name(JOB);
    assert_eq!(
        moved.items,
        [
            overflow(&login, "a"),
            overflow(&login, "b"),
            api_key(JOB),
            login.clone()
        ]
    );
    assert!(moved.old_not_deleted.is_none());
    assert_eq!(standin.secret(&login).unwrap(), LOGIN);
    assert_eq!(standin.secret(&overflow(&login, "a")).unwrap(), OVERFLOW);
    assert_eq!(
        standin.secret(&overflow(&login, "b")).unwrap(),
        &OVERFLOW[1..]
    );
    assert_eq!(standin.secret(&api_key(JOB)).unwrap(), API_KEY);
    assert_eq!(standin.items().len(), 4, "the old items are gone");
}

#[test]
fn renaming_never_puts_a_secret_on_a_command_line() {
    let standin = Standin::new();
    standin.seed_profile(WORK);

    standin.keychain().move_login(WORK, JOB).unwrap();

    let calls = standin.calls();
    let secrets = [LOGIN, OVERFLOW, &OVERFLOW[1..], API_KEY];
    for call in &calls {
        for secret in secrets {
            let (text, hex) = (String::from_utf8_lossy(secret), hex(secret));
            for arg in &call.argv {
                assert!(
                    !arg.contains(&*text) && !arg.contains(&hex),
                    "a secret in argv: {:?}",
                    call.argv
                );
            }
        }
    }
    // Each went on security -i's stdin, as Claude Code writes it.
    let login = service_name(JOB);
    let expected = format!(
        "add-generic-password -U -a \"me\" -s \"{login}\" -X \"{}\"\n",
        hex(LOGIN)
    );
    assert!(
        calls
            .iter()
            .any(|c| c.argv == ["-i"] && c.stdin == expected),
        "no security -i call wrote the login"
    );
    let written = calls.iter().filter(|c| c.argv == ["-i"]).count();
    assert_eq!(written, 4);
}

#[test]
fn a_failed_write_leaves_the_login_under_the_old_name() {
    let standin = Standin::new().behaving(json!({"fail": ["add-generic-password"]}));
    standin.seed_profile(WORK);
    let before = standin.items();

    let error = standin.keychain().move_login(WORK, JOB).unwrap_err();

    let message = format!("{error:#}");
    assert!(
        message.contains("was not moved: it stays under 'Claude Code-credentials-7cba2e47'"),
        "{message}"
    );
    assert_eq!(standin.items(), before);
    assert_eq!(standin.secret(&service_name(WORK)).unwrap(), LOGIN);
}

#[test]
fn a_failed_write_midway_takes_the_copies_back() {
    let failing = overflow(&service_name(JOB), "b");
    let standin =
        Standin::new().behaving(json!({"fail": [format!("add-generic-password:{failing}")]}));
    standin.seed_profile(WORK);
    let before = standin.items();

    assert!(standin.keychain().move_login(WORK, JOB).is_err());

    // overflow-a was written before overflow-b failed; it is gone again.
    let wrote_a = standin
        .calls()
        .iter()
        .any(|c| c.argv == ["-i"] && c.stdin.contains(&overflow(&service_name(JOB), "a")));
    assert!(wrote_a);
    assert_eq!(standin.items(), before);
}

#[test]
fn a_copy_that_reads_back_different_is_taken_back() {
    let standin = Standin::new().behaving(json!({"mangle": true}));
    standin.seed_profile(WORK);
    let before = standin.items();

    let error = standin.keychain().move_login(WORK, JOB).unwrap_err();

    assert!(
        format!("{error:#}").contains("does not read back the same"),
        "{error:#}"
    );
    assert_eq!(standin.items(), before);
    assert_eq!(standin.secret(&service_name(WORK)).unwrap(), LOGIN);
}

#[test]
fn a_login_too_long_for_security_i_stays_where_it_is() {
    let standin = Standin::new();
    let long = vec![b'x'; 2500];
    standin.seed(&service_name(WORK), &long);

    let error = standin.keychain().move_login(WORK, JOB).unwrap_err();

    assert!(format!("{error:#}").contains("too long"), "{error:#}");
    assert_eq!(standin.secret(&service_name(WORK)).unwrap(), long);
    assert_eq!(standin.items().len(), 1);
    let hex = hex(&long);
    for call in standin.calls() {
        assert!(
            !call
                .argv
                .iter()
                .any(|a| a.contains("xxxxxxxx") || a.contains(&hex))
        );
    }
}

#[test]
fn renaming_clears_a_stale_login_under_the_new_name() {
    let standin = Standin::new();
    standin.seed(&service_name(WORK), LOGIN);
    standin.seed(&api_key(JOB), b"sk-ant-api03-of-a-removed-profile");
    standin.seed(&overflow(&service_name(JOB), "b"), b"stale");

    let moved = standin.keychain().move_login(WORK, JOB).unwrap();

    assert_eq!(moved.items, [service_name(JOB)]);
    assert_eq!(
        standin.items(),
        set(&[&format!("me: {}", service_name(JOB))])
    );
}

#[test]
fn renaming_a_profile_without_a_login_writes_nothing() {
    let standin = Standin::new();
    standin.seed(&service_name("/Users/me/.ccs/instances/other"), LOGIN);

    let moved = standin.keychain().move_login(WORK, JOB).unwrap();

    assert!(moved.items.is_empty());
    assert!(!standin.calls().iter().any(|c| c.argv == ["-i"]));
    assert_eq!(standin.items().len(), 1);
}

// --- doctor -----------------------------------------------------------------------------------

#[test]
fn orphans_are_the_logins_of_no_profile() {
    let standin = Standin::new();
    let gone = "/Users/me/.ccs/instances/gone";
    standin.seed_profile(WORK);
    standin.seed(&service_name(JOB), LOGIN);
    standin.seed(&overflow(&service_name(JOB), "a"), OVERFLOW);
    standin.seed(&api_key(gone), API_KEY);
    standin.seed_as("Jürgen", &service_name(gone), LOGIN);
    standin.seed("Claude Code-credentials", LOGIN);
    standin.seed("Claude Code-doctor-probe", b"probe");
    standin.seed("Other App-1a2b3c4d", b"x");
    let keychain = standin.keychain();

    let orphans = keychain.logins_without_profile(&[WORK.to_owned()]).unwrap();

    let orphan = |dir: &str, account: &str, items: &[String]| Orphan {
        service: service_name(dir),
        account: account.to_owned(),
        items: items.to_vec(),
    };
    let mut expected = vec![
        orphan(gone, "Jürgen", &[service_name(gone)]),
        orphan(gone, "me", &[api_key(gone)]),
        orphan(
            JOB,
            "me",
            &[service_name(JOB), overflow(&service_name(JOB), "a")],
        ),
    ];
    expected.sort_by(|a, b| (&a.service, &a.account).cmp(&(&b.service, &b.account)));
    assert_eq!(orphans, expected);
    for call in standin.calls() {
        assert_eq!(call.argv, ["dump-keychain"]);
    }

    // The commands given for them delete exactly them, run by a shell.
    for command in orphans.iter().flat_map(Orphan::delete_commands) {
        let path = format!("{}:/usr/bin:/bin", standin.dir.display());
        let out = Command::new("sh")
            .args(["-c", &command])
            .env("PATH", path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{command}");
    }
    assert_eq!(
        keychain.logins_without_profile(&[WORK.to_owned()]).unwrap(),
        []
    );
    assert_eq!(
        standin.items().len(),
        7,
        "the profile's and the others' stay"
    );
}

// --- running security -------------------------------------------------------------------------

#[test]
fn a_hanging_security_is_stopped() {
    // The stand-in waits on `sleep`, which keeps stdout and stderr open when it is killed.
    let standin = Standin::new().behaving(json!({"hang": 30}));
    standin.seed(&service_name(WORK), LOGIN);
    let keychain = standin.keychain().with_timeout(Duration::from_millis(1500));

    let started = Instant::now();
    let error = keychain.delete_login(WORK).unwrap_err();

    assert!(
        format!("{error:#}").contains("timed out after 1.5 s; stopped it"),
        "{error:#}"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(standin.secret(&service_name(WORK)).unwrap(), LOGIN);
}

#[test]
fn a_child_left_holding_the_output_does_not_hold_ccs() {
    let standin = Standin::new().behaving(json!({"linger": 30}));
    let keychain = standin.keychain().with_timeout(Duration::from_millis(1500));

    let started = Instant::now();
    let error = keychain.delete_login(WORK).unwrap_err();

    assert!(
        format!("{error:#}").contains("kept its output open past 1.5 s"),
        "{error:#}"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn what_security_says_is_shown_on_one_line() {
    let standin = Standin::new().behaving(json!({
        "fail": ["dump-keychain"],
        "message": "\u{1b}[31mlocked\nsecond line",
    }));

    let error = standin.keychain().logins_without_profile(&[]).unwrap_err();

    let message = format!("{error:#}");
    assert!(
        message.ends_with(
            "dump-keychain failed (exit status 36): security: \\u{1b}[31mlocked; second line"
        ),
        "{message}"
    );
    assert!(!message.contains(char::is_control));
}

#[test]
fn a_missing_security_is_an_error() {
    let standin = Standin::new();
    let keychain = Keychain::new(standin.dir.join("absent"), "me");

    let error = keychain.delete_login(WORK).unwrap_err();

    assert!(format!("{error:#}").contains("cannot start"), "{error:#}");
}

//! On macOS Claude Code keeps a profile's login in the Keychain under a name made from the
//! config dir's path. `remove` deletes it (after the same confirmation), `rename` moves it, and
//! `doctor` lists logins no profile has: run here through the commands, with the stand-in
//! `security` of tests/it/keychain.rs (tests/security-standin) named by CCS_SECURITY.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{Sandbox, stderr, stdout};
use ccs::service_name;

const STANDIN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/security-standin");
const SECRET: &str = r#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-SECRET"}}"#;

/// A sandbox whose ccs uses the stand-in keychain in `dir`.
fn with_keychain() -> (Sandbox, PathBuf) {
    let sandbox = Sandbox::new();
    let dir = sandbox.root.join("keychain");
    fs::create_dir(&dir).unwrap();
    (sandbox, dir)
}

fn ccs(sandbox: &Sandbox, keychain: &Path, args: &[&str]) -> std::process::Output {
    sandbox
        .ccs(args)
        .env("CCS_SECURITY", STANDIN)
        .env("SECURITY_STANDIN_DIR", keychain)
        .env("USER", "me")
        .output()
        .unwrap()
}

fn security(keychain: &Path, args: &[&str]) -> std::process::Output {
    Command::new(STANDIN)
        .args(args)
        .env("SECURITY_STANDIN_DIR", keychain)
        .output()
        .unwrap()
}

fn store_login(keychain: &Path, dir: &Path) {
    let service = service_name(dir.to_str().unwrap());
    let out = security(
        keychain,
        &[
            "add-generic-password",
            "-a",
            "me",
            "-s",
            &service,
            "-w",
            SECRET,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
}

fn login_of(keychain: &Path, dir: &Path) -> Option<String> {
    let service = service_name(dir.to_str().unwrap());
    let out = security(
        keychain,
        &["find-generic-password", "-a", "me", "-w", "-s", &service],
    );
    out.status
        .success()
        .then(|| stdout(&out).trim_end().to_owned())
}

#[test]
fn remove_deletes_the_keychain_login_and_a_new_profile_of_that_name_has_none() {
    let (sandbox, keychain) = with_keychain();
    let work = sandbox.create("work");
    store_login(&keychain, &work);
    // Refused without confirmation: nothing deleted, the login included.
    assert!(
        !ccs(&sandbox, &keychain, &["remove", "work"])
            .status
            .success()
    );
    assert!(login_of(&keychain, &work).is_some());
    let out = ccs(&sandbox, &keychain, &["remove", "work", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Deleted its Keychain login"),
        "{}",
        stdout(&out)
    );
    assert!(!stdout(&out).contains("SECRET") && !stderr(&out).contains("SECRET"));
    sandbox.create("work");
    assert_eq!(
        login_of(&keychain, &work),
        None,
        "the new profile inherited a login"
    );
}

#[test]
fn rename_moves_the_keychain_login_with_the_profile() {
    let (sandbox, keychain) = with_keychain();
    let work = sandbox.create("work");
    store_login(&keychain, &work);
    // Only ccs's calls are looked at: the seeding above put the secret on a command line.
    fs::remove_file(keychain.join("calls.log")).unwrap();
    let out = ccs(&sandbox, &keychain, &["rename", "work", "job"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("moved its Keychain login to 'job'"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        login_of(&keychain, &sandbox.instance("job")).as_deref(),
        Some(SECRET)
    );
    assert_eq!(login_of(&keychain, &work), None);
    let log = fs::read_to_string(keychain.join("calls.log")).unwrap();
    for line in log.lines() {
        let call: serde_json::Value = serde_json::from_str(line).unwrap();
        let argv = call["argv"].to_string();
        assert!(
            !argv.contains("SECRET") && !argv.contains("736b2d616e74"),
            "{argv}"
        );
    }
}

#[test]
fn doctor_lists_keychain_logins_no_profile_has() {
    let (sandbox, keychain) = with_keychain();
    let work = sandbox.create("work");
    store_login(&keychain, &work);
    let gone = sandbox.ccs_home.join("instances/gone");
    store_login(&keychain, &gone);
    let report = stdout(&ccs(&sandbox, &keychain, &["doctor"]));
    let orphan = service_name(gone.to_str().unwrap());
    assert!(
        report.contains(&format!(
            "the Keychain login '{orphan}' belongs to no ccs profile"
        )),
        "{report}"
    );
    assert!(
        report.contains(&format!(
            "security delete-generic-password -a me -s '{orphan}'"
        )),
        "{report}"
    );
    assert!(
        !report.contains(&service_name(work.to_str().unwrap())),
        "{report}"
    );
}

#[test]
fn without_a_keychain_nothing_runs() {
    let (sandbox, keychain) = with_keychain();
    let work = sandbox.create("work");
    store_login(&keychain, &work);
    fs::remove_file(keychain.join("calls.log")).unwrap();
    // On Linux, with no CCS_SECURITY: no Keychain.
    assert!(sandbox.run(["remove", "work", "--yes"]).status.success());
    assert!(!keychain.join("calls.log").exists());
}

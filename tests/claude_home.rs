//! Today's Claude Code (the version `.ci/run` pins) in a home that looks like a real one: what it
//! keeps beside and inside a config dir, what reaches the model from where, and what ccs must
//! never take for its own. Each case runs the real client; locally the tests skip with a notice
//! without it.

#[path = "common/api.rs"]
mod api;
mod common;

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use common::{Sandbox, stderr, stdout};

/// The real client: `CCS_TEST_CLAUDE`, else the copy `.ci/run` installs.
fn claude() -> Option<PathBuf> {
    let pinned =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("target/claude-code/node_modules/.bin/claude");
    let found = std::env::var_os("CCS_TEST_CLAUDE")
        .map(PathBuf::from)
        .or_else(|| pinned.is_file().then_some(pinned));
    common::required(
        found.is_some(),
        "Claude Code is not installed (npm install --prefix target/claude-code @anthropic-ai/claude-code@2.1.332)",
    );
    found
}

/// A login whose access token has expired: the client refreshes it before anything else.
fn expired_login(dir: &Path) {
    let text = r#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-fake","refreshToken":"sk-ant-ort01-fake","expiresAt":1000,"scopes":["user:inference","user:profile"],"subscriptionType":"max"}}"#;
    let file = dir.join(".credentials.json");
    fs::write(&file, text).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
}

/// A proxy that accepts connections and never answers: a request sent through it waits forever.
fn black_hole() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    (listener, url)
}

/// Waits (bounded) until `path` exists.
fn wait_for(path: &Path, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !path.exists() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn age(path: &Path, by: Duration) {
    let then = SystemTime::now() - by;
    fs::File::open(path).unwrap().set_modified(then).unwrap();
}

/// A login refresh takes `instances/work.lock` beside the profile; a refresh killed mid-way
/// leaves it. It is never a profile (list, use, doctor's checks), a name ending in `.lock` is
/// refused, and doctor names the lock only once no client holds it.
#[test]
fn the_clients_lock_beside_a_profile_is_never_a_profile() {
    let Some(claude) = claude() else { return };
    let sandbox = Sandbox::new();
    let work = sandbox.create("work");
    expired_login(&work);
    let (proxy, proxy_url) = black_hole();
    let mut run = Command::new(&claude);
    sandbox.env(&mut run);
    let mut child = run
        .args(["-p", "hi"])
        .env("CLAUDE_CONFIG_DIR", &work)
        .env("HTTPS_PROXY", &proxy_url)
        .env("HTTP_PROXY", &proxy_url)
        .current_dir(&sandbox.home)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lock = sandbox.ccs_home.join("instances/work.lock");
    wait_for(&lock, "the client's refresh lock beside the profile");
    // Held: doctor leaves it alone.
    let report = stdout(&sandbox.run(["doctor"]));
    assert!(!report.contains("work.lock"), "{report}");
    child.kill().unwrap();
    child.wait().unwrap();
    drop(proxy);
    assert!(lock.is_dir(), "a killed refresh leaves its lock");

    let listed = sandbox.ok(["list"]);
    assert!(!listed.contains("work.lock"), "{listed}");
    assert_eq!(
        sandbox.ok(["list", "--json"]).matches("\"name\"").count(),
        1
    );
    let out = sandbox.run(["use", "work.lock", "--shell", "bash"]);
    assert!(!out.status.success() && out.stdout.is_empty());
    assert!(stderr(&out).contains("'.lock'"), "{}", stderr(&out));
    let out = sandbox.run(["create", "other.LOCK"]);
    assert!(!out.status.success() && stderr(&out).contains("'.lock'"));
    let report = stdout(&sandbox.run(["doctor"]));
    assert!(!report.contains("FAIL"), "{report}");

    // Abandoned past the client's stale limit: named, with the command that clears it.
    age(&lock, Duration::from_secs(120));
    for inner in fs::read_dir(&work).unwrap().flatten() {
        if inner.file_name().to_string_lossy().ends_with(".lock") {
            age(&inner.path(), Duration::from_secs(120));
        }
    }
    let report = stdout(&sandbox.run(["doctor"]));
    assert!(
        report.contains(&format!("rmdir {}", lock.display())),
        "{report}"
    );
    assert!(report.contains(".oauth_refresh.lock"), "{report}");
}

/// Runs one whole turn of the real client in `profile`, from `cwd`, against `api`.
fn real_turn(sandbox: &Sandbox, claude: &Path, profile: &Path, cwd: &Path, api: &api::FakeApi) {
    let mut run = Command::new(claude);
    sandbox.env(&mut run);
    let out = run
        .args(["-p", "hi"])
        .env("CLAUDE_CONFIG_DIR", profile)
        .env("ANTHROPIC_BASE_URL", &api.url)
        .env("ANTHROPIC_API_KEY", "sk-ant-api03-fake")
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success() && stdout(&out).contains("ok"),
        "claude -p: {}{}",
        stdout(&out),
        stderr(&out)
    );
}

/// What today's client writes into a profile in a real turn has a name in `ccs du`, and `clean`
/// takes only history and logs from it: never the records of running sessions, the state or the
/// login.
#[test]
fn du_and_clean_know_what_todays_client_writes() {
    let Some(claude) = claude() else { return };
    let api = api::FakeApi::start(api::Usage::default());
    let sandbox = Sandbox::new();
    let work = sandbox.create("work");
    let project = sandbox.home.join("project");
    fs::create_dir(&project).unwrap();
    real_turn(&sandbox, &claude, &work, &project, &api);
    let du: serde_json::Value = serde_json::from_str(&sandbox.ok(["du", "--json"])).unwrap();
    let parts = du["profiles"][0]["parts"].as_array().unwrap();
    let unknown: Vec<&str> = parts
        .iter()
        .filter(|p| p["kind"] == "other")
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        unknown.is_empty(),
        "parts ccs cannot name: {unknown:?}\n{du:#}"
    );
    let kind = |name: &str| {
        parts
            .iter()
            .find(|p| p["name"] == name)
            .map(|p| p["kind"].as_str().unwrap().to_owned())
    };
    assert_eq!(kind("projects").as_deref(), Some("sessions"));
    assert_eq!(kind(".claude.json").as_deref(), Some("state"));
    let dry = sandbox.ok(["clean", "work", "--dry-run"]);
    assert!(dry.contains("projects/"), "{dry}");
    for kept in ["sessions/", "backups/", ".claude.json", "history.jsonl"] {
        assert!(!dry.contains(kept), "{kept} in {dry}");
    }
}

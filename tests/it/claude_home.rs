//! Today's Claude Code (the version `.ci/run` pins) in a home that looks like a real one: what it
//! keeps beside and inside a config dir, what reaches the model from where, and what ccs must
//! never take for its own. Each case runs the real client; locally the tests skip with a notice
//! without it.

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use crate::common::api::{self, Options, StandIn};
use crate::common::child::output_within;
use crate::common::home::{self, real_home};
use crate::common::{CLIENT_TIMEOUT, Sandbox, claude, stderr, stdout};

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
    let home_claude = real_home(&sandbox);
    let untouched = home::snapshot(&home_claude);
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
    // One profile, after the row of the default config ("name": null) this home's ~/.claude has.
    assert_eq!(
        sandbox
            .ok(["list", "--json"])
            .matches("\"name\":\"")
            .count(),
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
    assert_eq!(home::snapshot(&home_claude), untouched, "~/.claude changed");
}

/// Runs one whole turn of the real client in `profile`, from `cwd`, against `api`.
fn real_turn(sandbox: &Sandbox, claude: &Path, profile: &Path, cwd: &Path, api: &StandIn) {
    let mut run = Command::new(claude);
    sandbox.env(&mut run);
    run.args(["-p", "hi"])
        .env("CLAUDE_CONFIG_DIR", profile)
        .env("ANTHROPIC_BASE_URL", &api.url)
        .env("ANTHROPIC_API_KEY", "sk-ant-api03-fake")
        .current_dir(cwd)
        .stdin(Stdio::null());
    let out = output_within(&mut run, CLIENT_TIMEOUT);
    assert!(
        out.status.success() && stdout(&out).contains(api::ANSWER),
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
    let api = StandIn::start(Options::default());
    let sandbox = Sandbox::new();
    let home_claude = real_home(&sandbox);
    let untouched = home::snapshot(&home_claude);
    let work = sandbox.create("work");
    real_turn(&sandbox, &claude, &work, &home::project(&sandbox), &api);
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
    assert_eq!(home::snapshot(&home_claude), untouched, "~/.claude changed");
}

/// What reaches the model from a profile, captured at a stand-in API: the shared memory, rules,
/// output style and skills, and the profile's own CLAUDE.md. (Before ccs shared the whole set,
/// the output style selected in the shared settings did not exist in a profile.)
#[test]
fn the_shared_configuration_reaches_the_model() {
    let Some(claude) = claude() else { return };
    let api = StandIn::start(Options::default());
    let sandbox = Sandbox::new();
    let home_claude = real_home(&sandbox);
    let untouched = home::snapshot(&home_claude);
    let work = sandbox.create("work");
    let elsewhere = sandbox.root.join("project");
    fs::create_dir(&elsewhere).unwrap();
    real_turn(&sandbox, &claude, &work, &elsewhere, &api);
    let sent = api.instructions();
    for marker in [
        home::SHARED_MEMORY,
        home::SHARED_RULE,
        home::OUTPUT_STYLE,
        home::SHARED_SKILL,
    ] {
        assert!(sent.contains(marker), "{marker} did not reach the model");
    }
    assert_eq!(home::snapshot(&home_claude), untouched, "~/.claude changed");
}

/// An isolated profile shares nothing from `~/.claude`, outside the home directory. Inside it,
/// the client itself reads `~/.claude/CLAUDE.md` and `~/.claude/rules/` as a project's
/// instructions, whatever the config dir: the leak the README and `ccs doctor` name.
#[test]
fn an_isolated_profile_under_home_still_gets_the_home_claude_md() {
    let Some(claude) = claude() else { return };
    let api = StandIn::start(Options::default());
    let sandbox = Sandbox::new();
    let home_claude = real_home(&sandbox);
    let untouched = home::snapshot(&home_claude);
    sandbox.ok(["create", "solo", "--isolated"]);
    let solo = sandbox.instance("solo");
    fs::write(solo.join("CLAUDE.md"), "Own memory: MARKER-OWN-MEMORY\n").unwrap();

    let outside = sandbox.root.join("elsewhere");
    fs::create_dir(&outside).unwrap();
    real_turn(&sandbox, &claude, &solo, &outside, &api);
    let sent = api.instructions();
    assert!(sent.contains("MARKER-OWN-MEMORY"));
    for marker in [
        "MARKER-SHARED-MEMORY",
        "MARKER-SHARED-RULE",
        "MARKER-OUTPUT-STYLE",
    ] {
        assert!(
            !sent.contains(marker),
            "{marker} reached an isolated profile"
        );
    }

    let api = StandIn::start(Options::default());
    let under_home = home::project(&sandbox);
    real_turn(&sandbox, &claude, &solo, &under_home, &api);
    let sent = api.instructions();
    assert!(sent.contains(home::SHARED_MEMORY) && sent.contains(home::SHARED_RULE));
    assert!(!sent.contains(home::OUTPUT_STYLE));
    let report = stdout(&sandbox.run(["doctor"]));
    assert!(
        report.contains("CLAUDE.md") && report.contains("under your home directory"),
        "{report}"
    );
    assert_eq!(home::snapshot(&home_claude), untouched, "~/.claude changed");
}

/// `claude auth status` for the profile at `dir`, with `extra` environment.
fn auth_status(
    sandbox: &Sandbox,
    claude: &Path,
    dir: &Path,
    extra: &[(&str, &str)],
) -> serde_json::Value {
    let mut run = Command::new(claude);
    sandbox.env(&mut run);
    run.args(["auth", "status"])
        .env("CLAUDE_CONFIG_DIR", dir)
        .current_dir(&sandbox.root)
        .stdin(Stdio::null());
    for (k, v) in extra {
        run.env(k, v);
    }
    let out = output_within(&mut run, CLIENT_TIMEOUT);
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("auth status: {e}: {}{}", stdout(&out), stderr(&out)))
}

fn claude_ai_login(dir: &Path, plan: &str, account: &str) {
    let file = dir.join(".credentials.json");
    fs::write(
        &file,
        format!(
            r#"{{"claudeAiOauth":{{"accessToken":"sk-ant-oat01-{plan}","refreshToken":"sk-ant-ort01-{plan}","expiresAt":4102444800000,"scopes":["user:inference","user:profile"],"subscriptionType":"{plan}"}}}}"#
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
    fs::write(
        dir.join(".claude.json"),
        format!(
            r#"{{"oauthAccount":{{"accountUuid":"{account}","emailAddress":"{plan}@example.com","organizationUuid":"00000000-0000-4000-8000-000000000000"}}}}"#
        ),
    )
    .unwrap();
}

/// Each route around a profile's login, shown to work on the real client (`claude auth
/// status`), then named by `ccs doctor` and warned about by `ccs use`.
#[test]
fn every_route_around_the_login_is_named() {
    let Some(claude) = claude() else { return };
    let sandbox = Sandbox::new();
    let home_claude = real_home(&sandbox);
    let untouched = home::snapshot(&home_claude);
    let work = sandbox.create("work");
    claude_ai_login(&work, "max", "aaaaaaaa-0000-4000-8000-000000000001");
    assert_eq!(
        auth_status(&sandbox, &claude, &work, &[])["subscriptionType"],
        "max"
    );
    let warning = |extra: &[(&str, &str)]| {
        let mut cmd = sandbox.ccs(["use", "work", "--shell", "bash"]);
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success());
        stderr(&out)
    };
    let doctor = |extra: &[(&str, &str)]| {
        let mut cmd = sandbox.ccs(["doctor"]);
        for (k, v) in extra {
            cmd.env(k, v);
        }
        stdout(&cmd.output().unwrap())
    };

    // CLAUDE_SECURESTORAGE_CONFIG_DIR moves the login: the profile's own is no longer read.
    let elsewhere = sandbox.root.join("logins");
    fs::create_dir(&elsewhere).unwrap();
    let moved = [(
        "CLAUDE_SECURESTORAGE_CONFIG_DIR",
        elsewhere.to_str().unwrap(),
    )];
    assert_eq!(
        auth_status(&sandbox, &claude, &work, &moved)["loggedIn"],
        false
    );
    assert!(warning(&moved).contains("CLAUDE_SECURESTORAGE_CONFIG_DIR is set"));
    assert!(
        doctor(&moved)
            .contains("warn  CLAUDE_SECURESTORAGE_CONFIG_DIR is set: the login is read from")
    );

    // CLAUDE_CONFIG_DIR in the profile's settings moves the whole config dir.
    let other = sandbox.root.join("other-config");
    fs::create_dir(&other).unwrap();
    // The profile's own settings, not the shared file its settings.json links to.
    let settings = work.join("settings.json");
    fs::remove_file(&settings).unwrap();
    fs::write(
        &settings,
        format!(
            "{{\"env\":{{\"CLAUDE_CONFIG_DIR\":\"{}\"}}}}",
            other.display()
        ),
    )
    .unwrap();
    let status = auth_status(&sandbox, &claude, &work, &[]);
    assert_eq!(
        status["configDirectory"],
        other.to_str().unwrap(),
        "{status}"
    );
    assert!(
        warning(&[]).contains("sets CLAUDE_CONFIG_DIR"),
        "{}",
        warning(&[])
    );
    assert!(doctor(&[]).contains("sets CLAUDE_CONFIG_DIR in its env block"));

    // apiKeyHelper turns the login into the helper's key.
    fs::write(&settings, "{\"apiKeyHelper\":\"echo sk-ant-api03-helper\"}").unwrap();
    let status = auth_status(&sandbox, &claude, &work, &[]);
    assert_eq!(status["authMethod"], "api_key_helper", "{status}");
    assert!(warning(&[]).contains("sets apiKeyHelper"));
    assert!(doctor(&[]).contains("sets apiKeyHelper as a setting"));
    fs::remove_file(&settings).unwrap();

    // A login profile in ~/.config/anthropic logs in a profile without a login of its own, and
    // ANTHROPIC_PROFILE makes it win over the profile's own.
    let anthropic = sandbox.home.join(".config/anthropic");
    fs::create_dir_all(anthropic.join("configs")).unwrap();
    fs::create_dir_all(anthropic.join("credentials")).unwrap();
    fs::write(
        anthropic.join("configs/default.json"),
        r#"{"authentication":{"type":"user_oauth"}}"#,
    )
    .unwrap();
    fs::write(
        anthropic.join("credentials/default.json"),
        r#"{"type":"oauth_token","access_token":"sk-ant-oat01-profile","refresh_token":"r","expires_at":4102444800}"#,
    )
    .unwrap();
    let fresh = sandbox.create("fresh");
    let status = auth_status(&sandbox, &claude, &fresh, &[]);
    assert_eq!(status["loggedIn"], true, "{status}");
    assert_eq!(
        auth_status(&sandbox, &claude, &work, &[])["authMethod"],
        "claude.ai"
    );
    let report = doctor(&[]);
    assert!(
        report.contains("the login profile 'default'")
            && report.contains("profiles fresh (no login of their own)"),
        "{report}"
    );
    let explicit = [("ANTHROPIC_PROFILE", "default")];
    let status = auth_status(&sandbox, &claude, &work, &explicit);
    assert_ne!(status["authMethod"], "claude.ai", "{status}");
    assert!(warning(&explicit).contains("ANTHROPIC_PROFILE is set"));
    fs::remove_dir_all(&anthropic).unwrap();

    // Two profiles on one account.
    let twin = sandbox.create("twin");
    claude_ai_login(&twin, "pro", "aaaaaaaa-0000-4000-8000-000000000001");
    assert!(doctor(&[]).contains("profiles twin, work are logged into the same account"));
    assert_eq!(home::snapshot(&home_claude), untouched, "~/.claude changed");
}

/// Starts the real client on `profile`, waiting on an API that never answers: it runs, with its
/// record in `sessions/`, until killed.
fn running_client(
    sandbox: &Sandbox,
    claude: &Path,
    profile: &Path,
    api: &str,
) -> std::process::Child {
    let mut run = Command::new(claude);
    sandbox.env(&mut run);
    run.args(["-p", "hi"])
        .env("CLAUDE_CONFIG_DIR", profile)
        .env("ANTHROPIC_BASE_URL", api)
        .env("ANTHROPIC_API_KEY", "sk-ant-api03-fake")
        .current_dir(&sandbox.home)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// The client's own record of a running session: `sessions/<pid>.json`.
fn session_record(profile: &Path, child: &std::process::Child) -> PathBuf {
    let record = profile
        .join("sessions")
        .join(format!("{}.json", child.id()));
    wait_for(&record, "the client's session record");
    record
}

/// rename, remove and clean refuse a profile the real client is running on (moving or deleting
/// its files under it loses its state), unless forced; a record left by a killed client does not
/// count.
#[test]
fn a_profile_with_a_running_client_is_not_moved_or_deleted() {
    let Some(claude) = claude() else { return };
    let (api, api_url) = black_hole();
    let sandbox = Sandbox::new().with_quick_settle();
    let home_claude = real_home(&sandbox);
    let untouched = home::snapshot(&home_claude);
    let work = sandbox.create("work");
    fs::create_dir_all(work.join("projects/old")).unwrap();
    fs::write(work.join("projects/old/a.jsonl"), "{}\n").unwrap();
    // Listed once the profile has settled, so that it is cached: what the client does when it
    // starts must make the listing look again.
    sandbox.list_until_cached(&["list"], &["work"]);
    let cache = fs::read_to_string(sandbox.ccs_home.join("list-cache.tsv")).unwrap();
    assert!(cache.lines().any(|l| l.starts_with("work\t")), "{cache}");
    let mut child = running_client(&sandbox, &claude, &work, &api_url);
    let record = session_record(&work, &child);
    assert!(
        sandbox.ok(["list"]).contains("1 running"),
        "{}",
        sandbox.ok(["list"])
    );
    let listed: serde_json::Value = serde_json::from_str(&sandbox.ok(["list", "--json"])).unwrap();
    // listed[0] is the default config, ~/.claude, on which nothing runs.
    assert_eq!(listed[0]["default_config"], true);
    assert_eq!(listed[0]["running_sessions"], 0);
    assert_eq!(listed[1]["running_sessions"], 1);
    for args in [
        &["rename", "work", "job"][..],
        &["remove", "work", "--yes"],
        &["clean", "work", "--yes"],
    ] {
        let out = sandbox.run(args);
        assert!(!out.status.success() && out.stdout.is_empty(), "{args:?}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("Claude Code is running on profile 'work'")
                && err.contains(&format!("pid {}", child.id()))
                && err.contains("--force"),
            "{err}"
        );
    }
    assert!(work.join("projects/old/a.jsonl").is_file() && work.is_dir());
    assert!(sandbox.run(["clean", "work", "--dry-run"]).status.success());
    let out = sandbox.run(["clean", "work", "--sessions", "--yes", "--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("anyway (--force)"));
    assert!(!work.join("projects/old").exists());

    // Killed outright, the client leaves its record: not a running client any more.
    child.kill().unwrap();
    child.wait().unwrap();
    drop(api);
    assert!(record.is_file(), "a killed client leaves its record");
    assert!(!sandbox.ok(["list"]).contains("running"));
    let out = sandbox.run(["rename", "work", "job"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(home::snapshot(&home_claude), untouched, "~/.claude changed");
}

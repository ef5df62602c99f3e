//! A profile's name carried over plain `ssh` (`ccs init SHELL --ssh`, `LC_CCS_PROFILE`), through a
//! real sshd on 127.0.0.1 and a real ssh client, each with the `SendEnv`/`AcceptEnv` lines Debian
//! ships (read from its openssh packages' files, not written here). The remote machine is this
//! one under another HOME and store: sshd logs in the current user, and the authorized key's
//! forced command (`command=` in authorized_keys, as an admin would set a login environment)
//! gives the session the remote HOME, CCS_HOME and start-up file, and records what the session
//! received from sshd before anything of ccs runs. Both ends are interactive shells in tmux.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::api::{self, Options, StandIn};
use crate::common::child::output_within;
use crate::common::shells::{NU, TestShell};
use crate::common::tmux::{BASH, FISH, Term, ZSH, can_run};
use crate::common::{BIN, CLIENT_TIMEOUT, Sandbox, path_with_bin, required, stderr, stdout};

/// Debian's ssh client configuration (package openssh-client), as it ships.
const CLIENT_CONFIG: &str = "/etc/ssh/ssh_config";
/// Debian's sshd configuration as the package openssh-server ships it (the copy it installs
/// /etc/ssh/sshd_config from, which an admin may have edited since).
const SERVER_CONFIG: &str = "/usr/share/openssh/sshd_config";
const SSHD: &str = "/usr/sbin/sshd";

/// How long sshd may take to listen, and the ssh client to connect.
const START: Duration = Duration::from_secs(10);

/// The `SendEnv`/`AcceptEnv` lines of one of Debian's files, as they are there.
fn debian_lines(file: &str, keyword: &str) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|l| l.split_whitespace().next() == Some(keyword))
        .map(str::to_owned)
        .collect()
}

/// Whether sshd, ssh and Debian's files are here: a skip locally, a failure under CI=true.
fn can_run_sshd() -> bool {
    let tools = [SSHD, "/usr/bin/ssh", "/usr/bin/ssh-keygen"];
    if !required(
        tools.iter().all(|t| Path::new(t).is_file()),
        "sshd is not installed (apt-get install openssh-server)",
    ) {
        return false;
    }
    // As root, sshd insists on its privilege separation directory, which only the service's
    // start makes (tmpfiles.d): .ci/run makes it.
    if run_id(&["-u"]) == "0"
        && !required(
            Path::new("/run/sshd").is_dir(),
            "sshd needs /run/sshd when run as root (mkdir -p /run/sshd)",
        )
    {
        return false;
    }
    true
}

fn run_id(args: &[&str]) -> String {
    let out = Command::new("id")
        .args(args)
        .output()
        .expect("cannot run id");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A free port on 127.0.0.1 (another process may take it before sshd does: then sshd exits and
/// the test says so).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The remote machine: an sshd on 127.0.0.1, its own host key, one authorized client key whose
/// forced command starts `shell` interactively as the remote login, with the remote HOME and
/// store. Killed when dropped.
struct Remote {
    sshd: Child,
    dir: PathBuf,
    /// The remote HOME; its store is `.ccs` in it.
    home: PathBuf,
    /// The client's configuration (`ssh -F`).
    client_config: PathBuf,
}

impl Remote {
    fn start(sandbox: &Sandbox, shell: TestShell) -> Remote {
        let dir = sandbox.root.join("ssh");
        let home = sandbox.root.join("remote");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::create_dir_all(&home).unwrap();
        for key in ["host", "client"] {
            let out = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-C", key, "-f"])
                .arg(dir.join(key))
                .output()
                .unwrap();
            assert!(out.status.success(), "ssh-keygen: {out:?}");
        }

        let login = dir.join("login");
        let received = dir.join("received");
        let rc = home.join("rc");
        let start_shell = match shell.name {
            "bash" => format!("exec bash --rcfile '{}' --noprofile -i", rc.display()),
            "zsh" => format!("ZDOTDIR='{}' exec zsh -i", home.display()),
            "fish" => format!("exec fish --no-config -i -C 'source {}'", rc.display()),
            other => panic!("no remote login for {other}"),
        };
        // What sshd gave the session, as it came: the profile name the client sent (or none)
        // and the mark of an ssh login. Then the remote machine's own environment.
        write_script(
            &login,
            &format!(
                "#!/bin/sh\n\
                 printf 'LC_CCS_PROFILE=%s SSH_CONNECTION=%s\\n' \"${{LC_CCS_PROFILE-(unset)}}\" \
                 \"${{SSH_CONNECTION:+set}}\" >> '{received}'\n\
                 export HOME='{home}' CCS_HOME='{home}/.ccs' PATH='{path}'\n\
                 {start_shell}\n",
                received = received.display(),
                home = home.display(),
                path = path_with_bin().to_str().unwrap(),
            ),
        );
        // The remote start-up file: the tests' prompt and the hook, as a user's would have it.
        let startup = format!("{}\n{}\n", shell.setup(), shell.source_hook(""));
        let startup_file = if shell.name == "zsh" {
            home.join(".zshrc")
        } else {
            rc
        };
        std::fs::write(startup_file, startup).unwrap();

        let client_key = std::fs::read_to_string(dir.join("client.pub")).unwrap();
        std::fs::write(
            dir.join("authorized_keys"),
            format!(
                "command=\"{}\",restrict,pty {}",
                login.display(),
                client_key.trim()
            ),
        )
        .unwrap();

        let accept = debian_lines(SERVER_CONFIG, "AcceptEnv");
        let send = debian_lines(CLIENT_CONFIG, "SendEnv");
        assert!(
            accept.iter().any(|l| l.contains("LC_*")) && send.iter().any(|l| l.contains("LC_*")),
            "Debian's files no longer pass LC_*: AcceptEnv {accept:?} in {SERVER_CONFIG}, \
             SendEnv {send:?} in {CLIENT_CONFIG}"
        );

        let port = free_port();
        let server_config = dir.join("sshd_config");
        std::fs::write(
            &server_config,
            format!(
                "ListenAddress 127.0.0.1:{port}\n\
                 HostKey {dir}/host\n\
                 PidFile none\n\
                 UsePAM no\n\
                 StrictModes no\n\
                 AuthorizedKeysFile {dir}/authorized_keys\n\
                 AuthenticationMethods publickey\n\
                 PasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\n\
                 PermitRootLogin prohibit-password\n\
                 LoginGraceTime 10\n\
                 PrintMotd no\n\
                 PrintLastLog no\n\
                 {accept}\n",
                dir = dir.display(),
                accept = accept.join("\n"),
            ),
        )
        .unwrap();
        let host_key = std::fs::read_to_string(dir.join("host.pub")).unwrap();
        std::fs::write(
            dir.join("known_hosts"),
            format!("[127.0.0.1]:{port} {}", host_key.trim()),
        )
        .unwrap();
        let client_config = dir.join("ssh_config");
        std::fs::write(
            &client_config,
            format!(
                "Host remote\n\
                 \tHostName 127.0.0.1\n\
                 \tPort {port}\n\
                 \tUser {user}\n\
                 \tIdentityFile {dir}/client\n\
                 \tIdentitiesOnly yes\n\
                 \tUserKnownHostsFile {dir}/known_hosts\n\
                 \tGlobalKnownHostsFile /dev/null\n\
                 \tStrictHostKeyChecking yes\n\
                 \tBatchMode yes\n\
                 \tRequestTTY yes\n\
                 \tConnectTimeout 5\n\
                 \tLogLevel ERROR\n\
                 \t{send}\n",
                user = run_id(&["-un"]),
                dir = dir.display(),
                send = send.join("\n\t"),
            ),
        )
        .unwrap();

        let log = std::fs::File::create(dir.join("sshd.log")).unwrap();
        let sshd = Command::new(SSHD)
            .args(["-D", "-e", "-f"])
            .arg(&server_config)
            .env_clear()
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("cannot start sshd");
        let mut remote = Remote {
            sshd,
            dir,
            home,
            client_config,
        };
        remote.wait_listening(port);
        remote
    }

    fn wait_listening(&mut self, port: u16) {
        let deadline = Instant::now() + START;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            let exited = self.sshd.try_wait().unwrap();
            assert!(
                exited.is_none() && Instant::now() < deadline,
                "sshd is not listening on {port} (exited: {exited:?}):\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("sshd.log")).unwrap_or_default()
    }

    /// A profile in the remote store.
    fn create(&self, name: &str) -> PathBuf {
        let out = Command::new(BIN)
            .args(["create", name])
            .env_clear()
            .env("PATH", path_with_bin())
            .env("HOME", &self.home)
            .env("CCS_HOME", self.home.join(".ccs"))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "remote ccs create: {out:?}");
        self.home.join(".ccs/instances").join(name)
    }

    /// The line typed at the local shell to log in.
    fn ssh(&self) -> String {
        format!("ssh -F {} remote", self.client_config.display())
    }

    /// What each login received from sshd, one line each.
    fn received(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.join("received"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        let _ = self.sshd.kill();
        let _ = self.sshd.wait();
    }
}

fn write_script(path: &Path, text: &str) {
    let mut file = std::fs::File::create(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// What the shell at hand is on: `CLAUDE_CONFIG_DIR|CCS_PROFILE|LC_CCS_PROFILE`, `-` for unset.
fn where_am_i(shell: TestShell) -> String {
    [
        shell.print_or("%s|", "CLAUDE_CONFIG_DIR", "-"),
        shell.print_or("%s|", "CCS_PROFILE", "-"),
        shell.print_or("%s\\n", "LC_CCS_PROFILE", "-"),
    ]
    .join("; ")
}

/// Runs `command` in `term` and returns its one line of output.
fn one_line(term: &mut Term, command: &str) -> String {
    let step = term.run(command);
    assert_eq!(
        step.output.len(),
        1,
        "{command}: {:?}\nscreen:\n{}",
        step.output,
        term.screen()
    );
    step.output[0].clone()
}

/// The test's two ends, ready: the remote with `remote_profiles`, a local interactive `shell` on
/// `work` with the hook installed (`flags`).
struct Ends<'a> {
    // Dropped first: the shells exit, and with them the ssh session, before sshd goes.
    term: Term<'a>,
    remote: Remote,
    shell: TestShell,
}

fn ends<'a>(
    sandbox: &'a Sandbox,
    shell: TestShell,
    flags: &str,
    remote_profiles: &[&str],
) -> Option<Ends<'a>> {
    if !can_run(shell) || !can_run_sshd() {
        return None;
    }
    let remote = Remote::start(sandbox, shell);
    for name in remote_profiles {
        remote.create(name);
    }
    sandbox.create("work");
    let mut term = Term::start(sandbox, shell);
    term.run(&shell.source_hook(flags));
    let step = term.run("ccs use work");
    assert!(
        step.output.is_empty(),
        "{:?}\n{}",
        step.output,
        term.screen()
    );
    Some(Ends {
        term,
        remote,
        shell,
    })
}

/// A shell on `work` with `--ssh` logs in; the remote login shell, whose start-up file has the
/// plain hook, starts on the remote store's `work`, saying nothing; what travelled is the name.
fn lands_on_the_clients_profile(shell: TestShell) {
    let sandbox = Sandbox::new();
    let Some(Ends {
        mut term,
        remote,
        shell,
    }) = ends(&sandbox, shell, "--ssh", &["work", "home"])
    else {
        return;
    };
    let local = sandbox.instance("work");
    assert_eq!(
        one_line(&mut term, &where_am_i(shell)),
        format!("{}|work|work", local.display())
    );

    let step = term.run(&remote.ssh());
    assert!(
        step.output.is_empty(),
        "{:?}\n{}",
        step.output,
        term.screen()
    );
    let remote_work = remote.home.join(".ccs/instances/work");
    assert_eq!(
        one_line(&mut term, &where_am_i(shell)),
        format!("{}|work|work", remote_work.display()),
        "the remote login shell is not on the remote work; sshd:\n{}",
        remote.log()
    );
    assert_eq!(
        remote.received(),
        ["LC_CCS_PROFILE=work SSH_CONNECTION=set"],
        "only the name travels"
    );
    // The remote shell carries the name on: a switch there keeps it in step.
    term.run("ccs use home");
    assert_eq!(
        one_line(&mut term, &where_am_i(shell)),
        format!(
            "{}|home|home",
            remote.home.join(".ccs/instances/home").display()
        )
    );
    term.run("exit");
    assert_eq!(
        one_line(&mut term, &where_am_i(shell)),
        format!("{}|work|work", local.display()),
        "back home, the local shell is where it was"
    );
}

#[test]
fn bash_login_lands_on_the_clients_profile() {
    lands_on_the_clients_profile(BASH);
}

#[test]
fn zsh_login_lands_on_the_clients_profile() {
    lands_on_the_clients_profile(ZSH);
}

#[test]
fn fish_login_lands_on_the_clients_profile() {
    lands_on_the_clients_profile(FISH);
}

/// A name the remote has no profile of: one line at login, no switch, and nothing again from a
/// shell started in that login.
#[test]
fn a_name_with_no_profile_there_is_said_once() {
    let sandbox = Sandbox::new();
    let Some(Ends {
        mut term,
        remote,
        shell,
    }) = ends(&sandbox, BASH, "--ssh", &["home"])
    else {
        return;
    };
    let step = term.run(&remote.ssh());
    assert_eq!(
        step.output,
        [
            "ccs: the ssh client is on profile 'work': profile 'work' does not exist (profiles: \
             home); staying on Claude Code's default (~/.claude)"
        ],
        "{}",
        term.screen()
    );
    assert_eq!(one_line(&mut term, &where_am_i(shell)), "-|-|");
    // A shell started from the login: the name was used once, nothing to say.
    let step = term.run(&format!(
        "bash --rcfile {} --noprofile -i",
        remote.home.join("rc").display()
    ));
    assert!(
        step.output.is_empty(),
        "{:?}\n{}",
        step.output,
        term.screen()
    );
    assert_eq!(one_line(&mut term, &where_am_i(shell)), "-|-|");
    term.run("exit");
}

/// A name that is no profile name (the other end is another machine): said once, no switch,
/// and the remote's default profile is where the login starts, as without a name.
#[test]
fn an_invalid_name_is_said_once_and_not_used() {
    let sandbox = Sandbox::new();
    let Some(Ends {
        mut term,
        remote,
        shell,
    }) = ends(&sandbox, BASH, "", &["work", "home"])
    else {
        return;
    };
    let out = Command::new(BIN)
        .args(["default", "home"])
        .env_clear()
        .env("HOME", &remote.home)
        .env("CCS_HOME", remote.home.join(".ccs"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    term.run("export LC_CCS_PROFILE='../work'");
    let step = term.run(&remote.ssh());
    assert_eq!(step.output.len(), 1, "{}", term.screen());
    assert!(
        step.output[0].starts_with(
            "ccs: ignoring the name the ssh client sent: invalid profile name \"../work\""
        ) && step.output[0].ends_with("; staying on profile 'home', the default here"),
        "{}",
        term.screen()
    );
    assert_eq!(
        one_line(&mut term, &where_am_i(shell)),
        format!(
            "{}|home|home",
            remote.home.join(".ccs/instances/home").display()
        )
    );
    term.run("exit");
}

/// Without --ssh nothing is sent, and the remote login starts as it would anyway.
#[test]
fn without_the_opt_in_nothing_travels() {
    let sandbox = Sandbox::new();
    let Some(Ends {
        mut term,
        remote,
        shell,
    }) = ends(&sandbox, BASH, "", &["work"])
    else {
        return;
    };
    assert_eq!(
        one_line(&mut term, &where_am_i(shell)),
        format!("{}|work|-", sandbox.instance("work").display())
    );
    let step = term.run(&remote.ssh());
    assert!(
        step.output.is_empty(),
        "{:?}\n{}",
        step.output,
        term.screen()
    );
    assert_eq!(one_line(&mut term, &where_am_i(shell)), "-|-|-");
    assert_eq!(
        remote.received(),
        ["LC_CCS_PROFILE=(unset) SSH_CONNECTION=set"]
    );
    term.run("exit");
}

/// nushell, which no sshd test logs in to (its hook is a file saved at each start): the same two
/// ends, with sshd's part played by the environment it gives a session. The receiving end loads
/// what its `ccs init nu` printed in a session with `SSH_CONNECTION` and the name; the sending
/// end, with `--ssh`, keeps the name in step with each switch, as a child process sees it.
#[test]
fn nu_carries_and_receives_the_name() {
    if !TestShell::nu_fetched() {
        return;
    }
    let sandbox = Sandbox::new();
    let work = sandbox.create("work");
    let nu = |hook_env: &[(&str, &str)], flags: &[&str], script: &str| {
        let mut init = sandbox.ccs(["init", "nu"].iter().chain(flags));
        init.envs(hook_env.iter().copied());
        let out = init.output().unwrap();
        assert!(out.status.success(), "{out:?}");
        let hook = sandbox.root.join("ccs-init.nu");
        std::fs::write(&hook, &out.stdout).unwrap();
        let file = sandbox.root.join("script.nu");
        let source = format!("source {}\n", ccs::Shell::Nu.quote(hook.to_str().unwrap()));
        std::fs::write(&file, source + script).unwrap();
        let mut cmd = Command::new(NU.program);
        cmd.args(NU.script_flags).arg(&file);
        sandbox.env(&mut cmd);
        cmd.envs(hook_env.iter().copied());
        let run = cmd.output().unwrap();
        (
            String::from_utf8(run.stdout).unwrap(),
            String::from_utf8(run.stderr).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    const CHILD: &str = "^sh -c 'echo \"${CLAUDE_CONFIG_DIR-unset}|${LC_CCS_PROFILE-unset}\"'\n";

    let login = [
        ("SSH_CONNECTION", "127.0.0.1 1 127.0.0.1 22"),
        ("LC_CCS_PROFILE", "work"),
    ];
    let (out, err, said) = nu(&login, &[], CHILD);
    assert_eq!(out, format!("{}|work\n", work.display()), "{err}{said}");
    assert_eq!((err.as_str(), said.as_str()), ("", ""));

    let nowhere = [
        ("SSH_CONNECTION", "127.0.0.1 1 127.0.0.1 22"),
        ("LC_CCS_PROFILE", "nope"),
    ];
    let (out, err, said) = nu(&nowhere, &[], CHILD);
    assert_eq!(out, "unset|\n", "{err}");
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(
        said.starts_with("ccs: the ssh client is on profile 'nope'"),
        "{said}"
    );

    let script = format!("ccs use work\n{CHILD}ccs off\n{CHILD}");
    let (out, err, _) = nu(&[], &["--ssh"], &script);
    assert_eq!(out, format!("{}|work\nunset|\n", work.display()), "{err}");

    // The pin auto-switch, into a pinned tree and out of it (the hook's own restore).
    let home = sandbox.create("home");
    let pinned = sandbox.root.join("pinned");
    std::fs::create_dir(&pinned).unwrap();
    std::fs::write(pinned.join(".ccs-profile"), "home\n").unwrap();
    let cd = |dir: &Path| {
        let dir = ccs::Shell::Nu.quote(dir.to_str().unwrap());
        format!("cd {dir}\n__ccs_auto_switch\n{CHILD}")
    };
    let script = format!("ccs use work\n{}{}", cd(&pinned), cd(&sandbox.root));
    let (out, err, _) = nu(&[], &["--ssh", "--auto"], &script);
    assert_eq!(
        out,
        format!("{}|home\n{}|work\n", home.display(), work.display()),
        "{err}"
    );
}

/// Today's client has no `claude ssh` launcher (see `src/claude_code/ssh.rs`): under a profile,
/// `claude ssh devbox` runs no ssh at all; it is the prompt "ssh", sent on the profile's login
/// like any other. Proven with an `ssh` on PATH that records any call.
#[test]
fn claude_ssh_is_a_prompt_to_todays_client() {
    let Some(claude) = crate::common::claude() else {
        return;
    };
    let api = StandIn::start(Options::default());
    let sandbox = Sandbox::new();
    let work = sandbox.create("work");
    let bin = sandbox.root.join("fake-bin");
    std::fs::create_dir(&bin).unwrap();
    let calls = sandbox.root.join("ssh-calls");
    write_script(
        &bin.join("ssh"),
        &format!(
            "#!/bin/sh\necho \"$@\" >> '{}'\nexit 255\n",
            calls.display()
        ),
    );
    let mut path = std::ffi::OsString::from(&bin);
    path.push(":");
    path.push(path_with_bin());
    let mut run = sandbox.ccs(["exec", "work", "--"]);
    run.arg(&claude)
        .args(["ssh", "devbox"])
        .env("PATH", path)
        .env("ANTHROPIC_BASE_URL", &api.url)
        .env("ANTHROPIC_API_KEY", "sk-ant-api03-fake")
        .current_dir(&sandbox.home);
    let out = output_within(&mut run, CLIENT_TIMEOUT);
    assert!(
        out.status.success() && stdout(&out).contains(api::ANSWER),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(!calls.exists(), "the client ran ssh");
    // The first word is the prompt; the host, an extra argument, is dropped.
    let turn = &api.messages()[0]["messages"][0]["content"];
    let typed = turn.as_array().and_then(|c| c.last()).map(|c| &c["text"]);
    assert_eq!(typed, Some(&serde_json::json!("ssh")), "{turn}");
    assert!(work.join("projects").is_dir(), "the turn is the profile's");
}

/// The remote end of a `claude ssh` session (Claude Desktop's launcher starts it): with
/// `ANTHROPIC_UNIX_SOCKET` and the placeholder token the client sends every request to the
/// socket, where the launcher adds its own login. The profile's login is never sent, whichever
/// profile the remote shell is on; `ccs use` and `ccs doctor` say so.
#[test]
fn a_claude_ssh_remote_sends_the_launchers_login_not_the_profiles() {
    let Some(claude) = crate::common::claude() else {
        return;
    };
    let api = StandIn::start(Options::default());
    let sandbox = Sandbox::new();
    let work = sandbox.create("work");
    let token = "sk-ant-oat01-the-profiles-own";
    std::fs::write(
        work.join(".credentials.json"),
        format!(
            r#"{{"claudeAiOauth":{{"accessToken":"{token}","refreshToken":"sk-ant-ort01-x","expiresAt":4102444800000,"scopes":["user:inference","user:profile"],"subscriptionType":"max"}}}}"#
        ),
    )
    .unwrap();
    let socket = sandbox.root.join("launcher.sock");
    let seen = relay(&socket, api.url.trim_start_matches("http://"));
    // Plain HTTP on the socket (the stand-in speaks no TLS): the base URL's host is only the
    // Host header, the connection is the socket's.
    let launched = [
        ("ANTHROPIC_UNIX_SOCKET", socket.to_str().unwrap()),
        ("CLAUDE_CODE_OAUTH_TOKEN", "ssh-placeholder"),
        ("ANTHROPIC_BASE_URL", "http://localhost"),
    ];
    let mut run = sandbox.ccs(["exec", "work", "--"]);
    run.arg(&claude)
        .args(["-p", "hi"])
        .envs(launched)
        .current_dir(&sandbox.home);
    let out = output_within(&mut run, CLIENT_TIMEOUT);
    assert!(
        out.status.success() && stdout(&out).contains(api::ANSWER),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let sent = String::from_utf8_lossy(&seen.lock().unwrap()).into_owned();
    assert!(
        sent.contains("POST /v1/messages"),
        "the turn went elsewhere"
    );
    assert!(sent.contains("ssh-placeholder"), "{sent}");
    assert!(!sent.contains(token), "the profile's login was sent");
    assert!(
        stderr(&out).contains("ANTHROPIC_UNIX_SOCKET is set"),
        "{}",
        stderr(&out)
    );
    let mut doctor = sandbox.ccs(["doctor"]);
    doctor.envs(launched);
    assert!(stdout(&doctor.output().unwrap()).contains("ANTHROPIC_UNIX_SOCKET is set"));
}

/// A Unix socket at `socket` whose connections are relayed to the TCP address `to`, what the
/// client sends kept (a bounded number of connections, each on its own threads).
fn relay(socket: &Path, to: &str) -> Arc<Mutex<Vec<u8>>> {
    let listener = UnixListener::bind(socket).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let to = to.to_owned();
    let kept = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming().take(200) {
            let Ok(mut from_client) = conn else { continue };
            let Ok(mut to_api) = TcpStream::connect(&to) else {
                continue;
            };
            let (mut client_back, mut api_back) = (
                from_client.try_clone().unwrap(),
                to_api.try_clone().unwrap(),
            );
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut api_back, &mut client_back);
                let _ = client_back.shutdown(std::net::Shutdown::Write);
            });
            let kept = kept.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 16384];
                while let Ok(n) = std::io::Read::read(&mut from_client, &mut buf) {
                    if n == 0 || to_api.write_all(&buf[..n]).is_err() {
                        break;
                    }
                    kept.lock().unwrap().extend_from_slice(&buf[..n]);
                }
                let _ = to_api.shutdown(std::net::Shutdown::Write);
            });
        }
    });
    seen
}

/// The pin auto-switch keeps the name in step both ways: entering a pinned tree (a switch ccs
/// prints) and leaving it (the hook restores what it saved, in shell code of its own).
#[test]
fn the_pin_auto_switch_keeps_the_name_in_step() {
    for shell in [BASH, ZSH, FISH] {
        if !shell.here() {
            continue;
        }
        let sandbox = Sandbox::new();
        sandbox.create("work");
        sandbox.create("home");
        let pinned = sandbox.home.join("pinned");
        std::fs::create_dir(&pinned).unwrap();
        std::fs::write(pinned.join(".ccs-profile"), "home\n").unwrap();
        let after_cd = shell.after_cd.unwrap_or("");
        let print = shell.print_or("%s\\n", "LC_CCS_PROFILE", "-");
        let script = format!(
            "{}\nccs use work\n{print}\ncd pinned\n{after_cd}\n{print}\ncd ..\n{after_cd}\n{print}\n",
            shell.source_hook("--ssh --auto"),
        );
        let out = sandbox.shell(shell, &format!("cd {}\n{script}", sandbox.home.display()));
        assert_eq!(
            stdout(&out),
            "work\nhome\nwork\n",
            "{}: {}",
            shell.name,
            stderr(&out)
        );
    }
}

/// An ssh login whose own start-up already set `CLAUDE_CONFIG_DIR` keeps it, says nothing, and
/// carries on the name of the profile it is on, not the one its client sent; a shell on no
/// profile of the store carries none.
#[test]
fn a_login_with_its_own_config_dir_keeps_it() {
    if !BASH.here() {
        return;
    }
    let sandbox = Sandbox::new();
    let home = sandbox.create("home");
    sandbox.create("work");
    let elsewhere = sandbox.root.join("elsewhere");
    for (dir, carried) in [(&home, "home"), (&elsewhere, "")] {
        let mut cmd = sandbox.shell_command(BASH);
        cmd.env("SSH_CONNECTION", "127.0.0.1 1 127.0.0.1 22")
            .env("LC_CCS_PROFILE", "work")
            .env("CLAUDE_CONFIG_DIR", dir);
        let script = format!(
            "{}\nprintf '%s|%s\\n' \"$CLAUDE_CONFIG_DIR\" \"$LC_CCS_PROFILE\"\n",
            BASH.source_hook("")
        );
        let out = crate::common::child::output_with_input(
            &mut cmd,
            script.as_bytes(),
            crate::common::child::CCS_TIMEOUT,
        );
        assert_eq!(stdout(&out), format!("{}|{carried}\n", dir.display()));
        assert_eq!(stderr(&out), "");
    }
}

/// `ccs exec NAME -- ssh …` from a shell that carries the name sends NAME, not the shell's; from
/// one that does not, nothing.
#[test]
fn exec_carries_its_profiles_name_only_where_the_shell_does() {
    let sandbox = Sandbox::new();
    sandbox.create("home");
    let print = [
        "exec",
        "home",
        "--",
        "sh",
        "-c",
        "echo \"${LC_CCS_PROFILE-unset}\"",
    ];
    let mut carrying = sandbox.ccs(print);
    carrying.env("LC_CCS_PROFILE", "work");
    assert_eq!(stdout(&carrying.output().unwrap()), "home\n");
    assert_eq!(stdout(&sandbox.run(print)), "unset\n");
}

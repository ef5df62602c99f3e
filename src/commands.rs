//! What each command does. Commands build their whole stdout as one string and hand it back, so
//! that code meant for a shell is written at once or not at all.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context, Result, bail};

use crate::account::{self, Account};
use crate::cli::Command;
use crate::completion;
use crate::config::{self, Config};
use crate::doctor;
use crate::housekeeping::{self, Selection};
use crate::listing;
use crate::profile_name::ProfileName;
use crate::shared::{self, Mode, Sharing};
use crate::shell::{self, Shell};
use crate::store::Store;

/// The variables ccs manages. `CLAUDE_CONFIG_DIR` is the truth Claude Code reads; `CCS_PROFILE`
/// only names it for prompts.
pub const CONFIG_DIR_VAR: &str = "CLAUDE_CONFIG_DIR";
pub const PROFILE_VAR: &str = "CCS_PROFILE";

/// A command's stdout and exit code.
pub struct Outcome {
    pub stdout: String,
    pub code: u8,
}

impl Outcome {
    fn print(stdout: String) -> Self {
        Self { stdout, code: 0 }
    }

    /// A quiet "no": nothing on stdout, exit 1 (as `ccs current` with no active profile).
    fn no() -> Self {
        Self {
            stdout: String::new(),
            code: 1,
        }
    }
}

pub fn run(command: Command) -> Result<Outcome> {
    match command {
        Command::Create {
            name,
            isolated,
            copy,
            no_share,
        } => {
            let mode = match (isolated, copy) {
                (true, _) => Mode::Isolated,
                (_, true) => Mode::Copy,
                _ => Mode::Link,
            };
            create(&ProfileName::parse(&name)?, Sharing::new(mode, no_share))
        }
        Command::Show { name } => show(&ProfileName::parse(&name)?),
        Command::Sync { name, all } => sync(name.as_deref(), all),
        Command::Rename { old, new, shell } => rename(
            &ProfileName::parse(&old)?,
            &ProfileName::parse(&new)?,
            shell,
        ),
        Command::Du { name, json } => du(name.as_deref(), json),
        Command::Clean {
            name,
            // Without a name clap has required --all.
            all: _,
            sessions,
            logs,
            older_than,
            dry_run,
            yes,
        } => {
            // Neither flag means both.
            let selection = Selection {
                sessions: sessions || !logs,
                logs: logs || !sessions,
                older_than,
            };
            clean(name.as_deref(), selection, dry_run, yes)
        }
        Command::List { json } => list(json),
        Command::Use { name, shell } => use_profile(&ProfileName::parse(&name)?, shell),
        Command::Off { shell } => off(shell),
        Command::Current { verbose } => current(verbose),
        Command::Doctor => doctor(),
        Command::Path { name } => path(&ProfileName::parse(&name)?),
        Command::Remove { name, yes } => remove(&ProfileName::parse(&name)?, yes),
        Command::Init {
            shell,
            prompt,
            auto,
        } => Ok(init(shell, prompt, auto)),
        Command::Exec { name, command } => exec(&ProfileName::parse(&name)?, &command),
        Command::Default { name, clear } => default(name.as_deref(), clear),
        Command::Pin { name } => pin(&ProfileName::parse(&name)?),
        Command::Unpin => unpin(),
        Command::Completions { shell } => Ok(Outcome::print(completion::registration(shell))),
    }
}

fn create(name: &ProfileName, sharing: Sharing) -> Result<Outcome> {
    let store = Store::from_env()?;
    let source = match sharing.mode {
        Mode::Isolated => None,
        Mode::Link | Mode::Copy => sharing_source()?,
    };
    let dir = store.create(name, |staging| {
        shared::populate(staging, sharing, source.as_deref())
    })?;
    Ok(Outcome::print(format!(
        "Created profile '{name}' at {}\n{}\nSwitch a terminal to it with: ccs use {name}\n",
        dir.display(),
        shared::creation_summary(&dir, source.as_deref())
    )))
}

/// The directory to share from, for create and sync. Without HOME there is no `~/.claude` to
/// share (a warning, not an error: the profile is still usable); a `CCS_SHARED_FROM` that is set
/// must be usable.
fn sharing_source() -> Result<Option<std::path::PathBuf>> {
    let named = std::env::var_os(shared::SOURCE_VAR).is_some_and(|v| !v.is_empty());
    match shared::source_dir() {
        Ok(dir) => {
            if named && !dir.is_dir() {
                eprintln!(
                    "ccs: warning: {}={} is not a directory: nothing to share",
                    shared::SOURCE_VAR,
                    dir.display()
                );
            }
            Ok(Some(dir))
        }
        Err(e) if named => Err(e),
        Err(e) => {
            eprintln!("ccs: warning: sharing nothing: {e:#}");
            Ok(None)
        }
    }
}

fn list(json: bool) -> Result<Outcome> {
    let store = Store::from_env()?;
    let active = active_profile(&store);
    let listed = store.profiles_with_metadata()?;
    let facts = listing::facts(&store, &listed);
    let profiles: Vec<_> = listed
        .iter()
        .zip(&facts)
        .map(|((name, _), facts)| (name, Some(name) == active.as_ref(), facts))
        .collect();
    if json {
        let rows: Vec<_> = profiles
            .iter()
            .map(|(name, active, facts)| {
                serde_json::json!({
                    "name": name.as_str(),
                    "path": store.instance_dir(name).to_str(),
                    "active": active,
                    "account": facts.account.to_json(),
                    "size_bytes": facts.size,
                    "sharing": sharing_json(facts.sharing.as_ref()),
                })
            })
            .collect();
        return Ok(Outcome::print(
            serde_json::Value::Array(rows).to_string() + "\n",
        ));
    }
    if profiles.is_empty() {
        note_no_profiles();
    }
    let name_width = profiles
        .iter()
        .map(|(n, ..)| n.as_str().len())
        .max()
        .unwrap_or(0);
    let summaries: Vec<String> = profiles.iter().map(|(.., f)| f.account.summary()).collect();
    let summary_width = summaries
        .iter()
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(0);
    let unreadable = format!("{} unreadable", shared::SETTINGS_FILE);
    let shares: Vec<&str> = profiles
        .iter()
        .map(|(.., f)| f.sharing.as_ref().map_or(&*unreadable, |s| &s.summary))
        .collect();
    let share_width = shares.iter().map(|s| s.len()).max().unwrap_or(0);
    // Sized for the whole table at once: a thousand lines, no regrowing and copying.
    let line_width = name_width + summary_width + share_width + 16;
    let mut out = String::with_capacity(profiles.len() * line_width);
    // Columns padded by hand into the one buffer: with a thousand profiles, `format!`'s width
    // machinery was a tenth of the listing's instructions.
    let pad = |out: &mut String, n: usize| out.extend(std::iter::repeat_n(' ', n));
    for (((name, active, facts), summary), share) in profiles.iter().zip(&summaries).zip(&shares) {
        out.push_str(if *active { "* " } else { "  " });
        out.push_str(name.as_str());
        pad(&mut out, name_width - name.as_str().len() + 2);
        out.push_str(summary);
        pad(&mut out, summary_width - summary.chars().count() + 2);
        out.push_str(share);
        pad(&mut out, share_width - share.len() + 2);
        let size = account::human_size(facts.size);
        pad(&mut out, 7usize.saturating_sub(size.chars().count()));
        out.push_str(&size);
        out.push('\n');
    }
    Ok(Outcome::print(out))
}

/// `{"mode": "link", "items": {"commands": "shared", …}}`, or `null` when `.ccs.json` is broken.
fn sharing_json(sharing: Option<&listing::SharingFacts>) -> serde_json::Value {
    let Some(sharing) = sharing else {
        return serde_json::Value::Null;
    };
    let items: serde_json::Map<String, serde_json::Value> = sharing
        .items
        .iter()
        .map(|(item, word)| ((*item).to_owned(), (*word).into()))
        .collect();
    serde_json::json!({"mode": sharing.mode.as_str(), "items": items})
}

fn show(name: &ProfileName) -> Result<Outcome> {
    let store = Store::from_env()?;
    let (name, dir) = store.find(name)?;
    let name = &name;
    let sharing = Sharing::load(&dir)?;
    let source = shared::source_dir().ok();
    let mut out = profile_summary(name, &dir);
    let from = match (&source, sharing.mode) {
        (_, Mode::Isolated) => String::new(),
        (Some(source), _) => format!(" from {}", source.display()),
        (None, _) => String::new(),
    };
    out.push_str(&format!("  sharing: {}{from}\n", sharing.mode.as_str()));
    for status in shared::status(&dir, &sharing, source.as_deref()) {
        out.push_str(&format!(
            "    {:<14} {}\n",
            status.item,
            shared::describe(&status, &sharing, source.as_deref())
        ));
    }
    Ok(Outcome::print(out))
}

fn sync(name: Option<&str>, all: bool) -> Result<Outcome> {
    let store = Store::from_env()?;
    let names = match (name, all) {
        (_, true) => store.names()?,
        (Some(raw), false) => vec![ProfileName::parse(raw)?],
        (None, false) => vec![active_profile(&store).context(
            "no profile is active in this shell: name one (ccs sync NAME) or pass --all",
        )?],
    };
    let source = sharing_source()?.context("there is nothing to share from")?;
    // A missing source (a typo in CCS_SHARED_FROM, ~/.claude moved away for a moment) would make
    // every shared item look deleted: sync would unlink them all and forget every copy.
    if !source.is_dir() {
        bail!(
            "{} is not a directory: nothing to sync from, nothing changed",
            source.display()
        );
    }
    if names.is_empty() {
        note_no_profiles();
    }
    let mut out = String::new();
    let mut failed = 0;
    for name in &names {
        // One broken profile does not hide what was done to the others: report each.
        let synced = store
            .find(name)
            .and_then(|(_, dir)| shared::sync(&dir, &source))
            .with_context(|| format!("cannot sync '{name}'"));
        let (mode, changes) = match synced {
            Ok(result) => result,
            Err(e) => {
                eprintln!("ccs: {e:#}");
                failed += 1;
                continue;
            }
        };
        if mode == Mode::Isolated {
            out.push_str(&format!("{name}: isolated, shares nothing\n"));
        } else if changes.is_empty() {
            out.push_str(&format!("{name}: up to date\n"));
        } else {
            out.push_str(&format!("{name}:\n"));
            for change in changes {
                out.push_str(&format!("  {change}\n"));
            }
        }
    }
    Ok(Outcome {
        stdout: out,
        code: u8::from(failed > 0),
    })
}

/// Renames a profile. Called by the hook with `--shell`, it prints the code that re-points this
/// shell when the profile was active in it; otherwise stdout stays empty.
fn rename(old: &ProfileName, new: &ProfileName, shell: Option<Shell>) -> Result<Outcome> {
    let store = Store::from_env()?;
    let (old, old_dir) = store.find(old)?;
    let old = &old;
    let was_active = active_profile(&store).as_ref() == Some(old);
    // The code is made before anything moves: a path the shell cannot take fails the rename
    // rather than leave the shell on a directory that no longer exists.
    let code = match shell.filter(|_| was_active) {
        Some(shell) => switch_code(shell, &store.instance_dir(new), new)?,
        None => String::new(),
    };
    let dir = store.rename(old, new)?;
    eprintln!(
        "ccs: renamed profile '{old}' to '{new}' ({})",
        dir.display()
    );
    if let Err(e) = update_default_after_rename(&store, old, new) {
        eprintln!("ccs: warning: the default profile is still '{old}': {e:#}");
    }
    if was_active && code.is_empty() {
        eprintln!(
            "ccs: this shell still points at {}; switch with: ccs use {new}",
            old_dir.display()
        );
    }
    eprintln!(
        "ccs: other terminals on '{old}' need `ccs use {new}`, and pins of it `ccs pin {new}`"
    );
    if cfg!(target_os = "macos") {
        eprintln!(
            "ccs: Claude Code keys its Keychain login on the config dir's path: if it asks, run /login in '{new}'"
        );
    }
    Ok(Outcome::print(code))
}

fn update_default_after_rename(store: &Store, old: &ProfileName, new: &ProfileName) -> Result<()> {
    let mut config = Config::load(store)?;
    if config.default_profile().as_ref() == Some(old) {
        config.set_default_profile(Some(new));
        config.save()?;
        eprintln!("ccs: new terminals start on '{new}' (the default, renamed)");
    }
    Ok(())
}

/// The code that switches a shell to a profile.
fn switch_code(shell: Shell, dir: &std::path::Path, name: &ProfileName) -> Result<String> {
    let dir = dir.to_str().context("profile path is not valid UTF-8")?;
    Ok(shell.set_var(CONFIG_DIR_VAR, dir)? + &shell.set_var(PROFILE_VAR, name.as_str())?)
}

fn du(name: Option<&str>, json: bool) -> Result<Outcome> {
    let store = Store::from_env()?;
    let names = match name {
        Some(raw) => vec![ProfileName::parse(raw)?],
        None => store.names()?,
    };
    let source = shared::source_dir().ok();
    let mut usages = Vec::new();
    for name in names {
        let (name, dir) = store.find(&name)?;
        let usage = housekeeping::usage(&dir, source.as_deref())?;
        usages.push((name.to_string(), dir, usage));
    }
    if json {
        return Ok(Outcome::print(housekeeping::du_json(&usages) + "\n"));
    }
    if usages.is_empty() {
        note_no_profiles();
    }
    Ok(Outcome::print(housekeeping::du_text(&usages)))
}

fn clean(name: Option<&str>, selection: Selection, dry_run: bool, yes: bool) -> Result<Outcome> {
    let store = Store::from_env()?;
    let names = match name {
        Some(raw) => vec![ProfileName::parse(raw)?],
        None => store.names()?,
    };
    let mut plans = Vec::new();
    for name in names {
        let (name, dir) = store.find(&name)?;
        let plan = housekeeping::plan(&dir, selection)?;
        plans.push((name, plan));
    }
    let what = housekeeping::describe_selection(selection);
    let listing = housekeeping::plan_report(&plans);
    if plans.iter().all(|(_, p)| housekeeping::is_empty(p)) {
        return Ok(Outcome::print(format!(
            "Nothing to clean: no {what}.\n{listing}"
        )));
    }
    if dry_run {
        return Ok(Outcome::print(format!(
            "Would remove {what}:\n{listing}Nothing removed (--dry-run).\n"
        )));
    }
    if !yes {
        confirm(
            &format!(
                "Remove {what}:\n{listing}This history cannot be recovered. Remove it? [y/N] "
            ),
            "not cleaning without confirmation: pass --yes to clean from a script, or --dry-run to see what would go",
            "nothing removed",
        )?;
    }
    let removed = housekeeping::remove(plans.iter().flat_map(|(_, parts)| parts));
    let freed = account::human_size(removed.bytes);
    if let Some(first) = removed.first_failure {
        // Partial: one line on stderr, as for any failure, saying what did go.
        bail!(
            "cleaned only partly ({freed} freed): {} entries could not be removed, first {first}",
            removed.failures
        );
    }
    Ok(Outcome::print(format!(
        "Removed {what}:\n{listing}Freed {freed}.\n"
    )))
}

fn use_profile(name: &ProfileName, shell: Option<Shell>) -> Result<Outcome> {
    let shell = resolve_shell(shell)?;
    let (name, dir) = Store::from_env()?.find(name)?;
    warn_about_auth_overrides(&name);
    Ok(Outcome::print(switch_code(shell, &dir, &name)?))
}

/// Said on stderr wherever an empty store leaves nothing to show.
fn note_no_profiles() {
    eprintln!("ccs: no profiles yet; create one with: ccs create <name>");
}

/// One line on stderr when a variable in the environment would override the profile's login.
fn warn_about_auth_overrides(name: &ProfileName) {
    if let Some(var) = doctor::auth_vars_in_env().first() {
        eprintln!(
            "ccs: warning: {var} is set and overrides the login of '{name}' (see: ccs doctor)"
        );
    }
}

fn off(shell: Option<Shell>) -> Result<Outcome> {
    // Unset, never `~/.claude`: an unset CLAUDE_CONFIG_DIR is what Claude Code's default means.
    Ok(Outcome::print(
        resolve_shell(shell)?.unset_vars(&[CONFIG_DIR_VAR, PROFILE_VAR]),
    ))
}

fn resolve_shell(explicit: Option<Shell>) -> Result<Shell> {
    match explicit {
        Some(shell) => Ok(shell),
        None => shell::detect(),
    }
}

fn current(verbose: bool) -> Result<Outcome> {
    let Some(config_dir) = std::env::var_os(CONFIG_DIR_VAR).filter(|v| !v.is_empty()) else {
        return Ok(Outcome::no());
    };
    let store = Store::from_env()?;
    let Some(name) = store.profile_for_config_dir(&config_dir) else {
        eprintln!(
            "ccs: {CONFIG_DIR_VAR}={:?} is not a ccs profile (profiles live in {})",
            config_dir,
            store.instances_dir().display()
        );
        return Ok(Outcome::no());
    };
    let dir = store.instance_dir(&name);
    if !dir.is_dir() {
        eprintln!(
            "ccs: warning: profile '{name}' is active here but no longer exists; run: ccs off"
        );
    }
    if !verbose {
        return Ok(Outcome::print(format!("{name}\n")));
    }
    Ok(Outcome::print(profile_summary(&name, &dir)))
}

/// A profile's name, account, path and size: the head of `show` and all of `current -v`.
fn profile_summary(name: &ProfileName, dir: &std::path::Path) -> String {
    format!(
        "{name}\n  account: {}\n  path:    {}\n  size:    {}\n",
        Account::read(dir).summary(),
        dir.display(),
        account::human_size(account::disk_usage(dir)),
    )
}

fn doctor() -> Result<Outcome> {
    let findings = doctor::check(&Store::from_env()?);
    let failed = findings.iter().any(|f| f.level == doctor::Level::Fail);
    Ok(Outcome {
        stdout: doctor::report(&findings),
        code: u8::from(failed),
    })
}

fn active_profile(store: &Store) -> Option<ProfileName> {
    store.profile_for_config_dir(&std::env::var_os(CONFIG_DIR_VAR)?)
}

fn path(name: &ProfileName) -> Result<Outcome> {
    let (_, dir) = Store::from_env()?.find(name)?;
    Ok(Outcome::print(format!("{}\n", dir.display())))
}

fn remove(name: &ProfileName, yes: bool) -> Result<Outcome> {
    let store = Store::from_env()?;
    let (name, dir) = store.find(name)?;
    let name = &name;
    if !yes {
        confirm_removal(name, &dir)?;
    }
    store.remove(name)?;
    eprintln!(
        "ccs: removed profile '{name}' ({}); its login, credentials and history are gone",
        dir.display()
    );
    if active_profile(&store).as_ref() == Some(name) {
        eprintln!("ccs: this shell still points at it; switch away with: ccs off");
    }
    forget_default(&store, name);
    Ok(Outcome::print(String::new()))
}

/// A removed profile cannot stay the default: every new terminal would warn about it.
fn forget_default(store: &Store, name: &ProfileName) {
    let cleared = Config::load(store).and_then(|mut config| {
        if config.default_profile().as_ref() != Some(name) {
            return Ok(false);
        }
        config.set_default_profile(None);
        config.save().map(|()| true)
    });
    match cleared {
        Ok(true) => {
            eprintln!("ccs: '{name}' was the default; new terminals start on ~/.claude again")
        }
        Ok(false) => {}
        Err(e) => eprintln!("ccs: warning: could not clear the default profile: {e:#}"),
    }
}

fn confirm_removal(name: &ProfileName, dir: &std::path::Path) -> Result<()> {
    confirm(
        &format!(
            "Remove profile '{name}' at {}?\nIts login, credentials and history are deleted for good. [y/N] ",
            dir.display()
        ),
        &format!(
            "not removing profile '{name}' without confirmation: pass --yes to remove it from a script"
        ),
        "nothing removed",
    )
}

/// Asks `question` on the terminal (on stderr: stdout is for results). Without a terminal to
/// ask on, refuses with `refusal`; a "no" fails with `declined`.
fn confirm(question: &str, refusal: &str, declined: &str) -> Result<()> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        bail!("{refusal}");
    }
    eprint!("{question}");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .context("cannot read the answer")?;
    if !matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes") {
        bail!("{declined}");
    }
    Ok(())
}

/// The hook file, then the completion registration wrapped so the hook can install it, the
/// switch to the default profile for a shell that inherited none, and the opt-ins.
fn init(shell: Shell, prompt: bool, auto: bool) -> Outcome {
    let mut hook = shell.hook().to_owned();
    hook.push_str(&shell.wrap_completion(&completion::registration(shell)));
    hook.push_str(&default_profile_code(shell));
    if prompt {
        hook.push_str(shell.enable_prompt_prefix());
    }
    if auto {
        hook.push_str(shell.enable_auto_switch());
    }
    Outcome::print(hook)
}

/// A new terminal starts on the default profile: the hook's own `ccs init` prints the switch, so
/// it costs no extra process. A shell that inherited a config dir from its parent keeps it.
/// Problems only warn: the hook must load whatever happens.
fn default_profile_code(shell: Shell) -> String {
    if std::env::var_os(CONFIG_DIR_VAR).is_some_and(|v| !v.is_empty()) {
        return String::new();
    }
    let code = (|| -> Result<Option<String>> {
        let store = Store::from_env()?;
        let Some(name) = Config::load(&store)?.default_profile() else {
            return Ok(None);
        };
        let (name, dir) = store
            .find(&name)
            .context("the default profile is unusable")?;
        Ok(Some(switch_code(shell, &dir, &name)?))
    })();
    match code {
        Ok(code) => code.unwrap_or_default(),
        Err(e) => {
            eprintln!("ccs: warning: not switching to the default profile: {e:#}");
            String::new()
        }
    }
}

/// Runs a command as a profile. On Unix ccs becomes the command (exec), so its exit status,
/// signals and stdio are the command's own.
fn exec(name: &ProfileName, command: &[std::ffi::OsString]) -> Result<Outcome> {
    let (name, dir) = Store::from_env()?.find(name)?;
    let name = &name;
    warn_about_auth_overrides(name);
    let (program, args) = command.split_first().context("no command given after --")?;
    let mut cmd = std::process::Command::new(program);
    cmd.args(args)
        .env(CONFIG_DIR_VAR, &dir)
        .env(PROFILE_VAR, name.as_str())
        .env_remove(doctor::HOOK_VAR);
    let err = run_in_place(&mut cmd);
    let code = if err.kind() == std::io::ErrorKind::NotFound {
        127
    } else {
        126
    };
    eprintln!("ccs: cannot run {:?}: {err}", program);
    Ok(Outcome {
        stdout: String::new(),
        code,
    })
}

#[cfg(unix)]
fn run_in_place(cmd: &mut std::process::Command) -> std::io::Error {
    use std::os::unix::process::CommandExt;
    cmd.exec()
}

#[cfg(not(unix))]
fn run_in_place(cmd: &mut std::process::Command) -> std::io::Error {
    match cmd.status() {
        Ok(status) => std::process::exit(status.code().unwrap_or(1)),
        Err(e) => e,
    }
}

fn default(name: Option<&str>, clear: bool) -> Result<Outcome> {
    let store = Store::from_env()?;
    let mut config = Config::load(&store)?;
    if clear {
        config.set_default_profile(None);
        config.save()?;
        eprintln!("ccs: new terminals start on Claude Code's default ~/.claude");
        return Ok(Outcome::print(String::new()));
    }
    let Some(raw) = name else {
        return Ok(match config.default_profile() {
            Some(name) => Outcome::print(format!("{name}\n")),
            None => Outcome::no(),
        });
    };
    let (name, _) = store.find(&ProfileName::parse(raw)?)?;
    config.set_default_profile(Some(&name));
    config.save()?;
    eprintln!("ccs: new terminals start on '{name}' (a shell that inherits a profile keeps it)");
    Ok(Outcome::print(String::new()))
}

/// The file that pins a directory tree to a profile. It only ever holds a name.
pub const PIN_FILE: &str = ".ccs-profile";

fn pin(name: &ProfileName) -> Result<Outcome> {
    let (name, _) = Store::from_env()?.find(name)?;
    let file = std::env::current_dir()
        .context("cannot read the current directory")?
        .join(PIN_FILE);
    config::write_atomically(&file, format!("{name}\n").as_bytes(), 0o644)?;
    eprintln!(
        "ccs: pinned '{name}' to {} (switches with `ccs init <shell> --auto`)",
        file.display()
    );
    Ok(Outcome::print(String::new()))
}

fn unpin() -> Result<Outcome> {
    let file = std::env::current_dir()
        .context("cannot read the current directory")?
        .join(PIN_FILE);
    match std::fs::remove_file(&file) {
        Ok(()) => {
            eprintln!("ccs: removed {}", file.display());
            Ok(Outcome::print(String::new()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail!("no {PIN_FILE} in this directory (a pin applies to the directory it is in)")
        }
        Err(e) => Err(e).with_context(|| format!("cannot remove {}", file.display())),
    }
}

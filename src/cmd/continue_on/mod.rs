//! `ccs continue [NAME]`: hands this directory's latest conversation (or `--session ID`) from the
//! profile active in this shell (or from `~/.claude`, with none active) to profile NAME, or to
//! the one with most room, and resumes it there.
//!
//! The conversation is copied (see `copy`) and resumed with `claude --resume <id>
//! --fork-session --session-id <new>`: the target goes on under an id of its own, so that no two
//! profiles ever write different histories under one id. Without the fork, the target would
//! append to its copy of `<id>.jsonl` while the source keeps its own `<id>.jsonl`: one id, two
//! histories, and handing it back would meet a file it cannot take. With it, every copy of an id
//! holds the same lines (a copy only ever adds lines after the ones both hold), the client
//! re-records the earlier turns into the new file itself and copies their file-history backups
//! to the new id (what it logs as "FileHistory: … copy file history for resuming"), and the
//! account's requests carry a session id no other account sent.

mod copy;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use clap_complete::ArgValueCandidates;

use super::exec::run_command;
use super::tab::profile_names;
use super::{Outcome, active_profile, default_config, login_route_warning, switch_here};
use crate::claude_code::default_config::DefaultConfig;
use crate::claude_code::transcripts::{self, Provenance};
use crate::claude_code::{account, sessions};
use crate::profile_name::ProfileName;
use crate::shell::{Shell, detect};
use crate::store::Store;
use crate::ui;
use crate::usage::room::{self, Room};
use crate::usage::snapshot::percent;
use crate::usage::time::{self, Millis};

/// Hand this directory's latest conversation to another profile and resume it there
///
/// Copies the conversation (its transcript, subagents, large tool results and file history)
/// from the profile active in this shell (or from ~/.claude, with no profile active) into
/// profile NAME, then switches this shell to NAME and
/// runs `claude --resume` on it there, under a new session id (`--fork-session`), so the two
/// profiles never share one. The source profile's files are left as they are; its login,
/// account and settings are never copied. `ccs usage` counts the earlier turns under the
/// profile that made them and the new ones under NAME.
///
/// Without NAME, the profile with the most room is taken, by the use each account last reported
/// to `ccs statusline` (as `ccs usage` weighs it), and ccs says why. A profile that is itself
/// limited is refused, with when it resets.
///
/// Through `eval "$(ccs continue NAME)"` the shell switches to NAME, then claude runs; run
/// directly (stdout a terminal, nothing to evaluate the switch) ccs runs claude as NAME itself
/// and this shell stays where it was. `--print` only copies, and prints the command that resumes
/// the copy (to run as NAME: `ccs exec NAME -- <command>`).
#[derive(Debug, Args)]
pub struct Continue {
    /// The profile to continue on [default: the one with most room]
    #[arg(value_name = "NAME", add = ArgValueCandidates::new(profile_names))]
    name: Option<String>,
    /// The conversation to hand over [default: this directory's latest]
    #[arg(long, value_name = "ID", add = ArgValueCandidates::new(session_ids))]
    session: Option<String>,
    /// Hand over a conversation that Claude Code still has open on the active profile
    #[arg(long)]
    force: bool,
    /// Only copy, and print the command that resumes the copy
    #[arg(long)]
    print: bool,
    /// The shell to write code for [default: detected]
    #[arg(long, value_enum)]
    shell: Option<Shell>,
}

/// A profile, as found in the store.
struct Profile {
    name: ProfileName,
    dir: PathBuf,
}

/// Where the conversation is handed from: the active profile, or the default config.
struct Source {
    /// The profile's name, or `~/.claude`: in messages, and in the mark on copied lines.
    label: String,
    /// `None` for the default config.
    name: Option<ProfileName>,
    dir: PathBuf,
}

/// The conversation found in the source profile.
struct Conversation {
    id: String,
    /// Its project dir in the source (the same name in the target).
    project: String,
    /// Its transcript's complete lines.
    lines: Vec<u8>,
}

impl Continue {
    pub fn run(self) -> Result<Outcome> {
        // Everything that can fail comes first, and what ccs has to say is said only after it:
        // a refusal is one line on stderr, nothing before it.
        let mut said = Said::default();
        let store = Store::from_env()?;
        let source = source(&store)?;
        let target = target_profile(&store, self.name.as_deref(), &source, &mut said)?;
        let new_id = new_session_id();
        let way = self.way(&store, &target, &mut said)?;
        let conversation = find_conversation(&source, self.session.as_deref(), &mut said)?;
        refuse_if_open(&source, &target, &conversation.id, self.force, &mut said)?;
        check_accounts(&conversation, &target, &mut said)?;
        let args = resume_args(&conversation.id, &new_id);
        let output = match &way {
            // Words with no character any shell treats specially (a session id is a UUID).
            Way::Print => format!("claude {}\n", args.join(" ")),
            Way::Run => String::new(),
            Way::Code { shell, switch } => {
                shell.syntax().then_run(switch.clone(), "claude", &args)?
            }
        };
        let copied = copy::Plan {
            source: &source.dir,
            source_name: &source.label,
            target: &target.dir,
            project: &conversation.project,
            id: &conversation.id,
            transcript: &conversation.lines,
        }
        .run()?;
        said.tell();
        let next = match way {
            Way::Print => "the command printed resumes it there as",
            Way::Run | Way::Code { .. } => "it goes on there as",
        };
        ui::note(format_args!(
            "copied conversation {} from '{}' to '{}' ({}); {next} {new_id}",
            conversation.id,
            source.label,
            target.name,
            described(&copied)
        ));
        if !matches!(way, Way::Run) {
            return Ok(Outcome::print(output));
        }
        ui::note(format_args!(
            "this shell stays on '{}': to switch it too, load the hook (ccs init) or run \
             eval \"$(ccs continue ...)\"",
            source.label
        ));
        let command: Vec<std::ffi::OsString> = std::iter::once("claude".into())
            .chain(args.iter().map(Into::into))
            .collect();
        run_command(&command, Some((&target.name, &target.dir)))
    }

    /// How the copy is resumed, decided before anything is copied: a shell ccs cannot write
    /// for fails first.
    fn way(&self, store: &Store, target: &Profile, said: &mut Said) -> Result<Way> {
        if self.print {
            return Ok(Way::Print);
        }
        if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
            return Ok(Way::Run);
        }
        let shell = detect::explicit_or_detected(self.shell)?;
        said.warn(login_route_warning(&target.name, &target.dir));
        let (switch, _) = switch_here(shell, Some(store), Some((&target.dir, &target.name)), true)?;
        Ok(Way::Code { shell, switch })
    }
}

/// What `ccs continue` has to say, kept until nothing can fail any more.
#[derive(Default)]
struct Said(Vec<(bool, String)>);

impl Said {
    fn note(&mut self, text: String) {
        self.0.push((false, text));
    }

    fn warn(&mut self, text: impl Into<Option<String>>) {
        if let Some(text) = text.into() {
            self.0.push((true, text));
        }
    }

    fn tell(self) {
        for (warning, text) in self.0 {
            if warning {
                ui::warn(format_args!("{text}"));
            } else {
                ui::note(format_args!("{text}"));
            }
        }
    }
}

/// How the conversation is resumed once copied.
enum Way {
    /// Print the command (`--print`).
    Print,
    /// Run claude as the target in place of ccs: stdout is a terminal, nothing evaluates code.
    Run,
    /// Print the code that switches the shell (`switch`), then runs claude.
    Code { shell: Shell, switch: String },
}

/// Where the conversation is handed from: the profile active in this shell, or with none active
/// Claude Code's default config, `~/.claude` (only read: ccs never writes there).
fn source(store: &Store) -> Result<Source> {
    if let Some(name) = active_profile(store) {
        let (name, dir) = store.find(&name)?;
        return Ok(Source {
            label: name.to_string(),
            name: Some(name),
            dir,
        });
    }
    let Some(default) = default_config().filter(|_| DefaultConfig::is_active()) else {
        bail!(
            "no profile is active in this shell, and Claude Code's default config is not used \
             here: ccs continue hands a conversation from the active profile (ccs use NAME first)"
        );
    };
    Ok(Source {
        label: DefaultConfig::LABEL.to_owned(),
        name: None,
        dir: default.dir(),
    })
}

/// The profile to continue on: the one named, which must not be limited, or the one with most
/// room.
fn target_profile(
    store: &Store,
    raw: Option<&str>,
    source: &Source,
    said: &mut Said,
) -> Result<Profile> {
    let now = time::now_millis();
    let Some(raw) = raw else {
        return most_room(store, source, now, said);
    };
    let (name, dir) = store.find_to_use(&ProfileName::parse(raw)?)?;
    if source.name.as_ref() == Some(&name) {
        bail!("the conversation is on '{name}' already: name another profile");
    }
    let room = room::of_profiles(store, &[(name.clone(), dir.as_path())], now);
    if let Some(Room::Limited { until }) = room.first() {
        bail!(
            "'{name}' is limited too, until {}: name another profile, or wait",
            time::clock(*until, now, &time::local_zone())
        );
    }
    Ok(Profile { name, dir })
}

/// The profile other than the source with the most room (`usage::room`'s rule), with why (in
/// `said`); an error naming what is known when none has room ccs knows of.
fn most_room(store: &Store, source: &Source, now: Millis, said: &mut Said) -> Result<Profile> {
    let mut others: Vec<(ProfileName, PathBuf)> = Vec::new();
    for name in store.names()? {
        if source.name.as_ref() != Some(&name) {
            others.push(store.find(&name)?);
        }
    }
    if others.is_empty() {
        bail!("there is no other profile to continue on: make one (ccs create NAME)");
    }
    let dirs: Vec<(ProfileName, &Path)> = others
        .iter()
        .map(|(name, dir)| (name.clone(), dir.as_path()))
        .collect();
    let rooms = room::of_profiles(store, &dirs, now);
    let pick = room::most_room(others.into_iter().zip(rooms.iter().copied()));
    let Some((
        (name, dir),
        Room::Left {
            five_hour,
            seven_day,
        },
    )) = pick.best
    else {
        let limited = rooms
            .iter()
            .filter(|r| matches!(r, Room::Limited { .. }))
            .count();
        bail!(
            "no other profile has room that ccs knows of ({limited} limited, {} whose use is \
             unknown: a status line reports it, see ccs statusline --install): name one, ccs \
             continue NAME",
            pick.weighed - pick.known
        );
    };
    let unknown = match pick.weighed - pick.known {
        0 => String::new(),
        n => format!(
            "; {n} other {} use is unknown",
            if n == 1 { "profile's" } else { "profiles'" }
        ),
    };
    said.note(format!(
        "continuing on '{name}', the profile with most room: 5h {}% · 7d {}% used{unknown}",
        percent(five_hour),
        percent(seven_day)
    ));
    Ok(Profile { name, dir })
}

/// The conversation named, or this directory's latest.
fn find_conversation(source: &Source, id: Option<&str>, said: &mut Said) -> Result<Conversation> {
    let cwd = std::env::current_dir().context("cannot tell the current directory")?;
    let here = transcripts::project_dir_name(&cwd.to_string_lossy());
    let (id, project) = match id {
        Some(id) => (id.to_owned(), project_of(source, id, &here)?),
        None => (latest(source, &here, &cwd)?, here),
    };
    let path = transcripts::transcript(&source.dir, &project, &id);
    let bytes = fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let (lines, torn) = copy::complete_lines(&bytes);
    if lines.is_empty() {
        bail!(
            "{} holds no complete line: nothing to hand over",
            path.display()
        );
    }
    if torn {
        said.warn(format!(
            "the last line of {} is cut short (its client was stopped while writing it): it is \
             left out of the copy",
            path.display()
        ));
    }
    Ok(Conversation { id, project, lines })
}

/// The project dir that holds conversation `id` in the source: this directory's first, else any
/// (as `claude --resume <id>` finds it).
fn project_of(source: &Source, id: &str, here: &str) -> Result<String> {
    if !transcripts::is_session_id(id) {
        bail!("{id:?} is not a session id (one looks like 0b9f…-…, as claude --resume shows it)");
    }
    let candidates = std::iter::once(here.to_owned()).chain(copy::project_dirs(&source.dir));
    for project in candidates {
        if transcripts::transcript(&source.dir, &project, id).is_file() {
            return Ok(project);
        }
    }
    bail!("'{}' has no conversation {id}", source.label)
}

/// For Tab after `--session`: this directory's conversations on the active profile (or
/// `~/.claude`), newest first, each described by when it was last written and how it began.
/// Nothing when there is nothing to offer: Tab must never print an error into a command line.
fn session_ids() -> Vec<clap_complete::CompletionCandidate> {
    /// Enough to choose from, few enough to answer at once.
    const OFFERED: usize = 20;
    let Some(source) = Store::from_env().ok().and_then(|store| source(&store).ok()) else {
        return Vec::new();
    };
    let Ok(cwd) = std::env::current_dir() else {
        return Vec::new();
    };
    let here = transcripts::project_dir_name(&cwd.to_string_lossy());
    let dir = source.dir.join(transcripts::PROJECTS_DIR).join(here);
    let mut found: Vec<(std::time::SystemTime, String, PathBuf)> = fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let id = e.file_name().to_str()?.strip_suffix(".jsonl")?.to_owned();
            let modified = e.metadata().ok()?.modified().ok()?;
            transcripts::is_session_id(&id).then(|| (modified, id, e.path()))
        })
        .collect();
    found.sort_by_key(|(modified, _, _)| std::cmp::Reverse(*modified));
    let now = time::now_millis();
    found
        .into_iter()
        .take(OFFERED)
        .map(|(modified, id, path)| {
            let at = modified
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as Millis);
            let mut help = format!("{} ago", time::age(at, now));
            if let Some(prompt) = transcripts::first_prompt(&path) {
                help.push_str(": ");
                help.push_str(&prompt);
            }
            clap_complete::CompletionCandidate::new(id).help(Some(help.into()))
        })
        .collect()
}

/// The id of the conversation in `here` written to last.
fn latest(source: &Source, here: &str, cwd: &Path) -> Result<String> {
    let dir = source.dir.join(transcripts::PROJECTS_DIR).join(here);
    let newest = fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_str()?.strip_suffix(".jsonl")?.to_owned();
            let modified = e.metadata().ok()?.modified().ok()?;
            transcripts::is_session_id(&name).then_some((modified, name))
        })
        .max();
    match newest {
        Some((_, id)) => Ok(id),
        None => bail!(
            "'{}' has no conversation in {} (name one with --session ID)",
            source.label,
            cwd.display()
        ),
    }
}

/// Refuses a conversation Claude Code has open, on the source (it is still writing it) or on
/// the target (the copy would change a file it writes), unless `force`.
fn refuse_if_open(
    source: &Source,
    target: &Profile,
    id: &str,
    force: bool,
    said: &mut Said,
) -> Result<()> {
    let target_label = target.name.to_string();
    let sides = [
        (&source.label, &source.dir, "still open"),
        (&target_label, &target.dir, "open"),
    ];
    for (label, dir, what) in sides {
        let open: Vec<_> = sessions::running_sessions(dir)
            .into_iter()
            .filter(|s| s.session_id.as_deref() == Some(id))
            .collect();
        if open.is_empty() {
            continue;
        }
        let who = sessions::describe_sessions(&open);
        if force {
            said.warn(format!(
                "conversation {id} is {what} on '{}' ({who}); handing it over anyway (--force)",
                label
            ));
        } else {
            bail!(
                "conversation {id} is {what} on '{}' ({who}): quit it there first, or pass --force",
                label
            );
        }
    }
    Ok(())
}

/// What the client will make of the conversation under the target's account: refused when the
/// session belongs to another account, a warning when its earlier thinking cannot be reused.
fn check_accounts(conversation: &Conversation, target: &Profile, said: &mut Said) -> Result<()> {
    let found = Provenance::read(&conversation.lines);
    let account = account::account_uuid(&target.dir);
    let organization = account::organization_uuid(&target.dir);
    if let Some(owner) = &found.restricted_owner
        && !owner.admits(account.as_deref(), organization.as_deref())
    {
        bail!(
            "conversation {} belongs to another account's restricted organization: Claude Code \
             refuses it on '{}' (\"This session belongs to another account, so nothing was \
             sent\")",
            conversation.id,
            target.name
        );
    }
    let other_org = match (&found.organization, &organization) {
        (Some(ran_under), Some(target_org)) => ran_under != target_org,
        _ => false,
    };
    if other_org && found.has_thinking {
        said.warn(format!(
            "'{}' is signed in to another organization than the one this conversation ran \
             under: Claude cannot reuse its earlier thinking there, so its next replies may be \
             slower and use more tokens",
            target.name
        ));
    }
    Ok(())
}

/// The arguments after `claude` that resume the copy under a new id.
fn resume_args(id: &str, new_id: &str) -> Vec<String> {
    ["--resume", id, "--fork-session", "--session-id", new_id]
        .map(str::to_owned)
        .to_vec()
}

fn described(copied: &copy::Copied) -> String {
    let files = |n: usize| {
        if n == 1 {
            "1 file".to_owned()
        } else {
            format!("{n} files")
        }
    };
    match copied.kept {
        0 => format!("{} written", files(copied.files)),
        kept => format!(
            "{} written, {} already there",
            files(copied.files),
            files(kept)
        ),
    }
}

/// A new session id, as the client makes them (a version 4 UUID): 128 bits from the random keys
/// std seeds each hasher with.
fn new_session_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let half = |salt: u64| {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(salt);
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        hasher.finish()
    };
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&half(1).to_le_bytes());
    bytes[8..].copy_from_slice(&half(u64::from(std::process::id())).to_le_bytes());
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_session_id_is_a_fresh_version_4_uuid() {
        let (a, b) = (new_session_id(), new_session_id());
        assert!(transcripts::is_session_id(&a), "{a}");
        assert_ne!(a, b);
        assert_eq!(&a[14..15], "4");
        assert!("89ab".contains(&a[19..20]), "{a}");
    }
}

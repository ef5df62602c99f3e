//! The user's preferences and user-scope MCP servers, carried from the source's global config
//! (`~/.claude.json` beside `~/.claude`, or `.claude.json` inside `$CCS_SHARED_FROM`) into each
//! profile's `.claude.json`, key by key. The rest of that file (the login's account, user id,
//! projects and their trust, caches, counters) is the profile's and is never touched.
//!
//! ccs records a fingerprint of each key as it last wrote it (`.ccs.json`, [`Carried`]). A key
//! whose value in the profile is still what ccs wrote follows the source; one the profile changed
//! (a server added, edited or removed there, a preference set there) is the profile's own, kept
//! and reported. The file is written only under the client's own lock, re-read under it, with
//! only the carried keys rewritten, atomically and private, so a running client loses nothing.
//! MCP sign-ins are never in this file: they stay in each login's secure storage.

use std::collections::BTreeMap;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value};

use super::item::Item;
use super::record::{Mode, Sharing};
use crate::claude_code::global_config::{self as client, Lock};
use crate::fsx;

type Object = Map<String, Value>;

/// The global config that goes with the directory profiles share from.
pub(crate) fn source_file(source_dir: &Path) -> PathBuf {
    client::file_of(source_dir, fsx::home_dir().ok().as_deref())
}

/// `path` as a JSON object; `None` when it does not exist.
fn read_object(path: &Path) -> Result<Option<Object>> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(Some(map)),
        _ => bail!("{} is not a JSON object", path.display()),
    }
}

/// A value's fingerprint, the same whatever the order of its members.
fn fingerprint(value: &Value) -> String {
    fn canonical(value: &Value, out: &mut String) {
        match value {
            Value::Object(map) => {
                let sorted: BTreeMap<&String, &Value> = map.iter().collect();
                out.push('{');
                for (key, value) in sorted {
                    out.push_str(&Value::String(key.clone()).to_string());
                    out.push(':');
                    canonical(value, out);
                    out.push(',');
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for item in items {
                    canonical(item, out);
                    out.push(',');
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut text = String::new();
    canonical(value, &mut text);
    format!("fnv1a64:{:016x}", super::tree::fnv1a(b"j", text.as_bytes()))
}

fn same(a: Option<&Value>, b: Option<&Value>) -> bool {
    a.map(fingerprint) == b.map(fingerprint)
}

/// Which part of the file a key is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    Preferences,
    McpServers,
}

impl Part {
    fn label(self) -> &'static str {
        match self {
            Part::Preferences => "preferences",
            Part::McpServers => "MCP servers",
        }
    }
}

/// What one carried key is in a profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    /// As in the source.
    InStep,
    /// ccs's value, untouched, and the source has changed since: `sync` brings it along.
    ToSync,
    /// Changed in the profile since ccs wrote it, or made there: kept.
    Own,
}

#[derive(Debug)]
pub(crate) struct Entry {
    pub part: Part,
    pub key: String,
    pub state: State,
    source: Option<Value>,
    profile: Option<Value>,
}

/// Whether a profile takes anything from the source's global config at all.
pub(crate) fn carries(sharing: &Sharing) -> bool {
    sharing.mode != Mode::Isolated
}

/// The preferences `sharing`'s profile takes: those the client keeps in `settings.json` only
/// into a profile that does not share the user's `settings.json` (see
/// `claude_code::global_config::KEPT_IN_SETTINGS`).
fn carried_preferences<'a>(
    sharing: &'a Sharing,
    source: &'a Object,
) -> impl Iterator<Item = &'static str> + 'a {
    let shares_settings = sharing.items().any(|i| i == Item::Settings);
    client::PREFERENCES
        .into_iter()
        .filter(move |key| !(shares_settings && client::moves_to_settings(key, source)))
}

fn decide(recorded: Option<&String>, source: Option<&Value>, profile: Option<&Value>) -> State {
    let profile_print = profile.map(fingerprint);
    match recorded {
        Some(print) if profile_print.as_ref() == Some(print) => {
            if source.map(fingerprint).as_ref() == Some(print) {
                State::InStep
            } else {
                State::ToSync
            }
        }
        None if profile.is_none() => {
            if source.is_none() {
                State::InStep
            } else {
                State::ToSync
            }
        }
        _ if same(source, profile) => State::InStep,
        _ => State::Own,
    }
}

/// Every carried key of the profile with its state; keys absent everywhere and never written
/// are left out.
fn entries(sharing: &Sharing, source: &Object, profile: &Object) -> Vec<Entry> {
    let mut out = Vec::new();
    for key in carried_preferences(sharing, source) {
        let (s, p) = (source.get(key), profile.get(key));
        let recorded = sharing.carried.preferences.get(key);
        if s.is_none() && p.is_none() && recorded.is_none() {
            continue;
        }
        out.push(Entry {
            part: Part::Preferences,
            key: key.to_owned(),
            state: decide(recorded, s, p),
            source: s.cloned(),
            profile: p.cloned(),
        });
    }
    let servers = |config: &Object| -> Object {
        match config.get(client::MCP_SERVERS) {
            Some(Value::Object(map)) => map.clone(),
            _ => Object::new(),
        }
    };
    let (from, here) = (servers(source), servers(profile));
    let mut names: Vec<&String> = from.keys().chain(here.keys()).collect();
    names.extend(sharing.carried.mcp_servers.keys());
    let mut seen = std::collections::BTreeSet::new();
    names.retain(|n| seen.insert(*n));
    for name in names {
        let (s, p) = (from.get(name), here.get(name));
        out.push(Entry {
            part: Part::McpServers,
            key: name.clone(),
            state: decide(sharing.carried.mcp_servers.get(name), s, p),
            source: s.cloned(),
            profile: p.cloned(),
        });
    }
    out
}

/// One line of what `create` or `sync` did with the global config, or left alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Carry {
    pub verb: &'static str,
    pub part: Part,
    pub detail: String,
}

impl std::fmt::Display for Carry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:<9} {:<14} {}",
            self.verb,
            self.part.label(),
            self.detail
        )
    }
}

/// Brings the profile's carried keys in line with the source's global config: under the
/// client's lock, re-reading the profile's file there, rewriting only keys that are still what
/// ccs wrote (or were never there), and recording what it wrote in `sharing`. A source without
/// a global config changes nothing (a file moved away for a moment is not "every server
/// removed").
pub(crate) fn carry(
    instance: &Path,
    source_dir: &Path,
    sharing: &mut Sharing,
) -> Result<Vec<Carry>> {
    if !carries(sharing) {
        return Ok(Vec::new());
    }
    let from = source_file(source_dir);
    let Some(source) = read_object(&from)? else {
        return Ok(Vec::new());
    };
    let file = instance.join(crate::claude_code::GLOBAL_CONFIG_FILE);
    let _lock = Lock::acquire(&file, client::LOCK_WAIT)?;
    // Read under the lock: whatever a client saved before it is kept.
    let original =
        read_object(&file).with_context(|| format!("{} was left as it is", file.display()))?;
    let mut profile = original.clone().unwrap_or_default();
    let entries = entries(sharing, &source, &profile);
    let mut carried = sharing.carried.clone();
    let mut lines = Vec::new();
    let mut added = Vec::new();
    let mut updated = Vec::new();
    let mut removed = Vec::new();
    let mut kept = Vec::new();
    for entry in &entries {
        let record = match entry.part {
            Part::Preferences => &mut carried.preferences,
            Part::McpServers => &mut carried.mcp_servers,
        };
        let word = match entry.part {
            Part::Preferences => entry.key.clone(),
            Part::McpServers => entry.key.clone(),
        };
        match entry.state {
            State::Own => kept.push((entry.part, word)),
            State::InStep => match &entry.source {
                Some(value) => {
                    record.insert(entry.key.clone(), fingerprint(value));
                }
                None => {
                    record.remove(&entry.key);
                }
            },
            State::ToSync => {
                let target = match entry.part {
                    Part::Preferences => &mut profile,
                    Part::McpServers => servers_mut(&mut profile),
                };
                match &entry.source {
                    Some(value) => {
                        let list = if entry.profile.is_some() {
                            &mut updated
                        } else {
                            &mut added
                        };
                        list.push((entry.part, word));
                        target.insert(entry.key.clone(), value.clone());
                        record.insert(entry.key.clone(), fingerprint(value));
                    }
                    None => {
                        removed.push((entry.part, word));
                        target.shift_remove(&entry.key);
                        record.remove(&entry.key);
                    }
                }
            }
        }
    }
    if original.as_ref() != Some(&profile) {
        let mut text = serde_json::to_string_pretty(&Value::Object(profile))?;
        text.push('\n');
        fsx::write_atomically(&file, text.as_bytes(), client::FILE_MODE)?;
    }
    sharing.carried = carried;
    let shown = shown(&from);
    for (part, verb, list) in [
        (Part::McpServers, "carried", &added),
        (Part::McpServers, "updated", &updated),
        (Part::McpServers, "removed", &removed),
        (Part::Preferences, "carried", &added),
        (Part::Preferences, "updated", &updated),
        (Part::Preferences, "removed", &removed),
    ] {
        let names: Vec<&str> = list
            .iter()
            .filter(|(p, _)| *p == part)
            .map(|(_, n)| n.as_str())
            .collect();
        if !names.is_empty() {
            lines.push(Carry {
                verb,
                part,
                detail: format!("{} (from {shown})", names.join(" ")),
            });
        }
    }
    for part in [Part::McpServers, Part::Preferences] {
        let names: Vec<&str> = kept
            .iter()
            .filter(|(p, _)| *p == part)
            .map(|(_, n)| n.as_str())
            .collect();
        if !names.is_empty() {
            lines.push(Carry {
                verb: "kept",
                part,
                detail: format!("{} (the profile's own)", names.join(" ")),
            });
        }
    }
    Ok(lines)
}

fn servers_mut(profile: &mut Object) -> &mut Object {
    let slot = profile
        .entry(client::MCP_SERVERS)
        .or_insert_with(|| Value::Object(Object::new()));
    if !slot.is_object() {
        *slot = Value::Object(Object::new());
    }
    slot.as_object_mut().expect("made an object above")
}

/// `ccs show` and `doctor`'s account of the carried keys: one line for MCP servers, one for
/// preferences, each with what is in step, to sync, and the profile's own; and the remote
/// servers this profile still has to sign in to. Empty for an isolated profile.
pub(crate) fn describe(
    instance: &Path,
    sharing: &Sharing,
    source_dir: Option<&Path>,
) -> Vec<(String, String)> {
    if !carries(sharing) {
        return Vec::new();
    }
    let Some(source_dir) = source_dir else {
        return Vec::new();
    };
    let from = source_file(source_dir);
    let source = match read_object(&from) {
        Ok(Some(source)) => source,
        Ok(None) => return vec![("carried".into(), format!("nothing: no {}", shown(&from)))],
        Err(e) => return vec![("carried".into(), format!("nothing: {e:#}"))],
    };
    let file = instance.join(crate::claude_code::GLOBAL_CONFIG_FILE);
    let profile = match read_object(&file) {
        Ok(profile) => profile.unwrap_or_default(),
        Err(e) => return vec![("carried".into(), format!("unknown: {e:#}"))],
    };
    let entries = entries(sharing, &source, &profile);
    let mut out = Vec::new();
    for part in [Part::McpServers, Part::Preferences] {
        let of = |state: State| -> Vec<&str> {
            entries
                .iter()
                .filter(|e| e.part == part && e.state == state)
                .filter(|e| e.source.is_some() || e.profile.is_some() || state != State::InStep)
                .map(|e| e.key.as_str())
                .collect()
        };
        let (in_step, to_sync, own) = (of(State::InStep), of(State::ToSync), of(State::Own));
        let mut words = Vec::new();
        if !in_step.is_empty() {
            words.push(format!("{} from {}", in_step.len(), shown(&from)));
        }
        if !own.is_empty() {
            words.push(format!("{} own ({})", own.len(), own.join(", ")));
        }
        if !to_sync.is_empty() {
            words.push(format!(
                "{} to sync ({}: ccs sync)",
                to_sync.len(),
                to_sync.join(", ")
            ));
        }
        if part == Part::McpServers {
            let needing = to_sign_in(instance, &profile);
            if !needing.is_empty() {
                words.push(format!(
                    "{} to authenticate ({}: /mcp in this profile)",
                    needing.len(),
                    needing.join(", ")
                ));
            }
        }
        let line = match (words.is_empty(), to_sync.is_empty() && own.is_empty()) {
            (true, _) => "none".to_owned(),
            (false, true) if part == Part::Preferences => format!("in step ({})", words.join(", ")),
            _ => words.join(", "),
        };
        out.push((part.label().to_owned(), line));
    }
    out
}

/// The profile's HTTP and SSE servers its client found waiting for a sign-in.
fn to_sign_in(instance: &Path, profile: &Object) -> Vec<String> {
    let servers = match profile.get(client::MCP_SERVERS) {
        Some(Value::Object(map)) => map,
        _ => return Vec::new(),
    };
    client::needing_sign_in(instance)
        .into_iter()
        .filter(|name| servers.get(name).is_some_and(client::is_remote))
        .collect()
}

/// The remote (HTTP, SSE) servers among those carried: each needs a sign-in per account.
pub(crate) fn remote_servers(instance: &Path) -> Vec<String> {
    let file = instance.join(crate::claude_code::GLOBAL_CONFIG_FILE);
    let Ok(Some(profile)) = read_object(&file) else {
        return Vec::new();
    };
    match profile.get(client::MCP_SERVERS) {
        Some(Value::Object(map)) => map
            .iter()
            .filter(|(_, server)| client::is_remote(server))
            .map(|(name, _)| name.clone())
            .collect(),
        _ => Vec::new(),
    }
}

/// `~/.claude.json` rather than the full path, where it is in the home directory.
fn shown(path: &Path) -> String {
    match fsx::home_dir() {
        Ok(home) => match path.strip_prefix(&home) {
            Ok(rest) => format!("~/{}", rest.display()),
            Err(_) => path.display().to_string(),
        },
        Err(_) => path.display().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Object {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn the_profile_s_own_change_is_never_overwritten() {
        let a = json!({"command": "a"});
        let b = json!({"command": "b"});
        let print = fingerprint(&a);
        // ccs wrote a; untouched; source now b: to sync.
        assert_eq!(decide(Some(&print), Some(&b), Some(&a)), State::ToSync);
        // ccs wrote a; the profile changed it to b': own, whatever the source.
        let c = json!({"command": "c"});
        assert_eq!(decide(Some(&print), Some(&b), Some(&c)), State::Own);
        // Removed in the profile: own (not put back).
        assert_eq!(decide(Some(&print), Some(&a), None), State::Own);
        // Made in the profile, never written by ccs: own.
        assert_eq!(decide(None, None, Some(&c)), State::Own);
        // New at the source: to sync. The same on both sides: in step.
        assert_eq!(decide(None, Some(&a), None), State::ToSync);
        assert_eq!(decide(None, Some(&a), Some(&a)), State::InStep);
    }

    #[test]
    fn fingerprints_ignore_member_order() {
        let a: Value = serde_json::from_str(r#"{"x":1,"y":[1,{"b":2,"a":1}]}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"y":[1,{"a":1,"b":2}],"x":1}"#).unwrap();
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&json!({"x": 1})));
    }

    #[test]
    fn preferences_the_client_keeps_in_settings_come_through_a_shared_settings_json() {
        let source = object(json!({"theme": "light", "installMethod": "native"}));
        let linked = Sharing::new(Mode::Link, []);
        let keys: Vec<_> = carried_preferences(&linked, &source).collect();
        assert!(keys.contains(&"installMethod") && !keys.contains(&"theme"));
        let own = Sharing::new(Mode::Link, [Item::Settings]);
        let keys: Vec<_> = carried_preferences(&own, &source).collect();
        assert!(keys.contains(&"theme"));
    }
}

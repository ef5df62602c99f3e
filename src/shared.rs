//! Configuration shared across profiles: the user's own commands, skills, agents, settings and
//! memory, kept once in `~/.claude` (or `$CCS_SHARED_FROM`) and seen by every profile.
//!
//! Each profile has a share mode, recorded in its `.ccs.json` (Claude Code ignores files it does
//! not know):
//!
//! - **link** (the default, and what a profile without `.ccs.json` is taken to be): each item is
//!   a symlink to the source item, by absolute path, so an edit in `~/.claude` is seen by every
//!   profile at once and nothing is stored twice.
//! - **copy**: each item is a private copy, for systems without symlinks. ccs records a
//!   fingerprint of what it copied, so `ccs sync` can tell its own untouched copy (safe to
//!   refresh) from one the user has edited inside the profile (never overwritten).
//! - **isolated**: nothing is shared.
//!
//! Only items that exist in the source are linked or copied: nothing is ever created in the
//! source. Whatever the mode, a real file or a non-empty directory inside a profile is the
//! user's, and ccs reports it rather than replace it. An empty directory holds no data, so it may
//! be replaced by a link. Logins, `.claude.json`, history and sessions are never shared: only the
//! items below are.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use serde_json::{Map, Value};

use crate::config::write_atomically;
use crate::store;

/// Names the directory shared instead of `~/.claude`.
pub const SOURCE_VAR: &str = "CCS_SHARED_FROM";

/// Where a profile's share mode and opt-outs are recorded, inside its instance directory.
pub const SETTINGS_FILE: &str = ".ccs.json";

/// Directories a profile gets even when it shares neither, so the user has a place for the
/// profile's own commands and skills (the layout ccs has always created).
const OWN_DIRS: [Item; 2] = [Item::Commands, Item::Skills];

/// The user's own configuration: what a person writes, as opposed to what Claude Code records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, ValueEnum)]
pub enum Item {
    Commands,
    Skills,
    Agents,
    #[value(name = "settings.json")]
    Settings,
    #[value(name = "CLAUDE.md")]
    Memory,
}

impl Item {
    pub const ALL: [Item; 5] = [
        Item::Commands,
        Item::Skills,
        Item::Agents,
        Item::Settings,
        Item::Memory,
    ];

    /// The item's name in a Claude Code config dir.
    pub fn file_name(self) -> &'static str {
        match self {
            Item::Commands => "commands",
            Item::Skills => "skills",
            Item::Agents => "agents",
            Item::Settings => "settings.json",
            Item::Memory => "CLAUDE.md",
        }
    }

    fn is_dir(self) -> bool {
        matches!(self, Item::Commands | Item::Skills | Item::Agents)
    }

    pub fn from_file_name(name: &str) -> Option<Item> {
        Item::ALL.into_iter().find(|i| i.file_name() == name)
    }
}

impl fmt::Display for Item {
    /// `commands/` or `settings.json`: a directory shows its slash, as `ls -F` would.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = if self.is_dir() {
            format!("{}/", self.file_name())
        } else {
            self.file_name().to_owned()
        };
        f.pad(&shown)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Link,
    Copy,
    Isolated,
}

impl Mode {
    pub fn from_word(word: &str) -> Option<Mode> {
        [Mode::Link, Mode::Copy, Mode::Isolated]
            .into_iter()
            .find(|m| m.as_str() == word)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Link => "link",
            Mode::Copy => "copy",
            Mode::Isolated => "isolated",
        }
    }
}

/// A profile's sharing, as recorded in its `.ccs.json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sharing {
    pub mode: Mode,
    /// Items this profile opted out of: ccs neither links nor copies them.
    pub not_shared: BTreeSet<Item>,
    /// Copy mode: a fingerprint of each item as ccs last copied it.
    copied: BTreeMap<Item, String>,
}

impl Sharing {
    pub fn new(mode: Mode, not_shared: impl IntoIterator<Item = Item>) -> Self {
        Self {
            mode,
            not_shared: not_shared.into_iter().collect(),
            copied: BTreeMap::new(),
        }
    }

    /// The profile's recorded sharing. A profile without `.ccs.json` (made before ccs recorded
    /// one) links, as every profile does by default. A broken file is an error rather than a
    /// guess, so a copy-mode profile is never treated as a link-mode one.
    pub fn load(instance: &Path) -> Result<Self> {
        let path = instance.join(SETTINGS_FILE);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Self::new(Mode::Link, [])),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        Self::from_json(&bytes)
            .with_context(|| format!("{} is not what ccs wrote; fix or delete it", path.display()))
    }

    fn from_json(bytes: &[u8]) -> Result<Self> {
        let Value::Object(values) = serde_json::from_slice(bytes)? else {
            bail!("not a JSON object");
        };
        let mode = match values.get("share").and_then(Value::as_str) {
            None => Mode::Link,
            Some(word) => {
                Mode::from_word(word).with_context(|| format!("unknown share mode {word:?}"))?
            }
        };
        let mut not_shared = BTreeSet::new();
        for name in values
            .get("not_shared")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = name.as_str().unwrap_or_default();
            not_shared.insert(Item::from_file_name(name).with_context(|| {
                format!("{name:?} in \"not_shared\" is not one of the shared items")
            })?);
        }
        let copied = values
            .get("copied")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(name, print)| {
                Some((Item::from_file_name(name)?, print.as_str()?.to_owned()))
            })
            .collect();
        Ok(Self {
            mode,
            not_shared,
            copied,
        })
    }

    pub fn save(&self, instance: &Path) -> Result<()> {
        let mut values = Map::new();
        values.insert("share".into(), self.mode.as_str().into());
        let not_shared: Vec<Value> = self
            .not_shared
            .iter()
            .map(|i| i.file_name().into())
            .collect();
        values.insert("not_shared".into(), not_shared.into());
        if self.mode == Mode::Copy {
            let copied: Map<String, Value> = self
                .copied
                .iter()
                .map(|(i, print)| (i.file_name().to_owned(), print.as_str().into()))
                .collect();
            values.insert("copied".into(), copied.into());
        }
        let text = serde_json::to_string_pretty(&Value::Object(values))? + "\n";
        write_atomically(&instance.join(SETTINGS_FILE), text.as_bytes(), 0o600)
    }

    /// The items this profile takes from the source, in their usual order.
    fn items(&self) -> impl Iterator<Item = Item> + '_ {
        Item::ALL
            .into_iter()
            .filter(|i| self.mode != Mode::Isolated && !self.not_shared.contains(i))
    }
}

/// The directory profiles share from: `$CCS_SHARED_FROM`, else `~/.claude`. Read from the
/// environment at each command, like `CCS_HOME`, so one setting governs create and sync alike.
pub fn source_dir() -> Result<PathBuf> {
    match std::env::var_os(SOURCE_VAR).filter(|v| !v.is_empty()) {
        Some(dir) => {
            store::normalised_absolute(Path::new(&dir)).context("CCS_SHARED_FROM is unusable")
        }
        None => Ok(store::home_dir()?.join(".claude")),
    }
}

/// Fills a new instance (still in its staging directory) according to `sharing`, and records
/// `sharing` in it. `source` is `None` when there is none to share from: the profile then starts
/// with its own empty directories, and a later `ccs sync` links what has appeared.
pub fn populate(instance: &Path, mut sharing: Sharing, source: Option<&Path>) -> Result<()> {
    if let Some(source) = source {
        apply(instance, source, &mut sharing)?;
    }
    for item in OWN_DIRS {
        if fs::symlink_metadata(instance.join(item.file_name())).is_err() {
            store::make_private_dir(&instance.join(item.file_name()))?;
        }
    }
    sharing.save(instance)
}

/// Brings one profile in line with the source; returns its mode, what it did and what it left
/// alone.
pub fn sync(instance: &Path, source: &Path) -> Result<(Mode, Vec<Change>)> {
    let mut sharing = Sharing::load(instance)?;
    if instance == source {
        bail!("{} is this profile itself", source.display());
    }
    let before = sharing.clone();
    let changes = apply(instance, source, &mut sharing)?;
    if sharing != before {
        sharing.save(instance)?;
    }
    Ok((sharing.mode, changes))
}

fn apply(instance: &Path, source: &Path, sharing: &mut Sharing) -> Result<Vec<Change>> {
    let mut changes = Vec::new();
    for item in sharing.items().collect::<Vec<_>>() {
        let (from, to) = (
            source.join(item.file_name()),
            instance.join(item.file_name()),
        );
        let change = match sharing.mode {
            Mode::Link => link_item(&from, &to, source),
            Mode::Copy => copy_item(item, &from, &to, &mut sharing.copied),
            Mode::Isolated => Ok(None),
        }
        .with_context(|| format!("cannot share {item}"))?;
        changes.extend(change.map(|(action, detail)| Change {
            item,
            action,
            detail,
        }));
    }
    Ok(changes)
}

/// One thing `sync` did or declined to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub item: Item,
    pub action: Action,
    pub detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Linked,
    Repaired,
    Unlinked,
    Copied,
    Updated,
    /// Left alone: the user's own file, directory or link. Reported, never overwritten.
    Kept,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = match self.action {
            Action::Linked => "linked",
            Action::Repaired => "repaired",
            Action::Unlinked => "unlinked",
            Action::Copied => "copied",
            Action::Updated => "updated",
            Action::Kept => "kept",
        };
        write!(f, "{verb:<9} {:<14} {}", self.item, self.detail)
    }
}

type Step = Option<(Action, String)>;

/// Link mode for one item. `to` is what the profile has, `from` the source item.
fn link_item(from: &Path, to: &Path, source: &Path) -> Result<Step> {
    let source_has = from.exists();
    let here = match fs::symlink_metadata(to) {
        Ok(meta) => meta,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            if !source_has {
                return Ok(None);
            }
            make_link(from, to)?;
            return Ok(Some((Action::Linked, format!("→ {}", from.display()))));
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", to.display())),
    };
    if here.file_type().is_symlink() {
        let target = fs::read_link(to).with_context(|| format!("cannot read {}", to.display()))?;
        let resolves = to.exists();
        return Ok(match (target == from, resolves, source_has) {
            (true, true, _) => None,
            // The source item went away: a link to nothing holds no data, and a later sync
            // links it again if it comes back.
            (true, false, _) => {
                remove_link(to)?;
                Some((Action::Unlinked, format!("gone from {}", source.display())))
            }
            (false, false, true) => {
                replace_with_link(from, to)?;
                Some((
                    Action::Repaired,
                    format!(
                        "was a broken link to {}, now → {}",
                        target.display(),
                        from.display()
                    ),
                ))
            }
            (false, false, false) => Some((
                Action::Kept,
                format!(
                    "a broken link to {}; nothing in {} to repair it with",
                    target.display(),
                    source.display()
                ),
            )),
            (false, true, _) => Some((
                Action::Kept,
                format!("links to {}: your choice, left alone", target.display()),
            )),
        });
    }
    if !source_has {
        return Ok(None);
    }
    if here.is_dir() && is_empty_dir(to)? {
        // An empty directory (as ccs makes when the source had none) holds no data. remove_dir
        // fails rather than delete anything that appeared in it meanwhile.
        fs::remove_dir(to).with_context(|| format!("cannot replace {}", to.display()))?;
        make_link(from, to)?;
        return Ok(Some((
            Action::Linked,
            format!("→ {} (replaced an empty directory)", from.display()),
        )));
    }
    let what = if here.is_dir() {
        "the profile's own directory"
    } else {
        "the profile's own file"
    };
    Ok(Some((
        Action::Kept,
        format!(
            "{what}, not overwritten (move it away and sync again to share {})",
            from.display()
        ),
    )))
}

/// Copy mode for one item: copies what is new, refreshes ccs's own untouched copy when the
/// source changed, and keeps any copy the user has edited in the profile.
fn copy_item(
    item: Item,
    from: &Path,
    to: &Path,
    copied: &mut BTreeMap<Item, String>,
) -> Result<Step> {
    let here = match fs::symlink_metadata(to) {
        Ok(meta) => Some(meta),
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", to.display())),
    };
    if !from.exists() {
        // Reported once: forgetting the fingerprint makes the copy the profile's own.
        return Ok(match (&here, copied.remove(&item)) {
            (Some(_), Some(_)) => Some((
                Action::Kept,
                format!(
                    "gone from {}; the profile's copy is kept as its own",
                    from.parent().unwrap_or(from).display()
                ),
            )),
            _ => None,
        });
    }
    let theirs = Tree::read(from)?;
    let Some(here) = here else {
        replace_with_copy(from, to)?;
        copied.insert(item, theirs.fingerprint());
        return Ok(Some((Action::Copied, format!("from {}", from.display()))));
    };
    if here.file_type().is_symlink() {
        let target = fs::read_link(to).unwrap_or_default();
        return Ok(Some((
            Action::Kept,
            format!("links to {}: your choice, left alone", target.display()),
        )));
    }
    let ours = Tree::read(to)?;
    if ours == theirs {
        copied.insert(item, theirs.fingerprint());
        return Ok(None);
    }
    let untouched = copied.get(&item) == Some(&ours.fingerprint());
    let empty_dir = here.is_dir() && is_empty_dir(to)?;
    if !untouched && !empty_dir {
        let whose = if copied.contains_key(&item) {
            "edited in the profile since ccs copied it"
        } else {
            "the profile's own"
        };
        return Ok(Some((
            Action::Kept,
            format!(
                "{whose}, not overwritten (differs from the source: {})",
                ours.changes_to(&theirs)
            ),
        )));
    }
    replace_with_copy(from, to)?;
    copied.insert(item, theirs.fingerprint());
    if empty_dir {
        return Ok(Some((
            Action::Copied,
            format!("from {} (replaced an empty directory)", from.display()),
        )));
    }
    Ok(Some((Action::Updated, ours.changes_to(&theirs))))
}

/// What a profile's item is, for `ccs list` and `ccs show`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// A link to the source item.
    Shared,
    /// Copy mode: ccs's copy, the same as the source (or `outdated`: sync refreshes it).
    Copied { outdated: bool },
    /// A real file or non-empty directory that is the profile's own.
    Own,
    /// The source has it and the profile does not yet: `ccs sync` links or copies it.
    Pending,
    /// A link to nothing.
    Broken,
    /// A link the user pointed somewhere else.
    Elsewhere(PathBuf),
    /// Nowhere (or only an empty directory).
    Absent,
}

impl Status {
    /// One word for `--json`.
    pub fn word(&self) -> &'static str {
        match self {
            Status::Shared => "shared",
            Status::Copied { outdated: false } => "copied",
            Status::Copied { outdated: true } => "outdated",
            Status::Own => "own",
            Status::Pending => "pending",
            Status::Broken => "broken",
            Status::Elsewhere(_) => "elsewhere",
            Status::Absent => "absent",
        }
    }

    /// `word` as the `'static` word of some status, if it is one (read back from a cache).
    pub fn known_word(word: &str) -> Option<&'static str> {
        Self::WORDS.into_iter().find(|w| *w == word)
    }

    /// Every [`Status::word`].
    const WORDS: [&'static str; 8] = [
        "shared",
        "copied",
        "outdated",
        "own",
        "pending",
        "broken",
        "elsewhere",
        "absent",
    ];
}

pub struct ItemStatus {
    pub item: Item,
    pub status: Status,
    /// The profile does not take this item from the source (isolated, or opted out).
    pub not_shared: bool,
}

/// The status of each shareable item in a profile. `source` is `None` when there is none.
pub fn status(instance: &Path, sharing: &Sharing, source: Option<&Path>) -> Vec<ItemStatus> {
    Item::ALL
        .into_iter()
        .map(|item| {
            let from = source.map(|s| s.join(item.file_name()));
            let takes = sharing.items().any(|i| i == item);
            ItemStatus {
                item,
                status: item_status(
                    item,
                    &instance.join(item.file_name()),
                    from.as_deref(),
                    takes,
                    sharing,
                ),
                not_shared: !takes,
            }
        })
        .collect()
}

/// `from` is the source item; `takes` says whether this profile takes it from the source.
fn item_status(
    item: Item,
    to: &Path,
    from: Option<&Path>,
    takes: bool,
    sharing: &Sharing,
) -> Status {
    let offered = takes && from.is_some_and(Path::exists);
    let Ok(here) = fs::symlink_metadata(to) else {
        return if offered {
            Status::Pending
        } else {
            Status::Absent
        };
    };
    if here.file_type().is_symlink() {
        let target = fs::read_link(to).unwrap_or_default();
        return if !to.exists() {
            Status::Broken
        } else if from == Some(target.as_path()) {
            Status::Shared
        } else {
            Status::Elsewhere(target)
        };
    }
    if here.is_dir() && is_empty_dir(to).unwrap_or(false) {
        return if offered {
            Status::Pending
        } else {
            Status::Absent
        };
    }
    let Some(from) = from.filter(|_| offered && sharing.mode == Mode::Copy) else {
        return Status::Own;
    };
    let (Ok(ours), Ok(theirs)) = (Tree::read(to), Tree::read(from)) else {
        return Status::Own;
    };
    if ours == theirs {
        Status::Copied { outdated: false }
    } else if sharing.copied.get(&item) == Some(&ours.fingerprint()) {
        Status::Copied { outdated: true }
    } else {
        Status::Own
    }
}

/// One short phrase for `ccs list`: `3 shared, 1 own`, `isolated`, `2 to sync`.
pub fn summary(sharing: &Sharing, statuses: &[ItemStatus]) -> String {
    let count = |f: &dyn Fn(&Status) -> bool| statuses.iter().filter(|s| f(&s.status)).count();
    let shared = count(&|s| matches!(s, Status::Shared | Status::Copied { .. }));
    let own = count(&|s| matches!(s, Status::Own));
    let to_sync = count(&|s| {
        matches!(
            s,
            Status::Pending | Status::Broken | Status::Copied { outdated: true }
        )
    });
    let mut parts = Vec::new();
    if sharing.mode == Mode::Isolated {
        parts.push("isolated".to_owned());
    } else if shared > 0 {
        let verb = if sharing.mode == Mode::Copy {
            "copied"
        } else {
            "shared"
        };
        parts.push(format!("{shared} {verb}"));
    }
    if own > 0 {
        parts.push(format!("{own} own"));
    }
    if to_sync > 0 {
        parts.push(format!("{to_sync} to sync"));
    }
    if parts.is_empty() {
        "nothing shared".to_owned()
    } else {
        parts.join(", ")
    }
}

/// One line for `create`: which items the new profile shares, and how.
pub fn creation_summary(instance: &Path, source: Option<&Path>) -> String {
    let Ok(sharing) = Sharing::load(instance) else {
        return String::new();
    };
    if sharing.mode == Mode::Isolated {
        return "It shares nothing (isolated).".to_owned();
    }
    let shared: Vec<String> = status(instance, &sharing, source)
        .iter()
        .filter(|s| matches!(s.status, Status::Shared | Status::Copied { .. }))
        .map(|s| s.item.to_string())
        .collect();
    let from = source.map_or_else(|| "~/.claude".to_owned(), |s| s.display().to_string());
    match (shared.is_empty(), sharing.mode) {
        (true, _) => format!(
            "Nothing to share in {from} yet; `ccs sync {}` shares what appears there.",
            instance.file_name().unwrap_or_default().to_string_lossy()
        ),
        (false, Mode::Copy) => format!("It has copies of {} from {from}.", shared.join(" ")),
        (false, _) => format!("It shares {} with {from} (linked).", shared.join(" ")),
    }
}

/// The status in words, for `ccs show`.
pub fn describe(status: &ItemStatus, sharing: &Sharing, source: Option<&Path>) -> String {
    let from = || match source {
        Some(s) => s.join(status.item.file_name()).display().to_string(),
        None => "the source".to_owned(),
    };
    let source = source.map_or_else(|| "the source".to_owned(), |s| s.display().to_string());
    match &status.status {
        Status::Shared => format!("shared → {}", from()),
        Status::Copied { outdated: false } => format!("shared, a copy of {}", from()),
        Status::Copied { outdated: true } => {
            format!(
                "shared, a copy of {} (outdated: ccs sync updates it)",
                from()
            )
        }
        Status::Own => "the profile's own".to_owned(),
        Status::Pending => format!("in {source}, not shared yet: ccs sync shares it"),
        Status::Broken => "a broken link: ccs sync repairs it".to_owned(),
        Status::Elsewhere(target) => format!("links to {}", target.display()),
        Status::Absent if sharing.mode == Mode::Isolated => "not shared (isolated)".to_owned(),
        Status::Absent if status.not_shared => "not shared (opted out)".to_owned(),
        Status::Absent => format!("not in {source}"),
    }
}

fn is_empty_dir(dir: &Path) -> Result<bool> {
    Ok(fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .next()
        .is_none())
}

/// A symlink at `to` pointing at `from`, by absolute path.
fn make_link(from: &Path, to: &Path) -> Result<()> {
    symlink(from, to).with_context(|| {
        format!(
            "cannot link {} (where symlinks are not available, create the profile with --copy)",
            to.display()
        )
    })
}

/// Replaces whatever link is at `to` with one to `from`, in one rename: the item never vanishes
/// from a Claude Code session running meanwhile.
fn replace_with_link(from: &Path, to: &Path) -> Result<()> {
    let temp = sibling(to, "link");
    let _ = fs::remove_file(&temp);
    make_link(from, &temp)?;
    fs::rename(&temp, to).with_context(|| format!("cannot replace {}", to.display()))
}

fn remove_link(to: &Path) -> Result<()> {
    fs::remove_file(to).with_context(|| format!("cannot remove the link {}", to.display()))
}

/// Copies `from` next to `to`, then swaps it in: the old copy is renamed away before it is
/// deleted, so an interruption never leaves half a copy under the item's name.
fn replace_with_copy(from: &Path, to: &Path) -> Result<()> {
    let staged = sibling(to, "copy");
    let _ = remove_any(&staged);
    let copied = if from.is_dir() {
        copy_tree(from, &staged)
    } else {
        copy_file(from, &staged)
    };
    if let Err(e) = copied {
        let _ = remove_any(&staged);
        return Err(e);
    }
    let old = sibling(to, "old");
    let had_old = match fs::rename(to, &old) {
        Ok(()) => true,
        Err(e) if e.kind() == ErrorKind::NotFound => false,
        Err(e) => return Err(e).with_context(|| format!("cannot replace {}", to.display())),
    };
    fs::rename(&staged, to).with_context(|| format!("cannot replace {}", to.display()))?;
    if had_old {
        // remove_dir_all does not follow symlinks: a link inside the old copy is deleted as a
        // link, its target untouched.
        remove_any(&old).with_context(|| format!("cannot delete {}", old.display()))?;
    }
    Ok(())
}

fn sibling(path: &Path, purpose: &str) -> PathBuf {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    path.with_file_name(format!(".{name}.ccs-{purpose}-{}", std::process::id()))
}

fn remove_any(path: &Path) -> std::io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) => Err(e),
    }
}

/// Copies a directory tree, recreating symlinks as symlinks rather than following them. The
/// copy is private: directories 0700, files without group or other permissions.
pub fn copy_tree(source: &Path, target: &Path) -> Result<()> {
    store::make_private_dir(target)?;
    let entries =
        fs::read_dir(source).with_context(|| format!("cannot read {}", source.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read {}", source.display()))?;
        let (from, to) = (entry.path(), target.join(entry.file_name()));
        let kind = entry
            .file_type()
            .with_context(|| format!("cannot read {}", from.display()))?;
        if kind.is_dir() {
            copy_tree(&from, &to)?;
        } else if kind.is_symlink() {
            copy_symlink(&from, &to)?;
        } else if kind.is_file() {
            copy_file(&from, &to)?;
        } else {
            eprintln!(
                "ccs: skipped {}: not a file, directory or link",
                from.display()
            );
        }
    }
    Ok(())
}

fn copy_file(from: &Path, to: &Path) -> Result<()> {
    fs::copy(from, to)
        .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    make_owner_only(to)
}

#[cfg(unix)]
fn make_owner_only(file: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(file)
        .with_context(|| format!("cannot read {}", file.display()))?
        .permissions()
        .mode();
    fs::set_permissions(file, fs::Permissions::from_mode(mode & 0o700))
        .with_context(|| format!("cannot make {} private", file.display()))
}

#[cfg(not(unix))]
fn make_owner_only(_file: &Path) -> Result<()> {
    Ok(())
}

#[cfg(unix)]
fn symlink(from: &Path, to: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(from, to)
}

#[cfg(windows)]
fn symlink(from: &Path, to: &Path) -> std::io::Result<()> {
    if from.is_dir() {
        std::os::windows::fs::symlink_dir(from, to)
    } else {
        std::os::windows::fs::symlink_file(from, to)
    }
}

#[cfg(not(any(unix, windows)))]
fn symlink(_from: &Path, _to: &Path) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

#[cfg(unix)]
fn copy_symlink(from: &Path, to: &Path) -> Result<()> {
    let link =
        fs::read_link(from).with_context(|| format!("cannot read link {}", from.display()))?;
    std::os::unix::fs::symlink(&link, to)
        .with_context(|| format!("cannot create link {}", to.display()))
}

#[cfg(not(unix))]
fn copy_symlink(from: &Path, to: &Path) -> Result<()> {
    copy_file(from, to)
}

/// An item's content, entry by entry, to compare a copy with its source and to fingerprint it.
/// The item itself is followed if it is a link (a `~/.claude/commands` that links into a dotfiles
/// repository is copied as what it holds); links inside it are read as links, as `copy_tree`
/// copies them.
#[derive(Debug, PartialEq, Eq)]
struct Tree(BTreeMap<String, u64>);

impl Tree {
    fn read(root: &Path) -> Result<Self> {
        let mut entries = BTreeMap::new();
        if fs::metadata(root)
            .with_context(|| format!("cannot read {}", root.display()))?
            .is_dir()
        {
            read_entries(root, "", &mut entries)?;
        } else {
            let bytes =
                fs::read(root).with_context(|| format!("cannot read {}", root.display()))?;
            entries.insert(String::new(), fnv1a(b"f", &bytes));
        }
        Ok(Self(entries))
    }

    /// One stable string for the whole content: FNV-1a, which, unlike std's hasher, is the same
    /// in every build, so a fingerprint written by one ccs version is understood by the next. It
    /// guards against accidents (an edited copy), not against an adversary, who could edit the
    /// recorded fingerprint anyway.
    fn fingerprint(&self) -> String {
        let mut all = Vec::new();
        for (path, hash) in &self.0 {
            all.extend_from_slice(path.as_bytes());
            all.push(0);
            all.extend_from_slice(&hash.to_le_bytes());
        }
        format!("fnv1a64:{:016x}", fnv1a(b"t", &all))
    }

    /// `+new.md ~changed.md -gone.md`: what replacing `self` by `newer` changes (the first few).
    fn changes_to(&self, newer: &Tree) -> String {
        const SHOWN: usize = 8;
        let mut words = Vec::new();
        for (path, hash) in &newer.0 {
            match self.0.get(path) {
                None => words.push(format!("+{}", shown_path(path))),
                Some(old) if old != hash => words.push(format!("~{}", shown_path(path))),
                Some(_) => {}
            }
        }
        for path in self.0.keys().filter(|p| !newer.0.contains_key(*p)) {
            words.push(format!("-{}", shown_path(path)));
        }
        if words.len() > SHOWN {
            let more = words.len() - SHOWN;
            words.truncate(SHOWN);
            words.push(format!("and {more} more"));
        }
        words.join(" ")
    }
}

fn shown_path(path: &str) -> &str {
    if path.is_empty() { "(content)" } else { path }
}

fn read_entries(dir: &Path, prefix: &str, into: &mut BTreeMap<String, u64>) -> Result<()> {
    let entries = fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read {}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = format!("{prefix}{name}");
        let kind = entry
            .file_type()
            .with_context(|| format!("cannot read {}", entry.path().display()))?;
        if kind.is_dir() {
            into.insert(format!("{path}/"), fnv1a(b"d", b""));
            read_entries(&entry.path(), &format!("{path}/"), into)?;
        } else if kind.is_symlink() {
            let target = fs::read_link(entry.path()).unwrap_or_default();
            into.insert(path, fnv1a(b"l", target.as_os_str().as_encoded_bytes()));
        } else if kind.is_file() {
            let bytes = fs::read(entry.path())
                .with_context(|| format!("cannot read {}", entry.path().display()))?;
            into.insert(path, fnv1a(b"f", &bytes));
        }
    }
    Ok(())
}

/// 64-bit FNV-1a of a kind tag and the bytes.
fn fnv1a(tag: &[u8], bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in tag.iter().chain(bytes) {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_word_is_known_and_only_those() {
        for status in [
            Status::Shared,
            Status::Copied { outdated: false },
            Status::Copied { outdated: true },
            Status::Own,
            Status::Pending,
            Status::Broken,
            Status::Elsewhere(PathBuf::from("/x")),
            Status::Absent,
        ] {
            assert_eq!(Status::known_word(status.word()), Some(status.word()));
        }
        assert_eq!(Status::known_word("linked"), None);
        for mode in [Mode::Link, Mode::Copy, Mode::Isolated] {
            assert_eq!(Mode::from_word(mode.as_str()), Some(mode));
        }
    }

    #[test]
    fn settings_round_trip_and_default_to_link() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            Sharing::load(dir.path()).unwrap(),
            Sharing::new(Mode::Link, [])
        );
        let mut sharing = Sharing::new(Mode::Copy, [Item::Settings, Item::Memory]);
        sharing.copied.insert(Item::Commands, "fnv1a64:1".into());
        sharing.save(dir.path()).unwrap();
        assert_eq!(Sharing::load(dir.path()).unwrap(), sharing);
    }

    #[test]
    fn a_broken_settings_file_is_an_error_not_a_guess() {
        for text in [
            "not json",
            "[]",
            r#"{"share":"sometimes"}"#,
            r#"{"not_shared":["history"]}"#,
        ] {
            let dir = tempfile::tempdir().unwrap();
            fs::write(dir.path().join(SETTINGS_FILE), text).unwrap();
            let err = format!("{:#}", Sharing::load(dir.path()).unwrap_err());
            assert!(err.contains("fix or delete it"), "{text}: {err}");
        }
    }

    #[test]
    fn fingerprints_see_content_names_and_links() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("t");
        fs::create_dir_all(root.join("sub")).unwrap();
        fs::write(root.join("sub/a.md"), "a").unwrap();
        let first = Tree::read(&root).unwrap();
        fs::write(root.join("sub/a.md"), "b").unwrap();
        let second = Tree::read(&root).unwrap();
        assert_ne!(first.fingerprint(), second.fingerprint());
        assert_eq!(first.changes_to(&second), "~sub/a.md");
        std::os::unix::fs::symlink("a.md", root.join("sub/l")).unwrap();
        let third = Tree::read(&root).unwrap();
        assert_eq!(second.changes_to(&third), "+sub/l");
        assert_eq!(third.changes_to(&second), "-sub/l");
        // Stable across builds: a known value.
        assert_eq!(fnv1a(b"", b"a"), 0xaf63dc4c8601ec8c);
    }
}

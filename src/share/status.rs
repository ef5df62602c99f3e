//! What each shareable item of a profile is now (shared, a copy, its own, waiting for a sync),
//! and the words `ccs list`, `ccs show` and `ccs create` use for it.

use std::fs;
use std::path::{Path, PathBuf};

use super::item::Item;
use super::link;
use super::record::{Mode, Sharing};
use super::tree::Tree;
use crate::fsx::{self, is_empty_dir};

/// What a profile's item is, for `ccs list` and `ccs show`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    /// A link to the source item.
    Shared,
    /// ccs's copy, the same as the source (or `outdated`: sync refreshes it): in copy mode, or
    /// in link mode where no link could be made.
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
    /// An item shared entry by entry that an older ccs linked whole, so that every account's
    /// entries land in the one shared directory: `ccs sync` links it entry by entry.
    Whole,
}

impl Status {
    /// One word for `--json`.
    pub(crate) fn word(&self) -> &'static str {
        match self {
            Status::Shared => "shared",
            Status::Copied { outdated: false } => "copied",
            Status::Copied { outdated: true } => "outdated",
            Status::Own => "own",
            Status::Pending => "pending",
            Status::Broken => "broken",
            Status::Elsewhere(_) => "elsewhere",
            Status::Absent => "absent",
            Status::Whole => "whole",
        }
    }

    /// `word` as the `'static` word of some status, if it is one (read back from a cache).
    pub(crate) fn known_word(word: &str) -> Option<&'static str> {
        Self::WORDS.into_iter().find(|w| *w == word)
    }

    /// Every [`Status::word`].
    const WORDS: [&'static str; 9] = [
        "whole",
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

pub(crate) struct ItemStatus {
    pub item: Item,
    pub status: Status,
    /// The profile does not take this item from the source (isolated, or opted out).
    pub not_shared: bool,
}

/// The status of each shareable item in a profile. `source` is `None` when there is none.
pub(crate) fn status(instance: &Path, sharing: &Sharing, source: Option<&Path>) -> Vec<ItemStatus> {
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
    let by_entry = !item.per_account().is_empty();
    // What could not be linked here is a copy ccs keeps in step, as in copy mode.
    let copies = sharing.mode == Mode::Copy || sharing.copied.contains_key(&item);
    if here.file_type().is_symlink() {
        let target = fs::read_link(to).unwrap_or_default();
        let ours = from == Some(target.as_path());
        // A chain of links that ends at an item shared whole shares it all the same: the Node
        // switcher CCS links each item through its own `~/.ccs/shared/`. Resolved only when the
        // link does not name the source itself, which is what ccs makes. (An item shared entry
        // by entry, reached through such a chain, stays the user's choice: `sync` keeps it.)
        let through_a_chain = || !by_entry && from.is_some_and(|from| fsx::same_file(to, from));
        return if !to.exists() {
            Status::Broken
        } else if ours && by_entry {
            Status::Whole
        } else if ours || through_a_chain() {
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
    if let Some(from) = from.filter(|_| offered && by_entry && !copies) {
        return if link::entries_all_linked(from, to, item.per_account()) {
            Status::Shared
        } else {
            Status::Pending
        };
    }
    let Some(from) = from.filter(|_| offered && copies) else {
        return Status::Own;
    };
    let skip = item.per_account();
    let (Ok(ours), Ok(theirs)) = (Tree::read(to, skip), Tree::read(from, skip)) else {
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
pub(crate) fn summary(sharing: &Sharing, statuses: &[ItemStatus]) -> String {
    let count = |f: &dyn Fn(&Status) -> bool| statuses.iter().filter(|s| f(&s.status)).count();
    let shared = count(&|s| matches!(s, Status::Shared | Status::Copied { .. }));
    let own = count(&|s| matches!(s, Status::Own));
    let to_sync = count(&|s| {
        matches!(
            s,
            Status::Pending | Status::Broken | Status::Whole | Status::Copied { outdated: true }
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

/// One line for `create`: which items the new profile shares, and how: linked, or copied
/// (`--copy`, or where no link could be made).
pub(crate) fn creation_summary(instance: &Path, source: Option<&Path>) -> String {
    let Ok(sharing) = Sharing::load(instance) else {
        return String::new();
    };
    if sharing.mode == Mode::Isolated {
        return "It shares nothing (isolated).".to_owned();
    }
    let statuses = status(instance, &sharing, source);
    let items = |copies: bool| {
        statuses
            .iter()
            .filter(|s| match s.status {
                Status::Shared => !copies,
                Status::Copied { .. } => copies,
                _ => false,
            })
            .map(|s| s.item.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (linked, copied) = (items(false), items(true));
    let from = source.map_or_else(|| "~/.claude".to_owned(), |s| s.display().to_string());
    let kept = "(no links here: copies ccs keeps in step)";
    match (linked.is_empty(), copied.is_empty(), sharing.mode) {
        (true, true, _) => format!(
            "Nothing to share in {from} yet; `ccs sync {}` shares what appears there.",
            instance.file_name().unwrap_or_default().to_string_lossy()
        ),
        (_, _, Mode::Copy) => format!("It has copies of {copied} from {from}."),
        (false, true, _) => format!("It shares {linked} with {from} (linked)."),
        (true, false, _) => format!("It shares {copied} with {from}, copied {kept}."),
        (false, false, _) => {
            format!("It shares {linked} with {from} (linked), and {copied} copied {kept}.")
        }
    }
}

/// The status in words, for `ccs show`.
pub(crate) fn describe(status: &ItemStatus, sharing: &Sharing, source: Option<&Path>) -> String {
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
        Status::Whole => format!(
            "linked whole to {}, where every account's synced entries land: ccs sync links it entry by entry",
            from()
        ),
        Status::Elsewhere(target) => format!("links to {}", target.display()),
        Status::Absent if sharing.mode == Mode::Isolated => "not shared (isolated)".to_owned(),
        Status::Absent if status.not_shared => "not shared (opted out)".to_owned(),
        Status::Absent => format!("not in {source}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A linking profile where some items could not be linked (Windows without Developer Mode
    /// for files; FAT, a network share or Wine for all): those are copies ccs keeps in step,
    /// shared like the links, and `create` says which is which.
    #[cfg(unix)]
    #[test]
    fn copies_made_for_want_of_links_are_shared_and_named_as_copies() {
        let root = tempfile::tempdir().unwrap();
        let (source, instance) = (root.path().join("claude"), root.path().join("work"));
        fs::create_dir_all(source.join("commands")).unwrap();
        fs::create_dir_all(source.join("skills/review")).unwrap();
        fs::write(source.join("commands/deploy.md"), "Deploy.").unwrap();
        fs::write(source.join("skills/review/SKILL.md"), "Review.").unwrap();
        fs::write(source.join("settings.json"), "{}").unwrap();
        fs::create_dir(&instance).unwrap();
        std::os::unix::fs::symlink(source.join("commands"), instance.join("commands")).unwrap();
        let mut sharing = Sharing::new(Mode::Link, []);
        for item in [Item::Skills, Item::Settings] {
            let (from, to) = (
                source.join(item.file_name()),
                instance.join(item.file_name()),
            );
            if item.is_dir() {
                crate::fsx::copy_tree(&from, &to).unwrap();
            } else {
                crate::fsx::copy_file(&from, &to).unwrap();
            }
            let print = Tree::read(&from, item.per_account()).unwrap().fingerprint();
            sharing.copied.insert(item, print);
        }
        sharing.save(&instance).unwrap();
        let of = |item: Item| {
            status(&instance, &Sharing::load(&instance).unwrap(), Some(&source))
                .into_iter()
                .find(|s| s.item == item)
                .unwrap()
                .status
        };
        assert_eq!(of(Item::Commands), Status::Shared);
        assert_eq!(of(Item::Skills), Status::Copied { outdated: false });
        assert_eq!(of(Item::Settings), Status::Copied { outdated: false });
        assert_eq!(
            creation_summary(&instance, Some(&source)),
            format!(
                "It shares commands/ with {} (linked), and skills/ settings.json copied (no links \
                 here: copies ccs keeps in step).",
                source.display()
            )
        );
        fs::write(source.join("settings.json"), "{\"model\":\"opus\"}").unwrap();
        assert_eq!(of(Item::Settings), Status::Copied { outdated: true });
        fs::write(instance.join("settings.json"), "mine").unwrap();
        assert_eq!(of(Item::Settings), Status::Own);
    }

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
            Status::Whole,
        ] {
            assert_eq!(Status::known_word(status.word()), Some(status.word()));
        }
        assert_eq!(Status::known_word("linked"), None);
        for mode in [Mode::Link, Mode::Copy, Mode::Isolated] {
            assert_eq!(Mode::from_word(mode.as_str()), Some(mode));
        }
    }
}

//! The copy of one conversation into another profile: what is copied, how its lines change, and
//! how it lands, whole or not at all.
//!
//! What a resumed conversation needs (see `claude_code::transcripts`): the transcript, the
//! session's own directory beside it (`subagents/`, `tool-results/`), and its per-session
//! file history (`file-history/`). Nothing else of the source profile: not its tasks or its
//! session environment (which a fork never reads; the latter holds what the profile's own hooks
//! export), its login, its `.claude.json` (the account's ids) or its settings.
//!
//! Two changes are made to a copied transcript's lines, and only these:
//! - a line with usage gets the member `"ccsHandedFrom":"<source profile>"` after its `{`, so
//!   that `ccs usage` counts it in the profile it came from and nowhere else;
//! - the absolute paths the transcript holds to the source's session directory
//!   (`<source>/projects/<dir>/<id>/tool-results/…`, `…/subagents/…`) name the target's, where
//!   the copy of those files is: the source profile's files may be cleaned or removed, and the
//!   resumed client reads a persisted tool result back by that path.
//!
//! The copy is made in a staging directory inside the target profile, then each piece is renamed
//! into place, the transcript last: an interruption leaves no half-written file, and no
//! transcript (what makes the conversation resumable) before the rest is there.
//!
//! A target that already holds a file of the conversation (handed over before, or back) keeps
//! every byte it has: the copy adds only lines it lacks after what both hold, and refuses when
//! the two differ before that.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::claude_code::transcripts::{self, PER_SESSION_DIRS, PROJECTS_DIR};
use crate::contract::HANDED_FROM_KEY;
use crate::fsx;

/// The conversation to copy and where from and to.
pub(crate) struct Plan<'a> {
    pub source: &'a Path,
    pub source_name: &'a str,
    pub target: &'a Path,
    /// The project dir the conversation is in, in the source; it goes into the same one.
    pub project: &'a str,
    pub id: &'a str,
    /// The transcript's complete lines (a torn last line left out).
    pub transcript: &'a [u8],
}

/// What the copy did.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Copied {
    /// Files written (new or extended) in the target.
    pub files: usize,
    /// Files the target held already, whole.
    pub kept: usize,
}

/// One file to land: where, and its bytes (`None`: the target has it already).
struct Piece {
    dest: PathBuf,
    bytes: Option<Vec<u8>>,
}

impl Plan<'_> {
    /// Copies the conversation into the target profile.
    pub(crate) fn run(&self) -> Result<Copied> {
        let pieces = self.pieces()?;
        let staging = fsx::sibling(&self.target.join("projects-handover"), "continue");
        let result = land(&pieces, self.target, &staging);
        let _ = fsx::remove_any(&staging);
        result
    }

    /// Every file to land, the transcript last; fails, before anything is written, on a file
    /// the target holds otherwise.
    fn pieces(&self) -> Result<Vec<Piece>> {
        let mut pieces = Vec::new();
        for dir in PER_SESSION_DIRS {
            let from = self.source.join(dir).join(self.id);
            self.tree(&from, &self.target.join(dir).join(self.id), &mut pieces)?;
        }
        let from = transcripts::session_dir(self.source, self.project, self.id);
        let to = transcripts::session_dir(self.target, self.project, self.id);
        self.tree(&from, &to, &mut pieces)?;
        let dest = transcripts::transcript(self.target, self.project, self.id);
        let bytes = self.lines(self.transcript);
        pieces.push(merged(dest, bytes)?);
        Ok(pieces)
    }

    /// The files under `from` (none if it is not there), as pieces landing under `to`.
    fn tree(&self, from: &Path, to: &Path, pieces: &mut Vec<Piece>) -> Result<()> {
        let Ok(entries) = fs::read_dir(from) else {
            return Ok(());
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(fs::DirEntry::file_name);
        for entry in entries {
            let path = entry.path();
            let dest = to.join(entry.file_name());
            let kind = entry
                .file_type()
                .with_context(|| format!("cannot read {}", path.display()))?;
            if kind.is_dir() {
                self.tree(&path, &dest, pieces)?;
            } else if kind.is_file() {
                let bytes =
                    fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
                let is_transcript = path.extension().is_some_and(|e| e == "jsonl");
                if is_transcript {
                    pieces.push(merged(dest, self.lines(&complete_lines(&bytes).0))?);
                } else {
                    pieces.push(same_or_new(dest, bytes)?);
                }
            }
            // A link or a device in a session's files is nothing the client made: not copied.
        }
        Ok(())
    }

    /// A transcript's lines as the target gets them: marked, and the session directory's paths
    /// moved to the target's.
    fn lines(&self, bytes: &[u8]) -> Vec<u8> {
        let from = json_text(&transcripts::session_dir(
            self.source,
            self.project,
            self.id,
        ));
        let to = json_text(&transcripts::session_dir(
            self.target,
            self.project,
            self.id,
        ));
        let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 20);
        for line in bytes.split_inclusive(|&b| b == b'\n') {
            let line = mark(line, self.source_name);
            out.extend_from_slice(&rewrite_paths(&line, &from, &to));
        }
        out
    }
}

/// A path as it appears inside a JSON string the client wrote (`JSON.stringify`), followed by
/// the separator that must come after it, so that only paths inside the directory match.
fn json_text(dir: &Path) -> String {
    let quoted = serde_json::to_string(&dir.to_string_lossy()).unwrap_or_default();
    let inner = &quoted[1..quoted.len().saturating_sub(1)];
    let separator = if cfg!(windows) { "\\\\" } else { "/" };
    format!("{inner}{separator}")
}

/// Only `tool-results/` and `subagents/` under the session's directory are the files copied;
/// any other mention of the source's directory stays as it was.
fn rewrite_paths(line: &[u8], from: &str, to: &str) -> Vec<u8> {
    if memchr::memmem::find(line, from.as_bytes()).is_none() {
        return line.to_vec();
    }
    let mut out = Vec::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = memchr::memmem::find(rest, from.as_bytes()) {
        let after = &rest[at + from.len()..];
        let ours = after.starts_with(b"tool-results") || after.starts_with(b"subagents");
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(if ours { to.as_bytes() } else { from.as_bytes() });
        rest = after;
    }
    out.extend_from_slice(rest);
    out
}

/// The line with the source named after its `{`, if it holds usage and is not marked already
/// (a line handed over twice stays the first profile's).
fn mark(line: &[u8], source: &str) -> Vec<u8> {
    let marked_already = memchr::memmem::find(line, marker_prefix().as_bytes()).is_some();
    let has_usage = memchr::memmem::find(line, b"\"usage\"").is_some();
    if marked_already || !has_usage || !line.starts_with(b"{\"") {
        return line.to_vec();
    }
    let mut out = Vec::with_capacity(line.len() + 40);
    out.push(b'{');
    out.extend_from_slice(format!("{}\"{source}\",", marker_prefix()).as_bytes());
    out.extend_from_slice(&line[1..]);
    out
}

fn marker_prefix() -> String {
    format!("\"{HANDED_FROM_KEY}\":")
}

/// The line without ccs's mark: what two copies of one line share.
fn unmarked(line: &[u8]) -> Vec<u8> {
    let prefix = marker_prefix();
    let Some(at) = memchr::memmem::find(line, prefix.as_bytes()) else {
        return line.to_vec();
    };
    // The mark is `"ccsHandedFrom":"<source>",`: neither a profile name nor `~/.claude` holds a
    // quote.
    let value_start = at + prefix.len() + 1;
    let Some(len) = line
        .get(value_start..)
        .and_then(|v| memchr::memchr(b'"', v))
    else {
        return line.to_vec();
    };
    let end = (value_start + len + 2).min(line.len());
    [&line[..at], &line[end..]].concat()
}

/// `bytes` up to and including its last newline, and whether anything came after it (a line
/// cut short: the client was stopped while writing it).
pub(crate) fn complete_lines(bytes: &[u8]) -> (Vec<u8>, bool) {
    match memchr::memrchr(b'\n', bytes) {
        Some(at) => (bytes[..=at].to_vec(), at + 1 < bytes.len()),
        None => (Vec::new(), !bytes.is_empty()),
    }
}

/// A transcript landing where the target may hold one of the same conversation: the target's
/// lines stay, the copy's lines after them are added (after its last complete line: a line of
/// its own cut short could not be followed). Refused when the two differ before that.
fn merged(dest: PathBuf, copy: Vec<u8>) -> Result<Piece> {
    let existing = match fs::read(&dest) {
        Ok(existing) => existing,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Piece {
                dest,
                bytes: Some(copy),
            });
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", dest.display())),
    };
    let (existing, _) = complete_lines(&existing);
    let theirs: Vec<&[u8]> = existing.split_inclusive(|&b| b == b'\n').collect();
    let ours: Vec<&[u8]> = copy.split_inclusive(|&b| b == b'\n').collect();
    let shared = theirs.len().min(ours.len());
    let agree = theirs[..shared]
        .iter()
        .zip(&ours[..shared])
        .all(|(t, o)| unmarked(t) == unmarked(o));
    if !agree {
        bail!(
            "{} already holds another version of this conversation (it went on there): resume it \
             in that profile, or move that file away first",
            dest.display()
        );
    }
    if ours.len() <= theirs.len() {
        return Ok(Piece { dest, bytes: None });
    }
    let mut bytes = existing.clone();
    for line in &ours[shared..] {
        bytes.extend_from_slice(line);
    }
    Ok(Piece {
        dest,
        bytes: Some(bytes),
    })
}

/// A file copied as it is (a file-history backup, a tool result): the same one in the target is
/// kept, another is refused.
fn same_or_new(dest: PathBuf, bytes: Vec<u8>) -> Result<Piece> {
    match fs::read(&dest) {
        Ok(existing) if existing == bytes => Ok(Piece { dest, bytes: None }),
        Ok(_) => bail!(
            "{} already exists with other content: move it away first",
            dest.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Piece {
            dest,
            bytes: Some(bytes),
        }),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", dest.display())),
    }
}

/// Writes every piece into `staging` (inside the target), then renames each into place in
/// order. A failure while staging leaves the target as it was.
fn land(pieces: &[Piece], target: &Path, staging: &Path) -> Result<Copied> {
    let mut copied = Copied::default();
    let mut staged = Vec::new();
    fsx::make_private_dir_all(staging)?;
    for (n, piece) in pieces.iter().enumerate() {
        let Some(bytes) = &piece.bytes else {
            copied.kept += 1;
            continue;
        };
        let temp = staging.join(n.to_string());
        write_private(&temp, bytes)?;
        staged.push((temp, &piece.dest));
    }
    for (temp, dest) in staged {
        let parent = dest.parent().context("a copied file has no directory")?;
        make_dirs_within(target, parent)?;
        fs::rename(&temp, dest)
            .with_context(|| format!("cannot move {} into place", dest.display()))?;
        copied.files += 1;
    }
    Ok(copied)
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Creates `dir` and the directories above it inside `root`, private as the client makes them.
fn make_dirs_within(root: &Path, dir: &Path) -> Result<()> {
    debug_assert!(dir.starts_with(root));
    if dir.is_dir() {
        return Ok(());
    }
    fsx::make_private_dir_all(dir)
}

/// The project dirs of a config dir, for a conversation looked for by id.
pub(crate) fn project_dirs(config_dir: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(config_dir.join(PROJECTS_DIR)) else {
        return Vec::new();
    };
    let mut dirs: Vec<String> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .collect();
    dirs.sort();
    dirs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn work() -> &'static str {
        "work"
    }

    #[test]
    fn only_lines_with_usage_are_marked_once_and_the_mark_comes_off() {
        let usage = br#"{"type":"assistant","message":{"usage":{"input_tokens":1}}}"#;
        let marked = mark(usage, work());
        assert_eq!(
            marked,
            br#"{"ccsHandedFrom":"work","type":"assistant","message":{"usage":{"input_tokens":1}}}"#
        );
        assert_eq!(mark(&marked, "home"), marked);
        // The default config's mark, as `ccs usage` reads it.
        assert_eq!(
            unmarked(&mark(usage, "~/.claude")),
            usage,
            "the default config's label comes off whole"
        );
        assert_eq!(unmarked(&marked), usage);
        let user = br#"{"type":"user","message":{"content":"hi"}}"#;
        assert_eq!(mark(user, work()), user);
        // Moved inside the line, as the client re-records it into a fork.
        let moved = br#"{"a":1,"ccsHandedFrom":"work","usage":{}}"#;
        assert_eq!(unmarked(moved), br#"{"a":1,"usage":{}}"#);
    }

    #[test]
    fn only_the_session_directorys_files_are_pointed_at_the_target() {
        let from = "/a/projects/-p/id/";
        let to = "/b/projects/-p/id/";
        let line = br#"{"t":"saved to /a/projects/-p/id/tool-results/x.txt","m":"/a/projects/-p/id/memory/","s":"/a/projects/-p/id/subagents/agent-1.jsonl"}"#;
        assert_eq!(
            rewrite_paths(line, from, to),
            br#"{"t":"saved to /b/projects/-p/id/tool-results/x.txt","m":"/a/projects/-p/id/memory/","s":"/b/projects/-p/id/subagents/agent-1.jsonl"}"#
        );
    }

    #[test]
    fn a_cut_last_line_is_left_out() {
        assert_eq!(complete_lines(b"a\nb\n"), (b"a\nb\n".to_vec(), false));
        assert_eq!(complete_lines(b"a\nb"), (b"a\n".to_vec(), true));
        assert_eq!(complete_lines(b"b"), (Vec::new(), true));
    }

    #[test]
    fn a_target_copy_keeps_its_lines_and_gains_only_the_new_ones() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("t.jsonl");
        // The target's own lines, unmarked; the copy holds them marked, then one more.
        fs::write(&dest, "{\"usage\":1}\n").unwrap();
        let copy = b"{\"ccsHandedFrom\":\"work\",\"usage\":1}\n{\"x\":2}\n".to_vec();
        let piece = merged(dest.clone(), copy.clone()).unwrap();
        assert_eq!(piece.bytes.unwrap(), b"{\"usage\":1}\n{\"x\":2}\n");
        fs::write(&dest, &copy).unwrap();
        assert!(merged(dest.clone(), copy).unwrap().bytes.is_none());
        let other = b"{\"usage\":9}\n".to_vec();
        let refused = merged(dest, other).err().unwrap().to_string();
        assert!(refused.contains("another version"), "{refused}");
    }
}

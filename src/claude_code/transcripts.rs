//! Where a conversation lives in a config dir, and what its transcript says about the account it
//! ran under: what `ccs continue` needs to hand a conversation to another profile. Each fact was
//! read from the client at [`super::VERSION`] (`strings` of its native binary), where noted.
//!
//! - The transcript is `projects/<project dir>/<session id>.jsonl`, the project dir being the
//!   working directory made a file name ([`project_dir_name`]: the client's `J$`, `lR`).
//! - Beside it, `projects/<project dir>/<session id>/`: `subagents/` (a subagent's transcript)
//!   and `tool-results/` (outputs too large to keep inline: `var dne="tool-results"`, put at
//!   `join(projectDir, sessionId, dne)` by `H0s`). The transcript names files there by their
//!   absolute path (a tool result's text, `persistedOutputPath`).
//! - Elsewhere in the config dir, one directory per session: `file-history/<id>/` (the backups
//!   `/rewind` restores: `FD(rt(),"file-history",n)`), which a forked resume copies to the new
//!   id (`copyFileHistoryForResume`). Also `tasks/<id>/` and `session-env/<id>/`, which the
//!   client reads only under the session id it runs as (`MKt(B())` names the task list,
//!   `tyo(a=B())` the session's environment), so a fork never reads them: they are not a
//!   conversation's to carry. `session-env/` holds what the profile's own SessionStart hooks
//!   export (tokens among them) and runs before each Bash command: it must never reach another
//!   profile. A plan (`plans/<slug>.md`) the fork does not find is recovered from the
//!   transcript ("Plan file missing during resume … Attempting recovery").
//! - `claude --resume <id>` finds `<id>.jsonl` under any `projects/*/` ("No conversation found
//!   with session ID:" otherwise); with `--fork-session` (and `--session-id <new>`, which the
//!   client takes only with it) the resumed conversation is written under the new id, every
//!   earlier line re-recorded into the new file, and the file-history backups copied to it
//!   ("FileHistory: No need to copy file history for resuming with same session id" is what it
//!   logs when the id stays).

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The config dir's directory of transcripts.
pub(crate) const PROJECTS_DIR: &str = "projects";

/// The directories the client keeps one per session (named by its id) at the top of a config
/// dir that a resumed fork reads, besides the transcript's own directory in `projects/`: only
/// `file-history/` (see the module's notes for `tasks/` and `session-env/`).
pub(crate) const PER_SESSION_DIRS: [&str; 1] = ["file-history"];

/// The longest project dir name the client makes before it cuts the name and adds a hash
/// (`var jae=200`).
const MAX_PROJECT_DIR_LEN: usize = 200;

/// The name of the directory in `projects/` where the client keeps the conversations of
/// working directory `cwd`, as the client makes it (`function J$(e){let
/// n=w(e);if(n.length<=jae)return n;return`${n.slice(0,jae)}-${me(e)}`}`, with
/// `w(e)=e.replace(/[^a-zA-Z0-9]/g,"-")` and `me(e)=Math.abs(Nle(e)).toString(36)`): every
/// UTF-16 unit that is not an ASCII letter or digit becomes `-` (a character outside the Basic
/// Multilingual Plane, two units, becomes `--`); a name longer than 200 units is cut to 200 and
/// given `-` and the hash of the whole path.
pub(crate) fn project_dir_name(cwd: &str) -> String {
    let units: Vec<u16> = cwd.encode_utf16().collect();
    let name: String = units
        .iter()
        .map(|&u| match u8::try_from(u) {
            Ok(b) if b.is_ascii_alphanumeric() => char::from(b),
            _ => '-',
        })
        .collect();
    if name.len() <= MAX_PROJECT_DIR_LEN {
        return name;
    }
    format!(
        "{}-{}",
        &name[..MAX_PROJECT_DIR_LEN],
        base36(i64::from(string_hash(&units)).unsigned_abs())
    )
}

/// The client's `Nle`: `t=(t<<5)-t+n.charCodeAt(r)|0` over the UTF-16 units, a 32-bit signed
/// result (Java's `String.hashCode`).
fn string_hash(units: &[u16]) -> i32 {
    units.iter().fold(0i32, |hash, &unit| {
        hash.wrapping_shl(5)
            .wrapping_sub(hash)
            .wrapping_add(i32::from(unit))
    })
}

/// `n.toString(36)`, lower case.
fn base36(mut n: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII digits")
}

/// Whether `id` is a session id as the client makes them (`randomUUID()`): safe as a file name,
/// and the only kind ccs looks for.
pub(crate) fn is_session_id(id: &str) -> bool {
    id.len() == 36
        && id.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// How a conversation began, for a person choosing among them: the text of the first prompt
/// a person typed (a user line whose `message.content` is a string), on one line and cut to a
/// few words. Only the transcript's first 64 KB are read.
pub(crate) fn first_prompt(transcript: &Path) -> Option<String> {
    use std::io::Read;
    const READ: u64 = 64 << 10;
    const SHOWN: usize = 48;
    let mut head = Vec::new();
    std::fs::File::open(transcript)
        .ok()?
        .take(READ)
        .read_to_end(&mut head)
        .ok()?;
    #[derive(Deserialize)]
    struct Line {
        #[serde(rename = "type")]
        kind: Option<String>,
        message: Option<Message>,
    }
    #[derive(Deserialize)]
    struct Message {
        content: Option<serde_json::Value>,
    }
    let text = head
        .split(|&b| b == b'\n')
        .filter(|line| memchr::memmem::find(line, b"\"user\"").is_some())
        .filter_map(|line| serde_json::from_slice::<Line>(line).ok())
        .filter(|line| line.kind.as_deref() == Some("user"))
        .find_map(|line| line.message?.content?.as_str().map(str::to_owned))?;
    // One line, and nothing a terminal would take as a control sequence: a description is
    // printed as it is by the shell's completion.
    let one_line: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    let mut shown: String = one_line.chars().take(SHOWN).collect();
    if shown.len() < one_line.len() {
        shown.push('…');
    }
    (!shown.is_empty()).then_some(shown)
}

/// The transcript of session `id` in the project dir `project` of config dir `config_dir`.
pub(crate) fn transcript(config_dir: &Path, project: &str, id: &str) -> PathBuf {
    config_dir
        .join(PROJECTS_DIR)
        .join(project)
        .join(format!("{id}.jsonl"))
}

/// The session's own directory beside its transcript (`subagents/`, `tool-results/`).
pub(crate) fn session_dir(config_dir: &Path, project: &str, id: &str) -> PathBuf {
    config_dir.join(PROJECTS_DIR).join(project).join(id)
}

/// What a transcript says about the accounts it ran under.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Provenance {
    /// The organization of the last `{"type":"attachment","attachment":{"type":
    /// "credential_org","organizationUuid":…}}`: the client records the organization each time
    /// it changes (`Mg`: `findLast(… attachment?.type==="credential_org")`), lower-cased as it
    /// compares them.
    pub organization: Option<String>,
    /// An assistant turn holds `thinking` or `redacted_thinking`: what the client cannot send
    /// under another organization (its message "Claude's earlier thinking was written while you
    /// were signed in to another organization, so Claude can't use it now. … Claude's next
    /// responses may be slower and use more tokens because it has to reread this session and
    /// generate new thinking.").
    pub has_thinking: bool,
    /// The last `{"type":"session-owner",accountUuid,organizationUuid,restricted}` record
    /// (`"session-owner":"last-wins"`), if it restricts the session (`restricted` holding
    /// `"ldr"`: `GCo=["ldr"]`, `zCo`).
    pub restricted_owner: Option<Owner>,
}

/// The account a restricted session belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Owner {
    pub account: String,
    pub organization: Option<String>,
}

impl Owner {
    /// Whether the client lets account `account` of organization `organization` send in the
    /// session, as `Txs` decides: the same organization (ignoring case) when the owner has one,
    /// else the same account with no organization. Otherwise the client refuses: "This session
    /// belongs to another account, so nothing was sent."
    pub(crate) fn admits(&self, account: Option<&str>, organization: Option<&str>) -> bool {
        match &self.organization {
            Some(owner_org) => organization.is_some_and(|o| o.eq_ignore_ascii_case(owner_org)),
            None => organization.is_none() && account == Some(self.account.as_str()),
        }
    }
}

/// The restriction that makes a session-owner record bind (`GCo=["ldr"]`).
const RESTRICTION: &str = "ldr";

/// One line as far as provenance goes; everything else is skipped unparsed.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Line {
    #[serde(rename = "type")]
    kind: Option<String>,
    attachment: Option<Attachment>,
    message: Option<Message>,
    account_uuid: Option<serde_json::Value>,
    organization_uuid: Option<serde_json::Value>,
    restricted: Option<Vec<serde_json::Value>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Attachment {
    #[serde(rename = "type")]
    kind: Option<String>,
    organization_uuid: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Message {
    content: Option<serde_json::Value>,
}

impl Provenance {
    /// Reads it from a transcript's complete lines. Only lines that can matter are parsed: a
    /// substring search rules out the rest.
    pub(crate) fn read(lines: &[u8]) -> Provenance {
        let mut found = Provenance::default();
        for line in lines.split(|&b| b == b'\n') {
            let finder = |needle: &str| memchr::memmem::find(line, needle.as_bytes()).is_some();
            let org = finder("\"credential_org\"");
            let owner = finder("\"session-owner\"");
            let thinking = !found.has_thinking
                && (finder("\"type\":\"thinking\"") || finder("\"type\":\"redacted_thinking\""));
            if !(org || owner || thinking) {
                continue;
            }
            let Ok(parsed) = serde_json::from_slice::<Line>(line) else {
                continue;
            };
            found.take(parsed);
        }
        found
    }

    fn take(&mut self, line: Line) {
        match line.kind.as_deref() {
            Some("attachment") => {
                if let Some(a) = line.attachment
                    && a.kind.as_deref() == Some("credential_org")
                    && let Some(org) = a.organization_uuid.as_ref().and_then(text)
                {
                    self.organization = Some(org.to_lowercase());
                }
            }
            Some("session-owner") => {
                let Some(account) = line.account_uuid.as_ref().and_then(text) else {
                    return;
                };
                let restricted = line
                    .restricted
                    .unwrap_or_default()
                    .iter()
                    .any(|r| r.as_str() == Some(RESTRICTION));
                self.restricted_owner = restricted.then(|| Owner {
                    account,
                    organization: line.organization_uuid.as_ref().and_then(text),
                });
            }
            Some("assistant") => {
                let thinks = line
                    .message
                    .and_then(|m| m.content)
                    .and_then(|c| c.as_array().cloned())
                    .is_some_and(|blocks| {
                        blocks.iter().any(|b| {
                            matches!(b["type"].as_str(), Some("thinking" | "redacted_thinking"))
                        })
                    });
                self.has_thinking |= thinks;
            }
            _ => {}
        }
    }
}

fn text(value: &serde_json::Value) -> Option<String> {
    value.as_str().filter(|s| !s.is_empty()).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_working_directory_becomes_the_clients_project_dir_name() {
        assert_eq!(project_dir_name("/home/me/src/app"), "-home-me-src-app");
        assert_eq!(project_dir_name("/tmp/x y/é"), "-tmp-x-y--");
        // An astral character is two UTF-16 units, so two dashes.
        assert_eq!(project_dir_name("/a/😀b"), "-a---b");
    }

    /// Values from the client's own functions, run in node:
    /// `function Nle(n){let t=0;for(let r=0;r<n.length;r++)t=(t<<5)-t+n.charCodeAt(r)|0;return t}`
    /// `function J$(e){let n=e.replace(/[^a-zA-Z0-9]/g,"-");if(n.length<=200)return n;
    /// return`${n.slice(0,200)}-${Math.abs(Nle(e)).toString(36)}`}`
    /// (see tests/it/continue_on.rs, which runs node on more paths when it is there).
    #[test]
    fn a_long_name_is_cut_and_given_the_clients_hash() {
        assert_eq!(
            string_hash(&"hello".encode_utf16().collect::<Vec<_>>()),
            99_162_322
        );
        assert_eq!(base36(0), "0");
        assert_eq!(base36(2_147_483_648), "zik0zk");
        let long = format!("/{}", "a".repeat(250));
        assert_eq!(
            project_dir_name(&long),
            format!("-{}-feo44x", "a".repeat(199))
        );
        // Each path, the hash node computed (`Nle`), and what `J$` appends after the 200 units.
        let cases = [
            (
                format!("/home/me/{}", "é".repeat(200)),
                -1_557_005_290,
                "-pr00yy",
            ),
            (
                format!("/srv/{}/x", "😀".repeat(120)),
                369_557_912,
                "-640wpk",
            ),
            (
                format!("/tmp/{}", "x y ".repeat(60)),
                1_269_818_283,
                "-l00m23",
            ),
            (
                format!("C:\\Users\\me\\{}", "p".repeat(195)),
                -1_727_866_363,
                "-skq67v",
            ),
        ];
        for (path, hash, tail) in cases {
            let units: Vec<u16> = path.encode_utf16().collect();
            assert_eq!(string_hash(&units), hash, "{path}");
            let name = project_dir_name(&path);
            assert_eq!(&name[200..], tail, "{path}");
            assert_eq!(name.len(), 207);
        }
    }

    #[test]
    fn session_ids_are_uuids() {
        assert!(is_session_id("d1058ff3-1453-45ec-8924-b5adae566c42"));
        assert!(!is_session_id("../../etc/passwd-aaaaaaaaaaaaaaaaaaaaaaaaa"));
        assert!(!is_session_id("d1058ff3"));
    }

    #[test]
    fn provenance_reads_the_organization_thinking_and_a_restricted_owner() {
        let lines = [
            r#"{"type":"attachment","attachment":{"type":"credential_org","organizationUuid":"ORG-1"}}"#,
            r#"{"type":"user","message":{"content":"say \"type\":\"thinking\""}}"#,
            r#"{"type":"attachment","attachment":{"type":"credential_org","organizationUuid":"org-2"}}"#,
            r#"{"type":"session-owner","accountUuid":"acc","organizationUuid":"org-2","restricted":["ldr"],"sessionId":"s"}"#,
        ]
        .join("\n");
        let found = Provenance::read(lines.as_bytes());
        assert_eq!(found.organization.as_deref(), Some("org-2"));
        assert!(!found.has_thinking, "a user's words are not thinking");
        let owner = found.restricted_owner.unwrap();
        assert!(owner.admits(Some("other"), Some("ORG-2")));
        assert!(!owner.admits(Some("acc"), Some("org-3")));
        assert!(!owner.admits(Some("acc"), None));

        let thinking =
            r#"{"type":"assistant","message":{"content":[{"type":"thinking","thinking":"…"}]}}"#;
        assert!(Provenance::read(thinking.as_bytes()).has_thinking);
        let unrestricted = r#"{"type":"session-owner","accountUuid":"acc","restricted":[]}"#;
        assert_eq!(
            Provenance::read(unrestricted.as_bytes()).restricted_owner,
            None
        );
        let by_account = Owner {
            account: "acc".into(),
            organization: None,
        };
        assert!(by_account.admits(Some("acc"), None));
        assert!(!by_account.admits(Some("other"), None));
    }
}

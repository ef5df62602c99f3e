//! `security dump-keychain`'s output read back: the generic passwords it lists, and the logins
//! among them that no profile has.

use std::collections::{BTreeMap, HashSet};

use super::Orphan;
use crate::claude_code::keychain::{LOGIN_SERVICE, hashed_item};

/// A generic password's names, as `security dump-keychain` prints them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Listed {
    service: String,
    account: String,
}

/// The generic passwords (`class: "genp"`) in `security dump-keychain`'s output: each item
/// starts with a `keychain:` line, its attributes one a line, `"svce"<blob>="…"`.
pub(super) fn parse_dump(text: &str) -> Vec<Listed> {
    let mut listed = Vec::new();
    let mut item: Option<(bool, Option<String>, Option<String>)> = None;
    for line in text.lines() {
        if line.starts_with("keychain: ") {
            listed.extend(item.take().and_then(generic_password));
            item = Some((false, None, None));
            continue;
        }
        let Some((is_genp, service, account)) = item.as_mut() else {
            continue;
        };
        let line = line.trim_start();
        if let Some(class) = line.strip_prefix("class: ") {
            *is_genp = class == "\"genp\"";
        } else if let Some(value) = line.strip_prefix("\"svce\"<blob>=") {
            *service = attribute(value);
        } else if let Some(value) = line.strip_prefix("\"acct\"<blob>=") {
            *account = attribute(value);
        }
    }
    listed.extend(item.and_then(generic_password));
    listed
}

fn generic_password(item: (bool, Option<String>, Option<String>)) -> Option<Listed> {
    match item {
        (true, Some(service), account) => Some(Listed {
            service,
            account: account.unwrap_or_default(),
        }),
        _ => None,
    }
}

/// An attribute's value as `security` prints it: `"text"` (a backslash or unprintable byte
/// as `\ooo`), `0xHEX  "text"` when a byte is unprintable (the hex is exact), or `<NULL>`.
fn attribute(value: &str) -> Option<String> {
    let value = value.trim_end();
    let bytes = match value.strip_prefix("0x") {
        Some(rest) => unhex(rest.split_whitespace().next()?)?,
        None => unescape(value.strip_prefix('"')?.strip_suffix('"')?)?,
    };
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

fn unhex(digits: &str) -> Option<Vec<u8>> {
    if digits.len() % 2 == 1 {
        return None;
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(digits.get(i..i + 2)?, 16).ok())
        .collect()
}

fn unescape(text: &str) -> Option<Vec<u8>> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'\\' {
            let octal = std::str::from_utf8(tail.get(..3)?).ok()?;
            bytes.push(u8::from_str_radix(octal, 8).ok()?);
            rest = &tail[3..];
        } else {
            bytes.push(b);
            rest = tail;
        }
    }
    Some(bytes)
}

/// Groups the hashed items of Claude Code's whose hash is not in `known` by config dir and
/// account.
pub(super) fn orphans(listed: &[Listed], known: &HashSet<String>) -> Vec<Orphan> {
    let mut groups: BTreeMap<(&str, &str), Vec<(usize, &str)>> = BTreeMap::new();
    for item in listed {
        if let Some((hash, rank)) = hashed_item(&item.service).filter(|(h, _)| !known.contains(*h))
        {
            groups
                .entry((hash, &item.account))
                .or_default()
                .push((rank, &item.service));
        }
    }
    groups
        .into_iter()
        .map(|((hash, account), mut items)| {
            // Deleted like a login: the login before the items it points at.
            items.sort_unstable_by(|a, b| b.cmp(a));
            items.dedup();
            Orphan {
                service: format!("{LOGIN_SERVICE}-{hash}"),
                account: account.to_owned(),
                items: items.into_iter().map(|(_, s)| s.to_owned()).collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keychain::dir_hash;

    /// As macOS 15 prints it, other items and internet passwords included.
    const DUMP: &str = r#"keychain: "/Users/me/Library/Keychains/login.keychain-db"
version: 512
class: "genp"
attributes:
    0x00000007 <blob>="Claude Code-credentials-1a2b3c4d"
    0x00000008 <blob>=<NULL>
    "acct"<blob>="me"
    "cdat"<timedate>=0x32303235303631323039343533315A00  "20250612094531Z\000"
    "svce"<blob>="Claude Code-credentials-1a2b3c4d"
    "type"<uint32>=<NULL>
keychain: "/Users/me/Library/Keychains/login.keychain-db"
version: 512
class: "inet"
attributes:
    0x00000007 <blob>="github.com"
    "acct"<blob>="me"
    "srvr"<blob>="github.com"
keychain: "/Users/me/Library/Keychains/login.keychain-db"
version: 512
class: "genp"
attributes:
    "acct"<blob>=0x4AC3BC7267656E  "J\303\274rgen"
    "svce"<blob>="Claude Code-5e6f7a8b"
keychain: "/Users/me/Library/Keychains/login.keychain-db"
version: 512
class: "genp"
attributes:
    "acct"<blob>="back\134slash"
    "svce"<blob>=<NULL>
keychain: "/Library/Keychains/System.keychain"
version: 256
class: "genp"
attributes:
    "acct"<blob>="me"
    "svce"<blob>="Claude Code-credentials"
"#;

    #[test]
    fn the_dump_yields_generic_passwords() {
        let listed = |service: &str, account: &str| Listed {
            service: service.to_owned(),
            account: account.to_owned(),
        };
        assert_eq!(
            parse_dump(DUMP),
            [
                listed("Claude Code-credentials-1a2b3c4d", "me"),
                listed("Claude Code-5e6f7a8b", "Jürgen"),
                listed("Claude Code-credentials", "me"),
            ]
        );
    }

    #[test]
    fn orphans_are_grouped_by_config_dir_and_account() {
        let listed: Vec<Listed> = [
            ("Claude Code-credentials-1a2b3c4d-overflow-a", "me"),
            ("Claude Code-credentials-1a2b3c4d", "me"),
            ("Claude Code-1a2b3c4d", "me"),
            ("Claude Code-credentials-1a2b3c4d", "claude-code-user"),
            ("Claude Code-credentials-7cba2e47", "me"),
            ("Claude Code-credentials", "me"),
            ("Claude Code-credentials-99999999-overflow-b", "me"),
        ]
        .into_iter()
        .map(|(service, account)| Listed {
            service: service.to_owned(),
            account: account.to_owned(),
        })
        .collect();
        let known = HashSet::from([dir_hash("/Users/me/.ccs/instances/work")]);
        let found = orphans(&listed, &known);
        let summary: Vec<(&str, &str, Vec<&str>)> = found
            .iter()
            .map(|o| {
                let items = o.items.iter().map(String::as_str).collect();
                (o.service.as_str(), o.account.as_str(), items)
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "Claude Code-credentials-1a2b3c4d",
                    "claude-code-user",
                    vec!["Claude Code-credentials-1a2b3c4d"]
                ),
                (
                    "Claude Code-credentials-1a2b3c4d",
                    "me",
                    vec![
                        "Claude Code-credentials-1a2b3c4d",
                        "Claude Code-1a2b3c4d",
                        "Claude Code-credentials-1a2b3c4d-overflow-a",
                    ]
                ),
                (
                    "Claude Code-credentials-99999999",
                    "me",
                    vec!["Claude Code-credentials-99999999-overflow-b"]
                ),
            ]
        );
        assert_eq!(
            found[0].delete_commands(),
            [
                "security delete-generic-password -a claude-code-user -s 'Claude Code-credentials-1a2b3c4d'"
            ]
        );
    }
}

//! Editing one member of a JSON object in a file a person also edits (Claude Code's
//! `settings.json`), without touching anything else: the member is found in the text and only its
//! bytes change, so key order, spacing and every other member stay as the person wrote them.
//! (Parsing and writing the whole file back would sort its keys and reformat it.)
//!
//! The text is checked to be a JSON object with `serde_json` first; the scanner below only finds
//! where members start and end in text already known to be valid.

use std::ops::Range;

/// A member of an object: `"key": value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Member {
    pub key: String,
    /// From the key's opening quote to the value's last byte.
    pub span: Range<usize>,
    pub value: Range<usize>,
}

/// The members of the object whose `{` is at `open`, in order.
pub(crate) fn members(text: &str, open: usize) -> Option<Vec<Member>> {
    let b = text.as_bytes();
    if b.get(open) != Some(&b'{') {
        return None;
    }
    let mut at = skip_space(b, open + 1);
    let mut found = Vec::new();
    if b.get(at) == Some(&b'}') {
        return Some(found);
    }
    loop {
        let key_end = string_end(b, at)?;
        let key: String = serde_json::from_str(&text[at..key_end]).ok()?;
        let colon = skip_space(b, key_end);
        if b.get(colon) != Some(&b':') {
            return None;
        }
        let value_start = skip_space(b, colon + 1);
        let value_end = value_end(b, value_start)?;
        found.push(Member {
            key,
            span: at..value_end,
            value: value_start..value_end,
        });
        let next = skip_space(b, value_end);
        match b.get(next)? {
            b',' => at = skip_space(b, next + 1),
            b'}' => return Some(found),
            _ => return None,
        }
    }
}

/// Where the top-level object of `text` opens.
pub(crate) fn top_level(text: &str) -> Option<usize> {
    let at = skip_space(text.as_bytes(), 0);
    (text.as_bytes().get(at) == Some(&b'{')).then_some(at)
}

/// An edit of a text: the bytes in `range` become `with`.
type Edit = (Range<usize>, String);

fn apply(text: &str, (range, with): Edit) -> String {
    format!("{}{with}{}", &text[..range.start], &text[range.end..])
}

/// `text` with `value` (JSON text) as the top-level member `key`: replacing its value, or added
/// as the first member, indented like the members around it.
pub(crate) fn set(text: &str, key: &str, value: &str) -> Option<String> {
    Some(apply(
        text,
        set_edit(text, key, value, |at| indent_of(text, at))?,
    ))
}

/// The edit [`set`] makes, members indented as `indent` says the member at an offset is.
fn set_edit(text: &str, key: &str, value: &str, indent: impl Fn(usize) -> String) -> Option<Edit> {
    let open = top_level(text)?;
    let all = members(text, open)?;
    if let Some(m) = all.iter().find(|m| m.key == key) {
        let value = indent_after_first_line(value, &indent(m.span.start));
        return Some((m.value.clone(), value));
    }
    let quoted = serde_json::to_string(key).ok()?;
    let (indent, newline) = match all.first() {
        Some(first) => (
            indent(first.span.start),
            text[open + 1..first.span.start].contains('\n'),
        ),
        None => ("  ".to_owned(), true),
    };
    let value = indent_after_first_line(value, &indent);
    let member = format!("{quoted}: {value}");
    let after = open + 1;
    let space_after = skip_space(text.as_bytes(), after);
    Some(match (all.is_empty(), newline) {
        (true, _) => (after..space_after, format!("\n{indent}{member}\n")),
        (false, true) => (after..after, format!("\n{indent}{member},")),
        (false, false) => (after..space_after, format!("{member}, ")),
    })
}

/// `text` without the top-level member `key` (and the comma that separated it).
pub(crate) fn remove(text: &str, key: &str) -> Option<String> {
    Some(apply(text, remove_edit(text, key)?))
}

fn remove_edit(text: &str, key: &str) -> Option<Edit> {
    let open = top_level(text)?;
    let all = members(text, open)?;
    let at = all.iter().position(|m| m.key == key)?;
    let b = text.as_bytes();
    let cut = if at + 1 < all.len() {
        // Up to the next member, whose indentation then takes this one's place.
        all[at].span.start..all[at + 1].span.start
    } else if at > 0 {
        // The last member: from the end of the one before (its comma goes too).
        all[at - 1].span.end..all[at].span.end
    } else {
        let end = skip_space(b, all[at].span.end);
        open + 1..end
    };
    let with = if at == 0 && all.len() == 1 { "\n" } else { "" };
    Some((cut, with.to_owned()))
}

// --- JSON with comments (VS Code's settings.json) ----------------------------------------------

/// `text` with its comments and trailing commas blanked out, byte for byte (spaces; a comment's
/// line ends kept): JSON with comments, as VS Code reads its settings, becomes plain JSON whose
/// members sit at the same offsets. None for a comment left open.
pub(crate) fn blank_jsonc(text: &str) -> Option<String> {
    let mut b = text.as_bytes().to_vec();
    let mut i = 0;
    let mut comma: Option<usize> = None;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i = string_end(&b, i)?;
                comma = None;
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    b[i] = b' ';
                    i += 1;
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let end = i + 2 + text[i + 2..].find("*/")? + 2;
                for c in &mut b[i..end] {
                    if *c != b'\n' && *c != b'\r' {
                        *c = b' ';
                    }
                }
                i = end;
                continue;
            }
            b',' => comma = Some(i),
            b'}' | b']' => {
                if let Some(at) = comma.take() {
                    b[at] = b' ';
                }
            }
            b' ' | b'\t' | b'\n' | b'\r' => {}
            _ => comma = None,
        }
        i += 1;
    }
    // Only ASCII bytes were replaced, each by a space, and a comment's bytes whole.
    String::from_utf8(b).ok()
}

/// [`set`] for JSON with comments: the edit is found in the blanked text and made in `text`,
/// where it may not take a comment away (None then).
pub(crate) fn set_jsonc(text: &str, key: &str, value: &str) -> Option<String> {
    let blank = blank_jsonc(text)?;
    // Indented as the line in `text` starts: a comment before a member is not indentation.
    let indent = |at: usize| {
        let line = &text[text[..at].rfind('\n').map_or(0, |n| n + 1)..at];
        let end = line
            .find(|c: char| c != ' ' && c != '\t')
            .unwrap_or(line.len());
        line[..end].to_owned()
    };
    keep_comments(text, &blank, set_edit(&blank, key, value, indent)?)
}

/// [`remove`] for JSON with comments: the member's own lines when it has them to itself (a
/// comment on the lines around it stays), else as [`remove`] cuts, when that takes no comment.
pub(crate) fn remove_jsonc(text: &str, key: &str) -> Option<String> {
    let blank = blank_jsonc(text)?;
    let open = top_level(&blank)?;
    let m = members(&blank, open)?.into_iter().find(|m| m.key == key)?;
    let line_start = blank[..m.span.start].rfind('\n').map_or(0, |n| n + 1);
    let rest = &text[m.span.end..];
    let eol = rest.find('\n');
    let alone_before = text[line_start..m.span.start]
        .bytes()
        .all(|c| c == b' ' || c == b'\t');
    let tail = eol.map(|n| {
        rest[..n]
            .trim_end_matches('\r')
            .trim_end_matches([' ', '\t'])
    });
    if alone_before && tail == Some(",") {
        // The comma is the member's own, or a trailing one (blanked in `blank`).
        let end = m.span.end + eol.unwrap_or_default() + 1;
        let member = line_start..m.span.end;
        return (text[member.clone()] == blank[member])
            .then(|| apply(text, (line_start..end, String::new())));
    }
    keep_comments(text, &blank, remove_edit(&blank, key)?)
}

fn keep_comments(text: &str, blank: &str, edit: Edit) -> Option<String> {
    (text.get(edit.0.clone())? == &blank[edit.0.clone()]).then(|| apply(text, edit))
}

/// The whitespace before `at` on its line.
fn indent_of(text: &str, at: usize) -> String {
    let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
    let before = &text[line_start..at];
    if before.chars().all(char::is_whitespace) {
        before.to_owned()
    } else {
        String::new()
    }
}

fn indent_after_first_line(value: &str, indent: &str) -> String {
    value.replace('\n', &format!("\n{indent}"))
}

fn skip_space(b: &[u8], mut at: usize) -> usize {
    while b
        .get(at)
        .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
    {
        at += 1;
    }
    at
}

/// The index after the string whose opening quote is at `at`.
fn string_end(b: &[u8], at: usize) -> Option<usize> {
    if b.get(at) != Some(&b'"') {
        return None;
    }
    let mut i = at + 1;
    loop {
        match b.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
}

/// The index after the value starting at `at`.
fn value_end(b: &[u8], at: usize) -> Option<usize> {
    match b.get(at)? {
        b'"' => string_end(b, at),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = at;
            loop {
                match b.get(i)? {
                    b'"' => {
                        i = string_end(b, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            let len = b[at..]
                .iter()
                .position(|c| matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
                .unwrap_or(b.len() - at);
            (len > 0).then_some(at + len)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUE: &str = "{\n  \"type\": \"command\"\n}";

    fn valid(text: &str) -> serde_json::Value {
        serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
    }

    #[test]
    fn members_are_found_with_their_spans() {
        let text = r#" { "a" : 1, "b\"}": {"x": [1, "]}"]}, "c": null } "#;
        let found = members(text, top_level(text).unwrap()).unwrap();
        let keys: Vec<&str> = found.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(keys, ["a", "b\"}", "c"]);
        assert_eq!(&text[found[1].value.clone()], r#"{"x": [1, "]}"]}"#);
        assert_eq!(&text[found[2].span.clone()], r#""c": null"#);
    }

    #[test]
    fn setting_changes_only_that_member() {
        let text = "{\n  \"theme\": \"dark\",\n  \"statusLine\": {\"type\": \"command\", \"command\": \"old\"},\n  \"zeta\": 1\n}\n";
        let out = set(text, "statusLine", VALUE).unwrap();
        assert_eq!(
            out,
            "{\n  \"theme\": \"dark\",\n  \"statusLine\": {\n    \"type\": \"command\"\n  },\n  \"zeta\": 1\n}\n"
        );
        valid(&out);
    }

    #[test]
    fn adding_puts_the_member_first_in_the_file_s_style() {
        let pretty = "{\n    \"theme\": \"dark\"\n}\n";
        let out = set(pretty, "statusLine", VALUE).unwrap();
        assert_eq!(
            out,
            "{\n    \"statusLine\": {\n      \"type\": \"command\"\n    },\n    \"theme\": \"dark\"\n}\n"
        );
        for text in [
            "{}",
            "{ }\n",
            "{\"a\":1}",
            "  {\n}\n",
            "{\"a\":{\"b\":2},\"c\":[]}",
        ] {
            let out = set(text, "statusLine", VALUE).unwrap();
            assert_eq!(
                valid(&out)["statusLine"]["type"],
                "command",
                "{text} -> {out}"
            );
            let back = remove(&out, "statusLine").unwrap();
            assert_eq!(valid(&back), valid(text), "{text} -> {out} -> {back}");
        }
    }

    #[test]
    fn removing_takes_its_comma_along() {
        let text = "{\n  \"a\": 1,\n  \"statusLine\": {\"x\": \"}\"},\n  \"b\": 2\n}\n";
        assert_eq!(
            remove(text, "statusLine").unwrap(),
            "{\n  \"a\": 1,\n  \"b\": 2\n}\n"
        );
        let last = "{\n  \"a\": 1,\n  \"statusLine\": 2\n}\n";
        assert_eq!(remove(last, "statusLine").unwrap(), "{\n  \"a\": 1\n}\n");
        let only = "{\n  \"statusLine\": 2\n}\n";
        assert_eq!(valid(&remove(only, "statusLine").unwrap()), valid("{}"));
        assert_eq!(remove("{\"a\":1}", "statusLine"), None);
    }

    #[test]
    fn text_that_is_not_an_object_is_not_edited() {
        for text in ["[]", "1", "", "\"{\""] {
            assert_eq!(set(text, "statusLine", VALUE), None, "{text}");
        }
    }

    const JSONC: &str = "// VS Code settings\n{\n  /* theme */ \"workbench.colorTheme\": \"Dark+ // not a comment\",\n  // fonts\n  \"editor.fontSize\": 14, // big\n  \"files.exclude\": {\"**/.git\": true,},\n}\n";

    #[test]
    fn comments_and_trailing_commas_blank_in_place() {
        let blank = blank_jsonc(JSONC).unwrap();
        assert_eq!(blank.len(), JSONC.len());
        let v = valid(&blank);
        assert_eq!(v["workbench.colorTheme"], "Dark+ // not a comment");
        assert_eq!(v["files.exclude"]["**/.git"], true);
        assert_eq!(blank_jsonc("{/* open"), None);
    }

    #[test]
    fn jsonc_set_and_remove_keep_every_other_byte() {
        let key = "claudeCode.claudeProcessWrapper";
        let out = set_jsonc(JSONC, key, "\"/a b/ccs\"").unwrap();
        assert_eq!(
            out,
            JSONC.replacen(
                "{\n",
                "{\n  \"claudeCode.claudeProcessWrapper\": \"/a b/ccs\",\n",
                1
            )
        );
        assert_eq!(valid(&blank_jsonc(&out).unwrap())[key], "/a b/ccs");
        assert_eq!(remove_jsonc(&out, key).unwrap(), JSONC);
        // Replacing a value changes its bytes only.
        let again = set_jsonc(&out, key, "\"/c/ccs\"").unwrap();
        assert_eq!(again, out.replace("/a b/ccs", "/c/ccs"));
        // A member among comments on its own lines, last with a trailing comma.
        let last = "{\n  \"a\": 1, // a\n  // ours:\n  \"k\": \"x\",\n  // end\n}\n";
        assert_eq!(
            remove_jsonc(last, "k").unwrap(),
            "{\n  \"a\": 1, // a\n  // ours:\n  // end\n}\n"
        );
        // A cut that would take a comment with it is refused.
        assert_eq!(remove_jsonc("{\"a\": 1, /* c */ \"k\": 2}", "k"), None);
        assert_eq!(set_jsonc("{ // only a comment\n}", "k", "1"), None);
    }
}

//! Fuzzes the quoting of every shell: whatever the value, each shell's word must parse back to
//! exactly that value. The oracles are small parsers of each shell's quoting rules, written
//! independently of the quoting code; the real shells check the same in tests/it/shells.rs.
#![no_main]

use ccs::Shell;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Environment values cannot hold NUL, and ccs refuses non-UTF-8 paths before quoting.
    let Ok(value) = std::str::from_utf8(data) else {
        return;
    };
    if value.contains('\0') {
        return;
    }
    for (shell, parse) in [
        (
            Shell::Bash,
            posix_word as fn(&str) -> Result<String, String>,
        ),
        (Shell::Zsh, posix_word),
        (Shell::Fish, fish_word),
        (Shell::Nu, nu_word),
    ] {
        let quoted = shell.quote(value);
        assert_eq!(
            parse(&quoted).as_deref(),
            Ok(value),
            "{shell:?} quoted {value:?} as {quoted:?}"
        );
    }
    if !value.contains('\r') {
        let quoted = Shell::Powershell.quote(value);
        // PowerShell reads a native command's output in the console's code page.
        assert!(
            quoted.is_ascii(),
            "quoted {value:?} as {quoted:?}, not ASCII"
        );
        assert_eq!(
            powershell_word(&quoted).as_deref(),
            Ok(value),
            "quoted {value:?} as {quoted:?}"
        );
    }
});

/// One bash/zsh word: single-quoted runs, backslash-escaped characters, and bare characters that
/// neither shell gives a meaning to (a leading `=` is zsh's EQUALS expansion).
fn posix_word(word: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = word.chars().peekable();
    let mut first = true;
    while let Some(c) = chars.next() {
        match c {
            '\'' => loop {
                match chars.next() {
                    Some('\'') => break,
                    Some(inner) => out.push(inner),
                    None => return Err("unterminated single quote".into()),
                }
            },
            '\\' => match chars.next() {
                Some('\n') | None => return Err("a backslash that does not escape".into()),
                Some(escaped) => out.push(escaped),
            },
            '=' if first => return Err("a bare leading '=' (zsh EQUALS)".into()),
            c if c.is_ascii_alphanumeric() || "-_=/,.+".contains(c) || !c.is_ascii() => out.push(c),
            other => return Err(format!("a bare {other:?} the shell would interpret")),
        }
        first = false;
    }
    if word.is_empty() {
        return Err("an empty word vanishes".into());
    }
    Ok(out)
}

/// One fish single-quoted word: only `\\` and `\'` are escapes inside.
fn fish_word(word: &str) -> Result<String, String> {
    let inner = word
        .strip_prefix('\'')
        .and_then(|w| w.strip_suffix('\''))
        .ok_or("not single-quoted")?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e @ ('\\' | '\'')) => out.push(e),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => return Err("a backslash escapes the closing quote".into()),
            },
            '\'' => return Err("an unescaped quote ends the word early".into()),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// One nushell double-quoted string, as nushell reads it in code and in NUON: `\"`, `\\`, `\n`,
/// `\r`, `\t` and `\u{hex}` are escapes; the control characters must be escaped (so that the
/// record stays one line), anything else is itself.
fn nu_word(word: &str) -> Result<String, String> {
    let inner = word
        .strip_prefix('"')
        .and_then(|w| w.strip_suffix('"'))
        .ok_or("not double-quoted")?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e @ ('\\' | '"')) => out.push(e),
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('t') => out.push('\t'),
                Some('u') => {
                    let rest: String = chars.by_ref().take_while(|&c| c != '}').collect();
                    let hex = rest.strip_prefix('{').ok_or("\\u without {")?;
                    let code = u32::from_str_radix(hex, 16).map_err(|e| e.to_string())?;
                    out.push(char::from_u32(code).ok_or("\\u{} of no character")?);
                }
                other => return Err(format!("an unknown escape \\{other:?}")),
            },
            '"' => return Err("an unescaped quote ends the string early".into()),
            c if c.is_control() => return Err(format!("a bare control character {c:?}")),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// One PowerShell value: a verbatim string, or `(` a verbatim string, then ` + ` and a verbatim
/// string or `[char]` and an integer (`0x` and hex digits, or decimal digits) as often as one
/// likes, `)`. The result is the UTF-16 units of the terms, joined.
fn powershell_word(word: &str) -> Result<String, String> {
    let Some(mut rest) = word.strip_prefix('(') else {
        let (out, rest) = powershell_verbatim(word)?;
        return if rest.is_empty() {
            Ok(out)
        } else {
            Err(format!("{rest:?} after the string"))
        };
    };
    let mut units: Vec<u16> = Vec::new();
    let mut terms = 0;
    loop {
        if let Some(after) = rest.strip_prefix("[char]").filter(|_| terms > 0) {
            let end = after.find([' ', ')']).unwrap_or(after.len());
            let (digits, after) = after.split_at(end);
            let code = match digits.strip_prefix("0x") {
                Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                    u32::from_str_radix(hex, 16).ok()
                }
                None if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                    digits.parse().ok()
                }
                _ => None,
            };
            let code = code.and_then(|c| u16::try_from(c).ok());
            units.push(code.ok_or_else(|| format!("[char]{digits} is not a UTF-16 unit"))?);
            rest = after;
        } else {
            // The first term must be a string: `[char] + …` would add numbers.
            let (out, after) = powershell_verbatim(rest)?;
            units.extend(out.encode_utf16());
            rest = after;
        }
        terms += 1;
        if let Some(after) = rest.strip_prefix(" + ") {
            rest = after;
        } else if rest == ")" && terms > 1 {
            return String::from_utf16(&units).map_err(|_| "an unpaired surrogate".into());
        } else {
            return Err(format!(
                "{rest:?} where ` + ` or the closing `)` of a sum belongs"
            ));
        }
    }
}

/// One PowerShell verbatim string at the start of `code`, and what follows it: `'` and
/// U+2018–U+201B all open and close it, and two of them in a row stand for one (the second).
fn powershell_verbatim(code: &str) -> Result<(String, &str), String> {
    let is_quote = |c: char| matches!(c, '\'' | '\u{2018}'..='\u{201B}');
    let mut chars = code.char_indices();
    if !chars.next().is_some_and(|(_, c)| is_quote(c)) {
        return Err(format!("{code:?} does not start with a verbatim string"));
    }
    let mut out = String::new();
    let mut chars = chars.peekable();
    while let Some((i, c)) = chars.next() {
        if is_quote(c) {
            match chars.peek() {
                Some(&(_, second)) if is_quote(second) => {
                    out.push(second);
                    chars.next();
                }
                _ => return Ok((out, &code[i + c.len_utf8()..])),
            }
        } else {
            out.push(c);
        }
    }
    Err("unterminated string".into())
}

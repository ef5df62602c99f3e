//! fish: its own quoting and its hook (`shell/ccs.fish`).

pub const HOOK: &str = include_str!("../../shell/ccs.fish");

/// A single-quoted fish word. fish's single quotes, unlike POSIX ones, give meaning to `\`
/// before `\` or `'`, so both are escaped; everything else, newlines included, is literal.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if matches!(c, '\\' | '\'') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn escapes_backslash_and_quote_only() {
        assert_eq!(quote(""), "''");
        assert_eq!(quote("/a b/$c"), "'/a b/$c'");
        assert_eq!(quote(r"it's\"), r"'it\'s\\'");
        assert_eq!(quote("a\nb"), "'a\nb'");
    }
}

//! Quoting for bash and zsh, which read single quotes alike.

/// One word for bash and zsh. shell-escape single-quotes anything unsafe; inside single quotes
/// both shells take every byte literally (newlines, `$`, backticks, `!`, backslashes), and a `'`
/// closes, is escaped, and reopens.
pub fn quote(value: &str) -> String {
    let escaped = shell_escape::unix::escape(value.into());
    // shell-escape leaves `=` bare, but zsh expands a word that starts with it (`=ls` is the
    // path of ls). A bare word holds no `'`, so wrapping it is enough.
    if escaped.starts_with('=') {
        format!("'{escaped}'")
    } else {
        escaped.into_owned()
    }
}

/// `export NAME=value;`, for both.
pub fn set(name: &str, value_code: &str) -> String {
    format!("export {name}={value_code};\n")
}

/// `unset A B;`, for both.
pub fn unset(names: &[&str]) -> String {
    format!("unset {};\n", names.join(" "))
}

/// The part of the hook bash and zsh share (`shell/ccs.sh`), before each one's own.
pub const COMMON_HOOK: &str = include_str!("../../shell/ccs.sh");

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quotes_what_either_shell_would_expand() {
        assert_eq!(quote("/plain/path"), "/plain/path");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("=ls"), "'=ls'");
        assert_eq!(quote("a=b"), "a=b");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote("~user"), "'~user'");
    }
}

//! bash and zsh: the same quoting, one hook each (`shell/ccs.bash`, `shell/ccs.zsh`).

pub const BASH_HOOK: &str = include_str!("../../shell/ccs.bash");
pub const ZSH_HOOK: &str = include_str!("../../shell/ccs.zsh");

/// zsh's registration calls `compdef`, which exists only after `compinit`. The hook defines it
/// as a function and `__ccs_install_completion` (in ccs.zsh) runs it now or at the first prompt.
pub fn zsh_completion(registration: &str) -> String {
    format!("__ccs_register_completion() {{\n{registration}}}\n__ccs_install_completion\n")
}

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

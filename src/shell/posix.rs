//! bash and zsh: the same quoting, one hook each (`shell/ccs.bash`, `shell/ccs.zsh`).

pub const BASH_HOOK: &str = include_str!("../../shell/ccs.bash");
pub const ZSH_HOOK: &str = include_str!("../../shell/ccs.zsh");

/// A single-quoted word. Inside single quotes bash and zsh take every byte literally (newlines,
/// `$`, backticks, `!` and backslashes included); a `'` closes, is escaped, and reopens.
pub fn quote(value: &str) -> String {
    shell_escape::unix::escape(value.into()).into_owned()
}

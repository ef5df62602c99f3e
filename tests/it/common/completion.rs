//! Asking the binary for completions directly, as each shell's registration does (the
//! [`Protocol`] in each shell's row), and reading its answer.

use std::path::Path;
use std::process::{Command, Output};

use super::shells::TestShell;
use super::{Sandbox, stderr, stdout};

/// Runs one completion request the way `shell`'s registration makes it: the words of the command
/// line after `--`, the last one being the word under the cursor (possibly empty), and the
/// variables that registration sets. Insists that it succeeded and wrote nothing on stderr (bash
/// and fish show a completer's stderr in the middle of the command line). Returns the candidate
/// values, descriptions stripped.
///
/// [`Protocol`]: super::shells::Protocol
pub(crate) fn ask(
    sandbox: &Sandbox,
    shell: TestShell,
    words: &[&str],
    cwd: Option<&Path>,
) -> Vec<String> {
    let out = ask_raw(sandbox, shell, words, cwd, |_| {});
    candidates(shell, &out, words)
}

/// The request of [`ask`], with `adjust` applied to the command before it runs; the output as it
/// is.
pub(crate) fn ask_raw(
    sandbox: &Sandbox,
    shell: TestShell,
    words: &[&str],
    cwd: Option<&Path>,
    adjust: impl FnOnce(&mut Command),
) -> Output {
    let mut cmd = sandbox.ccs(std::iter::once("--").chain(words.iter().copied()));
    cmd.env("CCS_COMPLETE", shell.name);
    let protocol = shell.completion;
    cmd.envs(protocol.env.iter().copied());
    if protocol.passes_index {
        cmd.env("_CLAP_COMPLETE_INDEX", (words.len() - 1).to_string());
    }
    if let Some(cwd) = cwd {
        cmd.current_dir(cwd);
    }
    adjust(&mut cmd);
    cmd.output().unwrap()
}

/// The candidate values in a completion answer, checked to be a clean one.
pub(crate) fn candidates(shell: TestShell, out: &Output, words: &[&str]) -> Vec<String> {
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}: completing {words:?}: status {:?}\nstdout: {}\nstderr: {}",
        shell.name,
        out.status,
        stdout(out),
        stderr(out)
    );
    let protocol = shell.completion;
    stdout(out)
        .split(protocol.separator)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let value = match protocol.description {
                Some(separator) => entry.split(separator).next().unwrap_or(entry),
                None => entry,
            };
            value.to_owned()
        })
        .collect()
}

/// The candidates that are not flags.
pub(crate) fn values(candidates: &[String]) -> Vec<&str> {
    candidates
        .iter()
        .map(String::as_str)
        .filter(|c| !c.starts_with('-'))
        .collect()
}

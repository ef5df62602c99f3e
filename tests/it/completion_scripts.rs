//! The completion scripts checked in under `completions/` (each shell's `completion_file` in
//! `common/shells.rs`), byte for byte against what `ccs completions <shell>` prints: packagers
//! ship the files, the hook prints the binary's, and the two must not drift apart.

use std::fs;
use std::path::Path;

use crate::common::shells::{BASH, FISH, NU, POWERSHELL, TestShell, ZSH};
use crate::common::{Sandbox, stderr};

/// `completions/<file>` must be exactly what the binary prints: packagers ship the file, while
/// the hook prints the binary's version, and the two must not drift apart.
fn checked_in_script_matches(shell: TestShell) {
    let (shell, file) = (shell.name, shell.completion_file);
    let sandbox = Sandbox::new();
    let printed = sandbox.run(["completions", shell]);
    assert!(
        printed.status.success() && printed.stderr.is_empty(),
        "ccs completions {shell} failed: {}",
        stderr(&printed)
    );
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("completions")
        .join(file);
    let checked_in =
        fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    if checked_in != printed.stdout {
        let first_difference = checked_in
            .iter()
            .zip(&printed.stdout)
            .position(|(a, b)| a != b)
            .unwrap_or(checked_in.len().min(printed.stdout.len()));
        panic!(
            "completions/{file} differs from `ccs completions {shell}` (first at byte \
             {first_difference}; {} bytes checked in, {} printed). Regenerate it with:\n\n    \
             cargo run --quiet -- completions {shell} > completions/{file}\n\n\
             and commit the result.",
            checked_in.len(),
            printed.stdout.len()
        );
    }
}

#[test]
fn checked_in_bash_script_is_what_the_binary_prints() {
    checked_in_script_matches(BASH);
}

#[test]
fn checked_in_zsh_script_is_what_the_binary_prints() {
    checked_in_script_matches(ZSH);
}

#[test]
fn checked_in_fish_script_is_what_the_binary_prints() {
    checked_in_script_matches(FISH);
}

#[test]
fn checked_in_powershell_script_is_what_the_binary_prints() {
    checked_in_script_matches(POWERSHELL);
}

#[test]
fn checked_in_nu_script_is_what_the_binary_prints() {
    checked_in_script_matches(NU);
}

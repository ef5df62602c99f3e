//! Tab completion (issue 3) in PowerShell, which cannot run here: its registration
//! (`ccs completions powershell`, and the same inside `ccs init powershell`) parsed with
//! tree-sitter-powershell, and the binary's answer to the request that registration makes, also
//! when the hook's `ccs` function stands between them.

use crate::common::completion::{ask, ask_raw, values};
use crate::common::pwsh;
use crate::common::pwsh::{descendants, text};
use crate::common::shells::POWERSHELL;
use crate::common::{Sandbox, clean_success, stdout};
use tree_sitter::Tree;

fn parse_clean(src: &str, what: &str) -> Tree {
    pwsh::parse_clean(&mut pwsh::parser(), src, what)
}

/// The command the registration runs through `Invoke-Expression`, from its here-string: the
/// word after `&` in `& <command> -- $args`.
fn invoked_command(registration: &str) -> String {
    let line = registration
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("& ") && l.ends_with(" -- $args"))
        .unwrap_or_else(|| panic!("no `& <command> -- $args` line in:\n{registration}"));
    line["& ".len()..line.len() - " -- $args".len()].to_owned()
}

#[test]
fn powershell_registration_parses_and_asks_with_the_right_variable() {
    let sandbox = Sandbox::new();
    let registration = sandbox.ok(["completions", POWERSHELL.name]);
    // PowerShell reads it in the console's code page (`ccs init powershell | Out-String`).
    pwsh::assert_ascii(&registration, "ccs completions powershell");
    let tree = parse_clean(&registration, "ccs completions powershell");

    // One top-level command: Register-ArgumentCompleter, native, for `ccs`.
    let commands: Vec<String> = descendants(tree.root_node())
        .into_iter()
        .filter(|n| n.kind() == "command")
        .map(|n| text(n, &registration).to_owned())
        .collect();
    let register = commands
        .iter()
        .find(|c| c.starts_with("Register-ArgumentCompleter"))
        .unwrap_or_else(|| panic!("no Register-ArgumentCompleter in:\n{registration}"));
    let words: Vec<&str> = register.split_whitespace().take(4).collect();
    assert_eq!(
        words,
        [
            "Register-ArgumentCompleter",
            "-Native",
            "-CommandName",
            "ccs"
        ],
        "{registration}"
    );

    // The script block sets the variable the binary reads, to the name it knows PowerShell by.
    let sets_var = descendants(tree.root_node())
        .into_iter()
        .filter(|n| n.kind() == "assignment_expression")
        .map(|n| {
            text(n, &registration)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .any(|a| a == format!("$env:{} = \"powershell\"", ccs::COMPLETE_VAR));
    assert!(
        sets_var,
        "the registration does not set $env:{} = \"powershell\":\n{registration}",
        ccs::COMPLETE_VAR
    );

    // What it runs through Invoke-Expression parses too, for a typical command line.
    let command = invoked_command(&registration);
    let expanded = format!("& {command} -- ccs use w\n");
    parse_clean(&expanded, "the command the registration runs");
    assert_eq!(command, "ccs", "the registration runs the command `ccs`");
}

/// The request the PowerShell registration makes when it calls the `ccs` application:
/// `& ccs -- <the line up to the cursor>`, with `''` appended for an empty word.
#[test]
fn powershell_request_lists_the_matching_profiles() {
    let sandbox = Sandbox::with_profiles(&["work", "work-eu", "personal"]);
    let out = ask_raw(&sandbox, POWERSHELL, &["ccs", "use", "w"], None, |_| {});
    assert_eq!(
        clean_success(&out, "CCS_COMPLETE=powershell ccs -- ccs use w"),
        "work\nwork-eu\n"
    );
    // `ccs use <Tab>`: PowerShell passes the `''` the registration appends as an empty word.
    let all = ask(&sandbox, POWERSHELL, &["ccs", "use", ""], None);
    assert_eq!(values(&all), ["personal", "work", "work-eu"]);
}

/// With the hook installed, `ccs` at a PowerShell prompt is the hook's function, not the binary:
/// the function shadows the application, so the registration's `& ccs -- ccs use w` calls the
/// function. PowerShell's parameter binder removes `--` from the arguments of a function
/// (PowerShell/PowerShell#21208), and the function passes the rest on with
/// `& $global:__ccs_binary @args`: the binary is asked `ccs use w` with no `--`. The answer to
/// that must still be the matching profiles, not clap_complete's registration script (which is
/// what a completion request without `--` prints).
///
/// This models PowerShell, which cannot run here. A fix may be made in the binary (take a
/// request whose first argument is not `--` as if it were there), in the registration (call the
/// application, not the function), or in the hook's function (pass `-- @args` on when
/// `CCS_COMPLETE` is set); the model follows each of them.
#[test]
fn powershell_request_through_the_hook_function_lists_the_matching_profiles() {
    let sandbox = Sandbox::with_profiles(&["work", "work-eu", "personal"]);
    let hook = sandbox.ok(["init", POWERSHELL.name]);
    let tree = parse_clean(&hook, "ccs init powershell");
    let functions: Vec<String> = descendants(tree.root_node())
        .into_iter()
        .filter(|n| n.kind() == "function_name")
        .map(|n| {
            let name = text(n, &hook);
            let name = name.strip_prefix("global:").unwrap_or(name);
            name.to_ascii_lowercase()
        })
        .collect();
    let command = invoked_command(&hook);
    let through_function = functions.contains(&command.to_ascii_lowercase());
    // A function that puts the separator back when it passes its arguments on.
    let function_restores_separator = descendants(tree.root_node())
        .into_iter()
        .filter(|n| n.kind() == "function_statement")
        .map(|n| text(n, &hook))
        .any(|f| f.contains("function global:ccs") && f.contains("-- @args"));

    let line = ["ccs", "use", "w"];
    let mut args: Vec<&str> = Vec::new();
    if !through_function || function_restores_separator {
        args.push("--");
    }
    args.extend(line);
    let out = sandbox
        .ccs(&args)
        .env("CCS_COMPLETE", POWERSHELL.name)
        .output()
        .unwrap();
    let answer = stdout(&out);
    assert!(
        out.status.success() && answer == "work\nwork-eu\n",
        "PowerShell with the hook: the registration runs `& {command} -- ccs use w`, which {}; \
         the binary, asked {args:?}, answered:\n{answer}\n(wanted work and work-eu)",
        if through_function {
            "lands in the hook's function `ccs` and loses its `--`"
        } else {
            "runs the binary with its `--`"
        }
    );
}

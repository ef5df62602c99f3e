//! The order of things at a real prompt, in tmux: a `ccs use` typed after a `cd` on the same line
//! wins over the pin that `cd` reaches; with `--auto`, the prompt drawn right after entering or
//! leaving a pinned tree already shows the new profile, whatever prompt tool (a PROMPT_COMMAND
//! set before the hook, starship before or after it) draws it; and the `--prompt` prefix stays
//! in front of such a tool's prompt.

use std::fs;

use crate::common::Sandbox;
use crate::common::tmux::{BASH, FISH, Shell, Term, ZSH, can_run};

/// A sandbox with profiles `work` and `pinned`, and `project/` pinned to `pinned`.
fn pinned_project() -> (Sandbox, String) {
    let sandbox = Sandbox::new();
    sandbox.create("work");
    sandbox.create("pinned");
    let project = sandbox.root.join("project");
    fs::create_dir(&project).unwrap();
    fs::write(project.join(".ccs-profile"), "pinned\n").unwrap();
    let project = project.to_str().unwrap().to_owned();
    (sandbox, project)
}

fn starship() -> String {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/starship-init.bash");
    format!("source '{}'", file.display())
}

/// `cd pinned; ccs use work` typed as one line ends on `work`, and so does `ccs off`: the command
/// typed after the `cd` wins, in every shell, though bash sees the `cd` only at the next prompt.
fn use_after_cd_on_one_line_wins(kind: Shell, hook: &str, show_profile: &str) {
    if !can_run(kind.program) {
        return;
    }
    let (sandbox, project) = pinned_project();
    let mut term = Term::start(&sandbox, kind);
    term.run(hook);
    term.run(&format!("cd '{project}'; ccs use work"));
    term.expect(show_profile, &["profile=[work]"], kind.prompt);
    term.run("cd /");
    term.run(&format!("cd '{project}'; ccs off"));
    term.expect(show_profile, &["profile=[]"], kind.prompt);
    // Leaving the tree and coming back still switches by the pin.
    term.run("cd /");
    term.run(&format!("cd '{project}'"));
    term.expect(show_profile, &["profile=[pinned]"], kind.prompt);
}

#[test]
fn bash_use_after_cd_on_one_line_wins() {
    use_after_cd_on_one_line_wins(
        BASH,
        r#"eval "$(ccs init bash --auto)""#,
        r#"echo "profile=[${CCS_PROFILE-}]""#,
    );
}

#[test]
fn zsh_use_after_cd_on_one_line_wins() {
    use_after_cd_on_one_line_wins(
        ZSH,
        r#"eval "$(ccs init zsh --auto)""#,
        r#"echo "profile=[${CCS_PROFILE-}]""#,
    );
}

#[test]
fn fish_use_after_cd_on_one_line_wins() {
    use_after_cd_on_one_line_wins(
        FISH,
        "ccs init fish --auto | source",
        r#"echo "profile=[$CCS_PROFILE]""#,
    );
}

/// A prompt command set before the hook builds PS1 from CCS_PROFILE: the prompt drawn right
/// after `cd` into the pinned tree and out shows the profile switched to.
#[test]
fn bash_prompt_command_before_the_hook_sees_the_switch() {
    if !can_run("bash") {
        return;
    }
    let (sandbox, project) = pinned_project();
    let mut term = Term::start(&sandbox, BASH);
    term.run(r#"eval "$(ccs use work)""#);
    term.run(r#"PROMPT_COMMAND='PS1="[${CCS_PROFILE:-none}] \$ "'"#);
    term.expect(r#"eval "$(ccs init bash --auto)""#, &[], "[work] $");
    term.expect(
        &format!("cd '{project}'"),
        &[&format!("ccs: pinned (pinned by {project}/.ccs-profile)")],
        "[pinned] $",
    );
    term.expect(
        "cd /",
        &["ccs: left the pinned tree; back to work"],
        "[work] $",
    );
}

/// starship set up before or after the hook: the prompt right after a switch by pin shows the new
/// profile in starship's part, and the `--prompt` prefix stands in front of starship's prompt.
fn bash_beside_starship(starship_first: bool) {
    if !can_run("bash") {
        return;
    }
    let (sandbox, project) = pinned_project();
    let mut term = Term::start(&sandbox, BASH);
    let hook = r#"eval "$(ccs init bash --prompt --auto)""#.to_owned();
    let order = if starship_first {
        [starship(), hook]
    } else {
        [hook, starship()]
    };
    for line in &order {
        term.run(line);
    }
    // One prompt for the set-up to settle: a hook set up before starship takes its place behind
    // it at the first prompt.
    term.expect("true", &[], "[star:none:0] $");
    term.expect("ccs use work", &[], "(work) [star:work:0] $");
    term.expect(
        &format!("cd '{project}'"),
        &[&format!("ccs: pinned (pinned by {project}/.ccs-profile)")],
        "(pinned) [star:pinned:0] $",
    );
    term.expect("false", &[], "(pinned) [star:pinned:1] $");
    term.expect(
        "cd /",
        &["ccs: left the pinned tree; back to work"],
        "(work) [star:work:0] $",
    );
    term.expect("ccs off", &[], "[star:none:0] $");
}

#[test]
fn bash_hook_after_starship() {
    bash_beside_starship(true);
}

#[test]
fn bash_hook_before_starship() {
    bash_beside_starship(false);
}

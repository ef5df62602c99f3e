//! The command reference in `docs/`, generated from the clap definition (`ccs::Cli`), and
//! the links between the Markdown docs.
//!
//! `docs/commands.md` and the man pages in `docs/man/man1/` (`ccs.1`, and one page per command:
//! `ccs-use.1`, …) are rendered here, in memory, and compared with the files in the checkout: a
//! flag added to a command without regenerating them fails this test. To regenerate:
//!
//!     CCS_UPDATE_DOCS=1 cargo test --test it reference
//!
//! The output is deterministic: no date, no path of the machine that rendered it, commands in
//! the order clap lists them. Self-contained on purpose (no `tests/it/common`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use clap::{Arg, ArgAction, Command, CommandFactory};

/// The variable that makes the test write the files instead of comparing them.
const UPDATE_VAR: &str = "CCS_UPDATE_DOCS";

/// The command that regenerates everything this file renders.
const REGENERATE: &str = "CCS_UPDATE_DOCS=1 cargo test --test it reference";

/// Where the generated files go, relative to the repository.
const COMMANDS_MD: &str = "docs/commands.md";
const MAN_DIR: &str = "docs/man/man1";

/// The Markdown files whose relative links must lead somewhere.
const LINKED_DOCS: &[&str] = &[
    "README.md",
    "CONTRIBUTING.md",
    "ARCHITECTURE.md",
    "CHANGELOG.md",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The clap definition as the binary parses it, built (so that every command knows its full
/// name), without the `help` subcommand (`-h` and `--help` are documented once).
fn cli() -> Command {
    let mut cmd = ccs::Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// The commands documented: every visible subcommand, in clap's order.
fn commands(cli: &Command) -> Vec<Command> {
    cli.get_subcommands()
        .filter(|c| !c.is_hide_set())
        .cloned()
        .collect()
}

/// Every generated file, by path relative to the repository.
fn render() -> BTreeMap<String, Vec<u8>> {
    let cli = cli();
    let mut files = BTreeMap::new();
    files.insert(COMMANDS_MD.to_owned(), markdown(&cli).into_bytes());
    for (name, page) in man_pages(&cli) {
        files.insert(format!("{MAN_DIR}/{name}"), page);
    }
    files
}

// --- Markdown ------------------------------------------------------------------------------------

/// `docs/commands.md`: the top-level help, a table of commands, then each command's usage, help,
/// arguments and options.
fn markdown(cli: &Command) -> String {
    let mut out = String::new();
    out.push_str("# Command reference\n\n");
    let _ = writeln!(
        out,
        "<!-- Generated from the clap definitions by tests/it/reference.rs; do not edit.\n     \
         Regenerate with: {REGENERATE} -->\n"
    );
    let version = cli.get_version().unwrap_or_default();
    let _ = writeln!(
        out,
        "ccs {version}: what `ccs --help` and `ccs COMMAND --help` print, in one place. Every \
         command also takes `-h` for a summary. The same text is in the man pages in \
         [`docs/man/`](man/man1/): `MANPATH=docs/man man ccs`, `MANPATH=docs/man man ccs-use`.\n"
    );
    paragraphs(
        &mut out,
        &help_text(cli.get_long_about().or(cli.get_about())),
    );
    usage(&mut out, cli);

    out.push_str("| command | what it does |\n| --- | --- |\n");
    for cmd in commands(cli) {
        let name = cmd.get_name();
        let about = help_text(cmd.get_about());
        let _ = writeln!(
            out,
            "| [`{name}`](#{}) | {} |",
            anchor(&format!("ccs {name}")),
            table_cell(&about)
        );
    }
    out.push('\n');

    for cmd in commands(cli) {
        command_section(&mut out, cmd);
    }
    out
}

fn command_section(out: &mut String, cmd: Command) {
    let _ = writeln!(out, "## `ccs {}`\n", cmd.get_name());
    paragraphs(out, &help_text(cmd.get_long_about().or(cmd.get_about())));
    usage(out, &cmd);
    let aliases: Vec<String> = cmd
        .get_visible_aliases()
        .map(|a| format!("`ccs {a}`"))
        .collect();
    if !aliases.is_empty() {
        let _ = writeln!(out, "Alias: {}.\n", aliases.join(", "));
    }
    let (positionals, options): (Vec<&Arg>, Vec<&Arg>) = cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !is_builtin(a))
        .partition(|a| a.is_positional());
    if !positionals.is_empty() {
        out.push_str("Arguments:\n\n");
        for arg in positionals {
            arg_item(out, arg);
        }
        out.push('\n');
    }
    if !options.is_empty() {
        out.push_str("Options:\n\n");
        for arg in options {
            arg_item(out, arg);
        }
        out.push('\n');
    }
}

/// `-h`/`--help` and `-V`/`--version`, which clap adds to every command.
fn is_builtin(arg: &Arg) -> bool {
    matches!(
        arg.get_action(),
        ArgAction::Help | ArgAction::HelpShort | ArgAction::HelpLong | ArgAction::Version
    )
}

fn usage(out: &mut String, cmd: &Command) {
    let usage = cmd.clone().render_usage().to_string();
    let usage = usage.strip_prefix("Usage: ").unwrap_or(&usage);
    let _ = writeln!(out, "```text\n{}\n```\n", usage.trim_end());
}

/// One argument: its spelling, then its help, default and possible values.
fn arg_item(out: &mut String, arg: &Arg) {
    let mut head = Vec::new();
    if let Some(short) = arg.get_short() {
        head.push(format!("-{short}"));
    }
    if let Some(long) = arg.get_long() {
        head.push(format!("--{long}"));
    }
    let value = value_name(arg);
    let spelled = if arg.is_positional() {
        value
    } else if takes_value(arg) {
        format!("{} {value}", head.join(", "))
    } else {
        head.join(", ")
    };
    let help = help_text(arg.get_long_help().or(arg.get_help()));
    let mut body: Vec<String> = help
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    if takes_value(arg) && !arg.is_hide_default_value_set() && !arg.get_default_values().is_empty()
    {
        let defaults: Vec<String> = arg
            .get_default_values()
            .iter()
            .map(|v| format!("`{}`", v.to_string_lossy()))
            .collect();
        body.push(format!("Default: {}.", defaults.join(", ")));
    }
    if !arg.is_hide_possible_values_set() {
        let values: Vec<String> = arg
            .get_possible_values()
            .iter()
            .filter(|v| !v.is_hide_set())
            .map(|v| {
                let mut names = v.get_name_and_aliases();
                let name = names.next().unwrap_or_default();
                let aliases: Vec<String> = names.map(|a| format!("`{a}`")).collect();
                let mut shown = format!("`{name}`");
                if !aliases.is_empty() {
                    let _ = write!(shown, " (also {})", aliases.join(", "));
                }
                if let Some(help) = v.get_help() {
                    let _ = write!(shown, ": {help}");
                }
                shown
            })
            .collect();
        if !values.is_empty() {
            body.push(format!("Possible values: {}.", values.join(", ")));
        }
    }
    let _ = write!(out, "- `{spelled}`");
    let mut first = true;
    for paragraph in body {
        if first {
            let _ = writeln!(out, ": {}", indent(&paragraph));
            first = false;
        } else {
            let _ = writeln!(out, "\n  {}", indent(&paragraph));
        }
    }
    if first {
        out.push('\n');
    }
}

/// `<NAME>`, `[NAME]`, `<COMMAND>...`: as clap writes the value in a usage line.
fn value_name(arg: &Arg) -> String {
    let name = arg
        .get_value_names()
        .map(|n| n.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| arg.get_id().as_str().to_uppercase());
    let many = arg.get_num_args().is_some_and(|n| n.max_values() > 1);
    let dots = if many { "..." } else { "" };
    if arg.is_positional() && !arg.is_required_set() {
        format!("[{name}]{dots}")
    } else {
        format!("<{name}>{dots}")
    }
}

fn takes_value(arg: &Arg) -> bool {
    arg.get_num_args().is_some_and(|n| n.takes_values())
}

fn help_text(text: Option<&clap::builder::StyledStr>) -> String {
    text.map(|t| t.to_string()).unwrap_or_default()
}

/// Text as Markdown paragraphs, one per blank-line-separated block.
fn paragraphs(out: &mut String, text: &str) {
    for paragraph in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        let _ = writeln!(out, "{paragraph}\n");
    }
}

/// Continuation lines of a list item's paragraph, indented under it.
fn indent(text: &str) -> String {
    text.replace('\n', "\n  ")
}

fn table_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

// --- man pages -----------------------------------------------------------------------------------

/// `ccs.1` and one page per command (`ccs-use.1`, …), as clap_mangen renders them, with a SEE
/// ALSO line back to `ccs(1)` on each command's page.
fn man_pages(cli: &Command) -> Vec<(String, Vec<u8>)> {
    let source = format!("ccs {}", cli.get_version().unwrap_or_default());
    let page = |cmd: Command| {
        // No date (it would change the page on every day it is rendered); then no manual name
        // either: clap_mangen leaves an empty date out of `.TH`, which moves later fields up.
        let man = clap_mangen::Man::new(cmd).source(source.clone());
        let mut bytes = Vec::new();
        man.render(&mut bytes).expect("render a man page");
        (man.get_filename(), bytes)
    };
    let mut pages = vec![page(cli.clone())];
    for cmd in commands(cli) {
        let (name, mut bytes) = page(cmd);
        let mut see_also = clap_mangen::roff::Roff::new();
        see_also.control("SH", ["SEE ALSO"]).text([
            clap_mangen::roff::bold("ccs"),
            clap_mangen::roff::roman("(1)"),
        ]);
        bytes.extend(see_also.to_roff().into_bytes());
        pages.push((name, bytes));
    }
    pages
}

// --- the drift test ------------------------------------------------------------------------------

#[test]
fn reference_matches_the_cli() {
    let files = render();
    let man_dir = root().join(MAN_DIR);
    // Pages of commands that are gone.
    let stale: Vec<String> = fs::read_dir(&man_dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| format!("{MAN_DIR}/{}", e.file_name().to_string_lossy()))
                .filter(|p| !files.contains_key(p))
                .collect()
        })
        .unwrap_or_default();
    let differing: Vec<&String> = files
        .iter()
        .filter(|(path, bytes)| fs::read(root().join(path)).ok().as_ref() != Some(*bytes))
        .map(|(path, _)| path)
        .collect();

    if std::env::var_os(UPDATE_VAR).is_some_and(|v| !v.is_empty()) {
        for path in &differing {
            let to = root().join(path);
            fs::create_dir_all(to.parent().unwrap()).unwrap();
            fs::write(&to, &files[*path]).unwrap();
            eprintln!("wrote {path}");
        }
        for path in &stale {
            fs::remove_file(root().join(path)).unwrap();
            eprintln!("removed {path}");
        }
        return;
    }

    let mut wrong: Vec<String> = differing.iter().map(|p| p.to_string()).collect();
    wrong.extend(stale.iter().map(|p| format!("{p} (no such command)")));
    if let Some(first) = differing.first() {
        let now = fs::read_to_string(root().join(first)).unwrap_or_default();
        let want = String::from_utf8_lossy(&files[*first]);
        let line = first_difference(&now, &want);
        panic!(
            "{} {} out of date: run `{REGENERATE}`\nfirst difference in {first}:\n  \
             file:      {:?}\n  generated: {:?}",
            wrong.join(", "),
            if wrong.len() == 1 { "is" } else { "are" },
            line.0,
            line.1
        );
    }
    assert!(
        wrong.is_empty(),
        "{} {} out of date: run `{REGENERATE}`",
        wrong.join(", "),
        if wrong.len() == 1 { "is" } else { "are" }
    );
}

/// The first line where `a` and `b` differ, as (a's, b's); `""` past the end.
fn first_difference<'a>(a: &'a str, b: &'a str) -> (&'a str, &'a str) {
    let (mut x, mut y) = (a.lines(), b.lines());
    loop {
        match (x.next(), y.next()) {
            (Some(l), Some(r)) if l == r => continue,
            (None, None) => return ("", ""),
            (l, r) => return (l.unwrap_or(""), r.unwrap_or("")),
        }
    }
}

/// The reference documents every command, option and possible value the binary accepts.
#[test]
fn reference_names_every_command_and_flag() {
    let cli = cli();
    let md = markdown(&cli);
    for cmd in commands(&cli) {
        let name = cmd.get_name();
        assert!(md.contains(&format!("## `ccs {name}`")), "{name}");
        for arg in cmd
            .get_arguments()
            .filter(|a| !is_builtin(a) && !a.is_hide_set())
        {
            if let Some(long) = arg.get_long() {
                assert!(md.contains(&format!("--{long}")), "ccs {name} --{long}");
            }
            for value in arg
                .get_possible_values()
                .iter()
                .filter(|v| !v.is_hide_set())
            {
                assert!(
                    md.contains(&format!("`{}`", value.get_name())),
                    "ccs {name}: {}",
                    value.get_name()
                );
            }
        }
    }
    let pages: BTreeSet<String> = man_pages(&cli).into_iter().map(|(n, _)| n).collect();
    assert!(
        pages.contains("ccs.1") && pages.contains("ccs-use.1"),
        "{pages:?}"
    );
    assert_eq!(pages.len(), commands(&cli).len() + 1);
}

// --- links ---------------------------------------------------------------------------------------

/// Every relative link in the Markdown docs leads to a file that exists, and every `#anchor` to
/// a heading of the file it names.
#[test]
fn relative_links_in_the_docs_lead_somewhere() {
    let mut docs: Vec<PathBuf> = LINKED_DOCS.iter().map(|d| root().join(d)).collect();
    let mut in_docs: Vec<PathBuf> = fs::read_dir(root().join("docs"))
        .expect("docs/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    in_docs.sort();
    docs.extend(in_docs);

    let mut broken = Vec::new();
    let mut checked = 0;
    for doc in &docs {
        let text = fs::read_to_string(doc).unwrap_or_else(|e| panic!("{}: {e}", doc.display()));
        let shown = doc.strip_prefix(root()).unwrap().display().to_string();
        for target in links(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            checked += 1;
            let (path, anchor) = match target.split_once('#') {
                Some((p, a)) => (p, Some(a)),
                None => (target.as_str(), None),
            };
            let file = if path.is_empty() {
                doc.clone()
            } else {
                doc.parent().unwrap().join(path)
            };
            if !file.exists() {
                broken.push(format!("{shown}: {target} (no such file)"));
                continue;
            }
            if let Some(anchor) = anchor {
                let Ok(target_text) = fs::read_to_string(&file) else {
                    broken.push(format!("{shown}: {target} (an anchor in a directory)"));
                    continue;
                };
                if !anchors(&target_text).contains(anchor) {
                    broken.push(format!("{shown}: {target} (no such heading)"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert!(
        checked > 20,
        "only {checked} links found: is the parser right?"
    );
}

/// The targets of the inline links `[text](target)` outside code.
fn links(markdown: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in prose_lines(markdown) {
        let line = without_code_spans(line);
        let mut rest = line.as_str();
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            if let Some(end) = rest.find(')') {
                let target = rest[..end].trim();
                // `[text](target "title")`
                let target = target.split(' ').next().unwrap_or_default();
                found.push(target.trim_matches(['<', '>']).to_owned());
                rest = &rest[end..];
            }
        }
    }
    found
}

/// The lines outside fenced code blocks.
fn prose_lines(markdown: &str) -> impl Iterator<Item = &str> {
    let mut fenced = false;
    markdown.lines().filter(move |line| {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            return false;
        }
        !fenced
    })
}

/// `line` with its code spans (`` `…` ``) removed.
fn without_code_spans(line: &str) -> String {
    let mut out = String::new();
    let mut in_code = false;
    for c in line.chars() {
        if c == '`' {
            in_code = !in_code;
        } else if !in_code {
            out.push(c);
        }
    }
    out
}

/// The anchors GitHub makes for a Markdown file's headings: lower case, spaces to `-`, only
/// letters, digits, `-` and `_` kept; a repeated heading gets `-1`, `-2`, ….
fn anchors(markdown: &str) -> BTreeSet<String> {
    let mut seen = BTreeMap::<String, usize>::new();
    let mut out = BTreeSet::new();
    for line in prose_lines(markdown) {
        let Some(title) = line.strip_prefix('#') else {
            continue;
        };
        let title = title.trim_start_matches('#');
        if !title.starts_with(' ') {
            continue;
        }
        let slug = anchor(title.trim());
        let n = seen.entry(slug.clone()).or_default();
        out.insert(if *n == 0 {
            slug.clone()
        } else {
            format!("{slug}-{n}")
        });
        *n += 1;
    }
    out
}

fn anchor(title: &str) -> String {
    title
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

#[test]
fn anchors_are_github_s() {
    let md = "# ccs: several accounts\n## `ccs use`\n## What is shared, what leaks\n## Set up\n## Set up\n```\n# not a heading\n```\n";
    let got: Vec<String> = anchors(md).into_iter().collect();
    assert_eq!(
        got,
        [
            "ccs-several-accounts",
            "ccs-use",
            "set-up",
            "set-up-1",
            "what-is-shared-what-leaks"
        ]
    );
    assert_eq!(
        links("see [a](docs/a.md#x) and `[b](c.md)`, [d](https://e)"),
        ["docs/a.md#x", "https://e"]
    );
}

use std::io::{ErrorKind, Write};
use std::process::ExitCode;

use clap::Parser;

use ccs::Cli;
use ccs::one_line;

fn main() -> ExitCode {
    ccs::answer_completion_request();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version: clap prints them to stdout and exits 0. Bare `ccs`: the help,
        // as clap prints it (on stderr, exit 2).
        Err(e)
            if !e.use_stderr()
                || e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand =>
        {
            e.exit()
        }
        Err(e) => {
            eprintln!("ccs: {}", one_line(&usage_error(&e)));
            return ExitCode::from(2);
        }
    };
    match ccs::run(cli) {
        Ok(outcome) => {
            write_stdout(&outcome.stdout);
            ExitCode::from(outcome.code)
        }
        Err(err) => {
            eprintln!("ccs: {}", one_line(&format!("{err:#}")));
            ExitCode::FAILURE
        }
    }
}

/// Writes all of stdout in one go. A reader that went away (`ccs list | head -1`) is not an
/// error worth a message.
fn write_stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush())
        && e.kind() != ErrorKind::BrokenPipe
    {
        eprintln!("ccs: cannot write output: {e}");
        std::process::exit(1);
    }
}

/// The whole usage of the command a usage line is for: clap shows only the arguments that were
/// used when two conflict (`ccs sync work --all` would say `usage: ccs sync <NAME>`).
fn full_usage(shown: &str) -> String {
    use clap::CommandFactory;
    let mut words = shown.split(' ');
    let (Some("ccs"), Some(name)) = (words.next(), words.next()) else {
        return shown.to_owned();
    };
    let mut cli = Cli::command();
    let Some(command) = cli.find_subcommand_mut(name) else {
        return shown.to_owned();
    };
    let usage = command.render_usage().to_string();
    let usage = usage.trim().strip_prefix("Usage: ").unwrap_or(&usage);
    // clap names a subcommand without its parent here.
    match usage.strip_prefix(name) {
        Some(rest) => format!("ccs {name}{rest}"),
        None => usage.to_owned(),
    }
}

/// A usage error as one line, like every other error: clap's message and the usage it shows,
/// without its blank lines and "For more information" footer.
fn usage_error(e: &clap::Error) -> String {
    let rendered = e.render().to_string();
    let mut message = Vec::new();
    let mut usage = None;
    for line in rendered.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(shown) = line.strip_prefix("Usage: ") {
            usage = Some(full_usage(shown));
        } else if !line.starts_with("For more information") {
            message.push(line.strip_prefix("error: ").unwrap_or(line).to_owned());
        }
    }
    let mut text = message.join(" ");
    if let Some(usage) = usage {
        text.push_str(&format!(" (usage: {usage})"));
    }
    text
}

use std::io::{ErrorKind, Write};
use std::process::ExitCode;

use clap::Parser;

use ccs::cli::Cli;

fn main() -> ExitCode {
    ccs::completion::answer_if_asked();
    let cli = Cli::parse();
    match ccs::commands::run(cli.command) {
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

/// Errors are one line: control characters from hostile paths or names are shown escaped.
fn one_line(message: &str) -> String {
    message
        .chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

use std::fmt::Write as _;

use anyhow::Result;
use clap::Args;

use super::Outcome;
use crate::doctor::{self, Finding, Level};
use crate::store::Store;

/// Check for what silently defeats per-terminal accounts, and say how to fix it
#[derive(Debug, Args)]
pub struct Doctor {}

impl Doctor {
    pub fn run(self) -> Result<Outcome> {
        let findings = doctor::check(&Store::from_env()?);
        let failed = findings.iter().any(|f| f.level == Level::Fail);
        Ok(Outcome {
            code: u8::from(failed),
            ..Outcome::report(&report(&findings))
        })
    }
}

/// The report: one line a finding, its fix indented beneath.
fn report(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let label = match f.level {
            Level::Ok => "ok  ",
            Level::Note => "note",
            Level::Warn => "warn",
            Level::Fail => "FAIL",
        };
        let _ = writeln!(out, "{label}  {}", f.what);
        if let Some(fix) = &f.fix {
            let _ = writeln!(out, "      fix: {fix}");
        }
    }
    out
}

use std::fmt::Write as _;

use anyhow::Result;
use clap::Args;

use super::Outcome;
use crate::doctor::{self, Finding, Level};
use crate::store::Store;
use crate::ui::{self, style};

/// Check for what silently defeats per-terminal accounts, and say how to fix it
#[derive(Debug, Args)]
pub struct Doctor {}

impl Doctor {
    pub fn run(self) -> Result<Outcome> {
        let mut findings = doctor::check(&Store::from_env()?);
        findings.extend(super::wrap::doctor_findings());
        let failed = findings.iter().any(|f| f.level == Level::Fail);
        Ok(Outcome {
            code: u8::from(failed),
            ..Outcome::painted_report(&report(&findings), paint_level)
        })
    }
}

/// A finding's level in its colour: the first word of a line that has one.
fn paint_level(line: &str) -> String {
    let style = match line.get(..4) {
        Some("FAIL") => style::FAIL,
        Some("warn") => style::WARN,
        Some("note") => style::NOTE,
        Some("ok  ") => style::OK,
        _ => return line.to_owned(),
    };
    format!("{}{}", ui::paint(true, style, &line[..4]), &line[4..])
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

use anyhow::Result;
use clap::Args;

use super::{Outcome, ProfileArg, profile_summary};
use crate::share::{self, Mode, Sharing};
use crate::store::Store;

/// Show a profile: its account, path, size, and which items are shared or its own
#[derive(Debug, Args)]
pub struct Show {
    #[command(flatten)]
    profile: ProfileArg,
}

impl Show {
    pub fn run(self) -> Result<Outcome> {
        let store = Store::from_env()?;
        let (name, dir) = self.profile.find(&store, "show")?;
        let sharing = Sharing::load(&dir)?;
        let source = share::source_dir().ok();
        let mut out = profile_summary(&name, &dir);
        let from = match (&source, sharing.mode) {
            (Some(source), Mode::Link | Mode::Copy) => format!(" from {}", source.display()),
            _ => String::new(),
        };
        out.push_str(&format!("  sharing: {}{from}\n", sharing.mode.as_str()));
        for status in share::status(&dir, &sharing, source.as_deref()) {
            out.push_str(&format!(
                "    {:<14} {}\n",
                status.item,
                share::describe(&status, &sharing, source.as_deref())
            ));
        }
        for (label, line) in share::describe_carried(&dir, &sharing, source.as_deref()) {
            out.push_str(&format!("  {label}: {line}\n"));
        }
        if !share::remote_servers(&dir).is_empty() {
            out.push_str("  MCP sign-ins are per account: ccs never copies them\n");
        }
        Ok(Outcome::report(&out))
    }
}

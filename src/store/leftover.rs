//! What ccs leaves beside the profiles while it works on one, and how to tell it afterwards.

use crate::profile_name::ProfileName;

/// What ccs keeps beside the profiles while it works on one, named after the profile and the
/// process: a profile being made (renamed into place when whole) or being deleted (renamed out
/// of the way first). A crash leaves it behind; `ccs doctor` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Leftover {
    Creating,
    Removing,
    /// Half of a rename that changes only the case, which some file systems ignore in one step.
    Renaming,
}

impl Leftover {
    fn prefix(self) -> &'static str {
        match self {
            Leftover::Creating => ".creating-",
            Leftover::Removing => ".removing-",
            Leftover::Renaming => ".renaming-",
        }
    }

    pub(crate) fn dir_name(self, name: &ProfileName, pid: u32) -> String {
        format!("{}{name}-{pid}", self.prefix())
    }

    /// The kind, profile and process of a directory `dir_name` made, if it is one.
    pub(crate) fn parse(file_name: &str) -> Option<(Leftover, ProfileName, u32)> {
        [Leftover::Creating, Leftover::Removing, Leftover::Renaming]
            .into_iter()
            .find_map(|kind| {
                let (name, pid) = file_name.strip_prefix(kind.prefix())?.rsplit_once('-')?;
                let name = ProfileName::from_disk(name)?;
                let pid: u32 = pid.parse().ok()?;
                (kind.dir_name(&name, pid) == file_name).then_some((kind, name, pid))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftover_names_read_back_and_nothing_else_parses() {
        let work = ProfileName::parse("work").unwrap();
        for kind in [Leftover::Creating, Leftover::Removing, Leftover::Renaming] {
            let name = kind.dir_name(&work, 42);
            assert_eq!(Leftover::parse(&name), Some((kind, work.clone(), 42)));
        }
        let a_b = ProfileName::parse("a-b").unwrap();
        assert_eq!(
            Leftover::parse(".removing-a-b-7"),
            Some((Leftover::Removing, a_b, 7))
        );
        for not_ours in [
            ".creating-work",
            ".creating-work-",
            ".creating-work-x",
            ".creating--1",
            ".creating-../x-1",
            ".creating-work-+1",
            ".creating-work-01",
            "creating-work-1",
            ".other-work-1",
        ] {
            assert_eq!(Leftover::parse(not_ours), None, "{not_ours:?}");
        }
    }
}

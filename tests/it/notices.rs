//! What ccs says to a person never carries a control character from a path or a name to the
//! terminal: every report and notice shows them escaped. Data (`ccs path`, the code `ccs use`
//! prints) stays exact.

use crate::common::{Sandbox, stderr, stdout};

#[test]
fn a_control_character_in_the_store_path_reaches_no_terminal() {
    let sandbox = Sandbox::with_ccs_home("store\u{1b}]0;pwned\u{7}");
    let work = sandbox.create("work");
    let project = sandbox.root.join("project\u{1b}[31m");
    std::fs::create_dir(&project).unwrap();
    let runs = [
        sandbox.run(["create", "other"]),
        sandbox.run(["show", "work"]),
        sandbox.run(["du"]),
        sandbox.run(["rename", "other", "job"]),
        sandbox.run(["default", "work"]),
        sandbox
            .ccs(["pin", "work"])
            .current_dir(&project)
            .output()
            .unwrap(),
        sandbox
            .ccs(["unpin"])
            .current_dir(&project)
            .output()
            .unwrap(),
        sandbox.run(["clean", "work", "--yes"]),
        sandbox.run(["remove", "job", "--yes"]),
        sandbox.run(["remove", "work", "--yes"]),
    ];
    for out in &runs {
        assert!(out.status.success(), "{}", stderr(out));
        for text in [stdout(out), stderr(out)] {
            assert!(
                !text.contains('\u{1b}') && !text.contains('\u{7}'),
                "{text:?}"
            );
        }
    }
    assert!(
        stdout(&runs[9]).contains("store\\u{1b}]0;pwned\\u{7}"),
        "shown escaped"
    );
    assert!(!work.exists());
}

#[test]
fn data_stays_exact() {
    let sandbox = Sandbox::with_ccs_home("store\u{1b}x");
    let work = sandbox.create("work");
    assert_eq!(
        sandbox.ok(["path", "work"]),
        format!("{}\n", work.display())
    );
    assert!(
        sandbox
            .ok(["use", "work", "--shell", "bash"])
            .contains('\u{1b}')
    );
}

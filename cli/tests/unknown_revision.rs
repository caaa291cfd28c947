//! Naming a revision that does not exist fails with a non-zero exit and a message naming it,
//! in every command that takes one.

mod common;
use common::Scratch;

#[test]
fn unknown_revision_is_a_clear_error() {
    let s = Scratch::with_people();
    for args in [
        &["log", "nosuch"][..],
        &["show", "nosuch"],
        &["merge", "nosuch"],
        &["reset", "--hard", "nosuch"],
        &["branch", "b", "nosuch"],
    ] {
        let err = s.fails(args);
        assert!(err.contains("revision nosuch not found"), "{args:?}: {err}");
    }
    let err = s.fails(&["diff", "nosuch"]);
    assert!(err.contains("neither a revision nor a table"), "{err}");
    let err = s.fails(&["checkout", "nosuch"]);
    assert!(err.contains("branch nosuch does not exist"), "{err}");
}

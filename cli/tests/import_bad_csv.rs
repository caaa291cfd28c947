//! A bad input file stops the import with the line number and the reason, and changes nothing:
//! a wrong column count at line 3, an unparseable value, a duplicate key (in a new table and
//! an existing one), a key that already exists with --append.

mod common;
use common::Scratch;

#[test]
fn wrong_column_count_names_line_3_and_changes_nothing() {
    let s = Scratch::repo();
    let bad = s.write("bad.csv", "id,name\n1,ann\n2,bob,extra\n3,cat\n");
    let err = s.import_file_fails(&["--create", "--pk", "id"], "people", &bad);
    assert!(err.contains("line 3"), "{err}");
    assert!(err.contains("nothing was changed"), "{err}");
    assert!(s.ok(&["table", "ls"]).contains("no tables"));
    assert!(s.ok(&["status"]).contains("nothing to commit"));

    let dup = s.write("dup.csv", "id,name\n1,ann\n2,bob\n1,again\n");
    let err = s.import_file_fails(&["--create", "--pk", "id"], "people", &dup);
    assert!(err.contains("line 4: duplicate primary key"), "{err}");
    assert!(s.ok(&["table", "ls"]).contains("no tables"));

    // A sorted file repeating its last key (the streaming build's case).
    let dup = s.write("dup2.csv", "id,name\n1,ann\n2,bob\n2,again\n");
    let err = s.import_file_fails(&["--create", "--pk", "id"], "people", &dup);
    assert!(err.contains("line 4: duplicate primary key"), "{err}");
    assert!(s.ok(&["table", "ls"]).contains("no tables"));
}

#[test]
fn bad_value_and_duplicate_key_leave_the_table_unchanged() {
    let s = Scratch::with_people();
    let before = s.export("people", "WORKING");

    let bad = s.write("bad.csv", "id,name,score\n5,eve,50\n6,fay,lots\n");
    let err = s.import_file_fails(&["--update"], "people", &bad);
    assert!(
        err.contains("line 3") && err.contains("\"lots\" is not a valid bigint"),
        "{err}"
    );

    let dup = s.write("dup.csv", "id,name,score\n5,eve,50\n5,eve,51\n");
    let err = s.import_file_fails(&["--update"], "people", &dup);
    assert!(
        err.contains("line 3") && err.contains("duplicate primary key"),
        "{err}"
    );

    let existing = s.write("existing.csv", "id,name,score\n1,ann,10\n");
    let err = s.import_file_fails(&["--append"], "people", &existing);
    assert!(
        err.contains("line 2") && err.contains("already exists"),
        "{err}"
    );

    assert_eq!(s.export("people", "WORKING"), before);
    assert!(s.ok(&["status"]).contains("nothing to commit"));
}

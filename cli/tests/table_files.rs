//! Tables in and out: type inference for --create (bigint, double precision, boolean, text;
//! empty is NULL), JSON lines and TSV import and export, and table ls / cp / mv / rm.

mod common;
use common::Scratch;

#[test]
fn import_export_and_manage_tables() {
    let s = Scratch::repo();
    let file = s.write("m.jsonl", "{\"id\":1,\"ok\":true,\"w\":0.5,\"tag\":\"a\"}\n{\"id\":2,\"ok\":false,\"w\":null,\"tag\":\"3x\"}\n");
    s.import_file(&["--create", "--pk", "id"], "m", &file);
    let out = s.path().join("m.tsv");
    s.ok(&["table", "export", "m", out.to_str().unwrap()]);
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "id\tok\ttag\tw\n1\ttrue\ta\t0.5\n2\tfalse\t3x\t\n"
    );
    let json = s.path().join("out.jsonl");
    s.ok(&["table", "export", "m", json.to_str().unwrap()]);
    assert_eq!(
        std::fs::read_to_string(&json).unwrap(),
        "{\"id\":1,\"ok\":true,\"tag\":\"a\",\"w\":0.5}\n{\"id\":2,\"ok\":false,\"tag\":\"3x\",\"w\":null}\n"
    );
    let bad = s.write("bad.csv", "id,ok,tag,w\n3,maybe,x,1\n");
    assert!(s
        .fails(&["table", "import", "--append", "m", bad.to_str().unwrap()])
        .contains("invalid input syntax for type boolean: \"maybe\""));

    s.ok(&["table", "cp", "m", "m2"]);
    s.ok(&["table", "mv", "m2", "m3"]);
    let ls = s.ok(&["table", "ls"]);
    assert!(ls.contains("| m3 ") && !ls.contains("| m2 "), "{ls}");
    s.ok(&["table", "rm", "m3"]);
    assert!(!s.ok(&["table", "ls"]).contains("m3"));
}

//! Parquet in and out through the `vdb` binary: every column type survives export and import
//! (`--schema` keeps the exact types, `--create` takes them from the file), the file names the
//! commit its data comes from, typed values go into existing tables with casts, and bad files
//! change nothing. Files written by pandas / pyarrow are read in tests/clients.

mod common;
use common::Scratch;

/// A table with a column of each kind, one full row and one of NULLs, committed.
const DDL: &str = "create type mood as enum ('sad', 'ok'); \
    create table t (id bigserial primary key, b bool, s smallint, i int, f4 real, f8 float8, \
    n numeric(10,3), nu numeric, tx text, vc varchar(5), j jsonb, by bytea, d date, tm time, \
    ts timestamp, tz timestamptz, iv interval, u uuid, arr int[], tarr text[], m mood)";
const ROW: &str = "insert into t values (1, true, 2, 3, 1.5, 2.25, -12.345, 1e30, 'hé', 'ab', \
    '{\"a\": [1]}', '\\x00ff', '2024-02-29', '13:45:01.5', '2024-01-02 03:04:05.678901', \
    '2024-01-02 03:04:05+02', '1 day 2 hours', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', \
    '{1,NULL,3}', '{}', 'ok'), (2, default, default, default, default, default, default, \
    default, default, default, default, default, default, default, default, default, default, \
    default, default, default, default)";

fn sql(s: &Scratch, query: &str) -> String {
    s.ok(&["sql", "--format", "csv", "-q", query])
}

#[test]
fn every_type_round_trips_and_the_file_names_its_commit() {
    let s = Scratch::repo();
    sql(&s, DDL);
    sql(&s, ROW);
    s.ok(&["add", "-A"]);
    s.ok(&["commit", "-m", "labels"]);
    let head = sql(&s, "select vdb_hashof('HEAD') as h");
    let head = head.trim_start_matches("h\n");
    let file = s.path().join("t.parquet");
    let out = s.ok(&["table", "export", "t", file.to_str().unwrap()]);
    assert!(out.contains("exported 2 rows of t"), "{out}");

    // With the table's own DDL, every value comes back exactly.
    let schema = s.write(
        "t2.sql",
        &DDL.replace("create type mood as enum ('sad', 'ok'); ", "")
            .replace("table t ", "table t2 "),
    );
    s.import_file(
        &["--create", "--schema", schema.to_str().unwrap()],
        "t2",
        &file,
    );
    assert_eq!(
        sql(
            &s,
            "select count(*) from (select * from t except select * from t2) x"
        ),
        "count\n0\n"
    );
    assert_eq!(sql(&s, "select count(*) from t2"), "count\n2\n");

    // Without one, the file's schema gives the types; what Parquet has no type for is text.
    s.import_file(&["--create", "--pk", "id"], "t3", &file);
    let types = sql(
        &s,
        "select string_agg(format_type(atttypid, atttypmod), ',' order by attnum) \
         from pg_attribute where attrelid = 't3'::regclass and attnum > 0",
    );
    assert_eq!(
        types,
        "string_agg\n\"bigint,boolean,smallint,integer,real,double precision,numeric(10,3),\
         text,text,text,jsonb,bytea,date,time without time zone,timestamp without time zone,\
         timestamp with time zone,text,uuid,integer[],text[],text\"\n"
    );
    assert_eq!(
        sql(
            &s,
            "select count(*) from (select id, b, s, i, f4, f8, n, nu::numeric, tx, vc, j, by, \
             d, tm, ts, tz, iv::interval, u, arr, tarr, m::text from t3 \
             except select id, b, s, i, f4, f8, n, nu, tx, vc, j, by, d, tm, ts, tz, iv, u, \
             arr, tarr, m::text from t) x"
        ),
        "count\n0\n"
    );

    // The commit is in the file's metadata: it is the head's, as the working set is clean.
    let bytes = std::fs::read(&file).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("vdb.commit") && text.contains(head.trim()),
        "{head}"
    );
    assert!(!text.contains("vdb.uncommitted"));

    // After an uncommitted edit, the working set's file says so and names no commit.
    sql(&s, "update t set i = 4 where id = 1");
    s.ok(&["table", "export", "t", file.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
    assert!(text.contains("vdb.uncommitted") && !text.contains("vdb.commit"));
    // ... and an export at HEAD names the head again.
    s.ok(&[
        "table",
        "export",
        "t",
        "--at",
        "HEAD",
        file.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
    assert!(text.contains(head.trim()));
}

#[test]
fn typed_values_are_cast_into_existing_tables_and_bad_files_change_nothing() {
    let s = Scratch::repo();
    sql(
        &s,
        "create table src (id int primary key, score float8, label text)",
    );
    sql(&s, "insert into src values (1, 0.5, '7'), (2, 1.25, '8')");
    let file = s.path().join("src.parquet");
    s.ok(&["table", "export", "src", file.to_str().unwrap()]);

    // int to bigint, float8 to numeric(4,2), text to int: as an assignment casts them.
    sql(
        &s,
        "create table dst (id bigint primary key, score numeric(4,2), label int)",
    );
    s.import_file(&["--append"], "dst", &file);
    assert_eq!(
        sql(&s, "select * from dst order by id"),
        "id,score,label\n1,0.50,7\n2,1.25,8\n"
    );
    // The same keys again: refused by --append, naming the row, and nothing changes.
    let err = s.import_file_fails(&["--append"], "dst", &file);
    assert!(
        err.contains("row 1: a row with this primary key already exists"),
        "{err}"
    );
    // A value that does not fit the column names its row and column.
    sql(&s, "insert into src values (3, 123.5, 'x')");
    s.ok(&["table", "export", "src", file.to_str().unwrap()]);
    sql(
        &s,
        "create table dst2 (id bigint primary key, score numeric(4,2), label text)",
    );
    let err = s.import_file_fails(&["--append"], "dst2", &file);
    assert!(
        err.contains("row 3: column \"score\": numeric field overflow"),
        "{err}"
    );
    assert!(err.contains("nothing was changed"), "{err}");
    assert_eq!(sql(&s, "select count(*) from dst2"), "count\n0\n");

    // Not a Parquet file, or a cut-off one: a clear error, no table.
    let junk = s.write("junk.parquet", "not parquet at all");
    let err = s.import_file_fails(&["--create"], "junk", &junk);
    assert!(err.contains("not a readable Parquet file"), "{err}");
    let bytes = std::fs::read(&file).unwrap();
    let cut = s.path().join("cut.parquet");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = s.import_file_fails(&["--create"], "cut", &cut);
    assert!(err.contains("not a readable Parquet file"), "{err}");
    assert!(!s.ok(&["table", "ls"]).contains("junk"));

    // Enum labels are checked against the type, from text files as from Parquet.
    sql(
        &s,
        "create type mood as enum ('sad', 'ok'); create table moods (id int, m mood)",
    );
    let csv = s.write("moods.csv", "id,m\n1,ok\n2,happy\n");
    let err = s.import_file_fails(&["--append"], "moods", &csv);
    assert!(
        err.contains("line 3: column \"m\": invalid input value for enum mood: \"happy\""),
        "{err}"
    );
    assert_eq!(sql(&s, "select count(*) from moods"), "count\n0\n");

    // --schema must create the table named, and only it.
    let other = s.write("other.sql", "create table other (id int)");
    let err = s.import_file_fails(
        &["--create", "--schema", other.to_str().unwrap()],
        "x",
        &file,
    );
    assert!(
        err.contains("must create table x and no other; it creates other"),
        "{err}"
    );
}

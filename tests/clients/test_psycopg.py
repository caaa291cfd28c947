"""psycopg2 and psycopg 3 against vdb serve: queries, parameters, transactions, errors."""

import psycopg
import psycopg2
import psycopg2.errors
import pytest


def setup_labels(conn):
    cur = conn.cursor()
    cur.execute(
        "CREATE TABLE labels (id bigint PRIMARY KEY, text text, label int, score double precision)"
    )
    cur.execute(
        "INSERT INTO labels VALUES (1, 'cat', 0, 0.25), (2, 'dog', 1, 0.5), (3, NULL, NULL, NULL)"
    )
    conn.commit()


def test_psycopg2_round_trips_rows_and_parameters(server):
    conn = psycopg2.connect(server.dsn())
    setup_labels(conn)
    cur = conn.cursor()
    cur.execute("SELECT id, text, label, score FROM labels WHERE id = %s", (2,))
    assert cur.fetchall() == [(2, "dog", 1, 0.5)]
    assert [d.name for d in cur.description] == ["id", "text", "label", "score"]
    cur.execute("INSERT INTO labels VALUES (%s, %s, %s, %s)", (4, "it's \\ \"quoted\"", None, 1e-7))
    conn.commit()
    cur.execute("SELECT text, label, score FROM labels WHERE id = 4")
    assert cur.fetchone() == ("it's \\ \"quoted\"", None, 1e-7)
    cur.execute("SELECT count(*), sum(label) FROM labels")
    assert cur.fetchone() == (4, 1)


def test_psycopg2_errors_carry_sqlstate_and_roll_back(server):
    conn = psycopg2.connect(server.dsn())
    setup_labels(conn)
    cur = conn.cursor()
    cur.execute("DELETE FROM labels WHERE id = 3")
    with pytest.raises(psycopg2.errors.UniqueViolation) as excinfo:
        cur.execute("INSERT INTO labels VALUES (1, 'again', 0, 0)")
    assert excinfo.value.pgcode == "23505"
    assert excinfo.value.diag.message_detail == "Key (id)=(1) already exists."
    with pytest.raises(psycopg2.errors.InFailedSqlTransaction):
        cur.execute("SELECT 1")
    conn.rollback()
    cur.execute("SELECT count(*) FROM labels")
    assert cur.fetchone() == (3,), "the DELETE in the failed transaction was rolled back"
    with pytest.raises(psycopg2.errors.UndefinedTable):
        cur.execute("SELECT * FROM nope")
    conn.rollback()
    with pytest.raises(psycopg2.errors.SyntaxError):
        cur.execute("SELEC 1")


def test_integrity_errors_name_their_schema_table_column_and_constraint(server):
    # psycopg's Diagnostic reads the ErrorResponse's s, t, c, n and D fields, as ORMs do to
    # tell which constraint failed.
    conn = psycopg.connect(server.dsn(), autocommit=True)
    conn.execute("CREATE TABLE parent (id int PRIMARY KEY)")
    conn.execute(
        "CREATE TABLE child (id int PRIMARY KEY, pid int REFERENCES parent, "
        "qty int CONSTRAINT qty_positive CHECK (qty > 0), note text NOT NULL DEFAULT 'n')"
    )
    conn.execute("INSERT INTO parent VALUES (1)")
    conn.execute("INSERT INTO child VALUES (1, 1, 1)")
    cases = [
        ("INSERT INTO child VALUES (1, 1, 1)", psycopg.errors.UniqueViolation,
         ("public", "child", None, "child_pkey"), "Key (id)=(1) already exists."),
        ("INSERT INTO child VALUES (2, 9, 1)", psycopg.errors.ForeignKeyViolation,
         ("public", "child", None, "child_pid_fkey"),
         'Key (pid)=(9) is not present in table "parent".'),
        ("DELETE FROM parent", psycopg.errors.ForeignKeyViolation,
         ("public", "child", None, "child_pid_fkey"),
         'Key (id)=(1) is still referenced from table "child".'),
        ("INSERT INTO child VALUES (2, 1, 0)", psycopg.errors.CheckViolation,
         ("public", "child", None, "qty_positive"), "Failing row contains (2, 1, 0, n)."),
        ("INSERT INTO child VALUES (2, 1, 1, NULL)", psycopg.errors.NotNullViolation,
         ("public", "child", "note", None), "Failing row contains (2, 1, 1, null)."),
    ]
    for sql, error, names, detail in cases:
        with pytest.raises(error) as excinfo:
            conn.execute(sql)
        diag = excinfo.value.diag
        assert (diag.schema_name, diag.table_name, diag.column_name,
                diag.constraint_name) == names, sql
        assert diag.message_detail == detail, sql


def test_prepared_statements_from_sql_and_parameter_column_names(server):
    conn = psycopg.connect(server.dsn(), autocommit=True)
    cur = conn.cursor()
    # A bare parameter is named ?column? whatever type the driver declares for it (psycopg 3
    # sends 1 as int2 and "x" as text), as PostgreSQL names it.
    cur.execute("SELECT %(a)s, %(b)s, %(a)s::int8 AS n", {"a": 1, "b": "x"})
    assert cur.fetchone() == (1, "x", 1)
    assert [d.name for d in cur.description] == ["?column?", "?column?", "n"]
    # EXECUTE over the extended protocol: Describe answers with the prepared statement's rows.
    cur.execute("PREPARE doubled (int) AS SELECT $1 * 2 AS d")
    cur.execute("EXECUTE doubled (21)")
    assert cur.fetchone() == (42,)
    assert [d.name for d in cur.description] == ["d"]
    cur.execute("DEALLOCATE doubled")
    with pytest.raises(psycopg.errors.InvalidSqlStatementName):
        cur.execute("EXECUTE doubled (1)")


def test_psycopg2_read_only_sessions_isolation_levels_and_callproc(server):
    conn = psycopg2.connect(server.dsn())
    setup_labels(conn)
    cur = conn.cursor()
    conn.set_session(readonly=True)
    cur.execute("SELECT count(*) FROM labels")
    assert cur.fetchone() == (3,)
    with pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
        cur.execute("DELETE FROM labels")
    conn.rollback()
    conn.set_session(readonly=False, isolation_level="SERIALIZABLE")
    cur.execute("SHOW transaction_isolation")
    assert cur.fetchone() == ("serializable",)
    cur.execute("DELETE FROM labels WHERE id = 3")
    conn.commit()
    cur.callproc("upper", ("abc",))
    assert cur.fetchone() == ("ABC",)


def test_psycopg2_commits_survive_a_server_restart(tmp_path):
    from conftest import start, stop

    srv = start(tmp_path / "db")
    conn = psycopg2.connect(srv.dsn())
    setup_labels(conn)
    conn.close()
    stop(srv)
    srv = start(tmp_path / "db")
    try:
        conn = psycopg2.connect(srv.dsn())
        cur = conn.cursor()
        cur.execute("SELECT id FROM labels ORDER BY id")
        assert cur.fetchall() == [(1,), (2,), (3,)]
    finally:
        stop(srv)


def test_psycopg3_binds_server_side_parameters(server):
    conn = psycopg.connect(server.dsn())
    setup_labels(conn)
    rows = conn.execute("SELECT id, text FROM labels WHERE id = %s", (1,)).fetchall()
    assert rows == [(1, "cat")]
    rows = conn.execute(
        "SELECT id FROM labels WHERE text = %s AND score > %s", ("dog", 0.1)
    ).fetchall()
    assert rows == [(2,)]
    # Prepared automatically after a few executions, then reused.
    for _ in range(8):
        assert conn.execute("SELECT text FROM labels WHERE id = %s", (2,)).fetchone() == ("dog",)
    # Binary results.
    rows = conn.execute("SELECT id, score FROM labels WHERE id = %s", (1,), binary=True).fetchall()
    assert rows == [(1, 0.25)]
    # jsonb's binary format carries a version byte; an empty array still names its element type.
    row = conn.execute(
        "SELECT '{\"a\": [1, 2]}'::jsonb, '{}'::int[], ARRAY['x', NULL]::text[]", binary=True
    ).fetchone()
    assert row == ({"a": [1, 2]}, [], ["x", None])
    conn.commit()


def test_psycopg3_executemany_and_transactions(server):
    conn = psycopg.connect(server.dsn())
    setup_labels(conn)
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO labels VALUES (%s, %s, %s, %s)",
            [(10 + i, f"row{i}", i % 2, i / 10) for i in range(20)],
        )
    conn.commit()
    assert conn.execute("SELECT count(*) FROM labels").fetchone() == (23,)
    with pytest.raises(psycopg.errors.UniqueViolation):
        with conn.transaction():
            conn.execute("INSERT INTO labels VALUES (%s, 'x', 0, 0)", (100,))
            conn.execute("INSERT INTO labels VALUES (%s, 'x', 0, 0)", (100,))
    assert conn.execute("SELECT count(*) FROM labels WHERE id = 100").fetchone() == (0,)


def test_branches_are_databases(server):
    conn = psycopg2.connect(server.dsn())
    setup_labels(conn)
    with pytest.raises(psycopg2.OperationalError) as excinfo:
        psycopg2.connect(server.dsn("nope"))
    assert 'database "nope" does not exist' in str(excinfo.value)


def test_copy_with_psycopg2_and_psycopg3(server):
    import io

    conn = psycopg2.connect(server.dsn())
    setup_labels(conn)
    cur = conn.cursor()
    cur.copy_expert(
        "COPY labels (id, text, label, score) FROM STDIN WITH (FORMAT csv)",
        io.StringIO('10,"a, b",1,0.5\n11,,0,\n'),
    )
    conn.commit()
    out = io.StringIO()
    cur.copy_expert("COPY (SELECT id, text FROM labels WHERE id >= 10 ORDER BY id) TO STDOUT", out)
    assert out.getvalue() == "10\ta, b\n11\t\\N\n"

    conn3 = psycopg.connect(server.dsn())
    with conn3.cursor() as cur3:
        with cur3.copy("COPY labels (id, text) FROM STDIN") as copy:
            for i in range(100, 110):
                copy.write_row((i, f"t{i}"))
        rows = []
        with cur3.copy("COPY (SELECT id FROM labels WHERE id >= 100 ORDER BY id) TO STDOUT") as copy:
            for row in copy.rows():
                rows.append(row)
    conn3.commit()
    assert [int(r[0]) for r in rows] == list(range(100, 110))


def test_multidimensional_arrays_come_back_as_nested_lists(server):
    conn = psycopg2.connect(server.dsn())
    cur = conn.cursor()
    cur.execute("CREATE TABLE grids (id int PRIMARY KEY, g int[], t text[])")
    cur.execute(
        "INSERT INTO grids VALUES (1, '{{1,2},{3,NULL}}', '{{\"a b\",c},{NULL,\"d\\\"e\"}}')"
    )
    conn.commit()
    cur.execute("SELECT g, t, array_dims(g) FROM grids")
    assert cur.fetchone() == ([[1, 2], [3, None]], [["a b", "c"], [None, 'd"e']], "[1:2][1:2]")
    cur.execute("SELECT %s::int[]", ([[5, 6], [7, 8]],))
    assert cur.fetchone() == ([[5, 6], [7, 8]],)
    with psycopg.connect(server.dsn()) as conn3:
        text = conn3.execute("SELECT g FROM grids").fetchone()
        assert text == ([[1, 2], [3, None]],)
        binary = conn3.cursor(binary=True).execute("SELECT g, '[0:1]={4,5}'::int[] FROM grids")
        assert binary.fetchone() == ([[1, 2], [3, None]], [4, 5])
        params = conn3.execute("SELECT array_ndims(%b)", ([[1, 2], [3, 4]],)).fetchone()
        assert params == (2,)


def test_startup_parameters_and_parameter_status(server):
    """The startup packet's parameters and PGOPTIONS switches reach the session; a SET of a
    reported parameter is announced in ParameterStatus, which psycopg 3 reads for timestamptz."""
    dsn = server.dsn() + " user=alice application_name=trainer options='-c search_path=ml,public'"
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute(
            "SELECT current_user, session_user, current_database(),"
            " current_setting('application_name'), current_setting('search_path')"
        ).fetchone() == ("alice", "alice", server.database, "trainer", "ml,public")
        info = conn.info
        assert info.parameter_status("session_authorization") == "alice"
        assert info.parameter_status("application_name") == "trainer"
        assert info.parameter_status("TimeZone") == "UTC"
        conn.execute("SET TIME ZONE 'Europe/Berlin'")
        assert info.parameter_status("TimeZone") == "Europe/Berlin"
        (ts,) = conn.execute("SELECT timestamptz '2024-06-01 12:00+00'").fetchone()
        assert (ts.utcoffset().total_seconds(), ts.hour) == (7200, 14)
        conn.execute("BEGIN")
        conn.execute("SET LOCAL DateStyle = 'ISO, DMY'")
        assert info.parameter_status("DateStyle") == "ISO, DMY"
        conn.execute("COMMIT")
        assert info.parameter_status("DateStyle") == "ISO, MDY"
        conn.execute("RESET ALL")
        assert info.parameter_status("TimeZone") == "UTC"
    with pytest.raises(psycopg.OperationalError, match="unrecognized configuration parameter"):
        psycopg.connect(server.dsn() + " options='-c no_such_setting=1'")


def test_binary_copy_round_trips_every_type(server):
    """psycopg 3's COPY ... (FORMAT BINARY) both ways: values of each type come back equal, a
    malformed stream is 22P04 and loads nothing."""
    import datetime
    import decimal
    import uuid

    from psycopg.types.json import Jsonb

    columns = [
        ("i2", "int2"), ("i4", "int4"), ("i8", "int8"), ("f4", "float4"), ("f8", "float8"),
        ("n", "numeric"), ("t", "text"), ("b", "bool"), ("y", "bytea"), ("d", "date"),
        ("tm", "time"), ("ts", "timestamp"), ("tz", "timestamptz"), ("iv", "interval"),
        ("u", "uuid"), ("j", "jsonb"), ("a", "int4[]"), ("ta", "text[]"),
    ]
    rows = [
        (1, 2, 3, 1.5, 2.25, decimal.Decimal("12.345"), "héllo\ttab", True, b"\x00\xff",
         datetime.date(2024, 1, 2), datetime.time(12, 34, 56, 500000),
         datetime.datetime(2024, 1, 2, 3, 4, 5, 123000),
         datetime.datetime(2024, 1, 2, 1, 4, 5, tzinfo=datetime.timezone.utc),
         datetime.timedelta(days=2, hours=3), uuid.UUID(int=7), Jsonb({"k": [1, None]}),
         [1, None, 3], ["a", "b c"]),
        (-4, None, None, None, -0.0, decimal.Decimal("-0.5"), "", False, b"",
         datetime.date(2000, 1, 1), datetime.time(0, 0), datetime.datetime(1999, 12, 31),
         datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc),
         datetime.timedelta(days=-1), uuid.UUID(int=0), Jsonb([]), [], None),
    ]
    names = ", ".join(name for name, _ in columns)
    types = [ty for _, ty in columns]
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE typed (id serial PRIMARY KEY, "
            + ", ".join(f"{name} {ty}" for name, ty in columns) + ")"
        )
        with conn.cursor() as cur:
            with cur.copy(f"COPY typed ({names}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
            with cur.copy(f"COPY (SELECT {names} FROM typed ORDER BY id) TO STDOUT (FORMAT BINARY)") as copy:
                copy.set_types(types)
                back = list(copy.rows())
        expected = [tuple(v.obj if isinstance(v, Jsonb) else v for v in row) for row in rows]
        assert back == expected
        # The text of what was loaded is what a SELECT shows.
        assert conn.execute("SELECT t, n::text, a::text FROM typed ORDER BY id").fetchall() == [
            ("héllo\ttab", "12.345", "{1,NULL,3}"), ("", "-0.5", "{}")]
        with pytest.raises(psycopg.errors.BadCopyFileFormat):
            with conn.cursor() as cur:
                with cur.copy("COPY typed (i2, i4) FROM STDIN (FORMAT BINARY)") as copy:
                    copy.set_types(["int2", "int4", "int8"])
                    copy.write_row((9, 9, 9))
        assert conn.execute("SELECT count(*) FROM typed").fetchone() == (2,)


def test_sql_functions_take_parameters_from_both_drivers(server):
    """A SQL function called with client-side (psycopg2) and server-side (psycopg 3)
    parameters, in select lists and in FROM, as PostgreSQL answers them."""
    conn = psycopg.connect(server.dsn(), autocommit=True)
    cur = conn.cursor()
    cur.execute("CREATE FUNCTION add_one(x int) RETURNS int LANGUAGE sql AS 'SELECT x + 1'")
    cur.execute(
        "CREATE FUNCTION upto(n int) RETURNS TABLE (a int, b text) LANGUAGE sql"
        " AS $$ SELECT g, g::text FROM generate_series(1, n) g $$"
    )
    cur.execute("SELECT add_one(%s)", (41,))
    assert cur.fetchall() == [(42,)]
    cur.execute("SELECT * FROM upto(%s)", (2,))
    assert cur.fetchall() == [(1, "1"), (2, "2")]
    assert [d.name for d in cur.description] == ["a", "b"]
    cur.execute("SELECT add_one(%s::int)", (None,))
    assert cur.fetchall() == [(None,)]
    with pytest.raises(psycopg.errors.UndefinedFunction):
        cur.execute("SELECT add_one(%s, %s)", (1, 2))
    conn2 = psycopg2.connect(server.dsn())
    cur2 = conn2.cursor()
    cur2.execute("SELECT add_one(%s), count(*) FROM upto(%s)", (1, 3))
    assert cur2.fetchall() == [(2, 3)]


def test_psycopg3_enum_info_finds_a_user_enum(server):
    """EnumInfo.fetch looks the type up with to_regtype(name) and joins pg_type to pg_enum."""
    from psycopg.types.enum import EnumInfo, register_enum

    conn = psycopg.connect(server.dsn(), autocommit=True)
    conn.execute("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')")
    conn.execute("CREATE TABLE moods (id int PRIMARY KEY, m mood)")
    conn.execute("INSERT INTO moods VALUES (1, 'happy'), (2, 'sad')")
    info = EnumInfo.fetch(conn, "mood")
    assert info is not None
    assert info.labels == ["sad", "ok", "happy"]
    assert EnumInfo.fetch(conn, "public.mood").oid == info.oid
    assert EnumInfo.fetch(conn, "no_such_type") is None
    register_enum(info, conn)
    rows = conn.execute("SELECT m FROM moods ORDER BY m").fetchall()
    assert [r[0].name for r in rows] == ["sad", "happy"]


def test_listen_notify_reaches_idle_listeners_at_commit(server):
    """NOTIFY and pg_notify reach every listener of the database when the sender commits
    (once per distinct payload, never on rollback), also a listener that sends nothing."""
    import select
    import threading
    import time

    listener = psycopg2.connect(server.dsn())
    listener.autocommit = True
    cur = listener.cursor()
    cur.execute("LISTEN jobs")
    cur.execute('LISTEN "Other"')
    sender = psycopg.connect(server.dsn(), autocommit=True)
    sender.execute("NOTIFY jobs, 'hello'")
    sender.execute("SELECT pg_notify('jobs', 'from a function')")
    with sender.transaction():
        sender.execute("NOTIFY jobs, 'in a transaction'")
        sender.execute("NOTIFY jobs, 'in a transaction'")
    with pytest.raises(RuntimeError):
        with sender.transaction():
            sender.execute("NOTIFY jobs, 'rolled back'")
            raise RuntimeError("roll back")
    sender.execute('NOTIFY "Other"')
    sender.execute("NOTIFY nobody_listens, 'x'")
    got = []
    deadline = time.time() + 10
    while time.time() < deadline and len(got) < 4:
        if select.select([listener], [], [], 1) != ([], [], []):
            listener.poll()
            while listener.notifies:
                n = listener.notifies.pop(0)
                got.append((n.channel, n.payload))
                assert n.pid > 0
    assert got == [
        ("jobs", "hello"),
        ("jobs", "from a function"),
        ("jobs", "in a transaction"),
        ("Other", ""),
    ]
    # psycopg 3's generator, woken by a notification sent while it waits.
    waiting = psycopg.connect(server.dsn(), autocommit=True)
    waiting.execute("LISTEN q")
    threading.Timer(0.3, lambda: sender.execute("NOTIFY q, 'later'")).start()
    received = [(n.channel, n.payload) for n in waiting.notifies(timeout=5, stop_after=1)]
    assert received == [("q", "later")]
    cur.execute("UNLISTEN *")
    sender.execute("NOTIFY jobs, 'after unlisten'")
    time.sleep(0.3)
    listener.poll()
    assert listener.notifies == []
    with pytest.raises(psycopg.errors.InvalidParameterValue):
        sender.execute("SELECT pg_notify('', 'x')")
    for conn in (listener, sender, waiting):
        conn.close()


def test_range_columns_read_and_bind_as_driver_range_objects(server):
    import datetime

    from psycopg.types.range import Range
    from psycopg2.extras import DateRange, NumericRange

    conn = psycopg2.connect(server.dsn())
    cur = conn.cursor()
    cur.execute("CREATE TABLE windows (id int PRIMARY KEY, r int4range, d daterange)")
    cur.execute(
        "INSERT INTO windows VALUES (%s, %s, %s)",
        (1, NumericRange(1, 5, "[]"), DateRange(datetime.date(2024, 1, 1), datetime.date(2024, 2, 1))),
    )
    conn.commit()
    cur.execute("SELECT r, d, r @> %s, upper(r) FROM windows", (5,))
    assert cur.fetchone() == (
        NumericRange(1, 6, "[)"),
        DateRange(datetime.date(2024, 1, 1), datetime.date(2024, 2, 1), "[)"),
        True,
        6,
    )
    with pytest.raises(psycopg2.errors.InvalidTextRepresentation):
        cur.execute("INSERT INTO windows VALUES (2, 'not a range', NULL)")
    conn.rollback()

    conn3 = psycopg.connect(server.dsn(), autocommit=True)
    conn3.execute("INSERT INTO windows VALUES (%s, %s, NULL)", (2, Range(3, 9)))
    rows = conn3.execute(
        "SELECT id, r FROM windows WHERE r && %s ORDER BY r", (Range(4, 5),)
    ).fetchall()
    assert rows == [(1, Range(1, 6, "[)")), (2, Range(3, 9, "[)"))]
    assert conn3.execute("SELECT r * %s FROM windows WHERE id = 2", (Range(5, 20),)).fetchone() == (
        Range(5, 9, "[)"),
    )


def test_a_deferred_foreign_key_stays_deferred_when_the_first_write_runs_again(server):
    # Another session's commit moves the working root after BEGIN, so the block's first write
    # runs again on the newest root (READ COMMITTED); the deferred key must stay deferred.
    other = psycopg2.connect(server.dsn())
    other.autocommit = True
    other.cursor().execute(
        "CREATE TABLE rc_p (id int PRIMARY KEY);"
        " CREATE TABLE rc_c (pid int REFERENCES rc_p DEFERRABLE INITIALLY DEFERRED);"
        " CREATE TABLE rc_other (x int)"
    )
    conn = psycopg2.connect(server.dsn())
    cur = conn.cursor()
    cur.execute("SELECT 1")
    other.cursor().execute("INSERT INTO rc_other VALUES (1)")
    cur.execute("INSERT INTO rc_c VALUES (7)")
    cur.execute("INSERT INTO rc_p VALUES (7)")
    conn.commit()
    cur.execute("SELECT pid FROM rc_c")
    assert cur.fetchall() == [(7,)]

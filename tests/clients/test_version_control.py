"""Version control from a PostgreSQL client: the ML workflow of the tutorial (docs/tutorial.md)
driven through psycopg2, psycopg 3, pandas and SQLAlchemy against `vdb serve`."""

import pandas as pd
import psycopg
import psycopg2
import psycopg2.errors
import pytest
import sqlalchemy as sa


def labels_history(conn):
    """Labels committed twice (tag v1, then a relabelling pass), and model scores."""
    cur = conn.cursor()
    cur.execute("CREATE TABLE labels (id bigint PRIMARY KEY, label int)")
    cur.execute("INSERT INTO labels SELECT i, i % 2 FROM generate_series(1, 10) AS s(i)")
    cur.execute("CREATE TABLE scores (id bigint PRIMARY KEY, predicted int)")
    cur.execute("INSERT INTO scores SELECT i, 1 FROM generate_series(1, 10) AS s(i)")
    conn.commit()
    cur.execute("SELECT vdb_commit('-Am', 'first labels')")
    first = cur.fetchone()[0]
    cur.execute("SELECT vdb_tag('v1')")
    cur.execute("UPDATE labels SET label = 1 WHERE id IN (2, 4)")
    cur.execute("SELECT vdb_commit('-am', 'relabel 2 and 4')")
    second = cur.fetchone()[0]
    conn.commit()
    return first, second


def test_model_accuracy_across_label_commits_in_one_query(server):
    conn = psycopg2.connect(server.dsn())
    first, second = labels_history(conn)
    assert len(first) == 40 and first != second
    cur = conn.cursor()
    cur.execute(
        """
        SELECT avg(CASE WHEN s.predicted = a.label THEN 1.0 ELSE 0.0 END) AS at_v1,
               avg(CASE WHEN s.predicted = b.label THEN 1.0 ELSE 0.0 END) AS at_head
        FROM scores s
        JOIN labels AS OF 'v1' a ON a.id = s.id
        JOIN labels AS OF %s b ON b.id = s.id
        """,
        (second,),
    )
    at_v1, at_head = cur.fetchone()
    assert (float(at_v1), float(at_head)) == (0.5, 0.7)
    cur.execute("SELECT message FROM vdb.log ORDER BY date DESC, message LIMIT 2")
    assert {r[0] for r in cur.fetchall()} == {"first labels", "relabel 2 and 4"}
    cur.execute(
        "SELECT to_id, from_label, to_label, diff_type FROM vdb_diff('v1', 'HEAD', 'labels') ORDER BY to_id"
    )
    assert cur.fetchall() == [(2, 0, 1, "modified"), (4, 0, 1, "modified")]


def test_branch_merge_and_conflicts_from_psycopg3(server):
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        labels_history(conn)
        conn.execute("SELECT vdb_checkout('-b', 'annotator')")
        assert conn.execute("SELECT active_branch()").fetchone() == ("annotator",)
        conn.execute("UPDATE labels SET label = 7 WHERE id = 1")
        conn.execute("SELECT vdb_commit('-am', 'annotator fixes 1')")
        conn.execute("SELECT vdb_checkout('main')")
        conn.execute("UPDATE labels SET label = 8 WHERE id = 1")
        conn.execute("SELECT vdb_commit('-am', 'main fixes 1')")
        row = conn.execute("SELECT fast_forward, conflicts FROM vdb_merge('annotator')").fetchone()
        assert row == (False, 1)
        assert conn.execute(
            "SELECT our_label, their_label FROM vdb_conflicts_labels"
        ).fetchall() == [(8, 7)]
        conn.execute("SELECT vdb_conflicts_resolve('--ours', 'labels')")
        conn.execute("SELECT vdb_commit('-m', 'keep ours')")
        assert conn.execute("SELECT label FROM labels WHERE id = 1").fetchone() == (8,)
        # Row 1 kept ours, so blame names main's fix, not the merge.
        assert conn.execute(
            "SELECT message FROM vdb_blame_labels WHERE id = 1"
        ).fetchone() == ("main fixes 1",)
        # A branch's connection sees that branch; a tag's connection is read-only.
    with psycopg.connect(server.dsn(server.database + "/annotator")) as conn:
        assert conn.execute("SELECT label FROM labels WHERE id = 1").fetchone() == (7,)
    with psycopg.connect(server.dsn(server.database + "/v1")) as conn:
        assert conn.execute("SELECT label FROM labels WHERE id = 2").fetchone() == (0,)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("UPDATE labels SET label = 3")


def test_errors_carry_sqlstate_and_keep_the_session(server):
    conn = psycopg2.connect(server.dsn())
    conn.autocommit = True
    labels_history(conn)
    cur = conn.cursor()
    with pytest.raises(psycopg2.errors.UndefinedObject) as err:
        cur.execute("SELECT * FROM labels AS OF 'no-such-rev'")
    assert "no-such-rev" in str(err.value)
    with pytest.raises(psycopg2.errors.InvalidParameterValue):
        cur.execute("SELECT vdb_commit('--no-such-flag')")
    with pytest.raises(psycopg2.errors.FeatureNotSupported):
        cur.execute("SELECT vdb_commit('-am', 'x') FROM labels")
    cur.execute("SELECT count(*) FROM labels")
    assert cur.fetchone() == (10,)


def test_pandas_reads_history_and_sqlalchemy_reflects_the_vdb_schema(server):
    conn = psycopg2.connect(server.dsn())
    labels_history(conn)
    engine = sa.create_engine(server.url("psycopg2"))
    history = pd.read_sql("SELECT id, label, commit_hash FROM vdb_history_labels WHERE id = 2", engine)
    assert sorted(history["label"].tolist()) == [0, 1]
    inspector = sa.inspect(engine)
    assert "log" in inspector.get_table_names(schema="vdb")
    assert "vdb_history_labels" not in inspector.get_table_names()
    assert set(inspector.get_table_names()) == {"labels", "scores"}
    columns = {c["name"] for c in inspector.get_columns("branches", schema="vdb")}
    assert {"name", "hash", "latest_commit_date"} <= columns
    log = sa.Table("log", sa.MetaData(), schema="vdb", autoload_with=engine)
    with engine.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(log)).scalar() == 3

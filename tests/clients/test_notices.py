"""NOTICE and WARNING messages as clients see them: psycopg2's `conn.notices` (simple
protocol), psycopg 3's notice handlers (extended protocol) and psql's stderr. Every expected
text was copied from what the same client printed against PostgreSQL 15."""

import shutil
import subprocess

import psycopg
import psycopg2
import pytest

PSQL = shutil.which("psql")

CASCADE_SETUP = (
    "CREATE TABLE nt (a int); CREATE VIEW nv1 AS SELECT * FROM nt; "
    "CREATE VIEW nv2 AS SELECT * FROM nv1"
)


def test_psycopg2_collects_notices_and_warnings(server):
    conn = psycopg2.connect(server.dsn())
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("DROP TABLE IF EXISTS nosuch_x")
    cur.execute(CASCADE_SETUP)
    cur.execute("DROP TABLE nt CASCADE")
    cur.execute("COMMIT")
    assert conn.notices == [
        'NOTICE:  table "nosuch_x" does not exist, skipping\n',
        "NOTICE:  drop cascades to 2 other objects\n"
        "DETAIL:  drop cascades to view nv1\ndrop cascades to view nv2\n",
        "WARNING:  there is no transaction in progress\n",
    ]
    conn.close()

    # Outside autocommit psycopg2 opens the block itself; a second BEGIN warns.
    conn = psycopg2.connect(server.dsn())
    cur = conn.cursor()
    cur.execute("DROP TABLE IF EXISTS nosuch_y")
    cur.execute("BEGIN")
    conn.commit()
    assert conn.notices == [
        'NOTICE:  table "nosuch_y" does not exist, skipping\n',
        "WARNING:  there is already a transaction in progress\n",
    ]
    conn.close()


def test_psycopg3_notice_handlers_get_every_field(server):
    got = []
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        conn.add_notice_handler(
            lambda d: got.append(
                (
                    d.severity,
                    d.severity_nonlocalized,
                    d.sqlstate,
                    d.message_primary,
                    d.message_detail,
                )
            )
        )
        conn.execute("DROP VIEW IF EXISTS nosuch_v")
        conn.execute("CREATE TABLE nt (a int)")
        conn.execute("CREATE VIEW nv1 AS SELECT * FROM nt")
        conn.execute("CREATE VIEW nv2 AS SELECT * FROM nv1")
        conn.execute("DROP TABLE nt CASCADE")
        conn.execute("CREATE TABLE IF NOT EXISTS nv1 (a int)")
        conn.execute("ROLLBACK")
        conn.execute("SET client_min_messages = warning")
        conn.execute("DROP VIEW IF EXISTS nosuch_v")
        conn.execute("COMMIT")
    assert got == [
        ("NOTICE", "NOTICE", "00000", 'view "nosuch_v" does not exist, skipping', None),
        (
            "NOTICE",
            "NOTICE",
            "00000",
            "drop cascades to 2 other objects",
            "drop cascades to view nv1\ndrop cascades to view nv2",
        ),
        ("WARNING", "WARNING", "25P01", "there is no transaction in progress", None),
        ("WARNING", "WARNING", "25P01", "there is no transaction in progress", None),
    ]


def test_psycopg3_notices_come_before_the_error_of_their_statement(server):
    got = []
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        conn.add_notice_handler(lambda d: got.append(d.message_primary))
        conn.execute("CREATE TABLE p (a int PRIMARY KEY)")
        conn.execute("CREATE TABLE c (x int REFERENCES p (a))")
        with pytest.raises(psycopg.errors.DependentObjectsStillExist):
            conn.execute("DROP TABLE IF EXISTS p, nosuch")
    assert got == ['table "nosuch" does not exist, skipping']


@pytest.mark.skipif(PSQL is None, reason="psql is not installed")
def test_psql_prints_notices_on_stderr(server):
    result = subprocess.run(
        [
            PSQL,
            "-X",
            "-h",
            "127.0.0.1",
            "-p",
            str(server.port),
            "-d",
            server.database,
            "-c",
            "DROP TABLE IF EXISTS nosuch",
            "-c",
            "CREATE SCHEMA s; CREATE SCHEMA IF NOT EXISTS s",
            "-c",
            "COMMIT",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    assert result.stdout == "DROP TABLE\nCREATE SCHEMA\nCREATE SCHEMA\nCOMMIT\n"
    assert result.stderr == (
        'NOTICE:  table "nosuch" does not exist, skipping\n'
        'NOTICE:  schema "s" already exists, skipping\n'
        "WARNING:  there is no transaction in progress\n"
    )

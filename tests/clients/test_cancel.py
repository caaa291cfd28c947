"""Stopping running statements over the wire: a client's CancelRequest (psycopg2's and
psycopg 3's `cancel()`, in the simple and the extended protocol) and `statement_timeout`.
Each stopped statement fails with 57014, leaves the transaction as PostgreSQL does, and the
connection and the data stay usable."""

import threading
import time

import psycopg
import psycopg2
import psycopg2.errors
import pytest

# A query that would run for minutes if nothing stopped it: it scans a 100-million-row cross
# product and keeps no rows.
ENDLESS_SCAN = (
    "SELECT count(*) FROM generate_series(1, 10000) a, generate_series(1, 10000) b "
    "WHERE a.a + b.b < 0"
)


def cancel_soon(conn, delay=0.5):
    timer = threading.Timer(delay, conn.cancel)
    timer.start()
    return timer


@pytest.mark.parametrize("query", ["SELECT pg_sleep(60)", ENDLESS_SCAN])
def test_psycopg2_cancel_outside_a_block(server, query):
    conn = psycopg2.connect(server.dsn())
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("CREATE TABLE kept (id int PRIMARY KEY, v text)")
    cur.execute("INSERT INTO kept VALUES (1, 'one')")
    started = time.monotonic()
    timer = cancel_soon(conn)
    with pytest.raises(psycopg2.errors.QueryCanceled) as err:
        cur.execute(query)
    timer.join()
    assert err.value.pgcode == "57014"
    assert "canceling statement due to user request" in str(err.value)
    # Stopped by the cancel, not by running to its end.
    assert time.monotonic() - started < 30
    assert conn.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_IDLE
    cur.execute("SELECT v FROM kept WHERE id = 1")
    assert cur.fetchall() == [("one",)]
    conn.close()


def test_psycopg2_cancel_fails_the_block_and_loses_its_writes(server):
    conn = psycopg2.connect(server.dsn())
    cur = conn.cursor()
    cur.execute("CREATE TABLE t (id int PRIMARY KEY)")
    conn.commit()
    cur.execute("INSERT INTO t VALUES (1)")
    timer = cancel_soon(conn)
    with pytest.raises(psycopg2.errors.QueryCanceled):
        cur.execute(ENDLESS_SCAN)
    timer.join()
    assert conn.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_INERROR
    with pytest.raises(psycopg2.errors.InFailedSqlTransaction):
        cur.execute("SELECT 1")
    conn.rollback()
    cur.execute("SELECT count(*) FROM t")
    assert cur.fetchone() == (0,)
    conn.close()


def test_psycopg3_cancel_in_the_extended_protocol(server):
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        timer = cancel_soon(conn)
        with pytest.raises(psycopg.errors.QueryCanceled):
            # A parameter makes psycopg 3 use Parse/Bind/Execute.
            conn.execute("SELECT pg_sleep(%s)", (60,))
        timer.join()
        # The session is free again at once: the next statement does not wait for the old one.
        assert conn.execute("SELECT %s::int + 1", (41,)).fetchone() == (42,)


def test_statement_timeout(server):
    conn = psycopg2.connect(server.dsn())
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SET statement_timeout = '200ms'")
    cur.execute("SHOW statement_timeout")
    assert cur.fetchone() == ("200ms",)
    for query in ["SELECT pg_sleep(60)", ENDLESS_SCAN]:
        with pytest.raises(psycopg2.errors.QueryCanceled) as err:
            cur.execute(query)
        assert "canceling statement due to statement timeout" in str(err.value)
    # Quick statements still run, and 0 turns the limit off.
    cur.execute("SELECT pg_sleep(0.01)")
    cur.execute("SET statement_timeout = 0")
    cur.execute("SELECT count(*) FROM generate_series(1, 1000)")
    assert cur.fetchone() == (1000,)
    conn.close()

"""Advisory locks over the wire (pg_advisory_lock and its family), between real sessions:
exclusive against shared, re-entrant takes, a waiter woken by the unlock, transaction-level
locks let go at COMMIT, every lock let go when its session disconnects, and a wait stopped by
statement_timeout (57014) with the server still serving."""

import threading
import time

import psycopg2
import psycopg2.errors
import pytest


def connect(server):
    conn = psycopg2.connect(server.dsn())
    conn.autocommit = True
    return conn


def one(conn, sql):
    cur = conn.cursor()
    cur.execute(sql)
    return cur.fetchone()[0]


def test_exclusive_shared_and_reentrant_locks(server):
    a, b = connect(server), connect(server)
    one(a, "SELECT pg_advisory_lock(42)")
    one(a, "SELECT pg_advisory_lock(42)")
    assert one(b, "SELECT pg_try_advisory_lock(42)") is False
    assert one(b, "SELECT pg_try_advisory_lock_shared(42)") is False
    # The two-integer form is a key space of its own.
    assert one(b, "SELECT pg_try_advisory_lock(0, 42)") is True
    assert one(a, "SELECT pg_advisory_unlock(42)") is True
    assert one(b, "SELECT pg_try_advisory_lock(42)") is False, "one take is left"
    assert one(a, "SELECT pg_advisory_unlock(42)") is True
    assert one(a, "SELECT pg_advisory_unlock(42)") is False
    assert "you don't own a lock of type ExclusiveLock" in a.notices[-1]
    assert one(a, "SELECT pg_try_advisory_lock_shared(42)") is True
    assert one(b, "SELECT pg_try_advisory_lock_shared(42)") is True
    assert one(b, "SELECT pg_try_advisory_lock(42)") is False
    one(a, "SELECT pg_advisory_unlock_all()")
    assert one(b, "SELECT pg_advisory_unlock_shared(42)") is True
    assert one(b, "SELECT pg_try_advisory_lock(42)") is True


def test_a_waiter_gets_the_lock_when_it_is_unlocked(server):
    a, b = connect(server), connect(server)
    one(a, "SELECT pg_advisory_lock(7)")
    waited = {}

    def wait():
        started = time.monotonic()
        one(b, "SELECT pg_advisory_lock(7)")
        waited["seconds"] = time.monotonic() - started

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.5)
    assert waiter.is_alive(), "b waits while a holds the lock"
    assert one(a, "SELECT pg_advisory_unlock(7)") is True
    waiter.join(timeout=10)
    assert not waiter.is_alive()
    assert waited["seconds"] >= 0.4
    assert one(a, "SELECT pg_try_advisory_lock(7)") is False


def test_transaction_locks_end_with_the_transaction_and_session_locks_with_the_session(server):
    a, b = connect(server), connect(server)
    a.autocommit = False
    one(a, "SELECT pg_advisory_xact_lock(5)")
    assert one(b, "SELECT pg_try_advisory_lock(5)") is False
    a.commit()
    assert one(b, "SELECT pg_try_advisory_lock(5)") is True
    b.close()
    # The server lets b's session locks go when it reads b's Terminate, a moment after close()
    # returns (as PostgreSQL's backend exits after the client has gone): a waits for that.
    deadline = time.monotonic() + 10
    while not one(a, "SELECT pg_try_advisory_lock(5)"):
        assert time.monotonic() < deadline, "b's session lock outlived its connection"
        a.commit()
        time.sleep(0.05)
    a.commit()


def test_a_wait_stops_at_statement_timeout(server):
    a, b = connect(server), connect(server)
    one(a, "SELECT pg_advisory_lock(3)")
    b.cursor().execute("SET statement_timeout = 300")
    with pytest.raises(psycopg2.errors.QueryCanceled) as err:
        one(b, "SELECT pg_advisory_lock(3)")
    assert err.value.pgcode == "57014"
    assert one(b, "SELECT 1") == 1
    one(a, "SELECT pg_advisory_unlock(3)")
    assert one(b, "SELECT pg_try_advisory_lock(3)") is True

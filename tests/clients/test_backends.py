"""The server's backends as clients see them: `pg_backend_pid()` agrees with the process ID
the client was given, `pg_stat_activity` lists each connection with its state and statement,
and `pg_cancel_backend` / `pg_terminate_backend` stop another session as PostgreSQL's do."""

import threading
import time

import psycopg
import psycopg2
import psycopg2.errors
import pytest


def activity(cur, pid):
    cur.execute(
        "SELECT datname, usename, application_name, state, query, xact_start IS NOT NULL, "
        "client_addr, backend_type FROM pg_stat_activity WHERE pid = %s",
        (pid,),
    )
    return cur.fetchall()


def test_backend_pid_is_the_one_the_client_was_given(server):
    with psycopg.connect(server.dsn(), autocommit=True) as a, psycopg.connect(
        server.dsn(), autocommit=True
    ) as b:
        pid_a = a.execute("SELECT pg_backend_pid()").fetchone()[0]
        pid_b = b.execute("SELECT pg_backend_pid()").fetchone()[0]
        assert pid_a == a.info.backend_pid
        assert pid_b == b.info.backend_pid
        assert pid_a != pid_b


def test_pg_stat_activity_shows_each_connection_and_its_state(server):
    watcher = psycopg2.connect(server.dsn(), application_name="watcher")
    watcher.autocommit = True
    other = psycopg2.connect(server.dsn(), application_name="worker")
    cur = watcher.cursor()
    pid = other.get_backend_pid()

    # Connected, nothing run yet.
    [(datname, user, app, state, query, in_xact, addr, kind)] = activity(cur, pid)
    assert (datname, app, state, query, in_xact) == (server.database, "worker", "idle", "", False)
    assert user == "tester" and addr == "127.0.0.1" and kind == "client backend"

    # psycopg2 opens a block with the first statement: idle in transaction, with its text.
    other.cursor().execute("SELECT 41 + 1")
    [(_, _, _, state, query, in_xact, _, _)] = activity(cur, pid)
    assert (state, query, in_xact) == ("idle in transaction", "SELECT 41 + 1", True)

    with pytest.raises(psycopg2.errors.DivisionByZero):
        other.cursor().execute("SELECT 1 / 0")
    [(_, _, _, state, _, _, _, _)] = activity(cur, pid)
    assert state == "idle in transaction (aborted)"
    other.rollback()
    [(_, _, _, state, query, in_xact, _, _)] = activity(cur, pid)
    assert (state, query, in_xact) == ("idle", "ROLLBACK", False)

    # The watcher's own row shows its running statement.
    cur.execute("SELECT state, query FROM pg_stat_activity WHERE pid = pg_backend_pid()")
    [(state, query)] = cur.fetchall()
    assert state == "active" and query.startswith("SELECT state, query FROM pg_stat_activity")

    # A closed connection leaves the list.
    other.close()
    deadline = time.monotonic() + 10
    while activity(cur, pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert activity(cur, pid) == []
    watcher.close()


def test_pg_cancel_backend_stops_another_sessions_statement(server):
    victim = psycopg2.connect(server.dsn())
    victim.autocommit = True
    pid = victim.get_backend_pid()
    killer = psycopg2.connect(server.dsn())
    killer.autocommit = True
    kcur = killer.cursor()

    def cancel_when_running():
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            kcur.execute("SELECT state FROM pg_stat_activity WHERE pid = %s", (pid,))
            if kcur.fetchone() == ("active",):
                kcur.execute("SELECT pg_cancel_backend(%s)", (pid,))
                assert kcur.fetchone() == (True,)
                return
            time.sleep(0.05)

    thread = threading.Thread(target=cancel_when_running)
    thread.start()
    started = time.monotonic()
    with pytest.raises(psycopg2.errors.QueryCanceled):
        victim.cursor().execute("SELECT pg_sleep(60)")
    thread.join()
    assert time.monotonic() - started < 30
    # The victim's connection goes on.
    cur = victim.cursor()
    cur.execute("SELECT 1")
    assert cur.fetchone() == (1,)
    # No such backend: false, as PostgreSQL answers (with a warning there).
    kcur.execute("SELECT pg_cancel_backend(2147483000)")
    assert kcur.fetchone() == (False,)
    victim.close()
    killer.close()


def test_pg_terminate_backend_ends_another_connection_and_keeps_committed_data(server):
    setup = psycopg2.connect(server.dsn())
    setup.autocommit = True
    setup.cursor().execute("CREATE TABLE kept (id int PRIMARY KEY)")
    setup.cursor().execute("INSERT INTO kept VALUES (1)")

    victim = psycopg2.connect(server.dsn())
    pid = victim.get_backend_pid()
    vcur = victim.cursor()
    vcur.execute("INSERT INTO kept VALUES (2)")  # left uncommitted in an open block

    cur = setup.cursor()
    cur.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE pid <> pg_backend_pid() AND datname = current_database()"
    )
    assert cur.fetchall() == [(True,)]
    # The idle victim learns of it on its next statement: the connection is gone.
    with pytest.raises(psycopg2.OperationalError):
        vcur.execute("SELECT 1")
    assert victim.closed

    deadline = time.monotonic() + 10
    while activity(cur, pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert activity(cur, pid) == []
    cur.execute("SELECT id FROM kept ORDER BY id")
    assert cur.fetchall() == [(1,)]
    setup.close()


def test_terminated_client_gets_57P01(server):
    with psycopg.connect(server.dsn(), autocommit=True) as killer:
        victim = psycopg.connect(server.dsn(), autocommit=True)
        pid = victim.info.backend_pid
        assert killer.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
        with pytest.raises(psycopg.OperationalError) as err:
            victim.execute("SELECT 1")
        # The FATAL arrived before the socket closed.
        assert "terminating connection due to administrator command" in str(err.value)
        victim.close()


def test_client_address_and_current_query(server):
    with psycopg2.connect(server.dsn()) as conn:
        cur = conn.cursor()
        cur.execute("SELECT inet_client_addr(), inet_client_port(), current_query()")
        addr, port, query = cur.fetchone()
        assert addr == "127.0.0.1" and port > 0
        assert query == "SELECT inet_client_addr(), inet_client_port(), current_query()"
        # The port is the client's end of this connection, as pg_stat_activity shows it.
        cur.execute("SELECT client_port FROM pg_stat_activity WHERE pid = pg_backend_pid()")
        assert cur.fetchone() == (port,)

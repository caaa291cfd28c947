"""Logins (SCRAM-SHA-256 with psycopg2, psycopg 3 and psql; wrong passwords), TLS with
sslmode=require, command tags of writes with RETURNING (cursor.rowcount), and server-side
cursors (psycopg2 named cursors, psycopg 3 ServerCursor) against a real `vdb serve`. The TLS
certificate is made here with the openssl CLI; no key is committed."""

import os
import subprocess

import psycopg
import psycopg2
import psycopg2.errors
import pytest

from conftest import start, stop

PASSWORD = "s3cret pass"


def hash_password(password):
    out = subprocess.run(
        [os.environ["VDB_BIN"], "serve", "--hash-password"],
        input=password + "\n",
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


@pytest.fixture
def secured(tmp_path):
    """A server with users alice (by SCRAM verifier) and bob (plaintext in the file), and TLS."""
    cert, key = tmp_path / "server.crt", tmp_path / "server.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    verifier = hash_password(PASSWORD)
    assert verifier.startswith("SCRAM-SHA-256$4096:")
    config = tmp_path / "vdb.toml"
    config.write_text(
        f'''
max_connections = 20
auth = "scram-sha-256"
tls_cert = "server.crt"
tls_key = "server.key"

[[users]]
name = "alice"
password = "{verifier}"

[[users]]
name = "bob"
password = "builder"
'''
    )
    srv = start(tmp_path / "db", "--config", str(config))
    yield srv
    stop(srv)


def test_scram_logins_with_psycopg2_and_psycopg3(secured):
    dsn = f"host=127.0.0.1 port={secured.port} dbname={secured.database}"
    conn = psycopg2.connect(f"{dsn} user=alice password='{PASSWORD}' sslmode=disable")
    cur = conn.cursor()
    cur.execute("SELECT current_user IS NOT NULL, 1")
    assert cur.fetchone() == (True, 1)
    conn.close()
    with psycopg.connect(f"{dsn} user=bob password=builder sslmode=disable") as conn:
        assert conn.execute("SELECT 2").fetchone() == (2,)
    for user, password in [("alice", "wrong"), ("bob", PASSWORD), ("nobody", "x")]:
        with pytest.raises(psycopg.OperationalError) as excinfo:
            psycopg.connect(f"{dsn} user={user} password='{password}' sslmode=disable")
        assert "password authentication failed" in str(excinfo.value)
        with pytest.raises(psycopg2.OperationalError):
            psycopg2.connect(f"{dsn} user={user} password='{password}' sslmode=disable")


def test_tls_with_sslmode_require(secured):
    dsn = f"host=127.0.0.1 port={secured.port} dbname={secured.database} user=alice password='{PASSWORD}'"
    with psycopg.connect(dsn + " sslmode=require") as conn:
        assert conn.info.pgconn.ssl_in_use
        assert conn.execute("SELECT 'over tls'").fetchone() == ("over tls",)
    conn = psycopg2.connect(dsn + " sslmode=require")
    cur = conn.cursor()
    cur.execute("SELECT 1")
    assert cur.fetchone() == (1,)
    conn.close()
    out = subprocess.run(
        ["psql", dsn + " sslmode=require", "-Atc", "SELECT 40 + 2"],
        capture_output=True, text=True, env={**os.environ, "PGCONNECT_TIMEOUT": "10"},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "42"


def test_ssl_is_refused_without_tls(server):
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(server.dsn() + " sslmode=require")
    with psycopg.connect(server.dsn() + " sslmode=prefer") as conn:
        assert not conn.info.pgconn.ssl_in_use


def test_a_non_loopback_server_without_users_does_not_start(tmp_path):
    out = subprocess.run(
        [os.environ["VDB_BIN"], "serve", "--data-dir", str(tmp_path / "db"),
         "--host", "0.0.0.0", "--port", "1"],
        capture_output=True, text=True, timeout=30,
    )
    assert out.returncode != 0
    assert "without authentication" in out.stderr


def test_rowcount_after_insert_returning(server):
    conn = psycopg2.connect(server.dsn())
    cur = conn.cursor()
    cur.execute("CREATE TABLE t (id serial PRIMARY KEY, v text)")
    cur.execute("INSERT INTO t (v) VALUES ('a'), ('b'), ('c') RETURNING id")
    assert cur.rowcount == 3
    assert cur.statusmessage == "INSERT 0 3"
    assert sorted(r[0] for r in cur.fetchall()) == [1, 2, 3]
    cur.execute("UPDATE t SET v = 'z' WHERE id < 3 RETURNING v")
    assert (cur.rowcount, cur.statusmessage) == (2, "UPDATE 2")
    cur.execute("DELETE FROM t WHERE id = 3 RETURNING *")
    assert (cur.rowcount, cur.statusmessage) == (1, "DELETE 1")
    conn.commit()
    with psycopg.connect(server.dsn()) as conn3:
        cur = conn3.execute("INSERT INTO t (v) VALUES (%s), (%s) RETURNING id", ["x", "y"])
        assert cur.rowcount == 2
        assert cur.statusmessage == "INSERT 0 2"
        cur = conn3.execute("UPDATE t SET v = %s RETURNING id", ["w"])
        assert (cur.rowcount, cur.statusmessage) == (4, "UPDATE 4")


def test_psycopg2_named_cursors(server):
    conn = psycopg2.connect(server.dsn())
    cur = conn.cursor()
    cur.execute("CREATE TABLE n (i int PRIMARY KEY)")
    cur.execute("INSERT INTO n SELECT generate_series(1, 25)")
    conn.commit()
    named = conn.cursor(name="c1")
    named.itersize = 4
    named.execute("SELECT i FROM n ORDER BY i")
    assert named.fetchone() == (1,)
    assert named.fetchmany(3) == [(2,), (3,), (4,)]
    assert [r[0] for r in named] == list(range(5, 26))
    named.close()
    scroll = conn.cursor(name="c2", scrollable=True)
    scroll.execute("SELECT i FROM n WHERE i <= %s ORDER BY i", (10,))
    scroll.scroll(7, mode="absolute")
    assert scroll.fetchone() == (8,)
    scroll.scroll(-3)
    assert scroll.fetchone() == (6,)
    assert scroll.fetchall() == [(7,), (8,), (9,), (10,)]
    scroll.close()
    conn.commit()
    held = conn.cursor(name="c3", withhold=True)
    held.execute("SELECT i FROM n ORDER BY i DESC")
    conn.commit()
    assert held.fetchmany(2) == [(25,), (24,)]
    held.close()
    with pytest.raises(psycopg2.errors.InvalidCursorName):
        cur.execute("FETCH 1 FROM nope")
    conn.rollback()


def test_psycopg3_server_cursors(server):
    with psycopg.connect(server.dsn()) as conn:
        conn.execute("CREATE TABLE m (i int PRIMARY KEY, s text)")
        conn.execute("INSERT INTO m SELECT g, 'r' || g FROM generate_series(1, 12) g")
        conn.commit()
        with conn.cursor(name="sc") as cur:
            cur.itersize = 5
            cur.execute("SELECT i, s FROM m WHERE i > %s ORDER BY i", [2])
            assert [d.name for d in cur.description] == ["i", "s"]
            assert cur.fetchone() == (3, "r3")
            assert cur.fetchmany(2) == [(4, "r4"), (5, "r5")]
            assert [r[0] for r in cur] == list(range(6, 13))
        with conn.cursor(name="sc2", scrollable=True) as cur:
            cur.execute("SELECT i FROM m ORDER BY i")
            cur.scroll(10, mode="absolute")
            assert cur.fetchone() == (11,)
        conn.commit()

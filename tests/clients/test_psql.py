"""psql 15 against vdb serve: plain SQL with its output and errors."""

import shutil
import subprocess

import pytest

PSQL = shutil.which("psql")
pytestmark = pytest.mark.skipif(PSQL is None, reason="psql is not installed")


def psql(server, *args, check=True):
    return subprocess.run(
        [PSQL, "-X", "-h", "127.0.0.1", "-p", str(server.port), "-d", server.database, *args],
        capture_output=True,
        text=True,
        check=check,
        timeout=30,
    )


def test_psql_runs_sql_and_prints_tables(server):
    psql(server, "-c", "CREATE TABLE t (id int PRIMARY KEY, name text)")
    psql(server, "-c", "INSERT INTO t VALUES (1, 'a'), (2, NULL)")
    out = psql(server, "-c", "SELECT * FROM t ORDER BY id").stdout
    assert out == " id | name \n----+------\n  1 | a\n  2 | \n(2 rows)\n\n"
    out = psql(server, "-A", "-t", "-c", "SELECT count(*) FROM t").stdout
    assert out == "2\n"


def test_psql_reports_errors_with_position(server):
    result = psql(server, "-c", "SELECT * FROM t WHERE", check=False)
    assert result.returncode == 1
    assert "ERROR:  syntax error at end of input" in result.stderr
    assert "LINE 1: SELECT * FROM t WHERE" in result.stderr


def test_psql_copy_both_ways(server, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text('id,name\n1,a\n2,"b,c"\n3,\n4,"line\nbreak"\n')
    psql(server, "-c", "CREATE TABLE t (id int PRIMARY KEY, name text)")
    out = psql(server, "-c", f"\\copy t from '{source}' csv header").stdout
    assert out == "COPY 4\n"
    target = tmp_path / "out.txt"
    psql(server, "-c", f"\\copy t to '{target}'")
    assert target.read_text() == "1\ta\n2\tb,c\n3\t\\N\n4\tline\\nbreak\n"
    # A bad row fails the whole COPY: nothing of it is loaded.
    bad = tmp_path / "bad.csv"
    bad.write_text("5,e\nnot-a-number,f\n")
    result = psql(server, "-c", f"\\copy t from '{bad}' csv", check=False)
    assert 'invalid input syntax for type integer: "not-a-number"' in result.stderr
    out = psql(server, "-A", "-t", "-c", "SELECT count(*) FROM t").stdout
    assert out == "4\n"

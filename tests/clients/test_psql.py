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


def test_psql_meta_commands_describe_every_kind_of_object(server):
    """The describe commands the serve issue names, and their neighbours, answer without an
    error and show what PostgreSQL 15's psql shows for the same objects."""
    psql(
        server,
        "-c",
        "CREATE TABLE runs (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
        "name text UNIQUE, parent bigint REFERENCES runs (id), n serial, CHECK (n > 0))",
        "-c", "CREATE INDEX runs_parent ON runs (parent)",
        "-c", "CREATE VIEW named AS SELECT id, name FROM runs WHERE name IS NOT NULL",
        "-c", "CREATE SEQUENCE batch_ids START 7",
        "-c", "CREATE TYPE mood AS ENUM ('sad', 'ok')",
        "-c", "COMMENT ON TABLE runs IS 'training runs'",
        "-c",
        "CREATE FUNCTION name_runs() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN NEW.name := coalesce(NEW.name, 'run ' || NEW.n); RETURN NEW; END $$",
        "-c",
        "CREATE TRIGGER runs_named BEFORE INSERT ON runs FOR EACH ROW "
        "EXECUTE FUNCTION name_runs()",
    )
    commands = {
        "\\l": [server.database],
        "\\dn": ["public"],
        "\\dt": ["runs", "table"],
        "\\d runs": [
            'Table "public.runs"',
            "generated always as identity",
            "nextval('runs_n_seq'::regclass)",
            '"runs_pkey" PRIMARY KEY, btree (id)',
            '"runs_name_key" UNIQUE CONSTRAINT, btree (name)',
            '"runs_parent" btree (parent)',
            '"runs_n_check" CHECK (n > 0)',
            '"runs_parent_fkey" FOREIGN KEY (parent) REFERENCES runs(id)',
            "Triggers:",
            "runs_named BEFORE INSERT ON runs FOR EACH ROW EXECUTE FUNCTION name_runs()",
        ],
        "\\d+ runs": ["Storage", "Referenced by:", "Access method: heap"],
        "\\dt+": ["training runs"],
        "\\di": ["runs_pkey", "runs_parent", "index"],
        "\\dv": ["named", "view"],
        "\\d named": ['View "public.named"'],
        "\\ds": ["batch_ids", "runs_n_seq", "runs_id_seq", "sequence"],
        "\\dT": ["mood"],
        "\\df": ["List of functions", "name_runs", "trigger"],
        "\\sf name_runs": ["LANGUAGE plpgsql", "NEW.name := coalesce"],
        "\\db": ["pg_default"],
        "\\du": ["Role name"],
        # Catalogs vdb keeps empty, as a database with no such objects has them.
        "\\do": ["List of operators"],
        "\\dC": ["List of casts"],
        "\\dF": ["List of text search configurations"],
        "\\dy": ["List of event triggers"],
        "\\des": ["List of foreign servers"],
        # These two read the catalogs' tableoid system column.
        "\\dd runs": ["Object descriptions"],
        "\\dL": ["List of languages"],
    }
    for command, expected in commands.items():
        result = psql(server, "-c", command, check=False)
        assert result.returncode == 0 and "ERROR" not in result.stderr, (command, result.stderr)
        for text in expected:
            assert text in result.stdout, (command, text, result.stdout)
    expanded = psql(server, "-c", "\\x on", "-c", "SELECT 1 AS a, 'x' AS b").stdout
    assert "-[ RECORD 1 ]\na | 1\nb | x\n" in expanded

#!/usr/bin/env python3
"""Differential test: runs queries against PostgreSQL 15 and against vdb, prints the differences.

usage: pg_diff.py PG_PORT VDB_PORT FILE...

Each FILE holds one query per line (a line may hold several statements separated by `;`, which
run in one session, e.g. `SET TIME ZONE 'Europe/Paris'; SELECT now()::date`); lines starting with
`--` and blank lines are skipped. Each line runs in a fresh `psql` session against both servers
(PostgreSQL as user postgres, database postgres; vdb `vdb serve` as database vdb), with column
names shown, NULL as `NULL` and errors reduced to their SQLSTATE. The environment variables PG_DB and
VDB_DB name other databases, so that several runs can share one PostgreSQL. A line whose output differs is
printed with both outputs; the last line of output counts the lines that matched.
"""
import os
import subprocess
import sys


def run(port, db, sql):
    proc = subprocess.run(
        ["psql", "-X", "-A", "-q", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", db,
         "-P", "null=NULL", "-v", "VERBOSITY=sqlstate", "-f", "-"],
        input=sql + "\n", capture_output=True, text=True, timeout=30,
    )
    out = proc.stdout.strip()
    err = " ".join(line.split(":")[-1].strip() if line.startswith("psql:") else line.strip()
                   for line in proc.stderr.strip().splitlines())
    return (out + ("\nERR " + err if err else "")).strip()


def main():
    pg_port, vdb_port, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    same = total = 0
    for path in files:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line or line.startswith("--"):
                    continue
                total += 1
                want = run(pg_port, os.environ.get("PG_DB", "postgres"), line)
                got = run(vdb_port, os.environ.get("VDB_DB", "vdb"), line)
                if want == got:
                    same += 1
                    continue
                print(f"=== {line}\n--- pg\n{want}\n--- vdb\n{got}\n")
    print(f"{same}/{total} match")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Fills in the expected results of .slt files from a running PostgreSQL 15.

usage: slt_from_pg.py PORT FILE.slt...

Each file runs in one psql session against a fresh database (so BEGIN/COMMIT span records).
`statement` records get `ok` or `error <SQLSTATE>` as PostgreSQL answered; `query` records get
PostgreSQL's rows (`psql -A -t -F ' ' -P null=NULL`). A query that fails in PostgreSQL is
reported on stderr and left as it is. The file is rewritten in place.
"""
import re
import subprocess
import sys


def parse(text):
    lines = text.split("\n")
    records, i = [], 0
    while i < len(lines):
        header = lines[i].strip()
        if not header or header.startswith("#"):
            records.append(("raw", lines[i]))
            i += 1
            continue
        i += 1
        sql = []
        while i < len(lines) and lines[i].strip() and lines[i].strip() != "----":
            sql.append(lines[i])
            i += 1
        if i < len(lines) and lines[i].strip() == "----":
            i += 1
            while i < len(lines) and lines[i].strip():
                i += 1
        records.append(("rec", header, "\n".join(sql)))
    return records


def main():
    port, files = sys.argv[1], sys.argv[2:]
    for path in files:
        records = parse(open(path).read())
        db = "slt_" + re.sub(r"\W", "_", path.split("/")[-1][:-4])
        base = ["psql", "-X", "-h", "127.0.0.1", "-p", port, "-U", "pgtmp"]
        subprocess.run(base + ["postgres", "-q", "-c", f"DROP DATABASE IF EXISTS {db}"], check=True)
        subprocess.run(base + ["postgres", "-q", "-c", f"CREATE DATABASE {db}"], check=True)
        script = ["\\set VERBOSITY sqlstate"]
        for n, r in enumerate(records):
            if r[0] == "rec":
                sql = r[2].rstrip()
                if not sql.endswith(";"):
                    sql += ";"
                script += [f"\\echo @@REC {n}", sql]
        script.append("\\echo @@END")
        proc = subprocess.run(base + [db, "-A", "-t", "-F", " ", "-P", "null=NULL", "-q"],
                              input="\n".join(script) + "\n", stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        outputs, current = {}, None
        for line in proc.stdout.split("\n"):
            m = re.match(r"^@@REC (\d+)$", line)
            if m:
                current = int(m.group(1))
                outputs[current] = []
            elif line == "@@END":
                current = None
            elif current is not None:
                outputs[current].append(line)
        result = []
        for n, r in enumerate(records):
            if r[0] == "raw":
                result.append(r[1])
                continue
            header, sql = r[1], r[2]
            lines = outputs.get(n, [])
            errors = [re.search(r"ERROR:\s+([0-9A-Z]{5})", l) for l in lines]
            errors = [e.group(1) for e in errors if e]
            rows = [l for l in lines if not re.match(r"^(psql:|WARNING|NOTICE|ERROR)", l) and l != ""]
            if header.startswith("statement"):
                result.append(f"statement error {errors[0]}" if errors else "statement ok")
                result.append(sql)
            else:
                if errors:
                    print(f"{path}: query failed in PostgreSQL ({errors[0]}): {sql}", file=sys.stderr)
                    result += [header, sql]
                    continue
                result += [header, sql, "----"] + [l.rstrip() for l in rows]
        open(path, "w").write("\n".join(result).rstrip("\n") + "\n")


if __name__ == "__main__":
    main()

"""The systems the benchmark compares, one class each, all with the same methods.

The harness (bench.py) does the timing around these calls, except for `vdb-embedded`, whose
runner process times each operation itself (so the pipe to it is not counted) and reports
the seconds. Every timed method returns `(seconds_or_None, result)`: None means "time it
here". Untimed methods (prepare, verify, size) are marked as such.

How each system does each workload is the `HOW` table at the bottom; docs/performance.md
prints it next to the figures.
"""
import io
import json
import os
import subprocess
import time

DDL = ("CREATE TABLE labels (id bigint PRIMARY KEY, text text, label int, "
       "score double precision)")
SCAN = "SELECT label, count(*), avg(score) FROM labels GROUP BY label"
SELECT = "SELECT id, text, label, score FROM labels WHERE id = %s"
UPDATE_FROM = ("UPDATE {t} AS t SET label = v.label, score = v.score "
               "FROM (VALUES {v}) AS v(id, label, score) WHERE t.id = v.id")


def dir_bytes(path):
    """Sum of the sizes of the files under path (untimed)."""
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(root, f))
            except FileNotFoundError:
                pass
    return total


def values_sql(updates):
    return ", ".join(f"({i}::bigint, {lab}, {s!r}::float8)" for i, lab, s in updates)


def update_statements(table, updates):
    """k single-row UPDATEs as one query string (one round trip). Not `UPDATE .. FROM
    (VALUES ..)`: vdb plans that as a nested loop over the whole table (docs/performance.md)."""
    return "; ".join(f"UPDATE {table} SET label = {lab}, score = {s!r} WHERE id = {i}"
                     for i, lab, s in updates)


class System:
    name = "?"
    vc = True            # native branch / diff / merge

    def __init__(self, workdir, cfg):
        self.workdir, self.cfg = workdir, cfg
        os.makedirs(workdir, exist_ok=True)

    def close(self):
        pass


# --------------------------------------------------------------------------- vdb, embedded
class VdbEmbedded(System):
    """Drives bench/embedded (vdb-bench-embedded): vdb_sql::Session + Repository in-process."""
    name = "vdb-embedded"

    def setup(self):
        exe = os.path.join(self.cfg["vdb_bin_dir"], "vdb-bench-embedded")
        self.proc = subprocess.Popen([exe], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1)
        self.repo_dir = os.path.join(self.workdir, "repo")
        self.call("open", dir=self.repo_dir)

    def call(self, op, **kw):
        kw["op"] = op
        self.proc.stdin.write(json.dumps(kw) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"vdb-bench-embedded exited during {op}")
        ans = json.loads(line)
        if "error" in ans:
            raise RuntimeError(f"vdb-bench-embedded {op}: {ans['error']}")
        return ans

    def close(self):
        try:
            self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
            self.proc.stdin.close()
        except OSError:
            pass
        self.proc.wait(timeout=60)

    def info(self):
        return {"how": "in-process vdb_sql::Session + Repository (bench/embedded)"}

    def prepare_load(self, rows):
        path = os.path.join(self.workdir, "rows.csv")
        with open(path, "w") as f:
            f.writelines(f"{i},{t},{lab},{s!r}\n" for i, t, lab, s in rows)
        return path

    def load(self, path):
        a = self.call("load", csv=path, batch=self.cfg.get("copy_batch", 0))
        os.unlink(path)
        return a["s"], {"copy_s": a["copy_s"], "commit_s": a["commit_s"]}

    def point_selects(self, ids):
        a = self.call("point_select", ids=ids)
        if a["found"] != len(ids):
            raise AssertionError(f"point selects found {a['found']} of {len(ids)} rows")
        return a["lat"]

    def head(self):
        return self.call("head")["commit"]

    def update_commit(self, updates, msg, branch="main"):
        a = self.call("update_commit", updates=updates, msg=msg, branch=branch)
        return a["s"], a["commit"]

    def count_matching(self, updates):
        return self.call("count_matching", updates=updates)["n"]

    def branch(self, name):
        return self.call("branch", name=name)["s"], None

    def drop_branch(self, name):
        self.call("drop_branch", name=name)

    def prepare_diff(self, w3):
        return w3

    def diff(self, ctx):
        a = self.call("diff", **{"from": ctx[0], "to": ctx[1]})
        return a["s"], a["rows"]

    def prepare_merge(self, ours, theirs, tag):
        br = f"theirs_{tag}"
        self.call("branch", name=br)
        self.update_commit(theirs, f"theirs {tag}", branch=br)
        self.update_commit(ours, f"ours {tag}")
        return br

    def merge(self, br):
        a = self.call("merge", branch=br)
        return a["s"], a["commit"]

    def cleanup_merge(self, br):
        self.drop_branch(br)

    def scan(self):
        a = self.call("scan")
        return a["s"], a["rows"]

    def size(self):
        return dir_bytes(self.repo_dir)


# --------------------------------------------------------------------------- Postgres wire
class PgWire(System):
    """Common psycopg2 plumbing for PostgreSQL and vdb serve (simple query protocol)."""

    def connect(self, port, dbname):
        import psycopg2
        self.pg = psycopg2
        self.conn = psycopg2.connect(host="127.0.0.1", port=port, user="postgres",
                                     dbname=dbname)
        self.conn.autocommit = True
        self.cur = self.conn.cursor()

    def q(self, sql, params=None):
        self.cur.execute(sql, params)
        return self.cur.fetchall()

    def q1(self, sql, params=None):
        return self.q(sql, params)[0][0]

    def prepare_load(self, rows):
        """COPY text, in pieces of copy_batch rows (vdb only; 0: one piece)."""
        batch = self.cfg.get("copy_batch", 0) if self.name == "vdb-wire" else 0
        batch = batch or len(rows) or 1
        return [("".join(f"{i}\t{t}\t{lab}\t{s!r}\n" for i, t, lab, s in rows[j:j + batch])
                 ).encode() for j in range(0, len(rows), batch)]

    def copy_load(self, payload):
        self.cur.execute("BEGIN")
        self.cur.execute(DDL)
        for piece in payload:
            self.cur.copy_expert("COPY labels (id, text, label, score) FROM STDIN",
                                 io.BytesIO(piece), size=1 << 20)

    def point_selects(self, ids):
        lat, cur, pc = [], self.cur, time.perf_counter
        for i in ids:
            t0 = pc()
            cur.execute(SELECT, (i,))
            row = cur.fetchone()
            lat.append(pc() - t0)
            if row is None or row[0] != i:
                raise AssertionError(f"point select {i} gave {row}")
        return lat

    def apply_updates(self, table, updates):
        if table == "labels":
            self.cur.execute(update_statements(table, updates))
        else:                  # PostgreSQL's un-indexed CTAS copies (W6 setup, untimed)
            self.cur.execute(UPDATE_FROM.format(t=table, v=values_sql(updates)))

    def count_matching(self, updates):
        ok = 0
        for i, lab, s in updates:
            self.cur.execute(SELECT, (i,))
            row = self.cur.fetchone()
            ok += row is not None and row[2] == lab and row[3] == s
        return ok

    def scan(self):
        return None, self.q(SCAN)

    def close(self):
        self.conn.close()


class Postgres(PgWire):
    name = "postgres"
    vc = False

    def setup(self):
        self.port = self.cfg["pg_port"]
        self.dbname = "bench"
        self.connect(self.port, "postgres")
        self.cur.execute(f"DROP DATABASE IF EXISTS {self.dbname} WITH (FORCE)")
        self.cur.execute(f"CREATE DATABASE {self.dbname}")
        self.conn.close()
        self.connect(self.port, self.dbname)

    def info(self):
        return {k: self.q1("SELECT current_setting(%s)", (k,)) for k in
                ("server_version", "fsync", "synchronous_commit", "shared_buffers")}

    def quiesce(self):
        self.cur.execute("CHECKPOINT")

    def load(self, payload):
        self.copy_load(payload)
        self.cur.execute("COMMIT")
        return None, None

    def post_load(self):
        self.cur.execute("VACUUM ANALYZE labels")

    def head(self):
        return None

    def update_commit(self, updates, msg):
        self.cur.execute("BEGIN")
        self.apply_updates("labels", updates)
        self.cur.execute("COMMIT")
        return None, None

    def branch(self, name):
        self.cur.execute(f"CREATE TABLE {name} AS SELECT * FROM labels")
        return None, None

    def drop_branch(self, name):
        self.cur.execute(f"DROP TABLE IF EXISTS {name}")

    def prepare_diff(self, w3):
        """Untimed: a snapshot copy, then the same k-row update on labels (w3 = updates)."""
        self.branch("w5_snap")
        self.update_commit(w3, "w5")
        return ("w5_snap", "labels")

    def diff(self, ctx):
        a, b = ctx
        return None, self.q1(
            f"SELECT count(*) FROM {a} a FULL OUTER JOIN {b} b ON a.id = b.id "
            "WHERE a.id IS NULL OR b.id IS NULL OR "
            "(a.text, a.label, a.score) IS DISTINCT FROM (b.text, b.label, b.score)")

    def cleanup_diff(self, ctx):
        self.drop_branch(ctx[0])

    def prepare_merge(self, ours, theirs, tag):
        base, th = f"mbase_{tag}", f"mtheirs_{tag}"
        self.branch(base)
        self.branch(th)
        self.apply_updates(th, theirs)
        self.update_commit(ours, "ours")
        return (base, th)

    def merge(self, ctx):
        """A three-way merge in SQL: theirs' changes against the base, a conflict check
        against ours, then UPDATE/INSERT/DELETE, in one transaction."""
        b, t = ctx
        cur = self.cur
        cur.execute("BEGIN")
        cur.execute(
            "CREATE TEMP TABLE chg ON COMMIT DROP AS "
            "SELECT coalesce(t.id, b.id) AS id, t.id IS NULL AS gone, t.text, t.label, t.score "
            f"FROM {t} t FULL OUTER JOIN {b} b ON t.id = b.id WHERE t.id IS NULL OR b.id IS NULL "
            "OR (t.text, t.label, t.score) IS DISTINCT FROM (b.text, b.label, b.score)")
        cur.execute(
            f"SELECT count(*) FROM chg c JOIN labels m ON m.id = c.id LEFT JOIN {b} b "
            "ON b.id = c.id WHERE (m.text, m.label, m.score) IS DISTINCT FROM "
            "(b.text, b.label, b.score) AND (m.text, m.label, m.score) IS DISTINCT FROM "
            "(c.text, c.label, c.score)")
        if cur.fetchone()[0]:
            cur.execute("ROLLBACK")
            raise AssertionError("emulated merge found conflicts")
        cur.execute("UPDATE labels m SET text = c.text, label = c.label, score = c.score "
                    "FROM chg c WHERE m.id = c.id AND NOT c.gone")
        cur.execute("INSERT INTO labels SELECT id, text, label, score FROM chg "
                    "WHERE NOT gone ON CONFLICT (id) DO NOTHING")
        cur.execute("DELETE FROM labels m USING chg c WHERE m.id = c.id AND c.gone")
        cur.execute("COMMIT")
        return None, None

    def cleanup_merge(self, ctx):
        for t in ctx:
            self.drop_branch(t)

    def size(self):
        return self.q1("SELECT pg_database_size(current_database())")


class VdbWire(PgWire):
    """`vdb serve` on its own data directory, driven like PostgreSQL. Version control
    through the SQL functions vdb_commit / vdb_branch / vdb_diff / vdb_merge when the
    server has them; otherwise W4-W6 are reported as pending and W3 is the SQL COMMIT only."""
    name = "vdb-wire"

    def setup(self):
        self.port = self.cfg["vdb_port"]
        self.data = os.path.join(self.workdir, "data")
        exe = os.path.join(self.cfg["vdb_bin_dir"], "vdb")
        self.log = open(os.path.join(self.workdir, "serve.log"), "w")
        self.server = subprocess.Popen(
            [exe, "--data-dir", self.data, "serve", "--port", str(self.port),
             "--database", "vdb"], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while True:
            try:
                self.connect(self.port, "vdb")
                break
            except Exception:
                if self.server.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"vdb serve did not start; see {self.log.name}")
                time.sleep(0.1)
        try:
            self.q("SELECT vdb_hashof('HEAD')")
            self.vc = True
        except self.pg.Error as e:
            if e.pgcode != "42883":      # undefined_function: not there yet
                raise
            self.vc = False

    def info(self):
        return {"how": "vdb serve (release) over TCP loopback, psycopg2",
                "vc_sql": self.vc}

    def close(self):
        super().close()
        self.server.terminate()
        self.server.wait(timeout=30)
        self.log.close()

    def load(self, payload):
        self.copy_load(payload)
        self.cur.execute("COMMIT")
        self.last_commit = None
        if self.vc:
            self.last_commit = self.q1("SELECT vdb_commit('-Am', 'W1 load')")
        return None, None

    def head(self):
        """The last commit this session made on main (vdb has no hashof function yet)."""
        return self.last_commit

    def update_commit(self, updates, msg):
        self.cur.execute("BEGIN")
        self.apply_updates("labels", updates)
        self.cur.execute("COMMIT")
        if self.vc:
            self.last_commit = self.q1("SELECT vdb_commit('-am', %s)", (msg,))
        return None, self.last_commit

    def branch(self, name):
        self.q("SELECT vdb_branch(%s)", (name,))
        return None, None

    def drop_branch(self, name):
        self.q("SELECT vdb_branch('-D', %s)", (name,))

    def prepare_diff(self, w3):
        return w3

    def diff(self, ctx):
        return None, self.q1("SELECT count(*) FROM vdb_diff(%s, %s, 'labels')", ctx)

    def prepare_merge(self, ours, theirs, tag):
        br = f"theirs_{tag}"
        self.q("SELECT vdb_branch(%s)", (br,))
        self.q("SELECT vdb_checkout(%s)", (br,))
        self.update_commit(theirs, f"theirs {tag}")
        self.q("SELECT vdb_checkout('main')")
        self.update_commit(ours, f"ours {tag}")
        return br

    def merge(self, br):
        return None, self.q(f"SELECT * FROM vdb_merge('{br}')")

    def cleanup_merge(self, br):
        self.drop_branch(br)

    def size(self):
        return dir_bytes(self.data)


# --------------------------------------------------------------------------- doltlite
class Doltlite(System):
    """doltlite 0.51.3 (PyPI) in-process: SQLite's API over a prolly-tree store. Must run
    in a process that has not imported sqlite3 (doltlite replaces libsqlite3)."""
    name = "doltlite"

    def setup(self):
        import doltlite  # noqa: F401  (must come before sqlite3)
        import sqlite3
        self.version = doltlite.__version__
        self.path = os.path.join(self.workdir, "repo.db")
        self.conn = sqlite3.connect(self.path, isolation_level=None)
        if self.q1("SELECT doltlite_engine()") != "prolly":
            raise RuntimeError("doltlite's engine is not prolly")

    def info(self):
        return {"doltlite": self.version, "engine": self.q1("SELECT doltlite_engine()")}

    def q(self, sql, params=()):
        return self.conn.execute(sql, params).fetchall()

    def q1(self, sql, params=()):
        return self.q(sql, params)[0][0]

    def prepare_load(self, rows):
        return rows

    def load(self, rows):
        c = self.conn
        c.execute("BEGIN")
        c.execute(DDL)
        c.executemany("INSERT INTO labels VALUES (?, ?, ?, ?)", rows)
        c.execute("SELECT dolt_commit('-A', '-m', 'W1 load')").fetchall()
        c.execute("COMMIT")
        return None, None

    def point_selects(self, ids):
        lat, c, pc = [], self.conn, time.perf_counter
        sql = "SELECT id, text, label, score FROM labels WHERE id = ?"
        for i in ids:
            t0 = pc()
            row = c.execute(sql, (i,)).fetchone()
            lat.append(pc() - t0)
            if row is None or row[0] != i:
                raise AssertionError(f"point select {i} gave {row}")
        return lat

    def head(self):
        return self.q1("SELECT dolt_hashof('HEAD')")

    def update_commit(self, updates, msg):
        c = self.conn
        c.execute("BEGIN")
        c.executemany("UPDATE labels SET label = ?, score = ? WHERE id = ?",
                      [(lab, s, i) for i, lab, s in updates])
        h = c.execute("SELECT dolt_commit('-a', '-m', ?)", (msg,)).fetchone()[0]
        c.execute("COMMIT")
        return None, h

    def count_matching(self, updates):
        return sum(1 for i, lab, s in updates
                   if self.q("SELECT 1 FROM labels WHERE id = ? AND label = ? AND score = ?",
                             (i, lab, s)))

    def branch(self, name):
        self.q("SELECT dolt_branch(?)", (name,))
        return None, None

    def drop_branch(self, name):
        self.q("SELECT dolt_branch('-D', ?)", (name,))

    def prepare_diff(self, w3):
        return w3

    def diff(self, ctx):
        return None, self.q1("SELECT count(*) FROM dolt_diff_labels "
                             "WHERE from_commit = ? AND to_commit = ?", ctx)

    def prepare_merge(self, ours, theirs, tag):
        br = f"theirs_{tag}"
        self.q("SELECT dolt_checkout('-b', ?)", (br,))
        self.update_commit(theirs, f"theirs {tag}")
        self.q("SELECT dolt_checkout('main')")
        self.update_commit(ours, f"ours {tag}")
        return br

    def merge(self, br):
        return None, self.q1("SELECT dolt_merge(?)", (br,))

    def cleanup_merge(self, br):
        self.drop_branch(br)

    def scan(self):
        return None, self.q(SCAN)

    def size(self):
        return dir_bytes(self.workdir)

    def close(self):
        self.conn.close()


SYSTEMS = {c.name: c for c in (VdbEmbedded, VdbWire, Postgres, Doltlite)}

# How each system does each workload (printed next to the figures).
HOW = {
    "W1": {"vdb-embedded": "`BEGIN; CREATE TABLE; COPY labels FROM STDIN (FORMAT csv); COMMIT` "
                           "through `Session::execute`/`copy_in`; stage all; commit (one "
                           "fsync). With `--copy-batch B`: one COPY per B rows, same transaction",
           "vdb-wire": "`BEGIN; CREATE TABLE; COPY FROM STDIN; COMMIT` (psycopg2 copy_expert), "
                       "then `SELECT vdb_commit('-Am', ..)` when the server has it; "
                       "`--copy-batch` as embedded",
           "postgres": "`BEGIN; CREATE TABLE; COPY FROM STDIN; COMMIT` (untimed afterwards: "
                       "`VACUUM ANALYZE`)",
           "doltlite": "`BEGIN; CREATE TABLE; executemany INSERT; SELECT dolt_commit('-A', ..); "
                       "COMMIT`"},
    "W2": {"vdb-embedded": "`SELECT .. WHERE id = N` per key through `Session::execute` "
                           "(the text each time; after the first two keys from the session's kept plan, then the PK lookup), timed in Rust",
           "vdb-wire": "same SQL per key over TCP (psycopg2, autocommit, simple query protocol)",
           "postgres": "same as vdb-wire",
           "doltlite": "`SELECT .. WHERE id = ?` per key in-process (Python sqlite3 API)"},
    "W3": {"vdb-embedded": "`BEGIN`; 100 × `UPDATE labels SET .. WHERE id = N` in one "
                           "`Session::execute`; `COMMIT`; then stage and `Repository::commit`",
           "vdb-wire": "`BEGIN`; the 100 UPDATEs as one query string (one round trip); `COMMIT`; "
                       "then `SELECT vdb_commit('-am', ..)` (SQL COMMIT only while vdb_commit "
                       "is missing)",
           "postgres": "`BEGIN`; the 100 UPDATEs as one query string; `COMMIT`",
           "doltlite": "`BEGIN; executemany UPDATE; SELECT dolt_commit('-a', ..); COMMIT`"},
    "W4": {"vdb-embedded": "`Repository::branch_create(name, \"main\")`",
           "vdb-wire": "`SELECT vdb_branch(name)`",
           "postgres": "`CREATE TABLE b AS SELECT * FROM labels` (a full copy)",
           "doltlite": "`SELECT dolt_branch(name)`"},
    "W5": {"vdb-embedded": "`Repository::diff(a, b)` over the two commits of the last W3 rep, "
                           "row changes of `labels` counted",
           "vdb-wire": "`SELECT count(*) FROM vdb_diff(a, b, 'labels')`",
           "postgres": "snapshot copy (untimed), k-row update, then `FULL OUTER JOIN .. IS "
                       "DISTINCT FROM` count",
           "doltlite": "`count(*) FROM dolt_diff_labels WHERE from_commit = a AND to_commit = b`"},
    "W6": {"vdb-embedded": "untimed: branch, k updates + commit there, k other updates + "
                           "commit on main; timed: `Repository::merge(\"main\", branch)` "
                           "(a two-parent merge commit)",
           "vdb-wire": "as embedded, through `vdb_branch`/`vdb_checkout`/`vdb_commit`; timed "
                       "`SELECT * FROM vdb_merge(branch)`",
           "postgres": "untimed: base and theirs copies (CTAS), updates; timed: one transaction "
                       "computing theirs-vs-base (FULL JOIN), conflict check, UPDATE/INSERT/DELETE",
           "doltlite": "untimed: `dolt_checkout('-b')`, updates + commits on both; timed: "
                       "`SELECT dolt_merge(branch)`"},
    "W7": {s: "`SELECT label, count(*), avg(score) FROM labels GROUP BY label`"
           for s in SYSTEMS},
    "W8": {"vdb-embedded": "bytes of the runner's store directory (a `DiskStore`)",
           "vdb-wire": "bytes of the served data directory",
           "postgres": "`pg_database_size` of the benchmark database",
           "doltlite": "bytes of the repository file (and its lock file)"},
}

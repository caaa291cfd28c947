#!/usr/bin/env python3
"""vdb's benchmark beside PostgreSQL 15 and doltlite: one run, all systems, alternating.

  bench.py run [--sizes 100000,1000000] [--systems vdb-embedded,vdb-wire,postgres,doltlite]
               [--rounds 3] [--reps 5] [--pgbench-seconds 15] --vdb-bin DIR --out DIR
  bench.py worker ...      (internal: one system x one size x one round, in its own process)
  bench.py report RESULTS.json OUTDIR   (the table and chart again, from saved results)

For each size, each round runs every system once, in an order rotated from round to round,
each in a fresh process on a fresh store: W1 load, W2 point selects, W3 update + commit (reps),
W4 branch, W5 diff, W6 merge, W7 scan (reps); W8 sizes are read around W1 and W3. Then pgbench
(select-only and TPC-B-like) alternates between PostgreSQL and vdb serve. Every rep is
verified (row counts, the diff finds exactly k rows, both sides of a merge are visible).
The results JSON, table.md and chart.png go to --out.
"""
import argparse
import gc
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
WORDS = ["cat", "dog", "bird", "fish", "tree", "car", "boat", "house"]
ALL_SYSTEMS = ["vdb-embedded", "vdb-wire", "postgres", "doltlite"]


def gen_rows(n, seed):
    rng = random.Random(f"{seed}-rows")
    return [(i, f"label-text-{i:08d}-{WORDS[rng.randrange(8)]}", rng.randrange(10),
             rng.random()) for i in range(n)]


class Updates:
    """Update batches (id, label, score): label stays in 0..9, score is negative and unique
    to the batch, so every updated row really changes and a diff finds one row per id."""

    def __init__(self, seed):
        self.seed, self.batch = seed, 0

    def make(self, ids, tag):
        self.batch += 1
        rng = random.Random(f"{self.seed}-{tag}")
        return [(i, rng.randrange(10), -(self.batch + rng.random())) for i in ids]


# --------------------------------------------------------------------------------- worker
class Worker:
    def __init__(self, sysobj, a):
        self.s, self.n, self.k, self.reps, self.seed = sysobj, a.n, a.k, a.reps, a.seed
        self.lookups = min(a.lookups, a.n)
        self.fig = {}
        self.upd = Updates(f"{a.seed}-{a.round}")
        self.rng = random.Random(f"{a.seed}-{a.round}-keys")

    def timed(self, fn, *args):
        """Seconds for fn(*args): the system's own figure if it reports one (the embedded
        runner), else perf_counter around the call, with Python's GC off."""
        gc.collect()
        gc.disable()
        try:
            t0 = time.perf_counter()
            own, res = fn(*args)
            dt = time.perf_counter() - t0
        finally:
            gc.enable()
        return (own if own is not None else dt), res

    def add(self, key, value):
        self.fig.setdefault(key, []).append(value)

    def scan_ok(self, res):
        if isinstance(res, int):               # the embedded runner returns the group count
            return res == 10
        return len(res) == 10 and sum(r[1] for r in res) == self.n

    def quiesce(self):
        if hasattr(self.s, "quiesce"):
            self.s.quiesce()

    def run(self):
        s = self.s
        rows = gen_rows(self.n, self.seed)
        payload = s.prepare_load(rows)
        del rows
        b0 = s.size()
        self.quiesce()
        dt, sub = self.timed(s.load, payload)
        del payload
        self.add("W1", dt)
        for k, v in (sub or {}).items():
            self.add(f"W1.{k}", v)
        self.add("W8.load", s.size() - b0)
        self.add("W8.after_load", s.size())
        if hasattr(s, "post_load"):
            s.post_load()
        _, res = s.scan()
        if not self.scan_ok(res):
            raise AssertionError(f"after the load the scan gave {res}")

        # W2: per-call latency of `lookups` random keys
        ids = self.rng.sample(range(self.n), self.lookups)
        gc.collect()
        gc.disable()
        try:
            lat = sorted(s.point_selects(ids))
        finally:
            gc.enable()
        self.add("W2", statistics.median(lat))
        self.add("W2.p99", lat[int(len(lat) * 0.99) - 1])
        self.add("W2.total", sum(lat))

        # W3 (+ W8 per commit); the last two commits feed W5
        commits = [s.head()]
        for r in range(self.reps):
            ups = self.upd.make(self.rng.sample(range(self.n), self.k), f"w3-{r}")
            b0 = s.size()
            self.quiesce()
            dt, commit = self.timed(s.update_commit, ups, f"W3 rep {r}")
            self.add("W3", dt)
            self.add("W8.commit", s.size() - b0)
            if s.count_matching(ups) != self.k:
                raise AssertionError("W3: the update is not visible")
            commits.append(commit)

        if not s.vc and s.name != "postgres":
            return                       # vdb-wire without version-control SQL: W7 only
        # W4
        for r in range(self.reps):
            self.quiesce()
            dt, _ = self.timed(s.branch, f"w4_{r}")
            self.add("W4", dt)
            s.drop_branch(f"w4_{r}")
        # W5: the last W3 commit against its parent (PostgreSQL: a snapshot copy + k updates)
        if s.name == "postgres":
            ctx = s.prepare_diff(self.upd.make(self.rng.sample(range(self.n), self.k), "w5"))
        else:
            ctx = s.prepare_diff((commits[-2], commits[-1]))
        for r in range(self.reps):
            dt, found = self.timed(s.diff, ctx)
            if found != self.k:
                raise AssertionError(f"W5: the diff found {found} rows, not {self.k}")
            self.add("W5", dt)
        if hasattr(s, "cleanup_diff"):
            s.cleanup_diff(ctx)
        # W6: 2 x k disjoint changes
        for r in range(self.reps):
            ids = self.rng.sample(range(self.n), 2 * self.k)
            ours = self.upd.make(ids[:self.k], f"w6o-{r}")
            theirs = self.upd.make(ids[self.k:], f"w6t-{r}")
            ctx = s.prepare_merge(ours, theirs, f"w6_{r}")
            self.quiesce()
            dt, _ = self.timed(s.merge, ctx)
            if s.count_matching(ours) != self.k or s.count_matching(theirs) != self.k:
                raise AssertionError("W6: the merge lost a side")
            s.cleanup_merge(ctx)
            self.add("W6", dt)

    def scans(self):
        for r in range(self.reps):
            dt, res = self.timed(self.s.scan)
            if not self.scan_ok(res):
                raise AssertionError(f"W7: the scan gave {res}")
            self.add("W7", dt)


def worker_main(a):
    if a.system != "doltlite":
        assert "sqlite3" not in sys.modules
    from systems import SYSTEMS
    cfg = json.loads(a.cfg)
    s = SYSTEMS[a.system](a.workdir, cfg)
    out = {"system": a.system, "n": a.n, "round": a.round, "loadavg": os.getloadavg()}
    s.setup()
    try:
        out["info"] = s.info()
        w = Worker(s, a)
        w.run()
        w.scans()
        out["figures"] = w.fig
        out["vc"] = s.vc
    finally:
        s.close()
    out["loadavg_end"] = os.getloadavg()
    with open(a.result, "w") as f:
        json.dump(out, f)


# --------------------------------------------------------------------------------- pgbench
class VdbServer:
    def __init__(self, bin_dir, data, port, log):
        self.log = open(log, "w")
        self.proc = subprocess.Popen(
            [os.path.join(bin_dir, "vdb"), "--data-dir", data, "serve", "--port", str(port),
             "--database", "vdb"], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", str(port)]).returncode:
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"vdb serve did not start; see {log}")
            time.sleep(0.1)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


def pgbench(port, db, args, log):
    cmd = ["pgbench", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres"] + args + [db]
    p = subprocess.run(cmd, capture_output=True, text=True)
    log(f"$ {' '.join(cmd)}\n{p.stdout[-600:]}{p.stderr[-1500:]}")
    if p.returncode:
        raise RuntimeError(f"pgbench failed ({p.returncode}): {p.stderr.strip()[-400:]}")
    m = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", p.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", p.stdout)
    if failed and int(failed.group(1)):
        raise RuntimeError(f"{failed.group(1)} transactions failed")
    return float(m.group(1)) if m else None


PGBENCH_TABLES = """
DROP TABLE IF EXISTS pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers;
CREATE TABLE pgbench_history (tid int, bid int, aid int, delta int, mtime timestamp,
                              filler char(22));
CREATE TABLE pgbench_tellers (tid int NOT NULL, bid int, tbalance int, filler char(84));
CREATE TABLE pgbench_accounts (aid int NOT NULL, bid int, abalance int, filler char(84));
CREATE TABLE pgbench_branches (bid int NOT NULL, bbalance int, filler char(88));
"""


def psql(port, db, sql):
    subprocess.run(["psql", "-q", "-X", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
                    str(port), "-U", "postgres", "-d", db, "-c", sql], check=True,
                   capture_output=True)


def pgbench_phase(a, n, systems, rounds, results, log):
    """Initialize pgbench at scale n/100000 on each server, then alternate the runs."""
    scale = max(1, n // 100_000)
    targets = {}
    servers = []
    try:
        if "postgres" in systems:
            targets["postgres"] = (a.pg_port, "postgres")
        if "vdb-wire" in systems:
            data = os.path.join(a.work, f"pgbench-vdb-{n}")
            shutil.rmtree(data, ignore_errors=True)
            servers.append(VdbServer(a.vdb_bin, data, a.vdb_port, data + ".log"))
            targets["vdb-wire"] = (a.vdb_port, "vdb")
        for name, (port, db) in list(targets.items()):
            t0 = time.perf_counter()
            try:
                # pgbench's own table step ("t") says WITH (fillfactor=100) and its client-side
                # generator COPY ... WITH (FREEZE ON), which vdb does not parse yet: the same
                # tables are created here, and the data is generated server-side ("G").
                psql(port, db, PGBENCH_TABLES)
                steps = "Gvp" if name == "postgres" else "Gp"
                pgbench(port, db, ["-i", "-I", steps, "-s", str(scale), "-q"], log)
            except RuntimeError as e:
                log(f"pgbench -i on {name}: {e}")
                results.setdefault("pgbench_errors", {})[f"{name}/{n}"] = str(e)
                del targets[name]
                continue
            results["figures"].setdefault(f"{name}/{n}", {}).setdefault(
                "PGB.init", []).append(time.perf_counter() - t0)
        order = list(targets)
        for r in range(rounds):
            for name in order[r % len(order):] + order[:r % len(order)] if order else []:
                port, db = targets[name]
                fig = results["figures"].setdefault(f"{name}/{n}", {})
                for key, extra in (("PGB.select", ["-S"]), ("PGB.tpcb", [])):
                    try:
                        tps = pgbench(port, db, ["-n", "-c", str(a.pgbench_clients), "-j", "2",
                                                 "--max-tries", "100",
                                                 "-T", str(a.pgbench_seconds)] + extra, log)
                    except RuntimeError as e:
                        results.setdefault("pgbench_errors", {})[f"{name}/{n}/{key}"] = str(e)
                        continue
                    fig.setdefault(key, []).append(tps)
    finally:
        for s in servers:
            s.stop()


# ---------------------------------------------------------------------------- orchestrator
def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) / 2**20
    except (OSError, StopIteration):
        mem = 0
    return {"cpu": cpu, "cpus": os.cpu_count(), "mem_gib": round(mem, 1),
            "kernel": platform.release(), "os": platform.platform(),
            "python": platform.python_version()}


def run_main(a):
    systems = a.systems.split(",")
    sizes = [int(x) for x in a.sizes.split(",")]
    os.makedirs(a.out, exist_ok=True)
    a.work = os.path.join(a.out, "work")
    logf = open(os.path.join(a.out, "run.log"), "a")

    def log(msg):
        line = f"[{time.strftime('%H:%M:%S')}] {msg}"
        print(line, file=sys.stderr, flush=True)
        logf.write(line + "\n")
        logf.flush()

    results = {"machine": machine(), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "args": vars(a).copy(), "figures": {}, "info": {}, "errors": {}}
    cfg = json.dumps({"vdb_bin_dir": a.vdb_bin, "pg_port": a.pg_port, "vdb_port": a.vdb_port,
                      "copy_batch": a.copy_batch})
    for n in sizes:
        for r in range(a.rounds):
            for name in systems[r % len(systems):] + systems[:r % len(systems)]:
                workdir = os.path.join(a.work, f"{name}-{n}-{r}")
                shutil.rmtree(workdir, ignore_errors=True)
                res = os.path.join(a.out, f"w-{name}-{n}-{r}.json")
                t0 = time.time()
                p = subprocess.run(
                    [sys.executable, os.path.abspath(__file__), "worker", "--system", name,
                     "--n", str(n), "--round", str(r), "--reps", str(a.reps), "--k", str(a.k),
                     "--lookups", str(a.lookups), "--seed", str(a.seed), "--workdir", workdir,
                     "--cfg", cfg, "--result", res], capture_output=True, text=True)
                if p.returncode or not os.path.exists(res):
                    msg = (p.stderr or p.stdout).strip()[-800:]
                    log(f"{name} N={n} round {r}: FAILED\n{msg}")
                    results["errors"][f"{name}/{n}/{r}"] = msg
                    continue
                with open(res) as f:
                    w = json.load(f)
                os.unlink(res)
                shutil.rmtree(workdir, ignore_errors=True)
                results["info"][name] = w["info"]
                fig = results["figures"].setdefault(f"{name}/{n}", {})
                for k, v in w["figures"].items():
                    fig.setdefault(k, []).extend(v)
                log(f"{name} N={n} round {r}: {time.time() - t0:.0f}s, loadavg "
                    f"{w['loadavg'][0]:.2f} -> {w['loadavg_end'][0]:.2f}")
        if a.pgbench_seconds > 0 and ({"postgres", "vdb-wire"} & set(systems)):
            pgbench_phase(a, n, systems, a.rounds, results, log)
    results["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    path = os.path.join(a.out, "results.json")
    with open(path, "w") as f:
        json.dump(results, f, indent=1)
    import report
    report.write(results, a.out)
    log(f"results: {path}; table: {os.path.join(a.out, 'table.md')}")
    shutil.rmtree(a.work, ignore_errors=True)
    return 1 if results["errors"] or results.get("pgbench_errors") else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--sizes", default="100000,1000000")
    r.add_argument("--systems", default=",".join(ALL_SYSTEMS))
    r.add_argument("--rounds", type=int, default=3)
    r.add_argument("--reps", type=int, default=5, help="reps of W3-W7 per round")
    r.add_argument("--k", type=int, default=100)
    r.add_argument("--lookups", type=int, default=10000)
    r.add_argument("--seed", default="42")
    r.add_argument("--pgbench-seconds", type=int, default=15, help="0: skip pgbench")
    r.add_argument("--pgbench-clients", type=int, default=4)
    r.add_argument("--copy-batch", type=int, default=0,
                   help="vdb's W1: one COPY per this many rows, in one transaction (0: one "
                        "COPY of all rows)")
    r.add_argument("--vdb-bin", required=True, help="directory holding vdb, vdb-bench-embedded")
    r.add_argument("--pg-port", type=int, default=55450)
    r.add_argument("--vdb-port", type=int, default=55451)
    r.add_argument("--out", required=True)
    w = sub.add_parser("worker")
    for k in ("system", "workdir", "cfg", "result", "seed"):
        w.add_argument(f"--{k}", required=True)
    for k in ("n", "round", "reps", "k", "lookups"):
        w.add_argument(f"--{k}", type=int, required=True)
    p = sub.add_parser("report")
    p.add_argument("results")
    p.add_argument("out")
    a = ap.parse_args()
    if a.cmd == "run":
        sys.exit(run_main(a))
    if a.cmd == "worker":
        worker_main(a)
    else:
        import report
        with open(a.results) as f:
            report.write(json.load(f), a.out)


if __name__ == "__main__":
    main()

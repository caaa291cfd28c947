"""Results JSON -> table.md (medians [min-max] over every rep of every round, ratios) and
chart.png (matplotlib, when installed)."""
import os
import statistics

from systems import HOW

SYSTEMS = ["vdb-embedded", "vdb-wire", "postgres", "doltlite"]
# key, label, unit, scale from the stored unit (seconds / bytes / tps)
ROWS = [
    ("W1", "W1 bulk load N rows + commit", "s", 1),
    ("W2", "W2 point select, median latency per key (10k random keys)", "µs", 1e6),
    ("W3", "W3 update 100 rows + commit", "ms", 1e3),
    ("W4", "W4 create a branch", "ms", 1e3),
    ("W5", "W5 diff of 100 changed rows", "ms", 1e3),
    ("W6", "W6 three-way merge, 2 × 100 disjoint rows", "ms", 1e3),
    ("W7", "W7 GROUP BY scan", "ms", 1e3),
    ("W8.after_load", "W8 bytes on disk after the load", "MiB", 2**-20),
    ("W8.commit", "W8 bytes added per 100-row commit", "KiB", 2**-10),
    ("PGB.select", "pgbench select-only (higher is better)", "TPS", 1),
    ("PGB.tpcb", "pgbench TPC-B-like (higher is better)", "TPS", 1),
]
DETAILS = [
    ("W1.copy_s", "W1 vdb-embedded: CREATE + COPY part", "s", 1),
    ("W1.commit_s", "W1 vdb-embedded: stage + commit part", "s", 1),
    ("W2.p99", "W2 p99 latency per key", "µs", 1e6),
    ("W8.load", "W8 bytes added by the load", "MiB", 2**-20),
    ("PGB.init", "pgbench -i (untimed setup, for reference)", "s", 1),
]


def fmt(x):
    if x == 0:
        return "0"
    a = abs(x)
    if a >= 100:
        return f"{x:.0f}"
    if a >= 10:
        return f"{x:.1f}"
    if a >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"


def stats(fig, key, scale):
    vs = fig.get(key)
    if not vs:
        return None
    vs = [v * scale for v in vs if v is not None]
    if not vs:
        return None
    return statistics.median(vs), min(vs), max(vs)


def cell(st):
    if st is None:
        return "–"
    med, lo, hi = st
    return f"{fmt(med)} [{fmt(lo)}–{fmt(hi)}]"


def ratio(a, b):
    if a is None or b is None or b[0] == 0:
        return "–"
    return f"{a[0] / b[0]:.2g}×" if a[0] / b[0] < 10 else f"{a[0] / b[0]:.0f}×"


def table(results, n, rows, with_ratios):
    figs = results["figures"]
    present = [s for s in SYSTEMS if f"{s}/{n}" in figs]
    head = ["workload", "unit"] + present
    if with_ratios:
        head += ["vdb / PostgreSQL", "vdb / doltlite"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key, label, unit, scale in rows:
        st = {s: stats(figs.get(f"{s}/{n}", {}), key, scale) for s in present}
        if all(v is None for v in st.values()):
            continue
        line = [label, unit] + [cell(st[s]) for s in present]
        if with_ratios:
            wire, emb = st.get("vdb-wire"), st.get("vdb-embedded")
            pg_side = ratio(wire, st.get("postgres"))
            if wire is None and emb is not None and st.get("postgres") is not None:
                pg_side = ratio(emb, st.get("postgres")) + " (emb.)"
            line += [pg_side, ratio(emb, st.get("doltlite"))]
        out.append("| " + " | ".join(line) + " |")
    return "\n".join(out)


def markdown(results):
    sizes = sorted({int(k.split("/")[1]) for k in results["figures"]})
    m = results["machine"]
    a = results["args"]
    parts = [f"Machine: {m['cpu']}, {m['cpus']} CPUs, {m['mem_gib']} GiB, {m['os']}, "
             f"Python {m['python']}. Run {results['started']} → {results.get('finished')}; "
             f"{a['rounds']} rounds × {a['reps']} reps (W1, W2: one per round), k = {a['k']}, "
             f"{a['lookups']} lookups, pgbench {a['pgbench_clients']} clients × "
             f"{a['pgbench_seconds']} s per round."
             + (f" vdb's W1 loads with one COPY per {a['copy_batch']:,} rows (one transaction)."
                if a.get("copy_batch") else ""), ""]
    for n in sizes:
        parts += [f"**N = {n:,}** — median [min–max] over all reps of all rounds; ratios are "
                  "medians divided (vdb / PostgreSQL: vdb-wire, or vdb-embedded where marked "
                  "emb.; vdb / doltlite: vdb-embedded, both in-process). Below 1× vdb is faster "
                  "(for TPS: above 1×).", "", table(results, n, ROWS, True), "",
                  f"Details, N = {n:,}", "", table(results, n, DETAILS, False), ""]
    parts += ["How each system does each workload:", "",
              "| workload | " + " | ".join(SYSTEMS) + " |", "|" + "---|" * (len(SYSTEMS) + 1)]
    for w, how in HOW.items():
        parts.append(f"| {w} | " + " | ".join(how.get(s, "–") for s in SYSTEMS) + " |")
    parts += ["", "pgbench (both over TCP, simple query protocol): the four pgbench tables "
              "created by the harness with pgbench's DDL minus `WITH (fillfactor=100)`, then "
              "`pgbench -i -I Gp -s N/100000` (PostgreSQL: `-I Gvp`, with its VACUUM), untimed; "
              "per round `pgbench -n -S` and `pgbench -n` (TPC-B-like) with "
              "`--max-tries 100` (serialization failures are retried; a run with any failed "
              "transaction is an error), PostgreSQL and `vdb serve` alternating."]
    errs = {**results.get("errors", {}), **results.get("pgbench_errors", {})}
    if errs:
        parts += ["", "Errors:", ""] + [f"- {k}: `{v.splitlines()[-1][:300] if v else ''}`"
                                        for k, v in errs.items()]
    return "\n".join(parts) + "\n"


def chart(results, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    sizes = sorted({int(k.split("/")[1]) for k in results["figures"]})
    figs = results["figures"]
    wl = [r for r in ROWS if r[0] in ("W1", "W2", "W3", "W4", "W5", "W6", "W7")]
    colors = {"vdb-embedded": "#1f77b4", "vdb-wire": "#6baed6", "postgres": "#2ca02c",
              "doltlite": "#ff7f0e"}
    fig, axes = plt.subplots(len(sizes), 2, figsize=(13, 4.2 * len(sizes)), squeeze=False,
                             gridspec_kw={"width_ratios": [4, 1.3]})
    for row, n in enumerate(sizes):
        ax, ax2 = axes[row]
        present = [s for s in SYSTEMS if f"{s}/{n}" in figs]
        width = 0.8 / max(1, len(present))
        for j, s in enumerate(present):
            xs, meds, lo, hi = [], [], [], []
            for i, (key, _, _, _) in enumerate(wl):
                st = stats(figs[f"{s}/{n}"], key, 1e3)
                if st:
                    xs.append(i + j * width)
                    meds.append(st[0])
                    lo.append(st[0] - st[1])
                    hi.append(st[2] - st[0])
            ax.bar(xs, meds, width, yerr=[lo, hi], label=s, color=colors[s], capsize=2)
        ax.set_yscale("log")
        ax.set_xticks([i + 0.4 - width / 2 for i in range(len(wl))])
        ax.set_xticklabels(["W1 load", "W2 select\n(per key)", "W3 update\n+commit",
                            "W4 branch", "W5 diff", "W6 merge", "W7 GROUP BY"])
        ax.set_ylabel("ms (log), lower is better")
        ax.set_title(f"N = {n:,}: median, bars min–max")
        ax.legend(fontsize=8)
        pg = [s for s in present if s in ("vdb-wire", "postgres")]
        for j, s in enumerate(pg):
            for i, key in enumerate(("PGB.select", "PGB.tpcb")):
                st = stats(figs[f"{s}/{n}"], key, 1)
                if st:
                    ax2.bar(i + j * 0.4, st[0], 0.4, color=colors[s],
                            yerr=[[st[0] - st[1]], [st[2] - st[0]]], capsize=2,
                            label=s if i == 0 else None)
        ax2.set_xticks([0.2, 1.2])
        ax2.set_xticklabels(["select-only", "TPC-B-like"])
        ax2.set_ylabel("pgbench TPS, higher is better")
        ax2.set_yscale("log")
        if pg:
            ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True


def write(results, out):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "table.md"), "w") as f:
        f.write(markdown(results))
    chart(results, os.path.join(out, "chart.png"))

"""Issue 19's measurement in one session: start-up before/after, the peer kit, and the 10x input.

Five parts, in this order (``--only`` picks some; the default leaves out ``processes``):

- ``startup``: the default ``skypile curate`` on a one-page WARC (the kit's first response) with 1
  and 2 worker processes: wall, CPU seconds and peak RSS of the whole process tree. With
  ``--before REV`` the same runs are made on that commit too (exported with ``git archive`` into a
  temporary folder, run with this venv), and both get a breakdown of the launcher's phases (importing
  Beam, importing curate, config and run.json, laying out the chain, ``Pipeline.run``, report and
  commit; CPU s in one process).
- ``processes``: the default chain with 2 workers on the kit's shards (or ``--processes-input``),
  CPU seconds and peak RSS of each process (the launcher, where Beam's runner holds every shuffle, and each worker).
- ``kit``: one ``run_all.py`` call of the peer kit (``--kit`` root): datatrove end to end with 1
  and 2 tasks, and ours (default chain; resiliparse) with 1 and 2 workers on the kit's 4 shards.
- ``scaling``: the default chain with 1 and 2 workers on 8 files of the 10x input (copies 0 and 1
  of each kit shard, 4,800 responses): speed-up of the second worker; and the machine's ceiling
  for it (two independent 1-worker runs on 4 files each, at once).
- ``10x``: the kit's shards repeated ``--copies`` times as new records (``bench/make_10x.py``, 40
  files by default), then one ``run_all.py`` call with that folder as ``PEERBENCH_ROOT``: datatrove
  with 2 tasks, ours (default; resiliparse) with 2 workers.

Each ``run_all.py`` call writes its own ``results/<time>/`` (results.jsonl, summary.md, logs);
this script then prints one table per input with ratios against datatrove at the same worker count
and, for the 10x input, docs/s per worker.

Usage (from the project root, on an idle machine):
  .venv/bin/python bench/lean_workers.py [--before 02785cf] [--only startup,processes,kit,scaling,10x] [--copies 10]
      [--kit /tmp/peerbench] [--root10x /tmp/peerbench10x]
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_10x import header, members  # noqa: E402
from measure import ROOT, measure, tree_sample  # noqa: E402

PEERBENCH = os.path.join(os.path.dirname(ROOT), "shared", "peerbench")
PYTHON = os.path.join(ROOT, ".venv", "bin", "python")
TWO_WORKERS = "--direct_num_workers 2 --direct_running_mode multi_processing"
RESILIPARSE = os.path.join(ROOT, "bench", "resiliparse.yaml")
CURATE = ".venv/bin/skypile curate --input '{shards}/*.warc.gz' --output {out} --progress-every 0"

# Beam alone: the same runner and worker flags, a 2-element pipeline with one grouping stage.
BEAM_ONLY = r'''
import sys
import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
with beam.Pipeline(options=PipelineOptions(["--runner", "FnApiRunner", *sys.argv[1:]])) as p:
    _ = p | beam.Create([1, 2]) | beam.Reshuffle() | beam.Map(lambda x: x)
'''

# In-process phases of one curate run (the launcher's own work; worker processes not included).
PHASES = r'''
import sys, time
marks = []
def mark(label):
    marks.append((label, time.process_time()))
import apache_beam as beam
mark("import apache_beam")
import pipelines.curate as c
mark("import pipelines.curate")
build, run = c.build_pipeline, beam.Pipeline.run
def build_(*a, **k):
    mark("config, inputs, run.json")
    r = build(*a, **k); mark("lay out the chain"); return r
def run_(self, *a, **k):
    r = run(self, *a, **k); mark("Pipeline.run"); return r
c.build_pipeline, beam.Pipeline.run = build_, run_
c.run(sys.argv[1:])
mark("report, commit")
print(__import__("json").dumps(marks))
'''


def one_page_warc(kit: str, path: str) -> None:
    """The kit's first shard up to and including its first response record."""
    shard = sorted(os.listdir(os.path.join(kit, "data", "shards")))[0]
    with open(path, "wb") as out:
        for record in members(os.path.join(kit, "data", "shards", shard)):
            out.write(gzip.compress(record, mtime=0))
            if header(record).get("WARC-Type") == "response":
                return


def startup(kit: str, before: str, scratch: str) -> list[dict]:
    warc = os.path.join(scratch, "one-page.warc.gz")
    one_page_warc(kit, warc)
    trees = [("now", ROOT)]
    if before:
        tree = os.path.join(scratch, "before")
        os.makedirs(tree)
        archive = subprocess.run(["git", "-C", ROOT, "archive", before], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tree], input=archive, check=True)
        # byte-compiled first, as the working tree is: else its first run pays for compiling
        subprocess.run([PYTHON, "-m", "compileall", "-q", tree], check=True, stdout=subprocess.DEVNULL)
        trees.insert(0, (f"before ({before})", tree))
    rows = []
    for workers in (1, 2):
        got = measure([PYTHON, "-c", BEAM_ONLY, *(TWO_WORKERS.split() if workers == 2 else [])])
        rows.append({"tree": "Beam alone (Create -> Reshuffle -> Map)", "workers": workers,
                     "wall_s": round(got["wall_s"], 1), "cpu_s": round(got["cpu_s"], 1),
                     "peak_rss_mb": round(got["peak_rss_mb"])})
        print(json.dumps(rows[-1]), flush=True)
    for label, tree in trees:
        for workers in (1, 2):
            out = os.path.join(scratch, f"out-{len(rows)}")
            args = f"--input {warc} --output {out} --progress-every 0" + (f" {TWO_WORKERS}" if workers == 2 else "")
            # cwd = the tree: the launcher and Beam's worker processes import the tree's packages first
            got = measure(["bash", "-c", f"cd {tree} && exec {PYTHON} -m pipelines.cli curate {args}"])
            rows.append({"tree": label, "workers": workers, "wall_s": round(got["wall_s"], 1),
                         "cpu_s": round(got["cpu_s"], 1), "peak_rss_mb": round(got["peak_rss_mb"])})
            print(json.dumps(rows[-1]), flush=True)
        out = os.path.join(scratch, f"phases-{len(rows)}")
        proc = subprocess.run([PYTHON, "-c", PHASES, "--input", warc, "--output", out, "--progress-every", "0"],
                              cwd=tree, capture_output=True, text=True, check=True)
        marks = json.loads(proc.stdout.strip().splitlines()[-1])
        cpus = [0.0] + [cpu for _, cpu in marks]
        rows.append({"tree": label, "phases": [(name, round(cpu - cpus[i], 2)) for i, (name, cpu) in enumerate(marks)]})
    return rows


def per_process(inputs: str, scratch: str) -> list[dict]:
    """The default chain with 2 workers on ``inputs`` (a glob): CPU s and peak RSS of each process
    (the launcher, which runs Beam's runner and holds every shuffle, and each SDK worker)."""
    out = os.path.join(scratch, "per-process")
    cmd = [PYTHON, "-m", "pipelines.cli", "curate", "--input", inputs,
           "--output", out, "--progress-every", "0", *TWO_WORKERS.split()]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen: dict[int, list] = {}
    while proc.poll() is None:
        for pid, (rss, cpu) in tree_sample(proc.pid).items():
            if pid not in seen:
                try:
                    with open(f"/proc/{pid}/cmdline") as f:
                        role = "worker" if "sdk_worker_main" in f.read() else "launcher"
                except OSError:
                    role = "?"
                seen[pid] = [role, 0, 0.0]
            seen[pid][1], seen[pid][2] = max(seen[pid][1], rss), max(seen[pid][2], cpu)
        time.sleep(0.2)
    wall = time.monotonic() - t0
    rows = [{"process": role, "cpu_s": round(cpu, 1), "peak_rss_mb": round(rss / 2**20)}
            for pid, (role, rss, cpu) in sorted(seen.items()) if cpu > 0.05]
    rows.append({"process": "all (wall %.1f s, rc %d)" % (wall, proc.returncode),
                 "cpu_s": round(sum(r["cpu_s"] for r in rows), 1), "peak_rss_mb": None})
    return rows


def scaling(root10x: str, scratch: str) -> list[dict]:
    """The default chain with 1 and 2 workers on 8 files of the repeated input (copies 0 and 1 of each
    kit shard: 4,800 responses): wall, CPU s and peak RSS of the tree, speed-up of 2 over 1.

    Then the machine's own ceiling for any two-way split of that work: two independent 1-worker
    runs at once, on the copies of shards 0-1 and of shards 2-3 (4 files each, their duplicates
    inside each half as in the whole). Where two busy processes slow each other (shared cores or
    caches of a virtual machine), this pair is slower than half the 1-worker run, and no runner
    can scale past the ratio it gives."""
    shards = os.path.join(root10x, "data", "shards")
    files = os.path.join(shards, "part-*-c0[01].warc.gz")
    rows = []
    for workers in (1, 2):
        out = os.path.join(scratch, f"scaling-{workers}")
        cmd = [PYTHON, "-m", "pipelines.cli", "curate", "--input", files, "--output", out, "--progress-every", "0"]
        got = measure(cmd + (TWO_WORKERS.split() if workers == 2 else []))
        with open(os.path.join(out, "report.json")) as f:
            report = json.load(f)
        rows.append({"workers": workers, "docs": report["funnel"][0]["kept"], "docs_out": report["kept"],
                     "wall_s": round(got["wall_s"], 1), "cpu_s": round(got["cpu_s"], 1),
                     "peak_rss_mb": round(got["peak_rss_mb"])})
        print(json.dumps(rows[-1]), flush=True)
    halves = [os.path.join(shards, f"part-0000[{pair}]-c0[01].warc.gz") for pair in ("01", "23")]
    pair = " & ".join(f"{PYTHON} -m pipelines.cli curate --input '{glob}' --output {scratch}/half-{i} "
                      "--progress-every 0 >/dev/null" for i, glob in enumerate(halves)) + " & wait"
    got = measure(["bash", "-c", pair])
    docs = 0
    for i in range(2):
        with open(os.path.join(scratch, f"half-{i}", "report.json")) as f:
            docs += json.load(f)["funnel"][0]["kept"]
    rows.append({"workers": "2 separate 1-worker runs at once (the machine's ceiling)", "docs": docs, "docs_out": "-",
                 "wall_s": round(got["wall_s"], 1), "cpu_s": round(got["cpu_s"], 1),
                 "peak_rss_mb": round(got["peak_rss_mb"])})
    print(json.dumps(rows[-1]), flush=True)
    return rows


def run_all(root: str, tasks: str, ours: list[str], log: str) -> str:
    """One run_all.py call with ``root`` as PEERBENCH_ROOT; returns its results folder."""
    cmd = [sys.executable, os.path.join(PEERBENCH, "run_all.py"), "--only", "e2e,ours", "--e2e-tasks", tasks,
           "--no-lid"]
    for command in ours:
        cmd += ["--ours", command]
    print("$ PEERBENCH_ROOT=%s %s" % (root, " ".join(cmd)), flush=True)
    with open(log, "a") as f:
        proc = subprocess.run(cmd, cwd=ROOT, env={**os.environ, "PEERBENCH_ROOT": root}, stdout=subprocess.PIPE,
                              stderr=f, text=True)
    print(proc.stdout, flush=True)
    results = [line.split("results: ", 1)[1] for line in proc.stdout.splitlines() if line.startswith("results: ")]
    if proc.returncode or not results:
        raise SystemExit(f"run_all.py failed ({proc.returncode}); see {log}")
    return results[-1].strip()


def ours_commands(workers: list[int]) -> list[str]:
    out = []
    for extra in ("", f" --config {RESILIPARSE}"):
        for w in workers:
            out.append(CURATE + extra + (f" {TWO_WORKERS}" if w == 2 else ""))
    return out


def docs_out(root: str, method: str):
    """Documents our run kept: its report.json, left in run_all.py's scratch folder for ours#i."""
    path = os.path.join(root, "scratch", "ours" + method.split("#")[-1], "out", "report.json")
    try:
        with open(path) as f:
            return json.load(f)["kept"]
    except (OSError, KeyError, ValueError):
        return None


def table(results_dir: str) -> str:
    root = os.path.dirname(os.path.dirname(results_dir))
    with open(os.path.join(results_dir, "results.jsonl")) as f:
        rows = [json.loads(line) for line in f]
    peers = {r["tasks"]: r for r in rows if r.get("bench") == "e2e" and r.get("docs_per_s")}
    lines = ["| run | workers | docs | seconds | docs/s | docs/s per worker | docs out | CPU s | peak RSS MB "
             "(largest process) | tree RSS MB | docs/s vs datatrove (same workers) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if r.get("bench") == "e2e":
            name, workers = "datatrove e2e", r["tasks"]
        elif r.get("bench") == "ours":
            cmd = r.get("command", "")
            workers = 2 if "--direct_num_workers 2" in cmd else 1
            name = "skypile curate, " + ("resiliparse" if "resiliparse" in cmd else "defaults")
            r.setdefault("docs_out", docs_out(root, r["method"]))
        else:
            continue
        if not r.get("docs_per_s"):
            lines.append(f"| {name} | {workers} | FAILED (rc {r.get('rc')}) |")
            continue
        peer = peers.get(workers)
        ratio = f"{r['docs_per_s'] / peer['docs_per_s']:.2f}x" if peer else "-"
        lines.append(f"| {name} | {workers} | {r.get('docs_in') or r.get('docs')} | {r['seconds']} | {r['docs_per_s']} | "
                     f"{r['docs_per_s'] / workers:.1f} | {r.get('docs_out', '-')} | {r['cpu_s']} | {r['peak_rss_mb']} | "
                     f"{r['tree_rss_mb']} | {ratio} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="startup,kit,scaling,10x")
    ap.add_argument("--before", default="", help="a commit to measure start-up on as well (git archive)")
    ap.add_argument("--kit", default=os.environ.get("PEERBENCH_ROOT") or os.path.join(tempfile.gettempdir(), "peerbench"))
    ap.add_argument("--root10x", default=os.path.join(tempfile.gettempdir(), "peerbench10x"))
    ap.add_argument("--copies", type=int, default=10)
    ap.add_argument("--processes-input", default="", metavar="GLOB",
                    help="what ``processes`` runs on (default: the kit's shards)")
    ap.add_argument("--log", default=os.path.join(tempfile.gettempdir(), "lean_workers.log"))
    args = ap.parse_args(argv)
    only = set(args.only.split(","))
    t0 = time.monotonic()
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores", flush=True)
    report = []
    if only & {"scaling", "10x"}:
        shards = os.path.join(args.root10x, "data", "shards")
        kit_files = len(os.listdir(os.path.join(args.kit, "data", "shards")))
        if not os.path.isdir(shards) or len(os.listdir(shards)) != kit_files * args.copies:
            subprocess.run([PYTHON, os.path.join(ROOT, "bench", "make_10x.py"), "--kit", args.kit, "--root",
                            args.root10x, "--copies", str(args.copies)], check=True)
    if "startup" in only:
        scratch = tempfile.mkdtemp(prefix="lean-startup-")
        rows = startup(args.kit, args.before, scratch)
        shutil.rmtree(scratch, ignore_errors=True)
        report += ["## Start-up (one-page WARC, default chain)", "",
                   "| tree | workers | wall s | CPU s (tree) | peak RSS MB (tree) |", "|---|---:|---:|---:|---:|"]
        report += [f"| {r['tree']} | {r['workers']} | {r['wall_s']} | {r['cpu_s']} | {r['peak_rss_mb']} |"
                   for r in rows if "workers" in r]
        for r in rows:
            if "phases" in r:
                report += ["", f"launcher phases, {r['tree']}, 1 worker (CPU s): "
                           + ", ".join(f"{name} {cpu}" for name, cpu in r["phases"])]
        report.append("")
    if "processes" in only:
        scratch = tempfile.mkdtemp(prefix="lean-processes-")
        rows = per_process(args.processes_input or os.path.join(args.kit, "data", "shards", "*.warc.gz"), scratch)
        shutil.rmtree(scratch, ignore_errors=True)
        report += [f"## Default chain, 2 workers, on {args.processes_input or 'the kit'}: each process", "", "| process | CPU s | peak RSS MB |",
                   "|---|---:|---:|"] + [f"| {r['process']} | {r['cpu_s']} | {r['peak_rss_mb'] or '-'} |" for r in rows] + [""]
    if "kit" in only:
        results = run_all(args.kit, "1,2", ours_commands([1, 2]), args.log)
        report += [f"## Peer kit ({results})", "", table(results), ""]
    if "scaling" in only:
        scratch = tempfile.mkdtemp(prefix="lean-scaling-")
        rows = scaling(args.root10x, scratch)
        shutil.rmtree(scratch, ignore_errors=True)
        one = rows[0]["wall_s"]
        report += [f"## Scaling: default chain on 8 files of the {args.copies}x input", "",
                   "| workers | docs | docs out | wall s | docs/s | speed-up vs 1 worker | CPU s (tree) | peak RSS MB (tree) |",
                   "|---:|---:|---:|---:|---:|---:|---:|---:|"]
        report += [f"| {r['workers']} | {r['docs']} | {r['docs_out']} | {r['wall_s']} | {r['docs'] / r['wall_s']:.1f} | "
                   f"{one / r['wall_s']:.2f}x | {r['cpu_s']} | {r['peak_rss_mb']} |" for r in rows]
        report += ["", f"2 workers reach {rows[2]['wall_s'] / rows[1]['wall_s']:.0%} of the machine's ceiling "
                   f"({one / rows[1]['wall_s']:.2f}x of {one / rows[2]['wall_s']:.2f}x).", ""]
    if "10x" in only:
        results = run_all(args.root10x, "2", ours_commands([2]), args.log)
        report += [f"## {args.copies}x input ({results})", "", table(results), ""]
    report.append(f"whole session: {time.monotonic() - t0:.0f} s; load average at end {os.getloadavg()[0]:.2f}")
    print("\n".join(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())

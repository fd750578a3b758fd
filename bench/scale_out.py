"""Local scale-out: ``skypile curate`` with 1, 2, 4 worker processes, beside datatrove's end-to-end run.

Input: the peerbench WARC shards (2,400 responses in 4 files, built by
``../shared/peerbench/make_warc.py``). Beam spreads files over workers, so more workers than input
files cannot help; the shards give 4. For each setting it runs the real command once and prints
wall time, responses per second, speed-up over one worker, CPU seconds (all processes) and the
peak resident memory of the whole process tree, sampled from /proc every 0.2 s. The peer row is
peerbench's ``peer_e2e.py`` (datatrove: WarcReader -> Trafilatura -> Gopher filters -> Parquet)
with the same number of tasks; the ratio column is our responses/s over datatrove's.

Usage: .venv/bin/python bench/scale_out.py [--workers 1,2,4] [--peer-tasks 1,2] [--shards DIR | --records N]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from measure import ROOT, measure  # noqa: E402

PEERBENCH = os.path.join(os.path.dirname(ROOT), "shared", "peerbench")
PEER_ROOT = os.environ.get("PEERBENCH_ROOT", os.path.join(tempfile.gettempdir(), "peerbench"))


def run_ours(shards: str, workers: int, scratch: str) -> dict:
    out = os.path.join(scratch, f"ours_w{workers}")
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "pipelines.cli", "curate", "--input", os.path.join(shards, "*.warc.gz"),
           "--output", out, "--progress-every", "0"]
    if workers > 1:
        cmd += ["--direct_num_workers", str(workers), "--direct_running_mode", "multi_processing"]
    result = measure(cmd)
    with open(os.path.join(out, "report.json")) as f:
        report = json.load(f)
    responses = report["funnel"][0]["kept"]  # what the reader passed on: the HTTP responses
    return {**result, "docs": responses, "kept": report["kept"]}


def run_peer(shards: str, tasks: int) -> dict:
    python = os.path.join(PEER_ROOT, "venvs", "datatrove", "bin", "python")
    if not os.path.exists(python):
        return {}
    result = measure([python, os.path.join(PEERBENCH, "peer_e2e.py"), "--input", shards, "--tasks", str(tasks)])
    line = json.loads(result["stdout"].strip().splitlines()[-1])
    return {**result, "docs": line["docs_in"], "kept": line["docs_out"]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shards", default=os.path.join(PEER_ROOT, "data", "shards"))
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--peer-tasks", default="1,2")
    ap.add_argument("--records", type=int, default=0,
                    help="build a smaller benchmark WARC of this many responses (>= 411) in a temp folder")
    args = ap.parse_args()
    scratch = tempfile.mkdtemp(prefix="skypile-scale-")
    if args.records:
        args.shards = os.path.join(scratch, "warc", "shards")
        subprocess.run([sys.executable, os.path.join(PEERBENCH, "make_warc.py"), "--records", str(args.records),
                        "--shards", "4", "--out", os.path.join(scratch, "warc")], check=True, stdout=subprocess.DEVNULL)
    elif not os.path.isdir(args.shards):
        subprocess.run([sys.executable, os.path.join(PEERBENCH, "make_warc.py")], check=True)
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    rows = []
    for n in [int(x) for x in args.workers.split(",") if x]:
        rows.append(("skypile curate", n, run_ours(args.shards, n, scratch)))
        print(f"ours {n} workers: {rows[-1][2]['wall_s']:.1f} s", file=sys.stderr, flush=True)
    for n in [int(x) for x in args.peer_tasks.split(",") if x]:
        peer = run_peer(args.shards, n)
        if peer:
            rows.append(("datatrove e2e", n, peer))
    shutil.rmtree(scratch, ignore_errors=True)
    base = {tool: r["wall_s"] for tool, n, r in rows if n == 1}
    peer_rate = {n: r["docs"] / r["wall_s"] for tool, n, r in rows if tool == "datatrove e2e"}
    print("| tool | workers | wall s | responses/s | speed-up vs 1 | CPU s | peak RSS (tree) | ours/datatrove |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for tool, n, r in rows:
        rate = r["docs"] / r["wall_s"]
        speedup = f"{base[tool] / r['wall_s']:.2f}x" if tool in base else "-"
        ratio = f"{rate / peer_rate[n]:.2f}" if tool == "skypile curate" and n in peer_rate else "-"
        print(f"| {tool} | {n} | {r['wall_s']:.1f} | {rate:.1f} | {speedup} | {r['cpu_s']:.1f} | "
              f"{r['peak_rss_mb']:,.0f} MB | {ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

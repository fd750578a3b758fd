"""Where a curate worker's memory and per-document CPU go (issue 19).

Memory: a fresh Python process meets what a worker of the default chain meets, in order (Beam
and its runner, pyarrow, our modules, the step objects of ``pipelines/defaults.yaml``, each
step's ``setup()``: trafilatura, UT1 lists, lid.176, jieba's dictionary, GSM8K n-grams, the
scorers), then runs the per-file steps over one WARC shard. After each stage it prints the
process's RSS, the growth, and whether torch has been imported; the last row is the peak (VmHWM).

CPU: the same process times each per-file step's ``process`` with ``time.process_time`` over the
shard (read = the reader's own time), and the inline scorers over the documents kept.

``--run TREE ...``: the real thing, per process: ``skypile curate`` with the default config, 2
workers (``multi_processing``), on ``--inputs``, started from each source tree in turn (this
checkout, or e.g. ``git archive <commit>`` unpacked; the venv is this one), with each process's
peak RSS and the tree's CPU sampled from ``/proc``.

    .venv/bin/python bench/worker_memory.py --shard /tmp/peerbench/data/shards/part-00000.warc.gz
    .venv/bin/python bench/worker_memory.py --run /tmp/before . \
        --inputs '/tmp/peerbench/data/shards/part-0000[01].warc.gz'

``--phases``: does the one process of a 1-worker run grow with the corpus? ``skypile curate``
(default config, FnApiRunner in this process) on shard 0 alone and on ``--inputs``, from each
``--trees`` in turn; the runner's bundles are timed by the phase they belong to (first per-file
pass, the dedup steps' global phase, the second per-file pass) and each phase's peak RSS is
printed (VmHWM when it rose during the bundle, else VmRSS after it), with the whole run's peak.

    .venv/bin/python bench/worker_memory.py --phases --trees /tmp/before . \
        --inputs '/tmp/peerbench/data/shards/part-0000[0-3].warc.gz'
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _status(field: str) -> float:
    """``VmRSS`` / ``VmHWM`` of this process, MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise KeyError(field)


def child(shard: str, limit: int) -> None:
    """Runs in a fresh interpreter; one JSON line per stage on stdout."""
    rows = []

    def stage(name: str) -> None:
        rows.append({"stage": name, "rss": _status("VmRSS"), "torch": "torch" in sys.modules})

    stage("interpreter")
    import apache_beam  # noqa: F401
    from apache_beam.runners.portability import fn_api_runner  # noqa: F401
    from apache_beam.runners.worker import sdk_worker  # noqa: F401
    stage("apache_beam + FnApiRunner + SDK worker")
    import pyarrow.parquet  # noqa: F401
    stage("pyarrow.parquet")
    from pipelines import curate  # noqa: F401
    from transforms import process_files  # noqa: F401
    stage("pipelines.curate, transforms.process_files")
    from pipelines.config import load_config
    from pipelines.step_registry import build_steps

    config = load_config()
    steps = build_steps(config)
    stage("step objects of the default config (build_steps)")
    per_file, inline_score = [], None
    for name, transform in steps:
        step = getattr(transform, "step", None)
        if name == "score":
            from transforms.score import ScoreStep

            inline_score = ScoreStep([s for s in transform.specs if s.kind != "bert"])
            inline_score.setup()
            stage("setup: score (fastText scorers, lexicon)")
        elif step is not None:
            step.setup()
            if name == "heuristics":  # jieba loads its dictionary on the first Chinese text
                step.process(_zh_probe())
            stage(f"setup: {name}" + (" (+ jieba dictionary)" if name == "heuristics" else ""))
            if name in ("url_filter", "extract", "langid", "heuristics"):
                per_file.append(step)

    from transforms.read import read_file
    from transforms.keep_or_drop import Drop

    cpu: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    kept = []
    with open(shard, "rb") as f:
        t = time.process_time()
        for verdict in read_file(f, shard, config["read"]["max_record_bytes"]):
            now = time.process_time()
            cpu["read"] += now - t
            if isinstance(verdict, Drop):
                t = time.process_time()
                continue
            counts["read"] += 1
            doc = verdict
            for step in per_file:
                t0 = time.process_time()
                out = step.process(doc)
                cpu[step.name] += time.process_time() - t0
                if isinstance(out, Drop):
                    break
                counts[step.name] += 1
                doc = out
            else:
                kept.append(doc)
            if limit and counts["read"] >= limit:
                break
            t = time.process_time()
    stage(f"per-file steps over {counts['read']} documents")
    if inline_score is not None:
        t0 = time.process_time()
        for i in range(0, len(kept), 64):
            inline_score.process_batch(kept[i:i + 64])
        cpu["score (inline)"] = time.process_time() - t0
        counts["score (inline)"] = len(kept)
    rows.append({"stage": "peak (VmHWM)", "rss": _status("VmHWM"), "torch": "torch" in sys.modules})
    print(json.dumps({"rows": rows, "cpu": cpu, "docs": counts["read"], "counts": counts}))


def _zh_probe():
    from transforms.document import Document

    return Document(id="probe", text="这是一个用于加载结巴分词词典的中文句子。" * 20, lang="zh", lang_score=1.0)


def run_trees(trees: list[str], inputs: str, workers: int, scratch: str) -> None:
    """One default ``curate`` per source tree; per-process peaks and tree CPU from /proc."""
    import resource
    import shutil

    sys.path.insert(0, str(ROOT / "bench"))
    from measure import tree_sample

    print("| tree | CPU s (tree) | peak MB (tree) | peak MB per process (launcher first) | docs out |")
    print("|---|---:|---:|---|---:|")
    for i, tree in enumerate(trees):
        out = Path(scratch) / f"run{i}"
        shutil.rmtree(out, ignore_errors=True)
        cmd = [sys.executable, "-m", "pipelines.cli", "curate", "--input", inputs, "--output", str(out),
               "--direct_num_workers", str(workers), "--direct_running_mode", "multi_processing"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.Popen(cmd, cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        peaks: dict[int, int] = {}
        cpu: dict[int, float] = {}
        tree_peak = 0
        while proc.poll() is None:
            sample = tree_sample(proc.pid)
            tree_peak = max(tree_peak, sum(rss for rss, _ in sample.values()))
            for pid, (rss, seconds) in sample.items():
                peaks[pid] = max(peaks.get(pid, 0), rss)
                cpu[pid] = max(cpu.get(pid, 0.0), seconds)
            time.sleep(0.2)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            raise SystemExit(f"{tree}: curate failed ({proc.returncode})")
        reaped = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        kept = json.loads((out / "report.json").read_text())["kept"]
        big = [f"{peaks[p] / 2**20:.0f}" for p in sorted(peaks) if peaks[p] > 50 * 2**20]  # the Python processes, not small helpers
        print(f"| {tree} | {max(reaped, sum(cpu.values())):.1f} | {tree_peak / 2**20:,.0f} | {', '.join(big)} | {kept} |")


PHASE_DRIVER = r'''
import json, sys
from apache_beam.runners.portability.fn_api_runner import fn_runner

def status(field):
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) / 1024 for l in f if l.startswith(field + ":"))

def phase(stage):
    if "FinishFiles" in stage or "SampleDrops" in stage:  # the drop samples come out of the second pass
        return "second pass"
    if "ProcessFiles-ProcessFiles" in stage or "ProcessFiles/ProcessFiles" in stage:
        return "first pass"
    return "global"

peaks = {}
run_bundle = fn_runner.FnApiRunner._execute_bundle

def measured(self, context, manager, data):
    hwm = status("VmHWM")
    try:
        return run_bundle(self, context, manager, data)
    finally:
        name = phase(manager.stage.name)
        after = status("VmHWM")
        peaks[name] = max(peaks.get(name, 0), after if after > hwm else status("VmRSS"))

fn_runner.FnApiRunner._execute_bundle = measured
from pipelines.cli import main
code = main(["curate", *sys.argv[1:]])
print(json.dumps({"rc": code, "phases": peaks, "peak": status("VmHWM")}))
'''


def run_phases(trees: list[str], inputs: str, scratch: str) -> None:
    """Per tree: shard 0 alone and ``inputs``, 1 worker; each phase's peak RSS, MB."""
    import glob
    import shutil

    files = sorted(glob.glob(inputs))
    print("| tree | input | first pass | global (dedup) | second pass | run peak | global / first pass |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for i, tree in enumerate(trees):
        peaks = []
        for label, chosen in ((Path(files[0]).name, files[:1]), (f"{len(files)} files", files)):
            out = Path(scratch) / f"phases{i}"
            shutil.rmtree(out, ignore_errors=True)
            cmd = [sys.executable, "-c", PHASE_DRIVER, "--output", str(out), "--progress-every", "0"]
            for f in chosen:
                cmd += ["--input", f]
            proc = subprocess.run(cmd, cwd=tree, env={**__import__("os").environ, "PYTHONPATH": tree},
                                  capture_output=True, text=True)
            if proc.returncode not in (0, 1):
                raise SystemExit(f"{tree}: curate failed\n{proc.stderr[-2000:]}")
            got = json.loads(proc.stdout.strip().splitlines()[-1])
            ph = got["phases"]
            peaks.append(got["peak"])
            print(f"| {tree} | {label} | {ph.get('first pass', 0):.0f} | {ph.get('global', 0):.0f} | "
                  f"{ph.get('second pass', 0):.0f} | {got['peak']:.0f} | "
                  f"{ph.get('global', 0) / max(ph.get('first pass', 1), 1):.2f} |")
        print(f"| {tree} | ratio, {len(files)} files / shard 0 | | | | {peaks[1] / peaks[0]:.2f} | |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shard", default="/tmp/peerbench/data/shards/part-00000.warc.gz")
    ap.add_argument("--limit", type=int, default=0, help="stop after this many documents read (0 = all)")
    ap.add_argument("--run", nargs="+", metavar="TREE", help="source trees to run a real 2-worker curate from")
    ap.add_argument("--inputs", default="/tmp/peerbench/data/shards/part-0000[01].warc.gz")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--scratch", default="/tmp/worker_memory")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--phases", action="store_true", help="peak RSS per phase, shard 0 vs --inputs, 1 worker")
    ap.add_argument("--trees", nargs="+", default=["."], metavar="TREE", help="source trees for --phases")
    args = ap.parse_args(argv)
    if args.phases:
        run_phases([str(Path(t).resolve()) for t in args.trees], args.inputs, args.scratch)
        return 0
    if args.run:
        run_trees([str(Path(t).resolve()) for t in args.run], args.inputs, args.workers, args.scratch)
        return 0
    if args.child:
        child(args.shard, args.limit)
        return 0
    out = subprocess.run([sys.executable, __file__, "--child", "--shard", args.shard, "--limit", str(args.limit)],
                         cwd=ROOT, check=True, capture_output=True, text=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    print(f"Worker memory by stage ({Path(args.shard).name}):\n")
    print("| stage | RSS MB | added MB | torch imported |")
    print("|---|---:|---:|---|")
    before = 0.0
    for row in result["rows"]:
        added = "" if row["stage"].startswith("peak") else f"{row['rss'] - before:+.0f}"
        print(f"| {row['stage']} | {row['rss']:.0f} | {added} | {'yes' if row['torch'] else 'no'} |")
        if not row["stage"].startswith("peak"):
            before = row["rss"]
    cpu, counts = result["cpu"], result["counts"]
    total = sum(cpu.values())
    print(f"\nCPU by step ({result['docs']} documents read; ms per document reaching the step):\n")
    print("| step | docs in | CPU s | ms/doc | share |")
    print("|---|---:|---:|---:|---:|")
    reach = {"read": result["docs"]}
    prev = "read"
    for name in cpu:
        if name != "read":
            reach[name] = counts[prev] if name != "score (inline)" else counts[name]
            prev = name
    for name, seconds in cpu.items():
        n = reach.get(name) or 1
        print(f"| {name} | {reach.get(name, 0)} | {seconds:.2f} | {1000 * seconds / n:.2f} | {seconds / total:.0%} |")
    print(f"| total | | {total:.2f} | {1000 * total / max(result['docs'], 1):.2f} per doc read | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

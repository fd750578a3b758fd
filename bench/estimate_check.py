"""``skypile curate --estimate`` against a full run of the same input: records, kept per language,
CPU-hours, output bytes, side by side, with the estimate's 95% intervals.

The full run is measured as bench/measure.py measures every run (process-tree CPU, not wall time:
the machine may be shared); give ``--full DIR`` to reuse a finished run (its ``DIR.measure.json``,
written by this script, holds the CPU). Output bytes: the Parquet shards under ``DIR/data``.

Usage: .venv/bin/python bench/estimate_check.py --input '/tmp/peerbench/data/shards/*.warc.gz' \\
    --full /tmp/est/kit_full [--workers 2] [--estimate-files 16 --estimate-records N --seed 0]
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench.measure import ROOT, measure  # noqa: E402

SKYPILE = os.path.join(ROOT, ".venv", "bin", "skypile")


def full_run(inputs: list[str], out: str, workers: int) -> dict:
    """The measured full run's figures (run once; reused when ``out`` holds its report)."""
    saved = out.rstrip("/") + ".measure.json"
    if not os.path.exists(os.path.join(out, "report.json")):
        m = measure([SKYPILE, "curate", "--input", *inputs, "--output", out, "--direct_num_workers", str(workers),
                     "--direct_running_mode", "multi_processing"])
        m.pop("stdout")
        m["load"] = os.getloadavg()
        with open(saved, "w") as f:
            json.dump(m, f)
    with open(saved) as f:
        m = json.load(f)
    with open(os.path.join(out, "report.json")) as f:
        report = json.load(f)
    shards = sum(os.path.getsize(p) for p in glob.glob(os.path.join(out, "data", "*", "*.parquet")))
    return {"records": report["records_in"], "kept": report["kept"],
            "kept_per_language": {k: v for k, v in report["kept_per_language"].items() if v},
            "cpu_hours": m["cpu_s"] / 3600, "output_bytes": shards, "wall_s": m["wall_s"], "load": m.get("load")}


def estimate(inputs: list[str], out: str, args) -> tuple[dict, dict]:
    per_file = [] if args.estimate_records is None else ["--estimate-records", str(args.estimate_records)]
    m = measure([SKYPILE, "curate", "--input", *inputs, "--output", out + "-estimate", "--estimate",
                 "--estimate-files", str(args.estimate_files), *per_file,
                 "--estimate-seed", str(args.seed), "--estimate-workers", str(args.workers)])
    assert not os.path.exists(out + "-estimate"), "the estimate wrote its --output"
    return json.loads(m["stdout"].strip().splitlines()[-1]), m


def table(measured: dict, result: dict) -> list[str]:
    est, ci = result["estimate"], result["interval95"]
    rows = [("records", "records", None), ("kept", "kept", None)]
    rows += [(f"kept {lang}", "kept_per_language", lang) for lang in sorted(measured["kept_per_language"])]
    rows += [("CPU-hours", "cpu_hours", None), ("output MB", "output_bytes", None)]
    lines = ["| figure | estimate | 95% interval | measured | estimate / measured |", "|---|---|---|---|---|"]
    for label, key, sub in rows:
        e, c, m = est[key], ci[key], measured[key]
        if sub is not None:
            e, c, m = e.get(sub, 0.0), (c or {}).get(sub), m[sub]
        div = 1e6 if key == "output_bytes" else 1
        fmt = (lambda v: f"{v / div:.4g}") if key in ("cpu_hours", "output_bytes") else (lambda v: f"{v:,.0f}")
        span = f"{fmt(c[0])} .. {fmt(c[1])}" if c else "-"
        lines.append(f"| {label} | {fmt(e)} | {span} | {fmt(m)} | {e / m:.3f} |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", nargs="+", required=True)
    ap.add_argument("--full", required=True, metavar="DIR", help="the full run's output folder (run if absent)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--estimate-files", type=int, default=16)
    ap.add_argument("--estimate-records", type=int, default=None, help="default: the command's own")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    inputs = sorted(p for pattern in args.input for p in glob.glob(pattern))
    measured = full_run(inputs, args.full, args.workers)
    result, m = estimate(inputs, args.full, args)
    print(f"full run: {measured['wall_s']:.0f} s wall, load {measured['load']}; estimate: {m['wall_s']:.0f} s wall, "
          f"{m['cpu_s']:.0f} CPU s, {result['sample']['records']} records of {result['sample']['files']} files")
    print("rounds: " + "; ".join(f"{r['records']:,} records of {r['files']} files, unseen "
                                 + ", ".join(f"{k} {v:.0%}" for k, v in r["unseen_share"].items())
                                 for r in result["sample"]["rounds"]))
    print("\n".join(table(measured, result)))
    print(json.dumps({"measured": measured, "estimate": result["estimate"], "interval95": result["interval95"],
                      "estimate_cpu_s": m["cpu_s"]}))


if __name__ == "__main__":
    main()

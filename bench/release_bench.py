"""``skypile release`` speed and memory, beside ``datasets`` writing the same shards.

The corpus is real curated text made bigger: ``skypile curate`` on the bundled sample WARCs (or
``--corpus DIR``), then every row copied ``--copies`` times under new ids (the report scaled to
match, so the release accepts it). Ours: ``skypile release`` (hash buckets, sort, CDC shards).
Peer: what ``datasets``' ``push_to_hub`` does before uploading: ``load_dataset("parquet")`` per
config, ``shard(n)`` and ``to_parquet`` with the same shard count. Each runs once as a
subprocess; wall time, CPU seconds and the peak memory of its process tree are measured.

Usage: .venv/bin/python bench/release_bench.py [--copies 300] [--shard-size-mb 50] [--corpus DIR]
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from measure import ROOT, measure  # noqa: E402

PEER = """
import glob, math, os, sys
import datasets
corpus, out, shard_bytes = sys.argv[1], sys.argv[2], float(sys.argv[3])
for lang_dir in sorted(glob.glob(os.path.join(corpus, "data", "*"))):
    ds = datasets.load_dataset("parquet", data_dir=lang_dir, split="train", cache_dir=os.path.join(out, ".cache"))
    n = max(1, math.ceil(ds.data.nbytes / shard_bytes))
    for i in range(n):
        path = os.path.join(out, "data", os.path.basename(lang_dir), f"train-{i:05d}-of-{n:05d}.parquet")
        ds.shard(n, i, contiguous=True).to_parquet(path)
"""


def scaled_corpus(source: str, copies: int, out: str) -> tuple[int, int]:
    """``copies`` of every row of ``source`` under new ids; returns (rows, uncompressed text bytes)."""
    rows = text = 0
    for lang_dir in sorted(glob.glob(os.path.join(source, "data", "*"))):
        files = glob.glob(os.path.join(lang_dir, "*.parquet"))
        if not files:
            continue
        table = pa.concat_tables(pq.read_table(f) for f in files)
        target = os.path.join(out, "data", os.path.basename(lang_dir))
        os.makedirs(target)
        with pq.ParquetWriter(os.path.join(target, "part-00000.parquet"), table.schema, compression="zstd") as w:
            for k in range(copies):
                ids = pc.binary_join_element_wise(table["id"], pa.scalar(f"{k:06d}"), "#")
                w.write_table(table.set_column(0, table.schema.field("id"), ids))
        rows += table.num_rows * copies
        text += (pc.sum(pc.binary_length(table["text"])).as_py() or 0) * copies
    with open(os.path.join(source, "report.json")) as f:
        report = json.load(f)
    for key in ("records_in", "kept"):
        report[key] *= copies
    report["dropped"] = {r: n * copies for r, n in report["dropped"].items()}
    report["kept_per_language"] = {lang: n * copies for lang, n in report["kept_per_language"].items()}
    report["funnel"] = [{**e, "in": e["in"] * copies, "kept": e["kept"] * copies,
                         "dropped": {r: n * copies for r, n in e["dropped"].items()}} for e in report["funnel"]]
    with open(os.path.join(out, "report.json"), "w") as f:
        json.dump(report, f)
    return rows, text


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", help="a curate output (default: curate the bundled sample)")
    ap.add_argument("--copies", type=int, default=300)
    ap.add_argument("--shard-size-mb", type=float, default=50)
    args = ap.parse_args()
    scratch = tempfile.mkdtemp(prefix="skypile-release-bench-")
    try:
        corpus = args.corpus
        if not corpus:
            corpus = os.path.join(scratch, "sample")
            subprocess.run([sys.executable, "-m", "pipelines.cli", "curate", "--input", "sample/*.warc.gz",
                            "--output", corpus, "--progress-every", "0"], cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        big = os.path.join(scratch, "big")
        rows, text = scaled_corpus(corpus, args.copies, big)
        size_mb = sum(os.path.getsize(p) for p in glob.glob(os.path.join(big, "data", "*", "*"))) / 1e6
        print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; corpus {rows:,} rows, "
              f"{text / 1e6:,.0f} MB of text, {size_mb:,.0f} MB of zstd Parquet")
        ours = measure([sys.executable, "-m", "pipelines.cli", "release", "--corpus", big, "--out",
                        os.path.join(scratch, "ours"), "--shard-size-mb", str(args.shard_size_mb)])
        env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
        peer = measure([sys.executable, "-c", PEER, big, os.path.join(scratch, "peer"),
                        str(args.shard_size_mb * 1e6)], env=env)
        print("| tool | wall s | rows/s | MB text/s | CPU s | peak RSS (tree) |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, r in (("skypile release", ours), ("datasets load+shard+to_parquet", peer)):
            print(f"| {name} | {r['wall_s']:.1f} | {rows / r['wall_s']:,.0f} | {text / 1e6 / r['wall_s']:.1f} | "
                  f"{r['cpu_s']:.1f} | {r['peak_rss_mb']:,.0f} MB |")
        print(f"ours / datasets wall time: {ours['wall_s'] / peer['wall_s']:.2f}; "
              f"peak memory: {ours['peak_rss_mb'] / peer['peak_rss_mb']:.2f}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

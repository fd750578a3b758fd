"""Memory of ``--dedup-against`` as the earlier corpus grows: a fixed new batch against earlier
corpora of 1x to 256x the same size.

The new batch is one peer-kit WARC shard (``make_warc.py --shards 4``, default ``part-00003``); the
1x earlier corpus is another shard (``part-00000``) curated with the default config, a real run
(its pages and the new batch's share copies, so there are cross-batch matches). An Nx earlier
corpus is that run's folder with its dedup index grown to N times its rows: copy k > 0 of every
row gets a new id, URL hash and text hash, and its signature and shingle hashes remapped by a
salted affine map (band keys recomputed from the new signature): other documents of the same shape
that match nothing in the new batch. Every Nx corpus therefore holds the 1x corpus's matches and (N - 1)x rows more that
the new run has to stream past. Each ``--dedup-against`` run is its own ``skypile curate``
process (default config, bench/measure.py: wall, CPU and peak RSS of the process tree).

    .venv/bin/python bench/dedup_against_bench.py [--shards DIR] [--scales 1 16 64 256] [--work DIR]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.measure import measure  # noqa: E402
from bench.resume_bench import _shards  # noqa: E402
from transforms.dedup.index import INDEX, SCHEMA  # noqa: E402
from transforms.dedup.lsh import band_keys  # noqa: E402

CURATE = [sys.executable, "-m", "pipelines.cli", "curate", "--progress-every", "0"]


def _h16(value: bytes | None, k: int) -> bytes | None:
    return None if value is None else hashlib.sha1(k.to_bytes(4, "little") + value).digest()[:16]


def _remap(values: bytes, salt: int) -> np.ndarray:
    """Other uint32 values of the same count: ``(v * 2654435761 + salt) mod 2^32``."""
    v = np.frombuffer(values, dtype="<u4").astype(np.uint64)
    return ((v * 2654435761 + salt) % 2**32).astype("<u4")


def _copy_rows(table: pa.Table, k: int, bands: int, rows_per_band: int) -> pa.Table:
    """Copy ``k`` of an index table: other documents of the same shape (see the module text)."""
    out = []
    for r in table.to_pylist():
        salt = int(np.frombuffer(hashlib.sha1(k.to_bytes(4, "little") + r["id"].encode()).digest()[:4], "<u4")[0])
        sig = None if r["signature"] is None else _remap(r["signature"], salt)
        shingles = None if r["shingles"] is None else np.unique(_remap(r["shingles"], salt))
        out.append({"id": f"{r['id']}-copy{k}", "url_hash": _h16(r["url_hash"], k),
                    "text_hash": _h16(r["text_hash"], k),
                    "band_keys": band_keys(sig[None, :], bands, rows_per_band)[0] if sig is not None else None,
                    "signature": sig.tobytes() if sig is not None else None,
                    "shingles": shingles.tobytes() if shingles is not None else None,
                    "cluster_id": f"{r['cluster_id']}-copy{k}" if r["cluster_id"] else None,
                    "dropped": r["dropped"]})
    return pa.Table.from_pylist(out, schema=SCHEMA)


def grow(base: Path, scale: int, dest: Path) -> tuple[int, float]:
    """``base`` with its index grown to ``scale`` times its rows, at ``dest`` (index and report
    only: a later run reads nothing else). Returns (index rows, index MB on disk)."""
    shutil.rmtree(dest, ignore_errors=True)
    (dest / INDEX).mkdir(parents=True)
    shutil.copy(base / "report.json", dest / "report.json")
    shutil.copy(base / INDEX / "settings.json", dest / INDEX / "settings.json")
    settings = json.loads((base / INDEX / "settings.json").read_text())["minhash"]
    files = sorted((base / INDEX).glob("*.parquet"))
    for f in files:
        shutil.copy(f, dest / INDEX / f.name)
    table = pa.concat_tables([pq.read_table(f) for f in files])
    for k in range(1, scale):
        pq.write_table(_copy_rows(table, k, settings["bands"], settings["rows"]),
                       dest / INDEX / f"index-copy{k:05d}.parquet", compression="zstd")
    paths = list((dest / INDEX).glob("*.parquet"))
    return (sum(pq.ParquetFile(p).metadata.num_rows for p in paths),
            sum(p.stat().st_size for p in paths) / 2**20)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shards", type=Path, help="folder of the peer kit's WARC shards")
    ap.add_argument("--scales", type=int, nargs="+", default=[1, 16, 64, 256])
    ap.add_argument("--work", type=Path, help="scratch folder (default: a temporary one)")
    args = ap.parse_args()
    shards = _shards(args.shards)
    earlier_shard, new_shard = shards[0], shards[-1]
    work = args.work or Path(tempfile.mkdtemp(prefix="dedup-against-bench-"))
    base = work / "earlier-1x"
    if not (base / "report.json").exists():
        shutil.rmtree(base, ignore_errors=True)
        m = measure([*CURATE, "--input", str(earlier_shard), "--output", str(base)])
        print(f"earlier corpus: {earlier_shard.name} curated in {m['wall_s']:.0f} s wall, {m['cpu_s']:.0f} s CPU")
    rows = []
    for scale in args.scales:
        earlier = base if scale == 1 else work / f"earlier-{scale}x"
        n_rows, mb = grow(base, scale, earlier) if scale > 1 else (
            sum(pq.ParquetFile(p).metadata.num_rows for p in (base / INDEX).glob("*.parquet")),
            sum(p.stat().st_size for p in (base / INDEX).glob("*.parquet")) / 2**20)
        out = work / f"new-vs-{scale}x"
        shutil.rmtree(out, ignore_errors=True)
        m = measure([*CURATE, "--input", str(new_shard), "--output", str(out), "--dedup-against", str(earlier)])
        report = json.loads((out / "report.json").read_text())
        previous = sum(v for k, v in report["dropped"].items() if k.endswith("_previous"))
        rows.append((scale, n_rows, mb, m, report["kept"], previous))
    print(f"\nnew batch: {new_shard.name}; earlier: {earlier_shard.name} curated, index grown\n")
    print("| earlier corpus | index rows | index MB | wall s | CPU s | peak MB | kept | *_previous drops |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for scale, n_rows, mb, m, kept, previous in rows:
        print(f"| {scale}x | {n_rows:,} | {mb:.1f} | {m['wall_s']:.1f} | {m['cpu_s']:.1f} | {m['peak_rss_mb']:.0f} | "
              f"{kept} | {previous} |")


if __name__ == "__main__":
    main()

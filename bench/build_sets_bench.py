#!/usr/bin/env python3
"""Peak memory and time of ``skypile eval build-sets`` as the training shards grow.

Candidates: a curated output (default ``out/sample``, what ``make run`` writes). Training shards:
the peer kit's 2,392 texts (../shared/peerbench), replicated k times with replica-specific words
and shifted Han characters (as in bench/dedup_bench.py), one Parquet shard per replica. The
training side streams past the candidates' n-grams, so peak memory should not follow k.

Usage: .venv/bin/python bench/build_sets_bench.py [--corpus out/sample] [--scale 1,4,8]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))

from dedup_bench import TEXTS, _shift_han, read_jsonl  # noqa: E402
from measure import measure  # noqa: E402


def write_train(rows, k: int, folder: str) -> int:
    """``k`` shards of one replica each (shards are bounded in size, as `skypile release` writes
    them); returns the characters written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from transforms.document import Document, parquet_schema, to_row

    schema = parquet_schema()
    chars = 0
    for j in range(k):
        docs = [Document(id=f"{r['id']}#{j}", lang="en",
                         text=r["text"] if j == 0 else " ".join(w + f"~{j}" for w in _shift_han(r["text"], j).split(" ")))
                for r in rows]
        pq.write_table(pa.Table.from_pylist([to_row(d, schema) for d in docs], schema=schema),
                       os.path.join(folder, f"train-{j:05d}.parquet"))
        chars += sum(len(d.text) for d in docs)
    return chars


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=os.path.join(ROOT, "out", "sample"))
    ap.add_argument("--after", default="2020-01-01")
    ap.add_argument("--scale", default="1,4,8")
    a = ap.parse_args()
    rows = read_jsonl(TEXTS)
    print(f"candidates: {a.corpus}; training texts: {TEXTS} ({len(rows)}); load average {os.getloadavg()[0]:.2f}")
    print("\n| training shards | docs | M chars | training n-grams scanned | removed overlap:train | wall s | peak RSS MB |")
    print("|---|---|---|---|---|---|---|")
    for k in (int(x) for x in a.scale.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            chars = write_train(rows, k, tmp)
            out = os.path.join(tmp, "sets")
            r = measure([sys.executable, "-m", "train.eval_cli", "build-sets", "--corpus", a.corpus, "--after", a.after,
                         "--train-shards", os.path.join(tmp, "*.parquet"), "--out", out])
            report = json.load(open(os.path.join(out, "report.json")))
        print(f"| {k}x | {len(rows) * k} | {chars / 1e6:.1f} | {report['train_ngrams_scanned']:,} | "
              f"{report['removed'].get('overlap:train', 0)} | {r['wall_s']:.1f} | {r['peak_rss_mb']:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

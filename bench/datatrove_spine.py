"""datatrove's counterpart of our curation spine: WarcReader -> Trafilatura -> ParquetWriter.

Runs in the peer kit's datatrove venv (``$PEERBENCH_ROOT/venvs/datatrove/bin/python``), called by
``bench/curate_bench.py``. Trafilatura keeps datatrove's defaults (favour_precision, no comments,
deduplicate, 1 s timeout in a sandbox process), which FineWeb used. Prints one JSON line:
docs_in (documents the reader produced), docs_out, seconds (wall time of ``executor.run()``).

    python bench/datatrove_spine.py --input SHARD_DIR --output DIR [--tasks 2]
"""
import argparse
import glob
import json
import os
import shutil
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", required=True, help="folder of *.warc.gz files")
    ap.add_argument("--output", required=True)
    ap.add_argument("--tasks", type=int, default=1)
    a = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    shutil.rmtree(a.output, ignore_errors=True)
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.readers import WarcReader
    from datatrove.pipeline.writers import ParquetWriter

    pipe = [WarcReader(os.path.abspath(a.input), glob_pattern="*.warc.gz"), Trafilatura(),
            ParquetWriter(os.path.join(a.output, "out"))]
    ex = LocalPipelineExecutor(pipeline=pipe, tasks=a.tasks, workers=a.tasks,
                               logging_dir=os.path.join(a.output, "logs"))
    t0 = time.perf_counter()
    ex.run()
    seconds = time.perf_counter() - t0
    stats = json.load(open(os.path.join(a.output, "logs", "stats.json")))
    reader = next(s for s in stats if "READER" in s.get("name", "").upper() or "Warc" in s.get("name", ""))
    docs = reader["stats"].get("documents")
    docs_in = docs.get("total") if isinstance(docs, dict) else docs
    import pyarrow.parquet as pq

    docs_out = sum(pq.ParquetFile(f).metadata.num_rows
                   for f in glob.glob(os.path.join(a.output, "out", "**", "*.parquet"), recursive=True))
    print(json.dumps({"docs_in": docs_in, "docs_out": docs_out, "seconds": round(seconds, 2)}))


if __name__ == "__main__":
    main()

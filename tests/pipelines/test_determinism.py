"""Same input and config give the same documents, whatever the number of local workers."""
from __future__ import annotations

import subprocess
import sys

import pyarrow.parquet as pq

from tests.conftest import ROOT

TWO_WORKERS = ["--direct_num_workers=2", "--direct_running_mode=multi_processing"]


def _curate(shared_data, out, *extra):
    proc = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "curate", "--output", str(out),
         "--input", str(shared_data / "warc/dolma/*.warc.gz"),
         "--input", str(shared_data / "warc/resiliparse/warcfile.warc.gz"), *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = []
    for lang_dir in sorted((out / "data").iterdir()):
        rows += pq.read_table(lang_dir).to_pylist()
    return sorted(rows, key=lambda r: r["id"])


def test_one_and_two_workers_give_the_same_documents(shared_data, tmp_path):
    one = _curate(shared_data, tmp_path / "one")
    two = _curate(shared_data, tmp_path / "two", *TWO_WORKERS)
    assert len(one) > 20
    assert one == two  # every column of every row, ids included

"""Bad input never stops a run: each broken file alone, and all of them mixed with good files."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pipelines import curate
from pipelines.config import load_defaults, step_names
from tests.conftest import ROOT
from tests.transforms.test_read import BROKEN

ALL_STEPS = [a for name in step_names(load_defaults()) for a in ("--disable", name)]
SPINE_ONLY = [a for name in step_names(load_defaults()) if name not in ("url_filter", "extract", "langid")
              for a in ("--disable", name)]
BROKEN_FILES = ["warcio/example-bad-non-chunked.warc.gz", "warcio/example-bad.warc.gz.bad",
                "warcio/example-wrong-chunks.warc.gz", "warcio/example-trunc.warc", "warcio/bad.arc",
                "resiliparse/clipped.warc.gz", "resiliparse/block-sized-records.warc.lz4",
                "cc_net/sample.warc.txt", "commoncrawl_whirlwind/CC-MAIN-2024-22.warc.paths.gz"]
# Each file's records are checked one by one in tests/transforms/test_read.py; whole runs (a few
# seconds each) for one file per kind of damage.
ALONE = ["warcio/example-bad-non-chunked.warc.gz", "resiliparse/clipped.warc.gz", "cc_net/sample.warc.txt",
         "commoncrawl_whirlwind/CC-MAIN-2024-22.warc.paths.gz"]


@pytest.mark.parametrize("name", ALONE)
def test_each_broken_file_alone_finishes_balanced(shared_data, tmp_path, name):
    out = tmp_path / "out"
    report = curate.run(["--input", str(shared_data / "warc" / name), "--output", str(out), *ALL_STEPS])
    assert report["balanced"] is True
    assert json.loads((out / "report.json").read_text())["balanced"] is True
    expected = BROKEN.get(name)
    if expected:
        kept = sum(v for k, v in expected.items() if k in ("html", "text"))
        assert report["kept"] == kept
        assert report["dropped"] == {k: v for k, v in expected.items() if k not in ("html", "text")}
    else:
        assert report["records_in"] == sum(report["dropped"].values()) + report["kept"] > 0


def test_all_broken_files_mixed_with_good_ones(shared_data, tmp_path):
    (tmp_path / "empty.warc.gz").write_bytes(b"")
    (tmp_path / "notes.warc").write_bytes(b"not an archive\n")
    inputs = [str(shared_data / "warc" / name) for name in BROKEN_FILES]
    inputs += [str(shared_data / "warc/dolma/sample-0000.warc.gz"), str(tmp_path / "empty.warc.gz"),
               str(tmp_path / "notes.warc")]
    out = tmp_path / "out"
    fast = tmp_path / "fast.yaml"
    fast.write_text("extract: {extractor: resiliparse}\n")  # the damage is in reading, not extraction
    args = [a for path in inputs for a in ("--input", path)]
    proc = subprocess.run([sys.executable, "-m", "pipelines.cli", "curate", *args, "--output", str(out),
                           "--config", str(fast), "--write-rejected", *SPINE_ONLY], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads((out / "report.json").read_text())
    assert report["balanced"] is True
    for reason in ("read_corrupt", "read_truncated", "read_not_archive", "read_empty_file"):
        assert report["dropped"][reason] >= 1, reason
    # Pages after the damage in the broken files reach the output (example.com is their page).
    import pyarrow.parquet as pq

    rows = [r for lang in ("zh", "en") if (out / "data" / lang).exists()
            for r in pq.read_table(out / "data" / lang).to_pylist()]
    assert len(rows) == report["kept"] > 10
    assert any(r["warc_file"] == "example-bad-non-chunked.warc.gz" for r in rows)

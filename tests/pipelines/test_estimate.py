"""``skypile curate --estimate`` through the real CLI: with every record sampled its figures are a real
run's counts; with fewer its intervals hold them; it writes nothing; bad input is one line."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.estimate import records_per_file
from pipelines.sampling_stats import chao_lin, reservoir

ROOT = Path(__file__).resolve().parents[2]
SKYPILE = [sys.executable, "-m", "pipelines.cli", "curate"]


def _curate(*args):
    return subprocess.run([*SKYPILE, *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=600)


def _estimate(inputs, out, *flags):
    proc = _curate("--input", *inputs, "--output", out, "--estimate", *flags)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def warcs(shared_data):
    return [shared_data / "warc/resiliparse/warcfile.warc.gz", shared_data / "warc/dolma/sample-0000.warc.gz",
            shared_data / "warc/dolma/sample-0001.warc.gz"]


@pytest.fixture(scope="module")
def real_run(warcs, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    proc = _curate("--input", *warcs, "--output", out)
    assert proc.returncode == 0, proc.stderr
    return {**json.loads((out / "report.json").read_text()), "_out": str(out)}


def test_every_record_sampled_gives_the_runs_counts(warcs, real_run, tmp_path):
    out = tmp_path / "never"
    result = _estimate(warcs, out, "--estimate-files", 0, "--estimate-records", 0)
    est = result["estimate"]
    assert est["records"] == real_run["records_in"] == 132
    assert est["kept"] == real_run["kept"]
    assert est["kept_per_language"] == {k: v for k, v in real_run["kept_per_language"].items() if v}
    assert result["interval95"]["records"] == [132, 132]  # nothing left to sample
    assert est["cpu_hours"] > 0 and est["output_bytes"] > 0 and est["shuffle_bytes"] > 0
    assert est["worker_hours"] == pytest.approx(est["cpu_hours"] / 8)  # n2-standard-8
    assert not out.exists()


def test_output_bytes_are_the_kept_rows_bytes_when_copies_abound(warcs, real_run, tmp_path):
    """Every kept text of the real run four times (new ids and URLs: exact dedup keeps one of each),
    as JSONL: with every record sampled the estimate's output bytes are the real run's shards'
    (duplicates must not be encoded with the kept rows: they would compress to nothing and halve
    the bytes per character)."""
    import pyarrow.parquet as pq

    shards = sorted((Path(real_run["_out"]) / "data").glob("*/*.parquet"))
    texts = [t for f in shards for t in pq.read_table(f, columns=["text"]).column("text").to_pylist()]
    jsonl = tmp_path / "copies.jsonl"
    with open(jsonl, "w") as f:
        for copy in range(4):
            for i, text in enumerate(texts):
                f.write(json.dumps({"id": f"{copy}-{i}", "url": f"https://c{copy}.example.org/{i}", "text": text}) + "\n")
    out = tmp_path / "run"
    assert _curate("--input", jsonl, "--output", out).returncode == 0
    real = sum(p.stat().st_size for p in (out / "data").glob("*/*.parquet"))
    kept = json.loads((out / "report.json").read_text())["kept"]
    result = _estimate([jsonl], tmp_path / "never", "--estimate-records", 0)
    assert result["estimate"]["kept"] == kept
    assert result["estimate"]["output_bytes"] == pytest.approx(real, rel=0.15)


def test_a_smaller_sample_holds_the_run_in_its_intervals(warcs, real_run, tmp_path, sample_dir=ROOT / "sample"):
    out = tmp_path / "never"
    result = _estimate(warcs, out, "--estimate-files", 2, "--estimate-records", 15, "--estimate-seed", 3,
                       "--estimate-machine", "n1-standard-4")
    low, high = result["interval95"]["records"]
    assert result["sample"] == {**result["sample"], "files": 2, "of_files": 3, "groups": "files"}
    assert result["sample"]["records"] == 30
    assert low <= real_run["records_in"] <= high and low < high
    low, high = result["interval95"]["kept"]
    assert low <= real_run["kept"] <= high
    assert result["machine"] == {"type": "n1-standard-4", "vcpus": 4}
    assert any("Chao" in line for line in result["limits"])  # the dedup estimate says what it is
    assert not out.exists()


def test_the_bundled_sample_within_files(tmp_path):
    """Every sample file chosen, 10 records of each: records exact (each file is counted whole)."""
    result = _estimate([ROOT / "sample" / "*.warc.gz"], tmp_path / "out", "--estimate-records", 10)
    assert result["estimate"]["records"] == 170 and result["sample"]["groups"] == "records"
    low, high = result["interval95"]["kept"]
    assert low < result["estimate"]["kept"] < high
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("flags, message", [
    (["--input", "nothing-*.warc.gz"], "matches no files"),
    (["--input", "sample/*.warc.gz", "--estimate-machine", "n9-huge"], "--estimate-machine n9-huge: unknown"),
    (["--input", "sample/*.warc.gz", "--estimate-records", "-1"], "--estimate-records -1: must be 0 or more"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, flags, message):
    proc = _curate(*flags, "--output", tmp_path / "out", "--estimate")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and message in proc.stderr and proc.stderr.startswith("skypile curate: error:")
    assert not (tmp_path / "out").exists()


def test_the_default_sample_is_a_budget_spread_over_the_files():
    assert records_per_file(None, 16, 40) == 100  # 1,600 over 16 files
    assert records_per_file(None, 16, 4) == 400  # few files: more records from each
    assert records_per_file(None, 0, 3) == 534  # every file chosen
    assert records_per_file(None, 16, 1000) == 100 and records_per_file(None, 64, 1000) == 100  # never under 100
    assert records_per_file(15, 16, 4) == 15 and records_per_file(0, 16, 4) == 0  # as given; 0: every record


def test_chao_lin_is_exact_at_full_sampling_and_scales_singletons():
    assert chao_lin([1, 1, 2, 3], 1.0) == 4
    assert chao_lin([1] * 10, 0.25) == pytest.approx(40)  # all distinct: n / q
    # ten copies of each of 100 texts, one in five sampled: f1, f2 as expected from Binomial(10, 0.2)
    sizes = [1] * 27 + [2] * 30 + [3] * 20 + [4] * 9 + [5] * 3
    assert chao_lin(sizes, 0.2) == pytest.approx(100, rel=0.1)


def test_reservoir_spreads_through_the_items_and_keeps_order():
    import random

    count, picked = reservoir(range(1000), 50, random.Random(0))
    ordinals = [i for i, _ in picked]
    assert count == 1000 and len(picked) == 50 and ordinals == sorted(ordinals)
    assert min(ordinals) < 200 and max(ordinals) > 800
    assert reservoir(range(5), 0, random.Random(0)) == (5, [(i, i) for i in range(5)])

"""``skypile curate --estimate`` through the real CLI: with every record sampled its figures are a real
run's counts; with fewer its intervals hold them; it writes nothing; bad input is one line."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.estimate import BEAM_CPU_PER_DOCUMENT_S, Record, SampledFile, figures, next_round, records_per_file, rows_per_shard
from pipelines.sampling_stats import bottom_k, chao_lin

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
                       "--estimate-machine", "n1-standard-4", "--estimate-unseen", 1)  # one round
    low, high = result["interval95"]["records"]
    assert result["sample"] == {**result["sample"], "files": 2, "of_files": 3, "groups": "files"}
    assert result["sample"]["records"] == 30
    assert low <= real_run["records_in"] <= high and low < high
    low, high = result["interval95"]["kept"]
    assert low <= real_run["kept"] <= high
    assert result["machine"] == {"type": "n1-standard-4", "vcpus": 4}
    assert any("Chao" in line for line in result["limits"])  # the dedup estimate says what it is
    assert not out.exists()


def test_the_sample_does_not_depend_on_where_the_crawl_lies(warcs, tmp_path):
    """The records drawn hash the files' names below their common folder, not their absolute paths:
    a clone elsewhere (CI's checkout) draws the same sample and prints the same figures."""
    results = []
    for folder in (tmp_path / "here", tmp_path / "somewhere" / "else"):
        copies = []
        for warc in warcs:
            copy = folder / warc.parent.name / warc.name
            copy.parent.mkdir(parents=True, exist_ok=True)
            copies.append(shutil.copyfile(warc, copy))
        results.append(_estimate(copies, tmp_path / "never", "--estimate-files", 2, "--estimate-records", 15,
                                 "--estimate-seed", 3, "--estimate-unseen", 1))
    here, there = results
    assert here["sample"]["records"] == there["sample"]["records"] == 30
    for figure in ("records", "documents_after_first_pass", "kept_per_language", "dropped_by_dedup", "output_bytes"):
        assert here["estimate"][figure] == there["estimate"][figure], figure
    assert here["interval95"]["kept"] == there["interval95"]["kept"]


def test_sample_names_are_the_paths_below_the_inputs_common_folder():
    from pipelines.estimate_sample import sample_names

    assert sample_names(["/a/crawl/x/1.warc.gz", "/a/crawl/y/1.warc.gz"]) == ["x/1.warc.gz", "y/1.warc.gz"]
    assert sample_names(["/b/c/s-10.warc.gz", "/b/c/s-11.warc.gz"]) == ["s-10.warc.gz", "s-11.warc.gz"]
    assert sample_names(["gs://bucket/crawl/part-1.jsonl"]) == ["part-1.jsonl"]


def test_rounds_grow_a_nested_sample_until_the_unseen_target_or_the_cap(warcs, real_run, tmp_path):
    """Five records a file to start: the sample has seen too few of the kept documents' groups, so
    rounds double the records a file until at most 15% of each language's are unseen; a cap below
    the next round stops there and says so."""
    result = _estimate(warcs, tmp_path / "never", "--estimate-files", 0, "--estimate-records", 5)
    rounds, sample = result["sample"]["rounds"], result["sample"]
    assert [r["records"] for r in rounds][:2] == [15, 30] and len(rounds) >= 3
    assert all(a["records"] < b["records"] for a, b in zip(rounds, rounds[1:]))
    assert sample["met"] and max(rounds[-1]["unseen_share"].values()) <= 0.15 < max(rounds[0]["unseen_share"].values())
    assert sample["records"] == rounds[-1]["records"]  # nested: no record drawn twice
    low, high = result["interval95"]["kept"]
    assert low <= real_run["kept"] <= high
    capped = _estimate(warcs, tmp_path / "never", "--estimate-files", 0, "--estimate-records", 5,
                       "--estimate-max-records", 40)
    assert [r["records"] for r in capped["sample"]["rounds"]] == [15, 30] and not capped["sample"]["met"]


def test_the_bundled_sample_within_files(tmp_path):
    """Every sample file chosen, 10 records of each: records exact (each file is counted whole)."""
    result = _estimate([ROOT / "sample" / "*.warc.gz"], tmp_path / "out", "--estimate-records", 10,
                       "--estimate-unseen", 1)
    assert result["estimate"]["records"] == 170 and result["sample"]["groups"] == "records"
    low, high = result["interval95"]["kept"]
    assert low < result["estimate"]["kept"] < high
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("flags, message", [
    (["--input", "nothing-*.warc.gz"], "matches no files"),
    (["--input", "sample/*.warc.gz", "--estimate-machine", "n9-huge"], "--estimate-machine n9-huge: unknown"),
    (["--input", "sample/*.warc.gz", "--estimate-records", "-1"], "--estimate-records -1: must be 0 or more"),
    (["--input", "sample/*.warc.gz", "--estimate-unseen", "0"], "--estimate-unseen 0: a share above 0, at most 1"),
    (["--input", "sample/*.warc.gz", "--estimate-max-records", "-5"], "--estimate-max-records -5: must be 0 or more"),
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


def test_rows_per_shard_spread_kept_documents_over_the_input_files():
    assert rows_per_shard(480, 4) == 120  # the kit: four files
    assert rows_per_shard(460, 40) == 12  # the 10x input: forty
    assert rows_per_shard(3, 40) == 1 and rows_per_shard(0, 40) == 1  # fewer documents than files


def test_chao_lin_is_exact_at_full_sampling_and_scales_singletons():
    assert chao_lin([1, 1, 2, 3], 1.0) == 4
    assert chao_lin([1] * 10, 0.25) == pytest.approx(40)  # all distinct: n / q
    # ten copies of each of 100 texts, one in five sampled: f1, f2 as expected from Binomial(10, 0.2)
    sizes = [1] * 27 + [2] * 30 + [3] * 20 + [4] * 9 + [5] * 3
    assert chao_lin(sizes, 0.2) == pytest.approx(100, rel=0.1)


def _chained_sample(records_in_file):
    """Eight sampled documents: d1 and d2 share a URL, d3 has d1's text (so URL then exact dedup
    chain all three into one group), d4 and d5 share a text, d6..d8 stand alone."""
    from types import SimpleNamespace

    texts = {1: "t1", 2: "t9", 3: "t1", 4: "t2", 5: "t2"}
    urls = {1: "u1", 2: "u1"}
    records = [Record(0, lang="en", out_lang="en", doc=SimpleNamespace(id=f"d{i}"),
                      keys={"k_content": f"c{i}", "k_url_hash": urls.get(i, f"u{i}x"), "k_text_hash": texts.get(i, f"t{i}x")})
               for i in range(1, 9)]
    files = [SampledFile("f", 1000, records_in_file, 0.0)]
    dedup = [("record_dedup", {}), ("url_dedup", {}), ("exact_dedup", {})]
    fixed = {"run_cpu_s": 0.0, "worker_cpu_s": 0.0, "workers": 1, "shard_bytes": 0.0}
    return figures(files, records, 1000, 1, dedup, fixed)


def test_dedup_is_estimated_once_over_the_chained_groups():
    every = _chained_sample(8)  # every record sampled: the sample's own counts
    assert every["kept"] == 5
    assert every["dropped_by_dedup"] == {"exact_dedup": 2, "record_dedup": 0, "url_dedup": 1}
    assert every["unseen_share"] == {"en": 0.0}
    # no per-document CPU sampled here: what is left is Beam's work between the steps, per document
    assert every["cpu_hours"] * 3600 == pytest.approx(8 * BEAM_CPU_PER_DOCUMENT_S)
    half = _chained_sample(16)  # q = 1/2; chained group sizes 3, 2, 1, 1, 1 (f1..f4 = 3, 1, 1, 0)
    kept = 5 + 9 / (8 / 7 * 2 * 1 + 1 * 3)  # = 248/37; per step, compounded, it would differ
    assert half["kept"] == pytest.approx(kept)
    assert half["unseen_share"] == {"en": pytest.approx(1 - 5 / kept, abs=1e-4)}  # the estimator's part
    dropped = half["dropped_by_dedup"]
    assert dropped["url_dedup"] == pytest.approx((16 - kept) / 3)  # split as the sample's removals
    assert dropped["exact_dedup"] == pytest.approx((16 - kept) * 2 / 3) and dropped["record_dedup"] == 0


def test_bottom_k_samples_are_nested_spread_and_in_order():
    import hashlib

    def priority(ordinal):
        return int.from_bytes(hashlib.blake2b(str(ordinal).encode(), digest_size=8).digest(), "big")

    count, picked = bottom_k(iter(range(1000)), 50, priority)
    ordinals = [i for i, _ in picked]
    assert count == 1000 and len(picked) == 50 and ordinals == sorted(ordinals)
    assert min(ordinals) < 200 and max(ordinals) > 800
    assert ordinals == sorted(sorted(range(1000), key=priority)[:50]) and all(i == item for i, item in picked)
    bigger = {i for i, _ in bottom_k(iter(range(1000)), 100, priority)[1]}
    assert set(ordinals) < bigger  # the next round holds this one
    assert bottom_k(iter(range(5)), 0, priority) == (5, [(i, i) for i in range(5)])


def test_next_round_doubles_records_then_files_until_the_target_or_the_cap():
    files = [600, 600, 500, 601]
    assert next_round(100, 4, 40, files, {"en": 0.1, "zh": 0.2}, 0.15, 12800) == (200, 4)  # zh: not yet
    assert next_round(100, 4, 40, files, {"en": 0.1, "zh": 0.15}, 0.15, 12800) is None  # met
    assert next_round(100, 4, 40, files, {}, 0.15, 12800) is None  # nothing kept: nothing to refine
    assert next_round(601, 4, 40, files, {"zh": 0.3}, 0.15, 12800) == (601, 8)  # whole files: more files
    assert next_round(0, 4, 40, files, {"zh": 0.3}, 0.15, 12800) == (0, 8)
    assert next_round(0, 40, 40, files, {"zh": 0.3}, 0.15, 12800) is None  # everything sampled
    assert next_round(400, 4, 40, files, {"zh": 0.3}, 0.15, 2301) == (800, 4)  # 1,600 + 701 new: 2,301
    assert next_round(400, 4, 40, files, {"zh": 0.3}, 0.15, 2300) is None  # past the cap
    assert next_round(601, 4, 6, files, {"zh": 0.3}, 0.15, 12800) == (601, 6)  # no more files than there are


def test_minhash_groups_check_every_pair_of_a_bucket_as_the_run_does():
    """Three documents in one band bucket: a is near neither, b and c are near each other. The run
    checks every pair of a small bucket (transforms/dedup/verify.py), so b and c are one group; a
    check against the bucket's first member alone would keep all three."""
    import numpy as np
    from types import SimpleNamespace

    from pipelines.estimate_dedup import groups

    def doc(name, shingles):
        return Record(0, lang="en", doc=SimpleNamespace(id=name),
                      keys={"k_bands": [b"band"], "k_shingles": np.array(sorted(shingles), "<u4").tobytes()})

    a, b, c = doc("a", range(0, 100)), doc("b", range(500, 600)), doc("c", range(505, 600))
    found = groups([a, b, c], "minhash_dedup", {"verify_jaccard": True, "threshold": 0.8})
    assert sorted(sorted(r.doc.id for r in g) for g in found) == [["a"], ["b", "c"]]
    unchecked = groups([a, b, c], "minhash_dedup", {"verify_jaccard": False, "threshold": 0.8})
    assert len(unchecked) == 1  # without the check a shared band is enough

"""Growing a corpus crawl by crawl: `--dedup-against` an earlier run, and releasing the union.

The input is the peer kit's benchmark WARC (real pages from ../shared/data/html, with exact and
near copies under other URLs), built small, in 8 shards: curating shards 1..8 at once and curating
1..4, then 5..8 with `--dedup-against` the first, must keep the same documents up to which copy of
a cross-batch duplicate survives; the test names every document that differs and why.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from tests.conftest import ROOT

KIT = ROOT.parent / "shared" / "peerbench" / "make_warc.py"
PREVIOUS_REASONS = {"url_duplicate_previous", "exact_duplicate_previous", "near_duplicate_previous"}


def _curate(*args):
    return subprocess.run([sys.executable, "-m", "pipelines.cli", "curate", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)


def _ok(proc):
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


@pytest.fixture(scope="module")
def runs(shared_data, tmp_path_factory):
    root = tmp_path_factory.mktemp("grow")
    subprocess.run([sys.executable, str(KIT), "--data", str(shared_data / "html"), "--out", str(root / "kit"),
                    "--records", "600", "--shards", "8", "--seed", "42"], check=True, capture_output=True)
    config = root / "fast.yaml"  # the dedup steps are under test; the fast extractor will do
    config.write_text("extract:\n  extractor: resiliparse\n")
    shards = sorted((root / "kit/shards").glob("*.warc.gz"))
    common = ["--config", str(config), "--write-rejected"]
    out = {name: root / name for name in ("all", "first", "second")}
    _ok(_curate(*common, "--input", str(root / "kit/shards/*.warc.gz"), "--output", str(out["all"])))
    _ok(_curate(*common, *[a for s in shards[:4] for a in ("--input", str(s))], "--output", str(out["first"])))
    _ok(_curate(*common, *[a for s in shards[4:] for a in ("--input", str(s))], "--output", str(out["second"]),
                "--dedup-against", str(out["first"])))
    return root, config, out


def _kept(folder):
    return {r["id"]: r for f in sorted((folder / "data").rglob("*.parquet")) for r in pq.read_table(f).to_pylist()}


def _rejected(folder):
    return {r["id"]: r for r in pq.read_table(folder / "rejected").to_pylist()}


def test_two_batches_keep_what_one_run_keeps_up_to_which_copy_survives(runs):
    _, _, out = runs
    whole = _kept(out["all"])
    union = {**_kept(out["first"]), **_kept(out["second"])}
    assert len(union) == len(_kept(out["first"])) + len(_kept(out["second"]))  # no id kept twice
    rejected_whole = _rejected(out["all"])
    rejected_batch = {**_rejected(out["first"]), **_rejected(out["second"])}
    only_whole, only_union = set(whole) - set(union), set(union) - set(whole)
    explained: dict[str, str] = {}
    for doc_id in sorted(only_whole):
        r = rejected_batch[doc_id]
        if r["reason"] in PREVIOUS_REASONS and r["previous_id"] in only_union:
            # the copy in the first batch survived instead: the earlier corpus takes priority
            explained[doc_id] = f"{r['reason']}: the earlier copy {r['previous_id']} kept instead"
            explained.setdefault(r["previous_id"], f"survives in place of {doc_id}")
        elif r["reason"] in ("near_duplicate", "exact_duplicate") and (
                r.get("minhash_cluster_id") in only_union or r["reason"] == "exact_duplicate"):
            # dropped within its batch as a copy of a document that the one run dropped as the
            # URL duplicate of a capture in the other batch (step order: URL dedup first)
            root = r.get("minhash_cluster_id")
            assert root is None or rejected_whole[root]["reason"] in ("url_duplicate", "exact_duplicate")
            explained[doc_id] = f"{r['reason']} in its batch, of {root} (a cross-batch URL duplicate in one run)"
    unexplained = (only_whole | only_union) - set(explained)
    assert not unexplained, {i: (whole.get(i) or union.get(i))["url"] for i in unexplained}
    # every cross-batch survivor the one run kept from the second batch is one the first batch had
    for doc_id in only_union:
        assert rejected_whole[doc_id]["reason"] in ("url_duplicate", "exact_duplicate", "near_duplicate")
    assert len(only_whole) - len(only_union) <= 2  # the cascades above, one each way at most here
    assert only_whole and len(only_whole) < 0.15 * len(whole)

    second = json.loads((out["second"] / "report.json").read_text())
    assert second["balanced"]
    assert PREVIOUS_REASONS <= set(second["dropped"])
    by_step = {e["step"]: e["dropped"] for e in second["funnel"]}
    assert "url_duplicate_previous" in by_step["url_dedup"]
    assert "near_duplicate_previous" in by_step["minhash_dedup"]
    # the earlier corpus was read through its index only: a few KB a document, not its texts
    index = sum(f.stat().st_size for f in (out["first"] / "index").glob("*.parquet"))
    shards = sum(f.stat().st_size for f in (out["first"] / "data").rglob("*.parquet"))
    assert index < shards


def test_release_of_both_batches_is_their_union(runs, tmp_path):
    _, _, out = runs
    proc = subprocess.run([sys.executable, "-m", "pipelines.cli", "release", "--corpus", str(out["first"]),
                           "--corpus", str(out["second"]), "--out", str(tmp_path / "rel")],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [r for f in sorted((tmp_path / "rel/data").rglob("*.parquet")) for r in pq.read_table(f).to_pylist()]
    union = {**_kept(out["first"]), **_kept(out["second"])}
    assert sorted(r["id"] for r in rows) == sorted(union)
    report = json.loads((tmp_path / "rel/report.json").read_text())
    first, second = (json.loads((out[k] / "report.json").read_text()) for k in ("first", "second"))
    assert report["kept"] == first["kept"] + second["kept"] == len(rows)
    assert report["records_in"] == first["records_in"] + second["records_in"] and report["balanced"]


def test_earlier_corpus_without_index_or_with_other_minhash_settings_is_refused(runs, tmp_path):
    root, config, out = runs
    shard = str(root / "kit/shards/part-00007.warc.gz")
    old = tmp_path / "old"
    shutil.copytree(out["first"], old)
    shutil.rmtree(old / "index")
    proc = _curate("--config", str(config), "--input", shard, "--output", str(tmp_path / "a"),
                   "--dedup-against", str(old))
    assert proc.returncode == 2 and "no dedup index" in proc.stderr and str(old) in proc.stderr
    other = tmp_path / "other.yaml"
    other.write_text(config.read_text() + "minhash_dedup:\n  num_perm: 64\n")
    proc = _curate("--config", str(other), "--input", shard, "--output", str(tmp_path / "b"),
                   "--dedup-against", str(out["first"]))
    assert proc.returncode == 2 and "other MinHash settings" in proc.stderr
    assert not (tmp_path / "a").exists() or not any((tmp_path / "a").iterdir())

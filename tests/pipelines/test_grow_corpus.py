"""Growing a corpus crawl by crawl: `--dedup-against` an earlier run, and releasing the union.

The input is the peer kit's benchmark WARC (real pages from ../shared/data/html, with exact and
near copies under other URLs), built small, in 8 shards: curating shards 1..8 at once and curating
1..4, then 5..8 with `--dedup-against` the first, must keep the same documents up to which copy of
a cross-batch duplicate survives. The test groups the documents into classes of copies (URL, text,
MinHash cluster) and names, for every class that keeps a different number of documents, the
document and the reason: a first-batch document that only second-batch documents link to its
one-run cluster (the earlier corpus is final), or a URL whose later capture one run keeps where the
batches keep the earlier one (its other text matches other copies).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import ROOT, SHARED_DATA, require_full_data

# The peer kit lies beside the full data (../shared/peerbench), not in the project.
KIT = SHARED_DATA.parent / "peerbench" / "make_warc.py"
PREVIOUS_REASONS = {"url_duplicate_previous", "exact_duplicate_previous", "near_duplicate_previous"}
GLOBAL_STEPS = {"url_dedup", "exact_dedup", "minhash_dedup", "decontaminate", "score", "score_filter"}


def _curate(*args):
    return subprocess.run([sys.executable, "-m", "pipelines.cli", "curate", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)


def _ok(proc):
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


@pytest.fixture(scope="module")
def runs(shared_data, tmp_path_factory):
    require_full_data("html/mozilla_readability", "../peerbench/make_warc.py")
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


def duplicate_classes(whole: Path, first: Path, second: Path) -> list[dict]:
    """The documents that reached the dedup steps, in classes of copies (same normalised URL, same
    normalised text, or one MinHash cluster in either result); per class that keeps a different
    number of documents in one run and in the two batches, the members and why."""
    from transforms.dedup.exact import text_hash
    from transforms.dedup.index import url_hash

    kept_w, rej_w = _kept(whole), _rejected(whole)
    kept_b = {**_kept(first), **_kept(second)}
    rej_b = {**_rejected(first), **_rejected(second)}
    batch1 = set(_kept(first)) | set(_rejected(first))
    docs = {i: r for i, r in {**rej_w, **kept_w}.items() if i in kept_w or r["step"] in GLOBAL_STEPS}
    parent: dict[str, str] = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def join(a, b):
        parent[find(a)] = find(b)

    for i, r in docs.items():
        find(i)
        if r["url"]:
            join(i, "url:" + url_hash(r["url"]).hex())
        join(i, "text:" + text_hash(r["text"]).hex())
        for link in (r.get("minhash_cluster_id"), (rej_b.get(i) or kept_b.get(i) or {}).get("minhash_cluster_id"),
                     (rej_b.get(i) or {}).get("previous_id")):
            if link:
                join(i, link)
    classes: dict[str, list[str]] = {}
    for i in docs:
        classes.setdefault(find(i), []).append(i)
    out = []
    for members in classes.values():
        one, two = sum(m in kept_w for m in members), sum(m in kept_b for m in members)
        if one == two:
            continue
        why = []
        for m in members:
            if m in batch1 and m in kept_b and rej_w.get(m, {}).get("reason") == "near_duplicate":
                why.append(f"{m}: kept by the first batch, a near duplicate in one run through second-batch "
                           "documents (the earlier corpus is final)")
            r = rej_b.get(m)
            if (r and r["reason"] == "url_duplicate_previous" and (m in kept_w or rej_w[m]["step"] != "url_dedup")
                    and rej_w.get(r["previous_id"], {}).get("step") == "url_dedup"):
                why.append(f"{m}: one run's survivor of its URL (the later capture); the batches keep the earlier "
                           f"capture {r['previous_id']}, whose other text matches other copies")
        out.append({"members": sorted(members), "one_run": one, "batches": two, "why": why})
    return out


def test_two_batches_keep_what_one_run_keeps_up_to_which_copy_survives(runs):
    _, _, out = runs
    whole = _kept(out["all"])
    first, second = _kept(out["first"]), _kept(out["second"])
    assert not set(first) & set(second)  # no id kept twice
    differing = duplicate_classes(out["all"], out["first"], out["second"])
    assert all(c["why"] for c in differing), [c for c in differing if not c["why"]]
    net = sum(c["batches"] - c["one_run"] for c in differing)
    assert len(first) + len(second) - len(whole) == net
    assert sum(abs(c["batches"] - c["one_run"]) for c in differing) <= 0.02 * len(whole)

    report = json.loads((out["second"] / "report.json").read_text())
    assert report["balanced"]
    assert PREVIOUS_REASONS <= set(report["dropped"])
    by_step = {e["step"]: e["dropped"] for e in report["funnel"]}
    assert "url_duplicate_previous" in by_step["url_dedup"]
    assert "near_duplicate_previous" in by_step["minhash_dedup"]
    # the earlier corpus's index: every document that took part in a dedup decision (all but the
    # URL duplicates), the later drops named
    rows = [r for f in sorted((out["first"] / "index").glob("*.parquet")) for r in pq.read_table(f).to_pylist()]
    rejected = _rejected(out["first"])
    assert sorted(r["id"] for r in rows) == sorted(set(_kept(out["first"])) | {
        i for i, r in rejected.items() if r["step"] in GLOBAL_STEPS - {"url_dedup"}})
    assert {r["dropped"] for r in rows if r["dropped"]} == {
        f"{r['step']}:{r['reason']}" for r in rejected.values() if r["step"] in GLOBAL_STEPS - {"url_dedup"}}


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

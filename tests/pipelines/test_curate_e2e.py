"""End to end: the real ``skypile curate`` command on real Common Crawl WARCs."""
from __future__ import annotations

import json
import subprocess
import sys

import pyarrow.parquet as pq

from tests.conftest import ROOT

SKYPILE = [sys.executable, "-m", "pipelines.cli"]


def _curate(*args, cwd=ROOT):
    return subprocess.run([*SKYPILE, "curate", *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def test_curate_real_warcs_accounts_for_every_record(tmp_path, shared_data):
    out = tmp_path / "out"
    proc = _curate("--input", str(shared_data / "warc/resiliparse/warcfile.warc.gz"),
                   "--input", str(shared_data / "warc/dolma/*.warc.gz"),
                   "--output", str(out), "--write-rejected")
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["records_in"] == report["kept"] + sum(report["dropped"].values())
    assert report["balanced"] is True
    assert report["records_in"] == 132  # 44 pages x (request, response, metadata)
    # requests, metadata, warcinfo; the 4 resource records are read and dropped as non-HTML
    assert report["dropped"]["read_not_response"] == 75
    assert report["dropped"]["read_non_html"] == 4
    # One folder per language that kept documents: no empty shards or folders are left behind.
    folders = {p.name: p for p in (out / "data").iterdir()}
    assert set(folders) == {lang for lang, n in report["kept_per_language"].items() if n}
    assert all(any(p.iterdir()) for p in folders.values())
    rows = {lang: pq.read_table(path).to_pylist() for lang, path in folders.items()}
    zh, en = rows.get("zh", []), rows["en"]
    assert len(zh) + len(en) == report["kept"]
    # The Chinese pages of these excerpts are gambling/adult spam: the heuristics drop all but an
    # adult story, which is prose (quality rules keep it) and which the toxicity lexicon flags.
    assert en and [r["url"] for r in zh] == ["http://0513mt.com/index.php/art/detail/id/8884.html"]
    assert zh[0]["toxicity_lexicon"] == 1.0
    assert all(r["lang"] == "zh" for r in zh) and all(r["lang"] == "en" for r in en)
    assert all(r["id"] and r["url"] and r["warc_date"] and r["warc_record_id"] for r in zh + en)
    rejected = pq.read_table(out / "rejected").to_pylist()
    assert any(r["lang"] == "zh" and r["step"] == "heuristics" for r in rejected)
    assert len(rejected) == sum(report["dropped"].values())
    assert {r["reason"] for r in rejected} == set(report["dropped"])
    assert "records in 132 = kept" in proc.stdout


def test_curate_fails_before_launch_on_empty_glob(tmp_path):
    proc = _curate("--input", str(tmp_path / "nothing-*.warc.gz"), "--output", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert "matches no files" in proc.stderr


def test_curate_fails_before_launch_on_unwritable_output(tmp_path, shared_data):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    proc = _curate("--input", str(shared_data / "warc/dolma/*.warc.gz"), "--output", str(blocker / "out"))
    assert proc.returncode == 2
    assert "not writable" in proc.stderr and str(blocker / "out") in proc.stderr
    assert not (blocker.parent / "out").exists()

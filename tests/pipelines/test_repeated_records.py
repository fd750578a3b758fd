"""A record seen twice is one document, and damaged WARCs never stop a run.

Mutants of a real Common Crawl WARC (bit flips, truncation, inserted, zeroed and repeated spans,
the file concatenated with itself) all go into one `skypile curate` run, which must finish with a
balanced report and unique ids.
"""
from __future__ import annotations

import gzip
import json
import random
import subprocess
import sys

import pyarrow.parquet as pq

from tests.conftest import ROOT
from transforms.read import read_file

SKYPILE = [sys.executable, "-m", "pipelines.cli", "curate"]


def _curate(*args):
    return subprocess.run([*SKYPILE, *args], cwd=ROOT, capture_output=True, text=True, timeout=900)


def _rows(out):
    return [r for f in sorted((out / "data").rglob("*.parquet")) for r in pq.read_table(f).to_pylist()]


def _mutants(raw: bytes, rng: random.Random) -> dict[str, bytes]:
    """Named damaged copies of a gzipped WARC (``raw``) and of its decompressed bytes."""
    plain = gzip.decompress(raw)

    def span(data, size):
        start = rng.randrange(len(data) - size)
        return start, start + size

    def flips(data, n):
        data = bytearray(data)
        for _ in range(n):
            i = rng.randrange(len(data))
            data[i] ^= 1 << rng.randrange(8)
        return bytes(data)

    a, b = span(plain, 20_000)
    c, d = span(raw, 8_000)
    i = rng.randrange(len(plain))
    z, w = span(plain, 4_096)
    return {
        "concatenated.warc.gz": raw + raw,  # `cat a.warc.gz a.warc.gz`
        "repeated-span.warc": plain[:b] + plain[a:b] + plain[b:],
        "repeated-gzip-span.warc.gz": raw[:d] + raw[c:d] + raw[d:],
        "bit-flips.warc.gz": flips(raw, 12),
        "bit-flips.warc": flips(plain, 40),
        "truncated.warc.gz": raw[: int(len(raw) * 0.6)],
        "inserted.warc": plain[:i] + rng.randbytes(1_024) + plain[i:],
        "zeroed.warc": plain[:z] + bytes(w - z) + plain[w:],
    }


def test_a_warc_concatenated_with_itself_keeps_each_page_once(shared_data, tmp_path):
    raw = (shared_data / "warc/dolma/sample-0000.warc.gz").read_bytes()
    (tmp_path / "a.warc.gz").write_bytes(raw)
    (tmp_path / "c.warc.gz").write_bytes(raw + raw)
    once, twice = tmp_path / "once", tmp_path / "twice"
    for name, out in (("a", once), ("c", twice)):
        proc = _curate("--input", str(tmp_path / f"{name}.warc.gz"), "--output", str(out))
        assert proc.returncode == 0, proc.stderr[-3000:]
    a, c = json.loads((once / "report.json").read_text()), json.loads((twice / "report.json").read_text())
    assert c["records_in"] == 2 * a["records_in"] and c["balanced"]
    assert c["kept"] == a["kept"] > 0
    # every page that reached the id check came twice: one copy dropped, with the reason
    def reached(report):
        return next(e for e in report["funnel"] if e["step"] == "record_dedup")

    assert reached(a)["dropped"] == {} and reached(a)["in"] >= a["kept"]
    assert reached(c)["dropped"] == {"read_duplicate_record": reached(a)["in"]}
    rows_a, rows_c = _rows(once), _rows(twice)
    assert len({r["id"] for r in rows_c}) == len(rows_c) == len(rows_a)
    assert sorted(r["text"] for r in rows_c) == sorted(r["text"] for r in rows_a)


def test_mutated_warcs_finish_balanced_with_unique_ids(shared_data, tmp_path):
    raw = (shared_data / "warc/dolma/sample-0000.warc.gz").read_bytes()
    mutants = _mutants(raw, random.Random(15))
    folder = tmp_path / "mutants"
    folder.mkdir()
    for name, data in mutants.items():
        (folder / name).write_bytes(data)
        with open(folder / name, "rb") as f:  # the reader alone: one verdict per record, no exception
            assert list(read_file(f, str(folder / name), 10 << 20))
    out = tmp_path / "out"
    proc = _curate("--input", str(folder / "*"), "--output", str(out), "--write-rejected")
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads((out / "report.json").read_text())
    assert report["balanced"] and len(report["inputs"]) == len(mutants)
    rows = _rows(out)
    assert rows and len({r["id"] for r in rows}) == len(rows) == report["kept"]
    # the repeated spans and the concatenation repeat record ids: counted, never kept twice
    assert report["dropped"]["read_duplicate_record"] > 0
    damage = {"read_corrupt", "read_truncated"} & set(report["dropped"])
    assert damage
    rejected = pq.read_table(out / "rejected").to_pylist()
    assert len(rejected) == sum(report["dropped"].values())

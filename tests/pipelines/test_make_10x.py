"""bench/make_10x.py on a real WARC: every copy is a valid WARC of new records (ids, links, URLs),
with the same payloads, and skypile reads each copy as the same number of documents."""
from __future__ import annotations

import importlib.util
import json
import os
import shutil

from warcio.archiveiterator import ArchiveIterator

from tests.conftest import ROOT
from transforms.read import read_file


def _make_10x():
    spec = importlib.util.spec_from_file_location("make_10x", os.path.join(ROOT, "bench", "make_10x.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _records(path):
    with open(path, "rb") as f:
        return [(r.rec_type, r.rec_headers.get_header("WARC-Record-ID"), r.rec_headers.get_header("WARC-Target-URI"),
                 r.rec_headers.get_header("WARC-Concurrent-To"), r.content_stream().read())
                for r in ArchiveIterator(f)]


def test_copies_are_new_records_with_the_same_payloads(shared_data, tmp_path):
    kit = tmp_path / "kit"
    (kit / "data" / "shards").mkdir(parents=True)
    shard = kit / "data" / "shards" / "part-00000.warc.gz"
    shutil.copyfile(shared_data / "warc/dolma/sample-0000.warc.gz", shard)
    original = _records(shard)
    responses = [r for r in original if r[0] == "response"]
    with open(kit / "data" / "bench.groundtruth.jsonl", "w") as f:
        for _, rid, url, _, _ in responses:
            f.write(json.dumps({"record_id": rid, "url": url, "kind": "original", "dup_of": None}) + "\n")

    assert _make_10x().main(["--kit", str(kit), "--root", str(tmp_path / "x"), "--copies", "3"]) == 0

    files = sorted((tmp_path / "x" / "data" / "shards").iterdir())
    assert [f.name for f in files] == [f"part-00000-c0{c}.warc.gz" for c in range(3)]
    copies = [_records(f) for f in files]
    assert copies[0] == original
    ids, urls = set(), set()
    for copy in copies:
        assert [(t, body) for t, _, _, _, body in copy] == [(t, body) for t, _, _, _, body in original]
        by_id = {rid: kind for kind, rid, _, _, _ in copy}
        for kind, rid, url, concurrent, _ in copy:
            if kind == "response":
                ids.add(rid)
                urls.add(url)
                if concurrent:  # the link points at this copy's request
                    assert by_id.get(concurrent) == "request"
    assert len(ids) == len(urls) == 3 * len(responses)
    assert "skypile_copy=2" in copies[2][[r[0] for r in copies[2]].index("response")][2]
    counts = []
    for f in files:
        with open(f, "rb") as stream:
            counts.append(sum(1 for _ in read_file(stream, str(f), 10 << 20)))
    assert counts == [counts[0]] * 3 and counts[0] >= len(responses)
    rows = [json.loads(line) for line in open(tmp_path / "x" / "data" / "bench.groundtruth.jsonl")]
    assert len(rows) == 3 * len(responses) and {r["record_id"] for r in rows} == ids
    assert all(r["dup_of"] for r in rows if r["copy"])

"""The peer kit's WARC shards repeated N times as new records: a larger input for steady-state runs.

Copy 0 of each shard is the kit's file as it is; copies 1..N-1 rewrite, in every record's WARC
header, ``WARC-Record-ID`` (and the ``WARC-Concurrent-To`` / ``WARC-Warcinfo-ID`` /
``WARC-Refers-To`` links, so requests still point at their responses) to a UUID derived from the
old id and the copy number, and ``WARC-Target-URI`` to the same URL with ``skypile_copy=<c>``
added to its query. The blocks (HTTP headers and payload) are unchanged, so ``Content-Length`` and
the digests stay valid. Each copy of each shard is its own file (``part-00000-c03.warc.gz``): the
default 10 copies of the kit's 4 shards give 40 files of 600 responses, 24,000 in all, so both
tools can spread files over workers.

The copies are new records with new URLs: the record-id and URL dedup steps keep them, and every
copy goes through reading, extraction, language ID and heuristics. Their texts are the kit's, so
exact and near dedup drop them as copies, as they should (datatrove has no dedup step).

Also written, so that ``run_all.py`` can use the folder as its ``$PEERBENCH_ROOT`` (``--root``):
``data/bench.warc.gz`` (all files concatenated), ``data/bench.groundtruth.jsonl`` (one line per
response, ``dup_of`` the first copy's original), a link to the kit's ``texts.jsonl`` (only the
stage-level benchmarks read it) and a link to the kit's ``venvs``.

Usage: .venv/bin/python bench/make_10x.py [--kit /tmp/peerbench] [--root /tmp/peerbench10x] [--copies 10]
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import sys
import tempfile
import uuid
import zlib

LINKS = (b"WARC-Record-ID", b"WARC-Concurrent-To", b"WARC-Warcinfo-ID", b"WARC-Refers-To")
UUID_RE = re.compile(rb"<urn:uuid:([0-9a-fA-F-]{36})>")


def members(path: str, chunk: int = 1 << 16):
    """The decompressed gzip members of ``path``, one at a time (the kit writes one per record)."""
    with open(path, "rb") as f:
        pending = b""
        while True:
            d = zlib.decompressobj(zlib.MAX_WBITS | 16)
            parts = []
            data = pending or f.read(chunk)
            if not data:
                return
            while True:
                parts.append(d.decompress(data))
                if d.eof:
                    pending = d.unused_data
                    break
                data = f.read(chunk)
                if not data:
                    raise ValueError(f"{path}: truncated gzip member")
            yield b"".join(parts)


def new_id(old: bytes, copy: int) -> bytes:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{old.decode()}#skypile-copy-{copy}")).encode()


def with_copy(url: str, copy: int) -> str:
    if url.startswith("<") and url.endswith(">"):  # WARC 1.0 as wget writes it
        return f"<{with_copy(url[1:-1], copy)}>"
    base, hash_, fragment = url.partition("#")
    return f"{base}{'&' if '?' in base else '?'}skypile_copy={copy}{hash_}{fragment}"


def header(record: bytes) -> dict[str, str]:
    """The WARC header fields of ``record``."""
    head = record.partition(b"\r\n\r\n")[0]
    fields = (line.partition(b":") for line in head.split(b"\r\n")[1:])
    return {name.decode(): value.strip().decode("utf-8", "replace") for name, colon, value in fields if colon}


def rewrite(record: bytes, copy: int, filename: str) -> bytes:
    """``record`` (WARC header + block) with new ids, URL and file name; the block unchanged."""
    head, sep, block = record.partition(b"\r\n\r\n")
    lines = []
    for line in head.split(b"\r\n"):
        name, colon, value = line.partition(b":")
        if colon and name in LINKS:
            value = UUID_RE.sub(lambda m: b"<urn:uuid:" + new_id(m.group(1), copy) + b">", value)
        elif colon and name == b"WARC-Target-URI":
            value = b" " + with_copy(value.strip().decode("utf-8"), copy).encode("utf-8")
        elif colon and name == b"WARC-Filename":
            value = b" " + filename.encode()
        if colon:
            line = name + b":" + value
        lines.append(line)
    return b"\r\n".join(lines) + sep + block


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kit", default=os.environ.get("PEERBENCH_ROOT") or os.path.join(tempfile.gettempdir(), "peerbench"),
                    help="the peer kit's root (its data/shards, data/bench.groundtruth.jsonl)")
    ap.add_argument("--root", default=os.path.join(tempfile.gettempdir(), "peerbench10x"))
    ap.add_argument("--copies", type=int, default=10)
    args = ap.parse_args(argv)
    kit_data, data = os.path.join(args.kit, "data"), os.path.join(args.root, "data")
    shards = sorted(n for n in os.listdir(os.path.join(kit_data, "shards")) if n.endswith(".warc.gz"))
    truth = {}
    with open(os.path.join(kit_data, "bench.groundtruth.jsonl")) as f:
        for line in f:
            row = json.loads(line)
            truth[row["record_id"]] = row
    shutil.rmtree(data, ignore_errors=True)
    os.makedirs(os.path.join(data, "shards"))
    responses = 0
    with open(os.path.join(data, "bench.warc.gz"), "wb") as whole, \
            open(os.path.join(data, "bench.groundtruth.jsonl"), "w") as gt:
        for shard in shards:
            for copy in range(args.copies):
                name = shard.replace(".warc.gz", f"-c{copy:02d}.warc.gz")
                src = os.path.join(kit_data, "shards", shard)
                dst = os.path.join(data, "shards", name)
                if copy == 0:
                    shutil.copyfile(src, dst)
                with open(dst, "ab") as out:
                    for record in members(src):
                        head = header(record)
                        if copy:
                            record = rewrite(record, copy, name)
                            out.write(gzip.compress(record, compresslevel=6, mtime=0))
                        if head.get("WARC-Type") != "response":
                            continue
                        orig = truth.get(head["WARC-Record-ID"], {})
                        new = header(record)
                        gt.write(json.dumps({**orig, "record_id": new["WARC-Record-ID"],
                                             "url": new.get("WARC-Target-URI"), "copy": copy,
                                             "dup_of": orig.get("dup_of") or (orig.get("record_id") if copy else None)},
                                            ensure_ascii=False) + "\n")
                        responses += 1
                with open(dst, "rb") as f:
                    shutil.copyfileobj(f, whole)
    for name, target in (("texts.jsonl", os.path.join(kit_data, "texts.jsonl")),
                         ("venvs", os.path.join(args.kit, "venvs"))):
        link = os.path.join(data if name == "texts.jsonl" else args.root, name)
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(target, link)  # texts.jsonl may be written later (run_all.py makes it)
    print(json.dumps({"root": args.root, "files": len(shards) * args.copies, "responses": responses,
                      "gz_mb": round(os.path.getsize(os.path.join(data, "bench.warc.gz")) / 1e6, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

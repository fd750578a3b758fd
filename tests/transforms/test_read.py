"""Reading: every record of real (and really broken) archives and document files is accounted for."""
from __future__ import annotations

import collections
import gzip
import io
import json
import zlib

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from transforms.keep_or_drop import Drop
from transforms.read import read_file

CAP = 10 << 20


def outcomes(path, data: bytes | None = None, cap: int = CAP) -> collections.Counter:
    """reason -> count for drops, ``html`` / ``text`` for kept records."""
    stream = io.BytesIO(data) if data is not None else open(path, "rb")
    with stream:
        verdicts = list(read_file(stream, str(path), cap))
    return collections.Counter(v.reason if isinstance(v, Drop) else ("html" if v.html else "text") for v in verdicts)


def kept_ids(path, data: bytes | None = None) -> list[str]:
    stream = io.BytesIO(data) if data is not None else open(path, "rb")
    with stream:
        return [v.warc_record_id for v in read_file(stream, str(path), CAP) if not isinstance(v, Drop)]


# What each real file holds. warcio alone stops at the first error in the three files marked *;
# here the records after the damage are read too.
BROKEN = {
    # * one gzip member for the whole file: warcio refuses after the first record
    "warcio/example-bad-non-chunked.warc.gz": {"read_not_response": 5, "html": 1},
    "warcio/example-bad.warc.gz.bad": {"read_not_response": 4, "html": 1, "read_http_status": 1},
    # * gzip members split in the middle of a record
    "warcio/example-wrong-chunks.warc.gz": {"html": 1, "read_not_response": 1},
    # wrong Content-Length (trailing NULs): the response is still whole
    "warcio/example-trunc.warc": {"read_not_response": 3, "html": 1},
    "warcio/example-wget-bad-target-uri.warc.gz": {"read_not_response": 3, "html": 1, "read_non_html": 2},
    "warcio/example-space-in-target-uri.warc.gz": {"read_not_response": 1, "read_non_html": 1},
    "warcio/bad.arc": {"read_not_response": 1, "read_non_html": 2, "read_http_status": 1},
    "warcio/example-space-in-url.arc": {"read_not_response": 1, "html": 1},
    "warcio/example.arc.gz": {"read_not_response": 1, "html": 1},
    # the file ends 13 kB into its only record's 88 kB
    "resiliparse/clipped.warc.gz": {"read_truncated": 1},
    # LZ4 (FastWARC's format) reads like the gzip file of the same records
    "resiliparse/warcfile.warc.lz4": {"read_not_response": 34, "html": 16},
    # * hand-written WET with wrong Content-Lengths: the reader resyncs on the next WARC/1.0 line
    "cc_net/sample.warc.txt": {"read_not_response": 1, "read_corrupt": 3, "text": 3},
    # not an archive at all (a gzipped list of paths)
    "commoncrawl_whirlwind/CC-MAIN-2024-22.warc.paths.gz": {"read_not_archive": 1},
    "commoncrawl_whirlwind/whirlwind.warc.wet.gz": {"read_not_response": 1, "text": 1},
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_real_files_every_record_accounted(shared_data, name):
    assert outcomes(shared_data / "warc" / name) == BROKEN[name]


def test_lz4_gives_the_same_records_as_gzip(shared_data):
    base = shared_data / "warc/resiliparse/warcfile"
    assert kept_ids(f"{base}.warc.lz4") == kept_ids(f"{base}.warc.gz")


def test_corrupt_lz4_frame_ends_the_file_with_a_reason(shared_data):
    path = shared_data / "warc/resiliparse/warcfile.warc.lz4"
    raw = path.read_bytes()
    broken = raw[:30000] + bytes(b ^ 0xFF for b in raw[30000:31000]) + raw[31000:]
    got = outcomes(path, broken)
    assert got["read_corrupt"] == 1 and got["read_not_response"] >= 1


def _members(raw: bytes) -> list[tuple[int, int]]:
    """(start, end) of each gzip member."""
    spans, pos = [], 0
    while pos < len(raw):
        d = zlib.decompressobj(wbits=31)
        d.decompress(raw[pos:])
        end = len(raw) - len(d.unused_data)
        spans.append((pos, end))
        pos = end
    return spans


def test_corrupt_gzip_member_loses_only_its_record(shared_data):
    path = shared_data / "warc/resiliparse/warcfile.warc.gz"
    raw = path.read_bytes()
    clean = outcomes(path)
    spans = _members(raw)
    start, end = spans[11]  # a response record (request, response, metadata triples after warcinfo)
    broken = raw[: start + 20] + bytes(b ^ 0xFF for b in raw[start + 20: end - 20]) + raw[end - 20:]
    got = outcomes(path, broken)
    assert sum(got.values()) == sum(clean.values())
    assert got["read_corrupt"] == 1
    assert got["html"] == clean["html"] - 1
    ids = kept_ids(path, broken)
    assert ids == [i for i in kept_ids(path) if i in ids] and len(ids) == len(kept_ids(path)) - 1


def test_truncated_gzip_keeps_records_before_the_cut(shared_data):
    path = shared_data / "warc/dolma/sample-0000.warc.gz"
    raw = path.read_bytes()
    cut = raw[: len(raw) // 2]
    got = outcomes(path, cut)
    assert got["read_truncated"] == 1
    ids = kept_ids(path, cut)
    assert 0 < len(ids) < len(kept_ids(path))
    assert ids == kept_ids(path)[: len(ids)]


def test_garbage_between_plain_records_is_one_corrupt_record(shared_data):
    path = shared_data / "warc/commoncrawl_whirlwind/whirlwind.warc"
    raw = path.read_bytes()
    second = raw.index(b"WARC/1.0", 10)
    broken = raw[:second] + b"this is not a record\r\nContent-Length: x\r\n\r\n" + raw[second:]
    assert outcomes(path, broken) == {"read_not_response": 3, "html": 1, "read_corrupt": 1}
    assert kept_ids(path, broken) == kept_ids(path)


def test_record_without_content_length_does_not_swallow_the_file(shared_data):
    path = shared_data / "warc/commoncrawl_whirlwind/whirlwind.warc"
    raw = path.read_bytes()
    second = raw.index(b"WARC/1.0", 10)
    header_end = raw.index(b"\r\n\r\n", second)
    header = raw[second:header_end]
    length_line = header[header.index(b"Content-Length"):].split(b"\r\n")[0] + b"\r\n"
    broken = raw[:second] + header.replace(length_line, b"") + raw[header_end:]
    assert outcomes(path, broken) == {"read_not_response": 2, "html": 1, "read_corrupt": 1}
    assert kept_ids(path, broken) == kept_ids(path)


def test_corrupted_huge_content_length_does_not_swallow_the_file(shared_data):
    path = shared_data / "warc/dolma/sample-0000.warc.gz"
    raw = gzip.decompress(path.read_bytes())
    cap = 300_000  # above every record of the file, below the rest of the file after the 5th page
    clean_ids = kept_ids(path)
    start = [i for i in range(len(raw)) if raw.startswith(b"WARC-Type: response", i)][4]
    at = raw.index(b"Content-Length: ", start) + len(b"Content-Length: ")
    broken = raw[:at] + b"9999999999" + raw[raw.index(b"\r\n", at):]
    got = outcomes(path, broken, cap=cap)
    clean = outcomes(path, cap=cap)
    # That record is dropped as too large; every record after it is still found.
    assert got["read_too_large"] == clean["read_too_large"] + 1
    assert got["html"] == clean["html"] - 1
    assert sum(got.values()) == sum(clean.values())
    with io.BytesIO(broken) as f:
        ids = [v.warc_record_id for v in read_file(f, "x.warc", cap) if not isinstance(v, Drop)]
    assert len(ids) == len(clean_ids) - 1 and set(ids) < set(clean_ids)


def test_content_length_past_the_end_of_a_small_file_keeps_the_records_after_it(shared_data):
    path = shared_data / "warc/commoncrawl_whirlwind/whirlwind.warc"
    raw = path.read_bytes()
    start = raw.index(b"WARC-Type: response")
    at = raw.index(b"Content-Length: ", start) + len(b"Content-Length: ")
    broken = raw[:at] + b"9999999" + raw[raw.index(b"\r\n", at):]  # below the cap, past the end
    assert outcomes(path, broken) == outcomes(path) == {"read_not_response": 3, "html": 1}


def test_empty_and_non_archive_files(tmp_path):
    (tmp_path / "empty.warc.gz").write_bytes(b"")
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "notes.warc").write_bytes(b"just some notes\nnothing like a WARC record\n")
    assert outcomes(tmp_path / "empty.warc.gz") == {"read_empty_file": 1}
    assert outcomes(tmp_path / "empty.jsonl") == {"read_empty_file": 1}
    assert outcomes(tmp_path / "notes.warc") == {"read_not_archive": 1}


def _warc_with_big_record(shared_data, repeat: int) -> bytes:
    page = gzip.decompress((shared_data / "html/scrapinghub_aeb/html").glob("*.html.gz").__next__().read_bytes())
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True)
    for i, body in enumerate((page * repeat, page)):
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(f"http://example.com/{i}", "response",
                                                      payload=io.BytesIO(body), http_headers=http))
    return buf.getvalue()


def test_enormous_payload_is_capped_and_the_next_record_kept(shared_data, tmp_path):
    data = _warc_with_big_record(shared_data, repeat=200)  # about 20 MB of HTML in one record
    got = outcomes(tmp_path / "big.warc.gz", data, cap=1 << 20)
    assert got == {"read_too_large": 1, "html": 1}


def test_jsonl_and_parquet_documents(shared_data, tmp_path):
    src = shared_data / "eval/zh_domains/zh_tech_docs.jsonl"
    rows = [json.loads(line) for line in src.read_text(encoding="utf-8").splitlines()[:5]]
    lines = [json.dumps({"id": f"doc-{i}", "text": r["text"], "url": None}, ensure_ascii=False)
             for i, r in enumerate(rows)]
    lines[2] = "{not json"
    lines.append(json.dumps({"id": "no-text", "title": "x"}))
    path = tmp_path / "docs.jsonl.gz"
    path.write_bytes(gzip.compress("\n".join(lines).encode("utf-8")))
    with open(path, "rb") as f:
        verdicts = list(read_file(f, str(path), CAP))
    assert [v.reason for v in verdicts if isinstance(v, Drop)] == ["read_bad_json", "read_no_text"]
    kept = [v for v in verdicts if not isinstance(v, Drop)]
    assert [d.id for d in kept] == ["doc-0", "doc-1", "doc-3", "doc-4"]
    assert kept[0].text == rows[0]["text"] and kept[0].html is None and kept[0].source == "docs"

    cut = path.read_bytes()[:-40]  # a truncated gzip: the rows before the cut still come out
    got = outcomes(tmp_path / "cut.jsonl.gz", cut)
    assert got["read_truncated"] == 1 and got["text"] >= 3

    pq.write_table(pa.Table.from_pylist([{"id": "p1", "text": rows[0]["text"]}, {"id": "p2", "text": None}]),
                   tmp_path / "docs.parquet")
    assert outcomes(tmp_path / "docs.parquet") == {"text": 1, "read_no_text": 1}
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 but not really")
    assert outcomes(tmp_path / "bad.parquet") == {"read_corrupt": 1}


def _zstd_warc(shared_data) -> tuple[bytes, list[tuple[int, int]]]:
    """The gzip WARC's records recompressed one zstd frame per record (the WARC zstd convention);
    also each frame's (start, end)."""
    import zstandard

    raw = (shared_data / "warc/resiliparse/warcfile.warc.gz").read_bytes()
    out, spans = b"", []
    for start, end in _members(raw):
        frame = zstandard.ZstdCompressor(level=3).compress(zlib.decompress(raw[start:end], wbits=31))
        spans.append((len(out), len(out) + len(frame)))
        out += frame
    return out, spans


def test_zstd_gives_the_same_records_as_gzip(shared_data):
    data, _ = _zstd_warc(shared_data)
    assert kept_ids("x.warc.zst", data) == kept_ids(shared_data / "warc/resiliparse/warcfile.warc.gz")


def test_corrupt_zstd_frame_resumes_at_the_next_frame(shared_data):
    data, spans = _zstd_warc(shared_data)
    clean = kept_ids("x.warc.zst", data)
    start, end = spans[len(spans) // 2]
    broken = data[:start] + b"\x00" * 8 + data[start + 8:]  # the frame's magic and header gone
    got = outcomes("x.warc.zst", broken)
    kept = kept_ids("x.warc.zst", broken)
    assert got["read_corrupt"] >= 1
    assert kept[-5:] == clean[-5:] and len(kept) >= len(clean) - 3  # the records after it are read

"""A record seen twice is one document: one survivor per document id. Reason ``read_duplicate_record``.

Ids come from the record's identity (``stable_id(file name, WARC-Record-ID)``, or a JSONL/Parquet
row's own ``id``), so the same record read twice gets the same id: a WARC concatenated with
itself (gzip members concatenate), a span of bytes repeated inside a file, two copies of a file
under different folders, two exports sharing ids. The dedup steps after this one key their
decisions by id and need ids to be unique. Copies with the same text and URL are one document:
one is kept, the others dropped. Copies that differ (a damaged repeat, or two records that a
broken writer gave one WARC-Record-ID) are distinct documents: the one smallest in ``(text, url,
warc_file)`` keeps the id, each other gets an id derived from it and its own URL and text, and the
dedup steps after this one judge them like any others. Nothing depends on arrival order.

It decides on key records (:mod:`.keys`): the copies' order uses the first ``RANK_CHARS``
characters of each text, and reads the full texts from the work files only when two different
copies share that prefix.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

import apache_beam as beam

from transforms.dedup.decisions import VERDICTS, Decision, DecisionStep
from transforms.dedup.keys import LOC, RANK_CHARS, RECORD_COLUMNS
from transforms.document import Document
from transforms.keep_or_drop import Drop, Verdict
from transforms.shuffle import measured

NAME = "record_dedup"
REASON = "read_duplicate_record"
DROP = Decision(drop=REASON)


def _rank(record: dict) -> tuple[str, str, str]:
    return record["k_rank_text"] or "", record["url"] or "", record["warc_file"] or ""


def _place(record: dict) -> tuple[int, int]:
    """Identical copies are ordered by where they are (work file, row): the same one is kept
    whatever the order they arrive in."""
    return record[LOC] or (-1, -1)


def copy_decisions(records: list[dict], full_text: Callable[[dict], str]) -> list[tuple[dict, Decision | None]]:
    """Copies of one id -> ``(record, Decision)``: None for the one that keeps the id, a drop for a
    copy of a kept document, a new id (``payload``) for a distinct document. ``full_text(record)``
    reads a copy's whole text, needed only to order different copies with equal prefixes."""
    if len(records) > 1 and len({r["k_content"] for r in records}) > 1:
        ranks = [_rank(r) for r in records]
        if len(set(ranks)) < len(ranks) and any(len(r[0]) >= RANK_CHARS for r in ranks):
            key = {id(r): (full_text(r), *_rank(r)[1:], _place(r)) for r in records}
            records = sorted(records, key=lambda r: key[id(r)])
        else:
            records = sorted(records, key=lambda r: (_rank(r), _place(r)))
    else:
        records = sorted(records, key=lambda r: (_rank(r), _place(r)))
    seen: set[bytes] = set()
    out = []
    for record in records:
        if record["k_content"] in seen:
            out.append((record, DROP))
        elif seen:  # another document under the same id: give it its own
            seen.add(record["k_content"])
            out.append((record, Decision(payload=record["k_alt_id"])))
        else:
            seen.add(record["k_content"])
            out.append((record, None))
    return out


class KeepOneCopyFn(beam.DoFn):
    """``(id, key records)`` -> the records that go on (a renamed one under its new id), and the
    decisions as verdicts ``(work file index, (row, "record_dedup", Decision))``."""

    def __init__(self, work_paths: list[str]):
        self.work_paths = list(work_paths)

    def _full_text(self, record: dict) -> str:
        import pyarrow.parquet as pq
        from apache_beam.io.filesystem import CompressionTypes
        from apache_beam.io.filesystems import FileSystems

        work, row = record[LOC]
        with FileSystems.open(self.work_paths[work], compression_type=CompressionTypes.UNCOMPRESSED) as f:
            return pq.ParquetFile(f).read(columns=["text"]).column("text")[row].as_py()

    def process(self, element):
        _, records = element
        for record, decision in copy_decisions(list(records), self._full_text):
            if decision is not None:
                work, row = record[LOC]
                yield beam.pvalue.TaggedOutput(VERDICTS, (work, (row, NAME, decision)))
                if decision.drop:
                    continue
                record = {**record, "id": decision.payload}
            yield {k: v for k, v in record.items() if k not in RECORD_COLUMNS}


class RecordStep(DecisionStep):
    """Applies record dedup's verdict: a drop, or the new id of a distinct document (counted as
    ``distinct_documents_renamed``)."""

    def __init__(self):
        super().__init__(NAME)

    def apply_payload(self, doc: Document, payload: Any) -> Verdict:
        self.count("distinct_documents_renamed")
        return dataclasses.replace(doc, id=payload)


class DropRepeatedIds(beam.PTransform):
    """Key records -> ``{"kept": key records with one document per id, "verdicts": ...}``;
    ``work_paths``: the work files, by index (read only to order different copies with equal
    prefixes)."""

    columns: dict = {}

    def __init__(self, work_paths: list[str]):
        super().__init__()
        self.work_paths = list(work_paths)

    def expand(self, keys):
        outs = (measured(keys | "KeyById" >> beam.Map(lambda r: (r["id"], r)), "GroupById")
                | "GroupById" >> beam.GroupByKey()
                | "KeepOne" >> beam.ParDo(KeepOneCopyFn(self.work_paths)).with_outputs(VERDICTS, main="kept"))
        return {"kept": outs.kept, VERDICTS: outs[VERDICTS]}

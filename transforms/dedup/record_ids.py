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
"""
from __future__ import annotations

import dataclasses

import apache_beam as beam
from apache_beam.metrics import Metrics

from transforms.apply import REJECTED, StepCounters
from transforms.document import stable_id
from transforms.step import Rejected

NAME = "record_dedup"
REASON = "read_duplicate_record"


def _rank(doc) -> tuple[str, str, str]:
    return doc.text or "", doc.url or "", doc.warc_file or ""


class KeepOneCopyFn(beam.DoFn):
    def setup(self):
        self.counters = StepCounters(NAME)
        self.distinct = Metrics.counter(NAME, "distinct_documents_renamed")

    def process(self, element):
        doc_id, docs = element
        docs = sorted(docs, key=_rank)  # copies of one id: almost always one document
        seen: set[tuple[str, str]] = set()
        for doc in docs:
            content = (doc.text or "", doc.url or "")
            if content in seen:
                self.counters.drop(REASON)
                yield beam.pvalue.TaggedOutput(REJECTED, Rejected(NAME, REASON, doc))
                continue
            if seen:  # another document under the same id: give it its own
                doc = dataclasses.replace(doc, id=stable_id(doc_id, *content))
                self.distinct.inc()
            seen.add(content)
            self.counters.kept.inc()
            yield doc


class DropRepeatedIds(beam.PTransform):
    """``docs -> {"kept", "rejected"}`` with one document per id."""

    columns: dict = {}

    def expand(self, docs):
        outs = (docs
                | "KeyById" >> beam.Map(lambda d: (d.id, d))
                | "GroupById" >> beam.GroupByKey()
                | "KeepOne" >> beam.ParDo(KeepOneCopyFn()).with_outputs(REJECTED, main="kept"))
        return {"kept": outs.kept, "rejected": outs[REJECTED]}

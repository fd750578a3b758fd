"""A record seen twice is one document: one survivor per document id. Reason ``read_duplicate_record``.

Ids come from the record's identity (``stable_id(file name, WARC-Record-ID)``, or a JSONL/Parquet
row's own ``id``), so the same record read twice gets the same id: a WARC concatenated with
itself (gzip members concatenate), a span of bytes repeated inside a file, two copies of a file
under different folders, two exports sharing ids. The dedup steps after this one key their
decisions by id and need ids to be unique. The survivor is the copy smallest in
``(text, url, warc_file)``, so it does not depend on arrival order (copies of one record are
usually identical; a damaged repeat may not be).
"""
from __future__ import annotations

import apache_beam as beam

from transforms.apply import REJECTED, StepCounters
from transforms.step import Rejected

NAME = "record_dedup"
REASON = "read_duplicate_record"


def _rank(doc) -> tuple[str, str, str]:
    return doc.text or "", doc.url or "", doc.warc_file or ""


class KeepOneCopyFn(beam.DoFn):
    def setup(self):
        self.counters = StepCounters(NAME)

    def process(self, element):
        _, docs = element
        docs = list(docs)  # copies of one id: almost always one document
        keep = min(range(len(docs)), key=lambda i: _rank(docs[i]))
        for i, doc in enumerate(docs):
            if i == keep:
                self.counters.kept.inc()
                yield doc
            else:
                self.counters.drop(REASON)
                yield beam.pvalue.TaggedOutput(REJECTED, Rejected(NAME, REASON, doc))


class DropRepeatedIds(beam.PTransform):
    """``docs -> {"kept", "rejected"}`` with one document per id."""

    columns: dict = {}

    def expand(self, docs):
        outs = (docs
                | "KeyById" >> beam.Map(lambda d: (d.id, d))
                | "GroupById" >> beam.GroupByKey()
                | "KeepOne" >> beam.ParDo(KeepOneCopyFn()).with_outputs(REJECTED, main="kept"))
        return {"kept": outs.kept, "rejected": outs[REJECTED]}

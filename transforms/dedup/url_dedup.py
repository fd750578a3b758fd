"""URL dedup: several captures of one normalised URL keep one, the latest ``warc_date``.

Ties (same date, or no dates) go to the smallest id, so the survivor does not depend on the order
records arrive in. Documents without a URL are kept. Reason ``url_duplicate``; with
``--dedup-against``, a URL already in an earlier corpus drops every new capture as
``url_duplicate_previous`` (the earlier corpus's copy takes priority; ``previous_id`` names it).
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable

import apache_beam as beam

import pyarrow as pa

from transforms.dedup.decisions import (PREVIOUS_COLUMN, ApplyDecisions, Decision, DecisionStep,
                                        group_with_previous)
from transforms.dedup.index import match_previous, url_hash
from transforms.document import Document

_EPOCH = dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc)
DUPLICATE = Decision(drop="url_duplicate")


def _timestamp(date: dt.datetime | None) -> float:
    """Seconds for ordering; a missing date sorts before every real one."""
    if date is None:
        return _EPOCH.timestamp()
    if date.tzinfo is None:
        date = date.replace(tzinfo=dt.timezone.utc)
    return date.timestamp()


def url_key(doc: Document) -> Iterable[tuple[bytes, tuple[float, str]]]:
    """``(hash of the normalised url, (capture time, id))``; nothing for a document without a URL."""
    if doc.url:
        yield url_hash(doc.url), (_timestamp(doc.warc_date), doc.id)


class UrlDedup(beam.PTransform):
    """``docs -> {"kept", "rejected"}`` with one document per normalised URL."""

    columns: dict = {}
    previous = None

    def with_previous(self, previous) -> "UrlDedup":
        """Also drop URLs found in earlier corpora's index (its files)."""
        self.previous, self.columns = previous, {PREVIOUS_COLUMN: pa.string()}
        return self

    def expand(self, docs):
        keys = docs | "UrlKeys" >> beam.FlatMap(url_key)
        if self.previous is not None:
            earlier = match_previous(self.previous, ["url_hash"], keys | "NewUrls" >> beam.Keys(),
                                     lambda r: [r["url_hash"]] if r["url_hash"] else [],
                                     lambda r: (None, r["id"]), "PreviousUrls")
            keys = (keys, earlier) | "WithPrevious" >> beam.Flatten()
        decisions = (keys
                     | "GroupByUrl" >> beam.GroupByKey()
                     | "UrlDecisions" >> beam.FlatMapTuple(
                         lambda _, captures: group_with_previous(captures, DUPLICATE, "url_duplicate_previous")))
        return docs | "Apply" >> ApplyDecisions(decisions, DecisionStep("url_dedup", self.columns))

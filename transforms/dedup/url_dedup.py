"""URL dedup: several captures of one normalised URL keep one, the latest ``warc_date``.

Ties (same date, or no dates) go to the smallest id, so the survivor does not depend on the order
records arrive in. Documents without a URL are kept. Reason ``url_duplicate``.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable

import apache_beam as beam

from transforms.dedup.decisions import ApplyDecisions, Decision, DecisionStep, group_decisions
from transforms.document import Document
from transforms.urls import normalize_url

_EPOCH = dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc)
DUPLICATE = Decision(drop="url_duplicate")


def _timestamp(date: dt.datetime | None) -> float:
    """Seconds for ordering; a missing date sorts before every real one."""
    if date is None:
        return _EPOCH.timestamp()
    if date.tzinfo is None:
        date = date.replace(tzinfo=dt.timezone.utc)
    return date.timestamp()


def url_key(doc: Document) -> Iterable[tuple[str, tuple[float, str]]]:
    """``(normalised url, (capture time, id))``; nothing for a document without a URL."""
    if doc.url:
        yield normalize_url(doc.url), (_timestamp(doc.warc_date), doc.id)


class UrlDedup(beam.PTransform):
    """``docs -> {"kept", "rejected"}`` with one document per normalised URL."""

    columns: dict = {}

    def expand(self, docs):
        decisions = (docs
                     | "UrlKeys" >> beam.FlatMap(url_key)
                     | "GroupByUrl" >> beam.GroupByKey()
                     | "UrlDecisions" >> beam.FlatMapTuple(lambda _, captures: group_decisions(captures, DUPLICATE)))
        return docs | "Apply" >> ApplyDecisions(decisions, DecisionStep("url_dedup"))

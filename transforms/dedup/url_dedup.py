"""URL dedup: several captures of one normalised URL keep one, the latest ``warc_date``.

Ties (same date, or no dates) go to the smallest id, so the survivor does not depend on the order
records arrive in. Documents without a URL are kept. Reason ``url_duplicate``.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable

import apache_beam as beam

from transforms.dedup.decisions import ApplyDecisions, Decision, DecisionStep
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


def url_survivor(captures: Iterable[tuple[float, str]]) -> str:
    """The id kept among one URL's captures: latest time, then smallest id."""
    return min(captures, key=lambda c: (-c[0], c[1]))[1]


def url_decisions(element) -> Iterable[tuple[str, Decision]]:
    _, captures = element
    captures = list(captures)
    if len(captures) < 2:
        return
    keep = url_survivor(captures)
    for _, doc_id in captures:
        if doc_id != keep:
            yield doc_id, DUPLICATE


class UrlDedup(beam.PTransform):
    """``docs -> {"kept", "rejected"}`` with one document per normalised URL."""

    columns: dict = {}

    def expand(self, docs):
        decisions = (docs
                     | "UrlKeys" >> beam.FlatMap(url_key)
                     | "GroupByUrl" >> beam.GroupByKey()
                     | "UrlDecisions" >> beam.FlatMap(url_decisions))
        return docs | "Apply" >> ApplyDecisions(decisions, DecisionStep("url_dedup"))

"""Exact dedup: one survivor per hash of the normalised text. Reason ``exact_duplicate``.

Normalisation (NFKC, lower case, whitespace runs collapsed) makes copies that differ only in
layout or case count as the same text. The survivor is the copy with the highest ``score_column``
value when one is configured and present (the best-scored copy is the one worth keeping), else the
smallest id. Every survivor carries ``exact_dup_count``, the number of copies of its text (1 when
unique). With ``--dedup-against``, a text already in an earlier corpus drops every new copy as
``exact_duplicate_previous`` (``previous_id`` names the earlier document).
"""
from __future__ import annotations

import hashlib
import math
import re
import unicodedata
import apache_beam as beam
import pyarrow as pa

from transforms.dedup.decisions import (PREVIOUS_COLUMN, ApplyDecisions, Decision, DecisionStep,
                                        group_with_previous)
from transforms.document import Document

_SPACES = re.compile(r"\s+")
COUNT_COLUMN = "exact_dup_count"
DUPLICATE = Decision(drop="exact_duplicate")


def normalize_text(text: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).lower()).strip()


def text_hash(text: str) -> bytes:
    """16 bytes of SHA-1 of the normalised text (a collision needs ~2^64 texts)."""
    return hashlib.sha1(normalize_text(text).encode("utf-8")).digest()[:16]


def _score(doc: Document, score_column: str) -> float:
    """The survivor score; missing or NaN ranks below every real score."""
    value = doc.extra.get(score_column) if score_column else None
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return -math.inf
    return float(value)


class ExactDedup(beam.PTransform):
    """``docs -> {"kept", "rejected"}`` with one document per normalised text."""

    columns = {COUNT_COLUMN: pa.int32()}
    previous = None

    def __init__(self, score_column: str = ""):
        super().__init__()
        self.score_column = score_column

    def with_previous(self, previous) -> "ExactDedup":
        """Also drop texts found in earlier corpora's index (its files)."""
        self.previous, self.columns = previous, {**self.columns, PREVIOUS_COLUMN: pa.string()}
        return self

    def expand(self, docs):
        from transforms.dedup.index import match_previous

        column = self.score_column
        keys = docs | "TextHashes" >> beam.Map(lambda d: (text_hash(d.text), (_score(d, column), d.id)))
        if self.previous is not None:
            earlier = match_previous(self.previous, ["text_hash"], keys | "NewTexts" >> beam.Keys(),
                                     lambda r: [r["text_hash"]] if r["text_hash"] else [],
                                     lambda r: (None, r["id"]), "PreviousTexts")
            keys = (keys, earlier) | "WithPrevious" >> beam.Flatten()
        decisions = (keys
                     | "GroupByText" >> beam.GroupByKey()
                     | "ExactDecisions" >> beam.FlatMapTuple(
                         lambda _, copies: group_with_previous(copies, DUPLICATE, "exact_duplicate_previous",
                                                               COUNT_COLUMN)))
        step = DecisionStep("exact_dedup", self.columns, defaults={COUNT_COLUMN: 1})
        return docs | "Apply" >> ApplyDecisions(decisions, step)

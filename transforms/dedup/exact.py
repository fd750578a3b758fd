"""Exact dedup: one survivor per hash of the normalised text. Reason ``exact_duplicate``.

Normalisation (NFKC, lower case, whitespace runs collapsed) makes copies that differ only in
layout or case count as the same text. The survivor is the copy with the highest ``score_column``
value when one is configured and present (the best-scored copy is the one worth keeping), else the
smallest id. Every survivor carries ``exact_dup_count``, the number of copies of its text (1 when
unique). With ``--dedup-against``, a text already in an earlier corpus drops every new copy as
``exact_duplicate_previous`` (``previous_id`` names the earlier document).
"""
from __future__ import annotations

import apache_beam as beam
import pyarrow as pa

from transforms.dedup.decisions import PREVIOUS_COLUMN, Decision, DecisionStep, DedupDocuments, group_with_previous
from transforms.dedup.keys import Keyer, normalize_text, text_hash  # noqa: F401 - the text key, defined there
from transforms.dedup.previous import match_previous
from transforms.shuffle import measured

NAME = "exact_dedup"
COUNT_COLUMN = "exact_dup_count"
DUPLICATE = Decision(drop="exact_duplicate")


class ExactDedup(beam.PTransform):
    """Exact dedup: ``decide(key records) -> (id, Decision)``; ``docs | ExactDedup()`` -> ``{"kept",
    "rejected"}`` on documents (tests)."""

    columns = {COUNT_COLUMN: pa.int32()}
    previous = None

    def __init__(self, score_column: str = ""):
        super().__init__()
        self.score_column = score_column

    def with_previous(self, previous) -> "ExactDedup":
        """Also drop texts found in earlier corpora's index (its files)."""
        self.previous, self.columns = previous, {**self.columns, PREVIOUS_COLUMN: pa.string()}
        return self

    def keyer(self) -> Keyer:
        return Keyer(score_column=self.score_column)

    def decision_step(self) -> DecisionStep:
        return DecisionStep(NAME, self.columns, defaults={COUNT_COLUMN: 1})

    def decide(self, keys):
        keys = keys | "TextHashes" >> beam.Map(lambda r: (r["k_text_hash"], (r["k_score"], r["id"])))
        if self.previous is not None:
            earlier = match_previous(self.previous, ["text_hash"], keys | "NewTexts" >> beam.Keys(),
                                     lambda r: [r["text_hash"]] if r["text_hash"] else [],
                                     lambda r: (None, r["id"]), "PreviousTexts")
            keys = (keys, earlier) | "WithPrevious" >> beam.Flatten()
        return (measured(keys, "GroupByText")
                | "GroupByText" >> beam.GroupByKey()
                | "ExactDecisions" >> beam.FlatMapTuple(
                    lambda _, copies: group_with_previous(copies, DUPLICATE, "exact_duplicate_previous",
                                                          COUNT_COLUMN)))

    def expand(self, docs):
        return docs | "Dedup" >> DedupDocuments(NAME, self, self.keyer())

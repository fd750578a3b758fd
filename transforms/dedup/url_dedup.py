"""URL dedup: several captures of one normalised URL keep one, the latest ``warc_date``.

Ties (same date, or no dates) go to the smallest id, so the survivor does not depend on the order
records arrive in. Documents without a URL are kept. Reason ``url_duplicate``; with
``--dedup-against``, a URL already in an earlier corpus drops every new capture as
``url_duplicate_previous`` (the earlier corpus's copy takes priority; ``previous_id`` names it).
"""
from __future__ import annotations

import apache_beam as beam
import pyarrow as pa

from transforms.dedup.decisions import PREVIOUS_COLUMN, Decision, DecisionStep, DedupDocuments, group_with_previous
from transforms.dedup.keys import Keyer
from transforms.dedup.previous import match_previous
from transforms.shuffle import measured

NAME = "url_dedup"
DUPLICATE = Decision(drop="url_duplicate")


def url_key(record: dict) -> list[tuple[bytes, tuple[float, str]]]:
    """``(hash of the normalised url, (capture time, id))``; nothing for a document without a URL."""
    return [(record["k_url_hash"], (record["k_date"], record["id"]))] if record["k_url_hash"] else []


class UrlDedup(beam.PTransform):
    """URL dedup: ``decide(key records) -> (id, Decision)``; ``docs | UrlDedup()`` -> ``{"kept",
    "rejected"}`` on documents (tests)."""

    columns: dict = {}
    previous = None

    def with_previous(self, previous) -> "UrlDedup":
        """Also drop URLs found in earlier corpora's index (its files)."""
        self.previous, self.columns = previous, {PREVIOUS_COLUMN: pa.string()}
        return self

    def keyer(self) -> Keyer:
        return Keyer()

    def decision_step(self) -> DecisionStep:
        return DecisionStep(NAME, self.columns)

    def decide(self, keys):
        keys = keys | "UrlKeys" >> beam.FlatMap(url_key)
        if self.previous is not None:
            earlier = match_previous(self.previous, ["url_hash"], keys | "NewUrls" >> beam.Keys(),
                                     lambda r: [r["url_hash"]] if r["url_hash"] else [],
                                     lambda r: (None, r["id"]), "PreviousUrls")
            keys = (keys, earlier) | "WithPrevious" >> beam.Flatten()
        return (measured(keys, "GroupByUrl")
                | "GroupByUrl" >> beam.GroupByKey()
                | "UrlDecisions" >> beam.FlatMapTuple(
                    lambda _, captures: group_with_previous(captures, DUPLICATE, "url_duplicate_previous")))

    def expand(self, docs):
        return docs | "Dedup" >> DedupDocuments(NAME, self, self.keyer())

"""Line dedup across documents, C4 style: a line found in more than ``max_docs`` documents is kept
in the document with the smallest id and removed from the others.

C4 (Raffel et al. 2020, sec. 2.2; TFDS ``c4_utils.dedupe_lines``) keeps one of every repeated
three-sentence span; lines are the natural unit of extracted web text (navigation, cookie notices,
share buttons). Lines shorter than ``min_line_chars`` (after stripping) are left alone: blank
lines and list bullets would otherwise be stripped everywhere. Removed lines are counted
(``lines_removed:line_dedup``, summed in report.json) and recorded per document in
``lines_removed``; a document left with no text is dropped as ``line_dedup_empty``.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Iterable

import apache_beam as beam
import pyarrow as pa

from transforms.dedup.decisions import Decision, DecisionStep, DedupDocuments
from transforms.dedup.keys import Keyer, line_hash  # noqa: F401 - line_hash: the line key, defined there
from transforms.document import Document
from transforms.keep_or_drop import Drop, Verdict
from transforms.shuffle import measured

NAME = "line_dedup"
REMOVED_COLUMN = "lines_removed"


def line_keys(record: dict) -> Iterable[tuple[bytes, str]]:
    """``(line hash, id)`` once per distinct long-enough line of the document (its key record)."""
    for h in record["k_lines"] or ():
        yield h, record["id"]


def remove_lines(text: str, hashes: frozenset, min_line_chars: int) -> tuple[str, int]:
    """``text`` without the lines whose hash is in ``hashes``; returns the text and lines removed."""
    kept, removed = [], 0
    for line in text.split("\n"):
        if len(line.strip()) >= min_line_chars and line_hash(line) in hashes:
            removed += 1
        else:
            kept.append(line)
    return "\n".join(kept).strip("\n"), removed


class LineDedupStep(DecisionStep):
    """Removes the lines its decision names; counts them as ``lines_removed:line_dedup`` when the
    document is kept (the report sums them)."""

    def __init__(self, min_line_chars: int):
        super().__init__(NAME, {REMOVED_COLUMN: pa.int32()}, defaults={REMOVED_COLUMN: 0})
        self.min_line_chars = min_line_chars

    def apply_payload(self, doc: Document, payload: Any) -> Verdict:
        text, removed = remove_lines(doc.text, payload, self.min_line_chars)
        doc = dataclasses.replace(doc, text=text, extra={**doc.extra, REMOVED_COLUMN: removed})
        if not text.strip():
            return Drop("line_dedup_empty", doc)
        self.count(f"lines_removed:{NAME}", removed)
        return doc
def _removals(max_docs: int):
    def removals(element) -> Iterable[tuple[str, bytes]]:
        """``(line hash, ids)`` -> ``(id, line hash)`` for every id but the smallest when more than
        ``max_docs`` documents have the line. Two passes over the group and nothing kept: a line
        of boilerplate may be in millions of documents (each id comes once: ``line_keys``)."""
        h, ids = element
        if iter(ids) is ids:  # a one-shot iterator cannot be read twice
            ids = list(ids)
        smallest, count = None, 0
        for doc_id in ids:
            count += 1
            if smallest is None or doc_id < smallest:
                smallest = doc_id
        if count > max_docs:
            for doc_id in ids:
                if doc_id != smallest:
                    yield doc_id, h
    return removals


class LineDedup(beam.PTransform):
    """Line dedup: ``decide(key records) -> (id, Decision)`` (the lines to remove);
    ``docs | LineDedup()`` -> ``{"kept", "rejected"}`` on documents (tests)."""

    columns = {REMOVED_COLUMN: pa.int32()}

    def __init__(self, max_docs: int = 1, min_line_chars: int = 1):
        super().__init__()
        if max_docs < 1:
            raise ValueError(f"max_docs must be >= 1, got {max_docs}")
        self.max_docs, self.min_line_chars = max_docs, min_line_chars

    def keyer(self) -> Keyer:
        return Keyer(min_line_chars=self.min_line_chars)

    def decision_step(self) -> DecisionStep:
        return LineDedupStep(self.min_line_chars)

    def decide(self, keys):
        removals = (measured(keys | "LineKeys" >> beam.FlatMap(line_keys), "GroupByLine")
                    | "GroupByLine" >> beam.GroupByKey()
                    | "Removals" >> beam.FlatMap(_removals(self.max_docs)))
        return (measured(removals, "GroupByDoc")
                | "GroupByDoc" >> beam.GroupByKey()
                | "ToDecisions" >> beam.MapTuple(lambda i, hs: (i, Decision(payload=frozenset(hs)))))

    def expand(self, docs):
        return docs | "Dedup" >> DedupDocuments(NAME, self, self.keyer())

"""Joining per-document dedup decisions back onto the documents, and applying them as a Step.

Dedup steps decide on small records (ids, hashes, dates) grouped across the whole collection; the
documents themselves cross exactly one shuffle: a CoGroupByKey by id with the decisions. The
verdict then goes through :class:`transforms.apply.ApplyStep`, so ``kept`` / ``dropped:<reason>``
are counted by the one shared DoFn like every other step.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Iterable, Iterator, Mapping

import apache_beam as beam
import pyarrow as pa

from transforms.apply import ApplyStep
from transforms.document import Document
from transforms.step import Drop, Step, Verdict

# Where the joined decision waits in ``Document.extra`` until the step reads (and removes) it.
DECISION_KEY = "_dedup_decision"
# The id of the earlier corpus's document that a ``*_previous`` drop duplicates.
PREVIOUS_COLUMN = "previous_id"


@dataclasses.dataclass(frozen=True)
class Decision:
    """Drop the document with ``drop`` as reason, or keep it with column ``values`` set;
    ``payload`` carries step-specific data (line hashes to remove)."""

    drop: str | None = None
    values: tuple[tuple[str, Any], ...] = ()
    payload: Any = None


def group_decisions(copies: Iterable[tuple[float, str]], duplicate: Decision,
                    count_column: str | None = None) -> Iterator[tuple[str, Decision]]:
    """Decisions for one group of copies ``(rank, id)``: the highest rank survives, ties to the
    smallest id (so the survivor never depends on arrival order); the others get ``duplicate``.
    With ``count_column`` the survivor records the group size there.

    Two passes over ``copies`` and nothing kept between them: a GroupByKey's values can be iterated
    again (runners page large groups in lazily), so a group of a million copies of one boilerplate
    page costs no memory here. A one-shot iterator is copied to a list first."""
    if iter(copies) is copies:
        copies = list(copies)
    best, size = None, 0
    for rank, doc_id in copies:
        size += 1
        if best is None or (-rank, doc_id) < best:
            best = (-rank, doc_id)
    if size < 2:
        return
    keep = best[1]
    for _, doc_id in copies:
        if doc_id != keep:
            yield doc_id, duplicate
    if count_column:
        yield keep, Decision(values=((count_column, size),))


def group_with_previous(copies: Iterable[tuple[float | None, str]], duplicate: Decision, previous_reason: str,
                        count_column: str | None = None) -> Iterator[tuple[str, Decision]]:
    """Like :func:`group_decisions`, where copies with rank None are an earlier corpus's documents
    (``--dedup-against``): when there is one, it takes priority and every new copy is dropped with
    ``previous_reason``, naming the earlier document (the smallest id) in ``previous_id``."""
    if iter(copies) is copies:
        copies = list(copies)
    earlier = min((doc_id for rank, doc_id in copies if rank is None), default=None)
    if earlier is None:
        yield from group_decisions(copies, duplicate, count_column)
        return
    drop = Decision(drop=previous_reason, values=((PREVIOUS_COLUMN, earlier),))
    for rank, doc_id in copies:
        if rank is not None:
            yield doc_id, drop


class DecisionStep(Step):
    """Applies the decision joined onto a document: ``defaults`` first, then the decision's values,
    then its verdict."""

    def __init__(self, name: str, columns: Mapping[str, pa.DataType] | None = None,
                 defaults: Mapping[str, Any] | None = None):
        self.name = name
        self.columns = dict(columns or {})
        self.defaults = dict(defaults or {})

    def process(self, doc: Document) -> Verdict:
        extra = dict(doc.extra)
        decision = extra.pop(DECISION_KEY, None)
        extra.update(self.defaults)
        if decision is not None:
            extra.update(decision.values)  # dropped documents carry them too (rejects table)
        doc = dataclasses.replace(doc, extra=extra)
        if decision is None:
            return doc
        if decision.drop:
            return Drop(decision.drop, doc)
        return self.apply_payload(doc, decision.payload)

    def apply_payload(self, doc: Document, payload: Any) -> Verdict:
        """Hook for steps whose decision changes the document (line dedup)."""
        return doc


class AttachDecisionFn(beam.DoFn):
    """``(id, {"docs": [...], "decisions": [...]})`` -> the documents, each with its decision."""

    def process(self, element):
        doc_id, grouped = element
        decisions = list(grouped["decisions"])
        if len(decisions) > 1:
            raise ValueError(f"document {doc_id}: {len(decisions)} dedup decisions, expected at most 1")
        for doc in grouped["docs"]:
            if decisions:
                doc = dataclasses.replace(doc, extra={**doc.extra, DECISION_KEY: decisions[0]})
            yield doc


class ApplyDecisions(beam.PTransform):
    """``docs | ApplyDecisions(decisions, step)`` -> ``{"kept", "rejected"}``.

    ``decisions`` is a PCollection of ``(doc id, Decision)``, at most one per id.
    """

    def __init__(self, decisions, step: DecisionStep):
        super().__init__()
        self.decisions = decisions
        self.step = step

    def expand(self, docs):
        keyed = docs | "KeyById" >> beam.Map(lambda d: (d.id, d))
        joined = ({"docs": keyed, "decisions": self.decisions}
                  | "JoinDecisions" >> beam.CoGroupByKey()
                  | "AttachDecisions" >> beam.ParDo(AttachDecisionFn()))
        return joined | "Decide" >> ApplyStep(self.step)

"""Dedup decisions: who survives a group of copies, routing decisions to key records, applying them.

Dedup steps decide on key records (:mod:`.keys`: ids, hashes, dates) grouped across the whole
collection, one ``(id, Decision)`` per document that the step changes. :class:`DecideOnKeys`
joins a step's decisions onto its key records (a CoGroupByKey of small records): the surviving
records go on to the next dedup step, and every decision becomes a verdict ``(work file index,
(row, step, Decision))`` for the second per-file pass, which applies it to the document in its
work file with :class:`DecisionStep` (counted like every other step). :class:`DedupDocuments`
does the same on a collection of documents (tests and benchmarks of one step): keys, decisions,
then the decisions joined back onto the documents by id.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Iterable, Iterator, Mapping

import apache_beam as beam
import pyarrow as pa

from transforms.apply import ApplyStep
from transforms.dedup.keys import LOC, PREVIOUS_COLUMN
from transforms.document import Document
from transforms.keep_or_drop import Drop, Step, Verdict

# Where the joined decision waits in ``Document.extra`` until the step reads (and removes) it: one
# Decision, or ``{step name: Decision}`` for a document that several dedup steps decide on.
DECISION_KEY = "_dedup_decision"
VERDICTS = "verdicts"


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
        if isinstance(decision, dict):  # several steps' decisions: take this step's, leave the others
            others = {k: v for k, v in decision.items() if k != self.name}
            decision = decision.get(self.name)
            if others:
                extra[DECISION_KEY] = others
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


def _at_most_one(element) -> list:
    """The decisions of one ``(id, grouped)`` join: none or one; more is a bug in a decider."""
    doc_id, grouped = element
    decisions = list(grouped["decisions"])
    if len(decisions) > 1:
        raise ValueError(f"document {doc_id}: {len(decisions)} dedup decisions, expected at most 1")
    return decisions


class RouteDecisionFn(beam.DoFn):
    """``(id, {"keys": [record], "decisions": [...]})`` -> the record unless its decision drops it,
    and the decision as a verdict ``(work file index, (row, step, Decision))`` on ``verdicts``."""

    def __init__(self, step: str):
        self.step = step

    def process(self, element):
        decisions = _at_most_one(element)
        grouped = element[1]
        for record in grouped["keys"]:
            if decisions:
                work, row = record[LOC]
                yield beam.pvalue.TaggedOutput(VERDICTS, (work, (row, self.step, decisions[0])))
                if decisions[0].drop:
                    continue
            yield record


class DecideOnKeys(beam.PTransform):
    """``keys | DecideOnKeys(name, step)`` -> ``{"kept": key records, "verdicts": ...}``; ``step``
    is a dedup PTransform with ``decide(keys) -> (id, Decision)``."""

    def __init__(self, name: str, step):
        super().__init__()
        self.name, self.step = name, step

    def expand(self, keys):
        from transforms.shuffle import measured

        decisions = self.step.decide(keys)
        keyed = keys | "KeyById" >> beam.Map(lambda r: (r["id"], r))
        outs = (measured({"keys": keyed, "decisions": decisions}, "JoinDecisions")
                | "JoinDecisions" >> beam.CoGroupByKey()
                | "Route" >> beam.ParDo(RouteDecisionFn(self.name)).with_outputs(VERDICTS, main="kept"))
        return {"kept": outs.kept, VERDICTS: outs[VERDICTS]}


class KeyRecordsFn(beam.DoFn):
    """A batch of documents -> their key records (no work file: ``loc`` None), for
    :class:`DedupDocuments`; counts ``docs_without_shingles`` in ``namespace`` when MinHash keys
    are made."""

    def __init__(self, keyer, namespace: str):
        self.keyer, self.namespace = keyer, namespace

    def setup(self):
        from apache_beam.metrics import Metrics

        self.keyer.setup()
        self.no_shingles = Metrics.counter(self.namespace, "docs_without_shingles")

    def process(self, docs):
        from transforms.dedup.keys import key_record

        for doc, keys in zip(docs, self.keyer.keys(docs)):
            if self.keyer.minhash is not None and keys["k_bands"] is None:
                self.no_shingles.inc()
            yield key_record({"id": doc.id, "url": doc.url, "warc_file": doc.warc_file, **keys}, None)


class DedupDocuments(beam.PTransform):
    """``docs | DedupDocuments(name, step, keyer)`` -> ``{"kept", "rejected"}``: one dedup step on
    a collection of documents (its tests, benchmarks); the curate chain decides on the work files'
    key records instead and never shuffles documents."""

    def __init__(self, name: str, step, keyer):
        super().__init__()
        self.name, self.step, self.keyer = name, step, keyer

    def expand(self, docs):
        keys = (docs
                | "Batch" >> beam.BatchElements(min_batch_size=1, max_batch_size=256)
                | "Keys" >> beam.ParDo(KeyRecordsFn(self.keyer, self.name)))
        return docs | "Apply" >> ApplyDecisions(self.step.decide(keys), self.step.decision_step())


class AttachDecisionFn(beam.DoFn):
    """``(id, {"docs": [...], "decisions": [...]})`` -> the documents, each with its decision."""

    def process(self, element):
        decisions = _at_most_one(element)
        grouped = element[1]
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

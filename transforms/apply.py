"""Beam side of the keep-or-drop contract: one DoFn counts and routes for every step."""
from __future__ import annotations

import apache_beam as beam
from apache_beam.metrics import Metrics

from transforms.step import Drop, Rejected, Step

REJECTED = "rejected"


class StepCounters:
    """``kept`` / ``dropped:<reason>`` (and any other named) counters in the step's namespace,
    created lazily: the one way steps' Metrics counters are made."""

    def __init__(self, namespace: str):
        self.namespace = namespace
        self.kept = Metrics.counter(namespace, "kept")
        self._named: dict[str, object] = {}

    def inc(self, name: str, n: int = 1) -> None:
        counter = self._named.get(name)
        if counter is None:
            counter = self._named[name] = Metrics.counter(self.namespace, name)
        counter.inc(n)

    def drop(self, reason: str, n: int = 1) -> None:
        self.inc(f"dropped:{reason}", n)


class ApplyStepFn(beam.DoFn):
    """Runs a :class:`~transforms.step.Step` on each document, counts the verdicts and sends drops
    to the ``rejected`` output as :class:`~transforms.step.Rejected` records."""

    def __init__(self, step: Step):
        self.step = step

    def setup(self):
        self.counters = StepCounters(self.step.name)
        if self.step.counter_inc_fn is None:
            self.step.bind_counter(self.counters.inc)
        self.step.setup()

    def _route(self, doc, verdict):
        if isinstance(verdict, Drop):
            self.counters.drop(verdict.reason)
            return beam.pvalue.TaggedOutput(REJECTED, Rejected(self.step.name, verdict.reason, verdict.rejected_doc(doc)))
        self.counters.kept.inc()
        return verdict

    def process(self, doc):
        yield self._route(doc, self.step.process(doc))


class ApplyStepBatchFn(ApplyStepFn):
    """Same contract over batches (from ``beam.BatchElements``), for model scoring."""

    def process(self, docs):
        for doc, verdict in zip(docs, self.step.process_batch(docs)):
            yield self._route(doc, verdict)


class ApplyStep(beam.PTransform):
    """``docs | ApplyStep(step)`` -> ``{"kept": docs, "rejected": Rejected records}``.

    With ``batch_size`` the step sees lists of documents (``Step.process_batch``).
    """

    def __init__(self, step: Step, batch_size: int | None = None):
        super().__init__(label=None)
        self.step = step
        self.batch_size = batch_size

    @property
    def columns(self):
        """Parquet columns the step adds (see ``Step.columns``)."""
        return dict(self.step.columns)

    def expand(self, docs):
        if self.batch_size:
            batches = docs | "Batch" >> beam.BatchElements(
                min_batch_size=1, max_batch_size=self.batch_size)
            outs = batches | "Apply" >> beam.ParDo(ApplyStepBatchFn(self.step)).with_outputs(
                REJECTED, main="kept")
        else:
            outs = docs | "Apply" >> beam.ParDo(ApplyStepFn(self.step)).with_outputs(
                REJECTED, main="kept")
        return {"kept": outs.kept, "rejected": outs[REJECTED]}

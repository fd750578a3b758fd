"""Beam side of the keep-or-drop contract: one DoFn counts and routes for every step."""
from __future__ import annotations

import apache_beam as beam
from apache_beam.metrics import Metrics

from transforms.keep_or_drop import Rejected, Step, bind_steps, run_steps

REJECTED = "rejected"


class MetricsCount:
    """``count(namespace, name, n)`` into Beam Metrics counters, each made once: the live view of
    every step's counts (the report is built from the counts the pipeline writes as data)."""

    def __init__(self):
        self._counters: dict[tuple[str, str], object] = {}

    def __call__(self, namespace: str, name: str, n: int = 1) -> None:
        counter = self._counters.get((namespace, name))
        if counter is None:
            counter = self._counters[(namespace, name)] = Metrics.counter(namespace, name)
        counter.inc(n)


class ApplyStepFn(beam.DoFn):
    """Runs a :class:`~transforms.keep_or_drop.Step` on each document (or batch, with ``batch_size``)
    through :func:`~transforms.keep_or_drop.run_steps`, counting into Beam Metrics, and sends drops to the
    ``rejected`` output as :class:`~transforms.keep_or_drop.Rejected` records."""

    def __init__(self, step: Step, batch_size: int | None = None):
        self.step, self.batch_size = step, batch_size

    def setup(self):
        self.count = MetricsCount()
        self.chain = [(self.step, self.batch_size)]
        bind_steps(self.chain, self.count)
        self.step.setup()

    def process(self, element):
        docs = element if self.batch_size else [element]
        for doc, step, reason in run_steps(docs, self.chain, self.count):
            if reason is None:
                yield doc
            else:
                yield beam.pvalue.TaggedOutput(REJECTED, Rejected(step, reason, doc))


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
            outs = batches | "Apply" >> beam.ParDo(ApplyStepFn(self.step, self.batch_size)).with_outputs(
                REJECTED, main="kept")
        else:
            outs = docs | "Apply" >> beam.ParDo(ApplyStepFn(self.step)).with_outputs(
                REJECTED, main="kept")
        return {"kept": outs.kept, "rejected": outs[REJECTED]}

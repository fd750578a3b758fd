"""The ``score`` step: quality and toxicity scores as Parquet columns, no decisions.

fastText and lexicon scorers run in one batched step (:class:`ScoreStep` through
:class:`~transforms.apply.ApplyStep`), each model loaded once per worker process with
``apache_beam.utils.shared.Shared``. BERT scorers run afterwards through Beam's ``RunInference``
(:mod:`transforms.score_bert`, imported only when a BERT scorer is configured: Beam's inference
package imports torch, about 180 MB and a second of start-up in every worker process). Each scorer writes ``<task>_<name>`` (float32; null
when the document is outside its languages or gate). Deciding is :mod:`transforms.score_filter`.
"""
from __future__ import annotations

import threading
from typing import Any, Sequence

import apache_beam as beam
import pyarrow as pa
from apache_beam.metrics import Metrics

from transforms.apply import ApplyStep
from transforms.document import Document
from transforms.keep_or_drop import Step
from transforms.score_documents import NAME, score_documents
from transforms.scorer_spec import ScorerSpec, check_order
from transforms.worker_resource import WorkerResource


class _LoadedModel:
    """A model in the per-process cache (:class:`WorkerResource`), and whether its load has been counted: the
    first DoFn instance (thread) to process a batch counts it, whichever instance loaded it."""

    def __init__(self, model):
        self.model = model
        self._lock = threading.Lock()
        self._counted = False

    def take_uncounted(self) -> bool:
        with self._lock:
            counted, self._counted = self._counted, True
        return not counted


class ScoreStep(Step):
    """fastText and lexicon scoring on batches; never drops a document.

    Models load in :meth:`setup` through one :class:`WorkerResource` per scorer, so every DoFn instance
    (thread) of a worker process uses the same loaded model. Each load is counted once as
    ``score/model_loads:<column>`` (on the next batch, since counters only record while a bundle
    runs).
    """

    name = NAME

    def __init__(self, specs: Sequence[ScorerSpec]):
        self.specs = list(specs)
        self.columns = {s.column: pa.float32() for s in self.specs}
        self._handles = {s.column: WorkerResource() for s in self.specs}
        self._models: dict[str, _LoadedModel] | None = None

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_models"] = None  # loaded models never travel (fastText cannot pickle)
        return state

    def setup(self) -> None:
        # The tag makes a changed model path or option load afresh instead of reusing the cache.
        self._models = {s.column: self._handles[s.column].get(lambda s=s: _LoadedModel(s.load()), tag=repr(s))
                        for s in self.specs}

    def process(self, doc: Document):
        return self.process_batch([doc])[0]

    def process_batch(self, docs: list[Document]) -> list[Document]:
        for spec in self.specs:
            loaded = self._models[spec.column]
            if loaded.take_uncounted():
                Metrics.counter(NAME, f"model_loads:{spec.column}").inc()
            docs = score_documents(docs, spec, loaded.model)
        return docs


class ScoreDocuments(beam.PTransform):
    """``docs -> {"kept": scored docs, "rejected": (empty)}``; ``columns`` lists the score columns.

    ``validate()`` runs at construction, so a missing or corrupt model stops ``skypile curate``
    before the pipeline launches.
    """

    def __init__(self, scorers: Sequence[dict[str, Any]], batch_size: int = 64):
        super().__init__()
        self.specs = [ScorerSpec.from_config(dict(s)) for s in scorers]
        check_order(self.specs)
        for spec in self.specs:
            spec.validate()
        self.batch_size = batch_size
        self.columns = {s.column: pa.float32() for s in self.specs}

    @property
    def step(self) -> ScoreStep:
        """Every scorer as one batched step, for the per-file pass after dedup (BERT models load
        through the same per-process cache and pick CUDA themselves on a GPU worker)."""
        return ScoreStep(self.specs)

    def expand(self, docs):
        inline = [s for s in self.specs if s.kind != "bert"]
        out = docs | "ScoreInline" >> ApplyStep(ScoreStep(inline), batch_size=self.batch_size)
        scored = out["kept"]
        for spec in self.specs:
            if spec.kind == "bert":
                from apache_beam.ml.inference.base import RunInference

                from transforms.score_bert import BertDocumentHandler

                label = "".join(p.capitalize() for p in spec.column.split("_"))
                scored = scored | f"Score{label}" >> RunInference(BertDocumentHandler(spec, self.batch_size))
        return {"kept": scored, "rejected": out["rejected"]}

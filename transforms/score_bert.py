"""BERT scorers of the ``score`` step through Beam's ``RunInference``: Beam batches, loads the
model once per process, and on a GPU worker the classifier picks CUDA itself.

A module of its own because ``apache_beam.ml.inference`` imports torch: only a run with a BERT
scorer imports it (:meth:`transforms.score.ScoreDocuments.expand`).
"""
from __future__ import annotations

from typing import Any, Iterable, Sequence

from apache_beam.ml.inference.base import ModelHandler

from transforms.document import Document
from transforms.score_documents import NAME, score_documents
from transforms.scorer_spec import ScorerSpec


class BertDocumentHandler(ModelHandler[Document, Document, Any]):
    """RunInference handler: documents in, the same documents with a BERT score out.

    ``load_model`` copies a remote folder to local disk and loads :class:`BertClassifier`
    (on CUDA when the worker has a GPU). Batch sizes come from ``batch_size``.
    """

    def __init__(self, spec: ScorerSpec, batch_size: int):
        super().__init__(min_batch_size=1, max_batch_size=batch_size)
        self.spec = spec

    def load_model(self):
        return self.spec.load()

    def run_inference(self, batch: Sequence[Document], model, inference_args=None) -> Iterable[Document]:
        return score_documents(batch, self.spec, model)

    def get_num_bytes(self, batch: Sequence[Document]) -> int:
        return sum(len(d.text or "") for d in batch)

    def get_metrics_namespace(self) -> str:
        return f"{NAME}_{self.spec.column}"

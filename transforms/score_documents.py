"""A batch of documents scored by one scorer: the pure core of the ``score`` step, shared by the
in-process step (:mod:`transforms.score`) and the BERT one through RunInference
(:mod:`transforms.score_bert`), so neither imports the other for it. No Beam.
"""
from __future__ import annotations

import dataclasses
from typing import Sequence

from transforms.document import Document
from transforms.scorer_spec import ScorerSpec

NAME = "score"


def _with_scores(doc: Document, scores: dict[str, float]) -> Document:
    """A copy of ``doc`` with ``scores`` added: Beam inputs must not be mutated."""
    return dataclasses.replace(doc, extra={**doc.extra, **scores})


def score_documents(docs: Sequence[Document], spec: ScorerSpec, model) -> list[Document]:
    """``docs`` with ``spec.column`` set on those the scorer applies to, one model call per batch."""
    picked = [i for i, d in enumerate(docs) if spec.applies(d)]
    if not picked:
        return list(docs)
    scores = model.predict([docs[i].text for i in picked])
    out = list(docs)
    for i, s in zip(picked, scores):
        out[i] = _with_scores(docs[i], {spec.column: float(s)})
    return out

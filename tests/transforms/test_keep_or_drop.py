"""transforms/keep_or_drop.py: the keep-or-drop contract (Drop, Step.process_batch, rejects rows)."""
from __future__ import annotations

import dataclasses

import pytest

from transforms.document import Document
from transforms.keep_or_drop import Drop, Rejected, Step


class _MinChars(Step):
    """Keeps documents of at least ``n`` characters, marking their length; drops shorter ones
    with the length the rejects table shows."""

    name = "min_chars"

    def __init__(self, n: int):
        self.n = n

    def process(self, doc: Document):
        marked = dataclasses.replace(doc, extra={**doc.extra, "chars": len(doc.text)})
        return marked if len(doc.text) >= self.n else Drop("min_chars_short", marked)


def test_drop_compares_by_reason_and_names_the_rejected_document():
    doc = Document(id="a", text="hi")
    verdict = _MinChars(3).process(doc)
    assert verdict == Drop("min_chars_short") and verdict != Drop("min_chars_other")
    assert verdict.rejected_doc(doc).extra == {"chars": 2} and doc.extra == {}
    assert Drop("x").rejected_doc(doc) is doc  # no document given: the step's input
    row = Rejected("min_chars", verdict.reason, verdict.rejected_doc(doc))
    assert (row.step, row.reason, row.doc.id) == ("min_chars", "min_chars_short", "a")
    with pytest.raises(dataclasses.FrozenInstanceError):
        verdict.reason = "y"


def test_process_batch_defaults_to_process_in_order():
    docs = [Document(id=str(i), text="x" * i) for i in range(5)]
    step = _MinChars(3)
    assert list(step.process_batch(docs)) == [step.process(d) for d in docs]
    kept = [v.id for v in step.process_batch(docs) if not isinstance(v, Drop)]
    assert kept == ["3", "4"]


def test_base_step_must_be_implemented():
    with pytest.raises(NotImplementedError):
        Step().process(Document(id="a"))
    Step().setup()  # a step without resources needs no setup

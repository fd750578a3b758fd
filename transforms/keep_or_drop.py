"""The keep-or-drop contract every curation step follows.

A step looks at one :class:`~transforms.document.Document` and returns it (possibly a changed
copy: text extracted, language set, a score added; documents are frozen) to keep it, or a :class:`Drop` with a reason to drop it.
Steps never count kept or dropped documents themselves: :func:`run_steps` runs a chain of them
and counts ``kept`` / ``dropped:<reason>`` per step through an injected ``count(namespace, name,
n)`` (TFDS C4's ``counter_inc_fn``): the work file's counts and Beam Metrics in the per-file
passes (:mod:`transforms.process_files`), Beam Metrics in :class:`transforms.apply.ApplyStep`, a
dict in tests. This module imports no Beam, so steps are plain objects that unit tests call directly.
"""
from __future__ import annotations

import dataclasses
import functools
from typing import Callable, ClassVar, Iterable, Mapping, Sequence, Union

import pyarrow as pa

from transforms.document import Document


@dataclasses.dataclass(frozen=True)
class Drop:
    """A verdict to drop a document. ``reason`` is snake_case with the filter's prefix
    (``url_blocklist_adult``, ``gopher_short_doc``) and is the key users see in report.json."""

    reason: str
    # The document as the rejects table should show it when the step adds values to dropped
    # documents too (heuristic statistics, dedup decisions); None: the step's input unchanged.
    doc: Document | None = dataclasses.field(default=None, compare=False, repr=False)

    def rejected_doc(self, input_doc: Document) -> Document:
        """The document a rejects-table row holds for this drop of ``input_doc``."""
        return input_doc if self.doc is None else self.doc


Verdict = Union[Document, Drop]


class Step:
    """Base class of a per-document step.

    Subclasses set ``name`` (the config section and Metrics namespace), may declare ``columns``
    they add to ``Document.extra`` (written to Parquet), load heavy resources in :meth:`setup`
    (called once per worker, never pickled), and implement :meth:`process`.
    """

    name: ClassVar[str] = ""
    columns: Mapping[str, pa.DataType] = {}
    # TFDS C4's injected counter: whoever runs the step binds it (Beam Metrics on a worker, the
    # work file's counts in the per-file stage, a dict in tests) before the first document.
    counter_inc_fn: Callable[[str, int], None] | None = None

    def bind_counter(self, inc: Callable[[str, int], None]) -> None:
        """Where :meth:`count` goes: ``inc(name, n)``, names within this step's namespace."""
        self.counter_inc_fn = inc

    def count(self, name: str, n: int = 1) -> None:
        """Count something besides kept/dropped (``lines_removed:<rule>``, ``redacted:<kind>``)."""
        if self.counter_inc_fn is None:
            raise RuntimeError(f"step {self.name!r}: count() before bind_counter()")
        self.counter_inc_fn(name, n)

    def setup(self) -> None:
        """Load models or lists. Runs once per worker process, after unpickling."""

    def process(self, doc: Document) -> Verdict:
        raise NotImplementedError

    def process_batch(self, docs: list[Document]) -> Iterable[Verdict]:
        """Batched form for steps that gain from it (model scoring); defaults to a loop."""
        return [self.process(d) for d in docs]


@dataclasses.dataclass
class Rejected:
    """A dropped document with the step and reason that dropped it (one rejects-table row)."""

    step: str
    reason: str
    doc: Document


# ``count(namespace, name, n)``: where a chain's counts go.
Count = Callable[[str, str, int], None]
# A step of a chain and its batch size (None: one document at a time).
ChainStep = tuple[Step, Union[int, None]]
Outcome = tuple[Document, Union[str, None], Union[str, None]]


def bind_steps(steps: Sequence[ChainStep], count: Count) -> None:
    """Point every step's own :meth:`Step.count` at ``count`` in its namespace."""
    for step, _ in steps:
        step.bind_counter(functools.partial(count, step.name))


def run_steps(docs: Sequence[Document], steps: Sequence[ChainStep], count: Count) -> list[Outcome]:
    """Runs ``docs`` through the chain ``steps`` in order: ``(document, step, reason)`` per input,
    in input order, reason None for a kept one (the final document), else the rejected document
    and the step that dropped it. Counts ``kept`` / ``dropped:<reason>`` in each step's namespace.
    A step with a batch size sees lists of at most that many documents (:meth:`Step.process_batch`)."""
    current = list(docs)
    out: list[Outcome | None] = [None] * len(current)
    live = list(range(len(current)))
    for step, batch_size in steps:
        if not live:
            break
        inputs = [current[i] for i in live]
        if batch_size:
            verdicts: list[Verdict] = []
            for start in range(0, len(inputs), batch_size):
                verdicts.extend(step.process_batch(inputs[start:start + batch_size]))
        else:
            verdicts = [step.process(doc) for doc in inputs]
        survivors = []
        for i, doc, verdict in zip(live, inputs, verdicts):
            if isinstance(verdict, Drop):
                count(step.name, f"dropped:{verdict.reason}", 1)
                out[i] = (verdict.rejected_doc(doc), step.name, verdict.reason)
            else:
                count(step.name, "kept", 1)
                current[i] = verdict
                survivors.append(i)
        live = survivors
    for i in live:
        out[i] = (current[i], None, None)
    return out

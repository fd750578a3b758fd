"""The keep-or-drop contract every curation step follows.

A step looks at one :class:`~transforms.document.Document` and returns it (possibly a changed
copy: text extracted, language set, a score added; documents are frozen) to keep it, or a :class:`Drop` with a reason to drop it.
Steps never count anything themselves: :class:`transforms.apply.ApplyStep` does the counting
(``Metrics.counter(step.name, "kept")`` / ``"dropped:<reason>"``) and routes drops to a tagged
output that can be written as a rejects table. This module imports no Beam, so steps are plain
objects that unit tests call directly.
"""
from __future__ import annotations

import dataclasses
from typing import Callable, ClassVar, Iterable, Mapping, Union

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

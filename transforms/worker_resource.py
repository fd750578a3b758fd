"""One way to hold a heavy resource (a model, a blocklist, n-gram tables) on a Beam worker.

A step makes a :class:`WorkerResource` in ``__init__`` (its key travels with the pickled step)
and calls :meth:`WorkerResource.get` from its ``setup()``; ``process`` only uses what ``setup``
bound. The value is built once per worker process and shared by every DoFn instance (thread) of
that step there, through :class:`apache_beam.utils.shared.Shared`; it never pickles. Outside Beam
(tests, bench scripts) the same calls work: ``step.setup()`` then ``step.process(doc)``.
"""
from __future__ import annotations

from typing import Any, Callable


class _Held:
    """A strong reference to the value (``Shared`` keeps only a weak one, and plain dicts or sets
    cannot be weakly referenced)."""

    def __init__(self, value: Any):
        self.value = value


class WorkerResource:
    """``get(load, tag)``: the value ``load()`` built once per process for this resource and tag."""

    def __init__(self):
        from apache_beam.utils.shared import Shared  # Beam only here: steps stay plain objects

        self._shared = Shared()
        self._held: _Held | None = None

    def get(self, load: Callable[[], Any], tag: Any = None) -> Any:
        """The shared value; ``tag`` (e.g. a model path) makes a changed source load afresh."""
        if self._held is None:
            self._held = self._shared.acquire(lambda: _Held(load()), tag=tag)
        return self._held.value

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_held"] = None  # the loaded value never travels
        return state

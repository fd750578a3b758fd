"""What crosses each shuffle: a Beam counter of encoded bytes and of element types at every grouping.

:func:`measured` goes in front of a GroupByKey, CoGroupByKey or Reshuffle: each element is
encoded with the coder Beam uses for elements of its type (``FastPrimitivesCoder`` for plain
Python values) and counted as ``shuffle/bytes:<label>`` and ``shuffle/elements:<label>``, and the
type of what it carries (the value of a key-value pair, one level into a tuple) as
``shuffle/carries:<label>:<type>``. Monitoring only (the report never reads them):
``bench/shuffle_bytes.py`` divides the bytes by the input's size, and a test asserts that no
``Document`` is among the carried types of a default run.
"""
from __future__ import annotations

from typing import Any

import apache_beam as beam
from apache_beam import coders
from apache_beam.metrics import Metrics

NAMESPACE = "shuffle"


def carried_type(element: Any) -> str:
    """``Document``, ``dict``, ``tuple[str,bytes]``...: the value of a pair, else the element."""
    value = element[1] if isinstance(element, tuple) and len(element) == 2 else element
    if isinstance(value, tuple):
        return "tuple[" + ",".join(type(v).__name__ for v in value) + "]"
    return type(value).__name__


class CountShuffleFn(beam.DoFn):
    def __init__(self, label: str, coder: coders.Coder):
        self.label, self.coder = label, coder

    def setup(self):
        self.bytes = Metrics.counter(NAMESPACE, f"bytes:{self.label}")
        self.elements = Metrics.counter(NAMESPACE, f"elements:{self.label}")
        self.types: dict[str, Any] = {}

    def process(self, element):
        self.bytes.inc(len(self.coder.encode(element)))
        self.elements.inc()
        kind = carried_type(element)
        counter = self.types.get(kind)
        if counter is None:
            counter = self.types[kind] = Metrics.counter(NAMESPACE, f"carries:{self.label}:{kind}")
        counter.inc()
        yield element


def measured(inputs, label: str):
    """``inputs`` (a PCollection, or a dict of them for a CoGroupByKey) with the counting step in
    front of the grouping ``label``; returns the same shape."""
    if isinstance(inputs, dict):
        return {tag: measured(pcoll, f"{label}.{tag}") for tag, pcoll in inputs.items()}
    coder = coders.registry.get_coder(inputs.element_type)
    return inputs | f"Measure{label}" >> beam.ParDo(CountShuffleFn(label, coder)).with_output_types(
        inputs.element_type)


def shuffle_counters(counters: dict[tuple[str, str], int]) -> dict[str, dict[str, Any]]:
    """``{label: {"bytes": n, "elements": n, "carries": {type: n}}}`` from ``{(namespace, name): value}``."""
    out: dict[str, dict[str, Any]] = {}
    for (namespace, name), value in sorted(counters.items()):
        if namespace != NAMESPACE:
            continue
        kind, _, rest = name.partition(":")
        if kind == "carries":
            label, _, typ = rest.rpartition(":")
            out.setdefault(label, {"bytes": 0, "elements": 0, "carries": {}})["carries"][typ] = value
        elif kind in ("bytes", "elements"):
            out.setdefault(rest, {"bytes": 0, "elements": 0, "carries": {}})[kind] = value
    return out

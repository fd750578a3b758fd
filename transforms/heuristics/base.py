"""The contract of a heuristic filter: score first, decide second (dolma style).

``score(stats)`` returns the values the filter computes (named without prefix; the step writes
them as ``hs_<prefix>_<name>`` columns when ``write_stats`` is on). ``decide(values)`` compares
them with the thresholds and returns the reason (without prefix) or None to keep. Keeping the two
apart lets users re-threshold stored values without re-scoring.
"""
from __future__ import annotations

import dataclasses
from typing import ClassVar, Iterator, Mapping

import pyarrow as pa

from transforms.heuristics.text_stats import TextStats


class Filter:
    """Base of the document filters; subclasses are frozen, keyword-only dataclasses of thresholds.

    A threshold has no default in the class: ``pipelines/defaults.yaml`` (one section per language
    under ``heuristics.languages``) is the one place each value and its source are written, so a
    reader never sees one number here while a run uses another."""

    prefix: ClassVar[str] = ""
    # Name -> Arrow type of every value ``score`` returns (the Parquet columns).
    values: ClassVar[Mapping[str, pa.DataType]] = {}
    # (reason, value name, "min" | "max", threshold attribute), checked in order by ``decide``.
    checks: ClassVar[tuple[tuple[str, str, str, str], ...]] = ()
    # True: score the text as cleaned but before the C4 line rules edit it (see ``step``).
    before_c4_line_rules: bool = False

    def load(self) -> None:
        """Read lists or models the filter needs; called once per worker by the step's setup."""

    def score(self, stats: TextStats) -> dict[str, float]:
        raise NotImplementedError

    def limits(self) -> Iterator[tuple[str, str, str, float]]:
        """(reason, value name, "min" | "max", threshold) in check order."""
        for reason, name, kind, attr in self.checks:
            yield reason, name, kind, getattr(self, attr)

    def decide(self, values: Mapping[str, float]) -> str | None:
        """The first reason whose value is below its minimum or above its maximum, else None."""
        for reason, name, kind, limit in self.limits():
            value = values[name]
            if value < limit if kind == "min" else value > limit:
                return reason
        return None

    @classmethod
    def from_config(cls, cfg: Mapping) -> "Filter":
        """Thresholds from a config mapping; an unknown key is an error, not a silent default."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(cfg) - known
        if unknown:
            raise ValueError(f"{cls.__name__}: unknown setting(s) {sorted(unknown)}; known: {sorted(known)}")
        missing = sorted(f.name for f in dataclasses.fields(cls) if f.name not in cfg
                         and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
        if missing:
            raise ValueError(f"{cls.__name__}: missing setting(s) {missing} (pipelines/defaults.yaml "
                             "lists every one for en and zh)")
        return cls(**cfg)


def columns_of(filters) -> dict[str, pa.DataType]:
    """The ``hs_<prefix>_<name>`` Parquet columns of ``filters``."""
    out: dict[str, pa.DataType] = {}
    for f in filters:
        for name, typ in f.values.items():
            out[f"hs_{f.prefix}_{name}"] = typ
    return out

"""The registry of curation steps: config section name -> the PTransform that runs it.

Every builder takes its config section (without ``enabled``) and returns a PTransform mapping a
PCollection of documents to ``{"kept": ..., "rejected": ...}`` with a ``columns`` attribute (the
Parquet columns it adds). Per-document steps are wrapped in :class:`transforms.apply.ApplyStep`;
steps that need the whole collection (dedup) are PTransforms of their own. Adding a step is one
builder here and one section in ``defaults.yaml``; the order of sections there is the run order.
"""
from __future__ import annotations

from typing import Any, Callable

import apache_beam as beam

from transforms.apply import ApplyStep


def _url_filter(cfg: dict[str, Any]) -> beam.PTransform:
    from transforms.url_filter import UrlFilter

    return ApplyStep(UrlFilter(**cfg))


def _extract(cfg: dict[str, Any]) -> beam.PTransform:
    from transforms.extract import Extract

    return ApplyStep(Extract(**cfg))


def _langid(cfg: dict[str, Any]) -> beam.PTransform:
    from pipelines.config import ConfigError
    from transforms.langid import LangId

    try:
        return ApplyStep(LangId(**cfg))
    except (ValueError, FileNotFoundError) as exc:  # before launch, with the fix in the message
        raise ConfigError(str(exc)) from exc


def _decontaminate(cfg: dict[str, Any]) -> beam.PTransform:
    from pipelines.config import ConfigError
    from transforms.decontaminate import Decontaminate

    try:
        return ApplyStep(Decontaminate(**cfg))
    except (FileNotFoundError, ValueError) as exc:  # a missing benchmark file fails before launch
        raise ConfigError(str(exc)) from exc


def _heuristics(cfg: dict[str, Any]) -> beam.PTransform:
    from pipelines.config import ConfigError
    from transforms.heuristics.step import Heuristics

    try:
        return ApplyStep(Heuristics(**cfg))
    except (FileNotFoundError, ValueError, TypeError) as exc:  # bad thresholds or lists fail before launch
        raise ConfigError(f"heuristics: {exc}") from exc


def _dedup(cls_path: str) -> Callable[[dict[str, Any]], beam.PTransform]:
    """Builder of a dedup step (a PTransform of its own: it needs the whole collection)."""

    def build(cfg: dict[str, Any]) -> beam.PTransform:
        import importlib

        from pipelines.config import ConfigError

        module, cls = cls_path.rsplit(".", 1)
        try:
            return getattr(importlib.import_module(module), cls)(**cfg)
        except (TypeError, ValueError) as exc:  # unknown keys or bad values fail before launch
            raise ConfigError(f"{cls_path}: {exc}") from exc

    return build


def _score(cfg: dict[str, Any]) -> beam.PTransform:
    from pipelines.config import ConfigError
    from transforms.score import ScoreDocuments

    try:
        return ScoreDocuments(**cfg)
    except (FileNotFoundError, ValueError, TypeError) as exc:  # a missing or corrupt model fails before launch
        raise ConfigError(f"score: {exc}") from exc


def _score_filter(cfg: dict[str, Any]) -> beam.PTransform:
    from pipelines.config import ConfigError
    from transforms.score_filter import FilterOnScores, ScoreFilter

    try:
        return FilterOnScores(ScoreFilter(**cfg))
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"score_filter: {exc}") from exc


BUILDERS: dict[str, Callable[[dict[str, Any]], beam.PTransform]] = {
    "url_filter": _url_filter,
    "extract": _extract,
    "langid": _langid,
    "heuristics": _heuristics,
    "url_dedup": _dedup("transforms.dedup.url_dedup.UrlDedup"),
    "exact_dedup": _dedup("transforms.dedup.exact.ExactDedup"),
    "minhash_dedup": _dedup("transforms.dedup.near_dedup.MinHashDedup"),
    "line_dedup": _dedup("transforms.dedup.line_dedup.LineDedup"),
    "decontaminate": _decontaminate,
    "score": _score,
    "score_filter": _score_filter,
}


def build_steps(config: dict[str, Any]) -> list[tuple[str, beam.PTransform]]:
    """The enabled steps in config order, each built from its section."""
    from pipelines.config import step_names

    steps = []
    for name in step_names(config):
        section = dict(config[name])
        if not section.pop("enabled", True):
            continue
        if name not in BUILDERS:
            raise ValueError(f"config section {name!r} has no step builder")
        steps.append((name, BUILDERS[name](section)))
    return steps

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
    from transforms.langid import LangId

    return ApplyStep(LangId(**cfg))


def _decontaminate(cfg: dict[str, Any]) -> beam.PTransform:
    from transforms.decontaminate import Decontaminate

    return ApplyStep(Decontaminate(**cfg))


def _pii(cfg: dict[str, Any]) -> beam.PTransform:
    from transforms.pii import PII

    return ApplyStep(PII(**cfg))


def _heuristics(cfg: dict[str, Any]) -> beam.PTransform:
    from transforms.heuristics.heuristics_step import Heuristics

    return ApplyStep(Heuristics(**cfg))


def _dedup(cls_path: str) -> Callable[[dict[str, Any]], beam.PTransform]:
    """Builder of a dedup step (a PTransform of its own: it needs the whole collection)."""

    def build(cfg: dict[str, Any]) -> beam.PTransform:
        import importlib

        module, cls = cls_path.rsplit(".", 1)
        return getattr(importlib.import_module(module), cls)(**cfg)

    return build


def _score(cfg: dict[str, Any]) -> beam.PTransform:
    from transforms.score import ScoreDocuments

    return ScoreDocuments(**cfg)


def _score_filter(cfg: dict[str, Any]) -> beam.PTransform:
    from transforms.score_filter import FilterOnScores, ScoreFilter

    return FilterOnScores(ScoreFilter(**cfg))


_BUILDERS: dict[str, Callable[[dict[str, Any]], beam.PTransform]] = {
    "url_filter": _url_filter,
    "extract": _extract,
    "langid": _langid,
    "heuristics": _heuristics,
    "url_dedup": _dedup("transforms.dedup.url_dedup.UrlDedup"),
    "exact_dedup": _dedup("transforms.dedup.exact.ExactDedup"),
    "minhash_dedup": _dedup("transforms.dedup.minhash_dedup.MinHashDedup"),
    "line_dedup": _dedup("transforms.dedup.line_dedup.LineDedup"),
    "pii": _pii,
    "decontaminate": _decontaminate,
    "score": _score,
    "score_filter": _score_filter,
}


def _config_errors(name: str, build: Callable[[dict[str, Any]], beam.PTransform]):
    """``build`` raising :class:`ConfigError` for whatever the step class rejects when constructed
    (a bad value, a missing list, benchmark or model file), prefixed with the step's name: the
    CLI prints it as one line, before launch."""

    def checked(section: dict[str, Any]) -> beam.PTransform:
        from pipelines.config import ConfigError

        try:
            return build(section)
        except ConfigError:
            raise
        except (ValueError, TypeError, KeyError, OSError) as exc:  # OSError: FileNotFoundError and kin
            message = str(exc.args[0] if isinstance(exc, KeyError) and exc.args else exc)
            raise ConfigError(message if message.startswith(name) else f"{name}: {message}") from exc

    return checked


# Each builder takes its section without ``enabled``.
BUILDERS = {name: _config_errors(name, build) for name, build in _BUILDERS.items()}


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

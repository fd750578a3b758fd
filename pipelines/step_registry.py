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


def _class(path: str):
    """``module.Class`` imported when its step is built (a run imports only the steps it uses)."""
    import importlib

    module, name = path.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def _per_document(path: str) -> Callable[[dict[str, Any]], beam.PTransform]:
    """Builder of a per-document step: its :class:`~transforms.keep_or_drop.Step` in ApplyStep."""
    return lambda cfg: ApplyStep(_class(path)(**cfg))


def _whole(path: str) -> Callable[[dict[str, Any]], beam.PTransform]:
    """Builder of a step that is a PTransform of its own (it needs the whole collection)."""
    return lambda cfg: _class(path)(**cfg)


def _score_filter(cfg: dict[str, Any]) -> beam.PTransform:
    from transforms.score_filter import FilterOnScores, ScoreFilter

    return FilterOnScores(ScoreFilter(**cfg))


_BUILDERS: dict[str, Callable[[dict[str, Any]], beam.PTransform]] = {
    "url_filter": _per_document("transforms.url_filter.UrlFilter"),
    "extract": _per_document("transforms.extract.Extract"),
    "langid": _per_document("transforms.langid.LangId"),
    "heuristics": _per_document("transforms.heuristics.heuristics_step.Heuristics"),
    "url_dedup": _whole("transforms.dedup.url_dedup.UrlDedup"),
    "exact_dedup": _whole("transforms.dedup.exact.ExactDedup"),
    "minhash_dedup": _whole("transforms.dedup.minhash_dedup.MinHashDedup"),
    "line_dedup": _whole("transforms.dedup.line_dedup.LineDedup"),
    "pii": _per_document("transforms.pii.PII"),
    "decontaminate": _per_document("transforms.decontaminate.Decontaminate"),
    "score": _whole("transforms.score.ScoreDocuments"),
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

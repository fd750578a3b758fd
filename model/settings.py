"""The one unknown-keys check of every config loader (pipelines, train, model): no torch, no Beam.

It lives in ``model/`` because that is the package every other one may import (``model/`` never
imports the trainer or the pipelines; see tests/test_import_graph.py).
"""
from __future__ import annotations

from typing import Iterable


def check_known_keys(given: Iterable, known: Iterable, where: str, error: type[Exception] = ValueError) -> None:
    """Raises ``error("unknown key(s) [...] in WHERE (known: ...)")`` when ``given`` has keys
    outside ``known`` (a typo must not silently fall back to a default). ``known`` keeps its order."""
    known = list(known)
    unknown = sorted(set(given) - set(known), key=str)
    if unknown:
        raise error(f"unknown key(s) {unknown} in {where} (known: {', '.join(map(str, known))})")


def parse_assignment(assignment: str, error: type[Exception] = ValueError) -> tuple[str, object]:
    """``--set KEY=VALUE`` (every CLI's form) -> ``(KEY, VALUE parsed as YAML)``; an empty VALUE is ``""``.

    YAML 1.1 reads ``1e-3`` (no dot) as a string: typed loaders convert such strings themselves."""
    import yaml

    key, sep, text = assignment.partition("=")
    if not sep or not key:
        raise error(f"--set expects key=value, got {assignment!r}")
    return key, (yaml.safe_load(text) if text.strip() else "")

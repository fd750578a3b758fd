"""What every config loader (pipelines, transforms, train, model) shares: the one unknown-keys
check, ``--set KEY=VALUE`` parsing and the one YAML file reader. No torch, no Beam.
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


def load_yaml_file(path: str, error: type[Exception] = ValueError):
    """The YAML document in ``path``; a folder, a missing file, malformed YAML or a file that is
    not UTF-8 raise ``error`` with one line (where the YAML breaks), never yaml's traceback."""
    import os

    import yaml

    if os.path.isdir(path):
        raise error(f"--config {path}: is a folder, not a YAML file")
    if not os.path.isfile(path):
        raise error(f"config file not found: {path}")
    try:
        with open(path, encoding="utf-8") as f:
            return yaml.safe_load(f)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise error(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', None) or exc}") from None
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not a UTF-8 text file ({exc.reason} at byte {exc.start})") from None

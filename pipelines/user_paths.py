"""The one place where the paths a user types become the paths a run hands its workers.

A worker of a distributed runner (PortableRunner's worker pool, Dataflow) runs in another folder,
often on another machine: a relative ``--input sample/*.warc.gz`` would name nothing there. So the
launcher makes every local path absolute before launch (``~`` expanded); URLs (``gs://``,
``s3://``, ``pkg://`` files shipped with skypile) stay as written. No Beam here.
"""
from __future__ import annotations

import os
from typing import Any

GLOB_CHARS = "*?["


def is_url(path: str) -> bool:
    return "://" in path


def absolute(path: str) -> str:
    """``path`` as workers in any folder can open it: local paths absolute, URLs unchanged."""
    return path if is_url(path) else os.path.abspath(os.path.expanduser(path))


def has_glob(path: str) -> bool:
    return any(c in path for c in GLOB_CHARS)


def absolute_config_paths(value: Any) -> Any:
    """``value`` (a config, or part of one) with every string that names an existing local file
    or folder relative to the current folder made absolute (word lists, models, benchmark sets
    that a user's config names): steps open them on the workers. Other strings stay as written."""
    if isinstance(value, dict):
        return {k: absolute_config_paths(v) for k, v in value.items()}
    if isinstance(value, list):
        return [absolute_config_paths(v) for v in value]
    if isinstance(value, str) and not is_url(value) and not os.path.isabs(value) and "${" not in value:
        local = os.path.expanduser(value)
        # a path has a folder or an extension: a stop character "." or a word is never one
        if ("/" in value and os.path.exists(local)) or ("." in value.strip(".") and os.path.isfile(local)):
            return absolute(value)
    return value

"""Atomic checkpoints under ``OUT/checkpoints/step_{step:08d}.pt`` and the resume checks.

A checkpoint is one ``torch.save`` dict: ``model`` (the plain Llama state_dict, no wrapper
prefixes), ``model_config``, ``optimizer``, ``step`` (the learning-rate schedule is a pure
function of it, so it has no state of its own), ``rng`` and ``data`` (one entry per rank: torch RNG states and the exact data
position of every source), ``fingerprint`` (what must not change on resume) and ``config``.
Everything in it loads with ``torch.load(weights_only=True)``.

Written to a temporary file in the same directory, fsynced, renamed over the final name, then
the directory is fsynced: a crash leaves either the previous checkpoint or the new one, never a
torn file.
"""
from __future__ import annotations

import glob
import os
from typing import Any

import torch

from model.checkpoint import checkpoint_name, step_checkpoints


class ResumeError(RuntimeError):
    """A checkpoint that this run must not continue from (changed data, world size, ...)."""


def checkpoint_dir(out_dir: str) -> str:
    return os.path.join(out_dir, "checkpoints")


def checkpoint_path(out_dir: str, step: int) -> str:
    return os.path.join(checkpoint_dir(out_dir), checkpoint_name(step))


def list_checkpoints(out_dir: str) -> list[tuple[int, str]]:
    return [(step, str(path)) for step, path in step_checkpoints(checkpoint_dir(out_dir))]


def latest_checkpoint(out_dir: str) -> str | None:
    found = list_checkpoints(out_dir)
    return found[-1][1] if found else None


def save_atomic(obj: dict, path: str) -> None:
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    tmp = f"{path}.tmp.{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def prune(out_dir: str, keep: int, protect: set[int] = frozenset()) -> None:
    """Delete all but the ``keep`` newest checkpoints (and any left-over temporary files)."""
    for tmp in glob.glob(os.path.join(checkpoint_dir(out_dir), "step_*.pt.tmp.*")):
        os.remove(tmp)
    if keep <= 0:
        return
    for step, path in list_checkpoints(out_dir)[:-keep]:
        if step not in protect:
            os.remove(path)


def load(path: str) -> dict[str, Any]:
    return torch.load(path, map_location="cpu", weights_only=True)


def _diff(old: Any, new: Any, where: str, out: list[str]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            _diff(old.get(key, "<absent>"), new.get(key, "<absent>"), f"{where}.{key}".lstrip("."), out)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new)):
            _diff(a, b, f"{where}.{i}", out)
    elif old != new:
        out.append(f"  {where}: checkpoint has {old!r}, this run has {new!r}")


def check_fingerprint(saved: dict, current: dict, path: str) -> None:
    """Refuse to resume when anything that decides the data order or the batch changed."""
    changes: list[str] = []
    _diff(saved, current, "", changes)
    if changes:
        raise ResumeError(
            f"cannot resume from {path}: the run's data configuration changed since it was written:\n"
            + "\n".join(changes[:20])
            + "\nThe saved data position (per rank, per source) is only meaningful for the same sources, "
              "mixture, tokenizer, sequence length, batch shape and world size. Start a new --out "
              "directory, or restore the previous settings.")

"""How a configured chain of steps splits into the run's parts: the per-document steps of the first
per-file pass, the dedup steps deciding on key records, the per-document steps of the second pass;
the key records' settings; the output languages. Shared by the launcher (:mod:`pipelines.curate`)
and ``--estimate`` (:mod:`pipelines.estimate`), which runs the same chain on a sample.
"""
from __future__ import annotations

from typing import Any

import apache_beam as beam

from pipelines.config import ConfigError
from transforms.apply import ApplyStep
from transforms.dedup.keys import Keyer


def output_languages(config: dict[str, Any]) -> list[str]:
    langid = config.get("langid", {})
    return list(langid.get("languages", {})) if langid.get("enabled", True) else []


def split_steps(steps: list[tuple[str, beam.PTransform]]):
    """The leading per-document steps (run per input file, resumable) and the rest (global)."""
    i = 0
    while i < len(steps) and type(steps[i][1]) is ApplyStep and not steps[i][1].batch_size:
        i += 1
    return steps[:i], steps[i:]


def split_global(steps: list[tuple[str, beam.PTransform]]):
    """The global steps -> ``(dedup steps, per-document steps after them)``: the dedup steps decide
    on key records, the others run in the second per-file pass. A dedup step after a per-document
    step would need that step's output before deciding: refused."""
    i = 0
    while i < len(steps) and hasattr(steps[i][1], "decide"):
        i += 1
    later = steps[i:]
    for name, transform in later:
        if hasattr(transform, "decide"):
            raise ConfigError(f"{name}: a dedup step must come before the per-document steps "
                              f"({', '.join(n for n, t in later if not hasattr(t, 'decide'))})")
        if not hasattr(transform, "step"):
            raise ConfigError(f"{name}: not a per-document step (no .step) nor a dedup step (no .decide)")
    return steps[:i], later


def keyer_of(dedup: list[tuple[str, beam.PTransform]]) -> Keyer:
    """One :class:`Keyer` with the settings of every enabled dedup step."""
    found = {name: transform for name, transform in dedup}
    exact, minhash, lines = found.get("exact_dedup"), found.get("minhash_dedup"), found.get("line_dedup")
    return Keyer(score_column=exact.score_column if exact else "",
                 minhash=minhash.settings if minhash else None,
                 min_line_chars=lines.min_line_chars if lines else None)

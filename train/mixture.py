"""Stage-aware data mixtures: token budgets, per-source weights, linear in-stage ramps, sampling.

Skywork (technical report, arXiv:2310.19341) trains in two stages: stage 1 on SkyPile-Main by
language (English 49.8%, Chinese 39.6%, other 2.4%, code 8.0%), stage 2 adding STEM data (main
80% / STEM 20%).
Here a stage is a token budget and per-source weights; a weight given as ``[start, end]`` moves
linearly from start at the stage's first step to end at its last step. Weights are normalized at
every step, so a ramp stays linear in share when the stage's start and end weights have the same sum.

Every packed sequence comes whole from one source. Its source is a pure function of the seed and
the sequence's global index (a SplitMix64 hash compared with the cumulative weights of its step),
so the sampler has no state to save, is identical on every rank and after any resume, and the
realized share of a source is a sum of independent Bernoulli draws: binomial sampling error.
"""
from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

from train.config import StageSpec


class MixtureError(ValueError):
    """A mixture that cannot be trained as written."""


@dataclass(frozen=True)
class Stage:
    name: str
    start_step: int
    num_steps: int
    weights: dict[str, tuple[float, float]]  # source -> (start, end)

    @property
    def end_step(self) -> int:
        return self.start_step + self.num_steps


def _weight_pair(stage: str, source: str, value) -> tuple[float, float]:
    pair = tuple(value) if isinstance(value, (list, tuple)) else (value, value)
    if len(pair) != 2 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in pair):
        raise MixtureError(f"stage {stage!r}: weight of {source!r} must be a number or [start, end], got {value!r}")
    if not all(math.isfinite(v) and v >= 0 for v in pair):
        raise MixtureError(f"stage {stage!r}: weight of {source!r} must be finite and >= 0, got {value!r}")
    return float(pair[0]), float(pair[1])


def build_stages(specs: list[StageSpec], sources: list[str], tokens_per_step: int) -> list[Stage]:
    """Validate ``specs`` and lay the stages out in optimizer steps (budgets rounded up)."""
    if not specs:
        raise MixtureError("mixture.stages is empty: give at least one stage with a token budget and weights")
    if tokens_per_step <= 0:
        raise MixtureError(f"tokens per step must be positive, got {tokens_per_step}")
    stages, start, names = [], 0, set()
    for spec in specs:
        if spec.name in names:
            raise MixtureError(f"two stages are named {spec.name!r}")
        names.add(spec.name)
        if not (isinstance(spec.tokens, int) and spec.tokens > 0):
            raise MixtureError(f"stage {spec.name!r}: tokens must be a positive integer, got {spec.tokens!r}")
        unknown = sorted(set(spec.weights) - set(sources))
        if unknown:
            raise MixtureError(f"stage {spec.name!r}: weights name unknown source(s) {unknown}; "
                               f"data.sources has {sorted(sources)}")
        weights = {s: _weight_pair(spec.name, s, w) for s, w in spec.weights.items()}
        if not sum(w[0] for w in weights.values()) > 0 or not sum(w[1] for w in weights.values()) > 0:
            raise MixtureError(f"stage {spec.name!r}: weights must have a positive sum at both ends of the stage")
        num_steps = -(-spec.tokens // tokens_per_step)
        stages.append(Stage(spec.name, start, num_steps, weights))
        start += num_steps
    return stages


def stage_at(stages: list[Stage], step: int) -> int:
    """Index of the stage that ``step`` belongs to (the last stage past the end)."""
    for i, stage in enumerate(stages):
        if step < stage.end_step:
            return i
    return len(stages) - 1


def weights_at(stage: Stage, step: int) -> dict[str, float]:
    """Normalized source weights at ``step`` (linear interpolation inside the stage)."""
    frac = 0.0 if stage.num_steps <= 1 else min(max((step - stage.start_step) / (stage.num_steps - 1), 0.0), 1.0)
    raw = {s: a + (b - a) * frac for s, (a, b) in stage.weights.items()}
    total = sum(raw.values())
    return {s: w / total for s, w in sorted(raw.items()) if w > 0}


_MASK = (1 << 64) - 1


def splitmix64(x: int) -> int:
    """SplitMix64 (Steele, Lea & Flood 2014): a fast, well-mixed 64-bit hash."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def uniform(seed: int, index: int) -> float:
    """A uniform [0, 1) draw that depends only on (seed, index)."""
    return (splitmix64(splitmix64(seed & _MASK) ^ (index & _MASK)) >> 11) * (1.0 / (1 << 53))


class Sampler:
    """Chooses the source of every sequence: ``source_of(step, global_index)``."""

    def __init__(self, stages: list[Stage], seed: int):
        self.stages = stages
        self.seed = seed
        self._cache: tuple[int, list[str], list[float]] | None = None

    def _table(self, step: int) -> tuple[list[str], list[float]]:
        if self._cache is None or self._cache[0] != step:
            weights = weights_at(self.stages[stage_at(self.stages, step)], step)
            names, cum, acc = list(weights), [], 0.0
            for name in names:
                acc += weights[name]
                cum.append(acc)
            self._cache = (step, names, cum)
        return self._cache[1], self._cache[2]

    def source_of(self, step: int, index: int) -> str:
        names, cum = self._table(step)
        i = bisect.bisect_right(cum, uniform(self.seed, index) * cum[-1])
        return names[min(i, len(names) - 1)]

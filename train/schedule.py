"""Learning-rate schedule: linear warmup, cosine decay to a floor, then constant.

Skywork-13B (technical report, arXiv:2310.19341) warms up linearly, decays with a cosine to 10%
of the peak and then holds that rate, so training can continue (and stage 2 can start) without a
second decay.
A pure function of the step, so the schedule needs no state in checkpoints beyond the step.
"""
from __future__ import annotations

import math


def lr_at(step: int, peak: float, warmup_steps: int, decay_steps: int, min_ratio: float = 0.1) -> float:
    """The rate at 0-based ``step``: ``peak * (step + 1) / warmup`` during warmup, then a cosine from
    ``peak`` at ``warmup_steps`` to ``peak * min_ratio`` at ``decay_steps``, then constant."""
    if step < warmup_steps:
        return peak * (step + 1) / warmup_steps
    floor = peak * min_ratio
    if step >= decay_steps or decay_steps <= warmup_steps:
        return floor
    progress = (step - warmup_steps) / (decay_steps - warmup_steps)
    return floor + (peak - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))

"""Shared test fixtures: where the real data lives, and a Beam pipeline on the Python runner."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Real data shipped beside the project (never copied into it); SKYPILE_SHARED_DATA overrides.
SHARED_DATA = Path(os.environ.get("SKYPILE_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.fail(f"shared data not found at {SHARED_DATA} (set SKYPILE_SHARED_DATA)")
    return SHARED_DATA


def beam_test_pipeline():
    """A TestPipeline on Beam's Python runner (the DirectRunner would try to download Prism)."""
    from apache_beam.testing.test_pipeline import TestPipeline

    return TestPipeline(runner="FnApiRunner")


def step_counters(result, namespace: str) -> dict[str, int]:
    """``{counter name: committed value}`` of one Metrics namespace, summed over the steps that
    share it (e.g. one writer per language)."""
    from apache_beam.metrics.metric import MetricsFilter

    out: dict[str, int] = {}
    for c in result.metrics().query(MetricsFilter().with_namespace(namespace))["counters"]:
        out[c.key.metric.name] = out.get(c.key.metric.name, 0) + c.committed
    return out

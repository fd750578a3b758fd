"""Shared test fixtures: where the real data lives, and a Beam pipeline on the Python runner."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The real test data lives beside the project (never copied into it): SKYPILE_TEST_DATA, else
# SKYPILE_SHARED_DATA (the name the benchmarks and ${SKYPILE_SHARED_DATA} in configs use), else
# the checkout's ../shared/data.
TEST_DATA_VAR = "SKYPILE_TEST_DATA"
SHARED_DATA = Path(os.environ.get(TEST_DATA_VAR) or os.environ.get("SKYPILE_SHARED_DATA")
                   or ROOT.parent / "shared" / "data")


def pytest_configure(config) -> None:
    """Without the data nearly every test would fail on its own: stop at once with one line."""
    if not (SHARED_DATA / "SOURCES.md").is_file():
        pytest.exit(f"test data not found at {SHARED_DATA}: set {TEST_DATA_VAR} to the folder holding "
                    "SOURCES.md, warc/, html/, lists/, eval/, labels/ (default: ../shared/data beside the "
                    "checkout)", returncode=4)
    # Subprocesses and ${SKYPILE_SHARED_DATA} in test configs see the same folder.
    os.environ.setdefault("SKYPILE_SHARED_DATA", str(SHARED_DATA))


@pytest.fixture(scope="session")
def shared_data() -> Path:
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

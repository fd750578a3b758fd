"""Shared test fixtures: where the test data lives, and a Beam pipeline on the Python runner.

Test data: the full set when there is one ($SKYPILE_TEST_DATA, else $SKYPILE_SHARED_DATA, else
../shared/data beside the checkout), otherwise tests/data, the cut that ships with the project
(same layout; see tests/data/SOURCES.md). A test that needs what tests/data does not hold (a
license-flagged set, a whole set that the cut leaves out) says so with ``@pytest.mark.full_data``
(or ``require_full_data`` in a fixture) and is skipped on the cut with a reason naming the data.
With SKYPILE_REQUIRE_FULL_DATA=1 (CI) such a skip is a failure instead.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUNDLED_DATA = ROOT / "tests" / "data"
TEST_DATA_VAR = "SKYPILE_TEST_DATA"
REQUIRE_FULL_VAR = "SKYPILE_REQUIRE_FULL_DATA"
DATA_SKIP = "needs "  # every data skip reason starts so (see data_skip_reason)

# Where each set that tests/data leaves out comes from (longest matching prefix wins).
FULL_ONLY_SOURCES = {
    "labels/chinesewebtext_quality_zh": "CASIA-LM/ChineseWebText, no data license: never copied",
    "lists/zh_sensitive_words_chinesewebtext.tsv": "CASIA-LM/ChineseWebText, no data license: never copied",
    "eval/skywork": "SkyworkAI/Skywork, Skywork Community License: never copied",
    "html/mozilla_readability": "mozilla/readability test pages, 4.7 MB: not in tests/data",
    "../peerbench": "the peer benchmark kit beside the data, not part of the project",
}


def _full_data() -> tuple[Path | None, str | None]:
    """``(full test data or None when only tests/data is there, error)``."""
    named = os.environ.get(TEST_DATA_VAR) or os.environ.get("SKYPILE_SHARED_DATA")
    path = Path(named) if named else ROOT.parent / "shared" / "data"
    if not (path / "SOURCES.md").is_file():
        error = (f"test data not found at {path}: {TEST_DATA_VAR} must name the folder holding SOURCES.md, warc/, "
                 "html/, lists/, eval/, labels/ (unset it to use tests/data)") if named else None
        return None, error
    return (None if path.resolve() == BUNDLED_DATA.resolve() else path), None


FULL_DATA, DATA_ERROR = _full_data()
SHARED_DATA = FULL_DATA or BUNDLED_DATA


def pytest_configure(config) -> None:
    if DATA_ERROR:  # a named folder that is not there: one line, not a fall-back to the cut
        pytest.exit(DATA_ERROR, returncode=4)
    config.addinivalue_line("markers", "full_data(*paths): needs these files or folders (relative to the test "
                                       "data) of the full data, which tests/data does not hold")
    # Subprocesses and ${SKYPILE_SHARED_DATA} in test configs see the same folder.
    os.environ.setdefault("SKYPILE_SHARED_DATA", str(SHARED_DATA))


def pytest_terminal_summary(terminalreporter) -> None:
    """One line under the summary (-q shows no header): which data ran, and how many tests it skipped."""
    skipped = terminalreporter.stats.get("skipped", [])
    for_data = sum(isinstance(r.longrepr, tuple) and f"Skipped: {DATA_SKIP}" in r.longrepr[2] for r in skipped)
    where = SHARED_DATA if FULL_DATA else f"{BUNDLED_DATA} (the cut that ships; full data: set {TEST_DATA_VAR})"
    terminalreporter.write_line(f"skypile test data: {where}; {for_data} skipped for their data")


def data_skip_reason(*rels: str) -> str:
    """``needs <path> (<where it comes from>), ...: set SKYPILE_TEST_DATA``."""
    def one(rel: str) -> str:
        source = next((v for k, v in sorted(FULL_ONLY_SOURCES.items(), key=lambda kv: -len(kv[0]))
                       if rel.startswith(k)), "not in tests/data")
        return f"{os.path.normpath('../shared/data/' + rel)} ({source})"
    return f"{DATA_SKIP}{', '.join(one(rel) for rel in rels)}: set {TEST_DATA_VAR}"


def require_full_data(*rels: str) -> None:
    """Skip the calling test (or fixture) unless the full data holds every path in ``rels``; under
    SKYPILE_REQUIRE_FULL_DATA=1 fail instead, so that CI never skips a test for its data."""
    missing = [rel for rel in rels if FULL_DATA is None or not (FULL_DATA / rel).exists()]
    if not missing:
        return
    reason = data_skip_reason(*missing)
    if os.environ.get(REQUIRE_FULL_VAR) == "1":
        pytest.fail(f"{REQUIRE_FULL_VAR}=1 and the test data at {SHARED_DATA} lacks it: {reason}", pytrace=False)
    # Reported at the test's own line (as a skip marker is), not at this helper's.
    raise pytest.skip.Exception(reason, _use_item_location=True)


def pytest_runtest_setup(item) -> None:
    for mark in item.iter_markers("full_data"):
        require_full_data(*mark.args)


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

"""Local scale-out: the whole ``curate`` -> ``release`` path gives the same bytes with 2 worker processes.

The per-step determinism tests live beside each step; this one covers what users publish: the
report, report.md, the funnel chart and every file of the release.
"""
from __future__ import annotations

import glob
import os
import re
from collections import defaultdict

import pytest

from pipelines.release import main as release_main
from tests.pipelines.release_helpers import curated_sample, load_report

WORKER_PROGRESS = re.compile(r"progress \[worker (\d+)\]: ([\d,]+) records read, ([\d,]+) kept")
TWO_PROCESSES = ("--direct_num_workers", "2", "--direct_running_mode", "multi_processing")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    one = curated_sample(tmp_path_factory)
    two = curated_sample(tmp_path_factory, "curated-2-workers", *TWO_PROCESSES)
    return one, two


def _files(root) -> dict[str, bytes]:
    return {os.path.relpath(p, root): open(p, "rb").read()
            for p in glob.glob(os.path.join(root, "**", "*"), recursive=True) if os.path.isfile(p)}


def test_two_worker_processes_report_the_same_funnel(runs):
    one, two = runs
    assert load_report(two) == load_report(one)
    assert (two / "report.md").read_bytes() == (one / "report.md").read_bytes()
    assert (two / "funnel.svg").read_bytes() == (one / "funnel.svg").read_bytes()


def test_two_worker_processes_release_the_same_bytes(runs, tmp_path):
    one, two = runs
    for corpus, out in ((one, tmp_path / "a" / "rel"), (two, tmp_path / "b" / "rel")):
        assert release_main(["--corpus", str(corpus), "--out", str(out), "--shard-size-mb", "0.02"]) == 0
    released_one, released_two = _files(tmp_path / "a" / "rel"), _files(tmp_path / "b" / "rel")
    assert len([p for p in released_one if p.startswith("data")]) > 2  # several shards compared
    assert released_two == released_one


def test_each_worker_process_reports_its_share_of_the_progress(runs, tmp_path_factory):
    _, two = runs
    stderr = (tmp_path_factory.getbasetemp() / "curated-2-workers.stderr").read_text()
    last: dict[str, tuple[int, int]] = defaultdict(lambda: (0, 0))
    for pid, read, kept in WORKER_PROGRESS.findall(stderr):
        last[pid] = (int(read.replace(",", "")), int(kept.replace(",", "")))
    report = load_report(two)
    assert len(last) >= 1, stderr[-2000:]
    assert sum(r for r, _ in last.values()) == report["records_in"]
    assert sum(k for _, k in last.values()) == report["kept"]

"""Every ``curate`` run writes report.md + funnel.png beside report.json, and shows its progress."""
from __future__ import annotations

import io
import re

import pytest

from pipelines.funnel_chart import funnel_png
from pipelines.progress import ProgressTracker
from pipelines.report_markdown import report_markdown
from tests.pipelines.release_helpers import curated_sample, load_report
from transforms.drop_samples import read_drop_samples

PROGRESS = re.compile(r"progress: ([\d,]+) records read, ([\d,]+) kept")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return curated_sample(tmp_path_factory)


def test_curate_writes_report_md_with_the_funnel_of_report_json(corpus):
    report = load_report(corpus)
    md = (corpus / "report.md").read_text()
    # report.md adds the run's drop samples (drop_samples.json beside report.json).
    assert md == report_markdown({**report, "drop_samples": read_drop_samples(str(corpus))})
    assert "## What each reason dropped" in md
    for entry in report["funnel"]:
        dropped = sum(entry["dropped"].values())
        assert f"| `{entry['step']}` | {entry['in']:,} | {entry['kept']:,} | {dropped:,} |" in md
    for lang, count in report["kept_per_language"].items():
        assert f"| `{lang}` | {count:,} |" in md
    assert "(balanced)" in md and "![funnel](funnel.png)" in md
    assert report["versions"]["apache-beam"].startswith("2.77")


def test_curate_writes_the_funnel_chart(corpus):
    from matplotlib.image import imread

    report = load_report(corpus)
    png = (corpus / "funnel.png").read_bytes()
    assert png == funnel_png(report)  # same report, same bytes
    image = imread(io.BytesIO(png), format="png")
    height, width = image.shape[:2]
    assert width == 900 and height >= 55 * len(report["funnel"])  # grows with the steps
    # Both colours are drawn: something was kept and something dropped.
    pixels = {tuple(round(float(c) * 255) for c in px[:3]) for px in image.reshape(-1, image.shape[2])}
    assert (0x3a, 0x7d, 0x44) in pixels and (0xc0, 0x39, 0x2b) in pixels


def test_curate_prints_final_progress_matching_the_report(corpus, tmp_path_factory):
    report = load_report(corpus)
    stderr = (tmp_path_factory.getbasetemp() / "curated-1-worker.stderr").read_text()
    lines = PROGRESS.findall(stderr)
    assert lines, stderr[-2000:]
    read, kept = (int(x.replace(",", "")) for x in lines[-1])
    assert (read, kept) == (report["records_in"], report["kept"])


def test_progress_tracker_throttles_and_flushes():
    out = io.StringIO()
    tracker = ProgressTracker(every_s=3600, stream=out)
    for _ in range(1000):
        tracker.add(read=1)
    tracker.add(kept=250)
    assert out.getvalue() == ""  # nothing before the interval
    tracker.flush()
    tracker.flush()  # unchanged counts: no second line
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("progress: 1,000 records read, 250 kept (25.0%), ")
    eager = ProgressTracker(every_s=0, stream=out)
    eager.add(read=2)
    assert out.getvalue().splitlines()[-1].startswith("progress: 2 records read, 0 kept")


def test_funnel_chart_refuses_an_empty_funnel():
    with pytest.raises(ValueError, match="no funnel"):
        funnel_png({"funnel": [], "records_in": 0, "kept": 0})


def test_progress_taps_only_local_runs_and_tags_worker_processes():
    from apache_beam.options.pipeline_options import PipelineOptions

    from pipelines.progress import Progress

    assert Progress(PipelineOptions([])).enabled
    assert Progress(PipelineOptions(["--runner", "FnApiRunner"])).enabled
    assert not Progress(PipelineOptions(["--runner", "DataflowRunner"])).enabled
    assert not Progress(PipelineOptions([]), every_s=0).enabled
    assert not Progress(PipelineOptions(["--direct_num_workers", "2"])).per_worker
    assert Progress(PipelineOptions(["--direct_num_workers", "2", "--direct_running_mode",
                                     "multi_processing"])).per_worker

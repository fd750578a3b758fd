"""Every ``curate`` run writes report.md + funnel.svg beside report.json, and shows its progress."""
from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import pytest

from pipelines.funnel_chart import SVG_BARS, funnel_png, funnel_svg
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
    assert "(balanced)" in md and "![funnel](funnel.svg)" in md
    assert report["versions"]["apache-beam"].startswith("2.77")


def test_curate_writes_the_funnel_chart(corpus):
    report = load_report(corpus)
    svg = (corpus / "funnel.svg").read_bytes()
    assert svg == funnel_svg(report)  # same report, same bytes
    assert not (corpus / "funnel.png").exists()  # the PNG is the release's (matplotlib: 0.5 CPU s to import)
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    bars = {kind: [r for r in root.iter(f"{ns}rect") if r.get("class") == kind] for kind in ("kept", "dropped")}
    funnel = report["funnel"]
    assert len(bars["kept"]) == len(bars["dropped"]) == len(funnel)
    widest = max(e["kept"] + sum(e["dropped"].values()) for e in funnel)
    for entry, kept, dropped in zip(funnel, bars["kept"], bars["dropped"]):
        # each bar is its count on one scale, and the dropped part starts where the kept part ends
        assert float(kept.get("width")) == pytest.approx(SVG_BARS * entry["kept"] / widest, abs=0.01)
        assert float(dropped.get("width")) == pytest.approx(SVG_BARS * sum(entry["dropped"].values()) / widest, abs=0.01)
        assert float(dropped.get("x")) == pytest.approx(float(kept.get("x")) + float(kept.get("width")), abs=0.01)
    labels = [t.text for t in root.iter(f"{ns}text")]
    assert [e["step"] for e in funnel] == [t for t in labels if t in {e["step"] for e in funnel}]
    assert f"{report['records_in']:,} in, {report['kept']:,} kept" in labels[0]


def test_funnel_svg_escapes_names_and_grows_with_the_steps():
    funnel = [{"step": "read", "in": 10, "kept": 6, "dropped": {"a<b&c": 4}},
              {"step": "x<y", "in": 6, "kept": 6, "dropped": {}}]
    svg = funnel_svg({"funnel": funnel, "records_in": 10, "kept": 6}, title="A & B")
    root = ET.fromstring(svg)  # well-formed although names hold < and &
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert texts[0].startswith("A & B: 10 in") and "x<y" in texts and "6 kept / 4 dropped: a<b&c 4" in texts
    one = funnel_svg({"funnel": funnel[:1], "records_in": 10, "kept": 6})
    assert int(root.get("height")) > int(ET.fromstring(one).get("height"))


def test_release_funnel_png_draws_both_colours(corpus):
    from matplotlib.image import imread

    report = load_report(corpus)
    png = funnel_png(report)
    assert png == funnel_png(report)
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
    for draw in (funnel_png, funnel_svg):
        with pytest.raises(ValueError, match="no funnel"):
            draw({"funnel": [], "records_in": 0, "kept": 0})


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

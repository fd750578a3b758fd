"""Drop samples on a real Common Crawl excerpt: per step and reason, exact domain counts and the
smallest-id snippets, whatever the input order; and their section in report.md."""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import apache_beam as beam
import pytest

from pipelines.config import load_config
from pipelines.report_markdown import report_markdown
from tests.conftest import beam_test_pipeline
from transforms.apply import ApplyStep
from transforms.drop_samples import SNIPPET_CHARS, SampleDrops, domain_of, read_drop_samples
from transforms.extract import Extract
from transforms.heuristics.heuristics_step import Heuristics
from transforms.keep_or_drop import Drop
from transforms.read_warc import read_warc

WARC = Path(__file__).resolve().parents[2] / "sample" / "cc-excerpt-resiliparse.warc.gz"


@pytest.fixture(scope="module")
def pages():
    with open(WARC, "rb") as f:
        return [v for v in read_warc(f, str(WARC), 10 ** 8) if not isinstance(v, Drop)]


def heuristics():
    section = dict(load_config()["heuristics"])
    section.pop("enabled")
    return Heuristics(**section)


def run(pages, output):
    with beam_test_pipeline() as p:
        docs = p | beam.Create(pages)
        extracted = docs | "Extract" >> ApplyStep(Extract())
        filtered = extracted["kept"] | "Heuristics" >> ApplyStep(heuristics())
        ((extracted["rejected"], filtered["rejected"]) | beam.Flatten()) | SampleDrops(output)
    return read_drop_samples(output)


def expected(pages):
    """The same figures computed directly, step by step."""
    extract, rules = Extract(), heuristics()
    extract.setup()
    rules.setup()
    rules.bind_counter(lambda name, n=1: None)  # its lines_removed counts are not looked at here
    drops = defaultdict(list)
    for doc in pages:
        extracted = extract.process(doc)
        if isinstance(extracted, Drop):
            drops[("extract", extracted.reason)].append(doc)
            continue
        verdict = rules.process(extracted)
        if isinstance(verdict, Drop):
            drops[("heuristics", verdict.reason)].append(extracted)
    return drops


@pytest.fixture(scope="module")
def output_a(pages, tmp_path_factory):
    out = tmp_path_factory.mktemp("drops") / "a"
    run(pages, str(out))
    return out


def test_counts_domains_and_smallest_ids(pages, output_a):
    samples = read_drop_samples(str(output_a))
    drops = expected(pages)
    assert {(e["step"], e["reason"]) for e in samples} == set(drops) and len(drops) >= 3
    for e in samples:
        docs = drops[(e["step"], e["reason"])]
        counts = Counter(domain_of(d) for d in docs)
        assert e["dropped"] == len(docs) and e["domains"] == len(counts)
        assert e["top_domains"] == [[d, n] for d, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:5]]
        smallest = sorted(docs, key=lambda d: d.id)[:3]
        assert [x["id"] for x in e["examples"]] == [d.id for d in smallest]
        for x, d in zip(e["examples"], smallest):
            assert x["url"] == d.url and x["text"] == " ".join(d.text[:SNIPPET_CHARS].split())


def test_same_file_whatever_the_order(pages, output_a, tmp_path):
    run(list(reversed(pages)), str(tmp_path / "b"))
    a, b = ((out / "drop_samples.json").read_bytes() for out in (output_a, tmp_path / "b"))
    assert a == b and json.loads(a)


def test_no_drops_write_no_file(pages, tmp_path):
    """Only kept documents (the pages Extract keeps, run through again): nothing to sample."""
    extract = Extract()
    extract.setup()
    kept = [d for d in (extract.process(p) for p in pages) if not isinstance(d, Drop)]
    out = tmp_path / "none"
    with beam_test_pipeline() as p:
        _ = (p | beam.Create(kept) | "Extract" >> ApplyStep(Extract()))["rejected"] | SampleDrops(str(out))
    assert not (out / "drop_samples.json").exists() and read_drop_samples(str(out)) == []


def test_report_markdown_section(output_a):
    samples = read_drop_samples(str(output_a))
    funnel = [{"step": s, "in": 0, "kept": 0, "dropped": {}} for s in ("read", "extract", "heuristics")]
    report = {"records_in": 0, "kept": 0, "dropped": {}, "balanced": True, "kept_per_language": {},
              "funnel": funnel, "drop_samples": samples}
    md = report_markdown(report, chart=None)
    assert "## What each reason dropped" in md
    first = samples[0]["examples"][0]
    assert first["url"] in md
    heuristics_drop = next(e for e in samples if e["step"] == "heuristics")
    assert f"### `heuristics` / `{heuristics_drop['reason']}`" in md
    assert "<" not in md.split("## What each reason dropped")[1].replace("\\<", "")


def test_curate_samples_every_reason_without_write_rejected(tmp_path):
    # The per-file steps keep slim rows of their drops in the work files, so the sample covers
    # every reason of the run even when no rejects table is written.
    import subprocess
    import sys

    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "pipelines.cli", "curate", "--input", str(WARC), "--output",
                           str(out)], cwd=WARC.parents[1], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads((out / "report.json").read_text())
    samples = read_drop_samples(str(out))
    by_reason = Counter()
    for e in samples:
        by_reason[e["reason"]] += e["dropped"]
        assert len(e["examples"]) == min(3, e["dropped"])
    assert dict(by_reason) == report["dropped"] and not (out / "rejected").exists()
    md = (out / "report.md").read_text()
    assert "## What each reason dropped" in md and "### `heuristics` / `zh_few_sentence_lines`" in md

"""Small real test sets for the dedup tests: documents from ../shared/data/eval, with controlled
edits (every k-th word or character replaced) to make near copies."""
from __future__ import annotations

import datetime as dt
import glob
import json
import os
import tempfile
from pathlib import Path

import apache_beam as beam
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.test_pipeline import TestPipeline
from transforms.document import Document

EN = "eval/en_domains/en_tech_python_peps_2023plus.jsonl"
ZH = "eval/zh_domains/zh_government_laws_2023plus.jsonl"


def texts(shared_data: Path, rel: str, n: int, min_chars: int = 2000, max_chars: int = 6000) -> list[str]:
    """The first ``n`` texts of at least ``min_chars`` characters, cut to ``max_chars``."""
    out = []
    with open(shared_data / rel, encoding="utf-8") as f:
        for line in f:
            text = json.loads(line)["text"]
            if len(text) >= min_chars:
                out.append(text[:max_chars])
            if len(out) == n:
                break
    assert len(out) == n, f"{rel}: only {len(out)} texts of {min_chars}+ characters"
    return out


def edit_words(text: str, every: int) -> str:
    """Replace every ``every``-th word with a marker word (a controlled near copy)."""
    words = text.split(" ")
    return " ".join("edited" if i % every == every // 2 else w for i, w in enumerate(words))


def edit_chars(text: str, every: int) -> str:
    """Replace every ``every``-th character with one CJK character (Chinese near copy)."""
    return "".join("改" if i % every == every // 2 and not c.isspace() else c for i, c in enumerate(text))


def doc(doc_id: str, text: str, url: str | None = None, date: str | None = None, lang: str | None = None,
        **extra) -> Document:
    warc_date = dt.datetime.fromisoformat(date).replace(tzinfo=dt.timezone.utc) if date else None
    return Document(id=doc_id, text=text, url=url, warc_date=warc_date, lang=lang, extra=dict(extra))


def run_step(transform: beam.PTransform, docs: list[Document], options: list[str] | None = None):
    """Runs ``transform`` over ``docs`` on the Python runner (``options``: extra Beam flags such as
    ``--direct_num_workers=2``). Returns ``(kept, dropped, counters, dropped_extra)``: kept
    documents' ``(text, extra)`` by id, drop reasons by id, ``{(namespace, name): value}`` of the
    counters, and dropped documents' ``extra`` by id. Outputs
    go through files so that worker processes can write them."""
    with tempfile.TemporaryDirectory() as tmp:
        p = TestPipeline(runner="FnApiRunner", options=PipelineOptions(options or []))
        out = p | "Docs" >> beam.Create(docs) | "Step" >> transform
        _ = (out["kept"] | "KeptJson" >> beam.Map(lambda d: json.dumps([d.id, d.text, d.extra]))
             | "WriteKept" >> beam.io.WriteToText(os.path.join(tmp, "kept")))
        _ = (out["rejected"] | "RejectedJson" >> beam.Map(lambda r: json.dumps([r.doc.id, r.reason, r.doc.extra]))
             | "WriteRejected" >> beam.io.WriteToText(os.path.join(tmp, "rejected")))
        result = p.run()
        result.wait_until_finish()
        kept, dropped, dropped_extra = {}, {}, {}
        for path in glob.glob(os.path.join(tmp, "kept*")):
            for line in open(path, encoding="utf-8"):
                doc_id, text, extra = json.loads(line)
                assert doc_id not in kept, f"{doc_id} kept twice"
                kept[doc_id] = (text, extra)
        for path in glob.glob(os.path.join(tmp, "rejected*")):
            for line in open(path, encoding="utf-8"):
                doc_id, dropped[doc_id], dropped_extra[doc_id] = json.loads(line)
    counters = {}
    for c in result.metrics().query(MetricsFilter())["counters"]:
        key = (c.key.metric.namespace, c.key.metric.name)
        counters[key] = counters.get(key, 0) + int(c.committed if c.committed is not None else c.attempted)
    return kept, dropped, counters, dropped_extra

"""Document: a frozen value, its Parquet row both ways, and one element fed to two branches."""
from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import apache_beam as beam
import pyarrow as pa
import pytest
from apache_beam.testing.util import assert_that, equal_to

from tests.conftest import beam_test_pipeline
from transforms.apply import ApplyStep
from transforms.document import Document, from_row, parquet_schema, stable_id, to_row
from transforms.extract import Extract
from transforms.keep_or_drop import Drop
from transforms.read_warc import read_warc

WARC = Path(__file__).resolve().parents[2] / "sample" / "cc-excerpt-resiliparse.warc.gz"


@pytest.fixture(scope="module")
def pages():
    with open(WARC, "rb") as f:
        return [v for v in read_warc(f, str(WARC), 10 ** 8) if not isinstance(v, Drop)][:12]


def test_frozen_and_replace_leaves_the_original():
    doc = Document(id="a", text="x", extra={"score": 1.0})
    with pytest.raises(dataclasses.FrozenInstanceError):
        doc.text = "y"
    changed = dataclasses.replace(doc, text="y", extra={**doc.extra, "other": 2})
    assert (doc.text, doc.extra) == ("x", {"score": 1.0})
    assert (changed.text, changed.extra) == ("y", {"score": 1.0, "other": 2})


def test_row_round_trip_with_step_columns():
    date = dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.timezone.utc)
    doc = Document(id=stable_id("f.warc.gz", "<urn:1>"), text="正文", url="https://a.cn/x", domain="a.cn",
                   lang="zh", lang_score=0.9, warc_date=date, extra={"quality": 0.5})
    schema = parquet_schema({"quality": pa.float32(), "absent": pa.int32()})
    row = to_row(doc, schema)
    assert list(row) == schema.names and row["absent"] is None
    table = pa.Table.from_pylist([row], schema=schema)  # the row fits the schema
    back = from_row(table.to_pylist()[0])
    assert back.id == doc.id and back.text == "正文" and back.warc_date == date
    assert back.extra == {"quality": 0.5, "absent": None}
    # A naive date is read as UTC; a missing text is written as "".
    naive = to_row(Document(id="b", text=None, warc_date=date.replace(tzinfo=None)), schema)
    assert naive["warc_date"] == date and naive["text"] == ""


def test_stable_id_depends_on_identity_only():
    assert stable_id("f", "r") == stable_id("f", "r") != stable_id("f", "s")
    assert len(stable_id("f", "r")) == 32


def test_one_element_two_branches(pages):
    """Beam passes one element to every consumer of a PCollection (fused, the same object): the
    extract branch must not change what the other branch sees."""
    raw = [(d.id, len(d.html), d.text) for d in pages]
    extracted = {}
    extract = Extract()
    extract.setup()
    for d in pages:
        verdict = extract.process(d)
        if not isinstance(verdict, Drop):
            extracted[d.id] = verdict.text
    assert extracted and all(d.html is not None and d.text == "" for d in pages)
    with beam_test_pipeline() as p:
        # After Create every consumer gets its own decoded copy; behind a fused Map both branches
        # receive the very same object (a step editing its input in place fails this test).
        docs = p | beam.Create(pages) | "Fused" >> beam.Map(lambda d: d)
        kept = (docs | "Extract" >> ApplyStep(Extract()))["kept"]
        assert_that(kept | "ExtractedText" >> beam.Map(lambda d: (d.id, d.text, d.html)),
                    equal_to([(i, t, None) for i, t in extracted.items()]), label="ExtractBranch")
        assert_that(docs | "RawPayload" >> beam.Map(lambda d: (d.id, len(d.html), d.text)),
                    equal_to(raw), label="RawBranch")

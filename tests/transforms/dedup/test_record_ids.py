"""record_dedup: one document per id; identical copies dropped, different ones kept under their own id."""
from __future__ import annotations

import json

import apache_beam as beam
from apache_beam.testing.util import assert_that, equal_to

from tests.conftest import beam_test_pipeline, step_counters
from transforms.dedup.record_ids import DropRepeatedIds
from transforms.document import Document, stable_id


def test_repeated_ids(shared_data):
    peps = (shared_data / "eval/en_domains/en_tech_python_peps_2023plus.jsonl").read_text(encoding="utf-8")
    a, b, c = (json.loads(line)["text"] for line in peps.splitlines()[:3])
    docs = [Document(id="x", text=a, url="http://a/"), Document(id="x", text=a, url="http://a/"),  # a record read twice
            Document(id="x", text=a, url="http://a/"),
            Document(id="y", text=b, url="http://b/"), Document(id="y", text=c, url="http://c/"),  # one id, two pages
            Document(id="z", text=c, url="http://z/")]
    p = beam_test_pipeline()
    out = p | beam.Create(docs) | DropRepeatedIds()
    first_y = min([(b, "http://b/"), (c, "http://c/")])
    renamed = stable_id("y", *max([(b, "http://b/"), (c, "http://c/")]))
    assert_that(out["kept"] | "KeptIds" >> beam.Map(lambda d: d.id), equal_to(["x", "y", renamed, "z"]), label="kept")
    assert_that(out["kept"] | "KeptY" >> beam.Filter(lambda d: d.id == "y") | beam.Map(lambda d: (d.text, d.url)),
                equal_to([first_y]), label="smallest_keeps_the_id")
    assert_that(out["rejected"] | beam.Map(lambda r: (r.doc.id, r.step, r.reason)),
                equal_to([("x", "record_dedup", "read_duplicate_record")] * 2), label="rejected")
    result = p.run()
    result.wait_until_finish()
    assert step_counters(result, "record_dedup") == {"kept": 4, "dropped:read_duplicate_record": 2,
                                                     "distinct_documents_renamed": 1}

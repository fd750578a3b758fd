"""ApplyStep: the one DoFn that counts kept/dropped per step and routes drops, per document or batched."""
from __future__ import annotations

import apache_beam as beam
import pyarrow as pa
import pytest
from apache_beam.testing.util import assert_that, equal_to

from tests.conftest import beam_test_pipeline, step_counters
from transforms.apply import ApplyStep
from transforms.document import Document
from transforms.langid import LangId


def _docs(shared_data):
    zh = sorted((shared_data / "html/zh_content_extraction").iterdir())[:3]
    docs = [Document(id=f"zh{i}", text=(p / "cleaned.txt").read_text(encoding="utf-8")) for i, p in enumerate(zh)]
    docs.append(Document(id="de", text="Das Liefergeschäft mit Hotels, das die Hälfte des Umsatzes ausmachte, "
                                       "ist weggebrochen. Jetzt verkauft die Firma Desinfektionsmittel."))
    docs.append(Document(id="digits", text="1234 5678 9012 3456 7890"))
    return docs


@pytest.mark.parametrize("batch_size", [None, 2])
def test_counts_and_routes_every_document(shared_data, batch_size):
    step = LangId({"zh": 0.5, "en": 0.65})
    p = beam_test_pipeline()
    out = p | beam.Create(_docs(shared_data)) | ApplyStep(step, batch_size=batch_size)
    assert_that(out["kept"] | beam.Map(lambda d: (d.id, d.lang)),
                equal_to([("zh0", "zh"), ("zh1", "zh"), ("zh2", "zh")]), label="Kept")
    assert_that(out["rejected"] | "Why" >> beam.Map(lambda r: (r.step, r.doc.id, r.reason)),
                equal_to([("langid", "de", "langid_other_language"),
                          ("langid", "digits", "langid_low_score")]), label="Rejected")
    result = p.run()
    result.wait_until_finish()
    counters = step_counters(result, "langid")
    assert counters == {"kept": 3, "dropped:langid_other_language": 1, "dropped:langid_low_score": 1}


def test_columns_come_from_the_step():
    class Scored(LangId):
        columns = {"lang_margin": pa.float32()}

    assert list(ApplyStep(Scored({"zh": 0.5})).columns) == ["lang_margin"]
    assert ApplyStep(LangId({"zh": 0.5})).columns == {}

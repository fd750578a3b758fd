"""The one JSONL reader: records and texts of the real GSM8K test set, bad lines named by path:line."""
import pytest

from transforms.jsonl import read_jsonl, read_jsonl_texts
from transforms.paths import resolve_path

GSM8K = "pkg://pipelines/data/gsm8k/test.jsonl"


def test_records_and_joined_texts_of_the_shipped_gsm8k():
    path = resolve_path(GSM8K)
    records = read_jsonl(path)
    texts = read_jsonl_texts(path, ["question", "answer"])
    with open(path, encoding="utf-8") as f:
        lines = [line for line in f if line.strip()]
    assert len(records) == len(texts) == len(lines) > 500
    assert texts[0] == records[0]["question"] + " " + records[0]["answer"]


def test_bad_lines_and_missing_fields_name_the_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "a"}\n\n{"title": "b"}\n{not json\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.jsonl:4: "):
        read_jsonl(str(path))
    with pytest.raises(ValueError, match=r"bad\.jsonl:3: .*no field\(s\) \['text'\]"):
        read_jsonl_texts(str(path))

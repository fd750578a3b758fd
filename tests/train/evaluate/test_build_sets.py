"""``skypile eval build-sets``: date cutoff and n-gram overlap removal (en words, zh characters)."""
from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from train.eval_cli import main
from train.evaluate.build_sets import Benchmark
from transforms.document import Document, parquet_schema, to_row
from transforms.jsonl import read_jsonl_texts
from transforms.ngrams import iter_ngram_hashes

UTC = dt.timezone.utc


def write_shard(path, docs):
    path.parent.mkdir(parents=True, exist_ok=True)
    schema = parquet_schema()
    pq.write_table(pa.Table.from_pylist([to_row(d, schema) for d in docs], schema=schema), path)


@pytest.fixture(scope="module")
def texts(shared_data):
    ev = shared_data / "eval"
    return {
        "en": read_jsonl_texts(str(ev / "en_domains" / "en_tech_python_peps_2023plus.jsonl")),
        "fomc": read_jsonl_texts(str(ev / "en_domains" / "en_finance_fomc_minutes_2022_2023.jsonl")),
        "zh": read_jsonl_texts(str(ev / "zh_domains" / "zh_tech_docs.jsonl")),
        "gsm8k": read_jsonl_texts(str(ev / "gsm8k" / "test.jsonl"), ["question", "answer"]),
    }


def test_build_sets_cutoff_and_overlaps(tmp_path, texts, shared_data, capsys):
    en, zh = texts["en"], texts["zh"]
    # Training text from other documents than the candidates (FOMC minutes share boilerplate
    # paragraphs from meeting to meeting, so they would overlap each other).
    train_en, train_zh = texts["fomc"][0][:3000], zh[0][:2000]
    zh_run = next(train_zh[i:i + 13] for i in range(len(train_zh))
                  if all("\u4e00" <= c <= "\u9fff" for c in train_zh[i:i + 13]))
    new = dt.datetime(2024, 7, 1, 12, tzinfo=UTC)
    docs = [
        Document(id="old", text=en[1][:500], lang="en", warc_date=dt.datetime(2024, 1, 1, tzinfo=UTC)),
        Document(id="cutoff_day", text=en[2][:500], lang="en", warc_date=dt.datetime(2024, 6, 1, 23, 59, tzinfo=UTC)),
        Document(id="first_day_after", text=en[3][:500], lang="en", warc_date=dt.datetime(2024, 6, 2, 0, 1, tzinfo=UTC)),
        Document(id="undated", text=en[4][:500], lang="en"),
        Document(id="en_new", text=en[5][:500], lang="en", warc_date=new),
        Document(id="zh_new", text=zh[1][:500], lang="zh", warc_date=new),
        # 13 words of a training document, re-punctuated: overlap.
        Document(id="en_leak", text="Quote: " + " ".join(train_en.split()[100:113]).upper() + "!", lang="en", warc_date=new),
        # 12 words only: kept.
        Document(id="en_near", text="Quote: " + " ".join(train_en.split()[100:112]) + " zebra", lang="en", warc_date=new),
        Document(id="zh_leak", text="引用：" + zh_run + "。", lang="zh", warc_date=new),
        Document(id="zh_near", text="引用：" + zh_run[:12] + "。", lang="zh", warc_date=new),
        Document(id="bench_leak", text="Homework help: " + texts["gsm8k"][5], lang="en", warc_date=new),
    ]
    write_shard(tmp_path / "corpus" / "data" / "en" / "train-00000-of-00001.parquet",
                [d for d in docs if d.lang == "en"])
    write_shard(tmp_path / "corpus" / "data" / "zh" / "train-00000-of-00001.parquet",
                [d for d in docs if d.lang == "zh"])
    write_shard(tmp_path / "train" / "t.parquet",
                [Document(id="t1", text=train_en, lang="en"), Document(id="t2", text=train_zh, lang="zh")])
    out = tmp_path / "sets"
    gsm = shared_data / "eval" / "gsm8k" / "test.jsonl"
    rc = main(["build-sets", "--corpus", str(tmp_path / "corpus"), "--after", "2024-06-01",
               "--train-shards", str(tmp_path / "train" / "*.parquet"), "--out", str(out),
               "--benchmark", f"gsm8k={gsm}:question,answer"])
    assert rc == 0
    report = json.loads((out / "report.json").read_text())
    assert report["kept"] == {"en": 3, "zh": 2}
    assert report["removed"] == {"before_cutoff": 2, "no_date": 1, "overlap:train": 2, "overlap:gsm8k": 1}
    assert report["docs_in"] == len(docs)
    # every training n-gram streamed past the candidates once (none held)
    assert report["train_ngrams_scanned"] == len(iter_ngram_hashes(train_en)) + len(iter_ngram_hashes(train_zh))
    kept_en = [json.loads(l)["id"] for l in open(out / "en.jsonl")]
    kept_zh = [json.loads(l)["id"] for l in open(out / "zh.jsonl")]
    assert kept_en == ["en_near", "en_new", "first_day_after"] and kept_zh == ["zh_near", "zh_new"]
    removed = {json.loads(l)["id"]: json.loads(l)["reason"] for l in open(out / "removed.jsonl")}
    assert removed == {"old": "before_cutoff", "cutoff_day": "before_cutoff", "undated": "no_date",
                       "en_leak": "overlap:train", "zh_leak": "overlap:train", "bench_leak": "overlap:gsm8k"}
    # The sets are ready for `skypile eval loss --domains OUT`.
    assert all("text" in json.loads(l) for l in open(out / "en.jsonl"))


def test_bad_cutoff_date_is_clear_error(tmp_path, capsys):
    rc = main(["build-sets", "--corpus", str(tmp_path), "--after", "June 2024", "--train-shards",
               str(tmp_path / "*.parquet"), "--out", str(tmp_path / "o")])
    assert rc == 2
    assert "expected a date YYYY-MM-DD" in capsys.readouterr().err


def test_benchmark_spec():
    assert Benchmark.parse("gsm8k=/x/test.jsonl:question,answer") == Benchmark("gsm8k", "/x/test.jsonl",
                                                                               ("question", "answer"))
    assert Benchmark.parse("b=/x/t.jsonl").fields == ("text",)
    with pytest.raises(ValueError):
        Benchmark.parse("nope")

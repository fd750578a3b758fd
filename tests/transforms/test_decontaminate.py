"""The ``decontaminate`` step: n-gram overlap with benchmark test sets, zh and en, in Beam too."""
from __future__ import annotations

import json

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from pipelines.config import ConfigError, load_config
from pipelines.step_registry import BUILDERS
from tests.conftest import beam_test_pipeline, step_counters
from transforms.apply import ApplyStep
from transforms.decontaminate import Decontaminate
from transforms.document import Document
from transforms.jsonl import read_jsonl_texts
from transforms.keep_or_drop import Drop
from transforms.ngrams import units
from transforms.paths import resolve_path


@pytest.fixture(scope="module")
def gsm8k_test(shared_data):
    return str(shared_data / "eval" / "gsm8k" / "test.jsonl")


@pytest.fixture(scope="module")
def zh_bench(tmp_path_factory, shared_data):
    """A Chinese 'benchmark' of two real law paragraphs (a temporary file, never in the project)."""
    texts = read_jsonl_texts(str(shared_data / "eval" / "zh_domains" / "zh_finance_laws_regulations.jsonl"))
    path = tmp_path_factory.mktemp("bench") / "zh_bench.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for t in texts[:2]:
            f.write(json.dumps({"text": t[200:400]}, ensure_ascii=False) + "\n")
    return str(path), texts[0][200:400]


def step_for(gsm8k_test, zh_bench=None):
    benches = [{"name": "gsm8k", "path": gsm8k_test, "fields": ["question", "answer"]}]
    if zh_bench:
        benches.append({"name": "zh_law", "path": zh_bench})
    step = Decontaminate(benches)
    step.setup()
    return step


def test_units_split_words_and_cjk_chars():
    assert units("Hello, World! 你好，世界 x_2") == ["hello", "world", "你", "好", "世", "界", "x", "2"]


def test_english_overlap_dropped_despite_formatting(gsm8k_test):
    question = json.loads(open(gsm8k_test).readline())["question"]  # "Josh decides to try flipping a house. ..."
    words = question.split()
    step = step_for(gsm8k_test)
    # Case, punctuation and line breaks differ: still the same 13 words in a row.
    leaked = "Forum post.\n" + " ".join(words[:13]).upper().replace(".", ";") + " -- thanks!"
    verdict = step.process(Document(id="a", text=leaked))
    assert verdict == Drop("contamination:gsm8k")
    # 12 shared words are not enough.
    near = "Forum post. " + " ".join(words[:12]) + " zebra quantum"
    assert step.process(Document(id="b", text=near)).id == "b"
    assert step.process(Document(id="c", text="")).id == "c"


def test_chinese_character_ngrams(gsm8k_test, zh_bench):
    path, paragraph = zh_bench
    step = step_for(gsm8k_test, path)
    # Find 13 consecutive CJK characters of the paragraph (no punctuation between them).
    run = next(paragraph[i:i + 13] for i in range(len(paragraph) - 13)
               if all("\u4e00" <= c <= "\u9fff" for c in paragraph[i:i + 13]))
    assert step.process(Document(id="z1", text="新闻报道：" + run + "。以上。")) == Drop("contamination:zh_law")
    assert step.process(Document(id="z2", text="新闻报道：" + run[:12] + "。以上。")).id == "z2"


def test_min_matching_ngrams(gsm8k_test):
    words = units(json.loads(open(gsm8k_test).readline())["question"])
    step = Decontaminate([{"name": "gsm8k", "path": gsm8k_test, "fields": ["question", "answer"]}],
                         min_matching_ngrams=3)
    step.setup()
    assert step.process(Document(id="a", text=" ".join(words[:14]))).id == "a"  # 2 distinct 13-grams
    assert step.process(Document(id="b", text=" ".join(words[:15]))) == Drop("contamination:gsm8k")


def test_step_in_beam_counts_drops(gsm8k_test):
    question = json.loads(open(gsm8k_test).readline())["question"]
    docs = [Document(id="leak1", text="Copied: " + question),
            Document(id="clean", text="Apache Beam is a unified model for batch and streaming data processing."),
            Document(id="leak2", text=question.lower())]
    p = beam_test_pipeline()
    out = (p | beam.Create(docs)
           | "Decontaminate" >> ApplyStep(Decontaminate([{"name": "gsm8k", "path": gsm8k_test,
                                                           "fields": ["question", "answer"]}])))
    assert_that(out["kept"] | "KeptIds" >> beam.Map(lambda d: d.id), equal_to(["clean"]), label="Kept")
    assert_that(out["rejected"] | "Reasons" >> beam.Map(lambda r: (r.doc.id, r.reason)),
                equal_to([("leak1", "contamination:gsm8k"), ("leak2", "contamination:gsm8k")]), label="Rejected")
    result = p.run()
    result.wait_until_finish()
    counters = step_counters(result, "decontaminate")
    assert counters == {"kept": 1, "dropped:contamination:gsm8k": 2}


def test_default_benchmark_is_the_shipped_copy_of_gsm8k_test(shared_data, monkeypatch):
    monkeypatch.setenv("SKYPILE_SHARED_DATA", "/elsewhere")
    section = load_config()["decontaminate"]
    path = resolve_path(section["benchmarks"][0]["path"])
    assert "/elsewhere" not in path and path.endswith("pipelines/data/gsm8k/test.jsonl")
    assert open(path, "rb").read() == (shared_data / "eval" / "gsm8k" / "test.jsonl").read_bytes()
    # ${SKYPILE_SHARED_DATA} stays as an override for paths that name it.
    assert resolve_path("${SKYPILE_SHARED_DATA}/eval/x.jsonl") == "/elsewhere/eval/x.jsonl"
    # unset, it is an error: never the checkout's parent folder
    monkeypatch.delenv("SKYPILE_SHARED_DATA")
    with pytest.raises(FileNotFoundError, match="SKYPILE_SHARED_DATA is not set"):
        resolve_path("${SKYPILE_SHARED_DATA}/eval/gsm8k/test.jsonl")


def test_missing_benchmark_fails_before_launch(tmp_path, capsys):
    cfg = {"n": 13, "min_matching_ngrams": 1,
           "benchmarks": [{"name": "gsm8k", "path": str(tmp_path / "nope.jsonl")}]}
    with pytest.raises(ConfigError, match="benchmark 'gsm8k' file not found"):
        BUILDERS["decontaminate"](cfg)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"q": "no question field"}) + "\n")
    cfg["benchmarks"] = [{"name": "gsm8k", "path": str(bad), "fields": ["question", "answer"]}]
    with pytest.raises(ConfigError, match=r"bad.jsonl:1: .*no field"):
        BUILDERS["decontaminate"](cfg)
    from pipelines.curate import main

    config = tmp_path / "c.yaml"
    config.write_text(f"decontaminate:\n  benchmarks:\n    - {{name: gsm8k, path: {tmp_path / 'nope.jsonl'}}}\n")
    warc = tmp_path / "in.jsonl"
    warc.write_text(json.dumps({"text": "hello"}) + "\n")
    rc = main(["--input", str(warc), "--output", str(tmp_path / "out"), "--config", str(config)])
    assert rc == 2
    assert "--disable decontaminate" in capsys.readouterr().err
    assert not (tmp_path / "out" / "report.json").exists()


def test_copies_in_one_process_share_tables(gsm8k_test):
    """Beam unpickles one step copy per DoFn instance: they must share one n-gram table."""
    import pickle

    step = Decontaminate([{"name": "gsm8k", "path": gsm8k_test, "fields": ["question", "answer"]}])
    a, b = pickle.loads(pickle.dumps(step)), pickle.loads(pickle.dumps(step))
    a.setup()
    b.setup()
    assert a._tables is b._tables and len(a._tables["gsm8k"]) > 50_000
    assert pickle.loads(pickle.dumps(a))._tables is None  # loaded tables never get pickled

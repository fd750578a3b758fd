"""The score step in Beam: scores equal the classifiers' own, exact counters, one model load per
worker process, the same scores with one and two workers, BERT through RunInference, and
pre-launch failures for missing or corrupt models."""
from __future__ import annotations

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline
from apache_beam.testing.util import assert_that, equal_to

from classifiers.bert_model import BertClassifier
from classifiers.fasttext_model import FastTextClassifier
from classifiers.lexicon import LexiconClassifier
from pipelines.config import ConfigError
from pipelines.step_registry import BUILDERS
from tests.classifiers.fixtures import fasttext_model, lexicon_paths, surge_split, tiny_bert  # noqa: F401
from tests.conftest import beam_test_pipeline, step_counters
from transforms.document import Document
from transforms.score import ScoreDocuments
from transforms.score_options import apply_score_options


@pytest.fixture(scope="module")
def docs(surge_split):
    _, valid = surge_split
    en = [Document(id=f"en{i}", text=t, lang="en") for i, t in enumerate(valid.texts[:12])]
    zh = [Document(id="zh0", text="这是一个色情网站，不要点开", lang="zh"),
          Document(id="zh1", text="今天天气很好，我们去公园散步。", lang="zh")]
    edge = [Document(id="empty", text="", lang="en"), Document(id="huge", text="you idiot " * 30_000, lang="en")]
    return en + zh + edge


def scorers(ft_path, shared_data, **extra):
    return [{"name": "lexicon", "task": "toxicity", "kind": "lexicon", "path": lexicon_paths(shared_data)},
            {"name": "ft", "task": "toxicity", "kind": "fasttext", "path": ft_path, "languages": ["en"],
             "max_chars": 5000}, *extra.get("more", [])]


def expected_scores(docs, ft_path, shared_data):
    lx = LexiconClassifier(lexicon_paths(shared_data), max_chars=20_000).load().predict([d.text for d in docs])
    ft = FastTextClassifier(ft_path, max_chars=5000).load()
    out = []
    for d, lex in zip(docs, lx):
        score = float(ft.predict([d.text])[0]) if d.lang == "en" else None
        out.append((d.id, score, float(lex)))
    return out


def run_scoring(p, docs, transform):
    out = p | beam.Create(docs, reshuffle=False) | transform
    return out["kept"] | beam.Map(lambda d: (d.id, d.extra.get("toxicity_ft"), d.extra.get("toxicity_lexicon")))


def test_scores_equal_direct_predictions_with_exact_counters(docs, fasttext_model, shared_data):
    transform = ScoreDocuments(scorers(fasttext_model, shared_data), batch_size=4)
    assert transform.columns == {"toxicity_lexicon": pa.float32(), "toxicity_ft": pa.float32()}
    p = beam_test_pipeline()
    assert_that(run_scoring(p, docs, transform), equal_to(expected_scores(docs, fasttext_model, shared_data)))
    result = p.run()
    result.wait_until_finish()
    assert step_counters(result, "score") == {"kept": len(docs), "model_loads:toxicity_ft": 1,
                                         "model_loads:toxicity_lexicon": 1}


@pytest.mark.parametrize("mode,max_loads", [("multi_threading", 1), ("multi_processing", 2)])
def test_two_workers_give_the_same_scores_and_load_once_per_process(docs, fasttext_model, shared_data, mode, max_loads):
    options = PipelineOptions(["--direct_num_workers", "2", "--direct_running_mode", mode])
    p = BeamTestPipeline(runner="FnApiRunner", options=options)
    transform = ScoreDocuments(scorers(fasttext_model, shared_data), batch_size=2)
    assert_that(run_scoring(p, docs, transform), equal_to(expected_scores(docs, fasttext_model, shared_data)))
    result = p.run()
    result.wait_until_finish()
    found = step_counters(result, "score")
    assert found["kept"] == len(docs)
    # Threads of one process share the model through Shared: exactly one load with two threads.
    assert 1 <= found["model_loads:toxicity_ft"] <= max_loads


def test_bert_runs_through_run_inference_gated_by_the_lexicon(docs, fasttext_model, tiny_bert, shared_data):
    bert = {"name": "bert", "task": "toxicity", "kind": "bert", "path": tiny_bert, "languages": ["zh"],
            "gate": "toxicity_lexicon", "options": {"max_length": 64}}
    transform = ScoreDocuments(scorers(fasttext_model, shared_data, more=[bert]), batch_size=8)
    assert set(transform.columns) == {"toxicity_lexicon", "toxicity_ft", "toxicity_bert"}
    direct = BertClassifier(tiny_bert, max_length=64).load().predict([d.text for d in docs if d.id == "zh0"])[0]

    def check(rows):
        scores = dict(rows)
        assert set(scores) == {d.id for d in docs}
        # zh0 has a listed word; zh1 has none (gated out); English is outside the model's languages.
        assert {k for k, v in scores.items() if v is not None} == {"zh0"}
        assert np.isclose(scores["zh0"], direct, atol=1e-5)

    p = beam_test_pipeline()
    out = p | beam.Create(docs) | transform
    assert_that(out["kept"] | beam.Map(lambda d: (d.id, d.extra.get("toxicity_bert"))), check)
    result = p.run()
    result.wait_until_finish()
    loads = result.metrics().query(MetricsFilter().with_namespace("score_toxicity_bert")
                                   .with_name("load_model_latency_milli_secs"))["distributions"]
    assert sum(d.committed.count for d in loads) == 1
    assert step_counters(result, "score_toxicity_bert")["num_inferences"] == len(docs)


def test_missing_and_corrupt_models_fail_before_launch(tmp_path, fasttext_model, shared_data):
    missing = scorers(str(tmp_path / "none.bin"), shared_data)
    with pytest.raises(ConfigError, match="fastText model not found"):
        BUILDERS["score"]({"scorers": missing, "batch_size": 8})
    corrupt = tmp_path / "corrupt.bin"
    corrupt.write_bytes(open(fasttext_model, "rb").read()[:5000])
    with pytest.raises(ConfigError, match="truncated fastText model"):
        BUILDERS["score"]({"scorers": scorers(str(corrupt), shared_data), "batch_size": 8})
    with pytest.raises(ConfigError, match="missing or unreadable config.json"):
        BUILDERS["score"]({"scorers": [{"name": "b", "task": "quality", "kind": "bert", "path": str(tmp_path)}]})
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['treshold'\] in score\.scorers"):
        BUILDERS["score"]({"scorers": [{**missing[0], "treshold": 1}]})
    with pytest.raises(ConfigError, match="gate 'toxicity_nope' is not an earlier scorer"):
        BUILDERS["score"]({"scorers": [{**missing[0], "gate": "toxicity_nope"}]})
    with pytest.raises(ConfigError, match="no model path configured"):
        BUILDERS["score"]({"scorers": [{**missing[0], "path": ""}]})


def test_score_model_option_overrides_a_configured_path(fasttext_model):
    config = {"score": {"scorers": [{"name": "ft", "path": "old.bin"}]}}
    options = PipelineOptions(["--score_model", f"ft={fasttext_model}"])
    assert apply_score_options(config, options)["score"]["scorers"][0]["path"] == fasttext_model
    with pytest.raises(ValueError, match="no such scorer"):
        apply_score_options(config, PipelineOptions(["--score_model", "other=x.bin"]))
    with pytest.raises(ValueError, match="expected NAME=PATH"):
        apply_score_options(config, PipelineOptions(["--score_model", "ft"]))


def test_curate_stops_before_launch_on_a_corrupt_model(tmp_path, fasttext_model, shared_data):
    import subprocess
    import sys

    from tests.conftest import ROOT

    corrupt = tmp_path / "corrupt.bin"
    corrupt.write_bytes(open(fasttext_model, "rb").read()[:-10])
    config = tmp_path / "score.yaml"
    config.write_text("score:\n  enabled: true\n  scorers:\n"
                      f"    - {{name: ft, task: quality, kind: fasttext, path: {tmp_path / 'placeholder.bin'}}}\n")
    proc = subprocess.run([sys.executable, "-m", "pipelines.cli", "curate", "--input",
                           str(shared_data / "warc/dolma/sample-0000.warc.gz"), "--output", str(tmp_path / "out"),
                           "--config", str(config), "--score_model", f"ft={corrupt}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert "skypile curate: error: score:" in proc.stderr and "truncated fastText model" in proc.stderr
    assert not (tmp_path / "out" / "report.json").exists()


def test_curate_writes_score_columns_and_drops_with_reasons(tmp_path, fasttext_model, shared_data):
    """The real CLI on a real Common Crawl excerpt (with Chinese spam pages): scores land as float32
    columns, the filter's drops are counted and written as rejects, and the report balances."""
    import json
    import subprocess
    import sys

    import pyarrow.parquet as pq

    from tests.conftest import ROOT

    config = tmp_path / "score.yaml"
    config.write_text(
        "score:\n  enabled: true\n  scorers:\n"
        "    - {name: lexicon, task: toxicity, kind: lexicon, path: "
        f"[{shared_data / 'lists/ldnoobw/en.txt'}, {shared_data / 'lists/ldnoobw/zh.txt'}]}}\n"
        f"    - {{name: ft, task: toxicity, kind: fasttext, path: {fasttext_model}, languages: [en]}}\n"
        "score_filter:\n  enabled: true\n  min_quality: {}\n  max_toxicity: {lexicon: 0.5}\n")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "pipelines.cli", "curate", "--input",
                           str(shared_data / "warc/resiliparse/warcfile.warc.gz"), "--output", str(out),
                           "--config", str(config), "--disable", "heuristics", "--write-rejected"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["balanced"]
    dropped = report["dropped"].get("score_toxic_lexicon", 0)
    assert dropped > 0  # the excerpt's Chinese spam pages carry listed words
    kept = pq.read_table(out / "data").to_pylist() if (out / "data").exists() else []
    schema = pq.read_schema(next((out / "data").rglob("*.parquet")))
    assert str(schema.field("toxicity_lexicon").type) == "float" and str(schema.field("toxicity_ft").type) == "float"
    assert all(r["toxicity_lexicon"] == 0.0 for r in kept)
    assert all((r["toxicity_ft"] is None) == (r["lang"] != "en") for r in kept)
    rejected = [r for r in pq.read_table(out / "rejected").to_pylist() if r["reason"] == "score_toxic_lexicon"]
    assert len(rejected) == dropped and all(r["step"] == "score_filter" and r["toxicity_lexicon"] == 1.0 for r in rejected)


def test_default_chain_lays_out_scoring_without_importing_torch():
    """Beam's inference package imports torch (about 180 MB per worker process): only a BERT
    scorer may bring it in. A fresh process lays out every default step, scoring included, and
    unpickles the inline scoring step as a worker does. scipy (36 MB) is not imported by the
    modules a worker loads either (only the launcher's choice of LSH bands uses it)."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    code = """
import sys
import pipelines.curate, transforms.process_files, transforms.dedup.minhash_dedup
print(sorted(m for m in ("scipy", "torch") if m in sys.modules))
import apache_beam as beam
from apache_beam.internal import pickler
from pipelines.config import load_config
from pipelines.step_registry import build_steps
from transforms.score import ScoreStep

p = beam.Pipeline(runner="FnApiRunner")
docs = p | beam.Create([])
steps = dict(build_steps(load_config()))
scored = docs | steps["score"]
pickler.loads(pickler.dumps(ScoreStep(steps["score"].specs)))
print(sorted(m for m in ("torch", "transformers") if m in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-2:] == ["[]", "[]"]

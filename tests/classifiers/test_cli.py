"""``skypile classifiers`` subcommands on real label files, called through ``main(argv)``."""
from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from classifiers.cli import main
from tests.classifiers.fixtures import COLD_DEV, SURGE, fasttext_model, surge_split  # noqa: F401


def test_train_fasttext_prints_a_validation_report(tmp_path, shared_data, capsys):
    data = str(shared_data / SURGE)
    out = tmp_path / "m.bin"
    rc = main(["train-fasttext", "--train", data, "--valid", data, "--out", str(out), "--text-field", "text",
               "--label-field", "is_toxic", "--positive", "Toxic", "--negative", "Not Toxic",
               "--bucket", "50000", "--dim", "20", "--epoch", "10"])
    assert rc == 0 and out.exists()
    stdout, stderr = capsys.readouterr()
    assert "class  precision  recall      f1  support" in stdout and "threshold" in stdout
    assert json.loads(stdout.strip().splitlines()[-1])["n"] == 734
    assert "734 examples, 360 positive {'Toxic': 360}, 374 negative {'Not Toxic': 374}" in stderr


def test_eval_prints_one_json_line_and_reports_undeclared_labels(fasttext_model, shared_data, capsys):
    rc = main(["eval", "--model", fasttext_model, "--data", str(shared_data / "labels/davidson_hate_offensive_en/labeled_data.csv"),
               "--text-field", "tweet", "--label-field", "class", "--positive", "1", "--negative", "2"])
    assert rc == 0
    stdout, stderr = capsys.readouterr()
    line = json.loads(stdout)
    assert set(line) >= {"precision", "recall", "f1", "accuracy", "n"}
    assert line["n"] == 14389 + 3169
    assert "skipped 1058 rows with labels outside the declared set {'0': 1058}" in stderr


def test_bad_model_and_bad_fields_exit_2_with_a_message(tmp_path, shared_data, capsys):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"not a model at all")
    assert main(["eval", "--model", str(bad), "--data", str(shared_data / SURGE), "--text-field", "text",
                 "--label-field", "is_toxic", "--positive", "Toxic"]) == 2
    assert "not a fastText model" in capsys.readouterr().err
    assert main(["eval", "--model", str(bad), "--data", str(shared_data / COLD_DEV), "--positive", "1"]) == 2
    assert "no column 'text'" in capsys.readouterr().err


@pytest.mark.full_data("labels/chinesewebtext_quality_zh/cc_2021-43_ccnet_sample.jsonl")
def test_build_quality_set_is_balanced_deterministic_and_trainable(tmp_path, shared_data, capsys):
    # Negatives: a curated-output-like Parquet shard of CCNet Chinese web text (read in place).
    rows = [json.loads(line) for line in open(shared_data / "labels/chinesewebtext_quality_zh/cc_2021-43_ccnet_sample.jsonl")]
    shard = tmp_path / "web" / "train-00000-of-00001.parquet"
    shard.parent.mkdir()
    pq.write_table(pa.table({"text": [r["raw_content"] for r in rows]}), shard)
    reference = str(shared_data / "eval/zh_domains/zh_tech_docs.jsonl")
    args = ["build-quality-set", "--reference", reference, "--web", str(tmp_path / "web/*.parquet"),
            "--max-per-class", "15", "--valid-fraction", "0.25"]
    assert main([*args, "--out", str(tmp_path / "a.jsonl"), "--valid-out", str(tmp_path / "a_valid.jsonl")]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert counts["hq"] == counts["cc"] == 15 and counts["train"] + counts["valid"] == 30
    assert main([*args, "--out", str(tmp_path / "b.jsonl"), "--valid-out", str(tmp_path / "b_valid.jsonl")]) == 0
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    labels = [json.loads(line)["label"] for line in open(tmp_path / "a.jsonl")]
    assert set(labels) == {"hq", "cc"}
    assert main(["train-fasttext", "--train", str(tmp_path / "a.jsonl"), "--valid", str(tmp_path / "a_valid.jsonl"),
                 "--out", str(tmp_path / "q.bin"), "--positive", "hq", "--negative", "cc", "--bucket", "50000",
                 "--dim", "20"]) == 0

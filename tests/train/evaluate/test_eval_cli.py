"""``skypile eval loss`` and ``skypile eval contamination`` end to end on tiny real models."""
from __future__ import annotations

import csv
import json

import pytest

from train.eval_cli import main
from train.evaluate.contamination import (DEFAULT_TEST, deltas, read_delta1, read_delta2, sample_texts,
                                          verdict)
from train.evaluate.loss import domain_stats, evaluate_models, load_model, read_domain, truncate

# Skywork Community License: read in place from the test data, never copied into the project.
SKYWORK_REF = "eval/skywork/mock_gsm8k_test_public.jsonl"


def write_jsonl(path, records):
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return path


@pytest.fixture(scope="module")
def domains(tmp_path_factory, corpus):
    root = tmp_path_factory.mktemp("domains")
    write_jsonl(root / "en_tech.jsonl", [{"text": t} for t in corpus["en"][:4]])
    write_jsonl(root / "zh_gov.jsonl", [{"text": t} for t in corpus["zh"][:4]])
    return root


def test_eval_loss_cli_writes_all_outputs(tiny_models, domains, tmp_path, capsys):
    out = tmp_path / "out"
    models = [str(tiny_models["model_small"]), str(tiny_models["model_large"])]
    rc = main(["loss", "--model", models[0], "--model", models[1], "--domains", str(domains),
               "--reference-tokenizer", str(tiny_models["tok_char"]), "--max-chars", "300",
               "--out", str(out), "--no-progress", "--device", "cpu"])
    assert rc == 0
    stdout = capsys.readouterr().out
    assert "| en_tech |" in stdout and "| average |" in stdout and "normalized_loss" in stdout
    results = json.loads((out / "results.json").read_text())
    assert results["max_chars"] == 300 and results["reference_tokenizer"] == str(tiny_models["tok_char"])
    texts = {d: truncate(read_domain(str(domains / f"{d}.jsonl")), 300) for d in ("en_tech", "zh_gov")}
    direct = evaluate_models(models, texts, str(tiny_models["tok_char"]), progress=False)
    for model in ("model_small", "model_large"):
        assert set(results["models"][model]) == {"en_tech", "zh_gov", "average"}
        for domain, stats in direct[model].items():
            row = results["models"][model][domain]
            assert row["normalized_loss"] == pytest.approx(stats.normalized_loss, rel=1e-6)
            assert row["bits_per_byte"] == pytest.approx(stats.bits_per_byte, rel=1e-6)
            assert row["ref_tokens"] == stats.ref_tokens == sum(len(t) for t in texts.get(domain, []))\
                or domain == "average"
    rows = list(csv.DictReader(open(out / "results.csv")))
    assert len(rows) == 6 and {r["domain"] for r in rows} == {"en_tech", "zh_gov", "average"}
    assert (out / "normalized_loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_eval_loss_cli_missing_domain_is_clear_error(tiny_models, tmp_path, capsys):
    rc = main(["loss", "--model", str(tiny_models["model_small"]), "--domains", str(tmp_path / "nope.jsonl")])
    assert rc == 2
    assert "domain file not found" in capsys.readouterr().err


@pytest.mark.full_data(SKYWORK_REF)
def test_sample_texts_fields(shared_data):
    gsm = shared_data / "eval" / "gsm8k" / "test.jsonl"
    first = json.loads(gsm.open().readline())
    assert sample_texts(str(gsm))[0] == first["question"] + " " + first["answer"]
    from transforms.paths import resolve_path

    assert open(resolve_path(DEFAULT_TEST), "rb").read() == gsm.read_bytes()  # --test's default ships
    ref = shared_data / SKYWORK_REF
    mock = json.loads(ref.open().readline())
    assert set(mock) == {"text"}  # the Skywork reference set has only a text field
    assert sample_texts(str(ref))[0] == mock["text"]


def test_readings():
    d = deltas(2.0, 1.5, 2.1)
    assert d == pytest.approx({"L_train": 2.0, "L_test": 1.5, "L_ref": 2.1, "delta1": -0.6, "delta2": -0.5})
    assert "likely seen in training" in read_delta1(-0.6)
    assert "no sign" in read_delta1(0.05) and "no sign" in read_delta1(0.3)
    assert "train set (in-domain data) was likely in training" in read_delta2(0.4)
    assert "test set was likely trained on" in read_delta2(-0.4)
    assert "treated alike" in read_delta2(0.02)
    assert verdict(-0.35, -0.05) == "verdict: the test set was likely in the training data."
    assert verdict(0.0, -0.3) == "verdict: the test set was likely in the training data."
    assert verdict(-0.3, 0.13).startswith("verdict: in-domain training data") and "neither shown" in verdict(-0.3, 0.13)
    assert "no sign of test leakage" in verdict(0.0, 0.2)
    assert verdict(0.05, -0.05) == "verdict: no sign of contamination."


@pytest.mark.full_data(SKYWORK_REF)
def test_eval_contamination_cli(tiny_models, shared_data, tmp_path, capsys):
    gsm = shared_data / "eval" / "gsm8k"
    train = write_jsonl(tmp_path / "train.jsonl", [json.loads(l) for l in list(open(gsm / "train.jsonl"))[:6]])
    test = write_jsonl(tmp_path / "test.jsonl", [json.loads(l) for l in list(open(gsm / "test.jsonl"))[:9]])
    model_dir = str(tiny_models["model_small"])
    ref = str(shared_data / SKYWORK_REF)
    rc = main(["contamination", "--model", model_dir, "--train", str(train), "--test", str(test), "--ref", ref,
               "--max-chars", "200", "--max-samples", "6", "--no-progress", "--device", "cpu"])
    assert rc == 0
    lines = capsys.readouterr().out.strip().splitlines()
    result = json.loads(lines[-1])
    assert set(result) == {"L_train", "L_test", "L_ref", "delta1", "delta2"}
    model, tok = load_model(model_dir)
    expected = {key: domain_stats(model, tok, truncate(sample_texts(path)[:6], 200), progress=False).loss
                for key, path in (("L_train", str(train)), ("L_test", str(test)), ("L_ref", ref))}
    for key, value in expected.items():
        assert result[key] == pytest.approx(value, rel=1e-6)
    assert result["delta1"] == pytest.approx(result["L_test"] - result["L_ref"])
    assert result["delta2"] == pytest.approx(result["L_test"] - result["L_train"])
    assert any(line.startswith("delta1 = ") for line in lines) and any(line.startswith("delta2 = ") for line in lines)
    assert lines[-2].startswith("verdict: ")

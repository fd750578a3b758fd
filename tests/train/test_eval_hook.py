"""The trainer's built-in evaluation equals ``skypile eval loss`` on the exported checkpoint."""
from __future__ import annotations

import json

import pytest
import torch

from model.checkpoint import load_checkpoint
from model.hf import save_hf
from tests.train.conftest import tiny_config, write_config
from train.config import load_config
from train.distributed import DistEnv
from train.eval_cli import main as eval_main
from train.loop import train
from train.metrics import read_metrics
from train.plot import plot

CPU = DistEnv(0, 1, 0, torch.device("cpu"))


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def eval_sets(shared_data, tmp_path_factory):
    """Two small general domain sets and a GSM8K test probe, from the shared real files."""
    root = tmp_path_factory.mktemp("eval_sets")
    domains = root / "domains"
    domains.mkdir()
    for name, rel in (("en_fomc", "eval/en_domains/en_finance_fomc_minutes_2022_2023.jsonl"),
                      ("zh_finance", "eval/zh_domains/zh_finance_laws_regulations.jsonl")):
        lines = (shared_data / rel).read_text(encoding="utf-8").splitlines()[:3]
        write_jsonl(domains / f"{name}.jsonl", [{"text": json.loads(line)["text"]} for line in lines])
    lines = (shared_data / "eval/gsm8k/test.jsonl").read_text(encoding="utf-8").splitlines()[:4]
    probe = write_jsonl(root / "gsm8k_test.jsonl", [json.loads(line) for line in lines])
    return domains, probe


def test_hook_equals_eval_loss_on_the_same_checkpoint(tmp_path, tokenizer_dir, corpus, eval_sets):
    domains, probe = eval_sets
    cfg = tiny_config(tokenizer_dir, eval={"every": 4, "domains": [str(domains)], "max_chars": 400,
                                           "probe": f"gsm8k_test={probe}:question,answer", "batch_size": 3})
    cfg["mixture"]["stages"][1]["tokens"] = 32 * 4 * 4  # 12 steps: evaluations at 4, 8, 12
    run = tmp_path / "run"
    threads = torch.get_num_threads()
    try:
        train(load_config(str(write_config(tmp_path / "cfg.yaml", cfg))), str(run), str(corpus), CPU)
    finally:
        torch.set_num_threads(threads)
    records = read_metrics(str(run / "metrics.jsonl"))
    evaluated = [r for r in records if "eval/average" in r]
    assert [r["step"] for r in evaluated] == [4, 8, 12]
    last = evaluated[-1]
    assert set(k for k in last if k.startswith("eval/")) == {"eval/en_fomc", "eval/zh_finance", "eval/average",
                                                              "eval/gsm8k_test"}
    assert last["eval/gsm8k_test"]["docs"] == 4 and last["eval/en_fomc"]["docs"] == 3
    # Training moves the numbers: the hook evaluates the current weights, not a fixed model.
    assert evaluated[0]["eval/average"]["normalized_loss"] != last["eval/average"]["normalized_loss"]

    model, _ = load_checkpoint(run / "checkpoints" / "step_00000012.pt")
    hf = save_hf(model, tmp_path / "hf", tokenizer_path=tokenizer_dir)
    assert eval_main(["loss", "--model", str(hf), "--domains", str(domains), "--max-chars", "400",
                      "--out", str(tmp_path / "loss"), "--no-progress", "--device", "cpu"]) == 0
    reference = json.loads((tmp_path / "loss" / "results.json").read_text())["models"]["hf"]
    for domain in ("en_fomc", "zh_finance", "average"):
        for key in ("normalized_loss", "bits_per_byte", "loss"):
            assert last[f"eval/{domain}"][key] == pytest.approx(reference[domain][key], abs=1e-5)
        assert last[f"eval/{domain}"]["tokens"] == reference[domain]["tokens"]

    plot(records, str(tmp_path / "curve.png"))  # eval curves are drawn beside the training loss
    assert (tmp_path / "curve.png").stat().st_size > 0


def test_probe_name_and_missing_file_are_clear_errors(tmp_path, tokenizer_dir, eval_sets):
    from train.evaluate.hook import DomainEvaluator

    domains, probe = eval_sets
    cfg = load_config(None, [f"eval.domains=[{domains}]", f"eval.probe=en_fomc={probe}:question"])
    with pytest.raises(ValueError, match="also a domain set name"):
        DomainEvaluator(cfg.eval, str(tokenizer_dir / "tokenizer.json"), 32)
    cfg = load_config(None, [f"eval.probe=gsm8k={tmp_path / 'nope.jsonl'}"])
    with pytest.raises(FileNotFoundError, match="no file"):
        DomainEvaluator(cfg.eval, str(tokenizer_dir / "tokenizer.json"), 32)

"""The loop in process: gradient accumulation equals a bigger batch; the evaluation hook is called."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from tests.train.conftest import tiny_config, write_config
from train.config import load_config
from train.distributed import DistEnv
from train.loop import train
from train.metrics import read_metrics
from train.plot import plot

CPU = DistEnv(0, 1, 0, torch.device("cpu"))
CALLS: list[int] = []


def make_hook(options, tokenizer_path, device):
    """A real evaluation: loss of the model on a fixed token window (what the evaluator plugs in)."""
    assert tokenizer_path.endswith("tokenizer.json") and device.type == "cpu"
    window = torch.arange(options["length"]).unsqueeze(0) % 200 + 10

    def evaluate(model, step):
        assert not model.training and not torch.is_grad_enabled()
        CALLS.append(step)
        logits = model(window[:, :-1])
        return {"fixed_window_loss": F.cross_entropy(logits.flatten(0, 1), window[:, 1:].flatten()).item()}

    return evaluate


def _run(tmp_path, name, tokenizer_dir, corpus, **train_section):
    cfg = tiny_config(tokenizer_dir, train={"threads": 1, "log_every": 1, "ckpt_every": 100, "progress": False,
                                            **train_section},
                      eval={"every": 3, "hook": "tests.train.test_loop:make_hook", "options": {"length": 33}})
    cfg["mixture"]["stages"][0]["tokens"] = 32 * 4 * 3
    cfg["mixture"]["stages"][1]["tokens"] = 32 * 4 * 3
    threads = torch.get_num_threads()
    try:
        train(load_config(str(write_config(tmp_path / f"{name}.yaml", cfg))), str(tmp_path / name), str(corpus), CPU)
    finally:
        torch.set_num_threads(threads)
    return read_metrics(str(tmp_path / name / "metrics.jsonl"))


def test_accumulation_matches_one_big_batch_and_hook_runs(tmp_path, tokenizer_dir, corpus):
    CALLS.clear()
    accumulated = _run(tmp_path, "accum", tokenizer_dir, corpus, micro_batch_size=2, grad_accum=2)
    assert CALLS == [3, 6]
    assert [("eval/fixed_window_loss" in r) for r in accumulated] == [False, False, True, False, False, True]
    whole = _run(tmp_path, "whole", tokenizer_dir, corpus, micro_batch_size=4, grad_accum=1)
    # The same sequences (the sampler numbers them globally), the same gradients up to float order.
    assert [r["tokens_per_source"] for r in accumulated] == [r["tokens_per_source"] for r in whole]
    for a, b in zip(accumulated, whole):
        assert abs(a["loss"] - b["loss"]) < 1e-4 and abs(a["grad_norm"] - b["grad_norm"]) < 1e-3
    assert accumulated[-1]["stage"] == "s2" and accumulated[2]["stage"] == "s1"
    per_stage = accumulated[-1]["tokens_per_stage"]
    assert sum(per_stage["s1"].values()) == sum(per_stage["s2"].values()) == 3 * 4 * 32
    assert "stem" not in per_stage["s1"] and accumulated[2]["tokens_per_stage"]["s2"] == {}
    assert accumulated[0]["lr"] < accumulated[2]["lr"]  # warmup
    png = tmp_path / "loss.png"
    plot(accumulated, str(png))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_init_from_starts_a_new_run_from_trained_weights(tmp_path, tokenizer_dir, corpus):
    first = _run(tmp_path, "first", tokenizer_dir, corpus, micro_batch_size=2, grad_accum=2)
    again = _run(tmp_path, "again", tokenizer_dir, corpus, micro_batch_size=2, grad_accum=2)
    assert again[0]["loss"] == first[0]["loss"]  # a fresh run starts from the seeded init
    cont = _run(tmp_path, "cont", tokenizer_dir, corpus, micro_batch_size=2, grad_accum=2,
                init_from=str(tmp_path / "first"))
    # Trained weights: the loss starts near where the first run ended up, not at init. The data
    # order continues (train/continue_data.py): these are documents the first run has not seen.
    assert cont[0]["loss"] < first[0]["loss"] - 0.1
    assert cont[0]["tokens"] == first[0]["tokens"]  # steps start over


def test_bf16_autocast_path_tracks_fp32(tmp_path, tokenizer_dir, corpus):
    """The GPU precision path (bf16 autocast, fp32 master weights and loss), run on CPU."""
    fp32 = _run(tmp_path, "fp32", tokenizer_dir, corpus, micro_batch_size=2, grad_accum=2)
    bf16 = _run(tmp_path, "bf16", tokenizer_dir, corpus, micro_batch_size=2, grad_accum=2, dtype="bf16")
    assert [r["loss"] for r in bf16] != [r["loss"] for r in fp32]  # it did compute in bf16
    for a, b in zip(bf16, fp32):
        assert abs(a["loss"] - b["loss"]) < 0.05, (a["step"], a["loss"], b["loss"])


def test_divergence_stops_before_a_checkpoint(tmp_path, tokenizer_dir, corpus):
    cfg = tiny_config(tokenizer_dir, optim={"lr": 1e30, "warmup_steps": 0},
                      train={"threads": 1, "log_every": 1, "ckpt_every": 1, "progress": False})
    out = tmp_path / "diverge"
    with pytest.raises(FloatingPointError, match=r"training loss is (nan|inf) at step (\d+); resume from") as err:
        train(load_config(str(write_config(tmp_path / "d.yaml", cfg))), str(out), str(corpus), CPU)
    bad = int(err.value.args[0].split(" at step ")[1].split(";")[0])
    assert 1 < bad < 6
    newest = max(p.name for p in (out / "checkpoints").glob("*.pt"))
    assert newest == f"step_{bad - 1:08d}.pt" and newest in err.value.args[0]


def test_dry_run_prints_the_plan(tmp_path, tokenizer_dir, corpus, capsys):
    from train.cli import main

    config = write_config(tmp_path / "p.yaml", tiny_config(tokenizer_dir))
    assert main(["--config", str(config), "--data", str(corpus), "--out", str(tmp_path / "p"), "--dry-run"]) == 0
    out = capsys.readouterr()
    assert '"total_steps": 14' in out.out
    assert "stage s1: steps 0-7 (1,024 tokens): en 0.6 zh 0.4" in out.err
    assert "stage s2: steps 8-13 (768 tokens): en 0.5 stem 0.2->0.6 zh 0.3" in out.err
    assert "source stem: 2 file(s), 16 row group(s), 120 documents" in out.err
    assert not (tmp_path / "p" / "checkpoints").exists() and not (tmp_path / "p" / "metrics.jsonl").exists()

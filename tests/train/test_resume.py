"""Kill -9 mid-run and resume: the same loss curve, bitwise; refusal on a changed configuration."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import torch

from tests.conftest import ROOT
from tests.train.conftest import tiny_config, write_config
from train.checkpoint import load
from train.cli import main
from train.metrics import read_metrics

SKYPILE = [sys.executable, "-m", "pipelines.cli"]
CURVE_KEYS = ("step", "tokens", "loss", "grad_norm", "lr", "tokens_per_source", "loss_per_source", "stage")


def _curve(out):
    return [{k: r[k] for k in CURVE_KEYS} for r in read_metrics(str(out / "metrics.jsonl"))]


def kill_after_checkpoint(args: list[str], out, step: int) -> None:
    """Start ``skypile train ARGS --out OUT`` and SIGKILL it once checkpoint ``step`` exists."""
    proc = subprocess.Popen([*SKYPILE, "train", *args, "--out", str(out)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    target = out / "checkpoints" / f"step_{step:08d}.pt"
    deadline = time.time() + 120
    while not target.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL


def _config(tmp_path, tokenizer_dir):
    # 14 + 10 steps, a checkpoint every 4: the kill lands mid-run with steps to replay.
    cfg = tiny_config(tokenizer_dir, train={"micro_batch_size": 2, "grad_accum": 2, "threads": 1, "log_every": 1,
                                            "ckpt_every": 4, "progress": False, "keep_checkpoints": 2})
    cfg["mixture"]["stages"][0]["tokens"] = 32 * 4 * 14
    cfg["mixture"]["stages"][1]["tokens"] = 32 * 4 * 10
    return write_config(tmp_path / "run.yaml", cfg)


def test_sigkill_and_resume_gives_the_same_curve(corpus, tokenizer_dir, tmp_path, capsys):
    config = _config(tmp_path, tokenizer_dir)
    args = ["--config", str(config), "--data", str(corpus)]
    threads = torch.get_num_threads()
    try:
        # Inline data here, prefetched in the killed run: prefetching must not change a single token.
        assert main([*args, "--out", str(tmp_path / "straight"), "--set", "data.prefetch=0"]) == 0
    finally:
        torch.set_num_threads(threads)
    straight = _curve(tmp_path / "straight")
    assert [r["step"] for r in straight] == list(range(1, 25))

    killed = tmp_path / "killed"
    kill_after_checkpoint(args, killed, 4)
    partial = _curve(killed)
    assert 4 <= len(partial) < 24

    resumed = subprocess.run([*SKYPILE, "train", *args, "--out", str(killed)], cwd=ROOT, capture_output=True,
                             text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert _curve(killed) == straight  # every logged float equal, not approximately
    final = load(str(killed / "checkpoints" / "step_00000024.pt"))
    reference = load(str(tmp_path / "straight" / "checkpoints" / "step_00000024.pt"))
    assert all(torch.equal(final["model"][k], reference["model"][k]) for k in reference["model"])
    assert final["data"] == reference["data"]
    # The stage-1 end is kept whatever keep_checkpoints says.
    assert (killed / "checkpoints" / "step_00000014.pt").exists()

    # Rerunning a finished run does nothing and says so.
    assert main([*args, "--out", str(killed)]) == 0
    assert '"complete": true' in capsys.readouterr().out

    # A changed mixture is refused, naming what changed.
    assert main([*args, "--out", str(killed), "--set", "mixture.stages.0.weights.en=0.9"]) == 2
    err = capsys.readouterr().err
    assert "cannot resume" in err
    assert "mixture.stages.0.weights.en: checkpoint has 0.6, this run has 0.9" in err

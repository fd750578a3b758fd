"""Two-process DDP on CPU (gloo) through torchrun: clean exit, one curve, per-rank data positions."""
from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT
from tests.train.conftest import tiny_config, write_config
from train.checkpoint import load
from train.cli import main
from train.metrics import read_metrics


def _torchrun(args, *extra):
    return subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                           "-m", "pipelines.cli", "train", *args, *extra], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_torchrun_two_processes_on_cpu(corpus, tokenizer_dir, tmp_path, capsys):
    cfg = tiny_config(tokenizer_dir)
    cfg["mixture"]["stages"][0]["tokens"] = 32 * 8 * 4  # world 2 x micro 2 x accum 2 sequences a step
    cfg["mixture"]["stages"][1]["tokens"] = 32 * 8 * 2
    config = write_config(tmp_path / "ddp.yaml", cfg)
    out = tmp_path / "ddp"
    args = ["--config", str(config), "--data", str(corpus), "--out", str(out)]
    proc = _torchrun(args)
    assert proc.returncode == 0, proc.stderr[-3000:]
    records = read_metrics(str(out / "metrics.jsonl"))
    assert [r["step"] for r in records] == [1, 2, 3, 4, 5, 6]  # rank 0 alone writes
    assert records[-1]["tokens"] == 6 * 8 * 32 == sum(records[-1]["tokens_per_source"].values())
    assert records[-1]["loss"] < records[0]["loss"]
    ckpt = load(str(out / "checkpoints" / "step_00000006.pt"))
    assert ckpt["world_size"] == 2 and len(ckpt["data"]) == 2 and len(ckpt["rng"]) == 2
    assert ckpt["data"][0]["packers"] != ckpt["data"][1]["packers"]  # each rank reads its own documents
    assert not any(k.startswith("module.") for k in ckpt["model"])

    # The data position is per rank: resuming with another world size is refused, with the reason.
    assert main(args) == 2
    assert "world_size: checkpoint has 2, this run has 1" in capsys.readouterr().err

    # FSDP2 (fully_shard over gloo) trains the same model: the same curve up to float reduction order.
    fsdp_out = tmp_path / "fsdp"
    proc = _torchrun([*args[:-1], str(fsdp_out)], "--set", "train.fsdp=true")
    assert proc.returncode == 0, proc.stderr[-3000:]
    fsdp = read_metrics(str(fsdp_out / "metrics.jsonl"))
    assert [r["tokens_per_source"] for r in fsdp] == [r["tokens_per_source"] for r in records]
    for a, b in zip(fsdp, records):
        assert abs(a["loss"] - b["loss"]) < 1e-4, (a["step"], a["loss"], b["loss"])
    saved = load(str(fsdp_out / "checkpoints" / "step_00000006.pt"))
    assert saved["model"].keys() == ckpt["model"].keys()
    assert all(type(v).__name__ == "Tensor" for v in saved["model"].values())  # gathered, not DTensor shards

    # FSDP2 resume (full state dicts scattered back into shards) replays steps 5-6 exactly.
    (fsdp_out / "checkpoints" / "step_00000006.pt").unlink()
    proc = _torchrun([*args[:-1], str(fsdp_out)], "--set", "train.fsdp=true")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert [r["loss"] for r in read_metrics(str(fsdp_out / "metrics.jsonl"))] == [r["loss"] for r in fsdp]

"""``skypile experiment sweep``: bad --vary fails before training, a full sweep's outputs and pick,
a rerun is a no-op, and a sweep killed inside a variant resumes there with the same results."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from tests.train.conftest import tiny_config, write_config
from tests.train.test_eval_hook import eval_sets  # noqa: F401  (fixture)
from train.experiment_cli import main

ROOT = Path(__file__).resolve().parents[2]
VARY = "mixture.stages.1.weights.stem=0,0.3,[0.2,0.6]"


def kill_hook(options, tokenizer_path, device):
    """A real SIGKILL of the sweep process at step ``at_step`` of the second variant it trains, once
    (the ``marker`` file records that it happened; the ``count`` file counts trainers built)."""
    count = Path(options["count"])
    n = int(count.read_text()) + 1 if count.exists() else 1
    count.write_text(str(n))

    def evaluate(model, step):
        if n == 2 and step == options["at_step"] and not os.path.exists(options["marker"]):
            Path(options["marker"]).write_text("killed")
            os.kill(os.getpid(), signal.SIGKILL)
        return {}

    return evaluate


def clobber_hook(options, tokenizer_path, device):
    """Overwrites the sweep's config file with an unusable one while the first variant trains."""
    def evaluate(model, step):
        Path(options["config"]).write_text("optim: {lr: fast}\n")
        return {}

    return evaluate


def base_config(tmp_path, tokenizer_dir, eval_sets, name: str = "base", **eval_section) -> Path:
    domains, probe = eval_sets
    cfg = tiny_config(tokenizer_dir, eval={"every": 0, "domains": [str(domains)], "max_chars": 300,
                                           "probe": f"gsm8k_test={probe}:question,answer", **eval_section})
    cfg["train"]["threads"] = 1
    return write_config(tmp_path / f"{name}.yaml", cfg)


def sweep_args(config, corpus, out, *extra):
    return ["sweep", "--config", str(config), "--data", str(corpus), "--out", str(out), "--vary", VARY, *extra]


@pytest.mark.parametrize("vary, message", [
    ("optim.lrr=1e-3,2e-3", "unknown key(s) ['lrr'] in optim"),
    ("mixture.stages.1.weights.stemm=0.1,0.2", "unknown source(s) ['stemm']"),
    ("mixture.stages.7.tokens=10,20", "'7' is not an index"),
    ("model.overrides.dimm=32,64", "unknown key(s) ['dimm'] in ModelConfig"),
    ("optim.lr=fast,slow", "expected float"),
    ("optim.lr=1e-3,1e-3", "given twice"),
])
def test_bad_vary_is_a_clear_error_before_any_training(tmp_path, tokenizer_dir, corpus, eval_sets, capsys,
                                                       vary, message):
    config = base_config(tmp_path, tokenizer_dir, eval_sets)
    out = tmp_path / "out"
    assert main(["sweep", "--config", str(config), "--data", str(corpus), "--out", str(out), "--vary", vary]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not out.exists()  # nothing trained, nothing written


def test_sweep_needs_both_eval_sets(tmp_path, tokenizer_dir, corpus, eval_sets, capsys):
    config = base_config(tmp_path, tokenizer_dir, eval_sets, probe="")
    assert main(sweep_args(config, corpus, tmp_path / "out")) == 2
    assert "eval.domains (general) and eval.probe (in-domain)" in capsys.readouterr().err


@pytest.fixture(scope="module")
def finished(tmp_path_factory, tokenizer_dir, corpus, eval_sets):
    """A sweep run to the end in process, with the kill hook armed off (its marker exists)."""
    root = tmp_path_factory.mktemp("sweep")
    (root / "marker").write_text("disarmed")
    config = base_config(root, tokenizer_dir, eval_sets, every=5, hook="tests.train.test_experiment:kill_hook",
                         options={"count": str(root / "count"), "marker": str(root / "marker"), "at_step": 10})
    threads = torch.get_num_threads()
    try:
        assert main(sweep_args(config, corpus, root / "out")) == 0
    finally:
        torch.set_num_threads(threads)
    return root, config


def test_sweep_writes_tables_chart_and_pick_and_rerun_is_a_noop(finished, corpus, capsys):
    root, config = finished
    out = root / "out"
    manifest = json.loads((out / "sweep.json").read_text())
    names = [v["name"] for v in manifest["variants"]]
    assert names == ["v0-stem=0", "v1-stem=0.3", "v2-stem=_0.2_0.6"]
    for name in names:  # each variant is an ordinary run directory, trained to its last step
        assert (out / name / "checkpoints" / "step_00000014.pt").exists() and (out / name / "result.json").exists()
    table = manifest["table"]
    assert [r["baseline"] for r in table] == [True, False, False]
    assert table[0]["token_shares"] == {"en": pytest.approx(0.625, abs=0.2), "zh": pytest.approx(0.375, abs=0.2)}
    assert table[1]["token_shares"]["stem"] > 0
    for r in table:  # the chart's coordinates are the scored general average and probe
        result = json.loads((out / r["variant"] / "result.json").read_text())
        assert r["general"] == result["scores"]["average"]["normalized_loss"]
        assert r["in_domain_gain"] == pytest.approx(table[0]["in_domain"] - result["scores"]["gsm8k_test"]
                                                    ["normalized_loss"])
    expected = max((r for r in table[1:] if r["general_delta"] <= 0.02 and r["in_domain_gain"] > 0),
                   key=lambda r: r["in_domain_gain"], default=table[0])
    assert manifest["picked"] == expected["variant"]
    assert (out / "sweep.png").stat().st_size > 0 and (out / "sweep.csv").read_text().count("\n") == 4
    assert "| stem=0 (baseline)" in (out / "sweep.md").read_text()

    stamps = {n: (out / n / "metrics.jsonl").stat().st_mtime_ns for n in names}
    capsys.readouterr()
    assert main(sweep_args(config, corpus, out, "--margin", "1.0")) == 0  # another margin: no retraining
    err = capsys.readouterr().err
    assert err.count("finished, not retrained") == 3 and "training" not in err
    assert stamps == {n: (out / n / "metrics.jsonl").stat().st_mtime_ns for n in names}
    assert json.loads((out / "sweep.json").read_text())["margin"] == 1.0


def test_another_sweep_in_the_same_out_is_refused(finished, corpus, capsys):
    root, config = finished
    args = sweep_args(config, corpus, root / "out")
    args[args.index(VARY)] = "mixture.stages.1.weights.stem=0,0.5"
    assert main(args) == 2
    assert "holds another sweep (it differs in vary)" in capsys.readouterr().err


def test_killed_sweep_resumes_at_the_unfinished_variant(finished, tmp_path, corpus):
    root, config = finished
    raw = yaml.safe_load(config.read_text())
    raw["eval"]["options"] = {"count": str(tmp_path / "count"), "marker": str(tmp_path / "marker"), "at_step": 10}
    killed_config = write_config(tmp_path / "killed.yaml", raw)
    out = tmp_path / "out"
    args = sweep_args(killed_config, corpus, out)
    args[args.index(VARY)] = "mixture.stages.1.weights.stem=0,0.3"  # the first two variants of VARY
    cmd = [sys.executable, "-m", "pipelines.cli", "experiment", *args]
    first = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert first.returncode == -signal.SIGKILL, first.stderr
    assert (out / "v0-stem=0" / "result.json").exists()
    assert not (out / "v1-stem=0.3" / "result.json").exists()
    assert (out / "v1-stem=0.3" / "checkpoints" / "step_00000008.pt").exists()  # from before the kill
    v0_stamp = (out / "v0-stem=0" / "metrics.jsonl").stat().st_mtime_ns

    second = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr
    assert "v0-stem=0: finished, not retrained" in second.stderr and "v1-stem=0.3: training" in second.stderr
    assert (out / "v0-stem=0" / "metrics.jsonl").stat().st_mtime_ns == v0_stamp
    steps = [json.loads(line)["step"] for line in (out / "v1-stem=0.3" / "metrics.jsonl").read_text().splitlines()]
    assert steps == list(range(1, 15))  # resumed at step 8: no step twice, none missing
    # Resume is exact on CPU: the interrupted sweep ends where the uninterrupted one did.
    for name in ("v0-stem=0", "v1-stem=0.3"):
        a = json.loads((out / name / "result.json").read_text())["scores"]
        b = json.loads((root / "out" / name / "result.json").read_text())["scores"]
        assert set(a) == set(b)
        for name_, stats in b.items():
            assert a[name_]["normalized_loss"] == pytest.approx(stats["normalized_loss"], rel=1e-9)


def test_config_file_is_read_once(tmp_path, tokenizer_dir, corpus, eval_sets, capsys):
    """Editing the config while a sweep runs changes none of its variants."""
    config = tmp_path / "base.yaml"
    base_config(tmp_path, tokenizer_dir, eval_sets, every=7, hook="tests.train.test_experiment:clobber_hook",
                options={"config": str(config)})
    threads = torch.get_num_threads()
    try:
        assert main(sweep_args(config, corpus, tmp_path / "out")[:-2] + ["--vary", "optim.lr=3e-3,1e-3"]) == 0
    finally:
        torch.set_num_threads(threads)
    assert config.read_text() == "optim: {lr: fast}\n"  # clobbered during variant 0
    lrs = [yaml.safe_load((tmp_path / "out" / name / "config.yaml").read_text())["optim"]["lr"]
           for name in ("v0-lr=3e-3", "v1-lr=1e-3")]
    assert lrs == [3e-3, 1e-3]

"""The loss forecast: the fit recovers known laws, says when not to trust itself, and runs on a real
training curve through ``skypile eval forecast``."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from tests.train.conftest import tiny_config, write_config
from train import forecast as fc
from train.config import load_config
from train.distributed import DistEnv
from train.eval_cli import main
from train.loop import train

CPU = DistEnv(0, 1, 0, torch.device("cpu"))
TOKENS = np.geomspace(2e4, 2e6, 16)


def law(tokens, E=2.1, A=80.0, alpha=0.35):
    return E + A * np.asarray(tokens) ** -alpha


def test_fit_recovers_a_known_law_and_inverts():
    fit = fc.fit(TOKENS, law(TOKENS))
    assert (fit.E, fit.A, fit.alpha) == pytest.approx((2.1, 80.0, 0.35), rel=1e-4)
    assert fit.rmse < 1e-6 and not fit.at_bound
    target = float(law(5e6))
    assert fit.tokens_to(target) == pytest.approx(5e6, rel=1e-3)
    assert fit(fit.tokens_to(2.5)) == pytest.approx(2.5, rel=1e-9)
    assert fit.tokens_to(2.0) == math.inf  # below the plateau
    assert fc.warnings(fit, TOKENS, target, fc.bootstrap(TOKENS, law(TOKENS), target, 50)) == []


def test_noisy_points_interval_covers_the_truth_and_is_deterministic():
    rng = np.random.default_rng(4)
    noisy = law(TOKENS) + rng.normal(0, 0.005, len(TOKENS))
    target = float(law(4e6))
    boot = fc.bootstrap(TOKENS, noisy, target, resamples=50, seed=1)
    lo, hi = boot["tokens_interval"]
    assert lo < 4e6 < hi and boot["refits"] == 50
    assert fc.bootstrap(TOKENS, noisy, target, resamples=50, seed=1)["tokens_interval"] == [lo, hi]


def test_backtest_on_a_known_law_is_exact_and_names_its_extrapolation():
    bt = fc.backtest(TOKENS, law(TOKENS))
    assert bt["fit_points"] == 8 and abs(bt["error"]) < 1e-4
    assert bt["extrapolation"] == pytest.approx(TOKENS[-1] / TOKENS[7])


def test_warnings_when_not_to_trust_it():
    few = fc.fit(TOKENS[:5], law(TOKENS[:5]))
    assert any("only 5 points" in w for w in fc.warnings(few, TOKENS[:5], None, None))
    # A straight line in log D has no curvature: no plateau can be identified.
    straight = 6.0 - 0.2 * np.log(TOKENS)
    fit = fc.fit(TOKENS, straight)
    text = " ".join(fc.warnings(fit, TOKENS, 2.0, fc.bootstrap(TOKENS, straight, 2.0, 30)))
    assert "no curvature yet" in text and "E=" in text
    good = fc.fit(TOKENS, law(TOKENS))
    assert any("never reached" in w for w in fc.warnings(good, TOKENS, 2.0, None))
    assert any("beyond the last point" in w for w in fc.warnings(good, TOKENS, 2.15, None))


def test_errors_on_unusable_points():
    with pytest.raises(fc.ForecastError, match="at least 4"):
        fc.fit(TOKENS[:3], law(TOKENS[:3]))
    with pytest.raises(fc.ForecastError, match="does not fall"):
        fc.fit(TOKENS, 3.0 + 1e-7 * TOKENS)
    records = [{"step": 1, "tokens": 10, "loss": 5.0}]
    with pytest.raises(fc.ForecastError, match="no record holds 'eval/x'"):
        fc.points(records, "eval/x")


@pytest.fixture(scope="module")
def real_run(tmp_path_factory, tokenizer_dir, corpus):
    """A tiny run of 40 steps at a constant rate on the real test shards, the loss logged every step."""
    root = tmp_path_factory.mktemp("forecast_run")
    cfg = tiny_config(tokenizer_dir, optim={"lr": 3e-3, "warmup_steps": 2, "decay_steps": 0, "min_lr_ratio": 1.0},
                      train={"micro_batch_size": 4, "grad_accum": 1, "ckpt_every": 100})
    cfg["mixture"]["stages"] = [{"name": "s1", "tokens": 32 * 4 * 40, "weights": {"en": 1.0}}]
    threads = torch.get_num_threads()
    try:
        train(load_config(str(write_config(root / "cfg.yaml", cfg))), str(root / "run"), str(corpus), CPU)
    finally:
        torch.set_num_threads(threads)
    return root / "run"


def test_forecast_cli_on_a_real_curve(real_run, tmp_path, capsys):
    out = tmp_path / "fc"
    assert main(["forecast", "--metrics", str(real_run), "--key", "loss", "--target", "4.0",
                 "--resamples", "40", "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    result = json.loads(stdout.strip().splitlines()[-1])
    assert result["points"] == 38 and result["min_step"] == 2  # warmup steps dropped (config.yaml)
    assert result["backtest"]["fit_points"] == 19 and math.isfinite(result["backtest"]["error"])
    assert "backtest: fit on the first 19 points" in stdout
    assert json.loads((out / "forecast.json").read_text())["fit"] == result["fit"]
    assert (out / "forecast.png").stat().st_size > 0


def test_forecast_cli_unknown_key_is_one_line_error(real_run, capsys):
    assert main(["forecast", "--metrics", str(real_run), "--key", "eval/nope"]) == 2
    err = capsys.readouterr().err
    assert "no record holds 'eval/nope'" in err and err.count("\n") == 1

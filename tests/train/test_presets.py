"""The shipped configs load, validate, and hold Skywork's mixture numbers."""
import pytest

from tests.conftest import ROOT
from train.config import load_config
from train.mixture import build_stages, weights_at

CONFIGS = ROOT / "configs" / "train"


def _stages(name):
    cfg = load_config(str(CONFIGS / name))
    return cfg, build_stages(cfg.mixture.stages, list(cfg.data.sources), 4 * 1024 * 1024)


def test_stage1_language_shares():
    cfg, stages = _stages("skywork_stage1.yaml")
    assert cfg.model.name == "skywork-13b" and cfg.data.seq_len == 4096
    # The published shares sum to 99.8%; weights are normalized per step.
    shares = {"en": 49.8, "zh": 39.6, "other": 2.4, "code": 8.0}
    assert weights_at(stages[0], 0) == pytest.approx({k: v / 99.8 for k, v in shares.items()})


def test_stage2_adds_twenty_percent_stem():
    _, stages = _stages("skywork_stage2.yaml")
    assert stages[0].weights == _stages("skywork_stage1.yaml")[1][0].weights
    w = weights_at(stages[1], stages[1].start_step)
    assert w["stem"] == pytest.approx(0.2, abs=1e-5)
    assert {k: v / 0.8 for k, v in w.items() if k != "stem"} == pytest.approx(weights_at(stages[0], 0), abs=1e-5)


def test_stage2_ramp_goes_from_ten_to_forty_percent_linearly():
    _, stages = _stages("skywork_stage2_ramp.yaml")
    s2 = stages[1]
    first, mid, last = (weights_at(s2, k) for k in (s2.start_step, s2.start_step + (s2.num_steps - 1) // 2, s2.end_step - 1))
    assert first["stem"] == pytest.approx(0.1, abs=1e-5) and last["stem"] == pytest.approx(0.4, abs=1e-5)
    assert mid["stem"] == pytest.approx(0.25, abs=1e-4)
    assert {k: v / 0.9 for k, v in first.items() if k != "stem"} == pytest.approx(weights_at(stages[0], 0), abs=1e-5)


def test_tiny_config_is_two_stages():
    cfg, stages = _stages("tiny.yaml")
    assert cfg.model.name == "tiny" and [s.name for s in stages] == ["stage1", "stage2"]

"""Skywork's schedule: linear warmup, cosine to 10% of the peak, then constant."""
import pytest

from train.schedule import lr_at


def test_warmup_cosine_then_constant():
    lrs = [lr_at(s, 1.0, 10, 110) for s in range(200)]
    assert lrs[0] == pytest.approx(0.1) and lrs[9] == pytest.approx(1.0)
    assert lrs[10] == pytest.approx(1.0)
    assert lrs[60] == pytest.approx(0.55)  # half way down the cosine: (1 + 0.1) / 2
    assert lrs[110:] == [pytest.approx(0.1)] * 90
    assert all(a >= b for a, b in zip(lrs[10:], lrs[11:]))
    assert all(a < b for a, b in zip(lrs[:9], lrs[1:10]))


def test_min_ratio_and_no_decay_window():
    assert lr_at(500, 6e-4, 2000, 1000, 0.1) == pytest.approx(6e-4 * 501 / 2000)
    assert lr_at(2500, 6e-4, 2000, 1000, 0.1) == pytest.approx(6e-5)

"""Mixture: validation, ramp shape, sampling accuracy, stage boundary exactness on real shards."""
from __future__ import annotations

import math

import pytest

from train import build
from train.config import StageSpec, load_config
from train.distributed import DistEnv
from train.mixture import MixtureError, Sampler, build_stages, stage_at, weights_at
from tests.train.conftest import tiny_config, write_config

import torch


def test_validation_names_the_problem():
    ok = {"en": 1.0}
    cases = [
        ([StageSpec("a", 100, {"en": -1.0})], "finite and >= 0"),
        ([StageSpec("a", 100, {"en": float("nan")})], "finite and >= 0"),
        ([StageSpec("a", 100, {"en": float("inf")})], "finite and >= 0"),
        ([StageSpec("a", 100, {"code": 1.0})], "unknown source"),
        ([StageSpec("a", 100, {"en": 0.0})], "positive sum"),
        ([StageSpec("a", 100, {"en": [1.0, 2.0, 3.0]})], "number or \\[start, end\\]"),
        ([StageSpec("a", 0, ok)], "positive integer"),
        ([StageSpec("a", 100, ok), StageSpec("a", 100, ok)], "two stages"),
        ([], "empty"),
    ]
    for specs, message in cases:
        with pytest.raises(MixtureError, match=message):
            build_stages(specs, ["en", "zh"], 10)


def test_budgets_round_up_to_whole_steps():
    stages = build_stages([StageSpec("s1", 1000, {"en": 1}), StageSpec("s2", 1001, {"en": 1})], ["en"], 100)
    assert [(s.start_step, s.num_steps) for s in stages] == [(0, 10), (10, 11)]
    assert [stage_at(stages, k) for k in (0, 9, 10, 20, 99)] == [0, 0, 1, 1, 1]


def test_ramp_is_linear_from_first_to_last_step_of_the_stage():
    # Skywork's ramp variant: STEM 10% -> 40%, the rest 90% -> 60% (sums equal: linear shares).
    stages = build_stages([StageSpec("s1", 500, {"main": 1.0}),
                           StageSpec("s2", 1100, {"main": [0.9, 0.6], "stem": [0.1, 0.4]})], ["main", "stem"], 100)
    s2 = stages[1]
    assert (s2.start_step, s2.num_steps) == (5, 11)
    shares = [weights_at(s2, k)["stem"] for k in range(5, 16)]
    assert shares[0] == pytest.approx(0.1) and shares[-1] == pytest.approx(0.4)
    assert [round(b - a, 12) for a, b in zip(shares, shares[1:])] == [0.03] * 10
    assert weights_at(stages[0], 4) == {"main": 1.0}


def test_realized_shares_within_sampling_error():
    stages = build_stages([StageSpec("s1", 20000, {"en": 49.8, "zh": 39.6, "other": 2.4, "code": 8.0})],
                          ["en", "zh", "other", "code"], 1)
    sampler = Sampler(stages, seed=7)
    n = 20000
    counts: dict[str, int] = {}
    for g in range(n):
        src = sampler.source_of(g, g)
        counts[src] = counts.get(src, 0) + 1
    for src, pct in {"en": 49.8, "zh": 39.6, "other": 2.4, "code": 8.0}.items():
        p = pct / 100
        sigma = math.sqrt(p * (1 - p) / n)
        assert abs(counts[src] / n - p) < 4 * sigma, (src, counts[src] / n, p)
    # Deterministic given the seed, different for another seed.
    assert [sampler.source_of(0, g) for g in range(50)] == [Sampler(stages, 7).source_of(0, g) for g in range(50)]
    assert [sampler.source_of(0, g) for g in range(50)] != [Sampler(stages, 8).source_of(0, g) for g in range(50)]


def test_ramp_realized_in_windows():
    stages = build_stages([StageSpec("s2", 400 * 50, {"main": [0.9, 0.6], "stem": [0.1, 0.4]})], ["main", "stem"], 50)
    sampler = Sampler(stages, seed=1)
    windows = []
    for w in range(4):  # 4 windows of 100 steps x 50 sequences
        hits = sum(sampler.source_of(k, k * 50 + j) == "stem" for k in range(w * 100, (w + 1) * 100) for j in range(50))
        expected = sum(weights_at(stages[0], k)["stem"] for k in range(w * 100, (w + 1) * 100)) * 50
        sigma = math.sqrt(5000 * 0.25)
        assert abs(hits - expected) < 4 * sigma, (w, hits, expected)
        windows.append(hits)
    assert windows == sorted(windows)


def _loader(corpus, tokenizer_dir, tmp_path, **sections):
    cfg = load_config(str(write_config(tmp_path / "c.yaml", tiny_config(tokenizer_dir, **sections))))
    env = DistEnv(0, 1, 0, torch.device("cpu"))
    indexes = build.index_sources(cfg, str(corpus))
    stages = build.plan_stages(cfg, 1, list(indexes))
    return build.build_loader(cfg, env, indexes, stages, str(tokenizer_dir / "tokenizer.json")), stages


def test_stage_boundary_is_exact(corpus, tokenizer_dir, tmp_path):
    loader, stages = _loader(corpus, tokenizer_dir, tmp_path)
    boundary = stages[0].end_step
    assert boundary == 8
    stem = loader.packers["stem"]
    for step in range(boundary):
        for _, sources in loader.step_batches(step):
            assert "stem" not in sources
    # Not one stem document was read before the boundary.
    assert stem.stream.state() == {"epoch": 0, "unit": 0, "row": 0, "empty_docs": 0} and stem.docs == []
    assert "stem" not in loader.tokens_by_source()
    seen = [s for step in range(boundary, stages[1].end_step) for _, srcs in loader.step_batches(step) for s in srcs]
    assert "stem" in seen
    per_step = loader.tokens_per_step
    assert sum(loader.realized["s1"].values()) == boundary * per_step
    assert sum(loader.realized["s2"].values()) == stages[1].num_steps * per_step


def test_optional_source_without_files_is_left_out(corpus, tokenizer_dir, tmp_path):
    sources = {"en": {"glob": "data/en/*.parquet"}, "zh": {"glob": "data/zh/*.parquet"},
               "stem": {"glob": "data/nothing/*.parquet", "optional": True}}
    loader, stages = _loader(corpus, tokenizer_dir, tmp_path, data={"sources": sources, "seq_len": 32})
    assert sorted(loader.packers) == ["en", "zh"]
    assert all("stem" not in s.weights for s in stages)


def test_realized_tokens_per_stage_match_targets(corpus, tokenizer_dir, tmp_path):
    """The loader's realized tokens per source and stage, over real shards, within 4 sigma of the
    targets (ramp included), and equal to what the batches actually carried."""
    stages_cfg = [{"name": "s1", "tokens": 8 * 4 * 300, "weights": {"en": 0.7, "zh": 0.3}},
                  {"name": "s2", "tokens": 8 * 4 * 300, "weights": {"en": 0.5, "zh": 0.3, "stem": [0.0, 0.4]}}]
    loader, stages = _loader(corpus, tokenizer_dir, tmp_path, data={"seq_len": 8},
                             mixture={"seed": 11, "stages": stages_cfg})
    carried: dict = {}
    for stage in stages:
        for step in range(stage.start_step, stage.end_step):
            for _, sources in loader.step_batches(step):
                for s in sources:
                    carried.setdefault(stage.name, {}).setdefault(s, 0)
                    carried[stage.name][s] += 8
    assert carried == loader.realized
    for stage in stages:
        n = stage.num_steps * 4  # sequences in the stage
        for src, tokens in loader.realized[stage.name].items():
            p = sum(weights_at(stage, k).get(src, 0.0) for k in range(stage.start_step, stage.end_step)) / stage.num_steps
            sigma = math.sqrt(n * p * (1 - p))
            assert abs(tokens / 8 - n * p) < 4 * sigma, (stage.name, src, tokens / 8, n * p)

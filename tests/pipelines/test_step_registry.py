"""pipelines/step_registry.py directly: every section of the default config has a builder, builds in
config order, honours `enabled`, and a step's own rejection becomes a ConfigError named after it."""
from __future__ import annotations

import apache_beam as beam
import pytest

from pipelines.config import ConfigError, load_config, step_names
from pipelines.step_registry import BUILDERS, build_steps


def test_every_enabled_default_section_builds_a_ptransform_in_config_order():
    config = load_config()
    steps = build_steps(config)
    enabled = [n for n in step_names(config) if config[n].get("enabled", True) and n in BUILDERS]
    assert [n for n, _ in steps] == enabled
    assert all(isinstance(t, beam.PTransform) for _, t in steps)
    assert "line_dedup" not in dict(steps)  # off by default


def test_disabled_steps_are_not_built():
    names = [n for n, _ in build_steps(load_config(disable=["score", "score_filter", "decontaminate"]))]
    assert not {"score", "score_filter", "decontaminate"} & set(names)
    assert "minhash_dedup" in names


def test_a_step_rejecting_its_section_is_a_config_error_prefixed_with_its_name(tmp_path):
    section = dict(load_config()["extract"])
    section.pop("enabled")
    section["extractor"] = "foo"
    with pytest.raises(ConfigError, match=r"^extract\.extractor .*foo"):
        BUILDERS["extract"](section)
    section = dict(load_config()["decontaminate"])
    section.pop("enabled")
    section["benchmarks"] = [{"name": "mine", "path": str(tmp_path / "missing.jsonl"), "fields": ["q"]}]
    with pytest.raises(ConfigError, match=r"^decontaminate"):
        BUILDERS["decontaminate"](section)

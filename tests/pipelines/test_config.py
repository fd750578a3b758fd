"""The curation config: documented defaults, overrides, unknown keys, switching steps off."""
from __future__ import annotations

import pytest

from pipelines.config import ConfigError, load_config, load_defaults, step_names
from pipelines.steps import BUILDERS, build_steps


def _write(tmp_path, text):
    path = tmp_path / "my.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_every_step_section_has_a_builder_and_a_switch():
    config = load_defaults()
    names = step_names(config)
    assert names[:3] == ["url_filter", "extract", "langid"]  # the spine runs first, in this order
    for name in names:
        assert name in BUILDERS, name
        assert isinstance(config[name].get("enabled"), bool), name


def test_override_merges_into_defaults(tmp_path):
    config = load_config(_write(tmp_path, "extract: {extractor: resiliparse}\n"))
    assert config["extract"]["extractor"] == "resiliparse"
    assert config["extract"]["min_chars"] == load_defaults()["extract"]["min_chars"]


def test_language_map_is_replaced_not_merged(tmp_path):
    config = load_config(_write(tmp_path, "langid:\n  languages: {fr: 0.6}\n"))
    assert config["langid"]["languages"] == {"fr": 0.6}


@pytest.mark.parametrize("text, message", [
    ("extract: {extracter: resiliparse}\n", "unknown config key extract.'extracter'"),
    ("dedupe: {enabled: false}\n", "unknown config key 'dedupe'"),
    ("extract: resiliparse\n", "must be a mapping"),
    ("- extract\n", "must be a mapping of step sections"),
])
def test_bad_config_files_are_errors(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(".", r"\.")):
        load_config(_write(tmp_path, text))


def test_missing_file_and_unknown_disable_are_errors(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(str(tmp_path / "nope.yaml"))
    with pytest.raises(ConfigError, match="--disable extraction: no such step"):
        load_config(disable=["extraction"])


def test_disable_switches_a_step_off_in_file_or_flag(tmp_path):
    by_flag = load_config(disable=["url_filter"])
    by_file = load_config(_write(tmp_path, "url_filter: {enabled: false}\n"))
    for config in (by_flag, by_file):
        assert "url_filter" not in [name for name, _ in build_steps(config)]
        assert [name for name, _ in build_steps(config)][:2] == ["extract", "langid"]

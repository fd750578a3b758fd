"""The curation config: one YAML file of step sections with documented defaults.

``pipelines/defaults.yaml`` holds every key with its default and the source it comes from. A
user's file overrides any subset; unknown keys are an error (a typo must not silently fall back
to a default). Every step section has ``enabled``; ``--disable STEP`` sets it to false.
"""
from __future__ import annotations

import copy
import os
from typing import Any, Iterable

import yaml

DEFAULTS_PATH = os.path.join(os.path.dirname(__file__), "defaults.yaml")
# Sections that configure the run rather than a step.
GENERAL_SECTIONS = ("read", "output")


class ConfigError(ValueError):
    """A config file that cannot be used as written."""


def _is_section(value: Any) -> bool:
    """A mapping of settings (merged key by key, unknown keys rejected), as opposed to a mapping
    that is itself a value, like ``langid.languages`` (replaced whole: its keys are the user's)."""
    return isinstance(value, dict) and ("enabled" in value or any(isinstance(v, dict) for v in value.values()))


def _merge(base: dict, override: dict, where: str) -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if key not in base:
            raise ConfigError(f"unknown config key {where}{key!r} (known: {', '.join(sorted(base))})")
        if isinstance(base[key], dict) and base[key] and not isinstance(value, dict):
            raise ConfigError(f"config key {where}{key!r} must be a mapping")
        if isinstance(value, dict) and base[key] and (not where or _is_section(base[key])):
            out[key] = _merge(base[key], value, f"{where}{key}.")
        else:
            out[key] = value
    return out


def load_defaults() -> dict[str, Any]:
    with open(DEFAULTS_PATH, encoding="utf-8") as f:
        return yaml.safe_load(f)


def step_names(config: dict[str, Any]) -> list[str]:
    return [name for name in config if name not in GENERAL_SECTIONS]


def load_config(path: str | None = None, disable: Iterable[str] = ()) -> dict[str, Any]:
    """Defaults, overridden by ``path`` when given, with the ``disable`` steps switched off."""
    config = load_defaults()
    if path:
        if not os.path.exists(path):
            raise ConfigError(f"config file not found: {path}")
        with open(path, encoding="utf-8") as f:
            user = yaml.safe_load(f) or {}
        if not isinstance(user, dict):
            raise ConfigError(f"{path}: the config must be a mapping of step sections")
        config = _merge(config, user, "")
    for name in disable:
        if name not in step_names(config):
            raise ConfigError(f"--disable {name}: no such step (steps: {', '.join(step_names(config))})")
        config[name]["enabled"] = False
    return config

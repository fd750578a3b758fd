"""The curation config: one YAML file of step sections with documented defaults.

``pipelines/defaults.yaml`` holds every key with its default and the source it comes from. A
user's file overrides any subset; unknown keys are an error (a typo must not silently fall back
to a default), and so is a value of another type than its default's (``min_chars: abc``, a
negative count), and so is a value outside its range (:data:`RANGES`: a score threshold above 1,
a MinHash threshold of 0). Every error names its key. Every step section has ``enabled``;
``--disable STEP`` sets it to false.

Files that ship with skypile are named ``pkg://<package>/<path>`` (e.g.
``pkg://pipelines/data/gsm8k/test.jsonl``, :mod:`transforms.paths`): checked here against the
installed package, resolved by each step where it opens the file, so the defaults work wherever
skypile is installed; a user's file may use the same syntax.
"""
from __future__ import annotations

import copy
import fnmatch
import os
from typing import Any, Iterable

import yaml

from skypile_common.settings import check_known_keys, load_yaml_file
from transforms.paths import PACKAGE_SCHEME, package_path

DEFAULTS_PATH = os.path.join(os.path.dirname(__file__), "defaults.yaml")
# Sections that configure the run rather than a step.
GENERAL_SECTIONS = ("read", "output")
# (dotted key pattern, low, high, low included, high included): the range of every number a key
# matching the pattern holds (fnmatch: ``*`` crosses dots). The first matching pattern decides.
# Ratios of two counts that may exceed 1 (symbols or newlines per word) only need >= 0.
RANGES = [
    ("langid.languages.*", 0, 1, True, True),  # fastText/langdetect probabilities
    ("minhash_dedup.threshold", 0, 1, False, True),  # a Jaccard similarity
    ("minhash_dedup.false_negative_weight", 0, 1, True, True),
    ("minhash_dedup.num_perm", 1, None, True, True),
    ("score_filter.min_quality.*", 0, 1, True, True),  # classifier probabilities
    ("score_filter.max_toxicity.*", 0, 1, True, True),
    ("*symbol_word_ratio", 0, None, True, True),
    ("*newline_word_ratio", 0, None, True, True),
    ("*_ratio", 0, 1, True, True),
    ("*_frac", 0, 1, True, True),
    ("*_frac.*", 0, 1, True, True),
    ("*.batch_size", 1, None, True, True),
    ("*ngram", 1, None, True, True),
    ("output.row_group_rows", 1, None, True, True),
    ("read.max_record_bytes", 1, None, True, True),
]


class ConfigError(ValueError):
    """A config file that cannot be used as written."""


class CurateError(Exception):
    """A problem found before launch (bad input glob, unusable output, bad config)."""


def _is_section(value: Any) -> bool:
    """A mapping of settings (merged key by key, unknown keys rejected), as opposed to a mapping
    that is itself a value, like ``langid.languages`` (replaced whole: its keys are the user's)."""
    return isinstance(value, dict) and ("enabled" in value or any(isinstance(v, dict) for v in value.values()))


def _type_error(default: Any, value: Any) -> str | None:
    """Why ``value`` cannot replace ``default`` (None when it can). ``null`` defaults take
    anything; a number where the default is a number >= 0 must be >= 0 (counts, sizes, ratios)."""
    if default is None:
        return None
    if isinstance(default, bool):
        return None if isinstance(value, bool) else "must be true or false"
    if isinstance(default, (int, float)):
        if isinstance(value, bool) or not isinstance(value, (float, int) if isinstance(default, float) else int):
            return "must be a number" if isinstance(default, float) else "must be an integer"
        return "must be >= 0" if default >= 0 and value < 0 else None
    for kind, name in ((str, "a string"), (list, "a list"), (dict, "a mapping")):
        if isinstance(default, kind):
            return None if isinstance(value, kind) else f"must be {name}"
    return None


def _merge(base: dict, override: dict, where: str) -> dict:
    out = copy.deepcopy(base)
    check_known_keys(override, sorted(base, key=str), where.rstrip(".") or "config", ConfigError)
    for key, value in override.items():
        if isinstance(base[key], dict) and base[key] and not isinstance(value, dict):
            raise ConfigError(f"config key {where}{key!r} must be a mapping")
        if isinstance(value, dict) and base[key] and (not where or _is_section(base[key])):
            out[key] = _merge(base[key], value, f"{where}{key}.")
        else:
            problem = _type_error(base[key], value)
            if problem:
                raise ConfigError(f"config key {where}{key} {problem}, got {value!r}")
            out[key] = value
    return out


def check_package_paths(value: Any, where: str = "") -> None:
    """Every ``pkg://`` string in ``value`` names a file of the installed package; errors name the
    key. The strings stay as written (each step resolves them where it opens the file)."""
    if isinstance(value, dict):
        for k, v in value.items():
            check_package_paths(v, f"{where}{k}.")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            check_package_paths(v, f"{where[:-1]}[{i}].")
    elif isinstance(value, str) and value.startswith(PACKAGE_SCHEME):
        try:
            package_path(value)
        except FileNotFoundError as exc:
            raise ConfigError(f"{where[:-1]}: {exc}") from exc


def _flat(value: Any, prefix: str = "") -> Iterable[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _flat(v, f"{prefix}{k}.")
    else:
        yield prefix[:-1], value


def _range_text(low, high, low_in, high_in) -> str:
    if high is None:
        return f">= {low}" if low_in else f"> {low}"
    return f"in {'[' if low_in else '('}{low}, {high}{']' if high_in else ')'}"


def check_ranges(config: dict[str, Any]) -> None:
    """Every number within its key's range (:data:`RANGES`), and every ``min_X`` at most its
    sibling ``max_X``; the error names the key."""
    flat = dict(_flat(config))
    for key, value in flat.items():
        rule = next((r for r in RANGES if fnmatch.fnmatchcase(key, r[0])), None)
        if rule is None:
            continue
        _, low, high, low_in, high_in = rule
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            if key.startswith("langid.languages.") or ".min_quality." in key or ".max_toxicity." in key:
                raise ConfigError(f"config key {key} must be a number {_range_text(*rule[1:])}, got {value!r}")
            continue
        inside = (value >= low if low_in else value > low) and (
            high is None or (value <= high if high_in else value < high))
        if not inside:
            raise ConfigError(f"config key {key} must be {_range_text(*rule[1:])}, got {value!r}")
    for key, value in flat.items():
        head, _, last = key.rpartition(".")
        if last.startswith("min_") and isinstance(value, (int, float)) and not isinstance(value, bool):
            other = f"{head}.max_{last[4:]}" if head else f"max_{last[4:]}"
            bound = flat.get(other)
            if isinstance(bound, (int, float)) and not isinstance(bound, bool) and value > bound:
                raise ConfigError(f"config key {key} ({value!r}) is above {other} ({bound!r})")


def load_defaults() -> dict[str, Any]:
    with open(DEFAULTS_PATH, encoding="utf-8") as f:
        return yaml.safe_load(f)


def step_names(config: dict[str, Any]) -> list[str]:
    return [name for name in config if name not in GENERAL_SECTIONS]


def load_config(path: str | None = None, disable: Iterable[str] = ()) -> dict[str, Any]:
    """Defaults, overridden by ``path`` when given, with the ``disable`` steps switched off."""
    config = load_defaults()
    if path:
        user = load_yaml_file(path, ConfigError) or {}
        if not isinstance(user, dict):
            raise ConfigError(f"{path}: the config must be a mapping of step sections")
        config = _merge(config, user, "")
    for name in disable:
        if name not in step_names(config):
            raise ConfigError(f"--disable {name}: no such step (steps: {', '.join(step_names(config))})")
        config[name]["enabled"] = False
    check_ranges(config)
    for name, section in config.items():  # a disabled step's files need not exist
        if not (isinstance(section, dict) and section.get("enabled") is False):
            check_package_paths(section, f"{name}.")
    return config

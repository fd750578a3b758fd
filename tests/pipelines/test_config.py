"""The curation config: documented defaults, overrides, unknown keys, switching steps off."""
from __future__ import annotations

import os
import re

import pytest

from pipelines.config import DEFAULTS_PATH, ConfigError, check_package_paths, load_config, load_defaults, step_names
from pipelines.step_registry import BUILDERS, build_steps
from tests.conftest import ROOT
from transforms.paths import package_path, resolve_path


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
    ("extract: {extracter: resiliparse}\n", "unknown key(s) ['extracter'] in extract (known: "),
    ("dedupe: {enabled: false}\n", "unknown key(s) ['dedupe'] in config (known: "),
    ("extract: resiliparse\n", "must be a mapping"),
    ("- extract\n", "must be a mapping of step sections"),
])
def test_bad_config_files_are_errors(tmp_path, text, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
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


def _package_dirs():
    import classifiers
    import pipelines

    return [os.path.dirname(pipelines.__file__), os.path.dirname(classifiers.__file__)]


def _strings(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, str):
        yield value


def test_every_file_the_defaults_need_ships_inside_the_package(monkeypatch):
    """No default reads ${SKYPILE_SHARED_DATA} or the checkout's parent: with the variable
    pointing nowhere, every file of an enabled step is a pkg:// path to a file in the package."""
    monkeypatch.setenv("SKYPILE_SHARED_DATA", "/nonexistent")
    with open(DEFAULTS_PATH, encoding="utf-8") as f:
        assert "${SKYPILE_SHARED_DATA}" not in "".join(line.split("#")[0] for line in f)
    config = load_config()
    paths = [s for s in _strings(config) if "/" in s]
    assert len(paths) >= 4  # UT1 folder, GSM8K, two LDNOOBW lists (plus the shipped models)
    for path in paths:
        assert path.startswith("pkg://"), path
        local = resolve_path(path)
        assert os.path.exists(local) and any(local.startswith(d + os.sep) for d in _package_dirs()), local
    assert all(name in [n for n, _ in build_steps(config)] for name in ("url_filter", "decontaminate", "score"))


def test_pkg_paths_name_files_of_the_installed_package():
    import pipelines

    assert package_path("pkg://pipelines/data/gsm8k/test.jsonl") == os.path.join(
        os.path.dirname(pipelines.__file__), "data", "gsm8k", "test.jsonl")
    check_package_paths({"a": ["x", "pkg://pipelines/defaults.yaml"]})
    with pytest.raises(ConfigError, match=r"^a\[1\]: pkg://pipelines/nope.txt: not found"):
        check_package_paths({"a": ["x", "pkg://pipelines/nope.txt"]})
    with pytest.raises(FileNotFoundError, match="no installed package 'no_such_package'"):
        package_path("pkg://no_such_package/x")


def test_a_disabled_step_may_name_a_missing_file(tmp_path):
    config = load_config(_write(tmp_path, "url_filter: {enabled: false, ut1_dir: pkg://pipelines/nope}\n"))
    assert config["url_filter"]["ut1_dir"] == "pkg://pipelines/nope"


@pytest.mark.parametrize("text, value", [
    ("extract: {min_chars: abc}\n", "extract.min_chars must be an integer, got 'abc'"),
    ("extract: {fast: yes please}\n", "extract.fast must be true or false"),
    ("url_filter: {hard_words: porn}\n", "url_filter.hard_words must be a list"),
    ("langid: {max_chars: -1}\n", "langid.max_chars must be >= 0"),
    ("minhash_dedup: {threshold: high}\n", "minhash_dedup.threshold must be a number"),
    ("heuristics: {languages: {en: {c4: {min_words_per_line: x}}}}\n",
     "heuristics.languages.en.c4.min_words_per_line must be an integer"),
])
def test_values_of_the_wrong_type_name_their_key(tmp_path, text, value):
    with pytest.raises(ConfigError, match=re.escape(value)):
        load_config(_write(tmp_path, text))


def test_an_integer_is_a_number_where_the_default_is_a_float(tmp_path):
    assert load_config(_write(tmp_path, "minhash_dedup: {threshold: 1}\n"))["minhash_dedup"]["threshold"] == 1


# One bad section per step, each through the real CLI: exit 2, one `skypile curate: error:` line
# naming the key, before launch (nothing written but the output folder's run record, if any).
BAD_SECTIONS = [
    ("read: {max_record_bytes: big}\n", "read.max_record_bytes"),
    ("url_filter: {ut1_dir: /nonexistent}\n", "url_filter.ut1_dir"),
    ("url_filter: {ut1_dir: pkg://pipelines/data/nope}\n", "url_filter.ut1_dir: pkg://pipelines/data/nope: not found"),
    ("extract: {extractor: foo}\n", "extract.extractor must be one of"),
    ("langid: {backend: foo}\n", "langid.backend must be one of"),
    ("langid: {model_path: /nonexistent/lid.176.bin}\n", "langid.model_path"),
    ("heuristics: {zh_words: foo}\n", "heuristics.zh_words must be one of"),
    ("heuristics: {languages: {zh: {chinese: {sensitive_word_lists: [/nonexistent.txt]}}}}\n",
     "heuristics: sensitive word list(s) not found"),
    ("url_dedup: {enabled: maybe}\n", "url_dedup.enabled must be true or false"),
    ("exact_dedup: {score_column: 5}\n", "exact_dedup.score_column must be a string"),
    ("minhash_dedup: {scheme: foo}\n", "scheme must be one of affine32, legacy"),
    ("minhash_dedup: {threshold: 2}\n", "config key minhash_dedup.threshold must be in (0, 1], got 2"),
    ("line_dedup: {enabled: true, max_docs: x}\n", "line_dedup.max_docs must be an integer"),
    ("pii: {email: maybe}\n", "pii.email must be true or false"),
    ("decontaminate: {benchmarks: [{name: mine, path: /nonexistent.jsonl}]}\n", "decontaminate: benchmark 'mine' file not found"),
    ("decontaminate: {n: 0}\n", "decontaminate: n and min_matching_ngrams must be >= 1"),
    ("score: {scorers: [{name: a, task: foo, kind: lexicon, path: [x]}]}\n", "score.scorers a: task must be one of"),
    ("score: {scorers: [{name: a, task: toxicity, kind: fasttext, path: /nonexistent.bin}]}\n",
     "score: fastText model not found: /nonexistent.bin"),
    ("score_filter: {enabled: true, toxicity_rule: foo}\n", "score_filter.toxicity_rule must be one of"),
    ("output: {num_shards: x}\n", "output.num_shards must be an integer"),
]


def test_bad_sections_cover_every_step():
    covered = {text.split(":")[0] for text, _ in BAD_SECTIONS}
    assert covered >= set(step_names(load_defaults())) - {"record_dedup"}


@pytest.mark.parametrize("text, message", BAD_SECTIONS)
def test_bad_config_is_one_clear_line_and_exit_2_before_launch(tmp_path, capsys, text, message):
    from pipelines import curate

    out = tmp_path / "out"
    rc = curate.main(["--input", str(ROOT / "sample" / "cc-excerpt-whirlwind.warc.gz"), "--output", str(out),
                      "--config", _write(tmp_path, text)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1 and err[0].startswith("skypile curate: error: "), err
    assert message in err[0], err[0]
    assert not (out / "report.json").exists() and not (out / "data").exists()

"""pipelines/chain_layout.py directly: output languages, and the split of the chain into the
per-file (resumable) part and the global part."""
from __future__ import annotations

from pipelines.chain_layout import output_languages, split_steps
from pipelines.config import load_config
from pipelines.step_registry import build_steps


def test_output_languages_follow_langid():
    config = load_config()
    assert output_languages(config) == list(config["langid"]["languages"]) == ["zh", "en"]
    assert output_languages(load_config(disable=["langid"])) == []


def test_split_steps_puts_the_leading_per_document_steps_in_the_per_file_part():
    steps = build_steps(load_config())
    per_file, rest = split_steps(steps)
    assert [n for n, _ in per_file] == ["url_filter", "extract", "langid", "heuristics"]
    assert [n for n, _ in rest][:3] == ["url_dedup", "exact_dedup", "minhash_dedup"]
    assert [n for n, _ in per_file + rest] == [n for n, _ in steps]
    # without the URL filter the per-file part simply starts later; dedup still ends it
    per_file, rest = split_steps(build_steps(load_config(disable=["url_filter"])))
    assert [n for n, _ in per_file] == ["extract", "langid", "heuristics"]

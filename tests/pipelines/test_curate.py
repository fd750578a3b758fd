"""pipelines/curate.py's own helpers, directly: input globs, the output probe, output languages,
and the split of the chain into the per-file (resumable) part and the global part."""
from __future__ import annotations

import pytest

from pipelines.config import load_config
from pipelines.curate import CurateError, check_output, match_inputs, output_languages, split_steps
from pipelines.step_registry import build_steps


def test_match_inputs_expands_sorts_and_dedupes_and_refuses_an_empty_glob(tmp_path):
    for name in ("b.warc.gz", "a.warc.gz", "c.jsonl"):
        (tmp_path / name).write_bytes(b"x")
    got = match_inputs([str(tmp_path / "*.warc.gz"), str(tmp_path / "a.warc.gz")])
    assert got == [str(tmp_path / "a.warc.gz"), str(tmp_path / "b.warc.gz")]
    with pytest.raises(CurateError, match="matches no files"):
        match_inputs([str(tmp_path / "*.parquet")])


def test_check_output_creates_the_folder_leaves_no_probe_and_refuses_a_file(tmp_path):
    out = tmp_path / "new" / "corpus"
    check_output(str(out))
    assert out.is_dir() and list(out.iterdir()) == []
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(CurateError, match="not writable"):
        check_output(str(blocker / "corpus"))


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

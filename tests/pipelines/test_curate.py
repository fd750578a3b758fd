"""pipelines/curate.py's own helpers, directly: input globs, the output probe."""
from __future__ import annotations

import pytest

from pipelines.curate import CurateError, check_output, match_inputs


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

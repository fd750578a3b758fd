"""run.json: what makes a run, how a folder is resumed, refused or overwritten, and the commit."""
from __future__ import annotations

import json

import pytest

from pipelines import run_state
from pipelines.config import load_config


def _manifest(shared_data, config=None, names=("sample-0000.warc.gz",)):
    files = [str(shared_data / "warc/dolma" / n) for n in names]
    return run_state.manifest(run_state.describe_inputs(files), config or load_config(), {"write_rejected": False})


def test_inputs_are_described_by_size_and_content(shared_data, tmp_path):
    copy = tmp_path / "a.warc.gz"
    copy.write_bytes((shared_data / "warc/dolma/sample-0000.warc.gz").read_bytes())
    [entry] = run_state.describe_inputs([str(copy)])
    assert entry["size"] == copy.stat().st_size and entry["fingerprint"].startswith("sha256:")
    key = run_state.input_key(entry)
    data = bytearray(copy.read_bytes())
    data[1000] ^= 1  # same size, one bit changed
    copy.write_bytes(bytes(data))
    [changed] = run_state.describe_inputs([str(copy)])
    assert changed["size"] == entry["size"] and changed["fingerprint"] != entry["fingerprint"]
    assert run_state.input_key(changed) != key


def test_differences_name_inputs_flags_and_config_keys(shared_data):
    old = _manifest(shared_data)
    config = load_config()
    config["output"]["num_shards"] = 3
    new = _manifest(shared_data, config, names=("sample-0001.warc.gz",))
    new["flags"]["write_rejected"] = True
    lines = run_state.differences(old, new)
    assert any(line.startswith("input removed:") and "sample-0000" in line for line in lines)
    assert any(line.startswith("input added:") and "sample-0001" in line for line in lines)
    assert "write_rejected False -> True" in lines
    assert "config output.num_shards: 1 -> 3" in lines
    assert run_state.differences(old, old) == []


def test_prepare_new_resume_done_commit_refuse_overwrite(shared_data, tmp_path):
    out = str(tmp_path / "out")
    first = _manifest(shared_data)
    assert run_state.prepare(out, first, overwrite=False) == "new"
    assert json.loads((tmp_path / "out/run.json").read_text())["inputs"] == first["inputs"]
    staged = tmp_path / "out/_work/staging/data/en/train-00000-of-00001.parquet"
    staged.parent.mkdir(parents=True)
    staged.write_bytes(b"half")
    assert run_state.prepare(out, first, overwrite=False) == "resume"
    assert not staged.exists()  # a killed run's half-written staging is redone

    (tmp_path / "out/_work/staging").mkdir(exist_ok=True)
    (tmp_path / "out/_work/staging/report.json").write_text("{}")
    (tmp_path / "out/_work/staging/data/en").mkdir(parents=True, exist_ok=True)
    (tmp_path / "out/_work/staging/data/en/x.parquet").write_bytes(b"rows")
    (tmp_path / "out/_work/COMMIT").write_text("")
    assert run_state.prepare(out, first, overwrite=False) == "commit"
    run_state.commit(out)
    assert (tmp_path / "out/report.json").read_text() == "{}"
    assert (tmp_path / "out/data/en/x.parquet").read_bytes() == b"rows"
    assert not (tmp_path / "out/_work").exists()
    assert run_state.prepare(out, first, overwrite=False) == "done"

    other = _manifest(shared_data, names=("sample-0001.warc.gz",))
    with pytest.raises(run_state.RunStateError, match="holds another run.*input added"):
        run_state.prepare(out, other, overwrite=False)
    assert run_state.prepare(out, other, overwrite=True) == "new"
    assert sorted(p.name for p in (tmp_path / "out").rglob("*")) == ["run.json"]  # nothing survives


def test_a_folder_of_other_files_is_refused_even_with_overwrite(shared_data, tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    for overwrite in (False, True):
        with pytest.raises(run_state.RunStateError, match="holds no skypile run"):
            run_state.prepare(str(tmp_path), _manifest(shared_data), overwrite)
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_a_file_the_config_names_is_part_of_the_run(shared_data, tmp_path):
    words = tmp_path / "words.txt"
    words.write_text("casino\n")
    config = load_config()
    config["url_filter"]["ut1_dir"] = str(tmp_path)  # a folder: fingerprinted file by file
    config["heuristics"]["languages"]["zh"]["chinese"]["sensitive_word_lists"] = [str(words)]
    before = _manifest(shared_data, config)
    assert str(words) in before["resources"] and str(tmp_path) in before["resources"]
    words.write_text("casino\nlottery\n")  # e.g. a model or word list replaced before a resume
    lines = run_state.differences(before, _manifest(shared_data, config))
    assert lines == [f"file changed: {tmp_path}", f"file changed: {words}"]

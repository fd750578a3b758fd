"""What a user can get wrong with ``skypile curate`` (docs/mistakes.md), each through the real CLI:
one line on stderr and exit 2 before launch, or the right result; never a traceback or a silent drop."""
from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import time
import zlib

import pytest

from pipelines import curate, output_lock
from pipelines.config import load_defaults, step_names
from tests.conftest import ROOT

SAMPLE = ROOT / "sample"
WARCS = sorted(str(p) for p in SAMPLE.glob("*.warc.gz"))
ALL_STEPS = [a for name in step_names(load_defaults()) for a in ("--disable", name)]
SAMPLE_RECORDS = 170  # every record of the six sample WARCs (read's funnel row)


def exit_code(main, argv: list[str]) -> int:
    """``main(argv)``'s exit status, argparse's SystemExit included."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def one_error_line(capsys, rc: int, prog: str = "skypile curate") -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2, err
    assert len(err) == 1 and err[0].startswith(f"{prog}: error: "), err
    return err[0]


def test_several_paths_after_one_input_are_all_read(tmp_path, capsys):
    """An unquoted glob: the shell passes six paths after one --input."""
    report = curate.run(["--input", *WARCS, "--output", str(tmp_path / "out"), *ALL_STEPS])
    assert report["records_in"] == SAMPLE_RECORDS and report["balanced"]
    assert len(report["inputs"]) == len(WARCS) == 6


def test_bare_glob_and_bracket_name_in_the_current_folder(tmp_path, monkeypatch, capsys):
    """``cd sample && skypile curate --input '*.warc.gz' --output ../out``; a file literally named
    ``data[1].warc.gz`` is a name, not a glob."""
    folder = tmp_path / "in"
    folder.mkdir()
    for path in WARCS:
        shutil.copy(path, folder)
    shutil.copy(SAMPLE / "cc-excerpt-whirlwind.warc.gz", folder / "data[1].warc.gz")
    monkeypatch.chdir(folder)
    assert curate.match_inputs(["data[1].warc.gz"]) == [str(folder / "data[1].warc.gz")]
    assert len(curate.match_inputs(["*.warc.gz"])) == 7
    report = curate.run(["--input", "*.warc.gz", "--output", "../out", *ALL_STEPS])
    whirlwind = curate.run(["--input", "data[1].warc.gz", "--output", "../one", *ALL_STEPS])
    assert report["records_in"] == SAMPLE_RECORDS + whirlwind["records_in"]
    assert whirlwind["records_in"] > 0 and report["inputs"][0].startswith(str(folder))
    assert (tmp_path / "out" / "report.json").is_file()


@pytest.mark.parametrize("flags, message", [
    (["--write-rejectd"], "--write-rejectd (did you mean --write-rejected?)"),
    (["--bogus-flag", "3"], "unknown option(s), neither curate's nor Beam's: --bogus-flag"),
    (["--runer", "DataflowRunner"], "--runer (did you mean --runner?)"),
    (["--runner", "NoSuchRunner"], "--runner NoSuchRunner: not a Beam runner"),
    (["--direct_num_workers", "two"], "argument --direct_num_workers: invalid int value: 'two'"),
    (["--overwrit"], "--overwrit (did you mean --overwrite?)"),
    (["--out", "x"], "--out (did you mean --output?)"),
])
def test_misspelled_or_unknown_flags_are_refused(tmp_path, capsys, flags, message):
    out = tmp_path / "out"
    rc = curate.main(["--input", WARCS[0], "--output", str(out), *flags])
    assert message in one_error_line(capsys, rc)
    assert not out.exists()


def test_beam_flags_still_reach_beam(tmp_path, capsys):
    """Beam's own flags pass (a known flag of any PipelineOptions class, and ours: --score_model)."""
    from pipelines.beam_flags import pipeline_options

    options = pipeline_options(["--runner", "FnApiRunner", "--direct_num_workers", "2", "--project=p",
                                "--temp_location", "gs://b/t", "--experiments", "a", "--score_model", "cold=x.json"])
    got = options.get_all_options(drop_default=True)
    assert got["direct_num_workers"] == 2 and got["project"] == "p" and got["score_model"] == ["cold=x.json"]


@pytest.mark.parametrize("argv, message", [
    (["--output", "OUT"], "the following arguments are required: --input"),
    (["--input", str(SAMPLE)], "is a folder; give its files"),
    (["--input", str(SAMPLE / "*.parquet")], "matches no files"),
    (["--input", str(SAMPLE / "nope.warc.gz")], "matches no files"),
    (["--input", WARCS[0], "--disable", "nosuch"], "--disable nosuch: no such step"),
    (["--input", WARCS[0], "--config", "CONFIG_DIR"], "is a folder, not a YAML file"),
    (["--input", WARCS[0], "--config", "missing.yaml"], "config file not found"),
])
def test_bad_inputs_are_one_line_and_leave_no_folder(tmp_path, capsys, argv, message):
    out = tmp_path / "out"
    argv = [str(out) if a == "OUT" else str(tmp_path) if a == "CONFIG_DIR" else a for a in argv]
    argv = argv if "--output" in argv else [*argv, "--output", str(out)]
    assert message in one_error_line(capsys, exit_code(curate.main, argv))
    assert not out.exists()  # an output folder this run created is not left behind


@pytest.mark.parametrize("text, message", [
    ("langid: {languages: {zh: 1.5, en: -0.2}}\n", "config key langid.languages.zh must be in [0, 1], got 1.5"),
    ("langid: {languages: {zh: high}}\n", "config key langid.languages.zh must be a number in [0, 1]"),
    ("minhash_dedup: {threshold: 1.5}\n", "config key minhash_dedup.threshold must be in (0, 1], got 1.5"),
    ("minhash_dedup: {threshold: 0}\n", "config key minhash_dedup.threshold must be in (0, 1], got 0"),
    ("minhash_dedup: {threshold: 1.0}\n", "minhash_dedup.threshold 1.0: bands and rows are derived only for a threshold below 1"),
    ("minhash_dedup: {bands: 20, rows: 8}\n", "minhash_dedup: 20 bands x 8 rows need num_perm >= 160, got 128"),
    ("score_filter: {max_toxicity: {cold: 2}}\n", "config key score_filter.max_toxicity.cold must be in [0, 1]"),
    ("heuristics: {languages: {en: {gopher_quality: {min_doc_words: 500, max_doc_words: 100}}}}\n",
     "gopher_quality.min_doc_words (500) is above heuristics.languages.en.gopher_quality.max_doc_words (100)"),
    ("heuristics: {languages: {zh: {chinese: {min_han_ratio: 1.2}}}}\n",
     "config key heuristics.languages.zh.chinese.min_han_ratio must be in [0, 1]"),
    ("output: {row_group_rows: 0}\n", "config key output.row_group_rows must be >= 1"),
    ("score_filter: {min_quality: {nosuch: 0.5}}\n", "score_filter: no earlier step writes ['quality_nosuch']"),
    ("langid: [zh,\n", "not valid YAML at line 2, column 1"),
    ("- a\n- b\n", "the config must be a mapping of step sections"),
])
def test_bad_config_values_name_their_key(tmp_path, capsys, text, message):
    config = tmp_path / "c.yaml"
    config.write_text(text, encoding="utf-8")
    rc = curate.main(["--input", WARCS[0], "--output", str(tmp_path / "out"), "--config", str(config)])
    line = one_error_line(capsys, rc)
    assert message in line, line
    assert "score_filter: score_filter:" not in line


def test_config_paths_relative_to_the_current_folder_become_absolute(tmp_path, monkeypatch):
    from pipelines.user_paths import absolute_config_paths

    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "words.txt").write_text("x\n")
    (tmp_path / "model.bin").write_bytes(b"x")
    monkeypatch.chdir(tmp_path)
    got = absolute_config_paths({"a": "lists/words.txt", "b": ["model.bin", "."], "c": "pkg://pipelines/x",
                                 "d": "gs://b/m.bin", "e": "lists/missing.txt", "f": "en"})
    assert got == {"a": str(tmp_path / "lists" / "words.txt"), "b": [str(tmp_path / "model.bin"), "."],
                   "c": "pkg://pipelines/x", "d": "gs://b/m.bin", "e": "lists/missing.txt", "f": "en"}


def test_a_held_output_folder_is_refused_with_one_line(tmp_path, capsys):
    out = tmp_path / "out"
    with output_lock.hold(str(out), "another curate"):
        rc = curate.main(["--input", WARCS[0], "--output", str(out), *ALL_STEPS])
        line = one_error_line(capsys, rc)
        assert "is in use by another skypile curate" in line and f"pid {os.getpid()}" in line
        assert sorted(p.name for p in out.iterdir()) == [output_lock.LOCK_NAME]  # nothing else written
    assert list(out.iterdir()) == []


def test_a_lock_left_by_a_killed_run_does_not_block_the_next(tmp_path, capsys):
    out = tmp_path / "out"
    killed = subprocess.run(
        [sys.executable, "-c", "import os, signal, sys; from pipelines import output_lock\n"
                               f"with output_lock.hold({str(out)!r}, 'killed'):\n"
                               "    os.kill(os.getpid(), signal.SIGKILL)"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=60)
    assert killed.returncode == -9
    left = json.loads((out / output_lock.LOCK_NAME).read_text())
    assert left["command"] == "killed"
    report = curate.run(["--input", WARCS[0], "--output", str(out), *ALL_STEPS])
    assert report["balanced"] and f"pid {left['pid']}" in capsys.readouterr().err
    assert not (out / output_lock.LOCK_NAME).exists() and not (out / "_work").exists()


def test_two_concurrent_runs_into_one_folder(tmp_path):
    """The second is refused with one line while the first runs; the first finishes unharmed."""
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "pipelines.cli", "curate", "--input", *WARCS, "--output", str(out)]
    first = subprocess.Popen(argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (out / output_lock.LOCK_NAME).exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    second = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    stdout, stderr = first.communicate(timeout=600)
    assert first.returncode == 0, stderr[-2000:]
    err = second.stderr.strip().splitlines()
    assert second.returncode == 2 and len(err) == 1 and "is in use by another skypile curate" in err[0], err
    report = json.loads((out / "report.json").read_text())
    assert report["balanced"] and report["records_in"] == SAMPLE_RECORDS
    names = {p.relative_to(out).as_posix() for p in out.rglob("*")}
    assert not any(n.startswith("_work") or "probe" in n or n == output_lock.LOCK_NAME for n in names), names


def test_bom_and_truncated_jsonl_gz_count_every_record_once(shared_data, tmp_path):
    """A UTF-8 BOM does not lose the first record; a .jsonl.gz cut inside its last record counts
    that record once (read_truncated), not also as read_bad_json."""
    lines = (shared_data / "eval/en_domains/en_tech_python_peps_2023plus.jsonl").read_text(encoding="utf-8").splitlines()[:6]
    assert all(len(line) > 2000 for line in lines[-1:])
    bom = tmp_path / "bom.jsonl"
    bom.write_bytes(b"\xef\xbb\xbf" + "\n".join(lines).encode("utf-8") + b"\n")
    packed = gzip.compress("\n".join(lines).encode("utf-8") + b"\n")
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(packed[:-40])  # the trailer and the end of the last record
    plain = zlib.decompressobj(wbits=31).decompress(packed[:-40])
    assert plain.count(b"\n") == len(lines) - 1 and not plain.endswith(b"\n")
    report = curate.run(["--input", str(bom), str(cut), "--output", str(tmp_path / "out"), *ALL_STEPS])
    assert report["records_in"] == 2 * len(lines)
    assert report["dropped"] == {"read_truncated": 1} and report["kept"] == 2 * len(lines) - 1


@pytest.mark.parametrize("argv, message", [
    (["curat"], "unknown command 'curat' (did you mean curate?"),
    (["fly"], "unknown command 'fly' (commands: curate, release,"),
])
def test_an_unknown_command_is_one_line(capsys, argv, message):
    from pipelines.cli import main

    assert message in one_error_line(capsys, main(argv), "skypile")

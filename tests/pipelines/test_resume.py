"""Runs that survive: a `skypile curate` killed with SIGKILL and started again ends byte for byte
like an uninterrupted run; an output folder only ever holds one run."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pyarrow.parquet as pq

from tests.conftest import ROOT

SKYPILE = [sys.executable, "-m", "pipelines.cli", "curate"]


def _args(shared_data, out, *extra):
    return [*SKYPILE, "--input", str(shared_data / "warc/dolma/sample-0000.warc.gz"),
            "--input", str(shared_data / "warc/commoncrawl_whirlwind/whirlwind.warc.gz"), "--output", str(out),
            "--write-rejected", *extra]


def _curate(args, **kw):
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600, **kw)


def _kill_at(args, point):
    """Start the command, wait until it reports reaching ``point``, SIGKILL it."""
    env = dict(os.environ, SKYPILE_PAUSE_AT=point)
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if f"paused at {point}" in line:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "".join(seen)[-3000:]


def _snapshot(out):
    """Every file of a run, by relative path: bytes, except rejects (compared as sorted rows)."""
    files = {}
    for path in sorted(out.rglob("*")):
        if path.is_file():
            rel = str(path.relative_to(out))
            if rel.startswith("rejected/"):
                files[rel.split("/")[0]] = None
            else:
                files[rel] = path.read_bytes()
    rejected = sorted((r["id"], r["step"], r["reason"]) for r in pq.read_table(out / "rejected").to_pylist())
    return files, rejected


def test_killed_four_times_then_resumed_equals_an_uninterrupted_run(shared_data, tmp_path):
    whole = tmp_path / "whole"
    proc = _curate(_args(shared_data, whole))
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = tmp_path / "resumed"
    args = _args(shared_data, out)

    _kill_at(args, "file_written")  # during the per-file work: one of the two inputs done
    work = sorted((out / "_work/files").glob("*.parquet"))
    assert len(work) == 1 and not (out / "report.json").exists() and not (out / "data").exists()
    first = (work[0].name, work[0].stat().st_mtime_ns)

    _kill_at(args, "global")  # during the global steps: the finished input was not redone
    work = sorted((out / "_work/files").glob("*.parquet"))
    assert len(work) == 2 and (first[0], first[1]) in {(w.name, w.stat().st_mtime_ns) for w in work}
    _kill_at(args, "write")  # a shard staged, nothing of it in the output yet
    assert list((out / "_work/staging/data").rglob("*.parquet")) and not (out / "data").exists()
    _kill_at(args, "commit")  # half moved: shards in place, no report yet
    assert (out / "data").exists() and not (out / "report.json").exists()
    release = subprocess.run([sys.executable, "-m", "pipelines.cli", "release", "--corpus", str(out),
                              "--out", str(tmp_path / "rel")], cwd=ROOT, capture_output=True, text=True)
    assert release.returncode == 2 and "no report.json" in release.stderr

    proc = _curate(args)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not (out / "_work").exists()
    assert _snapshot(out) == _snapshot(whole)  # shards, report.json, report.md, funnel, run.json
    report = json.loads((out / "report.json").read_text())
    assert report["balanced"] and report["kept"] == sum(
        pq.ParquetFile(f).metadata.num_rows for f in (out / "data").rglob("*.parquet"))

    again = _curate(args)  # a finished run is reported, not redone
    assert again.returncode == 0 and "has finished" in again.stderr
    assert _snapshot(out) == _snapshot(whole)


def test_another_config_into_the_same_folder_is_refused_or_overwritten(shared_data, tmp_path):
    """The case of the issue: num_shards 3, then the default config into the same folder."""
    out = tmp_path / "c"
    three = tmp_path / "three.yaml"
    three.write_text("output:\n  num_shards: 3\n")
    args = [*SKYPILE, "--input", str(shared_data / "warc/dolma/sample-0000.warc.gz"), "--output", str(out)]
    proc = _curate([*args, "--config", str(three)])
    assert proc.returncode == 0, proc.stderr[-3000:]
    first = sorted(p.name for p in (out / "data/en").iterdir())
    assert len(first) > 1 and all(name.endswith("-of-00003.parquet") for name in first)

    refused = _curate(args)
    assert refused.returncode == 2
    assert "holds another run" in refused.stderr and "output.num_shards: 3 -> 1" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in (out / "data/en").iterdir()) == first  # untouched

    proc = _curate([*args, "--overwrite"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert sorted(p.name for p in (out / "data/en").iterdir()) == ["train-00000-of-00001.parquet"]
    report = json.loads((out / "report.json").read_text())
    rows = sum(pq.ParquetFile(f).metadata.num_rows for f in (out / "data").rglob("*.parquet"))
    assert rows == report["kept"] > 0
    assert json.loads((out / "run.json").read_text())["config"]["output"]["num_shards"] == 1


def test_a_folder_that_is_no_run_is_never_deleted(shared_data, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("not a skypile run")
    args = [*SKYPILE, "--input", str(shared_data / "warc/dolma/sample-0000.warc.gz"), "--output", str(out)]
    for extra in ([], ["--overwrite"]):
        proc = _curate([*args, *extra])
        assert proc.returncode == 2 and "holds no skypile run" in proc.stderr
    assert (out / "notes.txt").read_text() == "not a skypile run"

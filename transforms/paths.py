"""File paths in step configs: files shipped inside skypile, and the shared-data placeholder.

``pkg://<package>/<path>`` names a file inside an installed skypile package (the default UT1
lists, word lists, GSM8K and models: ``pkg://pipelines/data/ut1``). It is resolved where the
file is opened, so a launcher and its Dataflow workers may have skypile installed in different
places. ``${SKYPILE_SHARED_DATA}`` expands to that environment variable, an override for paths
you write yourself (no default uses it); unset, such a path is an error, never the checkout's
parent folder.
"""
from __future__ import annotations

import importlib.util
import os

PACKAGE_SCHEME = "pkg://"
SHARED_DATA_VAR = "SKYPILE_SHARED_DATA"


def package_path(value: str) -> str:
    """The file behind ``pkg://<package>/<path>`` in the installed package; FileNotFoundError
    when the package or the file is not there."""
    package, _, rest = value[len(PACKAGE_SCHEME):].partition("/")
    spec = importlib.util.find_spec(package) if package.isidentifier() else None
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"{value}: no installed package {package!r}")
    path = os.path.join(list(spec.submodule_search_locations)[0], *rest.split("/"))
    if not os.path.exists(path):
        raise FileNotFoundError(f"{value}: not found (looked for {path})")
    return path


def resolve_path(path: str) -> str:
    """A local path for ``path``: ``pkg://`` resolved, ``${SKYPILE_SHARED_DATA}`` and ``~`` expanded."""
    if path.startswith(PACKAGE_SCHEME):
        return package_path(path)
    placeholder = "${" + SHARED_DATA_VAR + "}"
    if placeholder in path:
        if not os.environ.get(SHARED_DATA_VAR):
            raise FileNotFoundError(f"{path}: names {placeholder} but {SHARED_DATA_VAR} is not set")
        path = path.replace(placeholder, os.environ[SHARED_DATA_VAR])
    return os.path.normpath(os.path.expanduser(path))

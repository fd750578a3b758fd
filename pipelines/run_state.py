"""One output folder is one run: ``DIR/run.json``, resuming, and the atomic commit of the results.

``run.json`` records what defines a run: every input (path, size, content fingerprint), the
resolved config (and its fingerprint), the files it names (models, word lists, benchmark sets:
their fingerprints), the flags that change what is written, and the skypile version. Starting ``skypile curate`` into a folder then goes one of four ways:

- the folder is new or empty: the run starts and writes ``run.json`` first;
- ``run.json`` matches: the run resumes. Per-input work already under ``DIR/_work/files/`` is
  skipped, a half-written staging folder is discarded, an interrupted commit is finished, and a
  finished run (``report.json`` present) is reported again without running anything;
- it differs: refused before launch with the differences listed, unless ``--overwrite``, which
  first deletes every file of the earlier run;
- the folder holds files but no ``run.json`` or ``report.json``: refused (it is not a skypile
  output, and ``--overwrite`` never deletes what skypile did not write).

Results reach ``DIR`` in one commit: the pipeline writes shards, index and rejects under
``DIR/_work/staging/``; the driver adds the reports there, writes ``DIR/_work/COMMIT`` (atomic: a
temporary name, then a rename), then moves every staged file into place, ``report.json`` last, and
deletes ``_work``. A folder with ``report.json`` therefore always holds one complete run. Everything
goes through Beam's FileSystems, so the folder may be ``gs://...`` as well.
"""
from __future__ import annotations

import hashlib
import json
import os
import uuid
from importlib import metadata
from typing import Any

from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from pipelines.output_lock import LOCK_NAME
from transforms.pause import pause_point

RUN_JSON = "run.json"
REPORT_JSON = "report.json"
WORK = "_work"
STAGING = "staging"
COMMIT = "COMMIT"
FORMAT = 1
HASH_CHUNK = 1 << 20


class RunStateError(Exception):
    """The output folder holds something else than a resumable copy of this run."""


def work_dir(output: str) -> str:
    return FileSystems.join(output, WORK)


def staging_dir(output: str) -> str:
    return FileSystems.join(output, WORK, STAGING)


def is_local(path: str) -> bool:
    return FileSystems.get_scheme(path) is None


def content_fingerprint(path: str) -> str:
    """SHA-256 of a local file's bytes; an object store's own checksum (GCS crc32c/md5, S3 ETag)
    for remote files, which it keeps without the file being read again."""
    if not is_local(path):
        return f"{FileSystems.get_scheme(path)}:{FileSystems.checksum(path)}"
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(HASH_CHUNK), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def describe_inputs(files: list[str]) -> list[dict[str, Any]]:
    out = []
    for path in files:
        # metadata, not match: a file name may hold glob characters (``data[1].warc.gz``)
        size = FileSystems.get_filesystem(path).metadata(path).size_in_bytes
        out.append({"path": path, "size": size, "fingerprint": content_fingerprint(path)})
    return out


def input_key(entry: dict[str, Any]) -> str:
    """The name of an input's work file: changes whenever the path, size or content does."""
    raw = "\x1f".join([entry["path"], str(entry["size"]), entry["fingerprint"]])
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:24]


def config_fingerprint(config: dict[str, Any]) -> str:
    canonical = json.dumps(config, sort_keys=True, default=str, ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def skypile_version() -> str:
    try:
        return metadata.version("skypile")
    except metadata.PackageNotFoundError:
        return "unknown"


def _strings(value: Any):
    if isinstance(value, dict):
        for sub in value.values():
            yield from _strings(sub)
    elif isinstance(value, (list, tuple)):
        for sub in value:
            yield from _strings(sub)
    elif isinstance(value, str):
        yield value


def resource_fingerprints(config: dict[str, Any]) -> dict[str, str]:
    """``{config value: fingerprint}`` of every file or folder the config names (models, word
    lists, benchmark sets): a model replaced between a kill and the resume is another run."""
    from transforms.paths import PACKAGE_SCHEME, resolve_path

    out = {}
    for value in sorted(set(_strings(config))):
        if "/" not in value:
            continue
        try:
            remote = not value.startswith(PACKAGE_SCHEME) and FileSystems.get_scheme(value) is not None
            path = value if remote else resolve_path(value)
            if remote:
                if FileSystems.exists(path):
                    out[value] = content_fingerprint(path)
                continue
        except (OSError, ValueError):  # not a path, or a scheme Beam has no file system for
            continue
        if os.path.isfile(path):
            out[value] = content_fingerprint(path)
        elif os.path.isdir(path):
            digest = hashlib.sha256()
            for name in _entries(path):
                digest.update(f"{os.path.relpath(name, path)}\x1f{content_fingerprint(name)}\n".encode("utf-8"))
            out[value] = "sha256-tree:" + digest.hexdigest()
    return out


def manifest(inputs: list[dict[str, Any]], config: dict[str, Any], flags: dict[str, Any]) -> dict[str, Any]:
    return {"format": FORMAT, "skypile": skypile_version(), "inputs": inputs,
            "config_fingerprint": config_fingerprint(config), "resources": resource_fingerprints(config),
            "flags": flags, "config": config}


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, sub in value.items():
            out.update(_flatten(sub, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): value}


def differences(old: dict[str, Any], new: dict[str, Any], limit: int = 12) -> list[str]:
    """What makes ``new`` another run than ``old``, one line per difference."""
    lines = []
    if old.get("skypile") != new["skypile"]:
        lines.append(f"skypile version {old.get('skypile')} -> {new['skypile']}")
    before = {e["path"]: e for e in old.get("inputs", [])}
    after = {e["path"]: e for e in new["inputs"]}
    lines += [f"input removed: {p}" for p in sorted(set(before) - set(after))]
    lines += [f"input added: {p}" for p in sorted(set(after) - set(before))]
    lines += [f"input changed: {p} (size {before[p]['size']} -> {after[p]['size']})"
              for p in sorted(set(before) & set(after)) if before[p] != after[p]]
    before_res, after_res = old.get("resources", {}), new.get("resources", {})
    lines += [f"file changed: {k}" for k in sorted(set(before_res) | set(after_res))
              if before_res.get(k) != after_res.get(k)]
    for key in sorted(set(old.get("flags", {})) | set(new["flags"])):
        if old.get("flags", {}).get(key) != new["flags"].get(key):
            lines.append(f"{key} {old.get('flags', {}).get(key)!r} -> {new['flags'].get(key)!r}")
    if old.get("config_fingerprint") != new["config_fingerprint"]:
        a, b = _flatten(old.get("config", {})), _flatten(new["config"])
        changed = [k for k in sorted(set(a) | set(b)) if a.get(k, "<unset>") != b.get(k, "<unset>")]
        lines += [f"config {k}: {a.get(k, '<unset>')!r} -> {b.get(k, '<unset>')!r}" for k in changed]
        if not changed:
            lines.append("config fingerprint differs")
    if len(lines) > limit:
        lines = lines[:limit] + [f"... and {len(lines) - limit} more"]
    return lines


def _entries(folder: str) -> list[str]:
    """Paths of every file under ``folder`` (recursively) but the run's lock; empty when it does
    not exist."""
    if is_local(folder):
        if not os.path.isdir(folder):
            return []
        return sorted(os.path.join(root, name) for root, _, names in os.walk(folder) for name in names
                      if name != LOCK_NAME)
    return sorted(m.path for m in FileSystems.match([FileSystems.join(folder, "**")])[0].metadata_list)


def read_json(path: str) -> dict[str, Any] | None:
    if not FileSystems.exists(path):
        return None
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        return json.loads(f.read().decode("utf-8"))


def write_atomic(path: str, data: bytes) -> None:
    """Write under a temporary name, then rename: a reader sees the whole file or none."""
    tmp = f"{path}.tmp-{uuid.uuid4().hex[:12]}"
    with FileSystems.create(tmp, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        f.write(data)
    FileSystems.rename([tmp], [path])


def delete_all(output: str) -> None:
    paths = _entries(output)
    if paths:
        FileSystems.delete(paths)
    if is_local(output):
        for root, dirs, _ in sorted(os.walk(output), reverse=True):
            for name in dirs:
                os.rmdir(os.path.join(root, name))


def prepare(output: str, new: dict[str, Any], overwrite: bool) -> str:
    """Make ``output`` hold this run; returns ``"new"``, ``"resume"``, ``"commit"`` (an interrupted
    commit to finish) or ``"done"`` (already finished)."""
    old = read_json(FileSystems.join(output, RUN_JSON))
    files = [p for p in _entries(output) if not p.endswith(".skypile-write-probe")]
    if old is not None and not overwrite:
        diff = differences(old, new)
        if diff:
            raise RunStateError(f"--output {output} holds another run ({'; '.join(diff)}); use a new "
                                "folder, the same command to resume it, or --overwrite to delete it first")
    elif files and old is None and not FileSystems.exists(FileSystems.join(output, REPORT_JSON)):
        raise RunStateError(f"--output {output} is not empty and holds no skypile run (no run.json): "
                            f"{len(files)} file(s), e.g. {files[0]}; choose an empty or new folder")
    elif files and not overwrite:
        raise RunStateError(f"--output {output} holds an earlier run without run.json; pass --overwrite "
                            "to delete it first, or choose an empty or new folder")
    if old is not None and not overwrite:
        if FileSystems.exists(FileSystems.join(output, WORK, COMMIT)):
            return "commit"
        if FileSystems.exists(FileSystems.join(output, REPORT_JSON)):
            return "done"
        # A killed run's half-written staging folder and temporary work files are redone.
        stale = [p for p in _entries(work_dir(output)) if ".tmp-" in p or f"/{STAGING}/" in p]
        if stale:
            FileSystems.delete(stale)
        return "resume"
    if files:
        delete_all(output)
    write_atomic(FileSystems.join(output, RUN_JSON),
                 json.dumps(new, indent=2, sort_keys=True, default=str, ensure_ascii=False).encode("utf-8"))
    return "new"


def _local_parent(path: str) -> None:
    if is_local(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)


def commit(output: str) -> None:
    """Move the staged results into ``output`` (``report.json`` last), then delete ``_work``.
    Safe to run again after a kill at any point: it moves what is still staged."""
    staging = staging_dir(output)
    marker = FileSystems.join(output, WORK, COMMIT)
    if not FileSystems.exists(marker):
        write_atomic(marker, b"staged results complete\n")
    staged = _entries(staging)
    report = FileSystems.join(staging, REPORT_JSON)
    ordered = [p for p in staged if p != report] + ([report] if report in staged else [])
    for i, src in enumerate(ordered):
        dst = FileSystems.join(output, src[len(staging):].lstrip("/"))
        _local_parent(dst)
        if FileSystems.exists(dst):
            FileSystems.delete([dst])
        FileSystems.rename([src], [dst])
        if i == 0:
            pause_point("commit")
    delete_all(work_dir(output))
    if is_local(output) and os.path.isdir(work_dir(output)):
        os.rmdir(work_dir(output))

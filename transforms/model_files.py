"""Model files of the ``score`` step wherever they are: the pre-launch check (:func:`validate_model`)
and, on the worker, a local copy of remote (``gs://``, ``s3://``) files (:func:`local_copy`), both
through Beam's FileSystems. The classifiers themselves live in :mod:`classifiers` and never import Beam.
"""
from __future__ import annotations

import os
import tempfile

from apache_beam.io.filesystems import FileSystems

from classifiers.base import ModelFileError
from classifiers.kinds import check_files


def is_remote(path: str) -> bool:
    return FileSystems.get_scheme(path) not in (None, "file")


def validate_model(kind: str, path: str) -> None:
    """Local files get the full check (fastText layout walked, safetensors headers read, word
    lists read); remote ones are checked for presence and, for fastText, the file header."""
    if not is_remote(path):
        check_files(kind, path)
        return
    if kind == "bert":
        from classifiers.bert_model import TOKENIZER_FILES, WEIGHT_FILES

        names = {os.path.basename(m.path) for m in _match(FileSystems.join(path, "*"))}
        for need, options in (("config", ("config.json",)), ("weights", WEIGHT_FILES),
                              ("tokenizer", TOKENIZER_FILES)):
            if not names & set(options):
                raise ModelFileError(f"{path}: no {need} file ({' or '.join(options)})")
        return
    if not FileSystems.exists(path):
        raise ModelFileError(f"model file not found: {path}")
    if kind == "fasttext":
        from classifiers.fasttext_format import check_header

        with FileSystems.open(path, compression_type="uncompressed") as f:
            check_header(f.read(8), path)


def _match(pattern: str) -> list:
    try:
        return FileSystems.match([pattern])[0].metadata_list
    except Exception as exc:  # noqa: BLE001 - any listing failure is a pre-launch error
        raise ModelFileError(f"{pattern}: cannot list ({exc})") from exc


def local_copy(path: str, kind: str) -> str:
    """``path`` itself when local; else a copy in a fresh temp dir (a folder for BERT)."""
    if not is_remote(path):
        return path
    target = tempfile.mkdtemp(prefix="skypile-model-")
    sources = [m.path for m in _match(FileSystems.join(path, "*"))] if kind == "bert" else [path]
    for src in sources:
        dst = os.path.join(target, os.path.basename(src.rstrip("/")))
        with FileSystems.open(src, compression_type="uncompressed") as fin, open(dst, "wb") as fout:
            while chunk := fin.read(1 << 24):
                fout.write(chunk)
    return target if kind == "bert" else os.path.join(target, os.path.basename(path))



"""What the ``score`` step needs to know about each model: its spec, a pre-launch check, and a
local copy of remote (``gs://``, ``s3://``) model files made on the worker through Beam's
FileSystems. The classifiers themselves live in :mod:`classifiers` and never import Beam.
"""
from __future__ import annotations

import dataclasses
import os
import tempfile
from typing import Any, Sequence

from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions

from classifiers.base import Classifier, ModelFileError
from classifiers.kinds import KINDS, check_files, load_classifier
from model.settings import check_known_keys
from transforms.document import Document

TASKS = ("quality", "toxicity")


def is_remote(path: str) -> bool:
    return FileSystems.get_scheme(path) not in (None, "file")


@dataclasses.dataclass(frozen=True)
class ScorerSpec:
    """One configured scorer. Its column is ``<task>_<name>`` (float32, null when not scored).

    ``languages`` limits scoring to documents whose ``lang`` is listed (empty = every document);
    ``gate`` names an earlier scorer's column: this model then scores only documents where that
    score is above 0 (e.g. a toxicity model run only on lexicon hits); the others get null.
    ``options`` go to the classifier (``max_length``, ``batch_size``, ``device`` for BERT,
    ``saturation_hits`` and ``tsv_categories`` for a lexicon).
    """

    name: str
    task: str
    kind: str
    path: str | tuple[str, ...]
    languages: tuple[str, ...] = ()
    gate: str = ""
    max_chars: int = 20_000
    options: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def from_config(cls, entry: dict[str, Any]) -> "ScorerSpec":
        check_known_keys(entry, sorted(f.name for f in dataclasses.fields(cls)), "score.scorers")
        missing = {"name", "task", "kind", "path"} - set(entry)
        if missing:
            raise ValueError(f"score.scorers entry {entry}: missing {sorted(missing)}")
        if entry["task"] not in TASKS:
            raise ValueError(f"score.scorers {entry['name']}: task must be one of {TASKS}")
        if entry["kind"] not in KINDS:
            raise ValueError(f"score.scorers {entry['name']}: kind must be one of {KINDS}")
        path = entry["path"]
        if not path:
            raise ModelFileError(f"score.scorers {entry['name']}: no model path configured")
        path = tuple(map(_resolve, path)) if isinstance(path, (list, tuple)) else _resolve(path)
        return cls(**{**entry, "path": path,
                      "languages": tuple(entry.get("languages") or ()),
                      "options": tuple(sorted((entry.get("options") or {}).items()))})

    @property
    def column(self) -> str:
        return f"{self.task}_{self.name}"

    @property
    def paths(self) -> list[str]:
        return list(self.path) if isinstance(self.path, tuple) else [self.path]

    def applies(self, doc: Document) -> bool:
        if self.languages and doc.lang not in self.languages:
            return False
        return not self.gate or (doc.extra.get(self.gate) or 0.0) > 0.0

    def validate(self) -> None:
        """Fail before launch on a missing or corrupt model (see :func:`validate_model`)."""
        for path in self.paths:
            validate_model(self.kind, _packaged(path))

    def load(self) -> Classifier:
        """Copy remote files locally and load the classifier (on the worker, in ``setup``)."""
        local = [local_copy(_packaged(p), self.kind) for p in self.paths]
        path = local if self.kind == "lexicon" else local[0]
        return load_classifier(self.kind, path, max_chars=self.max_chars, **dict(self.options))


def _packaged(path: str) -> str:
    """A ``pkg://`` path (a shipped model or word list) resolved in this process's installed
    skypile: the launcher's in ``validate``, the worker's in ``load``."""
    from transforms.paths import PACKAGE_SCHEME, package_path

    return package_path(path) if path.startswith(PACKAGE_SCHEME) else path


def _resolve(path: str) -> str:
    """``${SKYPILE_SHARED_DATA}`` and ``~`` expanded in local paths; remote URLs untouched."""
    from transforms.paths import resolve_path

    return path if is_remote(path) else resolve_path(path)


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


def check_order(specs: Sequence[ScorerSpec]) -> None:
    """Names unique; a gate names an earlier scorer, and a fastText/lexicon scorer (run in the
    first, in-process stage) is never gated by a BERT one (run after it through RunInference)."""
    seen: dict[str, ScorerSpec] = {}
    for spec in specs:
        if spec.column in seen:
            raise ValueError(f"score.scorers: column {spec.column} configured twice")
        if spec.gate:
            gate = seen.get(spec.gate)
            if gate is None:
                raise ValueError(f"score.scorers {spec.name}: gate {spec.gate!r} is not an earlier scorer's column")
            if gate.kind == "bert" and spec.kind != "bert":
                raise ValueError(f"score.scorers {spec.name}: a {spec.kind} scorer cannot be gated by BERT "
                                 f"scorer {gate.column} (BERT runs last)")
        seen[spec.column] = spec


class ScoreOptions(PipelineOptions):
    """``--score_model NAME=PATH`` overrides a configured scorer's path (repeatable), so a job can
    point at models in ``gs://`` without editing the config."""

    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument("--score_model", action="append", default=[], metavar="NAME=PATH",
                            help="path of the score.scorers entry NAME (repeatable)")


def apply_score_options(config: dict[str, Any], options: PipelineOptions) -> dict[str, Any]:
    """``config`` with ``--score_model`` paths applied; an unknown NAME is an error."""
    overrides = options.view_as(ScoreOptions).score_model or []
    scorers = config.get("score", {}).get("scorers") or []
    by_name = {s.get("name"): s for s in scorers}
    for item in overrides:
        name, sep, path = item.partition("=")
        if not sep or not path:
            raise ValueError(f"--score_model {item!r}: expected NAME=PATH")
        if name not in by_name:
            raise ValueError(f"--score_model {name}: no such scorer in score.scorers ({sorted(by_name)})")
        by_name[name]["path"] = path
    return config

"""One configured scorer of the ``score`` step (:class:`ScorerSpec`: its column, languages, gate,
model files) and the check of the scorers' order (:func:`check_order`).
"""
from __future__ import annotations

import dataclasses
from typing import Any, Sequence

from classifiers.base import Classifier, ModelFileError
from classifiers.kinds import KINDS, load_classifier
from skypile_common.settings import check_known_keys
from transforms.document import Document
from transforms.model_files import is_remote, local_copy, validate_model

TASKS = ("quality", "toxicity")


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

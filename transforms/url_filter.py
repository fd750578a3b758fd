"""URL filtering: UT1 domain and URL blocklists, and RefinedWeb-style banned-word scoring.

Reasons name what matched: ``url_blocklist_<category>`` for a UT1 list, ``url_hard_word`` and
``url_soft_words`` for word scoring, ``url_missing`` / ``url_invalid`` for unusable URLs.
"""
from __future__ import annotations

import gzip
import os
import re

from transforms.document import Document
from transforms.keep_or_drop import Drop, Step, Verdict
from transforms.paths import resolve_path
from transforms.urls import domain_of, normalize_url
from transforms.worker_resource import WorkerResource

_WORDS = re.compile(r"[a-z]+")


def ut1_files(ut1_dir: str, categories: list[str]) -> list[tuple[str, str, str]]:
    """``(category, kind, path)`` of each list file: a category may have a ``<cat>_domains.txt``
    and/or a ``<cat>_urls.txt`` (either may be gzipped, ``.txt.gz``: the shipped copy is); at
    least one must exist."""
    found = []
    for cat in categories:
        paths = [(kind, os.path.join(ut1_dir, f"{cat}_{kind}.txt{gz}"))
                 for kind in ("domains", "urls") for gz in ("", ".gz")]
        paths = [(kind, path) for kind, path in paths if os.path.isfile(path)]
        if not paths:
            raise FileNotFoundError(f"url_filter.ut1_dir: no {cat}_domains.txt or {cat}_urls.txt "
                                    f"(optionally .gz) for category {cat!r} in {ut1_dir}")
        found += [(cat, kind, path) for kind, path in paths]
    return found


def load_ut1(ut1_dir: str, categories: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """``(domains, url_prefixes)``, each mapping an entry to its category (see :func:`ut1_files`)."""
    tables: dict[str, dict[str, str]] = {"domains": {}, "urls": {}}
    for cat, kind, path in ut1_files(ut1_dir, categories):
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8", errors="replace") as f:
            for line in f:
                entry = line.strip().lower()
                if entry and not entry.startswith("#"):
                    entry = entry[4:] if entry.startswith("www.") else entry
                    tables[kind].setdefault(entry, cat)
    return tables["domains"], tables["urls"]


def url_word_verdict(url: str, hard_words: set[str], soft_words: set[str], min_soft_words: int) -> str | None:
    """RefinedWeb's URL scoring: a drop reason or None. Words are alphabetic runs of the URL."""
    words = _WORDS.findall(url.lower())
    if any(w in hard_words for w in words):
        return "url_hard_word"
    if sum(1 for w in words if w in soft_words) >= min_soft_words:
        return "url_soft_words"
    return None


class UrlFilter(Step):
    name = "url_filter"

    def __init__(self, ut1_dir: str = "", ut1_categories=(), hard_words=(), soft_words=(), min_soft_words: int = 3):
        self.ut1_dir = ut1_dir
        self.ut1_categories = list(ut1_categories)
        if ut1_dir:  # a missing list fails before launch; the lists themselves load on the worker
            ut1_files(resolve_path(ut1_dir), self.ut1_categories)
        self.hard_words = set(hard_words)
        self.soft_words = set(soft_words)
        self.min_soft_words = min_soft_words
        self._resource = WorkerResource()
        self._domains: dict[str, str] = {}
        self._urls: dict[str, str] = {}

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_domains"], state["_urls"] = {}, {}  # the lists load on the worker, not in the pickle
        return state

    def _load(self) -> tuple[dict[str, str], dict[str, str]]:
        return load_ut1(resolve_path(self.ut1_dir), self.ut1_categories) if self.ut1_dir else ({}, {})

    def setup(self) -> None:
        """Loads the UT1 lists once per worker process (the adult list alone is millions of entries,
        so the threads of a process share one copy)."""
        self._domains, self._urls = self._resource.get(self._load)

    def process(self, doc: Document) -> Verdict:
        if doc.url is None:
            # Non-web sources (JSONL/Parquet without URLs) have nothing to filter.
            return doc if doc.source != "web" else Drop("url_missing")
        host = domain_of(doc.url)
        if not host:
            return Drop("url_invalid")
        labels = host.split(".")
        for i in range(len(labels) - 1):  # the host and each parent domain
            cat = self._domains.get(".".join(labels[i:]))
            if cat:
                return Drop(f"url_blocklist_{cat}")
        if self._urls:
            path = normalize_url(doc.url).lower()  # UT1 entries are lower-cased at load
            while path:
                cat = self._urls.get(path)
                if cat:
                    return Drop(f"url_blocklist_{cat}")
                cut = path.rstrip("/").rfind("/")
                path = path[:cut] if cut > 0 else ""
        reason = url_word_verdict(doc.url, self.hard_words, self.soft_words, self.min_soft_words)
        return Drop(reason) if reason else doc

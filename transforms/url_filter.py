"""URL filtering: UT1 domain and URL blocklists, and RefinedWeb-style banned-word scoring.

Reasons name what matched: ``url_blocklist_<category>`` for a UT1 list, ``url_hard_word`` and
``url_soft_words`` for word scoring, ``url_missing`` / ``url_invalid`` for unusable URLs.
"""
from __future__ import annotations

import os
import re

from transforms.document import Document
from transforms.step import Drop, Step, Verdict
from transforms.urls import domain_of, normalize_url

_WORDS = re.compile(r"[a-z]+")


def load_ut1(ut1_dir: str, categories: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """``(domains, url_prefixes)``, each mapping an entry to its category. A category may have
    a ``<cat>_domains.txt`` and/or a ``<cat>_urls.txt`` file; at least one must exist."""
    domains: dict[str, str] = {}
    urls: dict[str, str] = {}
    for cat in categories:
        found = False
        for kind, table in (("domains", domains), ("urls", urls)):
            path = os.path.join(ut1_dir, f"{cat}_{kind}.txt")
            if not os.path.exists(path):
                continue
            found = True
            with open(path, encoding="utf-8", errors="replace") as f:
                for line in f:
                    entry = line.strip().lower()
                    if entry and not entry.startswith("#"):
                        entry = entry[4:] if entry.startswith("www.") else entry
                        table.setdefault(entry, cat)
        if not found:
            raise FileNotFoundError(f"UT1 category {cat!r}: no {cat}_domains.txt or {cat}_urls.txt in {ut1_dir}")
    return domains, urls


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
        self.hard_words = set(hard_words)
        self.soft_words = set(soft_words)
        self.min_soft_words = min_soft_words
        self._domains: dict[str, str] | None = None
        self._urls: dict[str, str] = {}

    def setup(self) -> None:
        if self._domains is None:
            if self.ut1_dir:
                self._domains, self._urls = load_ut1(self.ut1_dir, self.ut1_categories)
            else:
                self._domains = {}

    def process(self, doc: Document) -> Verdict:
        if doc.url is None:
            # Non-web sources (JSONL/Parquet without URLs) have nothing to filter.
            return doc if doc.source != "web" else Drop("url_missing")
        self.setup()
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

"""Main-content extraction: trafilatura (default, precision-favouring as in FineWeb) or resiliparse
(DCLM's extractor, about 12x faster).

The payload is decoded once (:func:`transforms.charset.decode_html`) and the extractor gets the
``str``, so neither extractor guesses the charset again. trafilatura runs without its metadata pass
(``with_metadata=False``: about a quarter of its time goes to date and author extraction we do not
use); the title comes from the page's ``<title>``. trafilatura's ``deduplicate`` stays off by
default: it keeps a cache of text seen across documents, so its output would depend on document
order and worker count.
"""
from __future__ import annotations

import dataclasses
import html as htmllib
import logging
import re

from transforms.charset import decode_html
from transforms.document import Document
from transforms.layout_tables import unwrap_layout_tables
from transforms.step import Drop, Step, Verdict

_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
# The title is near the top; do not scan a whole multi-megabyte page for it.
TITLE_SCAN_CHARS = 200_000
EXTRACTORS = ("trafilatura", "resiliparse")


def title_of(html: str) -> str | None:
    """The page's ``<title>``, unescaped, whitespace collapsed."""
    match = _TITLE.search(html[:TITLE_SCAN_CHARS])
    if not match:
        return None
    title = " ".join(htmllib.unescape(match.group(1)).split())
    return title or None


class TrafilaturaExtractor:
    """trafilatura's ``bare_extraction`` with the settings of the ``extract`` config section."""

    def __init__(self, favor_precision: bool = True, include_comments: bool = False,
                 include_tables: bool = True, deduplicate: bool = False, fast: bool = False,
                 unwrap_layout_tables: bool = True):
        import trafilatura
        from trafilatura.settings import Extractor, use_config
        from trafilatura.utils import load_html

        self._load_html = load_html
        self._unwrap = unwrap_layout_tables

        self._extract = trafilatura.bare_extraction
        config = use_config()
        # trafilatura's timeout uses signals, which do not work in Beam worker threads.
        config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")
        # What bare_extraction would build from its keywords on every page (reading the config
        # each time: about 4% of its CPU on 760 pages, same texts); only read during extraction
        # (a recall retry works on its own copy). "python" output is the one that sets ``.text``.
        self._options = Extractor(config=config, output_format="python", fast=fast, precision=favor_precision,
                                  comments=include_comments, tables=include_tables, dedup=deduplicate)
        # "discarding data", "empty HTML tree" and the like, once per page, some at ERROR level:
        # each is about one page and ends as a counted drop, so none is worth a log line.
        logging.getLogger("trafilatura").setLevel(logging.CRITICAL)

    def __call__(self, html: str) -> str | None:
        if self._unwrap:
            # trafilatura's own parser, so a page without layout tables extracts exactly as before.
            html = self._load_html(html)
            if html is None:
                return None
            unwrap_layout_tables(html)
        result = self._extract(html, options=self._options)
        return getattr(result, "text", None) if result is not None else None


class ResiliparseExtractor:
    """resiliparse's ``extract_plain_text(main_content=True)``, as DCLM uses it."""

    def __init__(self):
        from resiliparse.extract.html2text import extract_plain_text

        self._extract = extract_plain_text

    def __call__(self, html: str) -> str | None:
        return self._extract(html, main_content=True, alt_texts=False, links=False)


class Extract(Step):
    """HTML payload -> main text and title. Documents that already have text (WET, JSONL,
    Parquet inputs) pass through untouched.

    Drops: ``extract_failed`` (the extractor raised), ``extract_empty``, ``extract_too_short``
    (fewer than ``min_chars`` characters after stripping).
    """

    name = "extract"

    def __init__(self, extractor: str = "trafilatura", min_chars: int = 50, **settings):
        if extractor not in EXTRACTORS:
            raise ValueError(f"extract.extractor must be one of {', '.join(EXTRACTORS)}, not {extractor!r}")
        self.extractor = extractor
        self.min_chars = min_chars
        self.settings = settings
        self._extract = None

    def setup(self) -> None:
        """Binds the extractor (light: no per-process sharing needed)."""
        if self.extractor == "resiliparse":
            self._extract = ResiliparseExtractor()
        else:
            self._extract = TrafilaturaExtractor(**self.settings)

    def process(self, doc: Document) -> Verdict:
        if doc.html is None:
            return doc if doc.text.strip() else Drop("extract_empty")
        html, _ = decode_html(doc.html, doc.charset_hint)
        try:
            text = self._extract(html)
        except Exception:  # noqa: BLE001 - a parser crash on one page must not stop the job
            return Drop("extract_failed")
        text = (text or "").strip()
        if not text:
            return Drop("extract_empty")
        if len(text) < self.min_chars:
            return Drop("extract_too_short")
        # The payload is not needed past this point.
        return dataclasses.replace(doc, text=text, title=title_of(html), html=None, charset_hint=None)

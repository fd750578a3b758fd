"""Main-content extraction: trafilatura (default, precision-favouring as in FineWeb) or resiliparse
(DCLM's extractor, about 12x faster).

The payload is decoded once (:func:`transforms.charset.decode_html`) and the extractor gets the
``str``, so neither extractor guesses the charset again. trafilatura runs without its metadata pass
(``with_metadata=False``: about a quarter of its time goes to date and author extraction we do not
use); the title comes from the page's ``<title>``. trafilatura's ``deduplicate`` stays off by
default: it keeps a cache of text seen across documents, so its output would depend on document
order and worker count.

The cascade (``cascade: true``): trafilatura's fallbacks (readability, then jusText) cost about a
third of its time and change the text of a few pages in a hundred. Pages are extracted with
``fast=True`` (no fallbacks) first; the full extraction runs again, on the same parsed tree, only
where the fallbacks could matter: a fast text shorter than ``cascade_min_chars``, or a body with
no paragraph text or more tables than paragraphs (trafilatura's own test for a structurally
deficient extraction, ``external._prefer_readability``). bench/extract_cascade.py measures it,
with ``favor_precision`` as shipped; without it trafilatura's recall escalation (texts under 3,000
characters covering little of the page) tries a jusText candidate only when not fast, a
difference the trigger does not look for.

The recall retry (``recall_retry_max_chars``): with ``favor_precision`` a page can come out as a
fragment (a notice page's metadata table instead of the notice); a text shorter than the limit
is extracted again without ``favor_precision`` (and without the fallbacks) and replaced when that
text is at least ``recall_retry_min_factor`` times longer.
"""
from __future__ import annotations

import dataclasses
import html as htmllib
import logging
import re

from transforms.charset import decode_html
from transforms.document import Document
from transforms.keep_or_drop import Drop, Step, Verdict
from transforms.layout_tables import unwrap_layout_tables

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
                 unwrap_layout_tables: bool = True, cascade: bool = True, cascade_min_chars: int = 500,
                 recall_retry_max_chars: int = 250, recall_retry_min_factor: float = 2.0):
        check_trafilatura_settings({"cascade": cascade, "cascade_min_chars": cascade_min_chars,
                                    "recall_retry_max_chars": recall_retry_max_chars,
                                    "recall_retry_min_factor": recall_retry_min_factor})
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
        common = dict(config=config, output_format="python", comments=include_comments, tables=include_tables,
                      dedup=deduplicate)
        # fast: true skips the fallbacks on every page, so there is nothing for the cascade to add.
        self._cascade = cascade and not fast
        self._cascade_min_chars = cascade_min_chars
        self._options = Extractor(fast=fast or self._cascade, precision=favor_precision, **common)
        self._full = Extractor(fast=False, precision=favor_precision, **common) if self._cascade else None
        self._recall_max_chars = recall_retry_max_chars if favor_precision else 0
        self._recall_min_factor = recall_retry_min_factor
        # Without the fallbacks: they already ran on the precise pass, and a rescue needs the text
        # trafilatura's own rules find once they stop discarding (a third of the full cost).
        self._recall = Extractor(fast=True, precision=False, **common) if self._recall_max_chars else None
        # "discarding data", "empty HTML tree" and the like, once per page, some at ERROR level:
        # each is about one page and ends as a counted drop, so none is worth a log line.
        logging.getLogger("trafilatura").setLevel(logging.CRITICAL)

    def __call__(self, html: str) -> str | None:
        return self.extract(html)[0]

    def extract(self, html: str) -> tuple[str | None, str]:
        """(text, route): route is ``single`` (the cascade is off: one extraction with the
        settings), ``fast`` (the cascade's fast pass was kept), ``full`` (the cascade ran the full
        extraction again) or ``recall`` (the recall retry's text was kept)."""
        # trafilatura's own parser, so a page without layout tables extracts exactly as before.
        tree = self._load_html(html)
        if tree is None:
            return None, "single"
        if self._unwrap:
            unwrap_layout_tables(tree)
        # bare_extraction copies a tree it is given before changing it, so every pass below sees
        # the same parsed (and unwrapped) page: nothing is parsed twice.
        result = self._extract(tree, options=self._options)
        route = "single"
        if self._cascade:
            route = "fast"
            if self._needs_full(result):
                result, route = self._extract(tree, options=self._full), "full"
        text = getattr(result, "text", None) if result is not None else None
        if self._recall is not None and len(text or "") < self._recall_max_chars:
            recall = self._extract(tree, options=self._recall)
            recall_text = getattr(recall, "text", None) if recall is not None else None
            if len(recall_text or "") >= self._recall_min_factor * max(1, len(text or "")):
                text, route = recall_text, "recall"
        return text, route

    def _needs_full(self, result) -> bool:
        """Whether trafilatura's fallbacks could change the fast pass's result (module docstring)."""
        if result is None or len(result.text or "") < self._cascade_min_chars:
            return True
        body = result.body
        return not body.xpath(".//p//text()") or len(body.findall(".//table")) > len(body.findall(".//p"))


def check_trafilatura_settings(settings: dict) -> None:
    """ValueError naming the first ``extract`` key in ``settings`` whose value cannot work (the
    cascade's and the recall retry's; trafilatura checks its own)."""
    for key, value in settings.items():
        if key == "cascade" and not isinstance(value, bool):
            raise ValueError(f"extract.cascade must be true or false, not {value!r}")
        if key in ("cascade_min_chars", "recall_retry_max_chars") and (
                isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise ValueError(f"extract.{key} must be an integer >= 0, not {value!r}")
        if key == "recall_retry_min_factor" and (
                isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 1):
            raise ValueError(f"extract.recall_retry_min_factor must be a number >= 1, not {value!r}")


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
        check_trafilatura_settings(settings)  # before launch, not on a worker
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

"""Extraction on real pages: text, title, drops with reasons, both extractors, GBK pages."""
from __future__ import annotations

import gzip
import json
import logging

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from tests.conftest import beam_test_pipeline, step_counters
from tests.transforms.test_charset import char_recall
from transforms.apply import ApplyStep
from transforms.document import Document
from transforms.extract import Extract


def _aeb(shared_data, n):
    truth = json.loads((shared_data / "html/scrapinghub_aeb/ground-truth.json").read_text(encoding="utf-8"))
    out = []
    for page_id in sorted(truth)[:n]:
        html = gzip.decompress((shared_data / f"html/scrapinghub_aeb/html/{page_id}.html.gz").read_bytes())
        out.append((page_id, html, truth[page_id]["articleBody"]))
    return out


def _token_recall(text: str, gold: str) -> float:
    words = set(text.split())
    gold_words = gold.split()
    return sum(w in words for w in gold_words) / max(1, len(gold_words))


@pytest.mark.parametrize("extractor, settings", [("trafilatura", {}), ("trafilatura", {"fast": True}),
                                                 ("resiliparse", {})])
def test_article_text_and_title(shared_data, extractor, settings):
    step = Extract(extractor=extractor, **settings)
    step.setup()
    recalls = []
    for page_id, html, gold in _aeb(shared_data, 8):
        doc = step.process(Document(id=page_id, html=html, charset_hint="utf-8"))
        assert isinstance(doc, Document), page_id
        assert doc.html is None and doc.title
        recalls.append(_token_recall(doc.text, gold))
    assert sorted(recalls)[len(recalls) // 2] > 0.8


@pytest.mark.parametrize("extractor", ["trafilatura", "resiliparse"])
def test_gbk_pages_extract_to_correct_chinese(shared_data, extractor):
    step = Extract(extractor=extractor, min_chars=1)
    step.setup()
    recalls = []
    for page in sorted((shared_data / "html/zh_content_extraction").iterdir()):
        html = gzip.decompress((page / "original.html.gz").read_bytes())
        if b"charset=gb" not in html[:8192].lower():
            continue  # the GB2312/GBK-declared pages
        doc = step.process(Document(id=page.name, html=html))
        text = doc.text if isinstance(doc, Document) else ""
        recalls.append(char_recall(text, (page / "cleaned.txt").read_text(encoding="utf-8")))
    assert len(recalls) >= 25
    # Median character recall against the hand-made gold text: the content is found and decoded.
    assert sorted(recalls)[len(recalls) // 2] > 0.9


def test_no_trafilatura_log_noise(shared_data, caplog):
    step = Extract()
    step.setup()
    caplog.set_level(logging.DEBUG)
    pages = [html for _, html, _ in _aeb(shared_data, 5)]
    pages.append(b"\x00\x01 not html at all")  # trafilatura logs about this one
    verdicts = [step.process(Document(id=str(i), html=html)) for i, html in enumerate(pages)]
    assert getattr(verdicts[-1], "reason", None) in ("extract_empty", "extract_too_short")
    assert not [r for r in caplog.records if r.name.startswith("trafilatura")]


def test_unknown_extractor_is_an_error():
    with pytest.raises(ValueError, match="extract.extractor"):
        Extract(extractor="readability")


def test_extract_step_counts_every_verdict(shared_data):
    (_, page, _), (_, long_page, _) = _aeb(shared_data, 2)
    head_only = page[: page.lower().index(b"<body")]
    docs = [
        Document(id="article", html=page),
        Document(id="head-only", html=head_only),                 # nothing to extract
        Document(id="wet", text="Already extracted text from a WET record, kept as it is."),
        Document(id="blank", text="   "),                         # a text input with no text
    ]
    with beam_test_pipeline() as p:
        out = p | beam.Create(docs) | ApplyStep(Extract(min_chars=50))
        assert_that(out["kept"] | "Ids" >> beam.Map(lambda d: d.id), equal_to(["article", "wet"]), label="Kept")
        assert_that(out["rejected"] | "Why" >> beam.Map(lambda r: (r.doc.id, r.step, r.reason)),
                    equal_to([("head-only", "extract", "extract_empty"), ("blank", "extract", "extract_empty")]),
                    label="Rejected")

    p = beam_test_pipeline()
    _ = p | beam.Create([Document(id="long", html=long_page)]) | ApplyStep(Extract(min_chars=10 ** 7))
    result = p.run()
    result.wait_until_finish()
    counters = step_counters(result, "extract")
    assert counters == {"dropped:extract_too_short": 1}


PLAIN = {"cascade": False, "recall_retry_max_chars": 0}  # the full extraction on every page, nothing else


@pytest.mark.parametrize("settings", [PLAIN, {**PLAIN, "fast": True, "favor_precision": False, "include_tables": False}])
def test_trafilatura_options_built_once_give_trafilaturas_own_keyword_results(shared_data, settings):
    """The extractor builds trafilatura's options once; the texts are those of bare_extraction
    called with the same settings as keywords (options rebuilt per page), on real pages."""
    import trafilatura
    from trafilatura.utils import load_html

    from transforms.charset import decode_html
    from transforms.extract import TrafilaturaExtractor
    from transforms.layout_tables import unwrap_layout_tables

    extractor = TrafilaturaExtractor(**settings)
    keywords = {"favor_precision": True, "include_comments": False, "include_tables": True, "deduplicate": False,
                "fast": False, **{k: v for k, v in settings.items() if k not in PLAIN}}
    config = trafilatura.settings.use_config()
    config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")
    texts = 0
    for _, payload, _ in _aeb(shared_data, 6):
        html = decode_html(payload)[0]
        tree = load_html(html)
        unwrap_layout_tables(tree)
        expected = trafilatura.bare_extraction(tree, with_metadata=False, config=config, **keywords)
        got = extractor(html)
        assert got == (expected.text if expected is not None else None)
        texts += bool(got)
    assert texts == 6


def _labelled_page(shared_data, path):
    from transforms.charset import decode_html

    return decode_html(gzip.decompress((shared_data / "html" / path).read_bytes()))[0]


class CountedExtractor:
    """The extractor's real ``bare_extraction``, with its calls counted."""

    def __init__(self, **settings):
        from transforms.extract import TrafilaturaExtractor

        self.extractor = TrafilaturaExtractor(**settings)
        self.calls = 0
        extract = self.extractor._extract

        def counted(*args, **kwargs):
            self.calls += 1
            return extract(*args, **kwargs)

        self.extractor._extract = counted

    def __call__(self, html):
        self.calls = 0
        return self.extractor.extract(html)


def test_cascade_retries_a_short_fast_text_and_gets_the_default_text(shared_data):
    """A Chinese news page that fast=True empties: the full extraction runs again on the same
    parsed page and its text is the plain default's."""
    html = _labelled_page(shared_data, "zh_content_extraction/4fa9dfe4-874c-4c43-9260-6ea22710852c/original.html.gz")
    from transforms.extract import TrafilaturaExtractor

    assert not TrafilaturaExtractor(**PLAIN, fast=True)(html)
    plain = TrafilaturaExtractor(**PLAIN)(html)
    cascade = CountedExtractor(cascade=True, cascade_min_chars=500, recall_retry_max_chars=0)
    text, route = cascade(html)
    assert (route, cascade.calls) == ("full", 2)
    assert text == plain and len(text) > 5000


def test_cascade_keeps_a_long_fast_text_after_one_extraction(shared_data):
    from transforms.extract import TrafilaturaExtractor

    _, payload, gold = _aeb(shared_data, 2)[1]  # a 5,900-character article
    html = payload.decode("utf-8")
    cascade = CountedExtractor(cascade=True, cascade_min_chars=500)
    text, route = cascade(html)
    assert (route, cascade.calls) == ("fast", 1)
    assert text == TrafilaturaExtractor(**PLAIN)(html) and _token_recall(text, gold) > 0.9
    # The threshold decides: above this text's length, the same page is extracted twice.
    higher = CountedExtractor(cascade=True, cascade_min_chars=len(text) + 1)
    assert higher(html) == (text, "full") and higher.calls == 2


def test_cascade_retries_a_long_table_body(shared_data):
    """A wiki page whose fast text is long but has more tables than paragraphs: readability may
    replace such a body (trafilatura's _prefer_readability), so the full extraction runs, and here
    its text is not the fast one."""
    from transforms.extract import TrafilaturaExtractor

    html = _labelled_page(shared_data, "trafilatura_eval/html/stardewvalleywiki.com.penny.html.gz")
    fast = TrafilaturaExtractor(**PLAIN, fast=True)(html)
    cascade = CountedExtractor(cascade=True, cascade_min_chars=500, recall_retry_max_chars=0)
    text, route = cascade(html)
    assert len(fast) > 20_000 and (route, cascade.calls) == ("full", 2)
    assert text == TrafilaturaExtractor(**PLAIN)(html) != fast


def test_recall_retry_replaces_a_precision_fragment(shared_data):
    """favor_precision keeps 12 characters of this blog post; without it trafilatura finds the
    post (trafilatura_eval's snippets are in it)."""
    import json

    path = "trafilatura_eval/html/security.googleblog.com.protection.html.gz"
    html = _labelled_page(shared_data, path)
    evaldata = json.loads((shared_data / "html/trafilatura_eval/evaldata.json").read_text(encoding="utf-8"))
    snippets = next(e["with"] for e in evaldata.values() if e["file"] + ".gz" == path.rsplit("/", 1)[1])
    from transforms.extract import TrafilaturaExtractor

    plain = TrafilaturaExtractor(**PLAIN)(html) or ""
    assert len(plain) < 250
    retry = CountedExtractor(recall_retry_max_chars=250, recall_retry_min_factor=2.0)
    text, route = retry(html)
    assert route == "recall" and len(text) > 2 * max(1, len(plain))
    assert all(" ".join(s.split()) in " ".join(text.split()) for s in snippets)
    # Not long enough for a factor above what it found: the precise text stays.
    strict = TrafilaturaExtractor(recall_retry_max_chars=250, recall_retry_min_factor=len(text) + 1.0)
    assert strict(html) == plain


def test_fast_overrides_the_cascade(shared_data):
    (_, payload, _), = _aeb(shared_data, 1)
    fast = CountedExtractor(fast=True, cascade=True, cascade_min_chars=10 ** 9, recall_retry_max_chars=0)
    assert fast(payload.decode("utf-8"))[1] == "single" and fast.calls == 1


@pytest.mark.parametrize("settings, message", [
    ({"cascade": "yes"}, "extract.cascade must be true or false"),
    ({"cascade_min_chars": -1}, "extract.cascade_min_chars must be an integer >= 0"),
    ({"cascade_min_chars": 2.5}, "extract.cascade_min_chars must be an integer >= 0"),
    ({"recall_retry_max_chars": True}, "extract.recall_retry_max_chars must be an integer >= 0"),
    ({"recall_retry_min_factor": 0.5}, "extract.recall_retry_min_factor must be a number >= 1"),
])
def test_cascade_settings_are_checked_when_the_step_is_built(settings, message):
    with pytest.raises(ValueError, match=message):
        Extract(**settings)


def test_cascade_settings_from_a_config_file(tmp_path):
    from pipelines.config import ConfigError, load_config
    from pipelines.step_registry import BUILDERS

    config = tmp_path / "c.yaml"
    config.write_text("extract: {cascade: false, cascade_min_chars: 800, recall_retry_min_factor: 3}\n")
    section = load_config(str(config))["extract"]
    assert (section["cascade"], section["cascade_min_chars"], section["recall_retry_min_factor"]) == (False, 800, 3)
    config.write_text("extract: {cascade_min_chars: -5}\n")
    with pytest.raises(ConfigError, match="extract.cascade_min_chars"):
        load_config(str(config))
    config.write_text("extract: {recall_retry_min_factor: 0.5}\n")  # the type is right, the value is not
    with pytest.raises(ValueError, match="extract.recall_retry_min_factor must be a number >= 1"):
        BUILDERS["extract"]({k: v for k, v in load_config(str(config))["extract"].items() if k != "enabled"})

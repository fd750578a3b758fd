"""Charset decoding on real GB2312/GBK pages, with honest and lying declarations."""
from __future__ import annotations

import collections
import gzip
import io

import pytest

from transforms.charset import decode_html
from transforms.keep_or_drop import Drop
from transforms.read import read_file


def _zh_pages(shared_data):
    for page in sorted((shared_data / "html/zh_content_extraction").iterdir()):
        gold = (page / "cleaned.txt").read_text(encoding="utf-8")
        yield page.name, gzip.decompress((page / "original.html.gz").read_bytes()), gold


def char_recall(text: str, gold: str) -> float:
    """Share of the gold text's characters (multiset, whitespace ignored) found in ``text``."""
    g = collections.Counter(c for c in gold if not c.isspace())
    t = collections.Counter(c for c in text if not c.isspace())
    return sum((g & t).values()) / max(1, sum(g.values()))


def test_every_zh_page_decodes_to_its_gold_characters(shared_data):
    hows = collections.Counter()
    for name, payload, gold in _zh_pages(shared_data):
        text, how = decode_html(payload)
        hows[how] += 1
        assert char_recall(text, gold) > 0.95, name
        assert text.count("\ufffd") <= 0.005 * len(text), name
    # Most pages are GB2312/GBK declared in <meta>; nine declare nothing usable.
    assert hows["meta"] >= 25 and hows["detected"] >= 5


@pytest.mark.parametrize("lie", ["utf-8", "iso-8859-1", "big5", "no-such-charset"])
def test_lying_http_charset_does_not_change_the_text(shared_data, lie):
    for name, payload, gold in _zh_pages(shared_data):
        honest, _ = decode_html(payload)
        lied, _ = decode_html(payload, lie)
        assert lied == honest, (name, lie)


def test_utf8_page_declared_gbk_stays_utf8(shared_data):
    utf8_pages = [(n, p) for n, p, _ in _zh_pages(shared_data) if decode_html(p)[1] == "utf8"]
    assert len(utf8_pages) >= 10
    for name, payload in utf8_pages:
        assert decode_html(payload, "gbk") == (payload.decode("utf-8"), "utf8"), name


def test_latin1_pages_keep_their_declaration(shared_data):
    # The two ISO-8859-1 pages of trafilatura's eval set: accented letters, not CJK.
    latin = []
    for path in sorted((shared_data / "html/trafilatura_eval/html").glob("*.gz")):
        payload = gzip.decompress(path.read_bytes())
        try:
            payload.decode("utf-8")
        except UnicodeDecodeError:
            latin.append(payload)
    assert len(latin) == 2
    for payload in latin:
        text, how = decode_html(payload, "iso-8859-1")
        assert how == "header" and text == payload.decode("cp1252")
        assert any(c in text for c in "äöüéèßñ")


def test_chinese_pages_in_a_real_warc_come_out_as_chinese(shared_data):
    path = shared_data / "warc/resiliparse/warcfile.warc.gz"
    with open(path, "rb") as f:
        docs = [v for v in read_file(f, str(path), 10 << 20) if not isinstance(v, Drop)]
    texts = [decode_html(d.html, d.charset_hint)[0] for d in docs]
    chinese = [t for t in texts if sum("\u4e00" <= c <= "\u9fff" for c in t) > 200]
    assert len(chinese) >= 6  # resiliparse's CC excerpt has (at least) six Chinese pages
    assert all(t.count("\ufffd") == 0 for t in chinese)

"""Layout tables on real Chinese portal pages: unwrapped before trafilatura, data tables kept."""
from __future__ import annotations

import gzip
from collections import Counter

import pytest

from transforms.charset import decode_html
from transforms.extract import TrafilaturaExtractor
from transforms.layout_tables import is_layout_table, unwrap_layout_tables

SOHU_PAGE = "7c6d2080-5ab9-4385-9c0e-e1c8ed06efd3"  # auto.sohu.com road test, laid out in nested tables
REFERENCES_PAGE = "2397c95d-2de8-4ca5-a569-4fffd20b9d50"  # a thesis page with a table of references


def page(shared_data, uuid):
    base = shared_data / "html/zh_content_extraction" / uuid
    html = decode_html(gzip.decompress((base / "original.html.gz").read_bytes()))[0]
    return html, (base / "cleaned.txt").read_text(encoding="utf-8")


def char_f1(text, gold):
    p, g = Counter(c for c in text if not c.isspace()), Counter(c for c in gold if not c.isspace())
    match = sum((p & g).values())
    precision, recall = match / max(sum(p.values()), 1), match / max(sum(g.values()), 1)
    return 2 * precision * recall / (precision + recall) if match else 0.0


@pytest.fixture(scope="module")
def extractors():
    return TrafilaturaExtractor(), TrafilaturaExtractor(unwrap_layout_tables=False)


def pipe_rows(text):
    return sum(1 for line in text.split("\n") if line.startswith("|"))


def test_portal_layout_comes_out_as_paragraphs(shared_data, extractors):
    html, gold = page(shared_data, SOHU_PAGE)
    unwrapped, kept_tables = (extract(html) for extract in extractors)
    assert "搜狐首页 - 新闻 - 体育" in kept_tables and pipe_rows(kept_tables) > 40  # the defect
    assert "搜狐首页 - 新闻 - 体育" not in unwrapped and pipe_rows(unwrapped) <= 2
    assert char_f1(unwrapped, gold) > char_f1(kept_tables, gold)  # the menus and footers are gone


def test_data_table_stays_a_table(shared_data, extractors):
    html, _ = page(shared_data, REFERENCES_PAGE)
    unwrapped, kept_tables = (extract(html) for extract in extractors)
    assert unwrapped == kept_tables
    assert "| [1] | 章炳林. C2C电子商务的物流配送问题研究" in unwrapped and pipe_rows(unwrapped) >= 13


def test_which_tables_count_as_layout(shared_data):
    from trafilatura.utils import load_html

    tree = load_html(page(shared_data, SOHU_PAGE)[0])
    tables = list(tree.iter("table"))
    assert any(t.find(".//table") is not None for t in tables)  # nested: the page frame
    layout = [is_layout_table(t) for t in tables]
    assert unwrap_layout_tables(tree) == sum(layout) > 0
    assert not list(tree.iter("table")) or not any(is_layout_table(t) for t in tree.iter("table"))
    references = load_html(page(shared_data, REFERENCES_PAGE)[0])
    table = next(t for t in references.iter("table") if "章炳林" in t.text_content())
    assert not is_layout_table(table)

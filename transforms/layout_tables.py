"""Layout tables unwrapped before extraction, so page furniture does not come out as table rows.

Chinese portals of the 2000s (sohu.com, xinhuanet.com, university news sites) lay whole pages
out in nested ``<table>``s: the menu, the article and the footer are cells. trafilatura keeps
tables (``include_tables``, FineWeb's setting) and writes each row as ``| cell | cell |``, so the
article becomes one pipe row between rows of menu links (``|  |  | 搜狐首页 - 新闻 - 体育 ...``),
and the line-based quality rules then drop it. A table is taken for layout when it holds another
table, has a single column, has ``role="presentation"``, or, without header cells, has a cell
holding block content (paragraphs, lists, divisions, two or more line breaks) or more than
``MAX_DATA_CELL_CHARS`` characters, or mostly link text (a menu or pager in cells). Its table elements become ``<div>``s and the extractor
judges the cells as blocks, as it does on pages laid out with CSS. Real data tables (short
cells, or header cells) stay tables.
"""
from __future__ import annotations

TABLE_PARTS = ("tbody", "thead", "tfoot", "tr", "td", "th")
_BLOCKS = frozenset(("p", "div", "ul", "ol", "dl", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
                     "form", "center", "article", "section"))
# A data-table cell is a value or a short phrase; a cell with more text is a page region.
MAX_DATA_CELL_CHARS = 200
# Share of a table's characters inside links above which it is navigation, not data.
MAX_DATA_LINK_SHARE = 0.5


def _own(table, tag: str):
    """``tag`` elements of ``table`` that are not inside a nested table."""
    return [el for el in table.iter(tag) if next(el.iterancestors("table"), None) is table]


def is_layout_table(table) -> bool:
    if table.get("role", "").lower() == "presentation":
        return True
    if any(True for _ in table.iterdescendants("table")):
        return True
    rows = _own(table, "tr")
    cells = [c for row in rows for c in row if c.tag in ("td", "th")]
    if not cells or max(sum(1 for c in row if c.tag in ("td", "th")) for row in rows) <= 1:
        return True
    if any(c.tag == "th" for c in cells) or _own(table, "caption"):
        return False
    for cell in cells:
        if any(el.tag in _BLOCKS for el in cell.iterdescendants()) or sum(1 for _ in cell.iter("br")) >= 2:
            return True
        if len(cell.text_content().strip()) > MAX_DATA_CELL_CHARS:
            return True
    # A table whose text is mostly links is a menu or a pager laid out in cells.
    text = len("".join(table.text_content().split()))
    links = sum(len("".join(a.text_content().split())) for a in table.iter("a"))
    return text > 0 and links / text > MAX_DATA_LINK_SHARE


def unwrap_layout_tables(tree) -> int:
    """Turn the layout tables of ``tree`` (an lxml HTML tree) into ``<div>``s, in place; returns
    how many were unwrapped. Outer tables are judged before their contents change."""
    layout = [t for t in tree.iter("table") if is_layout_table(t)]
    for table in layout:
        for el in [table, *(e for tag in TABLE_PARTS for e in _own(table, tag))]:
            el.tag = "div"
            for attr in ("role", "colspan", "rowspan"):
                el.attrib.pop(attr, None)
        for caption in _own(table, "caption"):
            caption.tag = "div"
    return len(layout)

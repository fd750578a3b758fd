"""Build the bundled sample WARCs from real pages in ``../shared/data/html``.

``--set zh`` (``sample/zh-news-pages.warc.gz``): Chinese pages (many GB2312/GBK) from the Chinese
Web Content Extraction Dataset (immortal-autumn/Chinese-Web-Content-Extraction-Dataset, MIT; page
content (c) its publishers), as laid out in ``../shared/data/html/zh_content_extraction``.
Original bytes are kept, so the charset path (header, meta, detection) is exercised; only UTF-8
pages, every other one, name an HTTP charset.

``--set en`` (``sample/en-filter-pages.warc.gz``): English pages from trafilatura's evaluation set
(adbar/trafilatura, Apache-2.0; page content (c) its publishers) chosen so that the default run
shows what the URL filter and the scores drop: see ``EN_PAGES``.

Deterministic: record ids and dates come from the datasets and this file, not the clock.

    python scripts/make_sample_warc.py [--set zh|en] [--data ../shared/data] [--pages 30] [--out FILE]
"""
from __future__ import annotations

import argparse
import gzip
import io
import re
import uuid
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

_URL = re.compile(rb'<text id="([^"]+)"')

# (file in html/trafilatura_eval/html, URL it was captured at, WARC date, why it is in the sample).
EN_PAGES = [
    ("vice.com.amazon.html",
     "https://www.vice.com/en_uk/article/d3avvm/the-amazon-is-on-fire-and-the-smoke-can-be-seen-from-space",
     "2019-08-22", "vice.com is in UT1's mixed_adult list: url_blocklist_mixed_adult"),
    ("threatpost.com.android.html",
     "https://threatpost.com/android-ransomware-spreads-via-sex-simulation-game-links-on-reddit-sms/146774/",
     "2019-07-30", "'sex' in the URL is a hard URL word: url_hard_word"),
    ("reuters.com.parasite.html",
     "https://www.reuters.com/article/us-awards-sag/parasite-scores-upset-at-sag-awards-boosting-oscar-chances-idUSKBN1ZI0EH",
     "2020-01-20", "kept"),
    # The same page captured again a day later through a tracking link (as crawls do): the URL
    # normalises to the first capture's, and url_dedup keeps the later one (url_duplicate).
    ("reuters.com.parasite.html",
     "http://www.reuters.com/article/us-awards-sag/parasite-scores-upset-at-sag-awards-boosting-oscar-chances-idUSKBN1ZI0EH?utm_source=twitter",
     "2020-01-21", "second capture: url_duplicate"),
]


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _response(writer: WARCWriter, url: str, html: bytes, ctype: str, date: str, record_id: uuid.UUID):
    http = StatusAndHeaders("200 OK", [("Content-Type", ctype), ("Content-Length", str(len(html)))],
                            protocol="HTTP/1.1")
    return writer.create_warc_record(
        url, "response", payload=io.BytesIO(html), http_headers=http,
        warc_headers_dict={"WARC-Date": f"{date}T00:00:00Z", "WARC-Record-ID": f"<urn:uuid:{record_id}>"})


def write_en(data: str, out: str) -> int:
    folder = Path(data, "html", "trafilatura_eval", "html")
    with open(out, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        for name, url, date, _why in EN_PAGES:
            html = gzip.decompress((folder / f"{name}.gz").read_bytes())
            record_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{url} {date}")
            writer.write_record(_response(writer, url, html, "text/html; charset=utf-8", date, record_id))
    return len(EN_PAGES)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", choices=("zh", "en"), default="zh")
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[1].parent / "shared" / "data"))
    ap.add_argument("--pages", type=int, default=30, help="zh: how many pages")
    ap.add_argument("--out", help="default: sample/zh-news-pages.warc.gz or sample/en-filter-pages.warc.gz")
    args = ap.parse_args()
    if args.set == "en":
        out = args.out or "sample/en-filter-pages.warc.gz"
        print(f"wrote {write_en(args.data, out)} pages to {out}")
        return
    args.out = args.out or "sample/zh-news-pages.warc.gz"
    pages = sorted(Path(args.data, "html", "zh_content_extraction").iterdir())[: args.pages]
    with open(args.out, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        for i, page in enumerate(pages):
            html = gzip.decompress((page / "original.html.gz").read_bytes())
            match = _URL.search(html[:2000])
            url = match.group(1).decode("ascii", "replace") if match else f"http://example.invalid/{page.name}"
            date = (page / "date.txt").read_text(encoding="utf-8").strip()[:10] or "2005-01-01"
            # Name the charset in HTTP only where it is true (UTF-8 that decodes), on every other record.
            ctype = "text/html"
            if i % 2 == 0 and _is_utf8(html):
                ctype = "text/html; charset=utf-8"
            writer.write_record(_response(writer, url, html, ctype, date, uuid.UUID(page.name)))
    print(f"wrote {len(pages)} pages to {args.out}")


if __name__ == "__main__":
    main()

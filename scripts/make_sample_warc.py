"""Build ``sample/zh-news-pages.warc.gz``: real Chinese pages (many GB2312/GBK) as a WARC.

The pages come from the Chinese Web Content Extraction Dataset
(immortal-autumn/Chinese-Web-Content-Extraction-Dataset, MIT; page content (c) its publishers),
as laid out in ``../shared/data/html/zh_content_extraction``. Original bytes are kept, so the
charset path (header, meta, detection) is exercised; only UTF-8 pages, every other one, name an HTTP charset.
Deterministic: record ids and dates come from the dataset, not the clock.

    python scripts/make_sample_warc.py [--data ../shared/data] [--pages 30] [--out sample/zh-news-pages.warc.gz]
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


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[1].parent / "shared" / "data"))
    ap.add_argument("--pages", type=int, default=30)
    ap.add_argument("--out", default="sample/zh-news-pages.warc.gz")
    args = ap.parse_args()
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
            http = StatusAndHeaders("200 OK", [("Content-Type", ctype), ("Content-Length", str(len(html)))],
                                    protocol="HTTP/1.1")
            record = writer.create_warc_record(
                url, "response", payload=io.BytesIO(html), http_headers=http,
                warc_headers_dict={"WARC-Date": f"{date}T00:00:00Z",
                                   "WARC-Record-ID": f"<urn:uuid:{uuid.UUID(page.name)}>"})
            writer.write_record(record)
    print(f"wrote {len(pages)} pages to {args.out}")


if __name__ == "__main__":
    main()

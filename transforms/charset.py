"""Decoding HTML payloads: HTTP header charset, then ``<meta>`` charset, then detection.

A declared charset is trusted only if it decodes the bytes strictly; pages that lie about their
encoding fall through to the next source. GB2312/GBK decode as GB18030 (their superset) and Big5
as Big5-HKSCS, so the extra characters real pages use do not break decoding.
"""
from __future__ import annotations

import codecs
import re

import charset_normalizer

_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_\-:.]+)""", re.I)
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030",
              "big5": "big5hkscs", "iso-8859-1": "cp1252", "latin1": "cp1252", "ascii": "cp1252",
              "us-ascii": "cp1252", "shift_jis": "cp932", "euc-kr": "cp949"}


def _canonical(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().lower()
    try:
        name = codecs.lookup(name).name
    except LookupError:
        return None
    return _SUPERSETS.get(name, name)


def meta_charset(payload: bytes) -> str | None:
    match = _META.search(payload[:4096])
    return match.group(1).decode("ascii", "ignore") if match else None


def _strict(payload: bytes, name: str | None) -> str | None:
    name = _canonical(name)
    if not name:
        return None
    try:
        return payload.decode(name)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_html(payload: bytes, header_charset: str | None = None) -> tuple[str, str]:
    """Return ``(text, how)`` where ``how`` names the charset source used."""
    for how, name in (("header", header_charset), ("meta", meta_charset(payload))):
        text = _strict(payload, name)
        if text is not None:
            return text, how
    text = _strict(payload, "utf-8")
    if text is not None:
        return text, "utf8"
    best = charset_normalizer.from_bytes(payload[:65536]).best()
    if best is not None:
        enc = _canonical(best.encoding) or best.encoding
        return payload.decode(enc, errors="replace"), "detected"
    return payload.decode("utf-8", errors="replace"), "replaced"

"""Decoding HTML payloads: HTTP header charset, then ``<meta>`` charset, then detection.

Declarations lie often enough that each is checked against the bytes:

- a payload that is valid UTF-8 and not plain ASCII is UTF-8, whatever it declares: multi-byte
  UTF-8 sequences almost never occur by chance in GBK, Big5 or Latin text, while GBK and Big5
  decoders accept many UTF-8 byte strings and would turn them into wrong characters;
- a declared charset is used only if it decodes the bytes strictly;
- a single-byte Western declaration (latin-1, cp1252, ascii: the old HTTP default) on a page whose
  bytes are mostly above 0x7F is not believed: a Latin page has a few percent such bytes, a CJK
  page over a third. Then the ``<meta>`` charset or detection decides.

GB2312/GBK decode as GB18030 (their superset) and Big5 as Big5-HKSCS, so the extra characters real
pages use do not break decoding.
"""
from __future__ import annotations

import codecs
import re

import charset_normalizer

_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_\-:.]+)""", re.I)
# Names pages use that Python does not know, then supersets keyed by Python's codec names.
_ALIASES = {"x-gbk": "gbk", "gb_2312-80": "gb2312", "x-gb2312": "gb2312", "x-big5": "big5",
            "x-sjis": "shift_jis", "x-euc-jp": "euc_jp"}
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "big5": "big5hkscs", "iso8859-1": "cp1252",
              "ascii": "cp1252", "shift_jis": "cp932", "euc_kr": "cp949"}
_SINGLE_BYTE_WESTERN = {"cp1252", "iso8859-15"}
# A Western single-byte declaration is not believed when, of at least MIN_HIGH_BYTES bytes above
# 0x7F, more than MIN_RUN_SHARE stand next to another one (CJK double-byte text).
MIN_HIGH_BYTES = 32
MIN_RUN_SHARE = 0.8
_HIGH = bytes(range(128, 256))
_HIGH_RUN = re.compile(rb"[\x80-\xff]{2,}")
# WHATWG's prescan reads 1024 bytes; real pages put <meta charset> after long <script> blocks too.
META_SCAN_BYTES = 8192
DETECT_BYTES = 65536
# Share of replacement characters a lenient decode may produce and still be accepted.
MAX_BAD_SHARE = 0.005
CJK_CODECS = {"gb18030", "big5hkscs", "cp932", "cp949", "euc_jp", "euc_kr", "iso2022_jp", "hz"}


def canonical(name: str | None) -> str | None:
    """Python codec name for a declared charset, widened to its superset; None if unknown."""
    if not name:
        return None
    name = name.strip().lower()
    name = _ALIASES.get(name, name)
    try:
        name = codecs.lookup(name).name
    except LookupError:
        return None
    return _SUPERSETS.get(name, name)


def meta_charset(payload: bytes) -> str | None:
    match = _META.search(payload[:META_SCAN_BYTES])
    return match.group(1).decode("ascii", "ignore") if match else None


def _strict(payload: bytes, name: str | None) -> str | None:
    if not name:
        return None
    try:
        return payload.decode(name)
    except (UnicodeDecodeError, LookupError):
        return None


def _multibyte_like(payload: bytes) -> bool:
    """True when bytes above 0x7F come mostly in runs, as in GBK/Big5/Shift-JIS text. In Latin
    text they are single accented letters between ASCII ones."""
    sample = payload[:DETECT_BYTES]
    high = len(sample) - len(sample.translate(None, _HIGH))
    if high < MIN_HIGH_BYTES:
        return False
    in_runs = sum(len(run) for run in _HIGH_RUN.findall(sample))
    return in_runs > MIN_RUN_SHARE * high


def _believable(name: str | None, payload: bytes) -> str | None:
    name = canonical(name)
    if name in _SINGLE_BYTE_WESTERN and _multibyte_like(payload):
        return None
    return name


def detect(payload: bytes) -> str | None:
    """charset-normalizer's best guess on the first 64 KiB, as a canonical codec name."""
    best = charset_normalizer.from_bytes(payload[:DETECT_BYTES]).best()
    if best is None:
        return None
    return canonical(best.encoding) or best.encoding


def _lenient(payload: bytes, name: str | None) -> str | None:
    """Decode with replacement if at most ``MAX_BAD_SHARE`` of the characters are broken (a few
    truncated sequences, one stray byte), else None."""
    if not name:
        return None
    try:
        text = payload.decode(name, errors="replace")
    except LookupError:
        return None
    return text if text.count("\ufffd") <= MAX_BAD_SHARE * max(len(text), 1) else None


def decode_html(payload: bytes, header_charset: str | None = None) -> tuple[str, str]:
    """Return ``(text, how)``; ``how`` is ``utf8``, ``header``, ``meta``, ``detected`` or
    ``replaced`` (nothing fits: UTF-8 with replacement characters).

    Declared charsets are tried strictly, then detection; when nothing decodes strictly, the
    candidate with the fewest broken characters wins.
    """
    text = _strict(payload, "utf-8")
    if text is not None:
        return text, "utf8"
    declared = [(how, _believable(name, payload)) for how, name in
                (("header", header_charset), ("meta", meta_charset(payload)))]
    names = {name for _, name in declared if name}
    if len(names) == 2 and all(_strict(payload, name) is not None for name in names):
        # Header and page disagree and both decode (GBK bytes often decode as Big5 too): let
        # detection pick between them.
        guess = detect(payload)
        declared.sort(key=lambda item: item[1] != guess)
    for how, name in declared:
        text = _strict(payload, name)
        if text is not None:
            return text, how
    guess = detect(payload)
    if guess not in CJK_CODECS and _multibyte_like(payload):
        # Mostly runs of high bytes but detection names no CJK codec: undeclared Chinese pages
        # with a few broken sequences fool charset-normalizer (ptcp154); GB18030 is the usual truth.
        guess = "gb18030"
    text = _strict(payload, guess)
    if text is not None:
        return text, "detected"
    # Nothing decodes strictly (truncated sequences, a stray byte): the candidate with the fewest
    # broken characters, if few enough.
    best = None
    for how, name in [*declared, ("detected", guess)]:
        text = _lenient(payload, name)
        if text is not None and (best is None or text.count("\ufffd") < best[0].count("\ufffd")):
            best = (text, how)
    if best is not None:
        return best
    return payload.decode("utf-8", errors="replace"), "replaced"

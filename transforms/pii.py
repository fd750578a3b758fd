"""Personal data out of the text: e-mail addresses, phone numbers, PRC resident ID numbers, bank
cards and public IP addresses, each replaced by a placeholder naming its kind.

Candidates come from one regular expression per format; numbers are then checked
(:mod:`transforms.pii_checks`: ID check digit and birth date, Luhn and issuer prefix, public IP
ranges). A match never runs into a neighbouring digit or Latin letter, so in Chinese text without
spaces ``电话13812345678联系`` is a phone number while ``202312061381234567890`` is not. Left alone on
purpose:

- numbers right after a label that says what they are (``订单号：``, ``运单号``, ``ISBN``,
  ``tracking no.``): order and tracking numbers have the shapes of phones and cards;
- phone, ID and card numbers inside code (fenced or inline backticks, lines that parse as code)
  and inside URLs (``/item/13812345678``);
- phone-shaped parts of four groups of four digits (a card number failing its check);
- e-mail look-alikes inside URLs (``medium.com/@name``), file names (``icon@2x.png``), and
  addresses at domains reserved for documentation (``user@example.com``, ``.test``);
- dotted quads whose four parts are single digits (section numbers: ``5.2.1.3``), that end in
  ``.0`` (network addresses; version tables: ``3.36.10.0``), that start a CIDR block
  (``8.8.4.0/24``), or that follow a version label (``version 4.10.2.1``).

IP addresses are redacted inside URLs too, as datatrove's ``PIIFormatter`` (FineWeb) does.
"""
from __future__ import annotations

import bisect
import collections
import dataclasses
import re
from typing import Callable, Iterable, Iterator

import pyarrow as pa

from transforms.document import Document
from transforms.keep_or_drop import Step
from transforms.pii_checks import id_birth_date_ok, is_bank_card, is_public_ip, is_resident_id

# Overlapping candidates: the leftmost wins, then the longest, then the kind listed first.
KINDS = ("email", "ip", "id_number", "bank_card", "phone")
PLACEHOLDERS = {"email": "<EMAIL>", "phone": "<PHONE>", "id_number": "<ID_NUMBER>",
                "bank_card": "<BANK_CARD>", "ip": "<IP>"}
COLUMN = "pii_redactions"


@dataclasses.dataclass(frozen=True, order=True)
class Match:
    start: int
    end: int
    kind: str


# Digits are [0-9], never \d (which takes full-width and other scripts' digits). A number must
# not continue a number, word or decimal on the left, nor go on into one on the right (a comma
# followed by three digits is a thousands separator). Each pattern opens with a lookahead of the
# characters it can start with: the regex engine then skips to those (about 4x faster).
_L = r"(?<![0-9A-Za-z_])(?<![0-9][.,])"
_NUM = r"(?=[+(（0-9])" + _L
_R = r"(?![0-9A-Za-z_])(?!\.[0-9])(?!,[0-9]{3}(?![0-9]))"
_CN_PREFIX = r"(?:(?:\+|00)?86[ -]?|[(（](?:\+|00)?86[)）] ?)"
_AREA = r"(?:10|2[0-9]|[3-9][0-9]{2})"  # CN area codes without the trunk 0: 10, 2x, 3-4 digits
_PHONES = tuple(re.compile(p) for p in (
    # CN mobile: 1[3-9] + 9 digits, plain or 3-4-4, with +86 / 86 / 0086 / (+86).
    _NUM + _CN_PREFIX + r"?1[3-9][0-9](?:[0-9]{8}|[ -][0-9]{4}[ -][0-9]{4})" + _R,
    # CN landline with its area code: 010-12345678, (0755)86013388, +86 21 6212 3456, ext. -8001.
    _NUM + r"(?:(?:(?:\+|00)86[ -]?|86-)[(（]?" + _AREA + r"[)）]?[ -]?|[(（]0" + _AREA + r"[)）] ?|0" + _AREA
    + r"[ -])[2-9][0-9]{2,3}[ -]?[0-9]{4}(?:(?:-|转|ext\.? ?)[0-9]{1,5})?" + _R,
    # US/CA (NANP): (415) 555-0132, 415-555-0132, 415.555.0132, +1 415 555 0132, 1-800-555-0199.
    _NUM + r"(?:\+1[ .-]?|1[ .-])?(?:\([2-9][0-9]{2}\) ?|[2-9][0-9]{2}[ .-])[2-9][0-9]{2}[ .-][0-9]{4}" + _R,
))
# E.164 with a country code: +44 20 7946 0958, +81 3-1234-5678, +44 (0)20 7946 0958; 8-15 digits
# (+1: NANP's 11), checked after matching.
_E164 = re.compile(r"\+(?<![0-9A-Za-z_+]\+)[1-9][0-9]*+(?:[ -]?\([0-9]{1,4}\)[ -]?[0-9]++|[ -][0-9]++)*+" + _R)
# Four groups of four digits are a card's shape: a phone-shaped part of one is not a phone.
_CARD_SHAPE = re.compile(r"(?<![0-9])[0-9]{4}([ -])[0-9]{4}\1[0-9]{4}\1[0-9]{4}(?![0-9])")
_ID = re.compile(r"(?=[1-9])" + _L + r"([1-9][0-9]{5})([ -]?)((?:18|19|20)[0-9]{2}[01][0-9][0-3][0-9])\2([0-9]{3}[0-9Xx])" + _R)
_CARD = re.compile(r"(?=[0-9])" + _L + r"[0-9](?:[ -]?[0-9]){12,22}" + _R)
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IPV4 = re.compile(r"(?=[0-9])(?<![0-9A-Za-z_.])(?:" + _OCTET + r"\.){3}" + _OCTET + r"(?![0-9A-Za-z_])(?!\.[0-9])")
# Global unicast IPv6 starts with 2 or 3 (2000::/3); the address is checked by ``ipaddress``.
_IPV6 = re.compile(r"(?=[23])(?<![0-9A-Za-z_:.])[23][0-9A-Fa-f]{0,3}:[0-9A-Fa-f:]{2,36}+(?![0-9A-Za-z_])(?!\.[0-9])")
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+/-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?@"
                    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,24})(?![A-Za-z0-9-])")
# ``name@2x.png`` is an image, not a mailbox: file extensions that no TLD shares.
_FILE_EXTENSIONS = frozenset("png jpg jpeg gif svg webp bmp ico css js json html htm php pdf txt xml md".split())
# Domains reserved for documentation and tests (RFC 2606, RFC 6761): nobody's mailbox.
_RESERVED_MAIL = re.compile(r"(?:^|\.)(?:example\.(?:com|net|org)|[^.]+\.(?:example|test|invalid|localhost))$", re.I)

# A label right before a number that says it is not personal data (orders, parcels, books).
_LOOKALIKE_LABEL = re.compile(
    r"(?:订单|单号|运单|快递单|流水号|交易号|序列号|批号|批次号|条码|代码|发票号|合同号|证书号|专利号|备案号|案号"
    r"|(?i:order|tracking|invoice|serial|sku|barcode|isbn|issn|ref|reference|transaction))"
    r"(?:号码|号|编号|编码)?(?:[ ]?(?i:number|num|no\.?|id|#))?[ ]*[:：#]?[ ]*$")
_VERSION_LABEL = re.compile(r"(?i:\bv|version|ver\.|release|build|firmware|版本号?|固件|内核)[ ]*[:：]?[ ]*$")
_LABEL_WINDOW = 24
# A URL ends at a space, a quote or bracket, or CJK text (Chinese pages run URLs into the sentence).
_URL_CHARS = r"[^\s<>\"'\u3000-\u9fff\uf900-\ufaff\uff00-\uffef]+"
_URL = re.compile(r"(?:https?|ftp)://" + _URL_CHARS + r"|www\." + _URL_CHARS, re.I)
# Code: fenced blocks, inline `spans`, and lines without Han text that read as code (a keyword
# first, an assignment, or a statement ending in ; { } with brackets or = in it).
_FENCE = re.compile(r"```.*?(?:```|\Z)", re.S)
# A code span opens and closes with the same run of backticks (CommonMark; reST's ``literal``).
_INLINE_CODE = re.compile(r"(?<!`)(`+)(?!`)[^\n]+?(?<!`)\1(?!`)")
_CODE_LINE = re.compile(
    r"^[ \t]*(?:(?:def|class|import|from|return|const|let|var|int|long|float|double|char|bool|public|private"
    r"|static|void|final|assert|print|printf|echo|console\.log|System\.out\.print\w*|#include|#define|SELECT"
    r"|INSERT|UPDATE)\b.*|[A-Za-z_$][A-Za-z0-9_$.\[\]'\"]*[ \t]*(?:[-+*/%|&^]|<<|>>)?=(?!=)[ \t]*\S.*"
    r"|.*[=()\[\]{}].*[;{}][ \t]*(?://.*)?)$", re.M)
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


class _Context:
    """Where a candidate sits: URL and code spans, computed once per text and only when a
    candidate has passed its own checks (most texts never need them)."""

    def __init__(self, text: str):
        self.text = text
        self._urls: list[tuple[int, int]] | None = None
        self._code: list[tuple[int, int]] | None = None
        self._card_shapes: list[tuple[int, int]] | None = None

    @staticmethod
    def _inside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
        i = bisect.bisect_right(spans, (start, float("inf"))) - 1
        return i >= 0 and spans[i][0] <= start and end <= spans[i][1]

    def in_url(self, start: int, end: int) -> bool:
        if self._urls is None:
            self._urls = [m.span() for m in _URL.finditer(self.text)]
        return self._inside(self._urls, start, end)

    def in_code(self, start: int, end: int) -> bool:
        if self._code is None:
            spans = [m.span() for rx in (_FENCE, _INLINE_CODE) for m in rx.finditer(self.text)]
            spans += [m.span() for m in _CODE_LINE.finditer(self.text) if not _HAN.search(m.group(0))]
            self._code = _merge(spans)
        return self._inside(self._code, start, end)

    def in_card_shape(self, start: int, end: int) -> bool:
        if self._card_shapes is None:
            self._card_shapes = [m.span() for m in _CARD_SHAPE.finditer(self.text)]
        return self._inside(self._card_shapes, start, end)

    def labelled(self, start: int, label: re.Pattern) -> bool:
        line_start = self.text.rfind("\n", 0, start) + 1
        return label.search(self.text, max(line_start, start - _LABEL_WINDOW), start) is not None

    def number_ok(self, start: int, end: int) -> bool:
        """A phone, ID or card candidate is personal data here (no look-alike label, not in code or a URL)."""
        return not (self.labelled(start, _LOOKALIKE_LABEL) or self.in_url(start, end) or self.in_code(start, end))


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def find_emails(text: str, ctx: _Context | None = None) -> Iterator[Match]:
    if "@" not in text:
        return
    ctx = ctx or _Context(text)
    # Only around each "@" (a local part is at most 64 characters, a domain 253): the pattern
    # opens with a character class most text is made of.
    end, at = 0, text.find("@")
    while at != -1:
        for m in _EMAIL.finditer(text, max(end, at - 64), min(len(text), at + 256)):
            if m.start() <= at < m.end():
                end = m.end()
                domain = m.group(0).rpartition("@")[2]
                if (m.group(1).lower() not in _FILE_EXTENSIONS and not _RESERVED_MAIL.search(domain)
                        and not ctx.in_url(*m.span())):
                    yield Match(m.start(), m.end(), "email")
                break
        at = text.find("@", max(at + 1, end))


def _e164_digits_ok(number: str) -> bool:
    digits = sum(ch.isdigit() for ch in number)
    nanp = number[1] == "1" and (len(number) == 2 or not number[2].isdigit())  # "+1 415 ...", "+1"
    return digits == 11 if nanp else 8 <= digits <= 15


def find_phones(text: str, ctx: _Context | None = None) -> Iterator[Match]:
    ctx = ctx or _Context(text)
    candidates = [m for rx in _PHONES for m in rx.finditer(text)]
    candidates += [m for m in _E164.finditer(text) if _e164_digits_ok(m.group(0))]
    for m in candidates:
        if ctx.number_ok(*m.span()) and not ctx.in_card_shape(*m.span()):
            yield Match(m.start(), m.end(), "phone")


def find_id_numbers(text: str, ctx: _Context | None = None) -> Iterator[Match]:
    ctx = ctx or _Context(text)
    for m in _ID.finditer(text):
        if is_resident_id(m.group(1) + m.group(3) + m.group(4)) and ctx.number_ok(*m.span()):
            yield Match(m.start(), m.end(), "id_number")


def _card_end(candidate: str) -> int | None:
    """Length of the card number at the start of ``candidate``, or None. Accepted shapes: one run
    of digits; groups of 4 with a shorter last group (trailing groups that break the check are
    cut: ``4111 1111 1111 1111 12/25``); American Express 4-6-5 and Diners 4-6-4. One separator
    kind throughout."""
    if len(set(re.findall(r"[ -]", candidate))) > 1:
        return None
    groups = re.split(r"[ -]", candidate)
    if len(groups) == 1:  # an ID-shaped number whose check digit fails is a wrong ID, not a card
        ok = is_bank_card(candidate) and not (len(candidate) == 18 and id_birth_date_ok(candidate))
        return len(candidate) if ok else None
    lengths = [len(g) for g in groups]
    if lengths[:3] in ([4, 6, 5], [4, 6, 4]):
        return sum(lengths[:3]) + 2 if is_bank_card("".join(groups[:3])) else None
    for k in range(len(groups), 1, -1):
        head = lengths[:k]
        if any(n != 4 for n in head[:-1]) or head[-1] > 4:
            continue
        digits = "".join(groups[:k])
        if 13 <= len(digits) <= 19 and is_bank_card(digits):
            return sum(head) + k - 1
    return None


def find_bank_cards(text: str, ctx: _Context | None = None) -> Iterator[Match]:
    ctx = ctx or _Context(text)
    for m in _CARD.finditer(text):
        n = _card_end(m.group(0))
        if n is not None and ctx.number_ok(m.start(), m.start() + n):
            yield Match(m.start(), m.start() + n, "bank_card")


def find_ips(text: str, ctx: _Context | None = None) -> Iterator[Match]:
    ctx = ctx or _Context(text)
    for m in _IPV4.finditer(text):
        ip = m.group(0)
        if (is_public_ip(ip) and any(len(p) > 1 for p in ip.split(".")) and not ip.endswith(".0")
                and text[m.end():m.end() + 1] != "/" and not ctx.labelled(m.start(), _VERSION_LABEL)):
            yield Match(m.start(), m.end(), "ip")
    if ":" in text:
        for m in _IPV6.finditer(text):
            ip = m.group(0)
            if ip.endswith(":") and not ip.endswith("::"):  # a colon ending the sentence
                ip = ip[:-1]
            if ip.count(":") >= 2 and is_public_ip(ip):
                yield Match(m.start(), m.start() + len(ip), "ip")


FINDERS: dict[str, Callable[[str, _Context | None], Iterator[Match]]] = {
    "email": find_emails, "ip": find_ips, "id_number": find_id_numbers,
    "bank_card": find_bank_cards, "phone": find_phones}


def find_pii(text: str, kinds: Iterable[str] = KINDS) -> list[Match]:
    """Non-overlapping matches of ``kinds`` in text order (leftmost, then longest, then the kind
    first in :data:`KINDS`)."""
    ctx = _Context(text)
    priority = {k: i for i, k in enumerate(KINDS)}
    candidates = sorted((m for kind in kinds for m in FINDERS[kind](text, ctx)),
                        key=lambda m: (m.start, -m.end, priority[m.kind]))
    out: list[Match] = []
    for m in candidates:
        if not out or m.start >= out[-1].end:
            out.append(m)
    return out


def redact(text: str, matches: list[Match]) -> str:
    """``text`` with each match replaced by its kind's placeholder; all else unchanged."""
    parts, pos = [], 0
    for m in matches:
        parts += [text[pos:m.start], PLACEHOLDERS[m.kind]]
        pos = m.end
    parts.append(text[pos:])
    return "".join(parts)


class PII(Step):
    """Replaces personal data with ``<EMAIL>``, ``<PHONE>``, ``<ID_NUMBER>``, ``<BANK_CARD>``,
    ``<IP>``; never drops. Counts ``redacted:<kind>`` (replacements) and ``documents_redacted``,
    and writes the document's number of replacements to ``pii_redactions``. Each kind can be switched off."""

    name = "pii"
    columns = {COLUMN: pa.int32()}

    def __init__(self, email: bool = True, phone: bool = True, id_number: bool = True,
                 bank_card: bool = True, ip: bool = True):
        switches = {"email": email, "phone": phone, "id_number": id_number, "bank_card": bank_card, "ip": ip}
        for kind, on in switches.items():
            if not isinstance(on, bool):
                raise ValueError(f"pii: {kind} must be true or false, got {on!r}")
        self.kinds = tuple(k for k in KINDS if switches[k])

    def process(self, doc: Document) -> Document:
        matches = find_pii(doc.text or "", self.kinds) if self.kinds else []
        for kind, n in sorted(collections.Counter(m.kind for m in matches).items()):
            self.count(f"redacted:{kind}", n)
        if matches:
            self.count("documents_redacted")
        text = redact(doc.text, matches) if matches else doc.text
        return dataclasses.replace(doc, text=text, extra={**doc.extra, COLUMN: len(matches)})

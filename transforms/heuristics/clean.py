"""Cleaning before filtering: Unicode NFKC, whitespace, and boilerplate line removal.

NFKC folds full-width letters and digits and compatibility characters (CCNet and FineWeb-2
normalise likewise), except the full-width punctuation Chinese typography uses (``，！？：；（）…～``),
which NFKC would turn into ASCII. Boilerplate lines are the site furniture that text extractors
let through: cookie and JavaScript notices, copyright lines, navigation and breadcrumb lines
(RefinedWeb, Penedo et al. 2023, sec. G.2, removes the same kinds of line). Each removed line is
counted under its rule so the report shows what cleaning cost.
"""
from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections import Counter

# Zero-width characters and controls other than tab/newline carry no text.
_INVISIBLE_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_NEWLINES_RE = re.compile("\r\n?|[\u2028\u2029\x85]")
# Only what needs changing: runs of spaces, and tabs or exotic spaces (a plain single space
# matching too would make every word boundary a replacement).
_SPACES_RE = re.compile("[ \t\u00a0\u3000]{2,}|[\t\u00a0\u3000]")
_BLANK_RUN_RE = re.compile(r"\n{3,}")
# Chinese punctuation kept through NFKC: the text is normalised between these characters.
_CJK_PUNCT_RE = re.compile("([，！？：；（）…～])")
# Lines stripped of surrounding spaces, in one pass over the text.
_LINE_EDGE_SPACES_RE = re.compile(r" +(?=\n)|(?<=\n) +")

_COOKIE_RE = re.compile(
    r"\bcookies?\b.{0,80}\b(accept|consent|agree|allow|settings|preferences|policy|browsing|experience)"
    r"|\b(accept|allow|use|uses|using)\b.{0,40}\bcookies?\b|使用\s*cookies?|cookies?\s*(政策|设置)",
    re.IGNORECASE)
_SCRIPT_RE = re.compile(
    r"(enable|disable|turn on|activate|require|requires|support)\w*.{0,40}\bjavascript\b"
    r"|\bjavascript\b.{0,40}\b(enabled|disabled|required|is off)\b|(开启|启用|打开|支持).{0,8}javascript",
    re.IGNORECASE)
_COPYRIGHT_RE = re.compile(r"^(©|\(c\)|copyright\b)|all rights reserved|版权所有|©\s*\d{4}|\bcopyright\s*©?\s*\d{4}",
                           re.IGNORECASE)
_COPYRIGHT_KEYS = ("©", "(c)", "copyright", "rights reserved", "版权所有")
_NAV_SEPARATORS = frozenset("|»›>•:")
_NAV_SEPARATORS_RE = re.compile(r"\s*(?:\||»|›|>>|>|•|::)\s*")
_NAV_PREFIX_RE = re.compile(
    r"^(当前位置|您的位置|你的位置|所在位置|上一篇|下一篇|上一页|下一页|返回顶部|返回首页|返回列表|分享到|扫一扫|"
    r"skip to (main )?content|back to top|previous post|next post|share this|follow us)\b",
    re.IGNORECASE)

BOILERPLATE_RULES = ("cookie", "javascript", "copyright", "navigation")


def _is_navigation(line: str, max_chars: int) -> bool:
    if _NAV_PREFIX_RE.match(line) and len(line) <= max_chars:
        return True
    if _NAV_SEPARATORS.isdisjoint(line):
        return False
    parts = [p for p in _NAV_SEPARATORS_RE.split(line) if p]
    # Menus and breadcrumbs: three or more short items joined by separators ("Home | News | About").
    return len(parts) >= 3 and all(len(p) <= 24 and len(p.split()) <= 3 for p in parts)


def normalize(text: str, nfkc: bool = True) -> str:
    """NFKC (optional; Chinese punctuation kept), one newline convention, no invisible characters, single spaces, no line
    indentation, at most one blank line in a row."""
    if nfkc and not unicodedata.is_normalized("NFKC", text):
        # Odd pieces of the split are the kept punctuation marks; NFKC acts per character here
        # (no decomposition spans one of them), so piecewise equals whole-text normalisation.
        parts = _CJK_PUNCT_RE.split(text)
        parts[::2] = [unicodedata.normalize("NFKC", p) for p in parts[::2]]
        text = "".join(parts)
    # Each substitution only where its target occurs: substring tests cost far less than a scan.
    if "\r" in text or "\u2028" in text or "\u2029" in text or "\x85" in text:
        text = _NEWLINES_RE.sub("\n", text)
    text = _INVISIBLE_RE.sub("", text)
    if "  " in text or "\t" in text or "\u00a0" in text or "\u3000" in text:
        text = _SPACES_RE.sub(" ", text)
    if " \n" in text or "\n " in text:
        text = _LINE_EDGE_SPACES_RE.sub("", text)
    if "\n\n\n" in text:
        text = _BLANK_RUN_RE.sub("\n\n", text)
    return text.strip()


@dataclasses.dataclass(frozen=True)
class Cleaner:
    """Normalises a text and removes boilerplate lines; ``clean`` returns the text and the lines
    removed per rule (``boilerplate_<rule>``)."""

    nfkc: bool = True
    # Rules from BOILERPLATE_RULES to apply; [] keeps every line.
    boilerplate: tuple[str, ...] = BOILERPLATE_RULES
    # Lines longer than this are content even if they mention cookies or copyright.
    max_boilerplate_chars: int = 200

    def __post_init__(self):
        unknown = set(self.boilerplate) - set(BOILERPLATE_RULES)
        if unknown:
            raise ValueError(f"clean.boilerplate: unknown rule(s) {sorted(unknown)}; known: {list(BOILERPLATE_RULES)}")
        object.__setattr__(self, "boilerplate", tuple(self.boilerplate))

    def line_rule(self, line: str) -> str | None:
        if not line or len(line) > self.max_boilerplate_chars:
            return None
        lower = line.lower()
        for rule in self.boilerplate:
            # Substring checks first: most lines never reach a regular expression.
            if rule == "cookie" and "cookie" in lower and _COOKIE_RE.search(line):
                return "boilerplate_cookie"
            if rule == "javascript" and "javascript" in lower and _SCRIPT_RE.search(line):
                return "boilerplate_javascript"
            if rule == "copyright" and any(k in lower for k in _COPYRIGHT_KEYS) and _COPYRIGHT_RE.search(line):
                return "boilerplate_copyright"
            if rule == "navigation" and _is_navigation(line, self.max_boilerplate_chars):
                return "boilerplate_navigation"
        return None

    def clean(self, text: str) -> tuple[str, Counter]:
        text = normalize(text, self.nfkc)
        removed: Counter = Counter()
        if not self.boilerplate:
            return text, removed
        kept = []
        for line in text.split("\n"):
            rule = self.line_rule(line)
            if rule:
                removed[rule] += 1
            else:
                kept.append(line)
        if removed:
            text = _BLANK_RUN_RE.sub("\n\n", "\n".join(kept)).strip()
        return text, removed

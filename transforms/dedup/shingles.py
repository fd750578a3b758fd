"""Shingles per language: word n-grams for space-delimited text, character n-grams for Chinese.

Normalisation follows FineWeb's MinHash stage (``datatrove.utils.text.simplify_text``): lower case,
punctuation and whitespace dropped. Chinese (and Japanese) text has no spaces, so splitting on
whitespace would make one "word" per sentence; those get character n-grams over the text with
non-word characters removed instead (the scheme text-dedup and CCNet use for CJK).
"""
from __future__ import annotations

import re

_WORD = re.compile(r"\w+")
_NON_WORD = re.compile(r"[\W_]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Languages written without spaces between words.
CHAR_LANGUAGES = ("zh", "ja")
# Share of CJK characters above which text of unknown language gets character shingles; 0.3 as in
# the peer kit's datasketch baseline (a Chinese page with English navigation stays Chinese).
MIN_CJK_SHARE = 0.3
_SAMPLE_CHARS = 2000


def uses_characters(text: str, lang: str | None) -> bool:
    """Whether ``text`` is shingled by characters: by its language tag when known, else by the
    share of CJK characters in its first 2,000 characters."""
    if lang:
        return lang.split("-")[0].lower() in CHAR_LANGUAGES
    sample = text[:_SAMPLE_CHARS]
    return bool(sample) and len(_CJK.findall(sample)) > MIN_CJK_SHARE * len(sample)


def units(text: str, by_char: bool) -> list[str]:
    """The normalised tokens shingles are made of: words, or characters (non-word characters out)."""
    lowered = text.lower()
    if by_char:
        return list(_NON_WORD.sub("", lowered))
    return _WORD.findall(lowered)


def joined_units(text: str, by_char: bool) -> str:
    """The units as one string: words joined by one space, characters with no separator. Every
    shingle is a substring of it (the fast path hashes those slices of its UTF-8 bytes in place)."""
    lowered = text.lower()
    if by_char:
        return _NON_WORD.sub("", lowered)
    return " ".join(_WORD.findall(lowered))


def shingles(text: str, lang: str | None = None, word_ngram: int = 5, char_ngram: int = 5) -> set[str]:
    """The set of n-gram shingles of ``text``. A text shorter than n units is one shingle (so two
    identical short texts still match); a text with no units has no shingles."""
    by_char = uses_characters(text, lang)
    toks = units(text, by_char)
    n = char_ngram if by_char else word_ngram
    sep = "" if by_char else " "
    if len(toks) <= n:
        return {sep.join(toks)} if toks else set()
    # zip of n shifted views + map(join): the loop runs in C, ~20 % faster than slicing per shingle
    return set(map(sep.join, zip(*[toks[i:] for i in range(n)])))

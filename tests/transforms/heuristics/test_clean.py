"""Normalisation and boilerplate line removal, on real page lines."""
from __future__ import annotations

from transforms.heuristics.clean import Cleaner, normalize


def test_normalize_nfkc_whitespace_and_invisibles(zh_law_paragraphs):
    para = zh_law_paragraphs[0]
    raw = "\ufeff  " + para.replace("，", "\uff0c\u200b") + "\r\n\r\n\r\n\u3000Ｆｕｌｌ　ｗｉｄｔｈ\x08 text\t\there"
    out = normalize(raw)
    # Full-width letters fold; Chinese punctuation (，) stays as Chinese text writes it.
    assert out == para + "\n\nFull width text here"
    assert normalize(raw, nfkc=False).split("\n\n")[1] == "Ｆｕｌｌ ｗｉｄｔｈ text here"


def test_boilerplate_rules_count_removed_lines(fomc_sentences, zh_law_paragraphs):
    body = fomc_sentences[:3] + zh_law_paragraphs[:2]
    lines = [
        "Home | News | Monetary Policy | About",
        body[0],
        "This website uses cookies to improve your experience. Accept all cookies",
        body[1],
        "Copyright © 2023 Board of Governors of the Federal Reserve System. All rights reserved.",
        body[2],
        "首页 > 新闻中心 > 正文",
        body[3],
        "版权所有 © 上海市人民代表大会常务委员会",
        "Please enable JavaScript in your browser to use this site.",
        "上一篇：上海市中小学校外实践教育促进规定",
        body[4],
    ]
    text, removed = Cleaner().clean("\n".join(lines))
    assert text == "\n".join(body)
    assert removed == {"boilerplate_navigation": 3, "boilerplate_cookie": 1, "boilerplate_copyright": 2,
                       "boilerplate_javascript": 1}
    # Content lines mentioning the same words stay.
    kept = "The Committee noted that the copyright office and cookie exports were discussed at length."
    assert Cleaner().line_rule(kept) is None
    assert Cleaner(boilerplate=[]).clean("\n".join(lines))[1] == {}


def test_unknown_rule_is_an_error():
    import pytest

    with pytest.raises(ValueError, match="unknown rule"):
        Cleaner(boilerplate=["cookies"])

"""The heuristics step: language routing, cleaning counters, stats columns, and the Beam run."""
from __future__ import annotations

from collections import Counter

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from pipelines.config import ConfigError, load_config
from pipelines.step_registry import BUILDERS
from tests.conftest import beam_test_pipeline, step_counters
from transforms.apply import ApplyStep
from transforms.document import Document
from transforms.heuristics.heuristics_step import Heuristics, count_into
from transforms.keep_or_drop import Drop

# Reasons only English rules give: C4 line/sentence rules, English stop words and word lengths,
# FineWeb's ASCII line punctuation.
ENGLISH_ONLY = ("c4_", "gopher_few_stop_words", "gopher_short_mean_word_length", "gopher_long_mean_word_length",
                "fineweb_line_punct_ratio")


def default_section(**overrides):
    section = dict(load_config()["heuristics"])
    section.pop("enabled")
    section.update(overrides)
    return section


def make_step(counts=None, **overrides):
    step = Heuristics(**default_section(**overrides), counter_inc_fn=count_into(counts if counts is not None else Counter()))
    step.setup()
    return step


def en_page(fomc_sentences):
    return "\n".join(["Home | News | Monetary Policy | About", *fomc_sentences[:12],
                      "Copyright © 2023 Federal Reserve Board. All rights reserved."])


def test_good_english_page_is_kept_and_cleaned(fomc_sentences):
    counts = Counter()
    out = make_step(counts).process(Document(id="a", text=en_page(fomc_sentences), lang="en"))
    assert isinstance(out, Document)
    assert out.text == "\n".join(fomc_sentences[:12])
    assert counts == {"lines_removed:boilerplate_navigation": 1, "lines_removed:boilerplate_copyright": 1}


def test_good_chinese_is_not_dropped_by_english_rules(cwt, zh_law_paragraphs):
    step = make_step()
    docs = cwt["clean"] + ["\n".join(zh_law_paragraphs[i:i + 6]) for i in range(0, 24, 6)]
    for lang in ("zh", None):  # labelled Chinese, and unlabelled text routed by its script
        verdicts = [step.process(Document(id=str(i), text=t, lang=lang)) for i, t in enumerate(docs)]
        reasons = [v.reason for v in verdicts if isinstance(v, Drop)]
        assert not [r for r in reasons if r.startswith(ENGLISH_ONLY)], reasons
        assert sum(isinstance(v, Document) for v in verdicts) >= 9
    # The same documents under English rules: all dropped, by rules that count whitespace words
    # (C4's three-word line rule empties the text; a line without spaces is one "word").
    english = [step.process(Document(id=str(i), text=t, lang="en")) for i, t in enumerate(docs)]
    assert all(isinstance(v, Drop) and v.reason.startswith(ENGLISH_ONLY + ("clean_empty", "gopher_short_doc"))
               for v in english)


def test_write_stats_columns_on_kept_and_dropped(fomc_sentences):
    step = make_step(write_stats=True)
    assert "hs_gopher_word_count" in step.columns and "hs_zh_han_ratio" in step.columns
    kept = step.process(Document(id="a", text=en_page(fomc_sentences), lang="en"))
    assert kept.extra["hs_gopher_word_count"] == sum(len(s.split()) for s in fomc_sentences[:12])
    assert set(kept.extra) == {c for c in step.columns if not c.startswith("hs_zh_")}
    sentence = next(s for s in fomc_sentences if len(s.split()) < 30)
    short = Document(id="b", text=sentence, lang="en")
    verdict = step.process(short)
    assert isinstance(verdict, Drop) and verdict.reason == "gopher_short_doc"
    # Dropped records keep their values for the rejects table; every filter was scored. The
    # input itself is untouched (documents are values).
    shown = verdict.rejected_doc(short)
    assert shown.extra["hs_gopher_word_count"] == len(sentence.split())
    assert "hs_fineweb_line_punct_ratio" in shown.extra
    assert short.extra == {}
    assert make_step().columns == {}


def test_traditional_to_simplified(zh_law_paragraphs):
    from opencc import OpenCC

    simplified = "\n".join(zh_law_paragraphs[:6])
    traditional = OpenCC("s2t").convert(simplified)
    assert traditional != simplified
    out = make_step(zh_to_simplified=True).process(Document(id="z", text=traditional, lang="zh"))
    assert out.text == OpenCC("t2s").convert(traditional)
    assert make_step().process(Document(id="z", text=traditional, lang="zh")).text == traditional


def test_empty_after_cleaning():
    verdict = make_step().process(Document(id="c", text="Copyright 2017-2025 Example Inc. All Rights Reserved.", lang="en"))
    assert verdict == Drop("clean_empty")


def test_bad_config_fails_before_launch():
    with pytest.raises(ConfigError, match="unknown filter"):
        BUILDERS["heuristics"](default_section(languages={"en": {"gopher": {}}}))
    with pytest.raises(ConfigError, match="unknown setting"):
        BUILDERS["heuristics"](default_section(languages={"en": {"c4": {"min_word": 3}}}))
    chinese = default_section()["languages"]["zh"]["chinese"]
    with pytest.raises(ConfigError, match="not found"):
        BUILDERS["heuristics"](default_section(languages={"zh": {"chinese": {**chinese, "sensitive_word_lists": ["/nope.txt"]}}}))
    # The filter classes have no thresholds of their own: a section without them is refused, by name.
    with pytest.raises(ConfigError, match=r"heuristics: GopherQuality: missing setting\(s\) \['alpha_tokens', 'max_bullet_lines_ratio'"):
        BUILDERS["heuristics"](default_section(languages={"de": {"gopher_quality": {"min_doc_words": 10}}}))


def test_pipeline_counts_exactly(fomc_sentences, cwt, zh_law_paragraphs):
    docs = [
        Document(id="en_good", text=en_page(fomc_sentences), lang="en"),
        Document(id="en_short", text=next(s for s in fomc_sentences if len(s.split()) < 30), lang="en"),
        Document(id="zh_good", text="\n".join(zh_law_paragraphs[:8]), lang="zh"),
        Document(id="zh_latin", text=cwt["dirty"][4], lang="zh"),
    ]
    transform = BUILDERS["heuristics"](default_section(write_stats=True))
    assert isinstance(transform, ApplyStep) and "hs_c4_sentences" in transform.columns
    p = beam_test_pipeline()
    out = p | beam.Create(docs) | "Heuristics" >> transform
    assert_that(out["kept"] | "KeptIds" >> beam.Map(lambda d: d.id), equal_to(["en_good", "zh_good"]), label="Kept")
    assert_that(out["rejected"] | "Reasons" >> beam.Map(lambda r: (r.doc.id, r.reason)),
                equal_to([("en_short", "gopher_short_doc"), ("zh_latin", "zh_low_han_ratio")]), label="Rejected")
    result = p.run()
    result.wait_until_finish()
    counters = step_counters(result, "heuristics")
    zh_latin_removed = make_step().cleaner.clean(cwt["dirty"][4])[1]
    expected = Counter({"kept": 2, "dropped:gopher_short_doc": 1, "dropped:zh_low_han_ratio": 1,
                        "lines_removed:boilerplate_navigation": 1, "lines_removed:boilerplate_copyright": 1})
    expected.update({f"lines_removed:{rule}": n for rule, n in zh_latin_removed.items()})
    assert counters == dict(expected)


def test_stats_columns_land_in_parquet(tmp_path, fomc_sentences, zh_law_paragraphs):
    import pyarrow.parquet as pq

    from transforms.document import parquet_schema, to_row

    docs = [Document(id="en_good", text=en_page(fomc_sentences), lang="en"),
            Document(id="zh_good", text="\n".join(zh_law_paragraphs[:8]), lang="zh"),
            Document(id="en_short", text=next(s for s in fomc_sentences if len(s.split()) < 30), lang="en")]
    transform = BUILDERS["heuristics"](default_section(write_stats=True))
    with beam_test_pipeline() as p:
        out = p | beam.Create(docs) | "Heuristics" >> transform
        schema = parquet_schema(transform.columns)
        rejected_schema = parquet_schema(transform.columns, rejected=True)
        (out["kept"] | "Rows" >> beam.Map(to_row, schema)
         | "Write" >> beam.io.WriteToParquet(str(tmp_path / "kept" / "kept"), schema, file_name_suffix=".parquet"))
        (out["rejected"] | "RejectedRows" >> beam.Map(lambda r: {**to_row(r.doc, rejected_schema), "step": r.step,
                                                                 "reason": r.reason})
         | "WriteRejected" >> beam.io.WriteToParquet(str(tmp_path / "rejected" / "rejected"), rejected_schema,
                                                     file_name_suffix=".parquet"))
    kept = pq.read_table(tmp_path / "kept").to_pylist()
    en, zh = ([r for r in kept if r["lang"] == lang] for lang in ("en", "zh"))
    rejected = pq.read_table(tmp_path / "rejected").to_pylist()
    assert [r["id"] for r in en] == ["en_good"] and [r["id"] for r in zh] == ["zh_good"]
    assert en[0]["hs_gopher_word_count"] == sum(len(s.split()) for s in fomc_sentences[:12])
    assert en[0]["hs_zh_han_ratio"] is None and zh[0]["hs_zh_han_ratio"] > 0.8
    assert zh[0]["hs_c4_sentences"] is None  # Chinese has no C4 rules
    assert [(r["id"], r["reason"]) for r in rejected] == [("en_short", "gopher_short_doc")]
    assert rejected[0]["hs_gopher_word_count"] < 50


def test_other_languages(fomc_sentences):
    german = Document(id="de", text="Die Sitzung wurde vertagt.", lang="de")
    assert make_step(other_languages="keep").process(german) is german
    assert isinstance(make_step().process(german), Drop)  # `script`: English rules
    with pytest.raises(ValueError, match="other_languages"):
        make_step(other_languages="drop")


def test_fineweb_judges_lines_before_c4_removes_them(fomc_sentences):
    # 9 of 10 lines lose their full stop. C4's terminal-punctuation line rule would remove them,
    # leaving only punctuated lines for FineWeb's line rule to see; it judges the page as extracted.
    lines = [s if i % 10 == 0 else s.rstrip(".") for i, s in enumerate(fomc_sentences[:40])]
    section = default_section(write_stats=True)
    section["languages"]["en"]["c4"]["require_terminal_punct"] = True
    step = Heuristics(**section, counter_inc_fn=count_into(Counter()))
    step.setup()
    doc = Document(id="a", text="\n".join(lines), lang="en")
    verdict = step.process(doc)
    assert verdict == Drop("fineweb_line_punct_ratio")
    assert verdict.rejected_doc(doc).extra["hs_fineweb_line_punct_ratio"] == pytest.approx(4 / 40)

"""The threshold step: reasons, the any/all toxicity rule, missing scores, and exact counters."""
from __future__ import annotations

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from tests.conftest import beam_test_pipeline, step_counters
from transforms.document import Document
from transforms.keep_or_drop import Drop
from transforms.score_filter import FilterOnScores, ScoreFilter


def doc(i, **scores):
    return Document(id=str(i), text=f"text {i}", extra=scores)


def test_reasons_name_the_failing_score():
    f = ScoreFilter(min_quality={"ft": 0.5}, max_toxicity={"lexicon": 0.5, "bert": 0.8})
    assert f.process(doc(1, quality_ft=0.2)) == Drop("score_low_quality_ft")
    assert f.process(doc(2, quality_ft=0.9, toxicity_bert=0.95)) == Drop("score_toxic_bert")
    assert f.process(doc(3, toxicity_lexicon=1.0)) == Drop("score_toxic_lexicon")
    kept = doc(4, quality_ft=0.5, toxicity_lexicon=0.0, toxicity_bert=0.8)  # thresholds are inclusive
    assert f.process(kept) is kept


def test_all_rule_needs_every_score_and_missing_scores_never_drop():
    f = ScoreFilter(max_toxicity={"lexicon": 0.5, "bert": 0.8}, toxicity_rule="all", min_quality={"ft": 0.5})
    assert f.process(doc(1, toxicity_lexicon=1.0, toxicity_bert=0.9)) == Drop("score_toxic_bert_and_lexicon")
    lexicon_only = doc(2, toxicity_lexicon=1.0, toxicity_bert=0.1)
    assert f.process(lexicon_only) is lexicon_only  # the model overrules a lexicon false positive
    gated_out = doc(3, toxicity_lexicon=1.0)  # no model score (other language or gated out)
    assert f.process(gated_out) is gated_out
    unscored = doc(4)
    assert f.process(unscored) is unscored


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="toxicity_rule"):
        ScoreFilter(toxicity_rule="most")
    with pytest.raises(ValueError, match=r"max_toxicity.lexicon must be a number in \[0, 1\]"):
        ScoreFilter(max_toxicity={"lexicon": 3})
    with pytest.raises(ValueError, match=r"no earlier step writes \['quality_typo'\]"):
        ScoreFilter(min_quality={"typo": 0.5}).check_columns({"quality_ft": None, "toxicity_lexicon": None})


def test_pipeline_counts_every_reason_exactly():
    docs = [doc(1, quality_ft=0.1), doc(2, quality_ft=0.7, toxicity_lexicon=1.0), doc(3, quality_ft=0.9),
            doc(4, quality_ft=0.3), doc(5)]
    p = beam_test_pipeline()
    out = p | beam.Create(docs) | FilterOnScores(
        ScoreFilter(min_quality={"ft": 0.5}, max_toxicity={"lexicon": 0.5}))
    assert_that(out["kept"] | "KeptIds" >> beam.Map(lambda d: d.id), equal_to(["3", "5"]), label="Kept")
    assert_that(out["rejected"] | "Reasons" >> beam.Map(lambda r: (r.doc.id, r.step, r.reason)),
                equal_to([("1", "score_filter", "score_low_quality_ft"), ("4", "score_filter", "score_low_quality_ft"),
                          ("2", "score_filter", "score_toxic_lexicon")]), label="Rejected")
    result = p.run()
    result.wait_until_finish()
    counters = step_counters(result, "score_filter")
    assert counters == {"kept": 2, "dropped:score_low_quality_ft": 2, "dropped:score_toxic_lexicon": 1}

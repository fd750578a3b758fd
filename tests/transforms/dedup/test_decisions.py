"""transforms/dedup/decisions.py: who survives a group of copies, and a decision applied to its
document (defaults, values on kept and dropped ones, the join in a TestPipeline)."""
from __future__ import annotations

import apache_beam as beam
import pyarrow as pa
from apache_beam.testing.util import assert_that, equal_to

from tests.conftest import beam_test_pipeline, step_counters
from transforms.dedup.decisions import (DECISION_KEY, PREVIOUS_COLUMN, ApplyDecisions, Decision, DecisionStep,
                                        group_decisions, group_with_previous)
from transforms.document import Document
from transforms.keep_or_drop import Drop

DUPLICATE = Decision(drop="exact_dedup_duplicate")


def test_highest_rank_survives_ties_to_smallest_id_whatever_the_order():
    copies = [(1.0, "c"), (2.0, "b"), (2.0, "a")]
    for order in (copies, copies[::-1], iter(copies)):  # a one-shot iterator too
        assert sorted(group_decisions(order, DUPLICATE, "cluster_size")) == [
            ("a", Decision(values=(("cluster_size", 3),))), ("b", DUPLICATE), ("c", DUPLICATE)]
    assert list(group_decisions([(1.0, "only")], DUPLICATE, "cluster_size")) == []  # no group


def test_an_earlier_corpus_copy_drops_every_new_one():
    copies = [(None, "old2"), (3.0, "new1"), (None, "old1"), (1.0, "new2")]
    drop = Decision(drop="exact_dedup_previous", values=((PREVIOUS_COLUMN, "old1"),))
    assert sorted(group_with_previous(copies, DUPLICATE, "exact_dedup_previous")) == [
        ("new1", drop), ("new2", drop)]
    assert list(group_with_previous([(1.0, "x"), (2.0, "y")], DUPLICATE, "p")) == [("x", DUPLICATE)]


def test_step_sets_defaults_and_values_without_touching_its_input():
    step = DecisionStep("exact_dedup", {"cluster_size": pa.int32()}, defaults={"cluster_size": 1})
    plain = Document(id="a", extra={"q": 0.5})
    assert step.process(plain).extra == {"q": 0.5, "cluster_size": 1}
    kept = Document(id="b", extra={DECISION_KEY: Decision(values=(("cluster_size", 4),))})
    assert step.process(kept).extra == {"cluster_size": 4}
    dropped = Document(id="c", extra={DECISION_KEY: Decision(drop="exact_dedup_previous",
                                                             values=((PREVIOUS_COLUMN, "old1"),))})
    verdict = step.process(dropped)
    assert verdict == Drop("exact_dedup_previous")
    # The rejects row names the earlier document; the input still holds its decision.
    assert verdict.rejected_doc(dropped).extra == {"cluster_size": 1, PREVIOUS_COLUMN: "old1"}
    assert DECISION_KEY in dropped.extra


def test_apply_decisions_joins_by_id_and_counts():
    docs = [Document(id=i, text=i) for i in ("a", "b", "c")]
    step = DecisionStep("exact_dedup", {"cluster_size": pa.int32()}, defaults={"cluster_size": 1})
    with beam_test_pipeline() as p:
        decisions = p | "Decisions" >> beam.Create(list(group_decisions([(1.0, "a"), (1.0, "b")], DUPLICATE,
                                                                       "cluster_size")))
        out = p | "Docs" >> beam.Create(docs) | ApplyDecisions(decisions, step)
        assert_that(out["kept"] | "Kept" >> beam.Map(lambda d: (d.id, d.extra)),
                    equal_to([("a", {"cluster_size": 2}), ("c", {"cluster_size": 1})]), label="KeptDocs")
        assert_that(out["rejected"] | "Rejected" >> beam.Map(lambda r: (r.doc.id, r.reason)),
                    equal_to([("b", "exact_dedup_duplicate")]), label="RejectedDocs")
    assert step_counters(p.result, "exact_dedup") == {"kept": 2, "dropped:exact_dedup_duplicate": 1}

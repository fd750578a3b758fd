"""The ``score_filter`` step: keep or drop on the score columns the ``score`` step wrote.

Scoring and deciding are separate (dolma's taggers/filters), so thresholds change without
re-scoring. Reasons: ``score_low_quality_<name>`` when ``quality_<name>`` is below its minimum;
``score_toxic_<name>`` when ``toxicity_<name>`` is above its maximum. With
``toxicity_rule: all`` a document is dropped only when every configured toxicity score is above
its maximum (``score_toxic_<a>_and_<b>``): a lexicon hit confirmed by a model, which keeps the
lexicon's false positives (news about drugs, medical text) out of the drops. A missing score
(the document was outside a scorer's languages or gate) never drops a document.
"""
from __future__ import annotations

from typing import Mapping

from transforms.apply import ApplyStep
from transforms.document import Document
from transforms.keep_or_drop import Drop, Step, Verdict

RULES = ("any", "all")


class ScoreFilter(Step):
    name = "score_filter"

    def __init__(self, min_quality: Mapping[str, float] | None = None,
                 max_toxicity: Mapping[str, float] | None = None, toxicity_rule: str = "any"):
        if toxicity_rule not in RULES:
            raise ValueError(f"score_filter.toxicity_rule must be one of {RULES}, not {toxicity_rule!r}")
        for key, table in (("min_quality", min_quality), ("max_toxicity", max_toxicity)):
            for name, value in (table or {}).items():
                if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                    raise ValueError(f"score_filter.{key}.{name} must be a number in [0, 1], not {value!r}")
        # Sorted so that the first failing rule, hence the reason, does not depend on dict order.
        self.min_quality = sorted((min_quality or {}).items())
        self.max_toxicity = sorted((max_toxicity or {}).items())
        self.toxicity_rule = toxicity_rule

    def check_columns(self, columns: Mapping[str, object]) -> None:
        """Every threshold must name a score some earlier step writes (a typo would keep all)."""
        needed = [f"quality_{n}" for n, _ in self.min_quality] + [f"toxicity_{n}" for n, _ in self.max_toxicity]
        missing = [c for c in needed if c not in columns]
        if missing:
            raise ValueError(f"no earlier step writes {missing} (score columns: "
                             f"{sorted(c for c in columns if c.startswith(('quality_', 'toxicity_')))})")

    def process(self, doc: Document) -> Verdict:
        for name, minimum in self.min_quality:
            score = doc.extra.get(f"quality_{name}")
            if score is not None and score < minimum:
                return Drop(f"score_low_quality_{name}")
        if not self.max_toxicity:
            return doc
        toxic = [name for name, maximum in self.max_toxicity
                 if (score := doc.extra.get(f"toxicity_{name}")) is not None and score > maximum]
        if self.toxicity_rule == "any" and toxic:
            return Drop(f"score_toxic_{toxic[0]}")
        if self.toxicity_rule == "all" and len(toxic) == len(self.max_toxicity):
            return Drop("score_toxic_" + "_and_".join(toxic))
        return doc


class FilterOnScores(ApplyStep):
    """:class:`ScoreFilter` applied with the shared counting DoFn; ``check_columns`` lets the
    pipeline builder verify, before launch, that the thresholds name columns earlier steps write."""

    def __init__(self, step: ScoreFilter):
        super().__init__(step)

    def check_columns(self, columns: Mapping[str, object]) -> None:
        self.step.check_columns(columns)

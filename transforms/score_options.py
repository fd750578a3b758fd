"""``--score_model NAME=PATH``: the ``score`` step's Beam pipeline option (:class:`ScoreOptions`,
registered with Beam when this module is imported) and its application to the config.
"""
from __future__ import annotations

from typing import Any

from apache_beam.options.pipeline_options import PipelineOptions


class ScoreOptions(PipelineOptions):
    """``--score_model NAME=PATH`` overrides a configured scorer's path (repeatable), so a job can
    point at models in ``gs://`` without editing the config."""

    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument("--score_model", action="append", default=[], metavar="NAME=PATH",
                            help="path of the score.scorers entry NAME (repeatable)")


def apply_score_options(config: dict[str, Any], options: PipelineOptions) -> dict[str, Any]:
    """``config`` with ``--score_model`` paths applied; an unknown NAME is an error."""
    overrides = options.view_as(ScoreOptions).score_model or []
    scorers = config.get("score", {}).get("scorers") or []
    by_name = {s.get("name"): s for s in scorers}
    for item in overrides:
        name, sep, path = item.partition("=")
        if not sep or not path:
            raise ValueError(f"--score_model {item!r}: expected NAME=PATH")
        if name not in by_name:
            raise ValueError(f"--score_model {name}: no such scorer in score.scorers ({sorted(by_name)})")
        by_name[name]["path"] = path
    return config

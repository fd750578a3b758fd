"""Rule-based quality heuristics: cleaning, then Gopher, C4, FineWeb and Chinese filters.

``heuristics_step.Heuristics`` is the curation step; each filter module is a pure scorer plus a decider
over the shared per-document ``text_stats.TextStats``.
"""

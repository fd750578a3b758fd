"""Deduplication at any scale: URL, exact, MinHash LSH near-duplicate and line dedup, all in Beam.

Pure functions (shingles, signatures, band keys) live beside the Beam transforms that use them; the
keep-or-drop decision of every dedup step goes through :class:`transforms.apply.ApplyStep`, so the
counting stays in one place (see :mod:`transforms.dedup.decisions`).
"""

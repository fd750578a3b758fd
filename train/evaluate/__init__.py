"""Evaluation as Skywork did it: tokenizer-normalized domain loss, the GSM8K contamination probe,
and fresh, decontaminated validation sets built from curated output.

Submodules import torch / transformers only where they need them: ``ngrams`` is pure Python and
is shared with the ``decontaminate`` curation step.
"""

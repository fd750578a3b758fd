"""Helpers every package of skypile may import (pipelines, transforms, classifiers, model, train):
the config-file checks, the CLIs' argument parser, the Markdown table. They import none of our
packages, nor Beam nor torch (tests/test_import_graph.py), so no layer depends on another for them.
"""

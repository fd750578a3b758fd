"""The one unknown-keys check of every config loader (pipelines, train, model) and the one argument
parser of every CLI (:class:`OneLineParser`): no torch, no Beam.

It lives in ``model/`` because that is the package every other one may import (``model/`` never
imports the trainer or the pipelines; see tests/test_import_graph.py).
"""
from __future__ import annotations

import argparse
from typing import Iterable


def check_known_keys(given: Iterable, known: Iterable, where: str, error: type[Exception] = ValueError) -> None:
    """Raises ``error("unknown key(s) [...] in WHERE (known: ...)")`` when ``given`` has keys
    outside ``known`` (a typo must not silently fall back to a default). ``known`` keeps its order."""
    known = list(known)
    unknown = sorted(set(given) - set(known), key=str)
    if unknown:
        raise error(f"unknown key(s) {unknown} in {where} (known: {', '.join(map(str, known))})")


def parse_assignment(assignment: str, error: type[Exception] = ValueError) -> tuple[str, object]:
    """``--set KEY=VALUE`` (every CLI's form) -> ``(KEY, VALUE parsed as YAML)``; an empty VALUE is ``""``.

    YAML 1.1 reads ``1e-3`` (no dot) as a string: typed loaders convert such strings themselves."""
    import yaml

    key, sep, text = assignment.partition("=")
    if not sep or not key:
        raise error(f"--set expects key=value, got {assignment!r}")
    return key, (yaml.safe_load(text) if text.strip() else "")


def load_yaml_file(path: str, error: type[Exception] = ValueError):
    """The YAML document in ``path``; a folder, a missing file, malformed YAML or a file that is
    not UTF-8 raise ``error`` with one line (where the YAML breaks), never yaml's traceback."""
    import os

    import yaml

    if os.path.isdir(path):
        raise error(f"--config {path}: is a folder, not a YAML file")
    if not os.path.isfile(path):
        raise error(f"config file not found: {path}")
    try:
        with open(path, encoding="utf-8") as f:
            return yaml.safe_load(f)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise error(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', None) or exc}") from None
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not a UTF-8 text file ({exc.reason} at byte {exc.start})") from None


class OneLineParser(argparse.ArgumentParser):
    """The argument parser of every ``skypile`` command: a usage mistake is one line on stderr and
    exit 2 (argparse prints the whole usage first), with the closest option for a misspelled one."""

    def error(self, message: str):  # noqa: D102 - argparse's hook
        import difflib
        import sys

        if message.startswith("unrecognized arguments: "):
            parsers, options = [self], []
            while parsers:  # this parser's options and its subcommands'
                parser = parsers.pop()
                for action in parser._actions:  # noqa: SLF001 - argparse keeps them only here
                    options += [s for s in action.option_strings if s.startswith("--")]
                    if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
                        parsers += list(action.choices.values())
            hints = []
            for word in message[len("unrecognized arguments: "):].split():
                close = difflib.get_close_matches(word.split("=")[0], options, n=1, cutoff=0.75)
                if close:
                    hints.append(f"{word}: did you mean {close[0]}?")
            if hints:
                message += " (" + "; ".join(hints) + ")"
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

"""The one argument parser of every ``skypile`` command (:class:`OneLineParser`). No torch, no Beam."""
from __future__ import annotations

import argparse


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

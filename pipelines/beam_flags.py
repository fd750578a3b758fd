"""The flags ``skypile curate`` hands to Beam, checked against the flags Beam knows.

Beam's own PipelineOptions only warns about a flag it does not know ("Discarding unparseable
args") and goes on, so a misspelled ``--write-rejectd`` or ``--runer`` would run without effect.
Here every flag curate leaves over must belong to a ``PipelineOptions`` subclass: Beam's
(StandardOptions, GoogleCloudOptions, PortableOptions, ...), skypile's ``ScoreOptions``, and those
the chosen ``--runner``'s module registers when it is imported. Known flags keep Beam's meaning.
"""
from __future__ import annotations

import difflib
from typing import Iterable

from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions, _BeamArgumentParser


class BeamFlagError(ValueError):
    """A flag neither curate nor Beam knows, or a Beam flag with a bad value."""


class _StrictParser(_BeamArgumentParser):
    def error(self, message: str):
        raise BeamFlagError(message)


def beam_parser() -> _StrictParser:
    """One parser holding the flags of every registered PipelineOptions subclass (as Beam's
    ``get_all_options`` builds it)."""
    import transforms.score_options  # noqa: F401 - registers ScoreOptions (--score_model)

    parser = _StrictParser(allow_abbrev=False)
    classes: dict[str, type] = {}
    for cls in PipelineOptions.__subclasses__():
        classes.setdefault(str(cls), cls)
    for cls in classes.values():
        cls._add_argparse_args(parser)  # noqa: SLF001 - Beam's registration hook
    return parser


def _load_runner(name: str) -> None:
    """Import the runner's module (it may register its own options); an unknown name is an error."""
    from apache_beam.runners.runner import create_runner

    try:
        create_runner(name)
    except (ValueError, ImportError) as exc:
        raise BeamFlagError(f"--runner {name}: not a Beam runner available here (e.g. FnApiRunner, "
                            f"PortableRunner, DataflowRunner): {str(exc).splitlines()[0]}") from None


def pipeline_options(flags: list[str], own_options: Iterable[str] = ()) -> PipelineOptions:
    """PipelineOptions of ``flags``; a flag no options class knows, a stray value, or a bad value
    raises :class:`BeamFlagError` (with the closest known flag, ours in ``own_options`` included)."""
    known, unknown = beam_parser().parse_known_args(flags)
    runner = known.runner
    if runner:
        _load_runner(runner)
        known, unknown = beam_parser().parse_known_args(flags)
    if unknown:
        parser = beam_parser()
        options = list(own_options) + [s for a in parser._actions for s in a.option_strings]  # noqa: SLF001
        words, previous = [], ""
        for word in unknown:
            if not word.startswith("-"):
                if not (previous.startswith("-") and "=" not in previous):  # else the unknown flag's value
                    words.append(f"{word} (a value without a flag: quote a glob, or put it after --input)")
                previous = word
                continue
            previous = word
            close = difflib.get_close_matches(word.split("=")[0], options, n=1, cutoff=0.75)
            words.append(f"{word} (did you mean {close[0]}?)" if close else word)
        raise BeamFlagError("unknown option(s), neither curate's nor Beam's: " + ", ".join(words))
    return PipelineOptions(flags)


def runner_of(options: PipelineOptions) -> str | None:
    return options.view_as(StandardOptions).runner

"""The ``skypile`` command: one entry point, subcommands implemented in their own packages.

Subcommand modules are imported only when chosen, so ``skypile model ...`` never imports Beam
and ``skypile curate`` never imports torch.
"""
from __future__ import annotations

import importlib
import sys

# subcommand -> (module with main(argv) -> int, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "curate": ("pipelines.curate", "curate WARC/JSONL/Parquet inputs into Parquet shards (Apache Beam)"),
    "release": ("pipelines.release", "package a curated corpus for the Hugging Face Hub (dataset card, shards)"),
    "classifiers": ("classifiers.cli", "train, evaluate and build data for quality/toxicity classifiers"),
    "model": ("model.cli", "init, export to and import from Hugging Face format (Llama-style model)"),
    "tokenizer": ("train.tokenizer_cli", "train a byte-level BPE tokenizer on curated shards"),
    "train": ("train.cli", "train a model on curated shards with stage-aware mixtures"),
    "eval": ("train.eval_cli", "tokenizer-normalized domain loss, contamination probe, fresh eval sets"),
    "experiment": ("train.experiment_cli", "mixture sweeps: train variants, in-domain gain against general loss"),
}


def usage() -> str:
    lines = ["usage: skypile COMMAND [ARGS...]", "", "commands:"]
    width = max(len(c) for c in COMMANDS)
    lines += [f"  {name.ljust(width)}  {help_}" for name, (_, help_) in COMMANDS.items()]
    lines.append("\n`skypile COMMAND --help` shows a command's options.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        import difflib

        close = difflib.get_close_matches(name, COMMANDS, n=1)
        hint = f"did you mean {close[0]}?" if close else f"commands: {', '.join(COMMANDS)}"
        print(f"skypile: error: unknown command {name!r} ({hint}; see skypile --help)", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    return module.main(rest) or 0


if __name__ == "__main__":
    sys.exit(main())

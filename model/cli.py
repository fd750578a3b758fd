"""``skypile model``: init, export to and import from Hugging Face Llama format.

    skypile model init --config tiny --out DIR [--set vocab_size=65536 ...] [--tokenizer PATH] [--seed N]
    skypile model export --checkpoint PATH --out DIR [--tokenizer PATH] [--dtype bfloat16]
    skypile model import --hf DIR --out FILE.pt
    skypile model resize-vocab --hf DIR --tokenizer NEW --out DIR [--base-tokenizer PATH] [--vocab-multiple 64]
"""
from __future__ import annotations

import argparse
import dataclasses
import sys

import torch

from model.checkpoint import load_checkpoint, save_checkpoint
from model.config import CONFIGS, ModelConfig, get_config
from model.flops import param_count
from model.hf import load_hf, save_hf
from skypile_common.cli_parser import OneLineParser
from model.llama import Llama
from skypile_common.settings import check_known_keys, parse_assignment

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def parse_overrides(items: list[str]) -> dict:
    """``--set FIELD=VALUE`` strings (parsed like every ``--set``: :func:`skypile_common.settings.parse_assignment`)
    -> ModelConfig overrides, each VALUE checked against its field's type."""
    types = {f.name: f.type if isinstance(f.type, str) else f.type.__name__ for f in dataclasses.fields(ModelConfig)}
    pairs = [parse_assignment(item) for item in items]
    check_known_keys([key for key, _ in pairs], types, "ModelConfig")
    overrides = {}
    for key, value in pairs:
        if types[key] == "bool":
            if value not in (True, False, 1, 0):
                raise ValueError(f"{key} expects true/false, got {value!r}")
            overrides[key] = bool(value)
        else:
            cast = {"int": int, "float": float}[types[key]]
            try:
                number = cast(str(value)) if not isinstance(value, bool) else None
            except ValueError:
                number = None
            if number is None:
                raise ValueError(f"{key} expects {types[key]}, got {value!r}")
            overrides[key] = number
    return overrides


def parser() -> argparse.ArgumentParser:
    ap = OneLineParser(prog="skypile model", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init", help="write a randomly initialized model as a Hugging Face directory")
    init.add_argument("--config", required=True, choices=sorted(CONFIGS))
    init.add_argument("--out", required=True)
    init.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                      help="override a ModelConfig field (repeatable)")
    init.add_argument("--tokenizer", help="tokenizer.json or a directory holding one, copied along")
    init.add_argument("--seed", type=int, default=0)
    init.add_argument("--dtype", choices=sorted(DTYPES), default="float32")
    export = sub.add_parser("export", help="trainer checkpoint -> Hugging Face directory")
    export.add_argument("--checkpoint", required=True,
                        help="a step_*.pt file, or OUT / OUT/checkpoints (the highest step is taken)")
    export.add_argument("--out", required=True)
    export.add_argument("--tokenizer", help="tokenizer.json or a directory holding one, copied along")
    export.add_argument("--dtype", choices=sorted(DTYPES), default="float32")
    imp = sub.add_parser("import", help="Hugging Face Llama directory -> checkpoint .pt")
    imp.add_argument("--hf", required=True)
    imp.add_argument("--out", required=True)
    resize = sub.add_parser("resize-vocab", help="grow a Hugging Face model to an extended tokenizer "
                                                 "(new rows: mean of the base rows of their pieces)")
    resize.add_argument("--hf", required=True, help="the base model's Hugging Face directory")
    resize.add_argument("--tokenizer", required=True, help="the extended tokenizer (directory or tokenizer.json)")
    resize.add_argument("--out", required=True)
    resize.add_argument("--base-tokenizer", help="the base model's tokenizer (default: the one in --hf)")
    resize.add_argument("--vocab-multiple", type=int, default=64, help="pad the vocabulary to a multiple of this")
    return ap


def resize_vocab(args: argparse.Namespace) -> str:
    from pathlib import Path

    from tokenizers import Tokenizer

    from model.hf import _tokenizer_source
    from model.resize import resize_state

    base_path = _tokenizer_source(args.base_tokenizer or args.hf) / "tokenizer.json"
    new_path = _tokenizer_source(args.tokenizer) / "tokenizer.json"
    base = load_hf(args.hf)
    state, config, added = resize_state(base.state_dict(), base.config, Tokenizer.from_file(str(base_path)),
                                        Tokenizer.from_file(str(new_path)), args.vocab_multiple)
    model = Llama(config)
    model.load_state_dict(state, strict=True)
    out = save_hf(model, args.out, str(Path(args.tokenizer)))
    return (f"resized {args.hf} from {base.config.vocab_size} to {config.vocab_size} rows ({added} new tokens, "
            f"rows from their pieces under {base_path}) to {out}")


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "init":
            torch.manual_seed(args.seed)
            config = get_config(args.config, **parse_overrides(args.set))
            model = Llama(config).to(DTYPES[args.dtype])
            out = save_hf(model, args.out, args.tokenizer)
            print(f"wrote {args.config} ({param_count(config):,} parameters) to {out}")
        elif args.command == "export":
            model, source = load_checkpoint(args.checkpoint, DTYPES[args.dtype])
            out = save_hf(model, args.out, args.tokenizer)
            print(f"exported {source} ({param_count(model.config):,} parameters) to {out}")
        elif args.command == "resize-vocab":
            print(resize_vocab(args))
        else:
            model = load_hf(args.hf)
            out = save_checkpoint(model, args.out)
            print(f"imported {args.hf} ({param_count(model.config):,} parameters) to {out}")
    except (ValueError, FileNotFoundError, KeyError) as err:
        print(f"skypile model {args.command}: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

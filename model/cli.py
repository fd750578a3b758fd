"""``skypile model``: init, export to and import from Hugging Face Llama format.

    skypile model init --config tiny --out DIR [--set vocab_size=65536 ...] [--tokenizer PATH] [--seed N]
    skypile model export --checkpoint PATH --out DIR [--tokenizer PATH] [--dtype bfloat16]
    skypile model import --hf DIR --out FILE.pt
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
from model.llama import Llama

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def parse_overrides(items: list[str]) -> dict:
    """``KEY=VALUE`` strings -> ModelConfig overrides, each VALUE cast to its field's type."""
    types = {f.name: f.type for f in dataclasses.fields(ModelConfig)}
    overrides = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or key not in types:
            raise ValueError(f"--set expects FIELD=VALUE with FIELD one of {sorted(types)}, got {item!r}")
        kind = types[key] if isinstance(types[key], str) else types[key].__name__
        if kind == "bool":
            if value.lower() not in ("true", "false", "1", "0"):
                raise ValueError(f"{key} expects true/false, got {value!r}")
            overrides[key] = value.lower() in ("true", "1")
        else:
            overrides[key] = {"int": int, "float": float}[kind](value)
    return overrides


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="skypile model", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
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

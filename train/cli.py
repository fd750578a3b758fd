"""``skypile train --config FILE --out DIR [--data CURATED_DIR] [--set key=value ...]``.

Rerunning the same command on the same ``--out`` resumes from its newest checkpoint. Under
``torchrun --nproc_per_node N -m pipelines.cli train ...`` every process runs this command; they
join one process group (NCCL on GPUs, gloo on CPU) and leave it cleanly.
"""
from __future__ import annotations

import argparse
import json
import sys

from skypile_common.cli_parser import OneLineParser
from train.config import ConfigError, check_paths, load_config


def parser() -> argparse.ArgumentParser:
    ap = OneLineParser(prog="skypile train", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True, help="training YAML (e.g. configs/train/tiny.yaml)")
    ap.add_argument("--out", required=True, help="run directory: checkpoints/, metrics.jsonl, tokenizer/")
    ap.add_argument("--data", help="curated output directory; relative source globs are under it")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                    help="override a config value, e.g. --set optim.lr=1e-3 (value parsed as YAML)")
    ap.add_argument("--dry-run", action="store_true",
                    help="print the plan (model, sources, stages in steps, schedule) and stop; writes nothing")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        cfg = load_config(args.config, args.overrides)
        check_paths(cfg, args.data)
    except (ConfigError, OSError) as exc:
        print(f"skypile train: {exc}", file=sys.stderr)
        return 2
    # Imported after the config is known to be valid: torch takes seconds to import.
    from train import distributed
    from train.checkpoint import ResumeError
    from train.loop import train
    from train.mixture import MixtureError
    from train.shards import DataError

    env = distributed.init(cfg.train.device)
    code = 0
    try:
        last = train(cfg, args.out, args.data, env, dry_run=args.dry_run)
        if env.is_main:
            keys = ("step", "tokens", "loss", "tokens_per_source", "complete", "total_steps")
            summary = {k: last[k] for k in keys if k in last}
            print(json.dumps(summary))
    except (ResumeError, MixtureError, DataError, ConfigError, ValueError, FloatingPointError) as exc:
        print(f"skypile train: {exc}", file=sys.stderr)
        code = 2
    distributed.exit_process(env, code)
    return code


if __name__ == "__main__":
    sys.exit(main())

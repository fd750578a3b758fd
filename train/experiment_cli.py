"""``skypile experiment sweep --config BASE.yaml --data DIR --out OUT --vary KEY=V1,V2,... [--init-from RUN]``.

Trains one variant of BASE per value (several --vary: the grid), each an ordinary `skypile train`
run directory OUT/<variant> with the same seeds, data order and token budget; scores each on
eval.domains (general) and eval.probe (in-domain); writes OUT/sweep.json, sweep.csv, sweep.md and
sweep.png (general against in-domain loss, baseline = the first variant) and prints the variant
the rule picks: the largest in-domain gain whose general loss stays within --margin of the
baseline's (Skywork-13B §5.5). Rerunning skips finished variants and resumes an unfinished one.

Example (Skywork's stage-2 STEM share, from a finished stage-1 run):
  skypile experiment sweep --config configs/experiments/stem_stage2.yaml --data DATA --out OUT \\
    --init-from runs/stage1 --vary 'mixture.stages.0.weights={web: 1, gsm8k: 0},{web: 0.8, gsm8k: 0.2}'
"""
from __future__ import annotations

import argparse
import sys

from skypile_common.cli_parser import OneLineParser
from train.config import ConfigError, check_paths


def parser() -> argparse.ArgumentParser:
    ap = OneLineParser(prog="skypile experiment", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    sw = sub.add_parser("sweep", help="train and compare variants of a config (mixture sweeps)",
                        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sw.add_argument("--config", required=True, help="base training YAML")
    sw.add_argument("--data", help="curated output directory; relative source globs are under it")
    sw.add_argument("--out", required=True, help="sweep directory: one run directory per variant")
    sw.add_argument("--vary", action="append", required=True, metavar="KEY=V1,V2,...",
                    help="any --set key and its values (YAML); repeatable (grid)")
    sw.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                    help="override a base config value for every variant")
    sw.add_argument("--init-from", metavar="RUN", help="start every variant from this run's weights (stage 1)")
    sw.add_argument("--margin", type=float, default=0.02,
                    help="general-loss margin over the baseline of the pick rule (default %(default)s)")
    sw.add_argument("--metric", default="normalized_loss", choices=["normalized_loss", "bits_per_byte"])
    return ap


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    from train.experiment import Vary

    try:
        varies = [Vary.parse(v) for v in args.vary]
        check_paths(None, args.data)
    except ConfigError as exc:  # before torch is even imported
        print(f"skypile experiment sweep: {exc}", file=sys.stderr)
        return 2
    from train.checkpoint import ResumeError
    from train.experiment import sweep
    from train.experiment_report import write_report
    from train.shards import DataError

    try:
        results = sweep(args.config, args.data, args.out, varies, args.overrides, args.init_from,
                        log=lambda line: print(f"skypile experiment: {line}", file=sys.stderr, flush=True))
        picked = write_report(args.out, results, args.metric, args.margin)
    except (OSError, ResumeError, DataError, ValueError, FloatingPointError) as exc:
        # ConfigError and MixtureError are ValueErrors: bad configs fail here before any training.
        print(f"skypile experiment sweep: {exc}", file=sys.stderr)
        return 2
    with open(f"{args.out}/sweep.md", encoding="utf-8") as f:
        print(f.read(), end="")
    print(f"picked: {picked['variant']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

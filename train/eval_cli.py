"""``skypile eval loss | contamination | build-sets | forecast``: see :mod:`train.evaluate`, :mod:`train.forecast`."""
from __future__ import annotations

import argparse
import json
import os
import sys

from skypile_common.cli_parser import OneLineParser
from train.evaluate.loss import SKYWORK_MAX_CHARS


def _common(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--batch-size", type=int, default=8, help="sequences per forward pass (default 8)")
    ap.add_argument("--device", default=None, help="torch device (default: cuda if available, else cpu)")
    ap.add_argument("--dtype", default="auto", choices=["auto", "float32", "bfloat16", "float16"],
                    help="weights dtype (auto: bfloat16 on cuda, float32 on cpu); losses are float32")
    ap.add_argument("--no-progress", action="store_true", help="no progress bar")


def _max_chars(value: str) -> int:
    n = int(value)
    if n < 0:
        raise argparse.ArgumentTypeError("must be >= 0 (0 = no truncation)")
    return n


def parser() -> argparse.ArgumentParser:
    ap = OneLineParser(prog="skypile eval", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)

    loss = sub.add_parser("loss", help="per-domain loss, normalized by a reference tokenizer")
    loss.add_argument("--model", action="append", required=True, metavar="PATH",
                      help="Hugging Face causal LM directory; repeatable")
    loss.add_argument("--domains", nargs="+", required=True, metavar="PATH",
                      help="JSONL files with a text field, or directories of them")
    loss.add_argument("--reference-tokenizer", metavar="PATH",
                      help="tokenizer whose token count normalizes every model's loss (default: first model's)")
    loss.add_argument("--max-chars", type=_max_chars, default=SKYWORK_MAX_CHARS,
                      help=f"truncate each text to N characters, as Skywork (default {SKYWORK_MAX_CHARS}; 0 = none)")
    loss.add_argument("--text-field", default="text")
    loss.add_argument("--out", metavar="DIR", help="write results.json, results.csv, normalized_loss.png here")
    _common(loss)

    from train.evaluate import contamination as c

    cont = sub.add_parser("contamination", help="Skywork's GSM8K leakage probe (L_train, L_test, L_ref)")
    cont.add_argument("--model", required=True, metavar="PATH")
    cont.add_argument("--train", required=True, metavar="FILE", help="GSM8K train split (JSONL)")
    cont.add_argument("--test", default=c.DEFAULT_TEST, metavar="FILE",
                      help="default: the GSM8K test set shipped with skypile")
    cont.add_argument("--ref", required=True, metavar="FILE",
                      help="reference problems of the same style, unseen by any model (e.g. Skywork's mock GSM8K)")
    cont.add_argument("--max-chars", type=_max_chars, default=0, help="truncate samples (default 0 = none)")
    cont.add_argument("--max-samples", type=int, default=None, metavar="N",
                      help="score only the first N samples of each set (default: all)")
    cont.add_argument("--margin", type=float, default=c.DEFAULT_MARGIN,
                      help="|delta| in nats read as a clear signal (default %(default)s)")
    _common(cont)

    sets = sub.add_parser("build-sets", help="post-cutoff validation sets free of n-gram overlap")
    sets.add_argument("--corpus", required=True, metavar="DIR", help="curated output dir (or Parquet glob)")
    sets.add_argument("--after", required=True, metavar="DATE", help="keep documents dated after this day (UTC)")
    sets.add_argument("--train-shards", required=True, metavar="GLOB", help="training Parquet shards")
    sets.add_argument("--out", required=True, metavar="DIR")
    sets.add_argument("--benchmark", action="append", default=[], metavar="NAME=PATH[:FIELDS]",
                      help="benchmark test set to remove overlaps with, e.g. "
                           "gsm8k=test.jsonl:question,answer; repeatable")
    sets.add_argument("--n", type=int, default=13, help="n-gram length in words / CJK characters (default 13)")
    sets.add_argument("--group-by", default="lang", help="comma-separated columns naming each set (default lang)")
    fc = sub.add_parser("forecast", help="fit L(D) = E + A*D^-alpha to a run's curve; tokens to reach a target")
    fc.add_argument("--metrics", required=True, metavar="PATH", help="a run directory or its metrics.jsonl")
    fc.add_argument("--key", default=None, help="metrics.jsonl key (default: eval/average if logged, else loss)")
    fc.add_argument("--field", default="normalized_loss", help="field of an eval/<set> record (default %(default)s)")
    fc.add_argument("--target", type=float, help="loss to reach: predicted tokens, with an interval")
    fc.add_argument("--stage", help="only this stage's points (a stage change breaks the curve)")
    fc.add_argument("--min-step", type=int, default=None,
                    help="drop points up to this step (default: the run's optim.warmup_steps)")
    fc.add_argument("--resamples", type=int, default=200, help="bootstrap refits for the interval (default 200)")
    fc.add_argument("--seed", type=int, default=0)
    fc.add_argument("--out", metavar="DIR", help="write forecast.json and forecast.png here")
    return ap


def _device(name: str | None) -> str:
    if name:
        return name
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def check_hf_model(path: str) -> None:
    """``--model``: a Hugging Face model folder; a trainer's run folder or checkpoint gets told how
    to export it (rather than a tokenizer error from transformers)."""
    if os.path.isfile(os.path.join(path, "config.json")):
        return
    if not os.path.exists(path):
        raise FileNotFoundError(f"--model {path}: no such folder")
    from model.checkpoint import step_checkpoints

    if path.endswith(".pt") or os.path.isdir(os.path.join(path, "checkpoints")) or (
            os.path.isdir(path) and step_checkpoints(path)):
        raise ValueError(f"--model {path} is a training run folder, not a Hugging Face model: export it first "
                         f"(skypile model export --checkpoint {path} --out DIR) and pass DIR")
    raise ValueError(f"--model {path}: not a Hugging Face model folder (no config.json)")


def run_loss(args) -> int:
    from train.evaluate.loss import domain_files, evaluate_models, read_domain, truncate

    for path in args.model:
        check_hf_model(path)
    from train.evaluate.report import results_markdown, write_results

    files = domain_files(args.domains)
    domains = {name: truncate(read_domain(path, args.text_field), args.max_chars) for name, path in files.items()}
    results = evaluate_models(args.model, domains, args.reference_tokenizer, args.batch_size,
                              _device(args.device), args.dtype, not args.no_progress)
    print(results_markdown(results))
    if args.out:
        meta = {"reference_tokenizer": args.reference_tokenizer or args.model[0], "max_chars": args.max_chars,
                "model_paths": list(args.model), "domains": files}
        paths = write_results(args.out, results, meta)
        print("\nwrote " + ", ".join(paths.values()))
    return 0


def run_contamination(args) -> int:
    from train.evaluate.contamination import probe, read_delta1, read_delta2, verdict

    check_hf_model(args.model)

    result = probe(args.model, args.train, args.test, args.ref, args.max_chars or None, args.batch_size,
                   _device(args.device), args.dtype, not args.no_progress, args.max_samples)
    for key in ("L_train", "L_test", "L_ref"):
        print(f"{key} = {result[key]:.4f}")
    print(read_delta1(result["delta1"], args.margin))
    print(read_delta2(result["delta2"], args.margin))
    print(verdict(result["delta1"], result["delta2"], args.margin))
    print(json.dumps(result))  # last line: machine-readable
    return 0


def run_build_sets(args) -> int:
    from train.evaluate.build_sets import Benchmark, build_sets

    report = build_sets(args.corpus, args.after, args.train_shards, args.out,
                        [Benchmark.parse(b) for b in args.benchmark], args.n,
                        [c for c in args.group_by.split(",") if c])
    print(json.dumps({k: report[k] for k in ("docs_in", "kept", "removed")}, indent=2, ensure_ascii=False))
    return 0


def run_forecast(args) -> int:
    import os

    import yaml

    from train import forecast as fc
    from train.metrics import read_metrics

    path = os.path.join(args.metrics, "metrics.jsonl") if os.path.isdir(args.metrics) else args.metrics
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no metrics.jsonl at {args.metrics}")
    records = read_metrics(path)
    key = args.key or ("eval/average" if any("eval/average" in r for r in records) else "loss")
    min_step = args.min_step
    config = os.path.join(os.path.dirname(path), "config.yaml")
    if min_step is None:  # warmup points sit above the power law
        min_step = 0
        if os.path.isfile(config):
            with open(config, encoding="utf-8") as f:
                min_step = int(((yaml.safe_load(f) or {}).get("optim") or {}).get("warmup_steps", 0))
    tokens, values = fc.points(records, key, args.field, args.stage, min_step)
    law = fc.fit(tokens, values)
    boot = fc.bootstrap(tokens, values, args.target, args.resamples, args.seed)
    result = {"key": key, "field": args.field, "points": len(tokens), "min_step": min_step,
              "fit": {"E": law.E, "A": law.A, "alpha": law.alpha, "rmse": law.rmse},
              "E_interval": boot["E_interval"], "target": args.target, "last_tokens": tokens[-1]}
    print(f"{key} ({len(tokens)} points after step {min_step}): L(D) = {law.E:.4f} + {law.A:.4g} * D^-{law.alpha:.4f}"
          f"  (rmse {law.rmse:.4f})")
    if args.target is not None:
        reach = law.tokens_to(args.target)
        result.update(tokens_to_target=reach, tokens_interval=boot["tokens_interval"],
                      unreachable_share=boot["unreachable_share"])
        interval = boot["tokens_interval"]
        span = f" (5-95%: {interval[0]:,.0f} to {interval[1]:,.0f})" if interval else ""
        print(f"tokens to reach {args.target:g}: " + (f"{reach:,.0f}{span}; {reach - tokens[-1]:+,.0f} "
                                                      f"from the last point" if reach < float("inf") else "never"))
    try:
        result["backtest"] = fc.backtest(tokens, values)
        bt = result["backtest"]
        print(f"backtest: fit on the first {bt['fit_points']} points predicts {bt['predicted']:.4f} at the last "
              f"point ({bt['last_tokens']:,.0f} tokens, {bt['extrapolation']:.1f}x further), actual {bt['actual']:.4f}:"
              f" error {bt['error']:+.4f} ({bt['relative_error']:+.2%})")
    except fc.ForecastError as exc:
        result["backtest"] = None
        print(f"backtest: not possible ({exc})")
    result["warnings"] = fc.warnings(law, tokens, args.target, boot)
    for line in result["warnings"]:
        print(f"warning: {line}")
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "forecast.json"), "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2)
        fc.plot(tokens, values, law, boot, args.target, os.path.join(args.out, "forecast.png"),
                f"{path}: {key}" + (f" {args.field}" if key.startswith("eval/") else ""))
    print(json.dumps(result))  # last line: machine-readable
    return 0


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    run = {"loss": run_loss, "contamination": run_contamination, "build-sets": run_build_sets,
           "forecast": run_forecast}[args.command]
    try:
        return run(args)
    except (FileNotFoundError, ValueError) as exc:
        print(f"skypile eval {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

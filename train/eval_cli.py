"""``skypile eval loss | contamination | build-sets``: see :mod:`train.evaluate`."""
from __future__ import annotations

import argparse
import json
import sys

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
    ap = argparse.ArgumentParser(prog="skypile eval", description=__doc__)
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
    cont.add_argument("--train", default=c.DEFAULT_TRAIN, metavar="FILE", help=f"default {c.DEFAULT_TRAIN}")
    cont.add_argument("--test", default=c.DEFAULT_TEST, metavar="FILE", help=f"default {c.DEFAULT_TEST}")
    cont.add_argument("--ref", default=c.DEFAULT_REF, metavar="FILE", help=f"default {c.DEFAULT_REF}")
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
    return ap


def _device(name: str | None) -> str:
    if name:
        return name
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def run_loss(args) -> int:
    from train.evaluate.loss import domain_files, evaluate_models, read_domain, truncate
    from train.evaluate.report import markdown_table, write_results

    files = domain_files(args.domains)
    domains = {name: truncate(read_domain(path, args.text_field), args.max_chars) for name, path in files.items()}
    results = evaluate_models(args.model, domains, args.reference_tokenizer, args.batch_size,
                              _device(args.device), args.dtype, not args.no_progress)
    print(markdown_table(results))
    if args.out:
        meta = {"reference_tokenizer": args.reference_tokenizer or args.model[0], "max_chars": args.max_chars,
                "model_paths": list(args.model), "domains": files}
        paths = write_results(args.out, results, meta)
        print("\nwrote " + ", ".join(paths.values()))
    return 0


def run_contamination(args) -> int:
    from train.evaluate.contamination import probe, read_delta1, read_delta2, verdict

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


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    run = {"loss": run_loss, "contamination": run_contamination, "build-sets": run_build_sets}[args.command]
    try:
        return run(args)
    except (FileNotFoundError, ValueError) as exc:
        print(f"skypile eval {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

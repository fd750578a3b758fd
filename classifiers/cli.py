"""``skypile classifiers``: train, evaluate and build data for quality/toxicity classifiers.

    skypile classifiers train-fasttext --train F --valid F --out MODEL --positive V [--negative V] [--quantize]
    skypile classifiers train-bert (--base DIR | --from-scratch) --train F --valid F --out DIR --positive V
    skypile classifiers eval --model PATH --data F --positive V   (prints one JSON line)
    skypile classifiers build-quality-set --reference GLOB --web GLOB --out F [--valid-out F]
    skypile classifiers build-defaults --out DIR [--data DIR] [--only NAME ...] [--max-train N]

Data files are JSONL, CSV/TSV or fastText ``.txt`` (see :mod:`classifiers.data`); what was read,
and which labels were outside the declared set, goes to stderr.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

from classifiers.base import ModelFileError
from classifiers.kinds import KINDS
from skypile_common.cli_parser import OneLineParser


def _data_args(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--text-field", default="text", help="JSONL field / CSV column with the text")
    ap.add_argument("--label-field", default="label", help="JSONL field / CSV column with the label")
    ap.add_argument("--positive", nargs="+", action="extend", required=True, metavar="VALUE",
                    help="label values of the positive class (high quality, or toxic); repeats add up")
    ap.add_argument("--negative", nargs="+", action="extend", default=[], metavar="VALUE",
                    help="label values of the negative class; rows with other labels are skipped and "
                         "reported (default: every other value is negative)")


def model_path(value: str) -> str:
    """A ``--model`` as the config names models: ``pkg://classifiers/models/...`` (the shipped
    ones, as report.json and defaults.yaml show them) or a local path, which must exist."""
    from transforms.paths import resolve_path

    path = resolve_path(value)  # FileNotFoundError names a pkg:// file that is not there
    if not os.path.exists(path):
        raise FileNotFoundError(f"--model {value}: no such file or folder")
    return path


def _load(paths, args, what: str):
    from classifiers.data import load_labelled

    both = sorted(set(args.positive) & set(args.negative))
    if both:
        raise ValueError(f"label value(s) {both} given as both --positive and --negative")

    data = load_labelled(paths, args.positive, args.negative, args.text_field, args.label_field)
    print(data.summary(f"{what} {', '.join(paths)}"), file=sys.stderr)
    return data


def _report(model, valid, threshold: float = 0.5) -> None:
    from classifiers.metrics import binary_metrics, report

    scores = model.predict(valid.texts)
    print(report(valid.labels, scores, threshold))
    print(json.dumps(binary_metrics(valid.labels, scores, threshold)))


def train_fasttext_cmd(args) -> int:
    from classifiers.fasttext_model import FastTextClassifier, train_fasttext

    train = _load(args.train, args, "train")
    valid = _load(args.valid, args, "valid")
    start = time.time()
    train_fasttext(train.texts, train.labels, args.out, quantize=args.quantize, seed=args.seed,
                   threads=args.threads, epoch=args.epoch, lr=args.lr, dim=args.dim,
                   wordNgrams=args.word_ngrams, bucket=args.bucket)
    print(f"trained {args.out} in {time.time() - start:.1f}s", file=sys.stderr)
    _report(FastTextClassifier(args.out).load(), valid)
    return 0


def train_bert_cmd(args) -> int:
    from classifiers.bert_model import BertClassifier
    from classifiers.bert_train import BertTrainConfig, train_bert

    if bool(args.base) == bool(args.from_scratch):
        print("skypile classifiers train-bert: give exactly one of --base DIR or --from-scratch", file=sys.stderr)
        return 2
    train = _load(args.train, args, "train")
    valid = _load(args.valid, args, "valid")
    cfg = BertTrainConfig(epochs=args.epochs, batch_size=args.batch_size, max_length=args.max_length,
                          max_examples=args.max_examples, seed=args.seed, vocab_size=args.vocab_size,
                          hidden_size=args.hidden_size, layers=args.layers, heads=args.heads,
                          threads=args.threads, **({"lr": args.lr, "scratch_lr": args.lr} if args.lr else {}))
    start = time.time()
    train_bert(train.texts, train.labels, args.out, base=args.base, cfg=cfg,
               log=lambda m: print(m, file=sys.stderr))
    print(f"trained {args.out} in {time.time() - start:.1f}s", file=sys.stderr)
    _report(BertClassifier(args.out, max_length=args.max_length).load(), valid)
    return 0


def eval_cmd(args) -> int:
    from classifiers.kinds import guess_kind, load_classifier
    from classifiers.metrics import binary_metrics

    path = model_path(args.model)
    data = _load(args.data, args, "eval")
    kind = args.kind or guess_kind(path)
    model = load_classifier(kind, path)
    print(json.dumps(binary_metrics(data.labels, model.predict(data.texts), args.threshold)))
    return 0


def build_quality_set_cmd(args) -> int:
    from classifiers.recipe import build_quality_set

    counts = build_quality_set(args.reference, args.web, args.out, max_per_class=args.max_per_class,
                               valid_out=args.valid_out, valid_fraction=args.valid_fraction, seed=args.seed,
                               text_field=args.text_field, min_chars=args.min_chars)
    print(json.dumps(counts))
    return 0


def build_defaults_cmd(args) -> int:
    from classifiers.default_models import build_all

    data = args.data or os.environ.get("SKYPILE_SHARED_DATA") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")
    if os.path.isdir(args.out) and os.listdir(args.out) and not args.force:
        raise ValueError(f"--out {args.out} is not empty (an output folder holds one build; --force replaces it)")
    records = build_all(os.path.abspath(data), args.out, args.only, args.max_train,
                        log=lambda m: print(m, file=sys.stderr))
    for r in records:
        print(json.dumps({"name": r["name"], "file": r["file"], "test_f1": r["test_at_0.5"]["f1"],
                          "plain_fasttext_test_f1": r["plain_fasttext_test_f1"], "threshold": r["threshold"]}))
    return 0


def parser() -> argparse.ArgumentParser:
    ap = OneLineParser(prog="skypile classifiers", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)

    ft = sub.add_parser("train-fasttext", help="train a fastText classifier and print a validation report")
    ft.add_argument("--train", nargs="+", action="extend", required=True, metavar="FILE")
    ft.add_argument("--valid", nargs="+", action="extend", required=True, metavar="FILE")
    ft.add_argument("--out", required=True, metavar="MODEL")
    _data_args(ft)
    ft.add_argument("--quantize", action="store_true", help="product-quantize (.ftz-style, ~10x smaller)")
    ft.add_argument("--epoch", type=int, default=5)
    ft.add_argument("--lr", type=float, default=0.1)
    ft.add_argument("--dim", type=int, default=100)
    ft.add_argument("--word-ngrams", type=int, default=2)
    ft.add_argument("--bucket", type=int, default=2_000_000, help="hashed n-gram buckets (model size ~ bucket x dim)")
    ft.add_argument("--threads", type=int, default=10, help="training threads (at least 10; see train_fasttext)")
    ft.add_argument("--seed", type=int, default=0)
    ft.set_defaults(func=train_fasttext_cmd)

    bt = sub.add_parser("train-bert", help="fine-tune (or train from scratch) a BERT classifier; saves HF format")
    bt.add_argument("--base", metavar="DIR", help="local Hugging Face checkpoint to fine-tune")
    bt.add_argument("--from-scratch", action="store_true",
                    help="train a WordPiece tokenizer on --train and a small BERT from random init")
    bt.add_argument("--train", nargs="+", action="extend", required=True, metavar="FILE")
    bt.add_argument("--valid", nargs="+", action="extend", required=True, metavar="FILE")
    bt.add_argument("--out", required=True, metavar="DIR")
    _data_args(bt)
    bt.add_argument("--epochs", type=int, default=2)
    bt.add_argument("--batch-size", type=int, default=16)
    bt.add_argument("--lr", type=float, default=0.0, help="default 5e-5 (fine-tune) / 5e-4 (from scratch)")
    bt.add_argument("--max-length", type=int, default=128)
    bt.add_argument("--max-examples", type=int, default=0, help="cap on training examples (seeded sample)")
    bt.add_argument("--vocab-size", type=int, default=8000)
    bt.add_argument("--hidden-size", type=int, default=128)
    bt.add_argument("--layers", type=int, default=2)
    bt.add_argument("--heads", type=int, default=2)
    bt.add_argument("--threads", type=int, default=0)
    bt.add_argument("--seed", type=int, default=0)
    bt.set_defaults(func=train_bert_cmd)

    ev = sub.add_parser("eval", help="score labelled data; prints precision, recall, f1, accuracy, n as JSON")
    ev.add_argument("--model", required=True, metavar="PATH",
                    help="fastText file, ensemble manifest or Hugging Face folder; pkg://classifiers/models/... "
                         "for a shipped model (as in defaults.yaml)")
    ev.add_argument("--kind", choices=KINDS, help="default: folder = bert, file = fasttext")
    ev.add_argument("--data", nargs="+", action="extend", required=True, metavar="FILE")
    ev.add_argument("--threshold", type=float, default=0.5)
    _data_args(ev)
    ev.set_defaults(func=eval_cmd)

    qs = sub.add_parser("build-quality-set", help="DCLM/GPT-3-style set: reference text (hq) vs curated web (cc)")
    qs.add_argument("--reference", nargs="+", action="extend", required=True, metavar="GLOB",
                    help="positives: JSONL(.gz), Parquet or plain-text files")
    qs.add_argument("--web", nargs="+", action="extend", required=True, metavar="GLOB",
                    help="negatives: curated Parquet shards or JSONL")
    qs.add_argument("--out", required=True, metavar="FILE")
    qs.add_argument("--valid-out", metavar="FILE")
    qs.add_argument("--valid-fraction", type=float, default=0.1)
    qs.add_argument("--max-per-class", type=int, default=100_000)
    qs.add_argument("--min-chars", type=int, default=200)
    qs.add_argument("--text-field", default="text")
    qs.add_argument("--seed", type=int, default=0)
    qs.set_defaults(func=build_quality_set_cmd)

    bd = sub.add_parser("build-defaults", help="rebuild the shipped fastText models (classifiers/models/) "
                                               "with their MODELS.md and models.json")
    bd.add_argument("--out", required=True, metavar="DIR")
    bd.add_argument("--data", metavar="DIR", help="the labelled data (default: $SKYPILE_SHARED_DATA, else ../shared/data)")
    bd.add_argument("--only", nargs="+", action="extend", default=[], metavar="NAME", help="build only these models")
    bd.add_argument("--max-train", type=int, default=0, help="cap on training examples per model (tests)")
    bd.add_argument("--force", action="store_true", help="write into a non-empty --out")
    bd.set_defaults(func=build_defaults_cmd)
    return ap


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except (ModelFileError, ValueError, FileNotFoundError) as exc:
        print(f"skypile classifiers {args.command}: error: {exc}", file=sys.stderr)
        return 2

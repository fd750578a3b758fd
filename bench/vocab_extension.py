"""Chinese vocabulary for an English-only model, end to end through the real CLI (issue 17).

    .venv/bin/python bench/vocab_extension.py --work /tmp/vocab_ext

1. Training shards from ../shared/data (not the evaluation sets): English web text (DCLM
   human-annotated pages, scrapinghub article bodies) and Chinese web text (the hand-cleaned pages
   of Chinese-Web-Content-Extraction, COLD comments), in the curated layout data/<lang>/.
2. `skypile train --config configs/train/en_base.yaml`: an English-only tokenizer and model.
3. `skypile tokenizer extend` by both methods (bpe, chars): chars/token on the held domain sets.
4. `skypile model resize-vocab` and `skypile eval loss` at step 0: base vs resized, normalized by
   the base tokenizer's token count.
5. `skypile train --config configs/train/zh_extend.yaml` (init_from the base, extended tokenizer)
   and, as a control, the same continuation on the base tokenizer; `eval loss` of all three.

Evaluation: ../shared/data/eval/zh_domains and en_domains, truncated as Skywork does (1,365
characters). Prints markdown tables; writes WORK/summary.json.
"""
from __future__ import annotations

import argparse
import csv
import glob
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("SKYPILE_SHARED_DATA", ROOT.parent / "shared" / "data"))
SKYPILE = [sys.executable, "-m", "pipelines.cli"]
DOMAINS = {"zh": SHARED / "eval" / "zh_domains", "en": SHARED / "eval" / "en_domains"}


def english_texts() -> list[str]:
    texts = []
    for name in ("majority_data.jsonl", "agreement_data.jsonl"):
        with open(SHARED / "labels" / "dclm_web_quality_en" / name, encoding="utf-8") as f:
            texts += [json.loads(line)["text"] for line in f if line.strip()]
    with open(SHARED / "html" / "scrapinghub_aeb" / "ground-truth.json", encoding="utf-8") as f:
        texts += [v["articleBody"] for _, v in sorted(json.load(f).items())]
    return [t for t in texts if t.strip()]


def chinese_texts() -> list[str]:
    texts = [Path(p).read_text(encoding="utf-8") for p in sorted(glob.glob(str(SHARED / "html/zh_content_extraction/*/cleaned.txt")))]
    with open(SHARED / "labels" / "cold_zh_offensive" / "train.csv", encoding="utf-8") as f:
        comments = [row["TEXT"] for row in csv.DictReader(f)]
    # Short comments, 40 to a document, so a document is a page's worth of text.
    texts += ["\n".join(comments[i:i + 40]) for i in range(0, len(comments), 40)]
    return [t for t in texts if t.strip()]


def write_corpus(root: Path) -> dict:
    from transforms.document import Document, parquet_schema, stable_id, to_row

    schema, counts = parquet_schema(), {}
    for lang, texts in (("en", english_texts()), ("zh", chinese_texts())):
        folder = root / "data" / lang
        folder.mkdir(parents=True, exist_ok=True)
        rows = [to_row(Document(id=stable_id(lang, str(i)), text=t, lang=lang, source="bench"), schema)
                for i, t in enumerate(texts)]
        half = len(rows) // 2
        for i, part in enumerate((rows[:half], rows[half:])):
            pq.write_table(pa.Table.from_pylist(part, schema=schema), folder / f"part-{i}.parquet", row_group_size=64)
        counts[lang] = {"docs": len(texts), "chars": sum(len(t) for t in texts)}
    return counts


def run(*commands: list[str]) -> None:
    """Run skypile commands side by side (independent runs), failing on the first error."""
    start = time.perf_counter()
    # One torch thread each: on a shared 2-core machine, oversubscribed threads made steps 10x slower.
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    procs = [subprocess.Popen([*SKYPILE, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for args in commands]
    for args, proc in zip(commands, procs):
        _, err = proc.communicate()
        if proc.returncode:
            sys.exit(f"skypile {' '.join(args)} failed ({proc.returncode}):\n{err[-3000:]}")
        print(f"[{time.perf_counter() - start:6.1f} s] skypile {' '.join(args)}", file=sys.stderr, flush=True)


def eval_loss(out: Path, labelled: dict[str, Path], reference: Path) -> dict:
    """Normalized loss pooled per language (NLL sum / reference tokens over that language's domains).
    One `eval loss` per model, side by side; existing results of the same model are reused
    (evaluation is the slowest step on CPU)."""
    previous = out / "results.json"
    if previous.exists() and json.loads(previous.read_text())["model_paths"] == [str(m) for m in labelled.values()]:
        results = dict(zip(labelled, json.loads(previous.read_text())["models"].values()))  # in --model order
    else:
        def done(label: str) -> bool:
            file = out / label / "results.json"
            return file.exists() and json.loads(file.read_text())["model_paths"] == [str(labelled[label])]

        run(*[["eval", "loss", "--model", str(path), "--domains", str(DOMAINS["zh"]), str(DOMAINS["en"]),
               "--reference-tokenizer", str(reference), "--out", str(out / label), "--no-progress"]
              for label, path in labelled.items() if not done(label)])
        results = {label: next(iter(json.loads((out / label / "results.json").read_text())["models"].values()))
                   for label in labelled}
    pooled = {}
    for name, per_domain in results.items():
        pooled[name] = {}
        for lang in DOMAINS:
            stats = [s for d, s in per_domain.items() if d.startswith(f"{lang}_")]
            pooled[name][lang] = sum(s["nll"] for s in stats) / sum(s["ref_tokens"] for s in stats)
    return pooled


def table(title: str, rows: dict, columns: list[str]) -> str:
    lines = [f"\n{title}\n", "| | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
    for name, row in rows.items():
        lines.append(f"| {name} | " + " | ".join(f"{row[c]:.4f}" if isinstance(row[c], float) else str(row[c])
                                                 for c in columns) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", required=True, help="working directory (a fresh one: runs resume otherwise)")
    ap.add_argument("--add", type=int, default=1024, help="tokens to add (default 1024)")
    args = ap.parse_args()
    work = Path(args.work).resolve()
    summary: dict = {"corpus": write_corpus(work / "corpus"), "add": args.add}
    corpus = str(work / "corpus")

    base = work / "en_base"
    run(["train", "--config", "configs/train/en_base.yaml", "--data", corpus, "--out", str(base)])
    run(["model", "export", "--checkpoint", str(base), "--out", str(base / "hf"), "--tokenizer", str(base / "tokenizer")])

    summary["extension"], resized = {}, []
    for method in ("bpe", "chars"):
        tok = work / f"zh_tok_{method}"
        run(["tokenizer", "extend", "--base", str(base / "tokenizer"), "--shards", f"{corpus}/data/*/*.parquet",
             "--add", str(args.add), "--out", str(tok), "--method", method,
             "--held", str(DOMAINS["zh"]), "--held", str(DOMAINS["en"])])
        summary["extension"][method] = json.loads((tok / "extension.json").read_text())
        run(["model", "resize-vocab", "--hf", str(base / "hf"), "--tokenizer", str(tok), "--out",
             str(work / f"resized_{method}")])
        resized.append(work / f"resized_{method}")
    summary["step0"] = eval_loss(work / "eval_step0", {"en_base": base / "hf", **{p.name: p for p in resized}},
                                 base / "tokenizer")

    # The continuation on the extended tokenizer and the control on the base's, side by side.
    tokenizers = {"zh_extend": work / "zh_tok_bpe", "zh_control": base / "tokenizer"}
    run(*[["train", "--config", "configs/train/zh_extend.yaml", "--data", corpus, "--out", str(work / name),
           "--set", f"train.init_from={base}", "--set", f"tokenizer.path={tok}"] for name, tok in tokenizers.items()])
    run(*[["model", "export", "--checkpoint", str(work / name), "--out", str(work / name / "hf"), "--tokenizer", str(tok)]
          for name, tok in tokenizers.items()])
    continued = eval_loss(work / "eval_continued", {name: work / name / "hf" for name in tokenizers}, base / "tokenizer")
    summary["continued"] = {"en_base": summary["step0"]["en_base"], **continued}
    (work / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))

    chars = {}
    for method, report in summary["extension"].items():
        for held, row in report["held"].items():
            chars[f"{method} / {held}"] = {"docs": row["docs"], "base": row["chars_per_token_base"],
                                           "extended": row["chars_per_token_extended"],
                                           "docs with changed ids": row["docs_with_changed_ids"]}
    print(f"corpus: {summary['corpus']}; +{args.add} tokens on a {2048}-token English-only base")
    print(table("chars per token on the held domain sets", chars, ["docs", "base", "extended", "docs with changed ids"]))
    print(table("normalized loss (nats per base-tokenizer token) at step 0", summary["step0"], ["zh", "en"]))
    print(table("normalized loss after the zh/en continuation (configs/train/zh_extend.yaml)", summary["continued"],
                ["zh", "en"]))


if __name__ == "__main__":
    main()

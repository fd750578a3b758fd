"""Agreement of the heuristics' "keep" with labels: English against datatrove, Chinese dev set.

English: DCLM's human-annotated Common Crawl texts (label 1 = good). **Tuning split**
``majority_data.jsonl`` (376 docs, majority vote); **report split** ``agreement_data.jsonl`` (198
docs every annotator agreed on). The English defaults are the grid variant (``english_grid``)
with the best F1 on the tuning split; the report split is printed for the defaults only.
datatrove's FineWeb chain (``bench/datatrove_labels.py``, in the peer kit's datatrove venv) runs on
the same texts and is printed beside ours.

Chinese: the development set of ``bench/zh_devset.py`` (good: gold extraction texts, Skywork
zh_general, PRC laws; bad: real spam and six degenerate kinds made from the good texts), split
by a hash of each source document's id. The Chinese thresholds were set on ``dev``; ``report``
is the figure to quote. Printed: keep rate per part and split, per-rule drops, and every good
document dropped with its rule; then ablations that put back FineWeb-2's ``cmn_Hani`` values one
at a time.

Usage: .venv/bin/python bench/heuristics_agreement.py [--data ../shared/data] [--peer-python PY]
"""
from __future__ import annotations

import argparse
import copy
import itertools
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import zh_devset  # noqa: E402
from pipelines.config import load_config  # noqa: E402
from transforms.document import Document  # noqa: E402
from transforms.heuristics.heuristics_step import Heuristics, count_into  # noqa: E402
from transforms.keep_or_drop import Drop  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PEER_ROOT = os.environ.get("PEERBENCH_ROOT") or os.path.join(tempfile.gettempdir(), "peerbench")
FINEWEB2_DUP_NGRAMS = {5: 0.198, 6: 0.182, 7: 0.167, 8: 0.154, 9: 0.14, 10: 0.127}


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def override(base: dict, **paths) -> dict:
    """A copy of ``base`` with ``a__b__c=value`` set at ``base[a][b][c]``."""
    cfg = copy.deepcopy(base)
    for path, value in paths.items():
        node = cfg
        *parents, leaf = path.split("__")
        for key in parents:
            node = node[key]
        node[leaf] = value
    return cfg


def english_grid(base: dict) -> dict[str, dict]:
    """The English tuning grid: C4's terminal-punctuation line rule on/off, Gopher's alpha-words
    share over whitespace words (Gopher) or punctuation-split tokens (what FineWeb's spaCy tokens
    count) at 0.8 (published) or 0.76, FineWeb's short-line limit at 0.67 (published) or 0.5."""
    grid = {}
    for terminal, (alpha, ratio), short in itertools.product(
            (True, False), (("words", 0.8), ("split_punctuation", 0.8), ("split_punctuation", 0.76)), (0.67, 0.5)):
        name = (f"C4 terminal-punct lines {'on' if terminal else 'off'}, alpha {alpha} >= {ratio}, "
                f"short lines <= {short}")
        grid[name] = override(base, languages__en__c4__require_terminal_punct=terminal,
                              languages__en__gopher_quality__alpha_tokens=alpha,
                              languages__en__gopher_quality__min_alpha_words_ratio=ratio,
                              languages__en__fineweb__max_short_line_ratio=short)
    return grid


def verdicts(section: dict, texts: list[str], lang: str) -> list[str | None]:
    """The drop reason of each text (None = kept)."""
    step = Heuristics(**section, counter_inc_fn=count_into(Counter()))
    step.setup()
    out = []
    for i, text in enumerate(texts):
        v = step.process(Document(id=str(i), text=text, lang=lang))
        out.append(v.reason if isinstance(v, Drop) else None)
    return out


def prf(kept: list[bool], good: list[bool]) -> tuple[float, float, float]:
    tp = sum(k and g for k, g in zip(kept, good))
    fp = sum(k and not g for k, g in zip(kept, good))
    fn = sum(g and not k for k, g in zip(kept, good))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def datatrove_kept(peer_python: str, texts: list[str]) -> list[bool] | None:
    """datatrove's FineWeb chain on ``texts`` (None when the peer venv is missing)."""
    if not os.path.exists(peer_python):
        return None
    payload = "".join(json.dumps({"text": t}) + "\n" for t in texts)
    proc = subprocess.run([peer_python, str(ROOT / "bench" / "datatrove_labels.py")], input=payload,
                          capture_output=True, text=True, timeout=3600, check=True)
    kept = set(json.loads(proc.stdout.strip().splitlines()[-1])["kept"])
    return [i in kept for i in range(len(texts))]


def english(base: dict, data: Path, peer_python: str) -> None:
    dclm = data / "labels/dclm_web_quality_en"
    splits = {name: read_jsonl(dclm / f"{file}_data.jsonl") for name, file in (("tune", "majority"), ("report", "agreement"))}
    texts = {s: [r["text"] for r in rows] for s, rows in splits.items()}
    good = {s: [r["label"] == 1 for r in rows] for s, rows in splits.items()}

    print("## English: tuning grid (DCLM majority_data, 376 docs, 200 good)\n")
    print("| variant | kept | precision | recall | F1 |\n|---|---|---|---|---|")
    scored = []
    for name, section in english_grid(base).items():
        kept = [r is None for r in verdicts(section, texts["tune"], "en")]
        scored.append((prf(kept, good["tune"])[2], name))
        p, r, f1 = prf(kept, good["tune"])
        print(f"| {name} | {sum(kept)} | {p:.3f} | {r:.3f} | {f1:.3f} |")
    best = max(scored)[1]
    print(f"\nBest on the tuning split: {best}.")

    print("\n## English: ours (defaults) and datatrove's FineWeb chain, side by side\n")
    print("| split | docs (good) | method | kept | precision | recall | F1 |\n|---|---|---|---|---|---|---|")
    dropped_good: Counter = Counter()
    for split in ("tune", "report"):
        n, n_good = len(texts[split]), sum(good[split])
        reasons = verdicts(base, texts[split], "en")
        rows = [("keep everything", [True] * n), ("skypile defaults", [r is None for r in reasons])]
        dt = datatrove_kept(peer_python, texts[split])
        rows.append(("datatrove 0.10.1 FineWeb chain", dt) if dt else ("datatrove (peer venv missing)", None))
        for method, kept in rows:
            if kept is None:
                print(f"| {split} | {n} ({n_good}) | {method} | - | - | - | - |")
                continue
            p, r, f1 = prf(kept, good[split])
            print(f"| {split} | {n} ({n_good}) | {method} | {sum(kept)} | {p:.3f} | {r:.3f} | {f1:.3f} |")
        if split == "report":
            dropped_good.update(r for r, g in zip(reasons, good[split]) if g and r)
    print("\nGood report-split documents the defaults drop, by rule: "
          + (", ".join(f"`{k}` {v}" for k, v in dropped_good.most_common()) or "none"))


def chinese_table(section: dict, items: list) -> dict:
    """{(source, split): Counter of reasons ("kept" for kept)} and the good documents dropped."""
    reasons = verdicts(section, [it.text for it in items], "zh")
    table: dict = defaultdict(Counter)
    dropped = []
    for it, reason in zip(items, reasons):
        table[(it.source, it.split)][reason or "kept"] += 1
        if it.good and reason:
            dropped.append((it, reason))
    return {"table": table, "dropped": dropped}


def good_kept(result: dict, split: str, goods: set[str]) -> tuple[int, int]:
    rows = [c for (src, s), c in result["table"].items() if s == split and src in goods]
    return sum(c["kept"] for c in rows), sum(sum(c.values()) for c in rows)


def chinese(base: dict, data: Path) -> None:
    items = zh_devset.build(data, ROOT / "sample" / "cc-excerpt-resiliparse.warc.gz")
    goods = {it.source for it in items if it.good}
    res = chinese_table(base, items)
    print("\n## Chinese development set: defaults\n")
    print("| part | label | split | docs | kept | kept share | drops (top 4) |\n|---|---|---|---|---|---|---|")
    for (source, split), counts in sorted(res["table"].items(), key=lambda kv: (kv[0][0] not in goods, kv[0])):
        n = sum(counts.values())
        top = ", ".join(f"`{r}` {c}" for r, c in counts.most_common() if r != "kept")
        top = ", ".join(top.split(", ")[:4])
        label = "good" if source in goods else "bad"
        print(f"| {source} | {label} | {split} | {n} | {counts['kept']} | {counts['kept'] / n:.3f} | {top or '-'} |")
    for split in ("dev", "report"):
        k, n = good_kept(res, split, goods)
        worst = min(1 - c["kept"] / sum(c.values()) for (src, s), c in res["table"].items()
                    if s == split and src in zh_devset.DEGENERATE_KINDS)
        print(f"\n{split}: good kept {k} / {n} ({k / n:.1%}); lowest drop rate of a degenerate kind {worst:.1%}")
    print("\nGood documents dropped (every one, both splits):\n")
    for it, reason in res["dropped"]:
        head = " ".join(it.text.split())[:70]
        print(f"- {it.split} `{it.key}` `{reason}`: {head}")

    zh = "languages__zh__"
    ablations = {
        "FineWeb-2 alpha words: jieba tokens with punctuation >= 0.735": override(
            base, **{zh + "gopher_quality__alpha_tokens": "words", zh + "gopher_quality__min_alpha_words_ratio": 0.735}),
        "sentence-line rule off (FineWeb-2's per-line rule is not available)": override(
            base, **{zh + "chinese__min_sentence_line_chars_ratio": 0.0}),
        "FineWeb-2 dup n-gram limits (5: 0.198 ... 10: 0.127)": override(
            base, **{zh + "gopher_repetition__max_dup_ngram_char_frac": FINEWEB2_DUP_NGRAMS}),
        "FineWeb char-dup limit 0.01": override(base, **{zh + "fineweb__max_char_dup_ratio": 0.01}),
    }
    print("\n## Chinese: FineWeb-2 values put back one at a time\n")
    print("| variant | split | good kept | bad kept | each degenerate kind dropped (min) |\n|---|---|---|---|---|")
    for name, section in {"defaults": base, **ablations}.items():
        r = res if section is base else chinese_table(section, items)
        for split in ("dev", "report"):
            k, n = good_kept(r, split, goods)
            bad = [c for (src, s), c in r["table"].items() if s == split and src not in goods]
            bad_kept, bad_n = sum(c["kept"] for c in bad), sum(sum(c.values()) for c in bad)
            worst = min(1 - c["kept"] / sum(c.values()) for (src, s), c in r["table"].items()
                        if s == split and src in zh_devset.DEGENERATE_KINDS)
            print(f"| {name} | {split} | {k} / {n} ({k / n:.1%}) | {bad_kept} / {bad_n} | {worst:.1%} |")


def extracted_pages(base: dict, data: Path) -> None:
    """The 52 zh_content_extraction pages as the pipeline sees them: our extraction, then the
    heuristics, with and without unwrapping layout tables."""
    import gzip

    from transforms.charset import decode_html
    from transforms.extract import TrafilaturaExtractor

    pages = sorted((data / "html" / "zh_content_extraction").iterdir())
    htmls = [decode_html(gzip.decompress((p / "original.html.gz").read_bytes()))[0] for p in pages]
    print("\n## Chinese pages through our extraction, then the heuristics (zh_content_extraction, 52 pages)\n")
    print("| extraction | text out | kept by heuristics | drops |\n|---|---|---|---|")
    for name, unwrap in (("default (layout tables unwrapped)", True), ("layout tables kept", False)):
        extract = TrafilaturaExtractor(unwrap_layout_tables=unwrap)
        texts = [t for t in (extract(h) or "" for h in htmls) if len(t.strip()) >= 50]
        reasons = verdicts(base, texts, "zh")
        drops = Counter(r for r in reasons if r)
        print(f"| {name} | {len(texts)} | {reasons.count(None)} | "
              + (", ".join(f"`{r}` {n}" for r, n in drops.most_common()) or "-") + " |")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--peer-python", default=os.path.join(PEER_ROOT, "venvs", "datatrove", "bin", "python"))
    ap.add_argument("--only", choices=("en", "zh"), help="one language only")
    args = ap.parse_args(argv)
    base = dict(load_config()["heuristics"])
    base.pop("enabled")
    if args.only != "zh":
        english(base, args.data, args.peer_python)
    if args.only != "en":
        chinese(base, args.data)
        extracted_pages(base, args.data)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Precision and recall of the ``pii`` step per kind, beside datatrove's ``PIIFormatter``, and its cost.

On the labelled set of ``bench/pii_devset.py`` (real passages with personal data and look-alikes
written in; ``dev`` is tuned on, ``test`` is reported): a replacement counts as right only when it
covers exactly the written-in value with the right kind; anything else it replaces is a false
positive of its kind (tabulated by the look-alike it hit). datatrove (e-mail and IPv4 only) runs
in the peer kit's venv as a subprocess (``bench/pii_datatrove.py``; ``bash
../shared/peerbench/setup.sh datatrove`` makes the venv).

Cost: CPU seconds per MB of text and ms per document of ``PII.process`` on the whole real
documents the passages come from, best of ``--repeat`` passes, beside datatrove's ``format``.

    .venv/bin/python bench/pii_bench.py [--items 2400] [--seed 28] [--json out.json] [--no-datatrove]
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from bench.pii_devset import KINDS, _texts, build  # noqa: E402
from transforms.document import Document  # noqa: E402
from transforms.pii import PII, find_pii  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEERBENCH_ROOT = os.environ.get("PEERBENCH_ROOT", os.path.join(tempfile.gettempdir(), "peerbench"))
DATATROVE_PY = os.path.join(PEERBENCH_ROOT, "venvs", "datatrove", "bin", "python")
CHAIN_MS_PER_DOC = 37.2  # bench/README.md, Lean workers: CPU by step, total per document read


def score(items: list[dict], predicted: list[list], split: str, kinds=KINDS):
    """Per kind: tp, fp, fn; and the false positives by the look-alike (or kind) they overlap."""
    counts = {k: collections.Counter() for k in kinds}
    fp_by = collections.Counter()
    for item, preds in zip(items, predicted):
        if item["split"] != split:
            continue
        gold = {(s, e, label) for s, e, label, is_pii in item["spans"] if is_pii}
        for kind in kinds:
            counts[kind]["gold"] += sum(1 for g in gold if g[2] == kind)
        for s, e, kind in preds:
            if kind not in counts:
                continue
            if (s, e, kind) in gold:
                counts[kind]["tp"] += 1
            else:
                counts[kind]["fp"] += 1
                hit = [label for gs, ge, label, _ in item["spans"] if gs < e and s < ge] or ["passage"]
                fp_by[(kind, hit[0])] += 1
    rows = {}
    for kind, c in counts.items():
        fn = c["gold"] - c["tp"]
        rows[kind] = {"gold": c["gold"], "tp": c["tp"], "fp": c["fp"], "fn": fn,
                      "precision": c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else None,
                      "recall": c["tp"] / c["gold"] if c["gold"] else None}
    return rows, fp_by


def ours(items: list[dict]) -> list[list]:
    return [[[m.start, m.end, m.kind] for m in find_pii(item["text"])] for item in items]


def datatrove(items: list[dict], timing_texts: list[str]) -> tuple[list[list], dict]:
    with tempfile.TemporaryDirectory() as tmp:
        inp, out, timed = (os.path.join(tmp, n) for n in ("in.jsonl", "out.jsonl", "time.jsonl"))
        for path, texts in ((inp, [i["text"] for i in items]), (timed, timing_texts)):
            with open(path, "w", encoding="utf-8") as f:
                f.writelines(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts)
        proc = subprocess.run([DATATROVE_PY, os.path.join(ROOT, "bench", "pii_datatrove.py"), inp, out, "--time", timed],
                              capture_output=True, text=True, check=True)
        with open(out, encoding="utf-8") as f:
            return [json.loads(line) for line in f], json.loads(proc.stdout.strip().splitlines()[-1])


def our_cost(texts: list[str], repeat: int) -> dict:
    step = PII()
    step.bind_counter(lambda name, n: None)
    docs = [Document(id=str(i), text=t) for i, t in enumerate(texts)]
    step.process(docs[0])
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        for d in docs:
            step.process(d)
        best = min(best, time.process_time() - t0)
    return {"cpu_s": best, "docs": len(docs), "mb": sum(len(t.encode("utf-8")) for t in texts) / 1e6}


def _f(x) -> str:
    return "-" if x is None else f"{x:.3f}"


def table(results: dict[str, dict], split: str) -> str:
    lines = [f"{split} split | " + " | ".join(f"{name} P | {name} R" for name in results),
             "|".join(["---"] + ["---:"] * (2 * len(results)))]
    lines[0] = "| " + lines[0] + " |"
    lines[1] = "|" + lines[1] + "|"
    for kind in KINDS:
        first = next(iter(results.values()))[split][0][kind]
        cells = [f"{kind} ({first['gold']})"]
        for res in results.values():
            row = res[split][0].get(kind)
            cells += [_f(row and row["precision"]), _f(row and row["recall"])] if row else ["-", "-"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--items", type=int, default=2400)
    ap.add_argument("--seed", type=int, default=28)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-datatrove", action="store_true")
    ap.add_argument("--json")
    args = ap.parse_args()
    items = build(args.items, args.seed)
    natural = [t for texts in _texts().values() for t in texts if t.strip()]
    systems = {"ours": ours(items)}
    costs = {"ours": our_cost(natural, args.repeat)}
    if not args.no_datatrove:
        if not os.path.exists(DATATROVE_PY):
            sys.exit(f"no datatrove venv at {DATATROVE_PY}: bash ../shared/peerbench/setup.sh datatrove (or --no-datatrove)")
        systems["datatrove"], costs["datatrove"] = datatrove(items, natural)
    results = {name: {split: score(items, preds, split) for split in ("dev", "test")} for name, preds in systems.items()}
    for split in ("dev", "test"):
        print(table(results, split), "\n")
        for name, res in results.items():
            fps = res[split][1]
            if fps:
                print(f"{name} {split} false positives by what they hit: " +
                      ", ".join(f"{k}<-{label} {n}" for (k, label), n in sorted(fps.items())))
        print()
    for name, c in costs.items():
        ms = 1000 * c["cpu_s"] / c["docs"]
        print(f"{name}: {c['cpu_s'] / c['mb']:.3f} CPU s/MB, {ms:.3f} ms/doc over {c['docs']} documents "
              f"({c['mb']:.2f} MB, {1e6 * c['mb'] / c['docs']:,.0f} bytes/doc); "
              f"{100 * ms / CHAIN_MS_PER_DOC:.2f}% of the chain's {CHAIN_MS_PER_DOC} ms/doc")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"results": {n: {s: {"kinds": r[s][0], "fp_by": {f"{k}<-{lab}": v for (k, lab), v in r[s][1].items()}}
                                       for s in r} for n, r in results.items()}, "costs": costs,
                       "items": len(items)}, f, indent=2)


if __name__ == "__main__":
    main()

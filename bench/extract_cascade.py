"""The extraction cascade (``extract.cascade``) and the recall retry against the plain default.

Three trafilatura extractors with the ``extract`` settings of pipelines/defaults.yaml, differing only
in the new keys:

- ``default``: the full extraction on every page (``cascade: false``, ``recall_retry_max_chars: 0``),
  the output before the cascade;
- ``cascade``: ``fast=True`` first, the full extraction again where the fast text is short or
  structurally deficient (``cascade: true``, recall retry off);
- ``shipped``: defaults.yaml as it is (the cascade plus the recall retry, if it is on there).

On the labelled sets in ../shared/data/html (scored as bench/extract_quality.py scores them; the
``fast`` row is ``fast: true`` alone, for reference) and on WARCs (the bundled sample, the peer
kit's 2,400 responses) it prints, per set: F1, the share of pages whose text is identical to
``default``'s, how many pages took the retry, and the extraction CPU time against ``default``
(``time.process_time`` of parse + extraction per page, the extractors interleaved in alternating
order, ``--repeat`` times: the machine is shared, so wall time would be noise). Then every page whose
text differs from ``default``'s, with its lengths (and F1 on a labelled page).

The labelled pages are split in two halves by a hash of their path (``A``/``B``); kit records are
assigned the half of the page they copy. ``--sweep`` tries cascade and recall-retry thresholds on
half A only, the half the shipped values were chosen on; the tables report A, B, the sample and the
kit apart, so the figures on B, the sample and the kit's B records are on pages the values were not
chosen on.

    make_warc.py of the peer kit first (../shared/peerbench/README.md), then
    .venv/bin/python bench/extract_cascade.py [--kit-warc $PEERBENCH_ROOT/data/bench.warc.gz] [--repeat 2] [--sweep]
"""
from __future__ import annotations

import argparse
import collections
import glob
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from extract_quality import cases, prf, score, trafilatura_settings  # noqa: E402
from transforms.charset import decode_html  # noqa: E402
from transforms.extract import TrafilaturaExtractor  # noqa: E402
from transforms.read_warc import read_warc  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OFF = {"cascade": False, "recall_retry_max_chars": 0}


def half(page: str) -> str:
    """``A`` or ``B``: a fixed split of the labelled pages (and of the kit records copying them)."""
    return "AB"[int(hashlib.sha1(page.encode("utf-8")).hexdigest(), 16) % 2]


def labelled(data: Path):
    """(set, page, html str, gold) of the four labelled sets."""
    for kind, page, payload, gold in cases(data, None):
        yield kind, page, decode_html(payload)[0], gold


def warc_pages(paths: list[str], groundtruth: dict[str, str]):
    """(record id or URL, page copied or None, html str) of every HTML response, decoded as the
    pipeline decodes it."""
    for path in paths:
        with open(path, "rb") as f:
            for verdict in read_warc(f, path, 50 << 20):
                if getattr(verdict, "html", None) is None:
                    continue
                page = groundtruth.get(verdict.warc_record_id)
                yield verdict.url or verdict.warc_record_id, page, decode_html(verdict.html, verdict.charset_hint)[0]


def timed(extractors: dict, html: str, repeat: int, cpu: collections.Counter, nth: int) -> dict:
    """{name: (text, route)}, adding each extractor's process CPU seconds to ``cpu``; the order
    alternates between pages and repeats so that neither side always runs on a warm cache."""
    out = {}
    names = list(extractors)
    for r in range(repeat):
        for name in (names if (nth + r) % 2 == 0 else names[::-1]):
            t0 = time.process_time()
            result = extractors[name].extract(html)
            cpu[name] += time.process_time() - t0
            out[name] = (result[0] or "", result[1])
    return out


class Tally:
    """Per group: pages, identical texts, retried pages, CPU seconds and F1 counts per extractor."""

    def __init__(self):
        self.pages = collections.Counter()
        self.same = collections.Counter()
        self.retried = collections.Counter()
        self.cpu: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.f1: dict[tuple[str, str], list[int]] = collections.defaultdict(lambda: [0, 0, 0])
        self.differ: list[tuple] = []

    def add(self, groups: list[str], out: dict, page: str, cpu: collections.Counter, scores: dict | None = None):
        base = out["default"][0]
        for group in groups:
            self.pages[group] += 1
            for name, seconds in cpu.items():
                self.cpu[group][name] += seconds
            for name, (text, route) in out.items():
                self.same[(group, name)] += text == base
                self.retried[(group, name)] += route in ("full", "recall")
                if scores:
                    for i, v in enumerate(scores[name]):
                        self.f1[(group, name)][i] += v
        for name, (text, route) in out.items():
            if name != "default" and name != "fast" and text != base:
                f1 = {k: prf(*v)[2] for k, v in scores.items()} if scores else {}
                self.differ.append((groups[0], page, name, route, len(base), len(text), f1.get("default"), f1.get(name)))


def report(tally: Tally, names: list[str], labelled_sets: bool) -> None:
    cols = [n for n in names if n != "default"]
    head = ["set", "pages"]
    if labelled_sets:
        head += [f"F1 {n}" for n in names]
    head += [f"identical {n}" for n in cols if n != "fast"] + [f"retried {n}" for n in cols if n != "fast"]
    head += [f"CPU {n} / default" for n in cols]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for group in sorted(tally.pages):
        n = tally.pages[group]
        row = [group, str(n)]
        if labelled_sets:
            row += [f"{prf(*tally.f1[(group, name)])[2]:.4f}" for name in names]
        row += [f"{tally.same[(group, c)]}/{n} ({100 * tally.same[(group, c)] / n:.1f}%)" for c in cols if c != "fast"]
        row += [str(tally.retried[(group, c)]) for c in cols if c != "fast"]
        row += [f"{tally.cpu[group][c] / tally.cpu[group]['default']:.3f}" for c in cols]
        print("| " + " | ".join(row) + " |")


def print_differ(tally: Tally) -> None:
    """One row per page, extractor and route; kit pages sum their copies (exact and near)."""
    rows: dict[tuple, list] = collections.defaultdict(list)
    for group, page, name, route, n0, n1, f0, f1 in tally.differ:
        rows[(group, page, name, route)].append((n0, n1, f0, f1))
    print("\n| set | page | extractor | route | records | chars default | chars | F1 default | F1 |")
    print("|---|---|---|---|---|---|---|---|---|")

    def span(values):
        return "" if values[0] is None else (f"{min(values)}" if min(values) == max(values) else f"{min(values)}-{max(values)}")

    for (group, page, name, route), found in sorted(rows.items()):
        n0, n1, f0, f1 = zip(*found)
        f0, f1 = (("" if v[0] is None else f"{v[0]:.3f}") for v in (f0, f1))
        print(f"| {group} | {page} | {name} | {route} | {len(found)} | {span(n0)} | {span(n1)} | {f0} | {f1} |")


def sweep(pages: list, settings: dict, repeat: int) -> None:
    """Cascade and recall-retry thresholds on half A: F1 per set, identical share, CPU ratio."""
    variants = {"default": {**settings, **OFF}}
    for t in (250, 300, 400, 500, 700, 1000, 1500):
        variants[f"cascade_min_chars={t}"] = {**settings, **OFF, "cascade": True, "cascade_min_chars": t}
    for r in (250, 500):
        for f in (1.5, 2.0, 3.0):
            variants[f"recall {r} x{f}"] = {**settings, **OFF, "cascade": True, "cascade_min_chars": 500,
                                           "recall_retry_max_chars": r, "recall_retry_min_factor": f}
    extractors = {k: TrafilaturaExtractor(**v) for k, v in variants.items()}
    tally = Tally()
    for nth, (kind, page, html, gold) in enumerate(pages):
        cpu = collections.Counter()
        out = timed(extractors, html, repeat, cpu, nth)
        tally.add([kind], out, page, cpu, {k: score(kind, t, gold) for k, (t, _) in out.items()})
    sets = sorted(tally.pages)
    print(f"\n### Sweep on half A ({sum(tally.pages.values())} pages)\n")
    print("| variant | " + " | ".join(f"F1 {s}" for s in sets) + " | identical | retried | CPU / default |")
    print("|---|" + "---|" * (len(sets) + 3))
    total = sum(tally.pages.values())
    for name in variants:
        f1 = [f"{prf(*tally.f1[(s, name)])[2]:.4f}" for s in sets]
        same = sum(tally.same[(s, name)] for s in sets)
        retried = sum(tally.retried[(s, name)] for s in sets)
        cpu = sum(tally.cpu[s][name] for s in sets) / sum(tally.cpu[s]["default"] for s in sets)
        print(f"| {name} | " + " | ".join(f1) + f" | {same}/{total} ({100 * same / total:.1f}%) | {retried} | {cpu:.3f} |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared/data/html"))
    root = os.environ.get("PEERBENCH_ROOT") or os.path.join(tempfile.gettempdir(), "peerbench")
    ap.add_argument("--kit-warc", default=os.path.join(root, "data/bench.warc.gz"),
                    help="the peer kit's WARC (its bench.groundtruth.jsonl beside it); skipped if missing")
    ap.add_argument("--repeat", type=int, default=1, help="timed runs of each extractor per page")
    ap.add_argument("--sweep", action="store_true", help="also the threshold sweep on half A")
    ap.add_argument("--skip-kit", action="store_true")
    args = ap.parse_args(argv)

    settings = trafilatura_settings()
    print(f"defaults.yaml extract settings: {json.dumps(settings)}\n")
    pages = list(labelled(Path(args.data)))
    if args.sweep:
        sweep([p for p in pages if half(p[1]) == "A"], settings, args.repeat)

    names = ["default", "fast", "cascade", "shipped"]
    extractors = {"default": TrafilaturaExtractor(**{**settings, **OFF}),
                  "fast": TrafilaturaExtractor(**{**settings, **OFF, "fast": True}),
                  "cascade": TrafilaturaExtractor(**{**settings, **OFF, "cascade": True}),
                  "shipped": TrafilaturaExtractor(**settings)}
    tally = Tally()
    for nth, (kind, page, html, gold) in enumerate(pages):
        cpu = collections.Counter()
        out = timed(extractors, html, args.repeat, cpu, nth)
        scores = {k: score(kind, t, gold) for k, (t, _) in out.items()}
        tally.add([f"{kind} {half(page)}", kind, f"labelled {half(page)}", "labelled"], out, page, cpu, scores)
    print("\n### Labelled sets (A: where the thresholds were chosen; B: held out)\n")
    report(tally, names, labelled_sets=True)

    del extractors["fast"]
    names.remove("fast")
    warcs = {"sample": sorted(glob.glob(str(ROOT / "sample/*.warc.gz")))}
    groundtruth = {}
    if os.path.exists(args.kit_warc) and not args.skip_kit:
        warcs["kit"] = [args.kit_warc]
        with open(os.path.join(os.path.dirname(args.kit_warc), "bench.groundtruth.jsonl"), encoding="utf-8") as f:
            groundtruth = {g["record_id"]: g["page_id"] for g in map(json.loads, f)}
    else:
        print(f"\n(no peer kit WARC at {args.kit_warc}: build it with ../shared/peerbench/make_warc.py)")
    wtally = Tally()
    for corpus, paths in warcs.items():
        for nth, (record, page, html) in enumerate(warc_pages(paths, groundtruth)):
            cpu = collections.Counter()
            out = timed(extractors, html, args.repeat, cpu, nth)
            groups = [corpus] + ([f"{corpus}, records of {half(page)} pages"] if page else [])
            wtally.add(groups, out, page or record, cpu)
    print("\n### WARCs: the bundled sample and the peer kit\n")
    report(wtally, names, labelled_sets=False)
    print("\n### Pages whose text differs from the default's\n")
    print_differ(tally)
    print_differ(wtally)
    return 0


if __name__ == "__main__":
    sys.exit(main())

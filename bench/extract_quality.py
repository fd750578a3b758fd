"""Extraction quality against the ground truth in ../shared/data/html, for both extractors.

Runs our ``Extract`` step's extractors (with the default ``extract`` config) on each page, after our
charset decoding, and prints one Markdown table; ``trafilatura, layout tables kept`` is the default
trafilatura without unwrapping layout tables (``extract.unwrap_layout_tables: false``), the
before/after of that change:

- scrapinghub_aeb: bag-of-tokens precision / recall / F1 of the text against ``articleBody``
  (whitespace tokens, the measure of the article-extraction-benchmark);
- trafilatura_eval: snippet precision / recall / F1 as trafilatura's own evaluation computes them
  (a ``with`` snippet found is a true positive, missing a false negative; a ``without`` snippet found
  is a false positive);
- zh_content_extraction: bag-of-characters precision / recall / F1 against ``cleaned.txt`` (CJK has no
  spaces; whitespace ignored);
- mozilla_readability: bag-of-tokens against the text of ``expected.html``.

Scores are micro-averaged over pages (sums of matches over sums of lengths). Pages an extractor
returns nothing for count with zero recall. ``--variant LABEL:key=value,...`` adds the default
trafilatura with those ``extract`` settings changed (e.g. ``--variant fast:fast=true``), to check
a speed change against the default before making it one (``--variant
plain:cascade=false,recall_retry_max_chars=0`` is the full extraction on every page; the cascade
itself is measured by bench/extract_cascade.py); ``--trafilatura-only`` leaves out resiliparse and
the layout-tables-kept row.

    .venv/bin/python bench/extract_quality.py [--data ../shared/data/html] [--limit N] [--variant ...]
"""
from __future__ import annotations

import argparse
import collections
import gzip
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.config import load_defaults  # noqa: E402
from transforms.charset import decode_html  # noqa: E402
from transforms.extract import ResiliparseExtractor, TrafilaturaExtractor  # noqa: E402


def bag_overlap(pred: list[str], gold: list[str]) -> tuple[int, int, int]:
    """(matches, len(pred), len(gold)) of two multisets."""
    p, g = collections.Counter(pred), collections.Counter(gold)
    return sum((p & g).values()), len(pred), len(gold)


def prf(match: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    precision = match / n_pred if n_pred else 0.0
    recall = match / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _read(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()


def _normspace(text: str) -> str:
    return " ".join(text.split())


def cases(data: Path, limit: int | None):
    """(set, page, html bytes, gold) for every page; page is the path under ``data`` (the peer kit's
    ``page_id``); gold is a token list, char list, or snippets."""
    truth = json.loads((data / "scrapinghub_aeb/ground-truth.json").read_text(encoding="utf-8"))
    for page_id, entry in sorted(truth.items())[:limit]:
        page = f"scrapinghub_aeb/html/{page_id}.html.gz"
        yield "scrapinghub_aeb", page, _read(data / page), entry["articleBody"].split()
    evaldata = json.loads((data / "trafilatura_eval/evaldata.json").read_text(encoding="utf-8"))
    for _, entry in sorted(evaldata.items())[:limit]:
        page = "trafilatura_eval/html/" + entry["file"] + ".gz"
        if (data / page).exists():
            yield "trafilatura_eval", page, _read(data / page), (entry.get("with", []), entry.get("without", []))
    for page in sorted((data / "zh_content_extraction").iterdir())[:limit]:
        gold = (page / "cleaned.txt").read_text(encoding="utf-8")
        yield ("zh_content_extraction", f"zh_content_extraction/{page.name}/original.html.gz",
               _read(page / "original.html.gz"), [c for c in gold if not c.isspace()])
    from resiliparse.extract.html2text import extract_plain_text

    for page in sorted((data / "mozilla_readability").iterdir())[:limit]:
        expected = decode_html(_read(page / "expected.html.gz"))[0]
        yield ("mozilla_readability", f"mozilla_readability/{page.name}/source.html.gz", _read(page / "source.html.gz"),
               extract_plain_text(expected).split())


def score(kind: str, text: str, gold) -> tuple[int, int, int]:
    if kind == "trafilatura_eval":
        with_, without = gold
        norm = _normspace(text)
        tp = sum(1 for s in with_ if _normspace(s) in norm)
        fp = sum(1 for s in without if _normspace(s) in norm)
        return tp, tp + fp, len(with_)
    if kind == "zh_content_extraction":
        return bag_overlap([c for c in text if not c.isspace()], gold)
    return bag_overlap(text.split(), gold)


def trafilatura_settings() -> dict:
    """The ``extract`` section's trafilatura settings, as defaults.yaml ships them."""
    return {k: v for k, v in load_defaults()["extract"].items() if k not in ("enabled", "extractor", "min_chars")}


def _variant(spec: str, settings: dict) -> tuple[str, dict]:
    """``LABEL:key=value,...`` -> (label, {key: value}); keys must be extract settings."""
    import yaml

    label, _, assignments = spec.partition(":")
    changes = {}
    for item in filter(None, assignments.split(",")):
        key, _, value = item.partition("=")
        if key not in settings:
            raise SystemExit(f"--variant {spec}: {key!r} is not one of {sorted(settings)}")
        changes[key] = yaml.safe_load(value)
    return label, changes


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared/data/html"))
    ap.add_argument("--limit", type=int, default=None, help="pages per set (default: all)")
    ap.add_argument("--variant", action="append", default=[], metavar="LABEL:KEY=VALUE,...",
                    help="the default trafilatura with these extract settings (YAML values); repeatable")
    ap.add_argument("--trafilatura-only", action="store_true",
                    help="no resiliparse or layout-tables-kept rows")
    args = ap.parse_args(argv)
    settings = trafilatura_settings()
    extractors = {"trafilatura": TrafilaturaExtractor(**settings)}
    if not args.trafilatura_only:
        extractors["trafilatura, layout tables kept"] = TrafilaturaExtractor(**{**settings, "unwrap_layout_tables": False})
        extractors["resiliparse"] = ResiliparseExtractor()
    for variant in args.variant:
        label, changes = _variant(variant, settings)
        extractors[f"trafilatura, {label}"] = TrafilaturaExtractor(**{**settings, **changes})
    totals: dict[tuple[str, str], list[float]] = collections.defaultdict(lambda: [0, 0, 0, 0, 0.0, 0])
    for kind, _, payload, gold in cases(Path(args.data), args.limit):
        html = decode_html(payload)[0]
        for name, extract in extractors.items():
            t0 = time.process_time()
            text = extract(html) or ""
            elapsed = time.process_time() - t0
            m, p, g = score(kind, text, gold)
            row = totals[(kind, name)]
            row[0] += m
            row[1] += p
            row[2] += g
            row[3] += 1
            row[4] += elapsed
            row[5] += 0 if text.strip() else 1
    print("| set | extractor | pages | empty | precision | recall | F1 | CPU ms/page |")
    print("|---|---|---|---|---|---|---|---|")
    for (kind, name), (m, p, g, n, secs, empty) in sorted(totals.items()):
        precision, recall, f1 = prf(m, p, g)
        print(f"| {kind} | {name} | {n} | {empty} | {precision:.3f} | {recall:.3f} | {f1:.3f} | {1000 * secs / n:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

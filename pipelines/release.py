"""``skypile release``: a curated corpus -> a Hugging Face dataset folder, optionally pushed to the Hub.

    skypile release --corpus out/corpus [--corpus out/next] --out release/ [--name NAME] [--license ID]
                    [--shard-size-mb 500] [--repo-id ORG/NAME --push [--dry-run]]

The folder holds ``data/<config>/train-XXXXX-of-YYYYY.parquet`` (``pipelines/release_shards.py``),
the dataset card ``README.md`` (``pipelines/card.py``), the funnel chart ``funnel.png`` and the
run's ``report.json``. Several ``--corpus`` folders (a corpus grown crawl by crawl with ``skypile
curate --dedup-against``) are released as their union, with their reports summed.
``--push`` without ``--corpus`` uploads a folder released before.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys

import pyarrow.parquet as pq

from pipelines.card import card_body, card_metadata, human_bytes, render_card
from pipelines.funnel_chart import funnel_png
from pipelines.hub_push import PushError, describe_plan, local_files, plan_commits, push, scrub, token_and_source
from pipelines.release_shards import (DEFAULT_ROW_GROUP_MB, DEFAULT_SHARD_MB, MB, ConfigStats, ReleaseError,
                                      check_unique_ids, plan_configs, write_config)
from pipelines.report_markdown import FUNNEL_PNG, markdown_table
from skypile_common.cli_parser import OneLineParser

# FineWeb's choice for Common Crawl derived text (ODC-By 1.0 plus Common Crawl's terms of use).
DEFAULT_LICENSE = "odc-by"
RELEASE_FILES = ("data", "README.md", FUNNEL_PNG, "report.json")


def load_report(corpus: str) -> dict:
    if "://" in corpus:
        # Shards are re-read twice and written locally; copy them first (gcloud storage cp -r).
        raise ReleaseError(f"--corpus {corpus}: release reads a local folder; copy the run's output "
                           "here first (e.g. `gcloud storage cp -r gs://bucket/corpus .`)")
    path = os.path.join(corpus, "report.json")
    if not os.path.exists(path):
        raise ReleaseError(f"{corpus}: no report.json (release a `skypile curate` output directory)")
    with open(path, encoding="utf-8") as f:
        report = json.load(f)
    if not report.get("balanced", False):
        raise ReleaseError(f"{path}: records are unaccounted for (records_in != kept + dropped); "
                           "fix the curation run before releasing it")
    return report


def merge_reports(reports: list[dict]) -> dict:
    """One report for the union of several runs: counts summed, funnel rows summed by step."""
    if len(reports) == 1:
        return reports[0]
    merged = dict(reports[0])
    for key in ("records_in", "kept"):
        merged[key] = sum(r[key] for r in reports)
    for key in ("dropped", "kept_per_language", "lines_removed"):
        total: dict[str, int] = {}
        for r in reports:
            for name, n in r.get(key, {}).items():
                total[name] = total.get(name, 0) + n
        if total or key in merged:
            merged[key] = dict(sorted(total.items()))
    funnel: dict[str, dict] = {}
    for r in reports:
        for entry in r.get("funnel", []):
            row = funnel.setdefault(entry["step"], {"step": entry["step"], "in": 0, "kept": 0, "dropped": {}})
            row["in"] += entry["in"]
            row["kept"] += entry["kept"]
            for reason, n in entry["dropped"].items():
                row["dropped"][reason] = row["dropped"].get(reason, 0) + n
    merged["funnel"] = [{**row, "dropped": dict(sorted(row["dropped"].items()))} for row in funnel.values()]
    merged["inputs"] = [i for r in reports for i in r.get("inputs", [])]
    merged["balanced"] = all(r["balanced"] for r in reports)
    merged["runs"] = len(reports)
    return merged


def prepare_out(out: str, overwrite: bool) -> None:
    """An empty or new folder; ``--overwrite`` removes only what a release writes there."""
    present = [name for name in RELEASE_FILES if os.path.exists(os.path.join(out, name))]
    if present and not overwrite:
        raise ReleaseError(f"--out {out} already holds a release ({', '.join(present)}); "
                           "pass --overwrite to replace it, or push it with --push and no --corpus")
    for name in present:
        path = os.path.join(out, name)
        shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    os.makedirs(out, exist_ok=True)


def distinct_corpora(given: list[str]) -> list[str]:
    """The ``--corpus`` folders, each once: ``A`` and ``A/`` (or a link to A) name one folder, and
    a folder given twice is refused (its documents would be released twice)."""
    seen: dict[str, str] = {}
    for corpus in given:
        key = corpus if "://" in corpus else os.path.realpath(corpus)
        if key in seen:
            raise ReleaseError(f"--corpus {corpus} names the same folder as --corpus {seen[key]}; give each corpus once")
        seen[key] = corpus
    return [os.path.normpath(c) if "://" not in c else c for c in given]


def build_release(corpus: str | list[str], out: str, name: str, license_id: str, shard_mb: float,
                  row_group_mb: float, repo_id: str | None = None, overwrite: bool = False) -> list[ConfigStats]:
    """Check the corpora (reports, ids, row counts), then write the release into ``out`` (made
    empty first, :func:`prepare_out`): a refused release leaves ``out`` as it was."""
    corpora = distinct_corpora([corpus] if isinstance(corpus, str) else list(corpus))
    report = merge_reports([load_report(c) for c in corpora])
    for c in corpora:  # --overwrite would delete the corpus's own data/ and report.json
        if os.path.realpath(out) == os.path.realpath(c):
            raise ReleaseError(f"--out {out} is the --corpus folder itself; write the release to another folder")
    if not overwrite and any(os.path.exists(os.path.join(out, n)) for n in RELEASE_FILES):
        prepare_out(out, overwrite)  # refuses before the shards are read
    check_unique_ids(corpora)
    plans = plan_configs(corpora, int(shard_mb * MB))
    rows = sum(p.rows for p in plans)
    where = ", ".join(corpora)
    if not rows:
        raise ReleaseError(f"{where}: the run kept no documents; nothing to release")
    if rows != report["kept"]:
        raise ReleaseError(f"{where}: the shards hold {rows:,} rows but report.json kept {report['kept']:,}; "
                           "the corpus is incomplete or was changed after the run")
    prepare_out(out, overwrite)
    def log(message: str) -> None:
        print(f"release: {message}", file=sys.stderr, flush=True)

    stats = [write_config(plan, out, int(row_group_mb * MB), log) for plan in plans]
    chart = None
    if report.get("funnel"):
        with open(os.path.join(out, FUNNEL_PNG), "wb") as f:
            f.write(funnel_png(report, title=name))
        chart = FUNNEL_PNG
    if len(corpora) == 1:
        shutil.copyfile(os.path.join(corpora[0], "report.json"), os.path.join(out, "report.json"))
    else:
        with open(os.path.join(out, "report.json"), "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2, ensure_ascii=False, default=str)
    schema = pq.read_schema(os.path.join(out, stats[0].shards[0]))
    columns = [(field.name, str(field.type)) for field in schema]
    card = render_card(card_metadata(name, license_id, stats),
                       card_body(name, report, stats, chart, columns, repo_id))
    with open(os.path.join(out, "README.md"), "w", encoding="utf-8") as f:
        f.write(card)
    return stats


def summary(stats: list[ConfigStats]) -> str:
    rows = [(s.name, s.rows, s.characters, len(s.shards), human_bytes(s.disk_bytes)) for s in stats]
    return markdown_table(("config", "documents", "characters", "shards", "on disk"), rows, numeric=(1, 2, 3, 4))


def parser() -> argparse.ArgumentParser:
    ap = OneLineParser(prog="skypile release",
                                 description="Package a curated corpus as a Hugging Face dataset (shards, "
                                             "dataset card, funnel) and optionally push it to the Hub.")
    ap.add_argument("--corpus", action="append", metavar="DIR",
                    help="a `skypile curate` output directory; repeatable: the union of several is released")
    ap.add_argument("--out", required=True, metavar="RELEASE_DIR", help="the release folder to write (or push)")
    ap.add_argument("--name", help="dataset name in the card (default: the --out folder name)")
    ap.add_argument("--license", default=DEFAULT_LICENSE, metavar="ID", help=f"Hub license id (default {DEFAULT_LICENSE})")
    ap.add_argument("--shard-size-mb", type=float, default=DEFAULT_SHARD_MB, metavar="N",
                    help=f"target shard size, uncompressed as datasets' max_shard_size (default "
                         f"{DEFAULT_SHARD_MB}; zstd files on disk come out several times smaller)")
    ap.add_argument("--row-group-mb", type=float, default=DEFAULT_ROW_GROUP_MB, metavar="N",
                    help=f"uncompressed row group size for streaming readers (default {DEFAULT_ROW_GROUP_MB})")
    ap.add_argument("--overwrite", action="store_true", help="replace a release already in --out")
    ap.add_argument("--repo-id", metavar="ORG/NAME", help="dataset repo on the Hub")
    ap.add_argument("--push", action="store_true", help="upload to --repo-id (token: HF_TOKEN or `hf auth login`)")
    ap.add_argument("--private", action="store_true", help="create the repo private")
    ap.add_argument("--dry-run", action="store_true", help="print the commit plan; contact nothing")
    return ap


def _push(args) -> None:
    if not args.repo_id:
        raise PushError("--push and --dry-run need --repo-id ORG/NAME")
    if not os.path.exists(os.path.join(args.out, "README.md")):
        raise PushError(f"{args.out}: no release there (no README.md); build one with --corpus")
    token, source = token_and_source()
    if args.dry_run:
        commits, skipped = plan_commits(local_files(args.out), {})
        print(describe_plan(args.repo_id, commits, skipped, source, remote_checked=False))
        return
    if not token:
        raise PushError("no Hugging Face token: set HF_TOKEN or run `hf auth login`")
    try:
        commits = push(args.out, args.repo_id, token, private=args.private)
    except PushError:
        raise
    except Exception as exc:  # noqa: BLE001 - network, auth, offline: one clear line, token scrubbed
        raise PushError(f"upload to {args.repo_id} failed: {type(exc).__name__}: {scrub(str(exc), token)}") from None
    print(f"pushed {args.out} to datasets/{args.repo_id} in {len(commits)} commits")


def main(argv: list[str]) -> int:
    ap = parser()
    args = ap.parse_args(argv)
    if args.shard_size_mb <= 0 or args.row_group_mb <= 0:
        ap.error("--shard-size-mb and --row-group-mb must be positive")
    if args.repo_id and args.repo_id.count("/") != 1:
        ap.error(f"--repo-id {args.repo_id!r}: expected ORG/NAME")
    if not args.corpus and not (args.push or args.dry_run):
        print("skypile release: error: --corpus is required unless pushing an existing release", file=sys.stderr)
        return 2
    try:
        if args.corpus:
            name = args.name or os.path.basename(os.path.abspath(args.out))
            stats = build_release(args.corpus, args.out, name, args.license, args.shard_size_mb,
                                  args.row_group_mb, args.repo_id, args.overwrite)
            print(summary(stats))
            print(f"release written to {args.out}")
        if args.push or args.dry_run:
            _push(args)
    except (ReleaseError, PushError) as exc:
        print(f"skypile release: error: {exc}", file=sys.stderr)
        return 2
    return 0

"""``skypile curate``: WARC/JSONL/Parquet inputs -> curated Parquet shards + report.json.

The chain is flat and labelled: ProcessFiles (reading and the leading per-document steps, one
work file per input: :mod:`transforms.work_files`), RecordDedup (one document per id), the other
enabled steps in config order, then WriteShards (and WriteRejected with ``--write-rejected``) into
a staging folder that :mod:`pipelines.run_state` commits with the report. The output folder is one
run (``run.json``): the same command again resumes it, another one is refused. Any flag this
command does not know is handed to Beam's PipelineOptions, so ``--runner DataflowRunner --project
...`` work as usual.
"""
from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

from pipelines import run_state
from pipelines.config import ConfigError, load_config
from pipelines.progress import Progress, add_progress_argument
from pipelines.provenance import package_versions
from pipelines.report import build_report, counters_from_result, funnel_table, write_report
from pipelines.report_markdown import write_report_markdown
from pipelines.steps import build_steps
from transforms.drop_samples import SampleDrops
from transforms.apply import ApplyStep
from transforms.dedup.index import (DedupIndexError, WriteIndex, minhash_settings, previous_index_files,
                                    write_settings)
from transforms.dedup.record_ids import NAME as RECORD_DEDUP, DropRepeatedIds
from transforms.io import WriteRejected, WriteShards
from transforms.work_files import ProcessFiles, sum_counts

# Beam's Python runner, named explicitly: the default DirectRunner first tries to download Prism.
DEFAULT_RUNNER = "FnApiRunner"


class CurateError(Exception):
    """A problem found before launch (bad input glob, unusable output, bad config)."""


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def match_inputs(patterns: list[str]) -> list[str]:
    """Expand every glob through Beam's FileSystems; a glob matching nothing is an error."""
    files: list[str] = []
    for pattern in patterns:
        try:
            metadata = FileSystems.match([pattern])[0].metadata_list
        except Exception as exc:  # noqa: BLE001 - surfaced as a clear pre-launch error
            raise CurateError(f"--input {pattern}: cannot list ({exc})") from exc
        if not metadata:
            raise CurateError(f"--input {pattern}: matches no files")
        files.extend(m.path for m in metadata)
    return sorted(dict.fromkeys(files))


def check_output(output: str) -> None:
    """Write and delete a probe file so an unusable output location fails before launch."""
    probe = FileSystems.join(output, ".skypile-write-probe")
    try:
        if FileSystems.get_scheme(output) is None:
            import os

            os.makedirs(output, exist_ok=True)
        with FileSystems.create(probe) as f:
            f.write(b"ok")
        FileSystems.delete([probe])
    except Exception as exc:  # noqa: BLE001
        raise CurateError(f"--output {output}: not writable ({exc})") from exc


def output_languages(config: dict[str, Any]) -> list[str]:
    langid = config.get("langid", {})
    return list(langid.get("languages", {})) if langid.get("enabled", True) else []


def split_steps(steps: list[tuple[str, beam.PTransform]]):
    """The leading per-document steps (run per input file, resumable) and the rest (global)."""
    i = 0
    while i < len(steps) and type(steps[i][1]) is ApplyStep and not steps[i][1].batch_size:
        i += 1
    return steps[:i], steps[i:]


def _check_columns(name: str, transform, columns: dict) -> None:
    check = getattr(transform, "check_columns", None)
    if check:  # e.g. score_filter thresholds must name score columns an earlier step writes
        try:
            check(columns)
        except ValueError as exc:
            raise ConfigError(f"{name}: {exc}") from exc


def build_pipeline(p: beam.Pipeline, inputs: list[tuple[str, str]], output: str, config: dict[str, Any],
                   write_rejected: bool, progress: Progress | None = None,
                   previous_index: list[str] = ()) -> list[str]:
    """Lay out the chain on ``p``; returns the names of the funnel's steps in order.

    ``inputs`` pairs each input file with its work file (:mod:`transforms.work_files`); the shards,
    the dedup index, and the rejects with ``write_rejected``, go to ``output`` (the run's staging
    folder). ``previous_index``: index files of earlier corpora (``--dedup-against``), which the
    dedup steps give priority.
    """
    per_file, global_steps = split_steps(build_steps(config))
    if previous_index:  # each dedup step streams the index columns it needs
        for _, transform in global_steps:
            if hasattr(transform, "with_previous"):
                transform.with_previous(list(previous_index))
    columns: dict = {}
    for name, transform in per_file:
        _check_columns(name, transform, columns)
        columns.update(transform.columns)
    read = p | "ProcessFiles" >> ProcessFiles(inputs, [t.step for _, t in per_file], columns,
                                              config["read"]["max_record_bytes"], write_rejected)
    if progress:
        progress.tap_read(read)
    unique = read["kept"] | "RecordDedup" >> DropRepeatedIds()
    docs, rejected = unique["kept"], [read["rejected"], unique["rejected"]]
    names = [name for name, _ in per_file] + [RECORD_DEDUP]
    global_rejected = []  # documents that reached the dedup steps and were dropped: the index has them
    for name, transform in global_steps:
        _check_columns(name, transform, columns)
        out = docs | _camel(name) >> transform
        docs = out["kept"]
        rejected.append(out["rejected"])
        global_rejected.append(out["rejected"])
        columns.update(getattr(transform, "columns", {}) or {})
        names.append(name)
    if progress:
        progress.tap_kept(docs)
    dropped = (global_rejected or [p | "NoGlobalDrops" >> beam.Create([])]) | "GlobalDrops" >> beam.Flatten()
    # the MinHash step's signatures and shingle hashes, so the index does not hash the texts again
    sketches = next((t.sketches for _, t in global_steps if getattr(t, "sketches", None)), None)
    ({"kept": docs, "rejected": dropped}
     | "WriteIndex" >> WriteIndex(output, minhash_settings(config), config["output"]["num_shards"],
                                  [name for name, _ in global_steps], sketches=sketches))
    docs | "WriteShards" >> WriteShards(output, output_languages(config), columns,
                                        num_shards=config["output"]["num_shards"],
                                        row_group_rows=config["output"]["row_group_rows"])
    # Per step and reason: top domains and example snippets, for report.md.
    (rejected | "AllDrops" >> beam.Flatten()) | "SampleDrops" >> SampleDrops(output)
    if write_rejected:
        (rejected | "AllRejected" >> beam.Flatten()) | "WriteRejected" >> WriteRejected(output, columns)
    return names


def _remove_empty_shards(output: str) -> None:
    """Beam's per-bundle writer (``num_shards: 0``) can leave empty shards; remove those."""
    import pyarrow.parquet as pq

    pattern = FileSystems.join(output, "data", "*", "*.parquet")
    empty = []
    for m in FileSystems.match([pattern])[0].metadata_list:
        with FileSystems.open(m.path) as f:
            if pq.ParquetFile(f).metadata.num_rows == 0:
                empty.append(m.path)
    if empty:
        FileSystems.delete(empty)


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="skypile curate",
        description="Curate WARC/WET/JSONL/Parquet inputs into Parquet shards. Unknown flags go to Beam "
                    "(e.g. --runner DataflowRunner --project P --region R --temp_location gs://...).")
    ap.add_argument("--input", action="append", required=True, metavar="GLOB",
                    help="input files (local, gs://, s3://); repeatable")
    ap.add_argument("--output", required=True, metavar="DIR")
    ap.add_argument("--config", metavar="FILE", help="YAML overriding pipelines/defaults.yaml")
    ap.add_argument("--disable", action="append", default=[], metavar="STEP", help="switch a step off; repeatable")
    ap.add_argument("--write-rejected", action="store_true", help="also write DIR/rejected/ with reasons")
    ap.add_argument("--dedup-against", action="append", default=[], metavar="DIR",
                    help="an earlier `skypile curate` output; documents whose URL, text or near-duplicate "
                         "cluster is already there are dropped (*_previous reasons); repeatable")
    ap.add_argument("--overwrite", action="store_true",
                    help="DIR holds another run: delete every file of it first (default: refuse, listing the "
                         "differences; the same command again resumes a run)")
    add_progress_argument(ap)
    return ap


def _finished(output: str) -> dict[str, Any]:
    report = run_state.read_json(FileSystems.join(output, run_state.REPORT_JSON))
    print(funnel_table(report))
    return report


def run(argv: list[str]) -> dict[str, Any]:
    args, beam_args = parser().parse_known_args(argv)
    options = PipelineOptions(beam_args)
    if not options.view_as(StandardOptions).runner:
        options.view_as(StandardOptions).runner = DEFAULT_RUNNER
    try:
        config = load_config(args.config, args.disable)
        if config.get("score", {}).get("enabled"):
            # Imported only when used (the classifier kinds). torch comes in only with a BERT
            # scorer, through transforms/score_bert.py (Beam's RunInference imports it).
            from transforms.score_models import apply_score_options

            config = apply_score_options(config, options)
        files = match_inputs(args.input)
        check_output(args.output)
        inputs = run_state.describe_inputs(files)
        previous_index = previous_index_files(args.dedup_against, config)
        manifest = run_state.manifest(inputs, config, {"write_rejected": args.write_rejected,
                                                       "dedup_against": args.dedup_against})
        state = run_state.prepare(args.output, manifest, args.overwrite)
    except (ConfigError, ValueError, run_state.RunStateError, DedupIndexError) as exc:
        raise CurateError(str(exc)) from exc
    if state == "done":
        print(f"{args.output}: this run has finished; its report:", file=sys.stderr)
        return _finished(args.output)
    if state == "commit":
        run_state.commit(args.output)
        return _finished(args.output)
    staging = run_state.staging_dir(args.output)
    work = FileSystems.join(run_state.work_dir(args.output), "files")
    pairs = [(e["path"], FileSystems.join(work, run_state.input_key(e) + ".parquet")) for e in inputs]
    p = beam.Pipeline(options=options)
    try:  # step builders check their resources (e.g. benchmark files) here, before launch
        names = build_pipeline(p, pairs, staging, config, args.write_rejected,
                               Progress(options, args.progress_every), previous_index)
    except ConfigError as exc:
        raise CurateError(str(exc)) from exc
    result = p.run()
    result.wait_until_finish()
    if config["output"]["num_shards"] <= 0:
        _remove_empty_shards(staging)
    counters = counters_from_result(result)
    for key, value in sum_counts([w for _, w in pairs]).items():
        counters[key] = counters.get(key, 0) + value
    report = build_report(counters, names, config, files)
    report["versions"] = package_versions()
    write_settings(staging, config)
    write_report(staging, report)
    write_report_markdown(staging, report)
    run_state.commit(args.output)
    print(funnel_table(report))
    return report


def main(argv: list[str]) -> int:
    logging.getLogger("apache_beam").setLevel(logging.WARNING)
    try:
        report = run(argv)
    except CurateError as exc:
        print(f"skypile curate: error: {exc}", file=sys.stderr)
        return 2
    return 0 if report["balanced"] else 1

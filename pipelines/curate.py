"""``skypile curate``: WARC/JSONL/Parquet inputs -> curated Parquet shards + report.json.

The chain is flat and labelled: ProcessFiles (reading and the leading per-document steps, one
work file per input: :mod:`transforms.process_files`), RecordDedup (one document per id), the other
enabled steps in config order, then WriteShards (and WriteRejected with ``--write-rejected``) into
a staging folder that :mod:`pipelines.run_state` commits with the report. The output folder is one
run (``run.json``): the same command again resumes it, another one is refused, and one run at a
time holds it (:mod:`pipelines.output_lock`). Flags this command does not define go to Beam's
PipelineOptions when Beam knows them (``--runner DataflowRunner --project ...``); any other flag
is refused (:mod:`pipelines.beam_flags`). Local paths are made absolute before launch
(:mod:`pipelines.user_paths`), so workers running in another folder read the same files.
"""
from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from typing import Any

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import StandardOptions

from pipelines import output_lock, run_state, user_paths
from pipelines.beam_flags import BeamFlagError, pipeline_options
from pipelines.chain_layout import keyer_of, output_languages, split_global, split_steps
from pipelines.config import ConfigError, CurateError, load_config
from pipelines.dedup_against import DedupIndexError, previous_index_files
from pipelines.progress import Progress, add_progress_argument
from pipelines.provenance import package_versions
from pipelines.report import build_report, funnel_table, write_report
from pipelines.report_markdown import write_report_markdown
from pipelines.step_registry import build_steps
from skypile_common.cli_parser import OneLineParser
from transforms.dedup.decisions import VERDICTS, DecideOnKeys
from transforms.dedup.index import write_settings
from transforms.dedup.record_dedup import NAME as RECORD_DEDUP, DropRepeatedIds, RecordStep
from transforms.document import parquet_schema
from transforms.drop_samples import SampleDrops
from transforms.finish_files import SHARD_ROWS, FinishFileFn, OutputSettings
from transforms.parquet_writers import WriteShards, number_shards
from transforms.process_files import ProcessFiles, WorkFile, read_counts, read_json_counts, sum_counts
from transforms.shuffle import measured

# Beam's Python runner, named explicitly: the default DirectRunner first tries to download Prism.
DEFAULT_RUNNER = "FnApiRunner"


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def match_inputs(patterns: list[str]) -> list[str]:
    """Absolute paths of the files ``patterns`` name: a local path that exists is taken as written
    (``data[1].warc.gz`` is a name, not a glob), anything else is a glob expanded through Beam's
    FileSystems. A pattern matching nothing, a folder, or a glob matching a folder is an error."""
    files: list[str] = []
    for given in patterns:
        pattern = user_paths.absolute(given)
        if not user_paths.is_url(pattern) and os.path.isdir(pattern):
            raise CurateError(f"--input {given}: is a folder; give its files, e.g. --input "
                              f"'{os.path.join(given, '*.warc.gz')}'")
        if not user_paths.is_url(pattern) and os.path.isfile(pattern):
            files.append(pattern)
            continue
        try:
            metadata = FileSystems.match([pattern])[0].metadata_list
        except Exception as exc:  # noqa: BLE001 - surfaced as a clear pre-launch error
            raise CurateError(f"--input {given}: cannot list ({exc})") from exc
        if not metadata:
            raise CurateError(f"--input {given}: matches no files")
        folders = [m.path for m in metadata if not user_paths.is_url(m.path) and os.path.isdir(m.path)]
        if folders:
            raise CurateError(f"--input {given}: matches folder {folders[0]}; give a glob of files")
        files.extend(m.path for m in metadata)
    return sorted(dict.fromkeys(files))


def check_output(output: str) -> None:
    """Write and delete a probe file so an unusable output location fails before launch."""
    probe = FileSystems.join(output, ".skypile-write-probe")
    try:
        if FileSystems.get_scheme(output) is None:
            os.makedirs(output, exist_ok=True)
        with FileSystems.create(probe) as f:
            f.write(b"ok")
        FileSystems.delete([probe])
    except Exception as exc:  # noqa: BLE001
        raise CurateError(f"--output {output}: not writable ({exc})") from exc


def _check_columns(name: str, transform, columns: dict) -> None:
    check = getattr(transform, "check_columns", None)
    if check:  # e.g. score_filter thresholds must name score columns an earlier step writes
        try:
            check(columns)
        except ValueError as exc:
            raise ConfigError(f"{name}: {exc}") from exc


def work_files(output: str, inputs: list[dict[str, Any]]) -> list[WorkFile]:
    """Each input's :class:`WorkFile`, in input order (absolute paths under ``output/_work``)."""
    work = run_state.work_dir(output)
    return [WorkFile(i, e["path"], FileSystems.join(work, "files", run_state.input_key(e) + ".parquet"),
                     FileSystems.join(work, "counts", run_state.input_key(e) + ".json"))
            for i, e in enumerate(inputs)]


def build_pipeline(p: beam.Pipeline, files: list[WorkFile], output: str, config: dict[str, Any],
                   write_rejected: bool, progress: Progress | None = None,
                   previous_index: list[str] = ()) -> list[str]:
    """Lay out the chain on ``p``; returns the names of the funnel's steps in order.

    ``files``: every input's :class:`WorkFile`; the shards, the dedup index, and the rejects with
    ``write_rejected``, go to ``output`` (the run's staging folder). ``previous_index``: index files
    of earlier corpora (``--dedup-against``), which the dedup steps give priority.

    No grouping carries a document: ProcessFiles writes each input's work file with its key
    records, the dedup steps decide on those (RecordDedup first: one document per id), their
    verdicts are grouped by work file, and FinishFiles applies them and the later per-document
    steps file by file. With ``output.num_shards`` > 1 the kept rows are repartitioned by id
    (WriteShards): the one document shuffle, off by default.
    """
    per_file, global_steps = split_steps(build_steps(config))
    dedup, later = split_global(global_steps)
    if previous_index:  # each dedup step streams the index columns it needs
        for _, transform in dedup:
            if hasattr(transform, "with_previous"):
                transform.with_previous(list(previous_index))
    columns: dict = {}
    for name, transform in per_file:
        _check_columns(name, transform, columns)
        columns.update(transform.columns)
    work_columns = dict(columns)
    sink = progress.sink() if progress else None
    first = p | "ProcessFiles" >> ProcessFiles(files, [(t.step, None) for _, t in per_file], work_columns,
                                               config["read"]["max_record_bytes"], write_rejected,
                                               keyer_of(dedup), sink)
    unique = first["keys"] | "RecordDedup" >> DropRepeatedIds([f.work for f in sorted(files)])
    keys, verdicts = unique["kept"], [unique[VERDICTS]]
    chain = [(RecordStep(), None)]
    for name, transform in dedup:
        _check_columns(name, transform, columns)
        if hasattr(transform, "with_work_files"):  # the Jaccard check reads shingle hashes there
            transform.with_work_files([f.work for f in sorted(files)])
        out = keys | _camel(name) >> DecideOnKeys(name, transform)
        keys = out["kept"]
        verdicts.append(out[VERDICTS])
        columns.update(transform.columns)
        chain.append((transform.decision_step(), None))
    for name, transform in later:
        _check_columns(name, transform, columns)
        columns.update(getattr(transform, "columns", {}) or {})
        chain.append((transform.step, getattr(transform, "batch_size", None) or None))
    num_shards = config["output"]["num_shards"]
    settings = OutputSettings(output, output_languages(config), columns, len(files), num_shards,
                              config["output"]["row_group_rows"],
                              int(config["output"].get("max_shard_mb", 1024) * (1 << 20)), write_rejected,
                              tuple(name for name, _ in global_steps))
    by_file = (verdicts | "AllVerdicts" >> beam.Flatten())
    files_by_index = first["files"] | "ByIndex" >> beam.Map(lambda f: (f.index, f))
    outs = (measured({"file": files_by_index, "verdicts": by_file}, "VerdictsByFile")
            | "VerdictsByFile" >> beam.CoGroupByKey()
            | "FinishFiles" >> beam.ParDo(FinishFileFn(chain, settings, sink)).with_outputs(SHARD_ROWS, main="drops"))
    if num_shards > 1:
        outs[SHARD_ROWS] | "WriteShards" >> WriteShards(output, parquet_schema(columns), num_shards,
                                                        config["output"]["row_group_rows"])
    # Per step and reason: top domains and example snippets, for report.md.
    outs.drops | "SampleDrops" >> SampleDrops(output)
    return [name for name, _ in per_file] + [RECORD_DEDUP] + [name for name, _ in global_steps]


def file_counts(files: list[WorkFile]) -> dict[tuple[str, str], int]:
    """The run's counts, from the data the pipeline wrote: each work file's (first pass) and
    each ``_work/counts`` file (second pass). Never Beam Metrics: a runner that retries or
    recomputes a bundle overwrites these files, where its counters would add up twice."""
    return sum_counts([read_counts(f.work) for f in files] + [read_json_counts(f.counts) for f in files])


def parser() -> argparse.ArgumentParser:
    ap = OneLineParser(
        prog="skypile curate", allow_abbrev=False,
        description="Curate WARC/WET/JSONL/Parquet inputs into Parquet shards. Beam's own flags go to Beam "
                    "(e.g. --runner DataflowRunner --project P --region R --temp_location gs://...); any other "
                    "flag is an error.")
    ap.add_argument("--input", action="append", nargs="+", required=True, metavar="GLOB",
                    help="input files or globs (local, gs://, s3://); several after one --input, or repeat it")
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
    est = ap.add_argument_group("estimate (pipelines/estimate.py)")
    est.add_argument("--estimate", action="store_true",
                     help="run the chain on a sample of the inputs and print what the whole run will take "
                          "(records, kept per language, CPU-hours, output and shuffle bytes, worker-hours, "
                          "95%% intervals; last line JSON); writes nothing, launches nothing")
    est.add_argument("--estimate-files", type=int, default=16, metavar="N", help="input files sampled (default 16; 0: all)")
    est.add_argument("--estimate-records", type=int, default=None, metavar="N",
                     help="records the first round samples from each sampled file (default: 1,600 in all over "
                          "the sampled files, at least 100 each; 0: all)")
    est.add_argument("--estimate-unseen", type=float, default=None, metavar="SHARE",
                     help="sample in rounds (records a file, then files, doubling) until at most SHARE of each "
                          "language's estimated kept documents stand for duplicate groups the sample has not "
                          "seen (default 0.15; 1: one round)")
    est.add_argument("--estimate-max-records", type=int, default=None, metavar="N",
                     help="no round takes the sample past N records (default 12,800)")
    est.add_argument("--estimate-seed", type=int, default=0, metavar="N")
    est.add_argument("--estimate-machine", default="n2-standard-8", metavar="TYPE",
                     help="Compute Engine machine type for worker-hours (default n2-standard-8)")
    est.add_argument("--estimate-workers", type=int, default=0, metavar="N",
                     help="worker processes whose start-up to count (default: --direct_num_workers, else 1)")
    return ap


def _finished(output: str) -> dict[str, Any]:
    report = run_state.read_json(FileSystems.join(output, run_state.REPORT_JSON))
    print(funnel_table(report))
    return report


def run(argv: list[str]) -> dict[str, Any]:
    """One curate run; the output folder's lock is held until it returns."""
    with contextlib.ExitStack() as held:
        return _run(argv, held)


def _remove_if_empty(folder: str) -> None:
    with contextlib.suppress(OSError):
        os.rmdir(folder)


def _run(argv: list[str], held: contextlib.ExitStack) -> dict[str, Any]:
    ap = parser()
    args, beam_args = ap.parse_known_args(argv)
    args.input = [pattern for group in args.input for pattern in group]
    existed = user_paths.is_url(args.output) or os.path.exists(args.output)
    args.output = user_paths.absolute(args.output)
    args.dedup_against = [user_paths.absolute(d) for d in args.dedup_against]
    try:
        options = pipeline_options(beam_args, [s for a in ap._actions for s in a.option_strings])  # noqa: SLF001
        if not options.view_as(StandardOptions).runner:
            options.view_as(StandardOptions).runner = DEFAULT_RUNNER
        config = load_config(args.config, args.disable)
        if config.get("score", {}).get("enabled"):
            # Imported only when used (the classifier kinds). torch comes in only with a BERT
            # scorer, through transforms/score_bert.py (Beam's RunInference imports it).
            from transforms.score_options import apply_score_options

            config = apply_score_options(config, options)
        config = user_paths.absolute_config_paths(config)
        files = match_inputs(args.input)
        if args.estimate:  # nothing is written, no lock taken: pipelines/estimate.py
            from pipelines.estimate import estimate_command

            previous_index_files(args.dedup_against, config)
            return estimate_command(args, options, config, files)
        try:
            held.enter_context(output_lock.hold(args.output, "skypile curate " + " ".join(argv)))
        except OSError as exc:
            raise CurateError(f"--output {args.output}: not writable ({exc})") from exc
        check_output(args.output)
        inputs = run_state.describe_inputs(files)
        previous_index = previous_index_files(args.dedup_against, config)
        manifest = run_state.manifest(inputs, config, {"write_rejected": args.write_rejected,
                                                       "dedup_against": args.dedup_against})
        state = run_state.prepare(args.output, manifest, args.overwrite)
    except (BeamFlagError, ConfigError, ValueError, run_state.RunStateError, DedupIndexError,
            output_lock.OutputLocked, CurateError) as exc:
        held.close()  # the lock goes first: a folder this run created is removed if still empty
        if not existed:
            _remove_if_empty(args.output)
        if isinstance(exc, CurateError):
            raise
        raise CurateError(str(exc)) from exc
    if state == "done":
        print(f"{args.output}: this run has finished; its report:", file=sys.stderr)
        return _finished(args.output)
    if state == "commit":
        run_state.commit(args.output)
        return _finished(args.output)
    staging = run_state.staging_dir(args.output)
    work = work_files(args.output, inputs)
    p = beam.Pipeline(options=options)
    try:  # step builders check their resources (e.g. benchmark files) here, before launch
        names = build_pipeline(p, work, staging, config, args.write_rejected,
                               Progress(options, args.progress_every), previous_index)
    except ConfigError as exc:
        raise CurateError(str(exc)) from exc
    result = p.run()
    result.wait_until_finish()
    if config["output"]["num_shards"] <= 1:
        number_shards(staging)
    report = build_report(file_counts(work), names, config, [f.input for f in work])
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
    return 0 if report.get("estimate") or report["balanced"] else 1

"""``skypile curate``: WARC/JSONL/Parquet inputs -> curated Parquet shards + report.json.

The chain is flat and labelled: ReadInputs, then each enabled step in config order, then
WriteShards (and WriteRejected with ``--write-rejected``). Any flag this command does not know is
handed to Beam's PipelineOptions, so ``--runner DataflowRunner --project ...`` work as usual.
"""
from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

from pipelines.config import ConfigError, load_config
from pipelines.progress import Progress, add_progress_argument
from pipelines.provenance import package_versions
from pipelines.report import build_report, counters_from_result, funnel_table, write_report
from pipelines.report_markdown import write_report_markdown
from pipelines.steps import build_steps
from transforms.io import ReadInputs, WriteRejected, WriteShards

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


def build_pipeline(p: beam.Pipeline, files: list[str], output: str, config: dict[str, Any],
                   write_rejected: bool, progress: Progress | None = None) -> list[str]:
    """Lay out the chain on ``p``; returns the names of the enabled steps in order."""
    read = p | "ReadInputs" >> ReadInputs(files, config["read"]["max_record_bytes"])
    if progress:
        progress.tap_read(read)
    docs, rejected, columns, names = read["kept"], [read["rejected"]], {}, []
    for name, transform in build_steps(config):
        check = getattr(transform, "check_columns", None)
        if check:  # e.g. score_filter thresholds must name score columns an earlier step writes
            try:
                check(columns)
            except ValueError as exc:
                raise ConfigError(f"{name}: {exc}") from exc
        out = docs | _camel(name) >> transform
        docs = out["kept"]
        rejected.append(out["rejected"])
        columns.update(getattr(transform, "columns", {}) or {})
        names.append(name)
    if progress:
        progress.tap_kept(docs)
    docs | "WriteShards" >> WriteShards(output, output_languages(config), columns,
                                        num_shards=config["output"]["num_shards"],
                                        row_group_rows=config["output"]["row_group_rows"])
    if write_rejected:
        (rejected | "AllRejected" >> beam.Flatten()) | "WriteRejected" >> WriteRejected(output, columns)
    return names


def _remove_empty_shards(output: str) -> None:
    """Beam writes one empty shard for a language with no documents; remove those."""
    import pyarrow.parquet as pq

    pattern = FileSystems.join(output, "data", "*", "*.parquet")
    empty = []
    for m in FileSystems.match([pattern])[0].metadata_list:
        with FileSystems.open(m.path) as f:
            if pq.ParquetFile(f).metadata.num_rows == 0:
                empty.append(m.path)
    if empty:
        FileSystems.delete(empty)
    if FileSystems.get_scheme(output) is None:  # object stores have no empty folders to leave
        import os

        for path in {os.path.dirname(p) for p in empty}:
            if not os.listdir(path):
                os.rmdir(path)


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
    add_progress_argument(ap)
    return ap


def run(argv: list[str]) -> dict[str, Any]:
    args, beam_args = parser().parse_known_args(argv)
    options = PipelineOptions(beam_args)
    if not options.view_as(StandardOptions).runner:
        options.view_as(StandardOptions).runner = DEFAULT_RUNNER
    try:
        config = load_config(args.config, args.disable)
        if config.get("score", {}).get("enabled"):
            # Imported only when used: it pulls in Beam's RunInference, and with it torch
            # (seconds of start-up that a run without model scoring need not pay).
            from transforms.score_models import apply_score_options

            config = apply_score_options(config, options)
        files = match_inputs(args.input)
        check_output(args.output)
    except (ConfigError, ValueError) as exc:
        raise CurateError(str(exc)) from exc
    p = beam.Pipeline(options=options)
    try:  # step builders check their resources (e.g. benchmark files) here, before launch
        names = build_pipeline(p, files, args.output, config, args.write_rejected,
                               Progress(options, args.progress_every))
    except ConfigError as exc:
        raise CurateError(str(exc)) from exc
    result = p.run()
    result.wait_until_finish()
    _remove_empty_shards(args.output)
    report = build_report(counters_from_result(result), names, config, files)
    report["versions"] = package_versions()
    write_report(args.output, report)
    write_report_markdown(args.output, report)
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

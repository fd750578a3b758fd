"""Bytes shuffled per input MB: every GroupByKey of a ``skypile curate`` run, this tree and another commit.

The same count for any version of the code: the launcher is started with ``Pipeline.apply``
wrapped so that every ``GroupByKey`` (those inside CoGroupByKey, Reshuffle, Distinct and the
combiners included) gets a ParDo in front that adds the encoded size of each element
(``FastPrimitivesCoder``, what Beam uses for these elements) to a counter named after the
grouping. Bytes entering a combiner's grouping are counted before Beam's combiner lifting, so
they are an upper bound there. Prints one JSON line per version: input MB, total bytes, bytes per
input MB, and the ten largest groupings; ``--before REV`` runs that commit too (exported with
``git archive``, run with this venv).

Usage (from the project root; deterministic figures, any machine load):
  .venv/bin/python bench/shuffle_bytes.py --input '/tmp/peerbench/data/shards/*.warc.gz' --before cba0811
  .venv/bin/python bench/shuffle_bytes.py --input 'sample/*.warc.gz' --tree /tmp/before --tree /tmp/after
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = os.path.join(ROOT, ".venv", "bin", "python")

DRIVER = r'''
import json, sys
import apache_beam as beam
from apache_beam import coders
from apache_beam.metrics import Metrics
from apache_beam.metrics.metric import MetricsFilter

class CountBytesFn(beam.DoFn):
    def __init__(self, label):
        self.label = label
    def setup(self):
        self.counter = Metrics.counter("bench_gbk_bytes", self.label)
        self.coder = coders.FastPrimitivesCoder()
    def process(self, element):
        self.counter.inc(len(self.coder.encode(element)))
        yield element

apply, run, results, seen = beam.Pipeline.apply, beam.Pipeline.run, [], set()

def measured_apply(self, transform, pvalueish=None, label=None):
    # Pipeline.apply runs again for a labelled transform: measure each GroupByKey once
    if (isinstance(transform, beam.GroupByKey) and isinstance(pvalueish, beam.pvalue.PCollection)
            and id(transform) not in seen):
        seen.add(id(transform))
        name = label or transform.label
        full = self._current_transform().full_label + "/" + name
        pvalueish = apply(self, beam.ParDo(CountBytesFn(full)).with_output_types(pvalueish.element_type),
                          pvalueish, "BenchBytes" + name)
    return apply(self, transform, pvalueish, label)

def keep_result(self, *args, **kwargs):
    result = run(self, *args, **kwargs)
    results.append(result)
    return result

beam.Pipeline.apply, beam.Pipeline.run = measured_apply, keep_result
from pipelines.cli import main
code = main(["curate", *sys.argv[1:]])
out = {}
for c in results[0].metrics().query(MetricsFilter().with_namespace("bench_gbk_bytes"))["counters"]:
    out[c.key.metric.name] = out.get(c.key.metric.name, 0) + c.committed
print(json.dumps({"rc": code, "groupings": out}))
'''


def measure(code_root: str, inputs: list[str], extra: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        args = [PYTHON, "-c", DRIVER, "--output", os.path.join(tmp, "out"), "--progress-every", "0", *extra]
        for pattern in inputs:
            args += ["--input", pattern]
        proc = subprocess.run(args, cwd=code_root, env={**os.environ, "PYTHONPATH": code_root},
                              capture_output=True, text=True)
        if proc.returncode not in (0, 1):
            sys.exit(proc.stderr[-3000:])
        return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--input", action="append", required=True)
    ap.add_argument("--before", help="a commit to measure too")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--tree", action="append", default=[], metavar="DIR",
                    help="measure this source tree (e.g. `git archive REV` unpacked) instead of this checkout; repeatable")
    args = ap.parse_args()
    extra = [] if args.workers == 1 else ["--direct_num_workers", str(args.workers),
                                          "--direct_running_mode", "multi_processing"]
    files = sorted({f for pattern in args.input for f in glob.glob(pattern)})
    input_mb = sum(os.path.getsize(f) for f in files) / 1e6
    versions = [(tree, tree) for tree in args.tree] or [("this tree", ROOT)]
    with tempfile.TemporaryDirectory() as tmp:
        if args.before:
            subprocess.run(f"git archive {args.before} | tar -x -C {tmp}", shell=True, cwd=ROOT, check=True)
            versions.insert(0, (args.before, tmp))
        for name, root in versions:
            got = measure(root, files, extra)
            total = sum(got["groupings"].values())
            top = sorted(got["groupings"].items(), key=lambda kv: -kv[1])[:10]
            print(json.dumps({"version": name, "input_mb": round(input_mb, 2), "shuffled_mb": round(total / 1e6, 2),
                              "bytes_per_input_mb": round(total / input_mb), "workers": args.workers,
                              "top": [[label, round(b / 1e6, 3)] for label, b in top]}))


if __name__ == "__main__":
    main()

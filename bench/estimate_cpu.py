"""The estimate's per-file-pass CPU against the run's own: every record of ``--input`` through
``pipelines.estimate_sample.Sampler`` (as ``skypile curate --estimate`` times it), with the sample
frozen out of garbage collection after each chunk (``frozen``, as it ships), left to Python's own
collections as before (``collected``: no collection or freeze between chunks) and with collection off, beside ``ProcessFileFn`` (the run's per-file pass) over the same files in one process.
Each mode runs in its own process; figures are process CPU seconds of the pass (reads included).

Usage: .venv/bin/python bench/estimate_cpu.py --input '/tmp/peerbench/data/shards/*.warc.gz'
"""
from __future__ import annotations

import argparse
import gc
import glob
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

MODES = ("frozen", "collected", "gc-off", "process-files")


def one(mode: str, files: list[str]) -> float:
    from pipelines.curate import load_config

    config = load_config(None, [])
    if mode == "process-files":
        from pipelines.chain_layout import keyer_of, split_global, split_steps
        from pipelines.step_registry import build_steps
        from transforms.process_files import ProcessFileFn, WorkFile

        per_file, rest = split_steps(build_steps(config))
        columns: dict = {}
        for _, t in per_file:
            columns.update(t.columns)
        fn = ProcessFileFn([(t.step, None) for _, t in per_file], columns, config["read"]["max_record_bytes"],
                           False, keyer_of(split_global(rest)[0]))
        fn.setup()
        work = tempfile.mkdtemp()
        t0 = time.process_time()
        for i, path in enumerate(files):
            list(fn.process(WorkFile(i, path, os.path.join(work, f"{i}.parquet"), os.path.join(work, f"{i}.json"))))
        return time.process_time() - t0
    import pipelines.estimate_sample as S

    if mode != "frozen":  # this process only: nothing between chunks, the sample stays in every collection
        S.gc.freeze = S.gc.collect = lambda *args: None
    if mode == "gc-off":
        gc.disable()
    sampler = S.Sampler(files, config, 0)
    for index in range(len(files)):
        sampler.take(index, 0)
    return sum(r.cpu for r in sampler.records) + sum(f.read_cpu for f in sampler.files)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", required=True)
    ap.add_argument("--mode", choices=MODES)
    args = ap.parse_args()
    files = sorted(glob.glob(args.input))
    if args.mode:
        print(f"{one(args.mode, files):.1f}")
        return
    print("| mode | CPU s of the per-file pass |\n|---|---:|")
    for mode in MODES:
        out = subprocess.run([sys.executable, __file__, "--input", args.input, "--mode", mode],
                             capture_output=True, text=True, check=True).stdout.split()[-1]
        print(f"| {mode} | {out} |", flush=True)


if __name__ == "__main__":
    main()

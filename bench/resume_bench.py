"""Runs that survive, timed: resuming after a kill, and growing a corpus with ``--dedup-against``.

Input: the peer kit's WARC shards (``../shared/peerbench/make_warc.py --shards 4``; built under
``$PEERBENCH_ROOT/data`` when missing, or pass ``--shards DIR``). Every run is its own
``skypile curate`` process with the default config, timed from start to exit (bench/measure.py:
wall, CPU of the process tree, peak RSS):

- full: all shards into a new folder;
- killed + resumed: the same, SIGKILLed as soon as half of the inputs have their work file
  (``DIR/_work/files``), then the same command again; the figure is the second process's time,
  against the full run's (goal: at most 60 %); and killed once every work file is written (the
  ``global`` pause point), then resumed: what every attempt redoes;
- batches: the first half of the shards, then the second half with ``--dedup-against`` the first,
  against re-curating all of them together (the full run).

    .venv/bin/python bench/resume_bench.py [--shards DIR] [--work DIR] [--batches-only]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.measure import measure  # noqa: E402

PEERBENCH = Path(os.environ.get("PEERBENCH_ROOT") or Path(tempfile.gettempdir()) / "peerbench")
KIT = ROOT.parent / "shared" / "peerbench" / "make_warc.py"
CURATE = [sys.executable, "-m", "pipelines.cli", "curate", "--progress-every", "0"]


def _shards(folder: Path | None) -> list[Path]:
    folder = folder or PEERBENCH / "data" / "shards"
    if not folder.exists():
        subprocess.run([sys.executable, str(KIT), "--out", str(folder.parent), "--shards", "4"], check=True)
    return sorted(folder.glob("*.warc.gz"))


def _inputs(shards: list[Path]) -> list[str]:
    return [a for s in shards for a in ("--input", str(s))]


def _kill_when_half_done(cmd: list[str], out: Path, n_inputs: int) -> float:
    """Start ``cmd``, SIGKILL it once half the inputs have work files; returns seconds it ran."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while proc.poll() is None:
        if len(list((out / "_work" / "files").glob("*.parquet"))) >= n_inputs // 2:
            os.kill(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    proc.wait()
    return time.monotonic() - start


def _kill_at_pause(cmd: list[str], point: str) -> None:
    """Start ``cmd`` with the test hook ``SKYPILE_PAUSE_AT=point`` and SIGKILL it there."""
    env = dict(os.environ, SKYPILE_PAUSE_AT=point)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        if f"paused at {point}" in line:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def _report(out: Path) -> dict:
    return json.loads((out / "report.json").read_text())


def _resume_rows(shards: list[Path], work: Path, full: Path, rows: list) -> bool:
    """The kill-and-resume rows; returns whether the resumed shards equal the full run's."""
    resumed = work / "resumed"
    shutil.rmtree(resumed, ignore_errors=True)
    cmd = [*CURATE, *_inputs(shards), "--output", str(resumed)]
    killed_after = _kill_when_half_done(cmd, resumed, len(shards))
    m = measure(cmd)
    rows.append((f"resume after a kill at 50% of files (killed after {killed_after:.0f} s)", m,
                 _report(resumed)["kept"]))
    same = all((full / p.relative_to(resumed)).read_bytes() == p.read_bytes()
               for p in resumed.rglob("*.parquet"))

    global_only = work / "global-only"
    shutil.rmtree(global_only, ignore_errors=True)
    cmd = [*CURATE, *_inputs(shards), "--output", str(global_only)]
    _kill_at_pause(cmd, "global")  # every work file written
    m = measure(cmd)
    rows.append(("resume with every file done (global steps only)", m, _report(global_only)["kept"]))
    return same


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shards", type=Path, help="folder of WARC shards (default: the peer kit's)")
    ap.add_argument("--work", type=Path, help="scratch folder (default: a temporary one)")
    ap.add_argument("--batches-only", action="store_true",
                    help="only the full run and the two batches (no kill and resume)")
    args = ap.parse_args()
    shards = _shards(args.shards)
    work = args.work or Path(tempfile.mkdtemp(prefix="resume-bench-"))
    rows = []

    full = work / "full"
    shutil.rmtree(full, ignore_errors=True)
    m = measure([*CURATE, *_inputs(shards), "--output", str(full)])
    rows.append(("full run", m, _report(full)["kept"]))

    same = None
    if not args.batches_only:
        same = _resume_rows(shards, work, full, rows)

    half = len(shards) // 2
    first, second = work / "first", work / "second"
    for folder in (first, second):
        shutil.rmtree(folder, ignore_errors=True)
    m1 = measure([*CURATE, *_inputs(shards[:half]), "--output", str(first)])
    rows.append(("first half of the shards", m1, _report(first)["kept"]))
    m2 = measure([*CURATE, *_inputs(shards[half:]), "--output", str(second), "--dedup-against", str(first)])
    rows.append(("second half, --dedup-against the first", m2, _report(second)["kept"]))

    print(f"{len(shards)} shards from {shards[0].parent}\n")
    print("| run | wall s | CPU s | peak MB | kept | vs full run (wall) | vs full run (CPU) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    base, base_cpu = rows[0][1]["wall_s"], rows[0][1]["cpu_s"]
    for name, m, kept in rows:
        print(f"| {name} | {m['wall_s']:.1f} | {m['cpu_s']:.1f} | {m['peak_rss_mb']:.0f} | {kept:,} | "
              f"{100 * m['wall_s'] / base:.0f}% | {100 * m['cpu_s'] / base_cpu:.0f}% |")
    if same is not None:
        print(f"\nresumed shards byte-identical to the full run's: {same}")
    print(f"first + second (incremental growth) kept {rows[-2][2] + rows[-1][2]:,} against {rows[0][2]:,} "
          f"in one run; the second batch alone took {100 * m2['wall_s'] / base:.0f}% of re-curating everything")


if __name__ == "__main__":
    main()

"""Progress of long local runs on the terminal: records read, documents kept, rate.

Beam's local runner reports metrics only when the pipeline ends, so progress comes from taps: side
branches of the chain (they fuse into the reading stage and emit nothing) that count into one
tracker per worker process, shared by every thread and tap of that process through
``apache_beam.utils.shared.Shared``. The tracker prints a line to stderr at most every
``every_s`` seconds and once more when the worker tears down. With ``--direct_running_mode
multi_processing`` each worker process reports its own share, tagged with its pid. On a remote
runner the taps are not added: its own monitoring shows the counters.
"""
from __future__ import annotations

import datetime as dt
import os
import sys
import threading
import time

import apache_beam as beam
from apache_beam.options.pipeline_options import DirectOptions, PipelineOptions, StandardOptions
from apache_beam.utils.shared import Shared

# Runners that execute on this machine, whose stderr is the user's terminal.
LOCAL_RUNNERS = {None, "", "FnApiRunner", "DirectRunner", "SwitchingDirectRunner", "BundleBasedDirectRunner"}
DEFAULT_EVERY_S = 10.0


class ProgressTracker:
    """Counts of one worker process; thread-safe; prints throttled lines."""

    def __init__(self, every_s: float, tag: str = "", stream=None):
        self.every_s = every_s
        self.tag = tag
        self.stream = stream
        self.read = 0
        self.kept = 0
        self._lock = threading.Lock()
        self._start = time.monotonic()
        self._last_print = self._start
        self._printed = (0, 0)

    def line(self) -> str:
        elapsed = time.monotonic() - self._start
        rate = self.read / elapsed if elapsed > 0 else 0.0
        share = f" ({100 * self.kept / self.read:.1f}%)" if self.read else ""
        return (f"progress{self.tag}: {self.read:,} records read, {self.kept:,} kept{share}, "
                f"{rate:,.0f} records/s, {dt.timedelta(seconds=int(elapsed))} elapsed")

    def add(self, read: int = 0, kept: int = 0) -> None:
        with self._lock:
            self.read += read
            self.kept += kept
            now = time.monotonic()
            if now - self._last_print >= self.every_s:
                self._print(now)

    def flush(self) -> None:
        """Print the final counts unless the last line already showed them."""
        with self._lock:
            if (self.read, self.kept) != self._printed:
                self._print(time.monotonic())

    def _print(self, now: float) -> None:
        self._last_print = now
        self._printed = (self.read, self.kept)
        print(self.line(), file=self.stream or sys.stderr, flush=True)


class ProgressFn(beam.DoFn):
    """Counts each element as ``read`` or ``kept`` in the process's tracker; emits nothing."""

    def __init__(self, shared: Shared, kind: str, every_s: float, per_worker: bool):
        if kind not in ("read", "kept"):
            raise ValueError(f"kind must be 'read' or 'kept', not {kind!r}")
        self.shared = shared
        self.kind = kind
        self.every_s = every_s
        self.per_worker = per_worker

    def setup(self):
        tag = f" [worker {os.getpid()}]" if self.per_worker else ""
        self.tracker = self.shared.acquire(lambda: ProgressTracker(self.every_s, tag))

    def process(self, element):
        if self.kind == "read":
            self.tracker.add(read=1)
        else:
            self.tracker.add(kept=1)
        return ()

    def teardown(self):
        tracker = getattr(self, "tracker", None)
        if tracker is not None:
            tracker.flush()


class Progress:
    """Adds the taps to a pipeline under construction; a no-op when disabled or remote."""

    def __init__(self, options: PipelineOptions, every_s: float = DEFAULT_EVERY_S):
        runner = options.view_as(StandardOptions).runner
        runner_name = runner if isinstance(runner, str) or runner is None else type(runner).__name__
        self.enabled = every_s > 0 and runner_name in LOCAL_RUNNERS
        direct = options.view_as(DirectOptions)
        self.per_worker = (direct.direct_running_mode == "multi_processing"
                           and (direct.direct_num_workers or 1) != 1)
        self.every_s = every_s
        self.shared = Shared()

    def tap(self, label: str, pcoll, kind: str) -> None:
        if self.enabled:
            pcoll | label >> beam.ParDo(ProgressFn(self.shared, kind, self.every_s, self.per_worker))

    def tap_read(self, read_outputs: dict) -> None:
        """Every record read: what the reader kept plus what it dropped."""
        self.tap("ProgressReadKept", read_outputs["kept"], "read")
        self.tap("ProgressReadDropped", read_outputs["rejected"], "read")

    def tap_kept(self, docs) -> None:
        self.tap("ProgressKept", docs, "kept")


def add_progress_argument(ap) -> None:
    ap.add_argument("--progress-every", type=float, default=DEFAULT_EVERY_S, metavar="SECONDS",
                    help=f"local runs: print records read/kept and rate this often (default "
                         f"{DEFAULT_EVERY_S:g}; 0 = off)")

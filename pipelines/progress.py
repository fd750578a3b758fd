"""Progress of long local runs on the terminal: records read, documents kept, rate.

Beam's local runner reports metrics only when the pipeline ends, so progress comes from the counts
themselves: the per-file passes (:mod:`transforms.process_files`) hand every count to a
:class:`ProgressSink`, which adds records read (``read/records_in``) and documents written
(``output/kept``) to one tracker per worker process, shared by every thread of that process
through ``apache_beam.utils.shared.Shared``. The tracker prints a line to stderr at most every
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


class ProgressSink:
    """Where the per-file passes send their counts on a local runner: ``read/records_in`` and
    ``output/kept`` go to the worker process's tracker. Call :meth:`setup` in ``DoFn.setup`` and
    :meth:`flush` in ``DoFn.teardown``."""

    def __init__(self, shared: Shared, every_s: float, per_worker: bool):
        self.shared, self.every_s, self.per_worker = shared, every_s, per_worker
        self.tracker = None

    def setup(self) -> None:
        tag = f" [worker {os.getpid()}]" if self.per_worker else ""
        self.tracker = self.shared.acquire(lambda: ProgressTracker(self.every_s, tag))

    def count(self, namespace: str, name: str, n: int = 1) -> None:
        if namespace == "read" and name == "records_in":
            self.tracker.add(read=n)
        elif namespace == "output" and name == "kept":
            self.tracker.add(kept=n)

    def flush(self) -> None:
        if self.tracker is not None:
            self.tracker.flush()

    def __getstate__(self):
        return {**self.__dict__, "tracker": None}


class Progress:
    """Progress of one run: a :class:`ProgressSink` for the per-file passes, or none when disabled or remote."""

    def __init__(self, options: PipelineOptions, every_s: float = DEFAULT_EVERY_S):
        runner = options.view_as(StandardOptions).runner
        runner_name = runner if isinstance(runner, str) or runner is None else type(runner).__name__
        self.enabled = every_s > 0 and runner_name in LOCAL_RUNNERS
        direct = options.view_as(DirectOptions)
        self.per_worker = (direct.direct_running_mode == "multi_processing"
                           and (direct.direct_num_workers or 1) != 1)
        self.every_s = every_s
        self.shared = Shared()

    def sink(self) -> ProgressSink | None:
        """What the per-file passes count into; None when disabled or remote."""
        return ProgressSink(self.shared, self.every_s, self.per_worker) if self.enabled else None


def add_progress_argument(ap) -> None:
    ap.add_argument("--progress-every", type=float, default=DEFAULT_EVERY_S, metavar="SECONDS",
                    help=f"local runs: print records read/kept and rate this often (default "
                         f"{DEFAULT_EVERY_S:g}; 0 = off)")

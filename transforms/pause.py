"""A test hook, apart from the production modules: a process started with ``SKYPILE_PAUSE_AT`` set
to a pause point stops there, so that a test (tests/pipelines/test_resume.py) or a benchmark
(bench/resume_bench.py) can SIGKILL it at a known moment. Points: file_written (a work file),
global (a work file's key records read), write (a staged shard), commit.
"""
from __future__ import annotations

import os
import sys
import time

PAUSE_ENV = "SKYPILE_PAUSE_AT"


def pause_point(name: str) -> None:
    if os.environ.get(PAUSE_ENV) == name:
        print(f"skypile: paused at {name}", file=sys.stderr, flush=True)
        time.sleep(3600)

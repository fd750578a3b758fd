"""Shared by the bench scripts: run a command, and report wall time, CPU seconds and peak memory."""
from __future__ import annotations

import os
import resource
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def tree_sample(pid: int) -> dict[int, tuple[int, float]]:
    """``{pid: (rss bytes, cpu seconds)}`` for ``pid`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    stats = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ppid, cpu, pages = int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS, int(fields[21])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
        stats[int(entry)] = (pages * PAGE, cpu)
    out, stack = {}, [pid]
    while stack:
        p = stack.pop()
        if p in stats:
            out[p] = stats[p]
        stack.extend(children.get(p, []))
    return out


def measure(cmd: list[str], env=None) -> dict:
    """Wall seconds, CPU seconds and peak RSS of the whole process tree; the command's stdout.

    CPU is the larger of the reaped children's rusage and the per-process CPU last seen in the
    /proc samples (every 0.2 s): worker pools that are killed rather than waited for escape rusage.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    peak, cpu_seen = 0, {}
    while proc.poll() is None:
        sample = tree_sample(proc.pid)
        peak = max(peak, sum(rss for rss, _ in sample.values()))
        for p, (_, cpu) in sample.items():
            cpu_seen[p] = max(cpu_seen.get(p, 0.0), cpu)
        time.sleep(0.2)
    wall = time.monotonic() - start
    out = proc.stdout.read()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}")
    reaped = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": wall, "cpu_s": max(reaped, sum(cpu_seen.values())), "peak_rss_mb": peak / 2**20,
            "stdout": out}

"""Speed and memory of ``skypile curate`` next to datatrove, on the peer kit's WARC.

Input: the 4 WARC shards (2,400 real pages, 420 MB of HTML) that ``../shared/peerbench/make_warc.py``
writes under ``$PEERBENCH_ROOT/data/shards`` (both tools split work by file). Runs, each as its own
process, timed from start to exit (Python start-up, imports and the runner included, for both):

- ours: the curation spine only (read, url_filter, extract, langid, output; later steps switched
  off with ``--disable``), trafilatura and resiliparse, 1 worker and 2 workers
  (``--direct_num_workers 2 --direct_running_mode multi_processing``);
- datatrove: ``bench/datatrove_spine.py`` (WarcReader -> Trafilatura -> ParquetWriter) with 1 and 2
  tasks, in the peer kit's datatrove venv;
- ours on a one-page WARC: the local runner's fixed cost.

docs = HTML responses the reader produced; MB/s = MB of HTML (the kit's ground truth) per second;
CPU s = user + system time of the whole process tree (sampled from /proc); peak MB = largest sum of RSS over the process
tree (sampled every 0.1 s). ``--profile`` also runs the trafilatura spine in-process under cProfile
on one shard and prints where the time goes; ``--read`` times our reader alone against warcio.

    .venv/bin/python bench/curate_bench.py [--runs ours,datatrove,fixed] [--profile]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PEERBENCH = Path(os.environ.get("PEERBENCH_ROOT") or Path(tempfile.gettempdir()) / "peerbench")
SPINE = ("read", "url_filter", "extract", "langid", "output")
TWO_WORKERS = ["--direct_num_workers", "2", "--direct_running_mode", "multi_processing"]


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return pids


def _rss_mb(pids: list[int]) -> float:
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            pass
    return total / 2**20


def _cpu_seconds(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def measure(cmd: list[str], timeout: float = 1800) -> dict:
    """Run ``cmd``; wall seconds, CPU seconds of the tree, peak tree RSS, last stdout line.

    CPU is sampled per process from /proc (every 0.1 s, last value kept), because datatrove's pool
    and forkserver processes are not reaped in a way that reaches our own rusage.
    """
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    peak = 0.0
    cpu_by_pid: dict[int, float] = {}
    while proc.poll() is None:
        pids = _tree(proc.pid)
        peak = max(peak, _rss_mb(pids))
        for pid in pids:
            cpu = _cpu_seconds(pid)
            if cpu is not None:
                cpu_by_pid[pid] = cpu
        time.sleep(0.1)
        if time.perf_counter() - t0 > timeout:
            os.killpg(proc.pid, 9)  # the whole tree: datatrove leaves pool workers behind
            raise RuntimeError(f"{' '.join(cmd)} still running after {timeout:.0f} s")
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err[-3000:]}")
    cpu = sum(cpu_by_pid.values())
    lines = [line for line in out.splitlines() if line.strip()]
    return {"wall": wall, "cpu": cpu, "peak_mb": peak, "last": lines[-1] if lines else "", "stdout": out}


def html_megabytes(shards: list[Path]) -> float:
    """MB of HTML in the response records of ``shards`` (from the kit's ground truth)."""
    from warcio.archiveiterator import ArchiveIterator

    ids = set()
    for shard in shards:
        with open(shard, "rb") as f:
            ids.update(r.rec_headers.get_header("WARC-Record-ID") for r in ArchiveIterator(f)
                       if r.rec_type == "response")
    total = 0
    with open(PEERBENCH / "data/bench.groundtruth.jsonl") as f:
        for line in f:
            row = json.loads(line)
            total += row["html_bytes"] if row["record_id"] in ids else 0
    return total / 1e6


def ours(inputs: str, out: Path, extractor: str, workers: int, timeout: float = 1800) -> dict:
    from pipelines.config import load_defaults

    later = [s for s in load_defaults() if s not in SPINE]
    config = out.parent / f"bench-{extractor}.yaml"
    config.write_text(f"extract: {{extractor: {extractor}}}\n")
    cmd = [sys.executable, "-m", "pipelines.cli", "curate", "--input", inputs, "--output", str(out),
           "--config", str(config), *[a for s in later for a in ("--disable", s)]]
    if workers == 2:
        cmd += TWO_WORKERS
    got = measure(cmd, timeout)
    report = json.loads((out / "report.json").read_text())
    read = next(f for f in report["funnel"] if f["step"] == "read")
    got.update(docs=read["kept"], docs_out=report["kept"])
    return got


def datatrove(shards: Path, out: Path, tasks: int, timeout: float = 1800) -> dict:
    python = PEERBENCH / "venvs/datatrove/bin/python"
    got = measure([str(python), str(ROOT / "bench/datatrove_spine.py"), "--input", str(shards),
                   "--output", str(out), "--tasks", str(tasks)], timeout)
    result = json.loads(got["last"])
    got.update(docs=result["docs_in"], docs_out=result["docs_out"])
    return got


def profile(shard: Path, out: Path) -> None:
    """The trafilatura spine in-process on one shard, under cProfile: cumulative time of each part."""
    import cProfile
    import pstats

    from pipelines import curate
    from pipelines.config import load_defaults

    later = [s for s in load_defaults() if s not in SPINE]
    argv = ["--input", str(shard), "--output", str(out), *[a for s in later for a in ("--disable", s)]]
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.runcall(curate.run, argv)
    total = time.perf_counter() - t0
    stats = pstats.Stats(prof)
    parts = {
        "read (warcio + decompression)": ("read_warc.py", "record_verdict"),
        "charset decoding": ("charset.py", "decode_html"),
        "trafilatura": ("extract.py", "__call__"),
        "url filter": ("url_filter.py", "process"),
        "language id": ("langid.py", "process"),
        "Parquet rows + write": ("parquetio.py", "write_record"),
    }
    print(f"\nProfile of one shard ({shard.name}), in-process, {total:.1f} s wall:\n")
    print("| part | cumulative s | share |")
    print("|---|---|---|")
    for label, (file_part, func) in parts.items():
        cum = sum(v[3] for k, v in stats.stats.items() if k[0].endswith(file_part) and k[2] == func)
        print(f"| {label} | {cum:.2f} | {cum / total:.0%} |")


def read_speed(warc: Path) -> None:
    """Records/s of our reader (decompression, resync-ready stream, verdicts) against warcio's own
    ArchiveIterator reading every payload, both in this process, CPU time."""
    from warcio.archiveiterator import ArchiveIterator

    from transforms.read import read_file

    def ours() -> int:
        with open(warc, "rb") as f:
            return sum(1 for _ in read_file(f, str(warc), 10 << 20))

    def warcio_alone() -> int:
        n = 0
        with open(warc, "rb") as f:
            for record in ArchiveIterator(f):
                record.content_stream().read()
                n += 1
        return n

    print("\n| reader | records | CPU s | records/s (CPU) |")
    print("|---|---|---|---|")
    for label, fn in (("warcio 1.8 ArchiveIterator, payloads read", warcio_alone),
                      ("skypile read_file (PlainStream + warcio + verdicts)", ours)):
        t0 = time.process_time()
        n = fn()
        cpu = time.process_time() - t0
        print(f"| {label} | {n} | {cpu:.2f} | {n / cpu:.0f} |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", default="ours,datatrove,fixed")
    ap.add_argument("--shards", type=int, default=4, help="use the first N of the kit's 4 shards")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds before a run is given up")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--read", action="store_true", help="also time the reader alone against warcio")
    args = ap.parse_args(argv)
    kit_shards = PEERBENCH / "data/shards"
    if not kit_shards.is_dir():
        sys.exit(f"{kit_shards} missing: run python3 ../shared/peerbench/make_warc.py first")
    runs = args.runs.split(",")
    scratch = Path(tempfile.mkdtemp(prefix="curate-bench-"))
    shards = scratch / "shards"  # both tools read every *.warc.gz of one folder
    shards.mkdir()
    for shard in sorted(kit_shards.glob("*.warc.gz"))[: args.shards]:
        (shards / shard.name).symlink_to(shard)
    megabytes = html_megabytes(sorted(shards.glob("*.warc.gz")))
    rows = []
    print(f"load average at start: {os.getloadavg()[0]:.2f}; {len(list(shards.iterdir()))} shard(s), "
          f"{megabytes:.1f} MB of HTML", flush=True)
    plan = []
    for workers in (1, 2):
        if "datatrove" in runs:
            plan.append((f"datatrove 0.10.1 WarcReader -> Trafilatura -> Parquet, {workers} task(s)", "datatrove",
                         workers, lambda w=workers: datatrove(shards, scratch / f"dt{w}", w, args.timeout)))
        if "ours" in runs:
            for extractor in ("trafilatura", "resiliparse"):
                plan.append((f"skypile curate spine, {extractor}, {workers} worker(s)", extractor, workers,
                             lambda e=extractor, w=workers: ours(str(shards / "*.warc.gz"), scratch / f"{e}{w}",
                                                                 e, w, args.timeout)))
    for label, kind, workers, run in plan:
        try:
            got = run()
        except RuntimeError as exc:
            print(f"{label}: {str(exc)[-300:]}", flush=True)
            continue
        rows.append((label, kind, workers, got))
        print(json.dumps({"run": label, **{k: (round(v, 2) if isinstance(v, float) else v)
                                           for k, v in got.items() if k not in ("stdout", "last")}}), flush=True)
    base = {workers: got for label, kind, workers, got in rows if kind == "datatrove"}
    print("\n| run | docs | docs out | seconds | docs/s | MB/s HTML | CPU s | docs per CPU s | peak MB (tree) "
          "| docs/s vs datatrove (same workers) | docs per CPU s vs datatrove |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for label, kind, workers, got in rows:
        rate, per_cpu = got["docs"] / got["wall"], got["docs"] / got["cpu"]
        ratio = cpu_ratio = ""
        if workers in base:
            ratio = f"{rate / (base[workers]['docs'] / base[workers]['wall']):.2f}x"
            cpu_ratio = f"{per_cpu / (base[workers]['docs'] / base[workers]['cpu']):.2f}x"
        print(f"| {label} | {got['docs']} | {got['docs_out']} | {got['wall']:.1f} | {rate:.1f} | "
              f"{megabytes / got['wall']:.2f} | {got['cpu']:.1f} | {per_cpu:.1f} | {got['peak_mb']:.0f} | {ratio} "
              f"| {cpu_ratio} |")
    if "fixed" in runs:
        one = ROOT.parent / "shared/data/warc/commoncrawl_whirlwind/whirlwind.warc.gz"
        for workers in (1, 2):
            got = ours(str(one), scratch / f"fixed{workers}", "trafilatura", workers)
            print(f"\nfixed cost, one-page WARC, {workers} worker(s): {got['wall']:.1f} s wall, "
                  f"{got['cpu']:.1f} CPU s, peak {got['peak_mb']:.0f} MB")
    if args.read:
        read_speed(PEERBENCH / "data/bench.warc.gz")
    if args.profile:
        profile(kit_shards / "part-00000.warc.gz", scratch / "profile")
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

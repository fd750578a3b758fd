"""Throughput of the heuristics step against datatrove's quality filters, side by side in one run.

Input: the peerbench texts (``peer_extract.py --save-texts``: trafilatura's texts of the 2,400-record
benchmark WARC). The peer is ``../shared/peerbench/peer_heuristics.py`` in the datatrove venv: its
GopherRepetition, GopherQuality, C4Quality and FineWebQuality filters, each alone and chained as in
datatrove's ``examples/fineweb.py``. Ours is :class:`transforms.heuristics.heuristics_step.Heuristics` called
in-process the same way (inputs loaded, models and jieba warmed up before the clock starts):

* ``language-aware``: the default config; documents carry no language, so each gets the Chinese
  rules when >= 30% of its non-space characters are Han (jieba words), the English ones otherwise;
* ``English rules for all``: every document through the English rules, as datatrove runs them;
* ``zh_words: chars``: language-aware with single-character Chinese words instead of jieba;
* with ``--beam``: the whole ``skypile curate`` run on the texts JSONL with every other step
  disabled (Beam FnApiRunner, Parquet writing included), wall time of the run.

``--cpu-clock`` times both sides by process CPU time (the peer script runs unchanged but for its
timer), for a machine other jobs keep busy.

Prints a Markdown table with docs/s and the ratio to datatrove's chain, then one JSON line
(``docs_in``, ``docs_out``, ``seconds`` of the default row) for peerbench's ``run_all.py --ours``.

Usage: .venv/bin/python bench/heuristics_bench.py --texts $PEERBENCH_ROOT/data/texts.jsonl [--beam]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from pipelines.config import load_config, step_names  # noqa: E402
from transforms.document import Document  # noqa: E402
from transforms.heuristics.heuristics_step import Heuristics, count_into  # noqa: E402
from transforms.keep_or_drop import Drop  # noqa: E402

PEERBENCH = os.path.join(ROOT, "..", "shared", "peerbench")
PEER_ROOT = os.environ.get("PEERBENCH_ROOT") or os.path.join(tempfile.gettempdir(), "peerbench")


def read_texts(path):
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    return [(str(r.get("id", i)), r["text"]) for i, r in enumerate(rows) if r.get("text")]


# peer_heuristics.py unchanged, its timer swapped for the process CPU clock (--cpu-clock).
_CPU_CLOCK_WRAPPER = ("import sys, time; time.perf_counter = time.process_time; import peer_heuristics; "
                      "sys.argv = ['peer_heuristics.py'] + sys.argv[1:]; peer_heuristics.main()")


def run_peer(python, texts_path, cpu_clock=False):
    """datatrove's rows, from its own venv (one JSON line per filter and for the chain)."""
    script = ["-c", _CPU_CLOCK_WRAPPER] if cpu_clock else [os.path.join(PEERBENCH, "peer_heuristics.py")]
    proc = subprocess.run([python, *script, "--texts", texts_path],
                          capture_output=True, text=True, cwd=PEERBENCH, timeout=3600)
    if proc.returncode != 0:
        raise SystemExit(f"peer_heuristics.py failed:\n{proc.stderr[-3000:]}")
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def run_ours(name, section, texts, lang=None):
    step = Heuristics(**section, counter_inc_fn=count_into(Counter()))
    step.setup()
    step.process(Document(id="warmup", text=texts[0][1], lang=lang))  # first-call costs off the clock
    docs = [Document(id=i, text=t, lang=lang) for i, t in texts]
    start, cpu = time.perf_counter(), time.process_time()
    verdicts = [step.process(d) for d in docs]
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    drops = Counter(v.reason for v in verdicts if isinstance(v, Drop))
    return {"method": name, "docs": len(docs), "kept": len(docs) - sum(drops.values()), "seconds": seconds,
            "cpu_seconds": cpu, "top_drops": dict(drops.most_common(5))}


def run_beam(texts_path):
    """``skypile curate`` on the texts with only the heuristics step enabled; wall time."""
    from pipelines import curate

    disable = [s for s in step_names(load_config()) if s != "heuristics"]
    out = tempfile.mkdtemp(prefix="heuristics-bench-")
    args = ["--input", texts_path, "--output", out]
    for s in disable:
        args += ["--disable", s]
    start = time.perf_counter()
    report = curate.run(args)
    seconds = time.perf_counter() - start
    return {"method": "skypile curate, heuristics only (Beam FnApiRunner, Parquet out)",
            "docs": report["records_in"], "kept": report["kept"], "seconds": seconds, "top_drops": {}}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--texts", default=os.path.join(PEER_ROOT, "data", "texts.jsonl"))
    ap.add_argument("--peer-python", default=os.path.join(PEER_ROOT, "venvs", "datatrove", "bin", "python"))
    ap.add_argument("--skip-peer", action="store_true", help="only our rows")
    ap.add_argument("--beam", action="store_true", help="also time the whole curate run on the texts")
    ap.add_argument("--cpu-clock", action="store_true",
                    help="time both sides by process CPU time instead of wall time (a loaded machine)")
    args = ap.parse_args(argv)
    load = os.getloadavg()
    texts = read_texts(args.texts)
    section = dict(load_config()["heuristics"])
    section.pop("enabled")
    rows = [] if args.skip_peer else [dict(r, method=f"datatrove {r['method']}")
                                      for r in run_peer(args.peer_python, args.texts, args.cpu_clock)]
    if args.cpu_clock:  # the peer's seconds are CPU seconds already
        rows = [dict(r, cpu_seconds=r["seconds"]) for r in rows]
    ours = [run_ours("skypile heuristics, language-aware (default config)", section, texts),
            run_ours("skypile heuristics, English rules for all", section, texts, lang="en"),
            run_ours("skypile heuristics, language-aware, zh_words: chars", dict(section, zh_words="chars"), texts)]
    if args.beam:
        ours.append(run_beam(args.texts))
    if args.cpu_clock:
        ours = [dict(r, seconds=r["cpu_seconds"]) for r in ours if "cpu_seconds" in r]
    chain = next((r for r in rows if r["method"].endswith("fineweb_chain")), None)
    print(f"load average at start: {load[0]:.1f} (1 min), {load[1]:.1f} (5 min) on {os.cpu_count()} cores; "
          f"seconds are {'process CPU' if args.cpu_clock else 'wall'} seconds")
    print("| method | docs | kept | seconds | CPU s | docs/s | ms/doc | vs datatrove chain | top drops |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows + ours:
        rate = r["docs"] / r["seconds"]
        ratio = f"{rate / (chain['docs'] / chain['seconds']):.2f}x" if chain else "-"
        drops = ", ".join(f"{k}={v}" for k, v in list(r["top_drops"].items())[:3])
        cpu = f"{r['cpu_seconds']:.2f}" if "cpu_seconds" in r else "-"
        print(f"| {r['method']} | {r['docs']} | {r['kept']} | {r['seconds']:.2f} | {cpu} | {rate:.1f} | "
              f"{1000 * r['seconds'] / r['docs']:.2f} | {ratio} | {drops} |")
    default = ours[0]
    print(json.dumps({"docs_in": default["docs"], "docs_out": default["kept"], "seconds": round(default["seconds"], 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Dedup speed and scale, side by side with the peers, on the peer kit's texts (../shared/peerbench).

Sections (``--only signatures,e2e,scale,rounds``):
  signatures  MinHash signatures/s on the same texts and the same shingle sets, for both of
              datasketch 2.0's schemes (legacy and its default affine32): ours (batches of 256,
              Numba SHA-1 over the text's bytes, bit-identical to datasketch) against its
              ``update_batch`` and ``MinHash.bulk``, each compared with ours of the same scheme.
              Shingling is timed in every row (each path shingles the text itself).
  e2e         docs/s of the whole ``minhash_dedup`` Beam step (read JSONL -> signatures -> buckets
              -> [Jaccard check] -> components -> join -> kept ids), one worker, against
              ``peer_minhash.py`` (datasketch + LSH + union-find, datatrove's 4 stages, text-dedup),
              each engine in its own process and venv; CPU seconds of each process from the OS (robust
              on a busy machine), dups_missed / clusters_lost against the kit's ground truth.
  scale       peak RSS of the runner process and of the largest worker process (multi_processing)
              as the input grows 1x, 2x, 4x (replicas get distinct words, so the duplicate structure
              is the same in every replica), with 2 workers and with 2 workers per 1x (the same
              input per worker, as on a runner that adds workers with the input), against a
              pipeline that only joins the documents by id (what the local runner itself costs).
  rounds      component rounds and seconds of ConnectedComponents on long shuffled chains.

Texts: ``$PEERBENCH_ROOT/data/texts.jsonl`` (``peer_extract.py --method trafilatura --save-texts``).
Usage: .venv/bin/python bench/dedup_bench.py [--only ...] [--texts F] [--repeat 3]
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

import apache_beam as beam

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
KIT = os.path.join(ROOT, "..", "shared", "peerbench")
PEER_ROOT = os.environ.get("PEERBENCH_ROOT") or os.path.join(tempfile.gettempdir(), "peerbench")
TEXTS = os.path.join(PEER_ROOT, "data", "texts.jsonl")
GROUNDTRUTH = os.path.join(PEER_ROOT, "data", "bench.groundtruth.jsonl")


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def best_of(fn, repeat):
    """Fastest of ``repeat`` runs by process CPU time (robust on a shared machine), with its wall time."""
    best = None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        cpu, wall = time.process_time() - c, time.perf_counter() - t
        if best is None or cpu < best[0]:
            best = (cpu, wall)
    return best, out


def bench_signatures(rows, repeat):
    import numpy as np
    from datasketch import MinHash

    from transforms.dedup.minhash import MinHasher, batch_hashes
    from transforms.dedup.shingles import shingles

    texts = [r["text"] for r in rows]
    schemes = ("legacy", "affine32")

    def ours(scheme, numba=True):
        hasher = MinHasher(128, 1, scheme, numba)

        def run():
            out = []
            for s in range(0, len(texts), 256):  # the batches BandKeysFn sees
                batch = texts[s:s + 256]
                out.append(hasher.flat(*batch_hashes(batch, [None] * len(batch), use_numba=numba)))
            return np.concatenate(out)
        return run

    def update_batch(scheme):
        def run():
            out = []
            for t in texts:
                m = MinHash(num_perm=128, seed=1, scheme=scheme)
                m.update_batch([s.encode("utf-8") for s in shingles(t)])
                out.append(m.hashvalues)
            return np.array(out)
        return run

    def bulk(scheme):
        def run():
            return np.array([m.hashvalues for m in MinHash.bulk(
                [[s.encode("utf-8") for s in shingles(t)] for t in texts], num_perm=128, seed=1, scheme=scheme)])
        return run

    for scheme in schemes:  # warm-up: permutation arrays, Numba compilation (or its disk cache)
        MinHash(num_perm=128, seed=1, scheme=scheme)
        MinHasher(128, 1, scheme).flat(*batch_hashes(texts[:2], [None, None]))
    cases = [(f"ours, {scheme} (Numba SHA-1 of UTF-8 byte slices, then permute-min)", scheme, ours(scheme))
             for scheme in schemes]
    # minhash_dedup's default (numba: false): hashlib SHA-1 per distinct shingle, NumPy permute-min
    cases += [(f"ours, {scheme}, NumPy (the default)", scheme, ours(scheme, numba=False)) for scheme in schemes]
    cases += [(f"datasketch update_batch, {scheme}", scheme, update_batch(scheme)) for scheme in schemes]
    cases += [(f"datasketch MinHash.bulk, {scheme}", scheme, bulk(scheme)) for scheme in schemes]
    results = {name: (scheme, best_of(fn, repeat)) for name, scheme, fn in cases}
    ours_of = {scheme: results[name][1] for name, scheme, _ in cases[:len(schemes)]}
    print("\n| signatures (128 perm, word/char 5-grams) | docs | CPU s | wall s | docs per CPU s | ours vs it | "
          "identical to ours (same scheme) |")
    print("|---|---|---|---|---|---|---|")
    for name, (scheme, ((seconds, wall), sigs)) in results.items():
        (ours_s, _), ours_sigs = ours_of[scheme]
        same = "yes" if np.array_equal(sigs, ours_sigs) and sigs.dtype == ours_sigs.dtype else "NO"
        print(f"| {name} | {len(texts)} | {seconds:.2f} | {wall:.2f} | {len(texts) / seconds:.0f} | "
              f"{seconds / ours_s:.2f}x | {same} |")


class _JoinOnly(beam.PTransform):
    """The local runner's own share of memory: the documents joined with one value per id (the
    one document shuffle of a dedup step), nothing else."""

    def expand(self, docs):
        joined = ({"docs": docs | "KeyById" >> beam.Map(lambda d: (d.id, d)),
                   "decisions": docs | "Decisions" >> beam.Map(lambda d: (d.id, 1))}
                  | "Join" >> beam.CoGroupByKey()
                  | "Docs" >> beam.FlatMap(lambda kv: kv[1]["docs"]))
        return {"kept": joined}


def run_ours(path, out_dir, step_kwargs, options=()):
    """The minhash_dedup Beam step over a JSONL of texts (``{"baseline": true}``: the join alone);
    returns (seconds, kept ids)."""
    from apache_beam.options.pipeline_options import PipelineOptions

    from transforms.dedup.minhash_dedup import MinHashDedup
    from transforms.document import Document

    t = time.perf_counter()
    with beam.Pipeline(runner="FnApiRunner", options=PipelineOptions(list(options))) as p:
        docs = (p | "Read" >> beam.io.ReadFromText(path)
                | "Parse" >> beam.Map(lambda line: Document(id=json.loads(line)["id"], text=json.loads(line)["text"])))
        baseline = step_kwargs.pop("baseline", False)
        out = docs | "Dedup" >> (_JoinOnly() if baseline else MinHashDedup(**step_kwargs))
        out["kept"] | beam.Map(lambda d: d.id) | beam.io.WriteToText(os.path.join(out_dir, "kept"))
    seconds = time.perf_counter() - t
    kept = [line.strip() for f in glob.glob(os.path.join(out_dir, "kept*")) for line in open(f)]
    return seconds, kept


def _child_cpu(cmd, env=None):
    """Runs ``cmd``; returns (stdout, CPU seconds of it and its children, wall seconds)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600, env=env)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        print(f"{' '.join(cmd[:3])} exited {proc.returncode}: {proc.stderr[-1500:]}", file=sys.stderr)
    return proc.stdout, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


E2E_SETTINGS = {
    "ours, defaults (t=0.8, 17x7 of 128, exact Jaccard check)": {},
    "ours, t=0.7 + exact Jaccard check (23x5 of 128)": dict(threshold=0.7),
    "ours, t=0.7, 14x9 of 128 (as datasketch MinHashLSH(0.7)), no check":
        dict(threshold=0.7, false_negative_weight=0.5, verify_jaccard=False),
    "ours, FineWeb 14x8 of 112, no check": dict(num_perm=112, bands=14, rows=8, verify_jaccard=False),
}


def bench_e2e(rows, path, repeat):
    """Every engine in its own process, ours included; CPU seconds from the OS (whole process, loading
    included), ``seconds`` from the engine's own timer (kit: timed section; ours: pipeline run)."""
    sys.path.insert(0, KIT)
    from pbcommon import dedup_metrics, venv_python

    ids = [r["id"] for r in rows]
    table = []
    for name, kw in E2E_SETTINGS.items():
        best = None
        for _ in range(repeat):
            with tempfile.TemporaryDirectory() as tmp:
                out, cpu, _ = _child_cpu([sys.executable, os.path.abspath(__file__), "--child-e2e", path,
                                          "--child-out", tmp, "--child-settings", json.dumps(kw),
                                          "--child-workers", "1"])
                kept = [line.strip() for f in glob.glob(os.path.join(tmp, "kept*")) for line in open(f)]
            seconds = json.loads(out.strip().splitlines()[-1])["seconds"]
            if best is None or cpu < best[1]:
                best = (seconds, cpu, kept)
        seconds, cpu, kept = best
        table.append({"method": name, "docs": len(ids), "kept": len(kept), "seconds": round(seconds, 2),
                      "docs_per_s": round(len(ids) / seconds, 1), "cpu": round(cpu, 1),
                      **dedup_metrics(ids, kept, GROUNDTRUTH)})
    for engine, venv in (("datasketch", "tools"), ("datatrove", "datatrove"), ("textdedup", "textdedup")):
        best = None
        for _ in range(repeat):
            out, cpu, _ = _child_cpu([venv_python(venv), os.path.join(KIT, "peer_minhash.py"), "--engine", engine,
                                      "--texts", path])
            lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
            if lines and (best is None or cpu < best[1]):
                best = (lines[-1], cpu)
        if best:
            r, cpu = best
            table.append({**{k: r.get(k) for k in ("method", "docs", "kept", "seconds", "docs_per_s", "dups_missed",
                                                   "clusters_lost", "ideal_kept")}, "cpu": round(cpu, 1)})
    ours_cpu = table[0]["cpu"]
    print("\n| end to end (same texts) | docs | kept | seconds | docs/s | CPU s (process) | CPU vs ours defaults | "
          "dups missed | clusters lost | ideal kept |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in table:
        print(f"| {r['method']} | {r['docs']} | {r['kept']} | {r['seconds']} | {r['docs_per_s']} | {r['cpu']} | "
              f"{r['cpu'] / ours_cpu:.2f}x | {r.get('dups_missed')} | {r.get('clusters_lost')} | {r.get('ideal_kept')} |")


def _shift_han(text, j):
    """Every CJK unified ideograph moved by ``j * 2000`` code points inside its block: a bijection,
    so a replica keeps its own duplicate structure while sharing no character shingle with another."""
    lo, size = 0x4E00, 0x9FFF - 0x4E00 + 1
    return "".join(chr(lo + (ord(c) - lo + 2000 * j) % size) if lo <= ord(c) < lo + size else c for c in text)


def _replicate(rows, k, path):
    """``k`` replicas of the texts; in replica j > 0 every word gets the suffix ``~j`` (a token of
    its own) and, in texts shingled by characters, every Han character is shifted, so no replica
    shares shingles with another while the duplicate structure inside each stays the same."""
    from transforms.dedup.shingles import uses_characters

    with open(path, "w", encoding="utf-8") as f:
        for j in range(k):
            for r in rows:
                text = r["text"]
                if j and uses_characters(text, None):
                    text = _shift_han(text, j)
                elif j:
                    text = " ".join(w + f"~{j}" for w in text.split(" "))
                f.write(json.dumps({"id": f"{r['id']}#{j}", "text": text}, ensure_ascii=False) + "\n")


def _rss_tree(pid):
    """{pid: RSS bytes} of ``pid`` and its descendants, from /proc."""
    children = {}
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = open(stat).read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.split("/")[2]))
        except (OSError, IndexError, ValueError):
            continue
    out, todo = {}, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/statm") as f:
                out[p] = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            continue
        todo.extend(children.get(p, []))
    return out


def _peak_rss(cmd):
    """Runs ``cmd``; returns (its last stdout line as JSON, runner peak RSS, workers' peak RSS sorted)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    peaks = {}
    while proc.poll() is None:
        for p, rss in _rss_tree(proc.pid).items():
            peaks[p] = max(peaks.get(p, 0), rss)
        time.sleep(0.1)
    out = json.loads(proc.stdout.read().strip().splitlines()[-1])
    runner = peaks.pop(proc.pid, 0)
    # worker processes only (the multi_processing wrapper shells stay at a few MB)
    return out, runner, sorted(rss for rss in peaks.values() if rss > 50 * 2**20) or [0]


SCALE_CONFIGS = [("minhash_dedup defaults (exact Jaccard check)", {}),
                 ("minhash_dedup FineWeb 14x8, no check", dict(num_perm=112, bands=14, rows=8, verify_jaccard=False)),
                 ("read + join by id + write only (runner baseline)", {"baseline": True})]


def bench_scale(rows, factors, workers):
    """Peak RSS per worker process as the input grows, with ``workers`` worker processes, or with
    ``2 x factor`` workers when ``workers`` is 0 (the input per worker stays the same)."""
    mode = "2 workers per 1x" if workers == 0 else f"{workers} workers"
    print(f"\n| scale ({mode}, multi_processing) | docs | workers | seconds | runner peak RSS MB | "
          f"worker peak RSS MB: largest | median | largest vs baseline |")
    print("|---|---|---|---|---|---|---|---|")
    baseline = {}
    for label, settings in reversed(SCALE_CONFIGS):  # the baseline first: the others are compared with it
        for k in factors:
            n_workers = workers or 2 * k
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "texts.jsonl")
                _replicate(rows, k, path)
                out, runner, peaks = _peak_rss(
                    [sys.executable, os.path.abspath(__file__), "--child-e2e", path, "--child-out", tmp,
                     "--child-settings", json.dumps(settings), "--child-workers", str(n_workers)])
            worker, median = peaks[-1], statistics.median(peaks)
            if settings.get("baseline"):
                baseline[k] = worker
            print(f"| {label}, {k}x | {out['docs']} | {n_workers} | {out['seconds']:.1f} | {runner / 2**20:.0f} | "
                  f"{worker / 2**20:.0f} | {median / 2**20:.0f} | {(worker - baseline[k]) / 2**20:+.0f} |", flush=True)


def bench_rounds(sizes):
    from apache_beam.metrics.metric import MetricsFilter

    from transforms.dedup.components import ConnectedComponents

    print("\n| chain (shuffled ids) | nodes | rounds | seconds | components out |")
    print("|---|---|---|---|---|")
    for n in sizes:
        ids = [f"n{i:07d}" for i in range(n)]
        random.Random(n).shuffle(ids)
        with tempfile.TemporaryDirectory() as tmp:
            edges_path = os.path.join(tmp, "edges.txt")
            with open(edges_path, "w") as f:
                f.writelines(f"{a} {b}\n" for a, b in zip(ids[:-1], ids[1:]))
            t = time.perf_counter()
            p = beam.Pipeline(runner="FnApiRunner")
            (p | beam.io.ReadFromText(edges_path) | beam.Map(lambda line: tuple(line.split()))
             | ConnectedComponents(30, namespace="bench", method="star") | beam.MapTuple(lambda node, root: root)
             | beam.Distinct() | beam.io.WriteToText(os.path.join(tmp, "roots")))
            result = p.run()
            result.wait_until_finish()
            seconds = time.perf_counter() - t
            rounds = sum(c.committed for c in result.metrics().query(
                MetricsFilter().with_name("component_rounds"))["counters"])
            roots = sum(1 for f in glob.glob(os.path.join(tmp, "roots*")) for _ in open(f))
        print(f"| path | {n} | {rounds} | {seconds:.1f} | {roots} |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="signatures,e2e,scale,rounds")
    ap.add_argument("--texts", default=TEXTS)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--scale", default="1,2,4")
    ap.add_argument("--scale-workers", default="2,0", help="worker counts for the scale section; 0: 2 per 1x")
    ap.add_argument("--chains", default="1000,10000,100000")
    ap.add_argument("--child-e2e", help=argparse.SUPPRESS)
    ap.add_argument("--child-out", help=argparse.SUPPRESS)
    ap.add_argument("--child-settings", default="{}", help=argparse.SUPPRESS)
    ap.add_argument("--child-workers", type=int, default=2, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child_e2e:  # one measured run for the scale section
        docs = sum(1 for _ in open(a.child_e2e, encoding="utf-8"))
        workers = [] if a.child_workers == 1 else [f"--direct_num_workers={a.child_workers}",
                                                   "--direct_running_mode=multi_processing"]
        seconds, _ = run_ours(a.child_e2e, a.child_out, {"max_rounds": 10, **json.loads(a.child_settings)}, workers)
        print(json.dumps({"docs": docs, "seconds": seconds}))
        return 0
    if not os.path.exists(a.texts):
        print(f"{a.texts} missing: run ../shared/peerbench/peer_extract.py --method trafilatura --save-texts "
              f"{a.texts} in the kit's tools venv", file=sys.stderr)
        return 2
    rows = read_jsonl(a.texts)
    only = set(a.only.split(","))
    print(f"texts: {a.texts} ({len(rows)} documents); load average {os.getloadavg()[0]:.2f}")
    if "signatures" in only:
        bench_signatures(rows, a.repeat)
    if "e2e" in only:
        bench_e2e(rows, a.texts, a.repeat)
    if "scale" in only:
        for workers in (int(w) for w in a.scale_workers.split(",")):
            bench_scale(rows, [int(k) for k in a.scale.split(",")], workers)
    if "rounds" in only:
        bench_rounds([int(n) for n in a.chains.split(",")])
    return 0


if __name__ == "__main__":
    sys.exit(main())

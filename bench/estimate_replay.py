"""``skypile curate --estimate``'s sampling replayed many times on dev kits: the first round alone
against the rounds (``--estimate-unseen``), kept documents per language over seeds.

Every record of a dev kit goes through the estimate's first pass once (``sample_run`` with every file
and record sampled; its records are taken where it hands them to ``figures``). The replay then draws
each seed's sample as the command does (:func:`pipelines.estimate_sample.file_order`, the records
with the smallest :func:`pipelines.estimate_sample._priority` of the file's
:func:`~pipelines.estimate_sample.sample_names` name; copies named as make_10x.py names them),
:func:`pipelines.estimate.next_round`)
and computes the kept documents with :func:`pipelines.estimate.figures`; the truth is ``figures`` on
every record (the run's own counts: bench/README.md). ``--copies 10`` replays the kit's 10x copy
(bench/make_10x.py) without extracting it again: copy ``c`` of a record is the record under a new id,
URL hash and file, its text unchanged, as make_10x.py writes it.

Use dev kits, never the inputs the estimate is reported on (peerbench make_warc.py --seed 7, 11, 13):

    python3 ../shared/peerbench/make_warc.py --out /tmp/devkit11/data --seed 11
    .venv/bin/python bench/estimate_replay.py --input '/tmp/devkit11/data/shards/*.warc.gz' [--copies 10] \\
        [--seeds 12] [--unseen 0.15]
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import glob
import hashlib
import os
import pickle
import sys
from collections import Counter, defaultdict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import pipelines.estimate as E  # noqa: E402
from pipelines.estimate import NO_FIXED, figures, next_round, records_per_file  # noqa: E402
from pipelines.estimate_dedup import by_language, run_chain  # noqa: E402
from pipelines.estimate_sample import _priority, file_order, sample_names  # noqa: E402


def capture(files: list[str], cache: str):
    """``(sampled files, records, total bytes, dedup settings)`` with every record through the first pass."""
    if os.path.exists(cache):
        with open(cache, "rb") as f:
            return pickle.load(f)
    from pipelines.curate import load_config

    seen = {}
    real = E.figures

    def keep(*args, **kwargs):
        seen.setdefault("args", args)
        return real(*args, **kwargs)

    E.figures = keep
    try:
        E.sample_run(files, load_config(None, []), 0, 0, 0, "n2-standard-8", 1, 0.0, unseen=1.0)
    finally:
        E.figures = real
    sampled, records, total_bytes, _, dedup, _ = seen["args"]
    for r in records:
        r.out_row = None  # not needed here; keeps the cache small
    out = (sampled, records, total_bytes, dedup)
    with open(cache, "wb") as f:
        pickle.dump(out, f)
    return out


def copies(kit, n: int):
    """The kit's records as bench/make_10x.py's ``n`` copies would come out of the first pass."""
    sampled, records, total_bytes, dedup = kit
    files, out = [], []
    for c in range(n):
        files += [dataclasses.replace(f, path=f.path.replace(".warc.gz", f"-c{c:02d}.warc.gz")) for f in sampled]
        for r in records:
            r2 = copy.copy(r)
            r2.file = r.file + c * len(sampled)
            if c and r.doc is not None:
                r2.doc = dataclasses.replace(r.doc, id=hashlib.md5(f"{r.doc.id}-{c}".encode()).hexdigest())
                keys = dict(r.keys)
                if keys.get("k_url_hash"):
                    keys["k_url_hash"] = hashlib.md5(keys["k_url_hash"] + bytes([c])).digest()
                r2.keys = keys
            out.append(r2)
    return files, out, total_bytes * n, dedup


def draw(population, seed: int, unseen: float, n_files: int = 16, max_records: int = E.MAX_RECORDS):
    """One ``--estimate`` sample of ``population`` as the command draws it: ``(kept figures, records)``."""
    files, records, total_bytes, dedup = population
    by_file = defaultdict(list)
    for r in records:
        by_file[r.file].append(r)  # in the file's order: the list index is the record's ordinal
    order, names = file_order(seed, len(files)), sample_names([f.path for f in files])
    chosen = min(n_files, len(files))
    per_file = records_per_file(None, n_files, len(files))
    sampled, taken, sample = [], {}, []
    while True:
        for index in order[:chosen]:
            if index not in taken:
                taken[index] = (len(sampled), set())
                sampled.append(files[index])
            fi, ordinals = taken[index]
            members = by_file[index]
            best = sorted(range(len(members)), key=lambda i: _priority(seed, names[index], i))
            for i in best[:per_file] if per_file else best:
                if i not in ordinals:
                    ordinals.add(i)
                    r = copy.copy(members[i])
                    r.file = fi
                    sample.append(r)
        shares = figures(sampled, sample, total_bytes, len(files), dedup, NO_FIXED)["unseen_share"]
        step = next_round(per_file, chosen, len(files), [f.records for f in sampled], shares, unseen, max_records)
        if step is None:
            return figures(sampled, sample, total_bytes, len(files), dedup, NO_FIXED), len(sample)
        per_file, chosen = step


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", required=True)
    ap.add_argument("--copies", type=int, default=1)
    ap.add_argument("--seeds", type=int, default=12)
    ap.add_argument("--unseen", type=float, default=E.UNSEEN_SHARE)
    args = ap.parse_args()
    files = sorted(glob.glob(args.input))
    cache = os.path.join(os.path.dirname(files[0]), ".estimate_replay.pkl")
    kit = capture(files, cache)
    population = copies(kit, args.copies) if args.copies > 1 else kit
    files_, records, total_bytes, dedup = population
    truth = figures(files_, records, total_bytes, len(files_), dedup, NO_FIXED)
    truth = {"kept": truth["kept"], **truth["kept_per_language"]}
    print(f"{args.input} x{args.copies}: truth " + ", ".join(f"{k} {v:,.0f}" for k, v in truth.items()))
    for lang, docs in by_language([r for r in records if r.lang is not None]).items():
        alive, size, _ = run_chain(docs, dedup)  # every record: the run's own dedup groups
        print(f"{lang} groups by documents in them: {dict(sorted(Counter(size[id(r)] for r in alive).items()))}")
    print("| sample | records drawn | " + " | ".join(f"{k}: mean, worst ratio" for k in truth) + " |")
    print("|---|---|" + "---|" * len(truth))
    for label, unseen in (("first round only", 1.0), (f"rounds, unseen <= {args.unseen:g}", args.unseen)):
        ratios, drawn = defaultdict(list), []
        for seed in range(args.seeds):
            est, n = draw(population, seed, unseen)
            drawn.append(n)
            got = {"kept": est["kept"], **est["kept_per_language"]}
            for k, v in truth.items():
                ratios[k].append(got.get(k, 0.0) / v)
        cells = [f"{sum(v) / len(v):.3f}, {max(v, key=lambda x: abs(x - 1)):.3f}" for v in ratios.values()]
        print(f"| {label} | {min(drawn):,}-{max(drawn):,} ({dict(sorted(Counter(drawn).items()))}) | "
              + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

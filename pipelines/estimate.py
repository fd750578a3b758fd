"""``skypile curate --estimate``: what a run will take, from a sample of its inputs, before launching it.

The sample: a seeded order of the input files, of which the first ``--estimate-files`` (every file
when there are fewer) are read whole (reading is about 1% of a document's cost) to count their
records exactly; from each, the ``--estimate-records`` records (0: every record; by default
:data:`SAMPLE_RECORDS` in all, at least :data:`MIN_FILE_RECORDS` a file) whose seeded hash
is smallest (:mod:`pipelines.estimate_sample`). The sampled records go through
the run's own step objects (:func:`transforms.keep_or_drop.run_steps`): the per-file chain and the
key records, the dedup steps simulated on the sample's key records (below), the later per-document
steps, and the output rows, encoded to Parquet in memory. Process CPU time is measured around each
chunk's work, as the run does it. Nothing is written and no Beam job is launched.

Rounds: dedup is what a small sample gets wrong (below), so the sample grows until it has seen most
of what it reports. While a language holding :data:`MATERIAL_SHARE` of the kept documents has more
than ``--estimate-unseen`` (:data:`UNSEEN_SHARE`) of its estimated kept documents in groups the
sample has not seen (the estimator's part, ``f0`` below, not the sample's), the next round doubles the
records taken from each file, and once whole files are taken, the files; a round that would pass
``--estimate-max-records`` (:data:`MAX_RECORDS`) is not taken, and the output says the target was not
met. The hash order makes each round's sample hold the last one's, so no record is processed twice.
On dev kits (peerbench make_warc.py --seed 7, 11, 13, each also as its 10x copy; 12 seeds each;
bench/estimate_replay.py) the first round alone missed kept documents by up to 24% and kept Chinese
documents by up to 45%; with the rounds no kept figure missed by more than 11.9%, drawing 3,200-4,804
records of the 4,804 (a kit) and 6,400-12,800 of the 48,040 (its 10x copy): bench/README.md,
"Estimate in rounds".

Totals are ratio estimates over the input bytes: a sampled file's figures scaled by its records
over its sampled records, and the sampled files' total scaled by all files' bytes over theirs; with
every file and every record sampled they are the run's own counts. The 95% intervals come from a
delete-a-group jackknife: the sampled files are the groups when not all files are sampled (so the
between-file variance is in them), else ten seeded groups of the sampled records.

Dedup rates cannot be read off a few records: a pair of copies is in the sample only when both are.
Each dedup step is simulated on the sampled documents that survive the steps before it
(:mod:`pipelines.estimate_dedup`: record ids, normalised URL hash, text hash, MinHash bands with the
exact Jaccard check on the pairs the run checks). The steps are chained, so a kept document stands
for one group of the chain as a whole (a page's exact and near copies together); the number of such
groups in the whole input is estimated once per language (not once per step: chained, the steps'
lower-bound errors compounded) from how many groups the sample holds once, twice, ... with Chao &
Lin's richness estimator for sampling without replacement (Biometrics 68:912-921, 2012): ``S_obs +
f0``, ``f0 = f1^2 / (n/(n-1) 2 f2 + q/(1-q) f1)``, ``q`` the sampled fraction. The documents removed
are split between the steps as the sample's are. It is exact at ``q = 1``, assumes copies spread
through the input like any record, and does not see copies in an earlier corpus
(``--dedup-against``); the output says so.
"""
from __future__ import annotations

import gc
import json
import math
import time
from collections import Counter, defaultdict
from typing import Any

from pipelines.estimate_dedup import by_language, run_chain, survivors
from pipelines.estimate_sample import Record, SampledFile, Sampler, _parquet_bytes
from pipelines.sampling_stats import chao_lin, jackknife

# vCPUs of common Compute Engine machine types (cloud.google.com/compute/docs/general-purpose-machines).
MACHINE_VCPUS = {
    **{f"n1-standard-{n}": n for n in (1, 2, 4, 8, 16, 32, 64, 96)},
    **{f"n2-standard-{n}": n for n in (2, 4, 8, 16, 32, 48, 64, 80, 96, 128)},
    **{f"n2d-standard-{n}": n for n in (2, 4, 8, 16, 32, 48, 64, 80, 96, 128, 224)},
    **{f"e2-standard-{n}": n for n in (2, 4, 8, 16, 32)},
    **{f"c2-standard-{n}": n for n in (4, 8, 16, 30, 60)},
    **{f"c3-standard-{n}": n for n in (4, 8, 22, 44, 88, 176)},
    **{f"n2-highmem-{n}": n for n in (2, 4, 8, 16, 32, 48, 64, 80, 96, 128)},
    **{f"n2-highcpu-{n}": n for n in (2, 4, 8, 16, 32, 48, 64, 80, 96)},
}
JACKKNIFE_GROUPS = 10
SAMPLE_RECORDS = 1600  # the first round's records by default, spread over the chosen files
MIN_FILE_RECORDS = 100
UNSEEN_SHARE = 0.15  # rounds go on while a language has more of its kept documents in unseen groups
MATERIAL_SHARE = 0.05  # ... and holds at least this share of the kept documents
MAX_RECORDS = 12800  # no round takes the sample past this many records
# CPU seconds a run spends per document after the per-file chain outside the steps the sample
# times: Beam carrying its key record through the dedup steps' shuffles, the later steps' bundles,
# the shard writers and the report. A dev kit's full 1-worker run (make_warc.py --seed 7) against
# the estimate with every record sampled: (66.47 - 57.61) s over 1,796 documents (bench/README.md,
# "Estimate in rounds"); measured on this project's 2-vCPU machine, like every CPU figure here.
BEAM_CPU_PER_DOCUMENT_S = 0.0049
NO_FIXED = {"run_cpu_s": 0.0, "worker_cpu_s": 0.0, "workers": 0, "shard_bytes": 0.0}


def records_per_file(requested: int | None, n_files: int, total_files: int) -> int:
    """``--estimate-records`` as given, else :data:`SAMPLE_RECORDS` spread over the files sampled
    (``n_files`` of ``total_files``; 0: all of them), at least :data:`MIN_FILE_RECORDS` each."""
    if requested is not None:
        return requested
    chosen = min(n_files, total_files) if n_files else total_files
    return max(MIN_FILE_RECORDS, math.ceil(SAMPLE_RECORDS / max(1, chosen)))


LIMITS = ("dedup: group counts estimated from the sample's within-sample copies (Chao & Lin 2012, once "
          "over the chained steps' groups); copies in --dedup-against corpora are not counted",
          "cpu: process CPU of the per-document work, the per-file reads and the sampled start-up, plus "
          f"{BEAM_CPU_PER_DOCUMENT_S * 1000:.1f} ms a document after the per-file chain for Beam's work between "
          "the steps (measured once on a dev kit on a 2-vCPU machine, not on this one)",
          "worker_hours: CPU-hours over the machine's vCPUs, at full use of every vCPU")


def rows_per_shard(kept: float, files: int) -> int:
    """Rows a shard of one language holds: the run writes one per input file that keeps any."""
    return max(1, round(kept / max(1, min(files, math.ceil(kept)))))


def figures(files: list[SampledFile], records: list[Record], total_bytes: int, total_files: int,
            dedup: list[tuple[str, dict]], fixed: dict[str, float]) -> dict[str, Any]:
    """The whole run's figures from a sample (``files`` chosen, ``records`` sampled from them).

    ``fixed``: ``run_cpu_s`` / ``worker_cpu_s`` / ``workers`` (start-up) and ``shard_bytes`` (a
    Parquet file's bytes without rows)."""
    sampled = Counter(r.file for r in records)
    chosen = [i for i in range(len(files)) if sampled[i]]
    scale = total_bytes / max(1, sum(files[i].size for i in chosen))
    weight = {i: scale * files[i].records / sampled[i] for i in chosen}
    cpu_per_doc = scale * sum(files[i].read_cpu for i in chosen) + sum(weight[r.file] * r.cpu for r in records)
    docs = [r for r in records if r.lang is not None]
    dropped: Counter = Counter()
    effective: dict[int, float] = {}  # id(record) of a dedup survivor -> its weight
    groups: dict[str, tuple[float, int]] = {}  # language -> (estimated groups, groups seen)
    for lang, alive in by_language(docs).items():
        population = sum(weight[r.file] for r in alive)
        q = min(1.0, len(alive) / population) if population else 1.0
        alive, size, removed = run_chain(alive, dedup)
        # One estimate over the chain's groups (in the population's units already).
        remaining = min(population, chao_lin([size[id(r)] for r in alive], q))
        groups[lang] = (remaining, len(alive))
        lost = sum(removed.values())
        for name, n in removed.items():
            dropped[name] += (population - remaining) * n / lost if lost else 0.0
        total = sum(weight[r.file] for r in alive)
        for r in alive:
            effective[id(r)] = weight[r.file] * remaining / total if total else 0.0
    kept: dict[str, float] = defaultdict(float)
    out_bytes = second_cpu = 0.0
    for r in docs:
        w = effective.get(id(r), 0.0)
        second_cpu += w * r.out_cpu
        if r.out_lang is not None:
            kept[r.out_lang] += w
            out_bytes += w * r.out_bytes
    shards = sum(min(total_files, math.ceil(k)) for k in kept.values() if k > 0)
    after_first = sum(weight[r.file] for r in docs)
    cpu = (cpu_per_doc + second_cpu + after_first * BEAM_CPU_PER_DOCUMENT_S + fixed["run_cpu_s"]
           + fixed["workers"] * fixed["worker_cpu_s"])
    return {"records": scale * sum(files[i].records for i in chosen),
            "documents_after_first_pass": after_first,
            "dropped_by_dedup": dict(sorted(dropped.items())),
            "kept": sum(kept.values()),
            "kept_per_language": dict(sorted(kept.items())),
            "cpu_hours": cpu / 3600,
            "output_bytes": out_bytes + shards * fixed["shard_bytes"],
            "shuffle_bytes": sum(weight[r.file] * r.shuffle_bytes for r in docs),
            "unseen_share": unseen_shares(groups)}


def unseen_shares(groups: dict[str, tuple[float, int]]) -> dict[str, float]:
    """Per language holding :data:`MATERIAL_SHARE` of the estimated groups: the share of them that
    the sample has not seen (``(estimated - seen) / estimated``), i.e. that the estimator adds."""
    total = sum(estimated for estimated, _ in groups.values())
    return {lang: round(max(0.0, 1 - seen / estimated), 4) for lang, (estimated, seen) in sorted(groups.items())
            if estimated and estimated >= MATERIAL_SHARE * total}


def sample_run(files: list[str], config: dict[str, Any], n_files: int, n_records: int, seed: int,
               machine: str, workers: int, started_cpu: float, unseen: float = UNSEEN_SHARE,
               max_records: int = MAX_RECORDS) -> dict[str, Any]:
    """Sample ``files`` in rounds (:class:`~pipelines.estimate_sample.Sampler`), run the chain of
    ``config`` on the sample, return the estimate.

    Round one: ``n_records`` records (0: all) from each of ``n_files`` files (0: all). While a
    language holding :data:`MATERIAL_SHARE` of the kept documents has more than ``unseen`` of them
    in groups the sample has not seen, the next round doubles the records a file (once whole
    files are sampled, the files), unless that would pass ``max_records``."""
    sampler = Sampler(files, config, seed)
    rounds, per_file = [], n_records
    chosen = min(n_files, len(files)) if n_files else len(files)
    try:
        while True:
            for index in sampler.order[:chosen]:
                sampler.take(index, per_file)
            last = figures(sampler.files, sampler.records, sum(sampler.sizes), len(files), sampler.dedup_settings,
                           NO_FIXED)
            shares = last["unseen_share"]
            rounds.append({"files": chosen, "records": len(sampler.records), "unseen_share": shares})
            step = next_round(per_file, chosen, len(files), [f.records for f in sampler.files], shares, unseen,
                              max_records)
            if step is None:
                break
            per_file, chosen = step
    finally:
        gc.unfreeze()  # the sample was frozen out of collection while it was timed (Sampler.take)
    records, sampled_files, dedup_settings = sampler.records, sampler.files, sampler.dedup_settings
    schema, row_group_rows, setup_cpu = sampler.schema, sampler.row_group_rows, sampler.setup_cpu
    sizes = sampler.sizes
    kept_once = {id(r) for r in survivors([r for r in records if r.lang is not None], dedup_settings)}
    kept = last["kept_per_language"]  # the last round's (bytes not yet known): for the rows a shard holds
    out_rows: dict[str, list] = defaultdict(list)
    for r in records:
        if r.out_lang is not None:
            out_rows[r.out_lang].append(r)
    footers = []
    for lang, kept_rows in out_rows.items():
        # Bytes per character from the rows dedup would keep: duplicates encoded with them would
        # compress to almost nothing (every document's bytes were 20% short on the peer kit with
        # every record sampled). They are encoded in chunks of the rows one shard will hold (the
        # run writes a shard per input file and language): small shards compress less (the 10x
        # input's 40 files hold about 12 English rows each). Each document is then charged its own
        # length at that rate, and the encoding's CPU goes to the kept rows by their length.
        unique = [r for r in kept_rows if id(r) in kept_once] or kept_rows
        per_shard = rows_per_shard(kept.get(lang, 0.0), len(files))
        size = cpu = 0.0
        for start in range(0, len(unique), per_shard):
            t0 = time.process_time()
            chunk, footer = _parquet_bytes([r.out_row for r in unique[start:start + per_shard]], schema,
                                           row_group_rows, footer=True)
            cpu += time.process_time() - t0
            footers.append(footer)
            size += chunk - footer
        chars = sum(len(r.out_row.get("text") or "") + 1 for r in unique)
        for r in kept_rows:
            share = (len(r.out_row.get("text") or "") + 1) / chars
            r.out_bytes = size * share
            if id(r) in kept_once or len(unique) == len(kept_rows):
                r.out_cpu += cpu * share
    fixed = {"run_cpu_s": started_cpu, "worker_cpu_s": started_cpu + setup_cpu, "workers": workers,
             "shard_bytes": sum(footers) / len(footers) if footers else 0.0}  # a shard's footer

    def estimate(units):
        return figures(sampled_files, units, sum(sizes), len(files), dedup_settings, fixed)

    all_files = len(sampled_files) == len(files)
    labels = [(j % JACKKNIFE_GROUPS) if all_files else r.file for j, r in enumerate(records)]
    if not all_files and len(sampled_files) > 2 * JACKKNIFE_GROUPS:
        labels = [label % (2 * JACKKNIFE_GROUPS) for label in labels]
    point = estimate(records)
    fraction = len(sampled_files) / len(files) if not all_files else len(records) / max(1, point["records"])
    half = jackknife(estimate, records, labels, fraction)
    vcpus = MACHINE_VCPUS[machine]
    point["worker_hours"] = point["cpu_hours"] / vcpus
    if half:
        half["worker_hours"] = half["cpu_hours"] / vcpus
    intervals = _intervals(point, half)
    intervals.pop("unseen_share")
    return {"estimate": point, "interval95": intervals,
            "sample": {"files": len(sampled_files), "of_files": len(files), "records": len(records),
                       "input_bytes": sum(sizes), "seed": seed,
                       "groups": "files" if not all_files else "records",
                       "rounds": rounds, "unseen_target": unseen, "max_records": max_records,
                       "met": max(rounds[-1]["unseen_share"].values(), default=0.0) <= unseen,
                       "start_up_cpu_s": {"run": round(started_cpu, 2), "worker": round(started_cpu + setup_cpu, 2),
                                          "workers": workers}},
            "machine": {"type": machine, "vcpus": vcpus}, "limits": list(LIMITS)}


def next_round(per_file: int, chosen: int, n_files: int, file_records: list[int], shares: dict[str, float],
               unseen: float, max_records: int) -> tuple[int, int] | None:
    """After a round of ``per_file`` records (0: all) from each of ``chosen`` files (holding
    ``file_records``) with ``shares`` of each material language's kept documents unseen: the next
    round's ``(per_file, chosen)``, or None to stop (target met, nothing left, or past ``max_records``)."""
    whole = not per_file or per_file >= max(file_records)
    if max(shares.values(), default=0.0) <= unseen or (whole and chosen == n_files):
        return None
    taken = sum(min(n, per_file) if per_file else n for n in file_records)
    if whole:  # twice the files, the new ones at the sampled files' mean length
        step, grow = (per_file, min(n_files, 2 * chosen)), (min(n_files, 2 * chosen) - chosen) * taken / chosen
    else:
        step, grow = (2 * per_file, chosen), sum(min(n, 2 * per_file) - min(n, per_file) for n in file_records)
    return step if taken + grow <= max_records else None


def _intervals(point, half):
    if isinstance(point, dict):
        return {k: _intervals(v, half.get(k, {}) if isinstance(half, dict) else None) for k, v in point.items()}
    if not isinstance(half, float):
        return None
    return [max(0.0, point - half), point + half]


def print_estimate(result: dict[str, Any]) -> None:
    """A table for people, then the whole result as one JSON line (for scripts)."""
    est, ci, s = result["estimate"], result["interval95"], result["sample"]
    print(f"estimate from {s['records']} records of {s['files']}/{s['of_files']} files "
          f"({s['input_bytes'] / 1e6:.1f} MB of input), 95% intervals over sampled {s['groups']}:")
    for i, r in enumerate(s["rounds"], 1):
        shares = ", ".join(f"{lang} {share:.0%}" for lang, share in r["unseen_share"].items())
        print(f"  round {i}: {r['records']:,} records of {r['files']} files; kept documents in unseen groups: "
              f"{shares or '-'}")
    if not s["met"]:
        print(f"  note: stopped at --estimate-max-records {s['max_records']:,} with more than "
              f"{s['unseen_target']:.0%} of a language's kept documents in unseen groups: its figures rest on "
              "the estimator more than on the sample")

    def line(name, value, interval, fmt):
        span = f"  [{fmt(interval[0])} .. {fmt(interval[1])}]" if interval else ""
        print(f"  {name:<28} {fmt(value):>14}{span}")

    count = lambda v: f"{v:,.0f}"  # noqa: E731
    line("records", est["records"], ci["records"], count)
    line("kept documents", est["kept"], ci["kept"], count)
    for lang, v in est["kept_per_language"].items():
        line(f"  kept {lang}", v, ci["kept_per_language"][lang], count)
    for step, v in est["dropped_by_dedup"].items():
        line(f"dropped by {step}", v, ci["dropped_by_dedup"][step], count)
    line("CPU-hours", est["cpu_hours"], ci["cpu_hours"], lambda v: f"{v:.4g}")
    line(f"worker-hours ({result['machine']['type']})", est["worker_hours"], ci["worker_hours"], lambda v: f"{v:.4g}")
    line("output MB (Parquet)", est["output_bytes"] / 1e6, ci["output_bytes"] and [x / 1e6 for x in ci["output_bytes"]],
         lambda v: f"{v:,.1f}")
    line("shuffle MB (key records)", est["shuffle_bytes"] / 1e6,
         ci["shuffle_bytes"] and [x / 1e6 for x in ci["shuffle_bytes"]], lambda v: f"{v:,.1f}")
    for limit in result["limits"]:
        print(f"  note: {limit}")
    print(json.dumps(result, sort_keys=True))


def estimate_command(args, options, config: dict[str, Any], files: list[str]) -> dict[str, Any]:
    """``skypile curate --estimate``: checks its flags, samples, prints and returns the estimate."""
    from pipelines.config import CurateError

    started = time.process_time()  # this process's start-up: interpreter, Beam and the steps' imports
    if args.estimate_machine not in MACHINE_VCPUS:
        raise CurateError(f"--estimate-machine {args.estimate_machine}: unknown; one of "
                          f"{', '.join(sorted(MACHINE_VCPUS))}")
    for flag in ("estimate_files", "estimate_records", "estimate_workers", "estimate_max_records"):
        if (getattr(args, flag) or 0) < 0:
            raise CurateError(f"--{flag.replace('_', '-')} {getattr(args, flag)}: must be 0 or more")
    unseen = UNSEEN_SHARE if args.estimate_unseen is None else args.estimate_unseen
    if not 0 < unseen <= 1:
        raise CurateError(f"--estimate-unseen {unseen:g}: a share above 0, at most 1")
    max_records = MAX_RECORDS if args.estimate_max_records is None else args.estimate_max_records
    workers = args.estimate_workers or options.get_all_options().get("direct_num_workers") or 1
    per_file = records_per_file(args.estimate_records, args.estimate_files, len(files))
    result = sample_run(files, config, args.estimate_files, per_file, args.estimate_seed,
                        args.estimate_machine, workers, started, unseen, max_records)
    print_estimate(result)
    return result

"""The run report: every input record accounted for, from the counts the pipeline wrote as data.

The counts come from the per-file passes' files (:func:`pipelines.curate.file_counts`), never from
a runner's Metrics, which are for watching a job: a runner that retries or recomputes bundles
counts them twice, and some runners have none.

``records_in`` is ``read/records_in``; ``dropped`` maps each reason to the sum of the
``dropped:<reason>`` counters of every step; ``kept`` is ``output/kept``. The invariant
``records_in == kept + sum(dropped.values())`` is checked and recorded.
"""
from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from apache_beam.io.filesystems import FileSystems

from pipelines.funnel_order import reasons_by_count
from pipelines.report_pii import redaction_report


def build_report(counters: dict[tuple[str, str], int], steps: list[str], config: dict[str, Any],
                 inputs: list[str]) -> dict[str, Any]:
    dropped: dict[str, int] = defaultdict(int)
    per_step: dict[str, dict[str, Any]] = {}
    for (namespace, name), value in counters.items():
        if name.startswith("dropped:"):
            reason = name.split(":", 1)[1]
            dropped[reason] += value
            per_step.setdefault(namespace, {"kept": 0, "dropped": {}})["dropped"][reason] = value
        elif name == "kept":
            per_step.setdefault(namespace, {"kept": 0, "dropped": {}})["kept"] = value
    records_in = counters.get(("read", "records_in"), 0)
    kept = counters.get(("output", "kept"), 0)
    funnel = []
    for name in ["read", *steps]:
        # A step no document reached still gets its row (0 in), so the funnel lists every step.
        info = per_step.get(name, {"kept": 0, "dropped": {}})
        funnel.append({"step": name, "in": info["kept"] + sum(info["dropped"].values()),
                       "kept": info["kept"], "dropped": dict(sorted(info["dropped"].items()))})
    lines = {name[len("lines_removed:"):]: v for (ns, name), v in counters.items() if name.startswith("lines_removed:")}
    report = {
        "records_in": records_in,
        "kept": kept,
        "dropped": dict(sorted(dropped.items())),
        "balanced": records_in == kept + sum(dropped.values()),
        "kept_per_language": {name.split(":", 1)[1]: v for (ns, name), v in sorted(counters.items())
                              if ns == "output" and name.startswith("lang:")},
        "funnel": funnel,
        "inputs": inputs,
        "config": config,
    }
    if lines:
        report["lines_removed"] = dict(sorted(lines.items()))
    report.update(redaction_report(counters, config))
    return report


def funnel_table(report: dict[str, Any]) -> str:
    """A plain-text funnel: one row per step with what came in, what it kept, what it dropped."""
    rows = [("step", "in", "kept", "dropped", "top reasons")]
    for entry in report["funnel"]:
        reasons = reasons_by_count(entry["dropped"])
        top = ", ".join(f"{r}={n}" for r, n in reasons[:3]) + (" ..." if len(reasons) > 3 else "")
        rows.append((entry["step"], str(entry["in"]), str(entry["kept"]),
                     str(sum(entry["dropped"].values())), top))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    out = []
    for r in rows:
        out.append("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r[:4], widths))) + "  " + r[4])
    status = "balanced" if report["balanced"] else "NOT BALANCED"
    out.append(f"records in {report['records_in']} = kept {report['kept']} + dropped "
               f"{sum(report['dropped'].values())} ({status})")
    return "\n".join(out)


def write_report(output: str, report: dict[str, Any]) -> str:
    path = FileSystems.join(output, "report.json")
    with FileSystems.create(path) as f:
        f.write(json.dumps(report, indent=2, ensure_ascii=False, default=str).encode("utf-8"))
    return path

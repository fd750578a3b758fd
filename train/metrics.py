"""``OUT/metrics.jsonl``: one JSON line per logged step, and model FLOPs utilization.

On resume the file is cut back to the checkpoint's step (lines of steps that were trained after
the last checkpoint and are about to be trained again would otherwise appear twice).
"""
from __future__ import annotations

import json
import os

from transforms.jsonl import read_jsonl

# Dense bf16 peak per device in TFLOP/s from the vendors' data sheets (no sparsity), for MFU.
PEAK_TFLOPS = {"H200": 989.0, "H100": 989.0, "A100": 312.0, "L40S": 362.0, "L4": 121.0, "A10G": 70.0,
               "A10": 125.0, "4090": 165.2, "V100": 125.0}


def peak_flops(device_name: str, configured_tflops: float | None) -> float | None:
    """Peak FLOP/s for MFU: the configured value, else a known GPU's, else None (MFU not logged)."""
    if configured_tflops:
        return configured_tflops * 1e12
    for key, tflops in PEAK_TFLOPS.items():
        if key in device_name:
            return tflops * 1e12
    return None


class MetricsLog:
    def __init__(self, path: str, enabled: bool = True):
        self.path, self.enabled = path, enabled

    def truncate_after(self, step: int) -> None:
        """Keep the lines of steps <= ``step`` (and drop a torn last line from a crash)."""
        if not (self.enabled and os.path.exists(self.path)):
            return
        kept = []
        with open(self.path, encoding="utf-8") as f:
            for line in f:
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if record.get("step", 0) <= step:
                    kept.append(json.dumps(record))
        tmp = self.path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write("".join(k + "\n" for k in kept))
        os.replace(tmp, self.path)

    def write(self, record: dict) -> None:
        if not self.enabled:
            return
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
            f.flush()


def read_metrics(path: str) -> list[dict]:
    return read_jsonl(path)

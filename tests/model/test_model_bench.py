"""bench/model_bench.py runs end to end (eager variants, a tiny shape) and prints its table."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_model_bench_prints_a_row_per_variant():
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "model_bench.py"), "--config", "tiny", "--variants", "ours,hf",
         "--batch", "1", "--seq-len", "16", "--rounds", "2", "--steps", "1", "--warmup", "0"],
        capture_output=True, text=True, timeout=300, check=True,
    )
    rows = {line.split("|")[1].strip(): line for line in result.stdout.splitlines() if line.startswith("| ")}
    assert set(rows) == {"variant", "ours", "hf"}
    assert "1.00x" in rows["hf"]
    assert float(rows["ours"].split("|")[2].replace(",", "")) > 0

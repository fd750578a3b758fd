"""bench/model_bench.py runs end to end (eager variants, a tiny shape) and prints its table."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _load_bench():
    # In process (not a subprocess): torch and transformers are imported once for the whole run.
    spec = importlib.util.spec_from_file_location("model_bench", ROOT / "bench" / "model_bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_model_bench_prints_a_row_per_variant(capsys):
    bench = _load_bench()
    assert bench.main(["--config", "tiny", "--variants", "ours,hf", "--batch", "1", "--seq-len", "16",
                       "--rounds", "2", "--steps", "1", "--warmup", "0"]) == 0
    out = capsys.readouterr()
    rows = {line.split("|")[1].strip(): line.split("|") for line in out.out.splitlines() if line.startswith("| ")}
    assert set(rows) == {"variant", "ours", "hf"}
    assert rows["hf"][5].strip() == "1.00x"
    assert float(rows["ours"][2].replace(",", "")) > 0
    assert "round 2 ours" in out.err

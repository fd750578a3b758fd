"""Forward+backward training throughput of our Llama against transformers' LlamaForCausalLM.

Both models get the same configuration, the same weights (ours converted by model/hf.py's name
map) and the same batches; both use SDPA attention and the same loss outside the model. Variants run
interleaved, round after round, and the table reports the median tokens/s per variant, so that load
from other processes on a shared machine hits every variant alike.

    python bench/model_bench.py                                   # CPU, 100m config, fp32
    python bench/model_bench.py --device cuda --dtype bf16 --config 1b --batch 8 --seq-len 2048

On CUDA it also prints MFU: tokens/s * training FLOPs per token (model/flops.py, PaLM's formula)
over the GPU's peak dense bf16 FLOP/s (--peak-tflops, guessed from the device name when omitted).
"""
from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model.config import get_config  # noqa: E402
from model.flops import flops_per_token, param_count  # noqa: E402
from model.hf import hf_config_dict, to_hf_name  # noqa: E402
from model.llama import Llama  # noqa: E402
from model.parallelize import parallelize  # noqa: E402

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}
# Peak dense bf16 tensor-core FLOP/s from NVIDIA's data sheets (without sparsity).
PEAK_TFLOPS = {"H200": 989.4, "H100": 989.4, "A100": 312.0, "L4": 121.0, "A10": 125.0}
# ours+compile: parallelize(compile=True), per-block graphs (what the trainer uses);
# ours+compile(model) and hf+compile: torch.compile of the whole model, the same wrapping for both.
VARIANTS = ("ours", "ours+compile", "ours+compile(model)", "hf", "hf+compile")


def build_models(config, dtype, device, variants):
    torch.manual_seed(0)
    ours = Llama(config).to(device=device, dtype=dtype).train()
    models = {}
    if any(v.startswith("hf") for v in variants):
        from transformers import LlamaConfig, LlamaForCausalLM

        hf_config = LlamaConfig.from_dict(hf_config_dict(config, dtype), attn_implementation="sdpa")
        with torch.device(device):
            hf = LlamaForCausalLM(hf_config).to(dtype=dtype).train()
        hf.load_state_dict({to_hf_name(k): v for k, v in ours.state_dict().items()}, strict=False)
        models["hf"] = (lambda ids: hf(input_ids=ids, use_cache=False).logits, hf)
        if "hf+compile" in variants:
            compiled_hf = torch.compile(hf)
            models["hf+compile"] = (lambda ids: compiled_hf(input_ids=ids, use_cache=False).logits, hf)
    models["ours"] = (ours, ours)
    if "ours+compile(model)" in variants:
        models["ours+compile(model)"] = (torch.compile(ours), ours)
    if "ours+compile" in variants:
        # A second instance: parallelize compiles blocks in place.
        torch.manual_seed(0)
        compiled = parallelize(Llama(config).to(device=device, dtype=dtype).train(), compile=True)
        models["ours+compile"] = (compiled, compiled)
    return {name: models[name] for name in variants}


def train_step(forward, ids) -> None:
    logits = forward(ids[:, :-1])
    F.cross_entropy(logits.flatten(0, 1).float(), ids[:, 1:].flatten()).backward()


def timed_steps(forward, batches, device) -> tuple[float, float]:
    """Wall and process CPU seconds (all threads) for one training step per batch."""
    if device.type == "cuda":
        torch.cuda.synchronize()
    start, start_cpu = time.perf_counter(), time.process_time()
    for ids in batches:
        train_step(forward, ids)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start, time.process_time() - start_cpu


def peak_flops(device, given):
    if given:
        return given * 1e12
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    return next((tf * 1e12 for key, tf in PEAK_TFLOPS.items() if key in name), None)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="100m")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", choices=sorted(DTYPES), default="fp32")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--seq-len", type=int, default=256)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per variant per round")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds; medians are reported")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps per variant (compilation)")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--peak-tflops", type=float, help="device peak for MFU (default: from the device name)")
    args = parser.parse_args(argv)
    variants = args.variants.split(",")
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        parser.error(f"unknown variants {sorted(unknown)}; choose from {VARIANTS}")
    if importlib.util.find_spec("transformers") is None and any(v.startswith("hf") for v in variants):
        # A GPU image may lack transformers: measure our variants rather than fail.
        print("transformers is not installed: hf variants skipped", file=sys.stderr)
        variants = [v for v in variants if not v.startswith("hf")]
        if not variants:
            parser.error("no variants left to run without transformers")
    device, dtype = torch.device(args.device), DTYPES[args.dtype]
    if args.threads:
        torch.set_num_threads(args.threads)
    config = get_config(args.config, max_seq_len=max(args.seq_len, 2))
    models = build_models(config, dtype, device, variants)
    generator = torch.Generator().manual_seed(1)
    batches = [torch.randint(0, config.vocab_size, (args.batch, args.seq_len + 1), generator=generator).to(device)
               for _ in range(args.steps)]
    tokens = args.steps * args.batch * args.seq_len
    compile_s = {}
    for name, (forward, _) in models.items():
        start = time.perf_counter()
        for _ in range(args.warmup):
            train_step(forward, batches[0])
        compile_s[name] = time.perf_counter() - start
        print(f"warmup {name}: {compile_s[name]:.1f}s", file=sys.stderr, flush=True)
    # Wall tokens/s, and tokens per CPU second: on a shared machine the CPU figure measures our
    # work, the wall figure mostly the neighbours' load.
    rates: dict[str, list[float]] = {name: [] for name in models}
    cpu_rates: dict[str, list[float]] = {name: [] for name in models}
    for round_ in range(args.rounds):
        # Rotate the order each round so no variant always runs first (or last) in a round.
        order = list(models)[round_ % len(models):] + list(models)[: round_ % len(models)]
        for name in order:
            forward, module = models[name]
            module.zero_grad(set_to_none=True)
            wall, cpu = timed_steps(forward, batches, device)
            rates[name].append(tokens / wall)
            cpu_rates[name].append(tokens / cpu)
            print(f"round {round_ + 1} {name}: {rates[name][-1]:,.0f} tokens/s, {cpu_rates[name][-1]:,.0f} "
                  "tokens/CPU s", file=sys.stderr, flush=True)
    peak = peak_flops(device, args.peak_tflops)
    per_token = flops_per_token(config, args.seq_len)
    device_name = args.device
    if device.type == "cuda":
        allocated = torch.cuda.max_memory_allocated(device) / 2**30
        against = f", MFU against {peak / 1e12:.1f} TFLOP/s" if peak else ""
        device_name += f" ({torch.cuda.get_device_name(device)}, {allocated:.1f} GiB peak allocated{against})"
    versions = f"torch {torch.__version__}"
    if any(name.startswith("hf") for name in models):
        import transformers

        versions += f", transformers {transformers.__version__}"
    print(f"config {args.config} ({param_count(config) / 1e6:.1f}M params), device {device_name}, dtype {args.dtype}, "
          f"batch {args.batch} x {args.seq_len}, {args.rounds} rounds x {args.steps} steps, "
          f"threads {torch.get_num_threads()}, {versions}")
    base = {k: statistics.median(v["hf"]) for k, v in (("wall", rates), ("cpu", cpu_rates))} if "hf" in rates else None
    header = ("| variant | tokens/s (median) | min | max | vs hf | tokens/CPU s (median) | vs hf (CPU) | warmup s |"
              + (" MFU |" if peak else ""))
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for name, values in rates.items():
        median, cpu_median = statistics.median(values), statistics.median(cpu_rates[name])
        ratio = f"{median / base['wall']:.2f}x" if base else "-"
        cpu_ratio = f"{cpu_median / base['cpu']:.2f}x" if base else "-"
        row = (f"| {name} | {median:,.0f} | {min(values):,.0f} | {max(values):,.0f} | {ratio} | {cpu_median:,.0f} | "
               f"{cpu_ratio} | {compile_s[name]:.1f} |")
        if peak:
            row += f" {100 * median * per_token / peak:.1f}% |"
        print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Wrap a Llama for training: activation checkpointing, torch.compile, FSDP2 or DDP, kept apart
from the model file (the torchtitan layout, pytorch/torchtitan ``parallelize_llama``).

Order, and why:
1. activation checkpointing, per block: only each block's input is kept, its inside recomputed in
   backward. Applied first so the compiled region and the FSDP unit both contain the recompute.
2. torch.compile, per block, in place (``Module.compile``): every block has the same code, so one
   graph serves them all and compile time does not grow with depth; per-block graphs leave FSDP's
   hooks between blocks outside any graph. In place keeps parameter names free of ``_orig_mod.``.
3. FSDP2 (``fully_shard``) per block, then on the root, so each block's parameters are gathered
   just before it runs and freed after; or DDP around the whole model (``module.`` prefix) for
   data parallel runs that fit on one device, CPU/gloo included.

All wrappers leave the parameters' own names unchanged except DDP's ``module.`` prefix;
``plain_state_dict`` returns the Llama's state_dict under its own names whatever was applied.
"""
from __future__ import annotations

import functools

import torch
import torch.distributed as dist
from torch import nn
from torch.utils.checkpoint import checkpoint

from model.llama import Llama


def _checkpointed(forward):
    @functools.wraps(forward)
    def run(*args, **kwargs):
        # Non-reentrant: works with torch.compile, FSDP2 and inputs that need no grad.
        return checkpoint(forward, *args, use_reentrant=False, **kwargs)

    return run


def _require_process_group(what: str) -> None:
    if not (dist.is_available() and dist.is_initialized()):
        raise RuntimeError(f"{what} needs torch.distributed initialized (torchrun + init_process_group)")


def parallelize(model: Llama, *, compile: bool | str = False, activation_checkpointing: bool = False,
                fsdp: bool = False, ddp: bool = False,
                fsdp_param_dtype: torch.dtype | None = None) -> nn.Module:
    """Apply the requested wrappers in the order documented above; return the model to train.

    ``compile`` is True (inductor) or the name of a torch.compile backend (e.g. "aot_eager").

    ``fsdp_param_dtype`` (e.g. torch.bfloat16) computes in that dtype while FSDP keeps float32
    master weights and reduces gradients in float32.
    """
    if fsdp and ddp:
        raise ValueError("choose fsdp or ddp, not both")
    if fsdp_param_dtype is not None and not fsdp:
        raise ValueError("fsdp_param_dtype applies only with fsdp=True")
    if fsdp or ddp:
        _require_process_group("fsdp" if fsdp else "ddp")
    blocks = list(model.layers)
    if activation_checkpointing:
        for block in blocks:
            block.forward = _checkpointed(block.forward)
    if compile:
        for block in blocks:
            block.compile(backend="inductor" if compile is True else compile)
    if fsdp:
        from torch.distributed.fsdp import MixedPrecisionPolicy, fully_shard

        policy = MixedPrecisionPolicy(param_dtype=fsdp_param_dtype, reduce_dtype=torch.float32)
        for i, block in enumerate(blocks):
            # The last block's parameters are needed again at once by backward: keep them gathered.
            fully_shard(block, mp_policy=policy, reshard_after_forward=i < len(blocks) - 1)
        fully_shard(model, mp_policy=policy)
        return model
    if ddp:
        from torch.nn.parallel import DistributedDataParallel

        device = next(model.parameters()).device
        return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    return model


def unwrap(model: nn.Module) -> Llama:
    """The Llama inside whatever ``parallelize`` (or a plain ``torch.compile``) returned."""
    while not isinstance(model, Llama):
        inner = getattr(model, "module", None) or getattr(model, "_orig_mod", None)
        if inner is None:
            raise TypeError(f"no Llama inside {type(model).__name__}")
        model = inner
    return model


def plain_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    """The Llama's state_dict under its own names, full tensors on CPU (FSDP shards gathered).

    Under FSDP every rank must call this (it is a collective).
    """
    llama = unwrap(model)
    if any(type(p).__name__ == "DTensor" for p in llama.parameters()):
        from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

        return get_model_state_dict(llama, options=StateDictOptions(full_state_dict=True, cpu_offload=True))
    return {k: v.detach().cpu() for k, v in llama.state_dict().items()}

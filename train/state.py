"""Training state in and out of checkpoints: full (unsharded) model and optimizer state, RNG states.

Under FSDP2 the parameters are DTensor shards; ``torch.distributed.checkpoint.state_dict`` gathers
them into full tensors on save (a collective: every rank calls it) and scatters full tensors back
into shards on load, so one checkpoint format serves one process, DDP and FSDP2 alike.
"""
from __future__ import annotations

import torch

from model.parallelize import plain_state_dict, unwrap


def rng_state(device: torch.device) -> dict:
    state = {"torch": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def set_rng_state(state: dict, device: torch.device) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and device.type == "cuda":
        torch.cuda.set_rng_state(state["cuda"], device)


def full_state(model: torch.nn.Module, optimizer: torch.optim.Optimizer, fsdp: bool) -> tuple[dict, dict]:
    """(plain Llama state_dict, optimizer state_dict), full tensors, on CPU under FSDP."""
    model_state = plain_state_dict(model)
    if not fsdp:
        return model_state, optimizer.state_dict()
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_optimizer_state_dict

    options = StateDictOptions(full_state_dict=True, cpu_offload=True)
    return model_state, get_optimizer_state_dict(model, optimizer, options=options)


def load_full_state(model: torch.nn.Module, model_state: dict, fsdp: bool,
                    optimizer: torch.optim.Optimizer | None = None, optim_state: dict | None = None) -> None:
    """Load what :func:`full_state` saved; without ``optimizer`` only the weights."""
    if not fsdp:
        unwrap(model).load_state_dict(model_state)
        if optimizer is not None:
            optimizer.load_state_dict(optim_state)
        return
    from torch.distributed.checkpoint.state_dict import (StateDictOptions, set_model_state_dict,
                                                         set_optimizer_state_dict)

    options = StateDictOptions(full_state_dict=True)
    set_model_state_dict(unwrap(model), model_state, options=options)
    if optimizer is not None:
        set_optimizer_state_dict(model, optimizer, optim_state, options=options)

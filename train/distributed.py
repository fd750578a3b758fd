"""Process group setup and teardown for ``torchrun`` (NCCL on GPUs, gloo on CPU) and one process.

Teardown: gloo can abort a process at interpreter exit after ``destroy_process_group`` (its
background threads race the C++ destructors), turning a finished run into a non-zero exit.
:func:`exit_process` therefore flushes, synchronizes, destroys the group and leaves with
``os._exit`` so no destructor runs after training has succeeded.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistEnv:
    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def pick_device(preference: str, local_rank: int) -> torch.device:
    if preference not in ("auto", "cpu", "cuda"):
        raise ValueError(f"train.device must be auto, cpu or cuda, got {preference!r}")
    if preference == "cuda" or (preference == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise RuntimeError("train.device is cuda but no GPU is visible")
        torch.cuda.set_device(local_rank)
        return torch.device("cuda", local_rank)
    return torch.device("cpu")


def init(device_preference: str = "auto") -> DistEnv:
    """Join the torchrun process group when ``WORLD_SIZE > 1``; one process otherwise."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = pick_device(device_preference, local_rank)
    if world > 1 and not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend=backend, rank=rank, world_size=world)
    return DistEnv(rank, world, local_rank, device)


def all_gather_objects(env: DistEnv, obj):
    if not env.distributed:
        return [obj]
    out = [None] * env.world_size
    dist.all_gather_object(out, obj)
    return out


def all_reduce_sum(env: DistEnv, tensor: torch.Tensor) -> torch.Tensor:
    if env.distributed:
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor


def barrier(env: DistEnv) -> None:
    if env.distributed:
        dist.barrier()


def exit_process(env: DistEnv, code: int) -> None:
    """Leave a torchrun worker cleanly (see module docstring); a single process just returns."""
    if not (env.distributed and dist.is_initialized()):
        return
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        if code == 0:
            dist.barrier()
        dist.destroy_process_group()
    finally:
        os._exit(code)

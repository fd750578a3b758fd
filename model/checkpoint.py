"""Read and write the trainer's checkpoint format as far as the model is concerned.

A checkpoint is ``OUT/checkpoints/step_{step:08d}.pt``: a ``torch.save`` dict with at least
``"model"`` (the plain Llama state_dict) and ``"model_config"`` (``dataclasses.asdict(ModelConfig)``);
the trainer adds its own state beside them, which is ignored here.
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import torch

from model.config import ModelConfig
from model.llama import Llama

# The one checkpoint file name: written with 8 digits (checkpoint_name), read with any number.
STEP_FILE = re.compile(r"step_(\d+)\.pt")
# Prefixes that wrappers add to parameter names (DDP, torch.compile of the whole model, the
# private checkpoint_wrapper): tolerated on read so a hand-saved wrapped state_dict loads too.
WRAPPER_PREFIXES = ("module.", "_orig_mod.", "_checkpoint_wrapped_module.")


def checkpoint_name(step: int) -> str:
    return f"step_{step:08d}.pt"


def step_checkpoints(folder) -> list[tuple[int, Path]]:
    """``(step, file)`` of every checkpoint file in ``folder``, by step."""
    found = ((m, f) for f in Path(folder).glob("step_*.pt") if (m := STEP_FILE.fullmatch(f.name)))
    return sorted((int(m.group(1)), f) for m, f in found)


def find_checkpoint(path) -> Path:
    """``path`` itself if a file, else the highest ``step_*.pt`` in ``path`` or ``path/checkpoints``."""
    path = Path(path)
    if path.is_file():
        return path
    if not path.is_dir():
        raise FileNotFoundError(f"no checkpoint file or directory at {path}")
    for folder in (path / "checkpoints", path):
        steps = step_checkpoints(folder)
        if steps:
            return steps[-1][1]
    raise FileNotFoundError(f"no step_*.pt checkpoint in {path} or {path / 'checkpoints'}")


def _strip_prefixes(name: str) -> str:
    for prefix in WRAPPER_PREFIXES:
        name = name.replace(prefix, "")
    return name


def load_checkpoint(path, dtype: torch.dtype = torch.float32) -> tuple[Llama, Path]:
    """The Llama saved in a trainer checkpoint (see ``find_checkpoint``) and the file it came from."""
    file = find_checkpoint(path)
    payload = torch.load(file, map_location="cpu", weights_only=True)
    missing = {"model", "model_config"} - set(payload) if isinstance(payload, dict) else {"model", "model_config"}
    if missing:
        raise ValueError(f"{file} is not a skypile checkpoint: missing {sorted(missing)}")
    model = Llama(ModelConfig(**payload["model_config"]))
    state = {_strip_prefixes(k): v for k, v in payload["model"].items()}
    model.load_state_dict(state, strict=True)
    return model.to(dtype), file


def save_checkpoint(model: Llama, path, **extra) -> Path:
    """Write ``model`` in the trainer's checkpoint format (``extra`` entries saved beside it)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model": model.state_dict(), "model_config": dataclasses.asdict(model.config), **extra}, path)
    return path

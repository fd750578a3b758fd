"""Assemble a run from its config: tokenizer, sources, mixture loader, model and optimizer."""
from __future__ import annotations

import dataclasses
import glob
import os
import sys

import torch

from model.config import ModelConfig, get_config
from model.llama import Llama
from train.config import TrainConfig
from train.data import MixtureLoader, Packer
from train.distributed import DistEnv, barrier
from train.mixture import Sampler, Stage, build_stages, weights_at
from train.rehydrate import SIZE_COLUMN, parse_rehydrate
from train.shards import DocStream, SourceIndex, index_source
from train.tokenizer import file_sha256, load_tokenizer, sample_texts, tokenizer_file, train_tokenizer


def resolve_glob(pattern: str, data_dir: str | None) -> str:
    pattern = os.path.expanduser(pattern)
    return pattern if os.path.isabs(pattern) or not data_dir else os.path.join(data_dir, pattern)


def index_sources(cfg: TrainConfig, data_dir: str | None) -> dict[str, SourceIndex]:
    """Index every source; an optional one without files is left out (and said so on stderr)."""
    if not cfg.data.sources:
        raise ValueError("data.sources is empty: name at least one glob of Parquet shards")
    rehydrated = [name for name, spec in cfg.data.sources.items() if parse_rehydrate(name, spec.rehydrate)]
    indexes = {}
    for name, spec in cfg.data.sources.items():
        pattern = resolve_glob(spec.glob, data_dir)
        if spec.optional and not glob.glob(pattern, recursive=True):
            print(f"skypile train: optional source {name!r} ({pattern}) has no files: left out", file=sys.stderr)
            continue
        indexes[name] = index_source(name, pattern, [SIZE_COLUMN] if name in rehydrated else [])
    return indexes


def ensure_tokenizer(cfg: TrainConfig, out_dir: str, env: DistEnv, indexes: dict[str, SourceIndex],
                     stages: list[Stage]) -> str:
    """The configured tokenizer, or one trained on this run's sources into OUT/tokenizer (once).

    Sources are sampled by their weight averaged over stage starts, so the vocabulary follows the mixture.
    """
    if cfg.tokenizer.path:
        return tokenizer_file(cfg.tokenizer.path)
    out = os.path.join(out_dir, "tokenizer")
    if env.is_main and not os.path.isfile(os.path.join(out, "tokenizer.json")):
        ratios: dict[str, float] = {}
        for stage in stages:
            for src, w in weights_at(stage, stage.start_step).items():
                ratios[src] = ratios.get(src, 0.0) + w
        groups = {name: list(indexes[name].files) for name in ratios}
        train_tokenizer(sample_texts(groups, ratios, cfg.tokenizer.max_chars, cfg.data.text_column),
                        cfg.tokenizer.vocab_size, out)
    barrier(env)
    return tokenizer_file(out)


def build_loader(cfg: TrainConfig, env: DistEnv, indexes: dict[str, SourceIndex], stages: list[Stage],
                 tokenizer_path: str) -> MixtureLoader:
    tokenizer, eos_id = load_tokenizer(tokenizer_path, cfg.tokenizer.eos_token)
    packers = {
        name: Packer(DocStream(index, cfg.mixture.seed, env.rank, env.world_size,
                               cfg.data.sources[name].max_epochs, cfg.data.text_column,
                               parse_rehydrate(name, cfg.data.sources[name].rehydrate)),
                     tokenizer, eos_id, cfg.data.encode_batch)
        for name, index in indexes.items()}
    return MixtureLoader(packers, stages, Sampler(stages, cfg.mixture.seed), cfg.data.seq_len,
                         cfg.train.micro_batch_size, cfg.train.grad_accum, env.rank, env.world_size)


def plan_stages(cfg: TrainConfig, world_size: int, present: list[str] | None = None) -> list[Stage]:
    """Stages in optimizer steps; weights of optional sources absent from ``present`` are dropped."""
    tokens_per_step = cfg.train.micro_batch_size * cfg.train.grad_accum * world_size * cfg.data.seq_len
    present = list(cfg.data.sources) if present is None else present
    absent = set(cfg.data.sources) - set(present)
    specs = [dataclasses.replace(s, weights={k: w for k, w in s.weights.items() if k not in absent})
             for s in cfg.mixture.stages]
    return build_stages(specs, present, tokens_per_step)


def fingerprint(cfg: TrainConfig, env: DistEnv, indexes: dict[str, SourceIndex], tokenizer_path: str) -> dict:
    """Everything that decides which tokens a step sees (max_epochs is left out: raising it is safe)."""
    rehydrate = {name: r.describe() for name in indexes if (r := parse_rehydrate(name, cfg.data.sources[name].rehydrate))}
    return {
        "sources": {name: {"glob": cfg.data.sources[name].glob, **index.describe(),
                           **({"rehydrate": rehydrate[name]} if name in rehydrate else {})}
                    for name, index in indexes.items()},
        "mixture": {"seed": cfg.mixture.seed, "stages": [dataclasses.asdict(s) for s in cfg.mixture.stages]},
        "seq_len": cfg.data.seq_len, "text_column": cfg.data.text_column, "encode_batch": cfg.data.encode_batch,
        "micro_batch_size": cfg.train.micro_batch_size, "grad_accum": cfg.train.grad_accum,
        "world_size": env.world_size, "tokenizer_sha256": file_sha256(tokenizer_path),
    }


def model_config(cfg: TrainConfig, vocab_size: int) -> ModelConfig:
    multiple = max(cfg.model.vocab_multiple, 1)
    overrides = {"vocab_size": -(-vocab_size // multiple) * multiple, "max_seq_len": cfg.data.seq_len,
                 **cfg.model.overrides}
    config = get_config(cfg.model.name, **overrides)
    if config.vocab_size < vocab_size:
        raise ValueError(f"model vocab_size {config.vocab_size} < tokenizer vocabulary {vocab_size}")
    if config.max_seq_len < cfg.data.seq_len:
        raise ValueError(f"model max_seq_len {config.max_seq_len} < data.seq_len {cfg.data.seq_len}")
    return config


def build_model(config: ModelConfig, seed: int, device: torch.device) -> Llama:
    torch.manual_seed(seed)  # the same initial weights on every rank and every run
    return Llama(config).to(device)


def build_optimizer(model: torch.nn.Module, cfg: TrainConfig, device: torch.device,
                    fsdp: bool = False) -> torch.optim.AdamW:
    """AdamW; matrices decay, norm gains do not (GPT-3 / Llama practice). Fused kernels on GPU,
    except over FSDP2's DTensor shards, where the default multi-tensor path is the tested one."""
    decay = [p for p in model.parameters() if p.requires_grad and p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.dim() < 2]
    groups = [{"params": decay, "weight_decay": cfg.optim.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=cfg.optim.lr, betas=(cfg.optim.beta1, cfg.optim.beta2),
                             eps=cfg.optim.eps, fused=device.type == "cuda" and not fsdp)


def _init_tokenizer(ckpt: dict, file: str) -> str | None:
    """The tokenizer of the run a checkpoint came from: its config's path, or the run's OUT/tokenizer."""
    from pathlib import Path

    configured = (ckpt.get("config") or {}).get("tokenizer", {}).get("path") or ""
    for candidate in (configured, str(Path(file).parent.parent / "tokenizer")):
        if candidate and os.path.exists(candidate):
            return tokenizer_file(candidate)
    return None


def load_init_from(path: str) -> tuple[str, dict]:
    """``train.init_from``'s checkpoint file (a step_*.pt, or a run directory: its newest) and content."""
    from model.checkpoint import find_checkpoint
    from train.checkpoint import load

    try:
        file = str(find_checkpoint(path))
    except FileNotFoundError as exc:
        raise ValueError(f"train.init_from {path}: {exc}") from None
    return file, load(file)


def initial_weights(path: str, tokenizer_path: str, config: ModelConfig, vocab_multiple: int,
                    loaded: tuple[str, dict] | None = None) -> dict:
    """``train.init_from``'s model state for a model of ``config``. A checkpoint with a smaller
    vocabulary (a run on the base tokenizer, ``tokenizer.path`` now an extension of it) is grown as
    ``skypile model resize-vocab`` does: new rows from the base rows of each new token's pieces.
    ``loaded``: the checkpoint as :func:`load_init_from` read it."""
    from tokenizers import Tokenizer

    from model.resize import resize_state

    file, ckpt = loaded or load_init_from(path)
    rows = ckpt["model"]["tok_embeddings.weight"].shape[0]
    if rows == config.vocab_size:
        return ckpt["model"]
    base = _init_tokenizer(ckpt, file)
    if rows > config.vocab_size or base is None:
        raise ValueError(f"train.init_from {path}: its embedding has {rows} rows, this run's model "
                         f"{config.vocab_size}" + ("" if base else "; its tokenizer was not found to grow it from"))
    recorded = ckpt.get("fingerprint", {}).get("tokenizer_sha256")
    if recorded and file_sha256(base) != recorded:
        raise ValueError(f"train.init_from {path}: {base} is not the tokenizer that run trained with")
    state, grown, _ = resize_state(ckpt["model"], ModelConfig(**ckpt["model_config"]), Tokenizer.from_file(base),
                                   Tokenizer.from_file(tokenizer_path), vocab_multiple)
    if grown.vocab_size != config.vocab_size:
        raise ValueError(f"train.init_from {path}: grown to {grown.vocab_size} rows, this run's model has "
                         f"{config.vocab_size}")
    return state

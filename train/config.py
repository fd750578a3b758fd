"""Training configuration: dataclasses loaded from YAML, with ``--set key=value`` overrides.

A config file holds any subset of the sections below; unknown keys are an error (a typo must not
fall back to a default silently). Overrides are dotted paths whose value is parsed as YAML
(``--set optim.lr=1e-3``, ``--set mixture.stages.1.tokens=50000``). Nothing is ever executed.
"""
from __future__ import annotations

import copy
import dataclasses
import os
import typing
from dataclasses import dataclass, field
from typing import Any, Union

from skypile_common.settings import check_known_keys, load_yaml_file, parse_assignment


class ConfigError(ValueError):
    """A training config that cannot be used as written."""


@dataclass
class ModelSection:
    name: str = "tiny"  # a model.config.get_config name
    overrides: dict = field(default_factory=dict)  # ModelConfig fields; vocab_size comes from the tokenizer
    # The embedding is padded to a multiple of this (tokens past the tokenizer's vocab are never seen).
    vocab_multiple: int = 64


@dataclass
class TokenizerSection:
    # A directory with tokenizer.json (or the file). Empty: train one on the run's sources into
    # OUT/tokenizer on the first run (reused on resume).
    path: str = ""
    eos_token: Union[str, None] = None
    vocab_size: int = 8192  # only when training one
    max_chars: int = 50_000_000


@dataclass
class SourceSpec:
    glob: str
    # Passes over this source allowed before training stops with a clear error (repetition cap).
    max_epochs: int = 1
    # An optional source whose glob matches nothing is left out of the run, its weights dropped
    # from every stage (e.g. a language the curated output happens not to have).
    optional: bool = False
    # Upsample by MinHash cluster size: {cluster_size: weight} or a preset ("fineweb2"); see train/rehydrate.py.
    rehydrate: Any = None


@dataclass
class DataSection:
    # name -> glob (relative globs are under --data) or {glob: ..., max_epochs: ...}
    sources: dict = field(default_factory=dict)
    seq_len: int = 256
    text_column: str = "text"
    encode_batch: int = 64  # documents tokenized together (tokenizers parallelizes a batch)
    prefetch: int = 2  # steps of batches built ahead on a background thread (0: inline)


@dataclass
class StageSpec:
    name: str
    tokens: int  # token budget of the stage (rounded up to whole optimizer steps)
    # source -> weight, or [start, end] for a weight ramping linearly over the stage.
    weights: dict = field(default_factory=dict)


@dataclass
class MixtureSection:
    seed: int = 0
    stages: list = field(default_factory=list)


@dataclass
class OptimSection:
    """AdamW and Skywork's schedule (technical report, arXiv:2310.19341): AdamW beta (0.9, 0.95),
    weight decay 0.1, clipping 1.0; linear warmup, cosine decay to 10% of the peak, then constant."""

    lr: float = 3e-4
    min_lr_ratio: float = 0.1
    warmup_steps: int = 100
    decay_steps: Union[int, None] = None  # step where the cosine reaches its floor; None: end of stage 1
    beta1: float = 0.9
    beta2: float = 0.95
    eps: float = 1e-8
    weight_decay: float = 0.1
    grad_clip: float = 1.0


@dataclass
class TrainSection:
    micro_batch_size: int = 8
    grad_accum: int = 1
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda
    dtype: str = "auto"  # auto (bf16 autocast on GPU, fp32 on CPU) | bf16 | fp32
    compile: bool = False
    activation_checkpointing: bool = False
    fsdp: bool = False  # FSDP2 (fully_shard) instead of DDP when world size > 1
    threads: int = 0  # torch intra-op threads on CPU (0: torch's default)
    log_every: int = 10
    ckpt_every: int = 500
    keep_checkpoints: int = 3
    peak_tflops: Union[float, None] = None  # per device, for MFU; None: known GPUs only
    progress: bool = True
    # Start a new run from another run's weights (a step_*.pt, or a run directory: its newest):
    # e.g. stage 2 from a finished stage-1 run. Optimizer and data start fresh; a resume wins.
    init_from: str = ""


@dataclass
class EvalSection:
    every: int = 0  # steps between evaluations (0: never)
    # Built-in evaluation (train/evaluate/hook.py), scored as `skypile eval loss`: JSONL files or
    # directories of them (general domain sets, pooled as "average"), and an in-domain probe set
    # NAME=PATH[:field,field] (e.g. gsm8k_test=test.jsonl:question,answer).
    domains: list = field(default_factory=list)
    probe: str = ""
    max_chars: int = 1365  # per text, as `eval loss` (Skywork's 4096 // 3); 0 keeps texts whole
    max_docs: int = 0  # first N texts of each set (0: all)
    batch_size: int = 8
    reference_tokenizer: str = ""  # normalizes the loss; empty: the run's own tokenizer
    text_field: str = "text"
    # Instead: "package.module:factory"; factory(options, tokenizer_path, device) -> fn(model, step) -> dict
    hook: str = ""
    options: dict = field(default_factory=dict)


@dataclass
class TrainConfig:
    model: ModelSection = field(default_factory=ModelSection)
    tokenizer: TokenizerSection = field(default_factory=TokenizerSection)
    data: DataSection = field(default_factory=DataSection)
    mixture: MixtureSection = field(default_factory=MixtureSection)
    optim: OptimSection = field(default_factory=OptimSection)
    train: TrainSection = field(default_factory=TrainSection)
    eval: EvalSection = field(default_factory=EvalSection)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _coerce(value: Any, typ: Any, where: str) -> Any:
    origin = typing.get_origin(typ)
    if origin is Union:
        if value is None and type(None) in typing.get_args(typ):
            return None
        typ = next(t for t in typing.get_args(typ) if t is not type(None))
    if dataclasses.is_dataclass(typ):
        return _build(typ, value, where)
    if typ in (int, float) and isinstance(value, str):
        try:
            value = float(value)  # YAML 1.1 reads 1e-3 and 2e6 (no dot) as strings
        except ValueError:
            pass
    if typ is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if typ is int and isinstance(value, float) and value.is_integer():
        return int(value)  # YAML reads 2e6 as a float
    wrong_bool = isinstance(value, bool) != (typ is bool)
    if typ in (int, float, str, bool) and (wrong_bool or not isinstance(value, typ)):
        raise ConfigError(f"{where}: expected {typ.__name__}, got {value!r}")
    if typ in (dict, list) and not isinstance(value, typ):
        raise ConfigError(f"{where}: expected a {'mapping' if typ is dict else 'list'}, got {value!r}")
    return value


def _build(cls: type, raw: Any, where: str) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where or 'config'}: expected a mapping, got {raw!r}")
    hints = typing.get_type_hints(cls)
    check_known_keys(raw, [f.name for f in dataclasses.fields(cls)], where or "config", ConfigError)
    kwargs = {k: _coerce(v, hints[k], f"{where}.{k}".lstrip(".")) for k, v in raw.items()}
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"{where or 'config'}: {exc}") from exc


def apply_override(raw: dict, assignment: str) -> None:
    """Set ``a.b.c=value`` in ``raw`` (value parsed as YAML); list items are addressed by index."""
    key, value = parse_assignment(assignment, ConfigError)
    parts = key.split(".")
    node: Any = raw
    for i, part in enumerate(parts[:-1]):
        if isinstance(node, list):
            node = node[_index(node, part, key)]
        else:
            node = node.setdefault(part, [] if part == "stages" else {})
    last = parts[-1]
    if isinstance(node, list):
        node[_index(node, last, key)] = value
    else:
        node[last] = value


def _index(node: list, part: str, key: str) -> int:
    if not part.isdigit() or int(part) >= len(node):
        raise ConfigError(f"--set {key}: {part!r} is not an index of a list of {len(node)}")
    return int(part)


def read_raw(path: str | None) -> dict:
    """The YAML mapping of a config file (``{}`` for none); malformed YAML is one ConfigError."""
    if not path:
        return {}
    raw = load_yaml_file(path, ConfigError) or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a training config is a mapping of sections (model, data, mixture, ...)")
    return raw


def check_paths(cfg: "TrainConfig | None", data: str | None) -> None:
    """Before torch is imported: ``--data`` is an existing folder and not a ``skypile curate`` run
    that has not finished (``run.json`` without ``report.json``: its shards are partial or
    absent); ``train.init_from`` and ``tokenizer.path`` exist."""
    if data and not os.path.isdir(data):
        raise ConfigError(f"--data {data}: no such folder")
    if data and os.path.isfile(os.path.join(data, "run.json")) and not os.path.isfile(os.path.join(data, "report.json")):
        raise ConfigError(f"--data {data}: an unfinished `skypile curate` run (run.json, no report.json); "
                          "rerun the same curate command to finish it, then train")
    for key, path in (("train.init_from", cfg.train.init_from), ("tokenizer.path", cfg.tokenizer.path)) if cfg else ():
        if path and not os.path.exists(path):
            raise ConfigError(f"{key} {path}: no such file or folder")


def load_config(path: str | None, overrides: list[str] = ()) -> TrainConfig:
    return config_from_raw(read_raw(path), overrides)


def config_from_raw(raw: dict, overrides: list[str] = ()) -> TrainConfig:
    """A config from a mapping read once (a sweep builds every variant from the same one)."""
    raw = copy.deepcopy(raw)
    for assignment in overrides:
        apply_override(raw, assignment)
    cfg = _build(TrainConfig, raw, "")
    cfg.data.sources = {name: _source(name, spec) for name, spec in cfg.data.sources.items()}
    cfg.mixture.stages = [_build(StageSpec, s, f"mixture.stages.{i}") for i, s in enumerate(cfg.mixture.stages)]
    return cfg


def _source(name: str, spec: Any) -> SourceSpec:
    if isinstance(spec, SourceSpec):
        return spec
    if isinstance(spec, str):
        return SourceSpec(glob=spec)
    return _build(SourceSpec, spec, f"data.sources.{name}")

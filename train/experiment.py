"""Mixture sweeps as one command: Skywork's §5.4-5.5 experiments (arXiv:2310.19341).

``skypile experiment sweep`` trains one variant of a base config per value of each ``--vary
KEY=V1,V2,...`` (several ``--vary`` make a grid; values are YAML, so a value can be a whole
mapping such as a stage's weights), all with the base config's seeds, data order rules and token
budget, each in its own ordinary ``skypile train`` run directory ``OUT/<variant>``. Each finished
variant is scored on the general domain sets (``eval.domains``, pooled as ``average``) and the
in-domain probe (``eval.probe``) by the trainer's evaluator, and the results go to
``OUT/<variant>/result.json``; :mod:`train.experiment_report` then writes the tables, the chart
and the pick.

Resume: a variant with a result is not touched again; an unfinished one resumes from its newest
checkpoint (the trainer's own resume), so a killed sweep continues at the variant it was in.
Variants trained elsewhere can be copied into ``OUT`` and are collected the same way.
Every variant's config is validated before anything trains (an unknown ``--vary`` key, a weight
for a source that does not exist, a bad value: one clear error, exit 2).
"""
from __future__ import annotations

import dataclasses
import itertools
import json
import os
import re
from pathlib import Path

import yaml

from train.config import ConfigError, TrainConfig, config_from_raw, read_raw

SWEEP_FILE = "sweep.json"
RESULT_FILE = "result.json"


@dataclasses.dataclass(frozen=True)
class Vary:
    key: str
    values: tuple

    @classmethod
    def parse(cls, spec: str) -> "Vary":
        """``KEY=V1,V2,...``; the values are read as one YAML flow list (``{a: 1, b: 2}`` is one value)."""
        key, sep, text = spec.partition("=")
        if not sep or not key or not text.strip():
            raise ConfigError(f"--vary expects KEY=V1,V2,..., got {spec!r}")
        try:
            values = yaml.safe_load(f"[{text}]")
        except yaml.YAMLError as exc:
            raise ConfigError(f"--vary {key}: {text!r} is not a list of YAML values ({exc.__class__.__name__})") from exc
        if len({json.dumps(v, sort_keys=True) for v in values}) != len(values):
            raise ConfigError(f"--vary {key}: a value is given twice in {text!r}")
        return cls(key, tuple(values))


@dataclasses.dataclass(frozen=True)
class Variant:
    index: int
    label: str  # e.g. "weights=web:0.9,gsm8k:0.1"
    overrides: tuple  # --set assignments

    @property
    def name(self) -> str:
        """The run directory's name: stable for the same sweep, readable, filesystem-safe."""
        return f"v{self.index}-" + re.sub(r"[^A-Za-z0-9.=-]+", "_", self.label)[:80].strip("_")


def _short(value) -> str:
    if isinstance(value, dict):
        return ",".join(f"{k}:{_short(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "[" + ",".join(_short(v) for v in value) + "]"
    return f"{value:g}" if isinstance(value, float) else str(value)


def variants(varies: list[Vary]) -> list[Variant]:
    """The grid of ``varies`` in order; the first variant (first value of each) is the baseline."""
    if not varies:
        raise ConfigError("give at least one --vary KEY=V1,V2,...")
    keys = [v.key for v in varies]
    if len(set(keys)) != len(keys):
        raise ConfigError(f"--vary names a key twice: {keys}")
    out = []
    for i, combo in enumerate(itertools.product(*(v.values for v in varies))):
        label = " ".join(f"{k.rsplit('.', 1)[-1]}={_short(val)}" for k, val in zip(keys, combo))
        out.append(Variant(i, label, tuple(f"{k}={json.dumps(val)}" for k, val in zip(keys, combo))))
    return out


def validate(cfg: TrainConfig, where: str) -> None:
    """What the trainer would reject at start-up, checked for every variant before any training."""
    from train import build
    from train.mixture import MixtureError

    try:
        build.plan_stages(cfg, 1)
        build.model_config(cfg, 256)
    except (MixtureError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from exc


def run_tokenizer(init_from: str) -> str:
    """The tokenizer of the run that ``init_from`` names (a run directory or one of its checkpoints)."""
    path = Path(init_from)
    run = path.parent.parent if path.is_file() else path
    tokenizer = run / "tokenizer" / "tokenizer.json"
    if not tokenizer.is_file():
        raise ConfigError(f"--init-from {init_from}: no {tokenizer} (set tokenizer.path to the run's tokenizer)")
    return str(tokenizer)


def plan(config: dict, sets: list[str], varies: list[Vary], init_from: str | None) -> tuple[list[str], list[Variant]]:
    """(assignments common to every variant, variants); every variant's config (from the base
    mapping ``config``) validated."""
    common = list(sets)
    if init_from:
        if not os.path.exists(init_from):
            raise ConfigError(f"--init-from {init_from}: no such run or checkpoint")
        common.append(f"train.init_from={json.dumps(os.path.abspath(init_from))}")
    base = config_from_raw(config, common)
    if not base.eval.domains or not base.eval.probe:
        raise ConfigError("a sweep scores every variant on eval.domains (general) and eval.probe (in-domain): "
                          "set both in the config or with --set")
    if not base.tokenizer.path and init_from:
        common.append(f"tokenizer.path={json.dumps(run_tokenizer(init_from))}")
    grid = variants(varies)
    for variant in grid:
        validate(config_from_raw(config, [*common, *variant.overrides]), f"--vary {variant.label}")
    return common, grid


def check_manifest(out: str, spec: dict) -> None:
    """An output folder holds one sweep: refuse to mix in another one's variants."""
    path = os.path.join(out, SWEEP_FILE)
    if not os.path.exists(path):
        return
    with open(path, encoding="utf-8") as f:
        previous = json.load(f).get("spec")
    if previous != spec:
        differ = sorted(k for k in set(spec) | set(previous or {}) if (previous or {}).get(k) != spec.get(k))
        raise ConfigError(f"{out} holds another sweep (it differs in {', '.join(differ)}): give a new --out")


def write_json(path: str, payload: dict) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(payload, f, indent=2, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, path)


def final_scores(cfg: TrainConfig, run_dir: str) -> dict:
    """eval/<set> of the run's last checkpoint: from metrics.jsonl when the hook ran at that step,
    else computed now with the same evaluator."""
    from model.checkpoint import STEP_FILE, find_checkpoint, load_checkpoint
    from train.evaluate.hook import DomainEvaluator
    from train.metrics import read_metrics
    from train.tokenizer import tokenizer_file

    ckpt = find_checkpoint(run_dir)
    step = int(STEP_FILE.fullmatch(ckpt.name).group(1))
    records = read_metrics(os.path.join(run_dir, "metrics.jsonl"))
    last = next((r for r in reversed(records) if r["step"] == step), records[-1])
    scores = {k[len("eval/"):]: v for k, v in last.items() if k.startswith("eval/")}
    if not scores:
        model, _ = load_checkpoint(ckpt)
        tokenizer = cfg.tokenizer.path and tokenizer_file(cfg.tokenizer.path) or os.path.join(run_dir, "tokenizer")
        scores = DomainEvaluator(cfg.eval, tokenizer, model.config.max_seq_len)(model.eval())
    stage = last["stage"]
    return {"step": step, "tokens": last["tokens"], "train_loss": last["loss"], "scores": scores,
            "stage_tokens": last["tokens_per_stage"].get(stage, {})}


def sweep(config: str, data: str | None, out: str, varies: list[Vary], sets: list[str] = (),
          init_from: str | None = None, log=print) -> list[dict]:
    """Train (or collect) every variant into ``out``; returns their results in variant order.

    The config file is read once: editing it while the sweep runs changes nothing (and a rerun
    with the edited file is refused as another sweep)."""
    raw = read_raw(config)
    common, grid = plan(raw, list(sets), varies, init_from)
    spec = {"config": config_from_raw(raw, common).to_dict(), "data": os.path.abspath(data) if data else None,
            "vary": [[v.key, list(v.values)] for v in varies]}
    check_manifest(out, spec)
    os.makedirs(out, exist_ok=True)
    manifest = {"spec": spec, "variants": [{"name": v.name, "label": v.label, "overrides": list(v.overrides)}
                                           for v in grid]}
    write_json(os.path.join(out, SWEEP_FILE), manifest)

    from train import distributed
    from train.loop import train

    env = distributed.init(config_from_raw(raw, common).train.device)
    results = []
    for variant in grid:
        run_dir = os.path.join(out, variant.name)
        result_path = os.path.join(run_dir, RESULT_FILE)
        if os.path.exists(result_path):
            log(f"{variant.name}: finished, not retrained")
            with open(result_path, encoding="utf-8") as f:
                results.append(json.load(f))
            continue
        cfg = config_from_raw(raw, [*common, *variant.overrides])
        log(f"{variant.name}: training ({variant.label})")
        train(cfg, run_dir, data, env)
        result = {"name": variant.name, "label": variant.label, "overrides": list(variant.overrides),
                  "run_dir": run_dir, **final_scores(cfg, run_dir)}
        write_json(result_path, result)
        results.append(result)
    return results

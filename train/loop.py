"""The training loop: AdamW, Skywork's schedule, gradient accumulation, DDP/FSDP2, exact resume.

``train(cfg, out_dir, data_dir)`` resumes from the newest ``OUT/checkpoints/step_*.pt`` when there
is one, so rerunning the same command continues the run; a killed run resumed this way follows
the same loss curve as one never interrupted (bitwise on CPU): the model, optimizer, RNG states and
every source's data position are restored, the mixture sampler and the schedule are pure functions
of the step.

Evaluation hook: ``eval_fn(model, step) -> dict`` (the built-in domain evaluator of
:mod:`train.evaluate.hook` when ``eval.domains``/``eval.probe`` are set, or ``eval.hook``, a
``"module:factory"`` path called as ``factory(options, tokenizer_path, device)``) runs every
``eval.every`` steps on every rank (so FSDP-sharded models work) with the model in eval mode and
no grad; rank 0's metrics are logged with an ``eval/`` prefix in that step's metrics.jsonl line.
"""
from __future__ import annotations

import contextlib
import dataclasses
import importlib
import json
import math
import os
import sys
import time
from typing import Callable

import torch
import torch.nn.functional as F
import yaml
from tqdm import tqdm

from model.flops import flops_per_token
from model.parallelize import parallelize, unwrap
from train import build, checkpoint, rehydrate, state
from train.config import TrainConfig
from train.continue_data import continue_sources
from train.distributed import DistEnv, all_gather_objects, all_reduce_sum, barrier
from train.metrics import MetricsLog, peak_flops
from train.mixture import stage_at, weights_at
from train.prefetch import Prefetcher, snapshot
from train.schedule import lr_at

EvalFn = Callable[[torch.nn.Module, int], dict]


def load_eval_hook(cfg: TrainConfig, tokenizer_path: str, device: torch.device, context: int) -> EvalFn | None:
    """``eval.hook`` if set, else the built-in domain evaluator when ``eval.domains``/``eval.probe`` are set."""
    if not cfg.eval.hook:
        if cfg.eval.every > 0 and (cfg.eval.domains or cfg.eval.probe):
            from train.evaluate.hook import DomainEvaluator

            return DomainEvaluator(cfg.eval, tokenizer_path, context)
        return None
    module_name, _, attr = cfg.eval.hook.partition(":")
    factory = getattr(importlib.import_module(module_name), attr or "make_eval_hook")
    return factory(cfg.eval.options, tokenizer_path, device)


@dataclasses.dataclass
class _Window:
    """Per-source loss and token sums since the last log line, and when that window began."""

    loss: torch.Tensor
    tokens: torch.Tensor
    start: float = dataclasses.field(default_factory=time.perf_counter)

    def reset(self) -> None:
        self.loss.zero_()
        self.tokens.zero_()
        self.start = time.perf_counter()


class Trainer:
    def __init__(self, cfg: TrainConfig, out_dir: str, data_dir: str | None, env: DistEnv,
                 eval_fn: EvalFn | None = None):
        self.cfg, self.out_dir, self.env = cfg, out_dir, env
        if cfg.train.threads > 0:
            torch.set_num_threads(cfg.train.threads)
        os.makedirs(out_dir, exist_ok=True)
        indexes = build.index_sources(cfg, data_dir)
        self.stages = build.plan_stages(cfg, env.world_size, list(indexes))
        self.total_steps = self.stages[-1].end_step
        self.tokenizer_path = build.ensure_tokenizer(cfg, out_dir, env, indexes, self.stages)
        self.loader = build.build_loader(cfg, env, indexes, self.stages, self.tokenizer_path)
        self.fingerprint = build.fingerprint(cfg, env, indexes, self.tokenizer_path)
        vocab = self.loader.packers[next(iter(self.loader.packers))].tokenizer.get_vocab_size()
        self.model_config = build.model_config(cfg, vocab)
        llama = build.build_model(self.model_config, cfg.train.seed, env.device)
        gpu = env.device.type == "cuda"
        dtype = cfg.train.dtype if cfg.train.dtype != "auto" else ("bf16" if gpu else "fp32")
        self.fsdp = cfg.train.fsdp and env.distributed
        self.model = parallelize(
            llama, compile=cfg.train.compile, activation_checkpointing=cfg.train.activation_checkpointing,
            fsdp=self.fsdp, ddp=env.distributed and not self.fsdp,
            fsdp_param_dtype=torch.bfloat16 if self.fsdp and dtype == "bf16" else None)
        # Under FSDP the mixed-precision policy casts; elsewhere bf16 is autocast (float32 master weights).
        self.autocast = dtype == "bf16" and not self.fsdp
        self.optimizer = build.build_optimizer(self.model, cfg, env.device, self.fsdp)
        self.decay_steps = cfg.optim.decay_steps if cfg.optim.decay_steps is not None else self.stages[0].end_step
        self.flops_per_token = flops_per_token(self.model_config, cfg.data.seq_len)
        name = torch.cuda.get_device_name(env.device) if gpu else "cpu"
        self.peak = peak_flops(name, cfg.train.peak_tflops)
        self.log = MetricsLog(os.path.join(out_dir, "metrics.jsonl"), enabled=env.is_main)
        self.eval_fn = eval_fn or load_eval_hook(cfg, self.tokenizer_path, env.device, self.model_config.max_seq_len)
        if env.is_main:  # the resolved configuration beside the results, for the record
            with open(os.path.join(out_dir, "config.yaml"), "w", encoding="utf-8") as f:
                yaml.safe_dump(cfg.to_dict(), f, sort_keys=False, allow_unicode=True)
        self.step = 0
        self.data = snapshot(self.loader)  # loader state after the last step taken (what a checkpoint saves)

    def plan(self) -> str:
        """What this run will do: model, batch, sources, stages in steps, schedule."""
        cfg, loader = self.cfg, self.loader
        lines = [f"model {cfg.model.name}: {sum(p.numel() for p in unwrap(self.model).parameters()):,} parameters, "
                 f"vocab {self.model_config.vocab_size}, seq_len {cfg.data.seq_len}; {loader.tokens_per_step:,} tokens "
                 f"a step ({cfg.train.micro_batch_size} x {cfg.train.grad_accum} accumulation x {self.env.world_size} "
                 f"rank(s)); tokenizer {self.tokenizer_path}"]
        for name, packer in sorted(loader.packers.items()):
            index = packer.stream.index
            lines.append(f"source {name}: {len(index.files)} file(s), {len(index.units)} row group(s), "
                         f"{index.num_rows:,} documents, max_epochs {packer.stream.max_epochs}")
            if packer.stream.rehydration:
                lines.append(rehydrate.plan_line(packer.stream, packer.tokenizer))
        for stage in self.stages:
            weights = " ".join(f"{s} {a:g}" if a == b else f"{s} {a:g}->{b:g}" for s, (a, b) in stage.weights.items())
            lines.append(f"stage {stage.name}: steps {stage.start_step}-{stage.end_step - 1} "
                         f"({stage.num_steps * loader.tokens_per_step:,} tokens): {weights}")
        lines.append(f"lr: peak {cfg.optim.lr:g}, warmup {cfg.optim.warmup_steps} steps, cosine to "
                     f"{cfg.optim.lr * cfg.optim.min_lr_ratio:g} at step {self.decay_steps}, then constant")
        return "\n".join(lines)

    # -- checkpoints -------------------------------------------------------------------------
    def save(self) -> None:
        model_state, optim_state = state.full_state(self.model, self.optimizer, self.fsdp)  # collective (FSDP)
        rng = all_gather_objects(self.env, state.rng_state(self.env.device))
        data = all_gather_objects(self.env, self.data["state"])
        if self.env.is_main:
            payload = {"model": model_state, "model_config": dataclasses.asdict(self.model_config),
                       "optimizer": optim_state, "step": self.step,
                       "rng": rng, "data": data, "fingerprint": self.fingerprint,
                       "config": json.loads(json.dumps(self.cfg.to_dict())), "world_size": self.env.world_size}
            checkpoint.save_atomic(payload, checkpoint.checkpoint_path(self.out_dir, self.step))
            stage_ends = {s.end_step for s in self.stages}
            checkpoint.prune(self.out_dir, self.cfg.train.keep_checkpoints, protect=stage_ends)
        barrier(self.env)

    def resume(self) -> bool:
        path = checkpoint.latest_checkpoint(self.out_dir)
        if path is None:
            return False
        ckpt = checkpoint.load(path)
        checkpoint.check_fingerprint(ckpt["fingerprint"], json.loads(json.dumps(self.fingerprint)), path)
        state.load_full_state(self.model, ckpt["model"], self.fsdp, self.optimizer, ckpt["optimizer"])
        state.set_rng_state(ckpt["rng"][self.env.rank], self.env.device)
        self.loader.load_state(ckpt["data"][self.env.rank])
        self.data = snapshot(self.loader)
        self.step = ckpt["step"]
        self.log.truncate_after(self.step)
        return True

    def init_weights_from(self, path: str) -> None:
        """The weights of ``train.init_from``, and its data order where this run reads the same
        sources (:mod:`train.continue_data`): stage 2 does not re-read what stage 1 saw."""
        loaded = build.load_init_from(path)
        weights = build.initial_weights(path, self.tokenizer_path, self.model_config, self.cfg.model.vocab_multiple,
                                        loaded)
        state.load_full_state(self.model, weights, self.fsdp)
        continued = continue_sources(self.loader, loaded[1], json.loads(json.dumps(self.fingerprint)), loaded[0])
        if continued and self.env.is_main:
            print(f"skypile train: {', '.join(continued)} continue(s) the data order of {loaded[0]}", file=sys.stderr)
        self.data = snapshot(self.loader)

    # -- one optimizer step -------------------------------------------------------------------
    def train_step(self, sources: list[str], batches: list) -> tuple[torch.Tensor, torch.Tensor, float]:
        """Forward/backward over the micro-batches; returns per-source loss sums and token counts."""
        device, accum = self.env.device, self.cfg.train.grad_accum
        loss_sum = torch.zeros(len(sources), dtype=torch.float64, device=device)
        token_count = torch.zeros(len(sources), dtype=torch.float64, device=device)
        slot = {s: i for i, s in enumerate(sources)}
        for micro, (batch, batch_sources) in enumerate(batches):
            tokens = torch.from_numpy(batch).to(device, non_blocking=True)
            x, y = tokens[:, :-1], tokens[:, 1:]
            last = micro == accum - 1
            sync = contextlib.nullcontext()
            if self.env.distributed and not self.fsdp and not last:
                sync = self.model.no_sync()
            elif self.fsdp:
                self.model.set_requires_gradient_sync(last)
            autocast = torch.autocast(device.type, dtype=torch.bfloat16) if self.autocast else contextlib.nullcontext()
            with sync:
                with autocast:
                    logits = self.model(x)
                per_token = F.cross_entropy(logits.float().flatten(0, 1), y.flatten(), reduction="none")
                per_token = per_token.view(y.shape)
                (per_token.mean() / accum).backward()
            index = torch.tensor([slot[s] for s in batch_sources], device=device)
            loss_sum.index_add_(0, index, per_token.detach().sum(1).double())
            token_count.index_add_(0, index, torch.full_like(index, y.shape[1], dtype=torch.float64))
        grad_norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.optim.grad_clip)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        return loss_sum, token_count, float(grad_norm)

    def run(self) -> dict:
        cfg, env = self.cfg, self.env
        resumed = self.resume()
        if not resumed and cfg.train.init_from:
            self.init_weights_from(cfg.train.init_from)
        sources = sorted(self.loader.packers)
        bar = tqdm(total=self.total_steps, initial=self.step, disable=not (env.is_main and cfg.train.progress),
                   desc="train", unit="step", dynamic_ncols=True)
        window = _Window(torch.zeros(len(sources), dtype=torch.float64, device=env.device),
                         torch.zeros(len(sources), dtype=torch.float64, device=env.device))
        last: dict = {"step": self.step, "resumed": resumed, "complete": self.step >= self.total_steps}
        prefetcher = Prefetcher(self.loader, self.step, self.total_steps, cfg.data.prefetch)
        try:
            last = self._loop(prefetcher, sources, window, bar) or last
        finally:
            prefetcher.close()
            bar.close()
        return last

    def _loop(self, prefetcher: Prefetcher, sources: list[str], window: _Window, bar: tqdm) -> dict | None:
        cfg, last = self.cfg, None
        while self.step < self.total_steps:
            lr = lr_at(self.step, cfg.optim.lr, cfg.optim.warmup_steps, self.decay_steps, cfg.optim.min_lr_ratio)
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            self.model.train()
            batches, self.data = prefetcher.get(self.step)
            loss_sum, token_count, grad_norm = self.train_step(sources, batches)
            window.loss += loss_sum
            window.tokens += token_count
            self.step += 1
            bar.update(1)
            evaluate = cfg.eval.every > 0 and self.eval_fn is not None and self.step % cfg.eval.every == 0
            stage_end = any(self.step == s.end_step for s in self.stages)
            if self.step % cfg.train.log_every == 0 or evaluate or stage_end or self.step == self.total_steps:
                last = self._log(sources, window, lr, grad_norm, bar)
                if evaluate:
                    self._evaluate(last)
                self.log.write(last)
            if self.step % cfg.train.ckpt_every == 0 or stage_end or self.step == self.total_steps:
                self.save()
        return last

    def _log(self, sources: list[str], window: _Window, lr: float, grad_norm: float, bar: tqdm) -> dict:
        loss_sum = all_reduce_sum(self.env, window.loss.clone()).tolist()
        tokens = all_reduce_sum(self.env, window.tokens.clone()).tolist()
        elapsed = time.perf_counter() - window.start
        tokens_per_sec = sum(tokens) / max(elapsed, 1e-9)
        stage = self.stages[stage_at(self.stages, self.step - 1)]
        record = {
            "step": self.step, "tokens": self.step * self.loader.tokens_per_step,
            "loss": sum(loss_sum) / max(sum(tokens), 1), "lr": lr, "grad_norm": grad_norm, "stage": stage.name,
            "weights": weights_at(stage, self.step - 1),
            "tokens_per_source": self.data["tokens_by_source"],
            "tokens_per_stage": self.data["state"]["realized"],
            "loss_per_source": {s: loss_sum[i] / tokens[i] for i, s in enumerate(sources) if tokens[i]},
            "epochs": self.data["epochs"], **({"rehydration": self.data["rehydration"]} if self.data["rehydration"] else {}),
            "tokens_per_sec": tokens_per_sec,
            "mfu": (tokens_per_sec * self.flops_per_token / (self.peak * self.env.world_size)) if self.peak else None,
        }
        if not math.isfinite(record["loss"]):
            # Stop before a checkpoint stores weights that gave a non-finite loss.
            raise FloatingPointError(f"training loss is {record['loss']} at step {self.step}; resume from "
                                     f"{checkpoint.latest_checkpoint(self.out_dir)} with a lower optim.lr")
        bar.set_postfix(loss=f"{record['loss']:.3f}", tok_s=f"{tokens_per_sec:,.0f}", stage=stage.name)
        window.reset()
        return record

    def _evaluate(self, record: dict) -> None:
        model = unwrap(self.model)
        model.eval()
        with torch.no_grad():
            results = self.eval_fn(model, self.step) or {}
        record.update({f"eval/{k}": v for k, v in results.items()})
        self.model.train()


def train(cfg: TrainConfig, out_dir: str, data_dir: str | None, env: DistEnv, eval_fn: EvalFn | None = None,
          dry_run: bool = False) -> dict:
    """Train (or resume) the run in ``out_dir``; returns the last logged metrics record.

    The plan goes to stderr first (rank 0); ``dry_run`` stops there and writes nothing into
    ``out_dir``: a tokenizer the plan needs is trained in a scratch folder (deleted after)."""
    if dry_run:
        import shutil
        import tempfile

        with tempfile.TemporaryDirectory(prefix="skypile-dry-run-") as scratch:
            kept = os.path.join(out_dir, "tokenizer")
            if os.path.isfile(os.path.join(kept, "tokenizer.json")):  # a resumed run's own tokenizer
                shutil.copytree(kept, os.path.join(scratch, "tokenizer"))
            trainer = Trainer(cfg, scratch, data_dir, env, eval_fn)
            if env.is_main:
                print(trainer.plan().replace(scratch, out_dir), file=sys.stderr, flush=True)
            return {"step": 0, "total_steps": trainer.total_steps}
    trainer = Trainer(cfg, out_dir, data_dir, env, eval_fn)
    if env.is_main:
        print(trainer.plan(), file=sys.stderr, flush=True)
    return trainer.run()

"""Tokenize on the fly, pack to ``seq_len`` with EOS separators, and mix sources per sequence.

Each source has a :class:`Packer`: its documents (from a :class:`~train.shards.DocStream`) are
tokenized a batch at a time, each followed by EOS, and concatenated; a sequence is the next
``seq_len + 1`` tokens (inputs and shifted targets), so documents flow across sequence borders
and no token is padding. :class:`MixtureLoader` builds each optimizer step's micro-batches: the
sampler names the source of every sequence, the source's packer fills it.

Why on the fly rather than pre-tokenized arrays: the loader is measured at many times what
training consumes (bench/README.md "Trainer"), shards stay the one copy of the corpus, a new
tokenizer or mixture needs no preprocessing pass, and the exact data position is a document index
plus a token offset. No torch here: batches are numpy arrays.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from train.mixture import Sampler, Stage, stage_at
from train.rehydrate import repetitions
from train.shards import DocStream


class Packer:
    """One source's token stream, cut into sequences of a fixed length."""

    def __init__(self, stream: DocStream, tokenizer: Any, eos_id: int, encode_batch: int = 64):
        self.stream, self.tokenizer, self.eos_id, self.encode_batch = stream, tokenizer, eos_id, encode_batch
        self.batch_state = stream.state()  # stream position before the batch in ``docs``
        self.docs: list[np.ndarray] = []
        self.doc = 0  # index in ``docs`` of the document being consumed
        self.offset = 0  # tokens of that document already consumed

    def _refill(self) -> None:
        self.batch_state = self.stream.state()
        texts = self.stream.next_texts(self.encode_batch)
        encodings = self.tokenizer.encode_batch(texts, add_special_tokens=False)
        eos = np.array([self.eos_id], dtype=np.int64)
        self.docs = [np.concatenate([np.asarray(e.ids, dtype=np.int64), eos]) for e in encodings]
        self.doc, self.offset = 0, 0

    def next_sequence(self, length: int) -> np.ndarray:
        out = np.empty(length, dtype=np.int64)
        filled = 0
        while filled < length:
            if self.doc >= len(self.docs):
                self._refill()
            tokens = self.docs[self.doc]
            take = min(length - filled, len(tokens) - self.offset)
            out[filled: filled + take] = tokens[self.offset: self.offset + take]
            filled += take
            self.offset += take
            if self.offset >= len(tokens):
                self.doc, self.offset = self.doc + 1, 0
        return out

    def state(self) -> dict:
        return {"stream": dict(self.batch_state), "batch_docs": len(self.docs), "doc": self.doc,
                "offset": self.offset}

    def load_state(self, state: dict) -> None:
        """Re-read the batch in use at save time and skip what was consumed: the next token is exact."""
        self.stream.load_state(state["stream"])
        self.docs, self.doc, self.offset = [], 0, 0
        if state["batch_docs"]:
            self._refill()
            if len(self.docs) != state["batch_docs"]:
                raise ValueError(f"source {self.stream.index.name!r}: the data changed since the checkpoint "
                                 f"(a batch had {state['batch_docs']} documents, now {len(self.docs)})")
            self.doc, self.offset = state["doc"], state["offset"]


class MixtureLoader:
    """Micro-batches of ``[micro_batch, seq_len + 1]`` token ids for each optimizer step, in order.

    Sequence ``g = ((step * grad_accum + micro) * world_size + rank) * micro_batch + row`` is drawn
    from ``sampler.source_of(step, g)``; every rank computes the draws of all ranks to count the
    realized tokens per source and stage without communication.
    """

    def __init__(self, packers: dict[str, Packer], stages: list[Stage], sampler: Sampler, seq_len: int,
                 micro_batch: int, grad_accum: int, rank: int = 0, world_size: int = 1):
        self.packers, self.stages, self.sampler = packers, stages, sampler
        self.seq_len, self.micro_batch, self.grad_accum = seq_len, micro_batch, grad_accum
        self.rank, self.world = rank, world_size
        self.next_step = 0
        self.realized: dict[str, dict[str, int]] = {s.name: {} for s in stages}

    @property
    def sequences_per_step(self) -> int:
        return self.micro_batch * self.grad_accum * self.world

    @property
    def tokens_per_step(self) -> int:
        return self.sequences_per_step * self.seq_len

    def step_batches(self, step: int) -> list[tuple[np.ndarray, list[str]]]:
        """The ``grad_accum`` micro-batches of this rank for ``step`` (steps must come in order)."""
        if step != self.next_step:
            raise ValueError(f"loader is at step {self.next_step}, asked for step {step}")
        per_step, base = self.sequences_per_step, step * self.sequences_per_step
        counts = self.realized[self.stages[stage_at(self.stages, step)].name]
        for g in range(base, base + per_step):
            src = self.sampler.source_of(step, g)
            counts[src] = counts.get(src, 0) + self.seq_len
        out = []
        for micro in range(self.grad_accum):
            first = ((step * self.grad_accum + micro) * self.world + self.rank) * self.micro_batch
            sources = [self.sampler.source_of(step, first + b) for b in range(self.micro_batch)]
            rows = [self.packers[s].next_sequence(self.seq_len + 1) for s in sources]
            out.append((np.stack(rows), sources))
        self.next_step = step + 1
        return out

    def tokens_by_source(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for counts in self.realized.values():
            for src, n in counts.items():
                total[src] = total.get(src, 0) + n
        return dict(sorted(total.items()))

    def rehydration(self) -> dict[str, dict[str, float]]:
        """Realized copies per document per epoch by cluster-size bucket, of each rehydrated source
        (this rank's documents)."""
        return {name: repetitions(p.stream.rehydrated, p.stream.passes)
                for name, p in sorted(self.packers.items()) if p.stream.rehydration}

    def epochs(self) -> dict[str, float]:
        return {name: round(p.stream.epochs_done(), 4) for name, p in sorted(self.packers.items())}

    def state(self) -> dict:
        return {"next_step": self.next_step, "packers": {n: p.state() for n, p in self.packers.items()},
                "realized": {k: dict(v) for k, v in self.realized.items()}}

    def load_state(self, state: dict) -> None:
        self.next_step = state["next_step"]
        self.realized = {s.name: dict(state["realized"].get(s.name, {})) for s in self.stages}
        for name, packer in self.packers.items():
            packer.load_state(state["packers"][name])

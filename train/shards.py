"""Streaming documents of one source from Parquet shards, sharded across ranks, resumable.

A source is a glob of Parquet files; its unit of reading is one row group, so memory holds at most
one row group's text column (curated shards write 10,000 rows per group). Each epoch visits the
row groups in a seeded order and the rows of a group in a seeded order; document ``j`` of the
epoch (counting over all ranks) goes to rank ``j % world_size``. Striding documents rather than
row groups keeps every rank busy on small sources (one row group) at the cost of each rank
decoding every group's text column; only its own documents are tokenized.

The position is three integers (epoch, unit, row): the next document this rank reads. Only the
Parquet footers are read up front (row counts), so the index of a large source is cheap.

A rehydrated source (:mod:`train.rehydrate`) reads each epoch as several passes (``epoch`` then
counts passes) and skips, in each pass, the documents its stateless draw does not take; the
position keeps the same three integers, plus the realized copies per cluster-size bucket.
"""
from __future__ import annotations

import glob
import os
import random
from dataclasses import dataclass

import pyarrow.parquet as pq

from train.rehydrate import SIZE_COLUMN, Rehydration, pass_seed, taken


class DataError(ValueError):
    """A source that cannot be read as configured (no files, no rows, exhausted)."""


@dataclass(frozen=True)
class SourceIndex:
    name: str
    files: tuple[str, ...]
    units: tuple[tuple[int, int, int], ...]  # (file index, row group, num rows)

    @property
    def num_rows(self) -> int:
        return sum(u[2] for u in self.units)

    def describe(self) -> dict:
        """What identifies this source's data for resume checks (names and row counts, not paths)."""
        return {"files": [os.path.basename(f) for f in self.files], "rows": self.num_rows,
                "row_groups": len(self.units)}


def index_source(name: str, pattern: str, columns: list[str] = ()) -> SourceIndex:
    """The row groups of the files ``pattern`` matches; each file must hold ``columns`` too."""
    files = sorted(glob.glob(pattern, recursive=True))
    if not files:
        raise DataError(f"source {name!r}: glob {pattern!r} matches no files")
    units = []
    for i, f in enumerate(files):
        try:
            parquet = pq.ParquetFile(f)
            meta = parquet.metadata
        except Exception as exc:  # noqa: BLE001 - any unreadable footer is reported with its path
            raise DataError(f"source {name!r}: cannot read Parquet footer of {f}: {exc}") from exc
        missing = [c for c in columns if c not in parquet.schema_arrow.names]
        if missing:
            raise DataError(f"source {name!r}: {f} has no column {missing[0]!r} (rehydrate needs the cluster sizes "
                            f"that curate's MinHash dedup writes)")
        units += [(i, rg, meta.row_group(rg).num_rows) for rg in range(meta.num_row_groups)
                  if meta.row_group(rg).num_rows > 0]
    if not units:
        raise DataError(f"source {name!r}: {len(files)} file(s) but no rows")
    return SourceIndex(name, tuple(files), tuple(units))


def _rng(seed: int, *parts: object) -> random.Random:
    # str seeds hash with SHA-512 inside random.seed: stable across processes and Python runs.
    return random.Random("/".join(str(p) for p in (seed, *parts)))


class DocStream:
    """The documents of one source that belong to ``rank``, in a seeded order, epoch after epoch."""

    def __init__(self, index: SourceIndex, seed: int, rank: int, world_size: int, max_epochs: int,
                 text_column: str = "text", rehydration: Rehydration | None = None):
        self.index, self.seed, self.rank, self.world = index, seed, rank, world_size
        self.max_epochs, self.text_column = max_epochs, text_column
        self.rehydration = rehydration
        self.passes = rehydration.passes if rehydration else 1  # reads of the documents per epoch
        self.epoch, self.unit, self.row = 0, 0, 0
        self.empty_docs = 0
        self.rehydrated: dict[str, dict[str, int]] = {}  # bucket -> documents seen, copies taken
        self._order: tuple[int, list[int], list[int]] | None = None  # (epoch, unit order, row offsets)
        # ((epoch, unit), rows, (bucket, taken) per row when rehydrating)
        self._loaded: tuple[tuple[int, int], list[str | None], list[tuple[str, bool]]] | None = None
        self._unit_start = [0]  # index of each unit's first document in the source (index order)
        for unit in index.units:
            self._unit_start.append(self._unit_start[-1] + unit[2])

    def state(self) -> dict:
        state = {"epoch": self.epoch, "unit": self.unit, "row": self.row, "empty_docs": self.empty_docs}
        if self.rehydration:
            state["rehydrated"] = {b: dict(c) for b, c in self.rehydrated.items()}
        return state

    def load_state(self, state: dict) -> None:
        self.epoch, self.unit, self.row = state["epoch"], state["unit"], state["row"]
        self.empty_docs = state.get("empty_docs", 0)
        self.rehydrated = {b: dict(c) for b, c in state.get("rehydrated", {}).items()}

    @property
    def max_passes(self) -> int:
        return self.max_epochs * self.passes

    def epochs_done(self) -> float:
        """Epochs over the source so far, counted in documents (this rank reads 1/world of each)."""
        if self.epoch >= self.max_passes:
            return float(self.epoch) / self.passes
        before = self._unit_order()[1][self.unit]
        return (self.epoch + min((before + self.row * self.world) / self.index.num_rows, 1.0)) / self.passes

    def _unit_order(self) -> tuple[list[int], list[int]]:
        """This epoch's unit order and, per position, the documents before it (rank striding)."""
        if self._order is None or self._order[0] != self.epoch:
            order = list(range(len(self.index.units)))
            _rng(self.seed, self.index.name, self.epoch).shuffle(order)
            offsets, total = [], 0
            for u in order:
                offsets.append(total)
                total += self.index.units[u][2]
            self._order = (self.epoch, order, offsets)
        return self._order[1], self._order[2]

    def _rows(self) -> tuple[list[str | None], list[tuple[str, bool]]]:
        """This rank's texts of the current unit, in the epoch's seeded row order (and, rehydrating,
        each row's bucket and whether this pass takes it)."""
        key = (self.epoch, self.unit)
        if self._loaded is None or self._loaded[0] != key:
            order, offsets = self._unit_order()
            file_i, rg, n = self.index.units[order[self.unit]]
            # Offset of this unit in the epoch's document numbering decides which rows are ours.
            offset = offsets[self.unit]
            perm = list(range(n))
            _rng(self.seed, self.index.name, self.epoch, order[self.unit]).shuffle(perm)
            mine = [perm[j] for j in range((self.rank - offset) % self.world, n, self.world)]
            texts, draws = [], []
            if mine:
                columns = [self.text_column] + ([SIZE_COLUMN] if self.rehydration else [])
                table = pq.ParquetFile(self.index.files[file_i]).read_row_group(rg, columns=columns).take(mine)
                texts = table.column(0).to_pylist()
                if self.rehydration:
                    seed, start = pass_seed(self.seed, self.index.name, self.epoch), self._unit_start[order[self.unit]]
                    buckets = [self.rehydration.bucket(s) for s in table.column(1).to_pylist()]
                    draws = [(str(b), taken(self.rehydration, seed, start + j, b)) for b, j in zip(buckets, mine)]
            self._loaded = (key, texts, draws)
        return self._loaded[1], self._loaded[2]

    def next_texts(self, n: int) -> list[str]:
        """Up to ``n`` next non-empty texts of this rank (fewer at a unit's end; never zero)."""
        out: list[str] = []
        while not out:
            if self.epoch >= self.max_passes:
                raise DataError(
                    f"source {self.index.name!r} is exhausted: {self.max_epochs} epoch(s) of "
                    f"{self.index.num_rows} documents used (raise data.sources.{self.index.name}.max_epochs "
                    f"to allow more repetition, or lower the stage token budgets)")
            rows, draws = self._rows()
            first = self.row
            take = rows[first: first + n]
            self.row += len(take)
            for j, text in enumerate(take, first):
                if not text:
                    self.empty_docs += 1
                elif not draws:
                    out.append(text)
                else:
                    bucket, chosen = draws[j]
                    counts = self.rehydrated.setdefault(bucket, {"docs": 0, "copies": 0})
                    counts["docs"] += 1
                    if chosen:
                        counts["copies"] += 1
                        out.append(text)
            if self.row >= len(rows):
                self.unit, self.row = self.unit + 1, 0
                if self.unit >= len(self.index.units):
                    self.epoch, self.unit = self.epoch + 1, 0
        return out

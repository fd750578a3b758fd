"""Streaming documents of one source from Parquet shards, sharded across ranks, resumable.

A source is a glob of Parquet files; its unit of reading is one row group, so memory holds at most
one row group's text column (curated shards write 10,000 rows per group). Each epoch visits the
row groups in a seeded order and the rows of a group in a seeded order; document ``j`` of the
epoch (counting over all ranks) goes to rank ``j % world_size``. Striding documents rather than
row groups keeps every rank busy on small sources (one row group) at the cost of each rank
decoding every group's text column; only its own documents are tokenized.

The position is three integers (epoch, unit, row): the next document this rank reads. Only the
Parquet footers are read up front (row counts), so the index of a large source is cheap.
"""
from __future__ import annotations

import glob
import os
import random
from dataclasses import dataclass

import pyarrow.parquet as pq


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


def index_source(name: str, pattern: str) -> SourceIndex:
    files = sorted(glob.glob(pattern, recursive=True))
    if not files:
        raise DataError(f"source {name!r}: glob {pattern!r} matches no files")
    units = []
    for i, f in enumerate(files):
        try:
            meta = pq.ParquetFile(f).metadata
        except Exception as exc:  # noqa: BLE001 - any unreadable footer is reported with its path
            raise DataError(f"source {name!r}: cannot read Parquet footer of {f}: {exc}") from exc
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
                 text_column: str = "text"):
        self.index, self.seed, self.rank, self.world = index, seed, rank, world_size
        self.max_epochs, self.text_column = max_epochs, text_column
        self.epoch, self.unit, self.row = 0, 0, 0
        self.empty_docs = 0
        self._order: tuple[int, list[int], list[int]] | None = None  # (epoch, unit order, row offsets)
        self._loaded: tuple[tuple[int, int], list[str | None]] | None = None  # ((epoch, unit), rows)

    def state(self) -> dict:
        return {"epoch": self.epoch, "unit": self.unit, "row": self.row, "empty_docs": self.empty_docs}

    def load_state(self, state: dict) -> None:
        self.epoch, self.unit, self.row = state["epoch"], state["unit"], state["row"]
        self.empty_docs = state.get("empty_docs", 0)

    def epochs_done(self) -> float:
        """Passes over the source so far, counted in documents (this rank reads 1/world of each)."""
        if self.epoch >= self.max_epochs:
            return float(self.epoch)
        before = self._unit_order()[1][self.unit]
        return self.epoch + min((before + self.row * self.world) / self.index.num_rows, 1.0)

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

    def _rows(self) -> list[str | None]:
        """This rank's texts of the current unit, in the epoch's seeded row order."""
        key = (self.epoch, self.unit)
        if self._loaded is None or self._loaded[0] != key:
            order, offsets = self._unit_order()
            file_i, rg, n = self.index.units[order[self.unit]]
            # Offset of this unit in the epoch's document numbering decides which rows are ours.
            offset = offsets[self.unit]
            perm = list(range(n))
            _rng(self.seed, self.index.name, self.epoch, order[self.unit]).shuffle(perm)
            mine = [perm[j] for j in range((self.rank - offset) % self.world, n, self.world)]
            texts = []
            if mine:
                table = pq.ParquetFile(self.index.files[file_i]).read_row_group(rg, columns=[self.text_column])
                texts = table.column(0).take(mine).to_pylist()
            self._loaded = (key, texts)
        return self._loaded[1]

    def next_texts(self, n: int) -> list[str]:
        """Up to ``n`` next non-empty texts of this rank (fewer at a unit's end; never zero)."""
        out: list[str] = []
        while not out:
            if self.epoch >= self.max_epochs:
                raise DataError(
                    f"source {self.index.name!r} is exhausted: {self.max_epochs} epoch(s) of "
                    f"{self.index.num_rows} documents used (raise data.sources.{self.index.name}.max_epochs "
                    f"to allow more repetition, or lower the stage token budgets)")
            rows = self._rows()
            take = rows[self.row: self.row + n]
            self.row += len(take)
            for text in take:
                if text:
                    out.append(text)
                else:
                    self.empty_docs += 1
            if self.row >= len(rows):
                self.unit, self.row = self.unit + 1, 0
                if self.unit >= len(self.index.units):
                    self.epoch, self.unit = self.epoch + 1, 0
        return out

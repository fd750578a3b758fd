"""Build the next steps' batches on a background thread, so reading and tokenizing overlap compute.

The loader is used by the worker thread alone and produces steps strictly in order, so the data
are the same as without prefetching. Each step comes with a snapshot of the loader's state *after*
that step: the checkpoint of step ``s`` saves the snapshot of step ``s``, not the position the
worker has run ahead to. Parquet decoding and ``tokenizers.encode_batch`` release the GIL.
"""
from __future__ import annotations

import queue
import threading

from train.data import MixtureLoader


def snapshot(loader: MixtureLoader) -> dict:
    return {"state": loader.state(), "tokens_by_source": loader.tokens_by_source(), "epochs": loader.epochs(),
            "rehydration": loader.rehydration()}


class Prefetcher:
    def __init__(self, loader: MixtureLoader, start_step: int, end_step: int, depth: int = 2):
        self.loader, self.depth = loader, depth
        self._stop = threading.Event()
        self._queue: queue.Queue = queue.Queue(maxsize=max(depth, 1))
        self._thread = None
        if depth > 0:
            self._thread = threading.Thread(target=self._work, args=(start_step, end_step), daemon=True,
                                            name="skypile-prefetch")
            self._thread.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _work(self, start: int, end: int) -> None:
        try:
            for step in range(start, end):
                if not self._put((step, self.loader.step_batches(step), snapshot(self.loader))):
                    return
        except BaseException as exc:  # noqa: BLE001 - re-raised in the training thread
            self._put(exc)

    def get(self, step: int):
        """The micro-batches of ``step`` and the loader snapshot after it."""
        if self._thread is None:
            return self.loader.step_batches(step), snapshot(self.loader)
        item = self._queue.get()
        if isinstance(item, BaseException):
            raise item
        produced, batches, state = item
        if produced != step:
            raise RuntimeError(f"prefetcher produced step {produced}, the loop is at step {step}")
        return batches, state

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

"""``train.init_from`` continues the data order of the run it starts from.

Stage 2 started from a stage-1 checkpoint (Skywork's two stages) shares sources with stage 1.
Starting those sources at their first document again would train stage 2 on what stage 1 just
saw. So each source that both runs read, with the same data (same files, rows and row groups,
the same rehydration, text column and mixture seed: the same document order), continues where
the checkpoint left it: epoch, row group and row, rank by rank. A source of stage 2 alone, or one
whose data changed, starts at its beginning (said on stderr).

Same tokenizer and batch shape: the next token is exact (the packer state as saved). Another
tokenizer (an extended vocabulary) or encode batch: the next whole document. Another number of
ranks: every rank starts after the furthest document any earlier rank reached (the few documents
other ranks had not reached yet are skipped, never repeated).
"""
from __future__ import annotations

import sys

from train.data import MixtureLoader
from train.shards import DocStream

ORDER_KEYS = ("files", "rows", "row_groups", "rehydrate")


def _same_order(old: dict, new: dict, name: str) -> bool:
    before, after = old.get("sources", {}).get(name), new["sources"].get(name)
    return (before is not None and all(before.get(k) == after.get(k) for k in ORDER_KEYS)
            and old.get("mixture", {}).get("seed") == new["mixture"]["seed"]
            and old.get("text_column") == new["text_column"])


def _whole_document(stream: DocStream, packer_state: dict) -> dict:
    """The stream position of the first document not yet (even partly) consumed."""
    stream.load_state(packer_state["stream"])
    consumed = packer_state["doc"] + (1 if packer_state["offset"] else 0) if packer_state["batch_docs"] else 0
    for _ in range(consumed):
        stream.next_texts(1)
    return stream.state()


def _next_index(stream: DocStream, state: dict) -> tuple[int, int]:
    """(epoch, index of the next document in the epoch's order) of a rank's position."""
    stream.load_state(state)
    if stream.epoch >= stream.max_passes or stream.unit >= len(stream.index.units):
        return stream.epoch, 0
    _, offsets = stream._unit_order()  # noqa: SLF001 - the epoch's numbering of documents
    offset = offsets[stream.unit]
    return stream.epoch, offset + (stream.rank - offset) % stream.world + stream.row * stream.world


def _position_at(stream: DocStream, epoch: int, index: int) -> dict:
    """This rank's first document at or after document ``index`` of ``epoch``."""
    stream.load_state({"epoch": epoch, "unit": 0, "row": 0})
    order, offsets = stream._unit_order()  # noqa: SLF001
    for u, offset in enumerate(offsets):
        rows = stream.index.units[order[u]][2]
        if index < offset + rows:
            first = (stream.rank - offset) % stream.world
            row = max(0, -(-(index - offset - first) // stream.world))
            return {"epoch": epoch, "unit": u, "row": row}
    return {"epoch": epoch + 1, "unit": 0, "row": 0}


def continue_sources(loader: MixtureLoader, saved: dict, fingerprint: dict, path: str) -> list[str]:
    """Move each shared source of ``loader`` to where the checkpoint ``saved`` left it; returns the
    sources continued. ``fingerprint`` is this run's (:func:`train.build.fingerprint`)."""
    old, ranks = saved.get("fingerprint", {}), saved.get("data") or []
    exact = all(old.get(k) == fingerprint[k] for k in ("tokenizer_sha256", "encode_batch"))
    continued = []
    for name, packer in sorted(loader.packers.items()):
        if name not in old.get("sources", {}):
            continue
        if not _same_order(old, fingerprint, name) or not ranks:
            print(f"skypile train: source {name!r} differs from the one {path} trained on: it starts at its "
                  "first document", file=sys.stderr)
            continue
        stream = packer.stream
        states = [rank["packers"][name] for rank in ranks]
        if not any(s["batch_docs"] or s["stream"]["epoch"] or s["stream"]["unit"] or s["stream"]["row"]
                   for s in states):
            continue  # the earlier run never read it (a stage-2-only source): it starts at the beginning
        if len(ranks) == stream.world and exact:
            packer.load_state(states[stream.rank])  # re-reads the batch in use: the next token
            continued.append(name)
            continue
        if len(ranks) == stream.world:
            stream.load_state(_whole_document(stream, states[stream.rank]))
        else:
            furthest = (0, 0)
            for rank, state in enumerate(states):
                probe = DocStream(stream.index, stream.seed, rank, len(ranks), stream.max_epochs,
                                  stream.text_column, stream.rehydration)
                furthest = max(furthest, _next_index(probe, _whole_document(probe, state)))
            stream.load_state(_position_at(stream, *furthest))
        packer.batch_state = stream.state()  # no batch in use: the next document starts one
        continued.append(name)
    return continued

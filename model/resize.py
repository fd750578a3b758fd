"""Grow a model's vocabulary to an extended tokenizer, new rows from the base's own embeddings.

A token the extension added (``skypile tokenizer extend``) is a string the base tokenizer already
spelled as several tokens. Its new embedding row, and its output row when the output is not tied,
start as the mean of the base rows of those tokens (the pieces the base BPE makes of the token's
string), not random: the model starts from what it knew of the pieces, the approach of
Chinese-LLaMA and of Hewitt's "Initializing new word embeddings" (2021) with a better prior than
the mean of all rows. Every base row is kept, so logits over the base vocabulary for inputs made
of base ids are unchanged. Rows past the tokenizer (padding to a multiple) get the mean of the base
tokens' rows.
"""
from __future__ import annotations

import json

import torch
from tokenizers import Tokenizer

from model.config import ModelConfig

EMBEDDING_KEYS = ("tok_embeddings.weight", "output.weight")


def _vocab(tok: Tokenizer) -> dict[str, int]:
    return tok.get_vocab(with_added_tokens=True)


def new_token_pieces(base: Tokenizer, new: Tokenizer) -> dict[int, list[int]]:
    """``{new id: base ids of its pieces}`` for every token of ``new`` that ``base`` lacks.

    Raises ``ValueError`` unless ``new`` keeps every token of ``base`` at its id."""
    base_vocab, new_vocab = _vocab(base), _vocab(new)
    moved = [t for t, i in base_vocab.items() if new_vocab.get(t) != i]
    if moved:
        raise ValueError(f"the new tokenizer is not an extension of the base: {len(moved)} base token(s) "
                         f"missing or at another id (e.g. {moved[0]!r})")
    specials = {t["content"] for t in json.loads(new.to_str())["added_tokens"]}
    pieces = {}
    for token, i in new_vocab.items():
        if token in base_vocab:
            continue
        if token in specials:  # an added token is text: spell it with the base tokenizer
            ids = base.encode(token, add_special_tokens=False).ids
        else:  # a model token is in the model's own alphabet (byte-level characters): BPE it directly
            ids = [t.id for t in base.model.tokenize(token)]
        if not ids:
            raise ValueError(f"new token {token!r} (id {i}) has no spelling under the base tokenizer")
        pieces[i] = ids
    return pieces


def _grow(weight: torch.Tensor, rows: int, pieces: dict[int, list[int]], n_base: int) -> torch.Tensor:
    out = weight.new_empty((rows, weight.shape[1]))
    keep = min(weight.shape[0], rows)
    out[:keep] = weight[:keep]
    out[keep:] = weight[:n_base].mean(0)
    for i, ids in pieces.items():
        out[i] = weight[ids].mean(0)
    return out


def resize_state(state: dict[str, torch.Tensor], config: ModelConfig, base: Tokenizer, new: Tokenizer,
                 vocab_multiple: int = 64) -> tuple[dict[str, torch.Tensor], ModelConfig, int]:
    """``state`` (a Llama state_dict) with ``vocab_size`` rows for ``new``; the new config and the
    number of tokens added."""
    import dataclasses

    pieces = new_token_pieces(base, new)
    n_base = base.get_vocab_size(with_added_tokens=True)
    n_new = new.get_vocab_size(with_added_tokens=True)
    multiple = max(vocab_multiple, 1)
    rows = max(-(-n_new // multiple) * multiple, config.vocab_size)
    if config.vocab_size < n_base:
        raise ValueError(f"the model's vocab_size {config.vocab_size} is smaller than the base tokenizer ({n_base})")
    state = dict(state)
    for key in EMBEDDING_KEYS:
        if key in state and not (key == "output.weight" and config.tie_embeddings):
            state[key] = _grow(state[key], rows, pieces, n_base)
    if config.tie_embeddings and "output.weight" in state:
        state["output.weight"] = state["tok_embeddings.weight"]
    return state, dataclasses.replace(config, vocab_size=rows), len(pieces)

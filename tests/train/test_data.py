"""Streaming, packing and sharding on real Parquet shards; exact data position round trip."""
from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest

from train.data import Packer
from train.shards import DataError, DocStream, index_source
from train.tokenizer import load_tokenizer


def _all_texts(corpus, lang):
    return [t for f in sorted((corpus / "data" / lang).glob("*.parquet")) for t in pq.read_table(f)["text"].to_pylist()]


def _drain(stream: DocStream) -> list[str]:
    out = []
    while stream.epoch == 0:
        out += stream.next_texts(3)
    return out


def test_index_reads_footers_only(corpus):
    index = index_source("en", str(corpus / "data/en/*.parquet"))
    assert len(index.files) == 2 and index.num_rows == 60
    assert len(index.units) == 8  # 30 rows per file in row groups of 8: 4 groups per file
    with pytest.raises(DataError, match="matches no files"):
        index_source("x", str(corpus / "data/none/*.parquet"))


def test_ranks_split_an_epoch_without_overlap(corpus):
    index = index_source("zh", str(corpus / "data/zh/*.parquet"))
    one = _drain(DocStream(index, 0, 0, 1, max_epochs=2))
    ranks = [_drain(DocStream(index, 0, r, 3, max_epochs=2)) for r in range(3)]
    assert sorted(one) == sorted(_all_texts(corpus, "zh"))
    assert sorted(ranks[0] + ranks[1] + ranks[2]) == sorted(one)
    assert [len(r) for r in ranks] == [20, 20, 20]
    assert one != _all_texts(corpus, "zh")  # shuffled (seeded), not file order
    assert one == _drain(DocStream(index, 0, 0, 1, max_epochs=2))
    second = DocStream(index, 0, 0, 1, max_epochs=2)
    _drain(second)
    assert _drain(second) != one and sorted(_drain(DocStream(index, 0, 0, 1, 2))) == sorted(one)


def test_epoch_cap_is_a_clear_error(corpus):
    stream = DocStream(index_source("en", str(corpus / "data/en/*.parquet")), 0, 0, 1, max_epochs=1)
    read = 0
    while read < 15:
        read += len(stream.next_texts(3))
    assert stream.epochs_done() == read / 60
    _drain(stream)
    assert stream.epochs_done() == 1.0
    with pytest.raises(DataError, match=r"'en' is exhausted: 1 epoch\(s\) of 60 documents.*max_epochs"):
        stream.next_texts(1)


def test_packing_concatenates_documents_with_eos(corpus, tokenizer_dir):
    tok, eos = load_tokenizer(str(tokenizer_dir))
    index = index_source("en", str(corpus / "data/en/*.parquet"))
    packer = Packer(DocStream(index, 5, 0, 1, max_epochs=3), tok, eos, encode_batch=4)
    seqs = [packer.next_sequence(65) for _ in range(40)]
    assert all(s.shape == (65,) and s.dtype == np.int64 for s in seqs)
    reference = DocStream(index, 5, 0, 1, max_epochs=3)
    expected: list[int] = []
    while len(expected) < 40 * 65:
        for text in reference.next_texts(4):
            expected += tok.encode(text, add_special_tokens=False).ids + [eos]
    assert np.concatenate(seqs).tolist() == expected[: 40 * 65]


def test_packer_state_round_trip_is_exact(corpus, tokenizer_dir):
    tok, eos = load_tokenizer(str(tokenizer_dir))
    index = index_source("zh", str(corpus / "data/zh/*.parquet"))
    a = Packer(DocStream(index, 1, 1, 2, max_epochs=5), tok, eos, encode_batch=3)
    for _ in range(37):
        a.next_sequence(33)
    state = a.state()
    b = Packer(DocStream(index, 1, 1, 2, max_epochs=5), tok, eos, encode_batch=3)
    b.load_state(state)
    for _ in range(100):  # across batch, unit and epoch borders
        assert a.next_sequence(33).tolist() == b.next_sequence(33).tolist()

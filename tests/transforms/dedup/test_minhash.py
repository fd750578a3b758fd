"""Shingles, signatures (bit-identical to datasketch) and LSH banding, as pure functions."""
import hashlib

import numpy as np
import pytest
from datasketch import MinHash
from datasketch.lsh import _optimal_param

from transforms.dedup.lsh import band_keys, candidate_probability, optimal_bands_rows, star_edges
from transforms.dedup.minhash import (MAX_HASH, MinHasher, batch_hashes, hash_shingles, jaccard, permutations,
                                      unique_hashes)
from transforms.dedup.shingles import shingles, uses_characters
from transforms.dedup.verify import candidate_pairs

from tests.transforms.dedup.corpus import EN, ZH, edit_words, texts


def test_english_gets_word_and_chinese_character_shingles(shared_data):
    en, zh = texts(shared_data, EN, 1)[0], texts(shared_data, ZH, 1)[0]
    assert not uses_characters(en, None) and uses_characters(zh, None)
    assert uses_characters("plain ascii", "zh") and not uses_characters(zh, "en")
    assert all(len(s.split(" ")) == 5 for s in shingles(en))
    zh_shingles = shingles(zh)
    assert all(len(s) == 5 and " " not in s for s in zh_shingles)
    assert all(len(s.split(" ")) == 3 for s in shingles(en, word_ngram=3))
    assert all(len(s) == 2 for s in shingles(zh, char_ngram=2))
    assert shingles("Hello, World") == {"hello world"}  # shorter than n: one shingle
    assert shingles("  ...  ") == set()


# Edge cases next to the real texts: shorter than n units, no units, multi-byte and emoji text,
# and long words, whose shingles run past one SHA-1 block (55 bytes) or two (119).
EDGE_TEXTS = ["tiny", "Hello, World", "", "  ...  ", "中文", "Ünïcödé 😀 naïve café, 東京 and ß straße 🎉🎉 ok fine",
              " ".join("w" * k + "é" * (k % 3) for k in range(20, 90, 3)), "x" * 300 + " " + "y" * 64,
              "😀" * 40]


def sketch_batch(docs, langs, num_perm, seed, scheme, use_numba=True):
    hashes, offsets = batch_hashes(docs, langs, use_numba=use_numba)
    hasher = MinHasher(num_perm, seed, scheme)
    return (hasher.flat if use_numba else hasher.flat_numpy)(hashes, offsets), unique_hashes(hashes, offsets)


@pytest.mark.parametrize("scheme", ["affine32", "legacy"])
@pytest.mark.parametrize("num_perm,seed", [(128, 1), (112, 42), (7, 0)])
def test_signatures_match_datasketch_bit_for_bit(shared_data, scheme, num_perm, seed):
    en, zh = texts(shared_data, EN, 6), texts(shared_data, ZH, 6)
    docs = en + zh + EDGE_TEXTS + [en[0], zh[0]]
    langs = [None] * (len(docs) - 2) + ["ja", "en"]  # a language tag overrides the CJK share
    ours, uniques = sketch_batch(docs, langs, num_perm, seed, scheme)
    fallback, fallback_uniques = sketch_batch(docs, langs, num_perm, seed, scheme, use_numba=False)
    np.testing.assert_array_equal(fallback, ours)  # Numba and hashlib + NumPy paths agree
    sets = [shingles(t, lang) for t, lang in zip(docs, langs)]
    assert max(len(s.encode("utf-8")) for shingle_set in sets for s in shingle_set) > 128  # 3+ SHA-1 blocks
    for row, shingle_set, unique, fallback_unique in zip(ours, sets, uniques, fallback_uniques):
        m = MinHash(num_perm=num_perm, seed=seed, scheme=scheme)
        m.update_batch([s.encode("utf-8") for s in shingle_set])
        assert row.dtype == m.hashvalues.dtype
        np.testing.assert_array_equal(row, m.hashvalues)
        expected = np.unique(hash_shingles(shingle_set))
        np.testing.assert_array_equal(unique, expected)
        np.testing.assert_array_equal(fallback_unique, expected)
    assert not len(uniques[EDGE_TEXTS.index("") + 12]) and (ours[EDGE_TEXTS.index("") + 12] == MAX_HASH).all()
    # one document alone, and a document longer than the NumPy permutation chunk, give the same rows
    hasher = MinHasher(num_perm, seed, scheme)
    np.testing.assert_array_equal(hasher.signature(hash_shingles(sets[3])), ours[3])
    big = np.concatenate([hash_shingles(s) for s in sets])
    m = MinHash(num_perm=num_perm, seed=seed, scheme=scheme)
    m.update_batch([s.encode("utf-8") for shingle_set in sets for s in shingle_set])
    np.testing.assert_array_equal(hasher.signature(big), m.hashvalues)
    np.testing.assert_array_equal(hasher.signatures_numpy([big])[0], m.hashvalues)


@pytest.mark.parametrize("scheme", ["affine32", "legacy"])
def test_permutations_are_datasketchs(scheme):
    a, b = permutations(64, 3, scheme)
    np.testing.assert_array_equal(np.stack([a, b]), MinHash(num_perm=64, seed=3, scheme=scheme).permutations)
    with pytest.raises(ValueError, match="scheme"):
        permutations(64, 3, "affine64")


def test_sha1_kernel_matches_hashlib_across_block_boundaries():
    from transforms.dedup.minhash_kernel import sha1_32

    data = ("ab😀é" * 80).encode("utf-8")
    w = np.empty(80, dtype=np.uint32)
    buf = np.frombuffer(data, dtype=np.uint8)
    # 55 bytes is the most one block holds; 64 leaves the padding a block of its own
    for start, length in [(0, 0), (1, 1), (0, 55), (3, 56), (0, 63), (2, 64), (0, 65), (5, 119), (0, 120),
                          (7, 128), (0, 300)]:
        assert sha1_32(buf, start, length, w) == _raw_sha1(data[start:start + length])


def _raw_sha1(data: bytes) -> int:
    return int.from_bytes(hashlib.sha1(data).digest()[:4], "little")


@pytest.mark.parametrize("scheme", ["affine32", "legacy"])
def test_fused_kernel_gives_datasketchs_values(shared_data, scheme):
    """The Numba kernels called directly (numba is a core dependency, setup.py: an ImportError
    fails here rather than the tests above silently checking the NumPy fallback)."""
    from transforms.dedup import minhash_kernel as kernel

    docs = texts(shared_data, EN, 3) + texts(shared_data, ZH, 3)
    hashes, offsets = batch_hashes(docs, [None] * len(docs))  # the kernel's shingle hashing
    hasher = MinHasher(128, 1, scheme)
    out = np.full((len(docs), 128), MAX_HASH, dtype=hasher.dtype)
    permute = kernel.permute_min_affine32 if scheme == "affine32" else kernel.permute_min_legacy
    permute(hashes, offsets, hasher.a, hasher.b, out)
    for row, text in zip(out, docs):
        m = MinHash(num_perm=128, seed=1, scheme=scheme)
        m.update_batch([s.encode("utf-8") for s in shingles(text)])
        np.testing.assert_array_equal(row, m.hashvalues)


def test_signature_similarity_tracks_jaccard(shared_data):
    text = texts(shared_data, EN, 1)[0]
    a, b = hash_shingles(shingles(text)), hash_shingles(shingles(edit_words(text, 40)))
    for scheme in ("affine32", "legacy"):
        sa, sb = MinHasher(256, 1, scheme).signatures([a, b])
        assert abs((sa == sb).mean() - jaccard(a, b)) < 0.08
    assert jaccard(a, a) == 1.0


def test_optimal_bands_rows_matches_datasketch():
    # exact Gauss-Legendre areas against datasketch's scipy quad, over thresholds, sizes and weights
    for threshold in (0.5, 0.6, 0.7, 0.72, 0.75, 0.8, 0.85, 0.9, 0.95):
        for num_perm in (64, 112, 128, 256):
            for fp in (0.5, 1.0 - 0.98, 0.1):
                assert optimal_bands_rows(threshold, num_perm, fp, 1.0 - fp) == \
                    _optimal_param(threshold, num_perm, fp, 1.0 - fp), (threshold, num_perm, fp)
    assert optimal_bands_rows(0.8, 128, 1.0 - 0.98, 0.98) == (17, 7)  # the defaults.yaml comment
    bands, rows = optimal_bands_rows(0.8, 128, 0.1, 0.9)
    assert candidate_probability(0.8, bands, rows) > candidate_probability(0.8, 9, 13)
    with pytest.raises(ValueError):
        optimal_bands_rows(1.5, 128)


def test_band_keys_equal_exactly_when_the_band_agrees():
    sigs = np.array([[1, 2, 3, 4], [1, 2, 9, 4], [5, 2, 3, 4]], dtype=np.uint64)
    keys = band_keys(sigs, 2, 2)
    assert keys[0][0] == keys[1][0] and keys[0][1] != keys[1][1]
    assert keys[0][1] == keys[2][1] and keys[0][0] != keys[2][0]
    assert keys[0][0] != keys[0][1]  # the band index is part of the key
    with pytest.raises(ValueError):
        band_keys(sigs, 3, 2)


def test_bucket_edges():
    assert sorted(star_edges(["c", "a", "b", "a"])) == [("b", "a"), ("c", "a")]
    assert sorted(candidate_pairs(["c", "a", "b", "a"])) == [("a", "b"), ("a", "c"), ("b", "c")]
    big = [f"d{i:03d}" for i in range(60)]
    assert sorted(candidate_pairs(big, max_all_pairs=50)) == [("d000", b) for b in big[1:]]
    # a big bucket is read twice (smallest id, then edges); a one-shot iterator is copied first
    assert sorted(candidate_pairs(iter(big[::-1]), max_all_pairs=50)) == [("d000", b) for b in big[1:]]
    assert sorted(star_edges(iter(["c", "a", "b"]))) == [("b", "a"), ("c", "a")]


# The MinHash step's `numba` switch: off, a worker never imports Numba (about 110 MB of RSS); on,
# it does; the band keys are the same bits either way.
_BAND_KEYS = r'''
import json, sys
from transforms.dedup.keys import Keyer
from transforms.dedup.lsh import minhash_params
from transforms.document import Document
texts = json.loads(sys.stdin.read())
keyer = Keyer(minhash=minhash_params(verify_jaccard=False, numba=sys.argv[1] == "on"))
keyer.setup()
out = keyer.keys([Document(id=str(n), text=t) for n, t in enumerate(texts)])
keys = [[k.hex(), str(n)] for n, o in enumerate(out) for k in o["k_bands"]]
print(json.dumps({"numba_imported": "numba" in sys.modules, "keys": keys}))
'''


def test_minhash_numba_switch_changes_imports_not_keys(shared_data):
    import json
    import subprocess
    import sys

    docs = texts(shared_data, EN, 4) + texts(shared_data, ZH, 4)
    runs = {}
    for mode in ("off", "on"):
        out = subprocess.run([sys.executable, "-c", _BAND_KEYS, mode], input=json.dumps(docs), text=True,
                             capture_output=True, check=True).stdout
        runs[mode] = json.loads(out)
    assert runs["off"]["numba_imported"] is False and runs["on"]["numba_imported"] is True
    assert runs["off"]["keys"] == runs["on"]["keys"] and len(runs["off"]["keys"]) == 17 * len(docs)

"""Shingles, signatures (bit-identical to datasketch) and LSH banding, as pure functions."""
import numpy as np
import pytest
from datasketch import MinHash
from datasketch.lsh import _optimal_param

from transforms.dedup.lsh import band_keys, candidate_probability, optimal_bands_rows, star_edges
from transforms.dedup.minhash import MinHasher, hash_shingles, jaccard
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


@pytest.mark.parametrize("num_perm,seed", [(128, 1), (112, 42)])
def test_signatures_match_datasketch_bit_for_bit(shared_data, num_perm, seed):
    docs = texts(shared_data, EN, 6) + texts(shared_data, ZH, 6) + ["tiny"]
    sets = [shingles(t) for t in docs]
    hashes = [hash_shingles(s) for s in sets]
    ours = MinHasher(num_perm, seed).signatures(hashes)
    np.testing.assert_array_equal(MinHasher(num_perm, seed).signatures_numpy(hashes), ours)  # both paths
    for row, shingle_set in zip(ours, sets):
        m = MinHash(num_perm=num_perm, seed=seed, scheme="legacy")
        m.update_batch([s.encode("utf-8") for s in shingle_set])
        np.testing.assert_array_equal(row, m.hashvalues)
    # one document alone, and a batch longer than the permutation chunk, give the same rows
    np.testing.assert_array_equal(MinHasher(num_perm, seed).signature(hash_shingles(sets[3])), ours[3])
    big = np.concatenate([hash_shingles(s) for s in sets])
    m = MinHash(num_perm=num_perm, seed=seed, scheme="legacy")
    m.update_batch([s.encode("utf-8") for shingle_set in sets for s in shingle_set])
    np.testing.assert_array_equal(MinHasher(num_perm, seed).signature(big), m.hashvalues)
    np.testing.assert_array_equal(MinHasher(num_perm, seed).signatures_numpy([big])[0], m.hashvalues)


def test_fused_kernel_is_in_use():
    from transforms.dedup.minhash import _fused_kernel

    assert _fused_kernel() is not None  # numba is a core dependency (setup.py)


def test_signature_similarity_tracks_jaccard(shared_data):
    text = texts(shared_data, EN, 1)[0]
    a, b = hash_shingles(shingles(text)), hash_shingles(shingles(edit_words(text, 40)))
    sa, sb = MinHasher(256, 1).signatures([a, b])
    assert abs((sa == sb).mean() - jaccard(a, b)) < 0.08
    assert jaccard(a, a) == 1.0


def test_optimal_bands_rows_matches_datasketch():
    for threshold, num_perm in [(0.8, 128), (0.5, 112), (0.9, 64)]:
        assert optimal_bands_rows(threshold, num_perm) == _optimal_param(threshold, num_perm, 0.5, 0.5)
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

"""MinHash LSH near-dedup in Beam: known answers on real English and Chinese texts, and the same
survivors with one and with two worker processes."""
import pytest

from transforms.dedup.minhash_dedup import MinHashDedup

from tests.transforms.dedup.corpus import EN, ZH, doc, edit_chars, edit_words, run_step, texts


def _corpus(shared_data):
    en = texts(shared_data, EN, 5)
    zh = texts(shared_data, ZH, 4)
    docs = [
        doc("en0", en[0]), doc("en0b", edit_words(en[0], 100)), doc("en0a", en[0]),  # exact + near
        doc("en1", edit_words(en[1], 120)), doc("en1c", en[1]), doc("en1d", edit_words(en[1], 90)),
        doc("en2", en[2]), doc("en3", en[3]), doc("en4", edit_words(en[4], 3)),  # unrelated / heavy edit
        doc("en4o", en[4]),
        doc("zh0", zh[0]), doc("zh0b", edit_chars(zh[0], 120)),  # Chinese near copy
        doc("zh1", zh[1], lang="zh"), doc("zh2", zh[2]), doc("zh3", zh[3]),
        doc("empty", " ... "),
    ]
    return docs


EXPECTED_DROPPED = {"en0a": "near_duplicate", "en0b": "near_duplicate", "en1c": "near_duplicate",
                    "en1d": "near_duplicate", "zh0b": "near_duplicate"}
EXPECTED_SIZES = {"en0": 3, "en1": 3, "en2": 1, "en3": 1, "en4": 1, "en4o": 1, "zh0": 2, "zh1": 1,
                  "zh2": 1, "zh3": 1, "empty": 1}


@pytest.mark.parametrize("settings", [
    {},  # defaults: threshold 0.8, 17 x 7 bands, exact Jaccard check
    {"num_perm": 112, "bands": 14, "rows": 8, "verify_jaccard": False},  # FineWeb's preset
])
def test_near_duplicates_known_answers(shared_data, settings):
    kept, dropped, counters, dropped_extra = run_step(MinHashDedup(max_rounds=4, **settings), _corpus(shared_data))
    assert dropped == EXPECTED_DROPPED
    assert {k: v[1]["minhash_cluster_size"] for k, v in kept.items()} == EXPECTED_SIZES
    assert kept["en0"][1]["minhash_cluster_id"] == "en0" and kept["en2"][1]["minhash_cluster_id"] is None
    assert {k: v["minhash_cluster_id"] for k, v in dropped_extra.items()} == {
        "en0a": "en0", "en0b": "en0", "en1c": "en1", "en1d": "en1", "zh0b": "zh0"}
    assert counters[("minhash_dedup", "kept")] == len(EXPECTED_SIZES)
    assert counters[("minhash_dedup", "dropped:near_duplicate")] == len(EXPECTED_DROPPED)
    assert counters[("minhash_dedup", "docs_without_shingles")] == 1


def test_bands_rows_from_threshold_and_bad_settings():
    assert (lambda s: (s.bands, s.rows))(MinHashDedup()) == (17, 7)
    step = MinHashDedup(num_perm=128, bands=0, rows=0, threshold=0.8, false_negative_weight=0.5)
    assert (step.bands, step.rows) == (9, 13)  # datasketch's MinHashLSH(0.8) choice
    with pytest.raises(ValueError):
        MinHashDedup(num_perm=64, bands=14, rows=8)
    fineweb = MinHashDedup(preset="fineweb", num_perm=64)  # the preset wins over its four settings
    assert (fineweb.num_perm, fineweb.bands, fineweb.rows, fineweb.verify_jaccard) == (112, 14, 8, False)
    with pytest.raises(ValueError, match="fineweb"):
        MinHashDedup(preset="c4")


def test_same_survivors_with_two_workers(shared_data):
    kept, dropped, _, _ = run_step(MinHashDedup(max_rounds=4), _corpus(shared_data),
                                ["--direct_num_workers=2", "--direct_running_mode=multi_processing"])
    assert dropped == EXPECTED_DROPPED
    assert {k: v[1]["minhash_cluster_size"] for k, v in kept.items()} == EXPECTED_SIZES


def test_dedup_sections_build_from_the_default_config_and_reject_bad_keys():
    from pipelines.config import ConfigError, load_defaults
    from pipelines.step_registry import BUILDERS

    config = load_defaults()
    for name in ("url_dedup", "exact_dedup", "minhash_dedup", "line_dedup"):
        section = {k: v for k, v in config[name].items() if k != "enabled"}
        assert hasattr(BUILDERS[name](section), "columns")
    with pytest.raises(ConfigError, match="no_such_key"):
        BUILDERS["minhash_dedup"]({"no_such_key": 1})
    with pytest.raises(ConfigError, match="num_perm"):
        BUILDERS["minhash_dedup"]({"num_perm": 64, "bands": 14, "rows": 8})


def test_jaccard_check_rejects_candidates_below_threshold(shared_data):
    en = texts(shared_data, EN, 2)
    docs = [doc("a", en[0]), doc("b", edit_words(en[0], 100)),  # J ~ 0.9: a sure LSH candidate at 64x2
            doc("c", en[1]), doc("d", en[1] + " ")]  # exact copy: J = 1
    step = MinHashDedup(num_perm=128, bands=64, rows=2, threshold=0.97, verify_jaccard=True, max_rounds=3)
    kept, dropped, counters, _ = run_step(step, docs)
    assert dropped == {"d": "near_duplicate"}
    assert counters[("minhash_dedup", "candidate_pairs_checked")] == 2
    assert counters[("minhash_dedup", "candidates_below_threshold")] == 1


def test_builds_on_typed_documents():
    """Documents typed as such (as a reader's Map gives them) pass Beam's pipeline-construction
    type check at every shuffle, with and without the Jaccard check."""
    import apache_beam as beam

    from transforms.document import Document

    for verify in (True, False):
        p = beam.Pipeline(runner="FnApiRunner")
        docs = p | beam.Create(["a b c d e f"]) | beam.Map(lambda t: Document(id=t, text=t))
        docs | MinHashDedup(verify_jaccard=verify)  # construction type-checks; nothing runs

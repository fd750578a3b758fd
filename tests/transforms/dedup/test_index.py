"""The dedup index (direct): which rows and keys an earlier run records, and how a later run's
dedup steps use them so that it decides as one run over both would (real texts, Beam pipelines)."""
import json

import dataclasses

import pyarrow.parquet as pq
import pytest

from pipelines.dedup_against import DedupIndexError, previous_index_files
from transforms.dedup.exact import ExactDedup
from transforms.dedup.index import (FORMAT, index_keys, index_path, index_row, minhash_settings, write_index_file,
                                    write_settings)
from transforms.dedup.keys import Keyer
from transforms.dedup.lsh import band_keys
from transforms.dedup.minhash import MinHasher, batch_hashes, jaccard, unique_hashes
from transforms.dedup.minhash_dedup import MinHashDedup
from transforms.dedup.url_dedup import UrlDedup

from tests.transforms.dedup.corpus import EN, doc, run_step, texts

ORDER = ["url_dedup", "exact_dedup", "minhash_dedup", "decontaminate", "score", "score_filter"]
CONFIG = {"minhash_dedup": {"enabled": True}}


def _replace_words(text: str, every: int, offset: int) -> str:
    words = text.split(" ")
    return " ".join("edited" if i % every == offset else w for i, w in enumerate(words))


def _exact_jaccard(a: str, b: str) -> float:
    hashes, offsets = batch_hashes([a, b], [None, None], 5, 5)
    u = unique_hashes(hashes, offsets)
    return jaccard(u[0], u[1])


def test_index_keys_follow_the_steps_a_document_passed():
    assert index_keys(ORDER, None) == (True, True, True)  # kept: every key
    assert index_keys(ORDER, "url_dedup") == (False, False, False)  # its URL's survivor has the row
    assert index_keys(ORDER, "exact_dedup") == (True, False, False)
    assert index_keys(ORDER, "minhash_dedup") == (True, True, True)  # a node of the earlier graph
    assert index_keys(ORDER, "score_filter") == (True, True, True)
    assert index_keys(["minhash_dedup", "url_dedup"], "url_dedup") == (False, False, True)


@pytest.fixture(scope="module")
def earlier(shared_data, tmp_path_factory):
    """An earlier run's chain (URL, exact, MinHash dedup) and a score-filter drop, indexed."""
    en = texts(shared_data, EN, 6)
    root, member = en[0], _replace_words(en[0], 60, 30)  # one cluster: root kept, member dropped
    docs = [doc("a0-root", root, url="https://a.example/root"), doc("a1-member", member, url="https://a.example/m"),
            doc("b-url-loser", en[1], url="https://b.example/p", date="2024-01-01"),
            doc("b-url-winner", en[2], url="https://b.example/p", date="2024-02-01"),
            doc("c-text-copy", en[2], url="https://c.example/copy"),  # exact copy of b-url-winner
            doc("d-low-quality", en[3], url="https://d.example/"),
            doc("e-plain", en[4], url="https://e.example/")]
    out = tmp_path_factory.mktemp("earlier")
    # the chain, one step at a time; the index rows from each document's keys and outcome
    live, outcome = {d.id: d for d in docs}, {}
    for step in (UrlDedup(), ExactDedup(), MinHashDedup()):
        kept, dropped, _, dropped_extra = run_step(step, list(live.values()))
        for doc_id, reason in dropped.items():
            outcome[doc_id] = ((step.decision_step().name, reason), dropped_extra[doc_id])
        live = {i: dataclasses.replace(live[i], text=t, extra=e) for i, (t, e) in kept.items()}
    outcome["d-low-quality"] = (("score_filter", "score_low_quality_dclm"), live.pop("d-low-quality").extra)
    outcome.update({i: (None, d.extra) for i, d in live.items()})
    keyer = Keyer(minhash=minhash_settings(CONFIG))
    keyer.setup()
    keys = dict(zip([d.id for d in docs], keyer.keys(docs)))
    rows = [index_row(i, keys[i], extra, ORDER, dropped) for i, (dropped, extra) in outcome.items()]
    write_index_file(index_path(str(out), 0, 1), [r for r in rows if r is not None])
    write_settings(str(out), CONFIG)
    (out / "report.json").write_text("{}")
    rows = {r["id"]: r for f in (out / "index").glob("*.parquet") for r in pq.read_table(f).to_pylist()}
    return {"en": en, "member": member, "out": out, "rows": rows, "docs": {d.id: d for d in docs},
            "files": previous_index_files([str(out)], CONFIG)}


def test_rows_for_every_document_that_took_part_in_a_dedup_decision(earlier):
    rows = earlier["rows"]
    assert set(rows) == {"a0-root", "a1-member", "b-url-winner", "c-text-copy", "d-low-quality", "e-plain"}
    assert rows["a1-member"]["dropped"] == "minhash_dedup:near_duplicate"
    assert rows["a1-member"]["cluster_id"] == rows["a0-root"]["cluster_id"] == "a0-root"
    assert rows["a1-member"]["band_keys"] and rows["a1-member"]["signature"] and rows["a1-member"]["shingles"]
    copy = rows["c-text-copy"]  # passed URL dedup only
    assert copy["dropped"] == "exact_dedup:exact_duplicate" and copy["url_hash"]
    assert copy["text_hash"] is None and copy["band_keys"] is None
    assert rows["d-low-quality"]["dropped"] == "score_filter:score_low_quality_dclm"
    assert rows["e-plain"]["dropped"] is None and rows["e-plain"]["cluster_id"] is None


def test_index_reuses_the_minhash_steps_sketches_bit_for_bit(earlier):
    # the index joins the MinHash step's signatures and shingle hashes; hashing the texts again
    # gives the same fields
    m = minhash_settings(CONFIG)
    hashed = {i: r for i, r in earlier["rows"].items() if r["band_keys"] is not None}
    assert len(hashed) == 5
    docs = [earlier["docs"][i] for i in hashed]
    hashes, offsets = batch_hashes([d.text for d in docs], [None] * len(docs), m["word_ngram"], m["char_ngram"])
    sigs = MinHasher(m["num_perm"], m["seed"], m["scheme"]).flat(hashes, offsets)
    for row, sig, keys, sh in zip(hashed.values(), sigs, band_keys(sigs, m["bands"], m["rows"]),
                                  unique_hashes(hashes, offsets)):
        assert row["signature"] == sig.astype("<u4").tobytes() and row["band_keys"] == keys
        assert row["shingles"] == sh.astype("<u4").tobytes()


def test_later_run_decides_as_one_run_would(earlier):
    en, member, files = earlier["en"], earlier["member"], earlier["files"]
    # near the dropped member, not the root: joins the earlier cluster through the member
    cascade = _replace_words(member, 60, 10)
    assert _exact_jaccard(cascade, member) >= 0.8 > _exact_jaccard(cascade, en[0])
    new = [doc("n-cascade", cascade), doc("n-low-copy", en[3]), doc("n-fresh", en[5]),
           doc("n-copy-of-url-dropped", en[1])]
    kept, dropped, _, extra = run_step(MinHashDedup().with_previous(files), new)
    assert dropped == {"n-cascade": "near_duplicate_previous", "n-low-copy": "near_duplicate_previous"}
    assert extra["n-cascade"]["previous_id"] == "a0-root"  # the earlier cluster's survivor
    assert extra["n-low-copy"]["previous_id"] == "d-low-quality"  # dropped later there, as in one run
    assert set(kept) == {"n-fresh", "n-copy-of-url-dropped"}  # b-url-loser never reached MinHash dedup

    kept, dropped, _, extra = run_step(ExactDedup().with_previous(files), new)
    assert dropped == {"n-low-copy": "exact_duplicate_previous"}
    assert extra["n-low-copy"]["previous_id"] == "d-low-quality"

    captures = [doc("n-url-of-text-copy", en[5], url="https://c.example/copy"),
                doc("n-url-of-loser", en[5] + " x", url="https://b.example/p")]
    kept, dropped, _, extra = run_step(UrlDedup().with_previous(files), captures)
    assert dropped == {"n-url-of-text-copy": "url_duplicate_previous", "n-url-of-loser": "url_duplicate_previous"}
    assert extra["n-url-of-text-copy"]["previous_id"] == "c-text-copy"
    assert extra["n-url-of-loser"]["previous_id"] == "b-url-winner"  # the URL group's survivor


def test_an_index_of_the_old_format_is_refused(earlier, tmp_path):
    old = tmp_path / "old"
    (old / "index").mkdir(parents=True)
    (old / "report.json").write_text("{}")
    settings = json.loads((earlier["out"] / "index" / "settings.json").read_text())
    (old / "index" / "settings.json").write_text(json.dumps({**settings, "format": 1}))
    assert settings["format"] == FORMAT == 2
    with pytest.raises(DedupIndexError, match="format 1.*kept documents only.*curate it again"):
        previous_index_files([str(old)], CONFIG)

"""URL filter: UT1 domain and URL lists (real lists from shared data), RefinedWeb word scoring."""
from __future__ import annotations

from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from pipelines.config import load_config, load_defaults
from tests.conftest import beam_test_pipeline, step_counters
from transforms.apply import ApplyStep
from transforms.document import Document
from transforms.paths import resolve_path
from transforms.url_filter import UrlFilter, load_ut1, url_word_verdict


def _first_entry(ut1, name):
    for line in (ut1 / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            return line.strip()
    raise AssertionError(name)


@pytest.fixture(scope="module")
def ut1(shared_data):
    return shared_data / "lists/ut1"


def _filter(ut1, **kw):
    cfg = {k: v for k, v in load_defaults()["url_filter"].items() if k != "enabled"}
    cfg.update({"ut1_dir": str(ut1), **kw})
    step = UrlFilter(**cfg)
    step.setup()
    return step


def _reason(step, url, source="web"):
    verdict = step.process(Document(id=url or "none", url=url, source=source))
    return getattr(verdict, "reason", None)


def test_default_categories_all_exist_in_the_ut1_lists(ut1):
    domains, urls = load_ut1(str(ut1), load_defaults()["url_filter"]["ut1_categories"])
    assert len(domains) > 10000 and len(urls) > 10000


def test_ut1_domains_and_subdomains_are_dropped_with_their_category(ut1):
    step = _filter(ut1)
    casino = _first_entry(ut1, "gambling_domains.txt")
    dating = _first_entry(ut1, "dating_domains.txt")
    assert _reason(step, f"https://{casino}/") == "url_blocklist_gambling"
    assert _reason(step, f"http://www.{casino}/slots?x=1") == "url_blocklist_gambling"
    assert _reason(step, f"https://promo.{casino}/") == "url_blocklist_gambling"
    assert _reason(step, f"https://{dating}/profile") == "url_blocklist_dating"
    assert _reason(step, f"https://not-{casino}/") is None  # a different domain


def test_ut1_url_prefixes_match_whole_path_segments(ut1):
    step = _filter(ut1)
    prefix = _first_entry(ut1, "adult_urls.txt")  # 101soundboards.com/boards/231587-...
    assert _reason(step, f"https://{prefix}") == "url_blocklist_adult"
    assert _reason(step, f"https://www.{prefix}/page-2?utm_source=x") == "url_blocklist_adult"
    host = prefix.split("/")[0]
    assert _reason(step, f"https://{host}/boards/other") is None  # the rest of the site stays


def test_categories_come_from_config_and_a_missing_one_is_an_error(ut1):
    casino = _first_entry(ut1, "gambling_domains.txt")
    assert _reason(_filter(ut1, ut1_categories=["adult"]), f"https://{casino}/") is None
    with pytest.raises(FileNotFoundError, match="no_such_category"):
        _filter(ut1, ut1_categories=["no_such_category"])


def test_refinedweb_word_scoring():
    hard, soft = {"porn", "xxx"}, {"hot", "teen", "cam", "babe"}
    assert url_word_verdict("https://free-porn.example/", hard, soft, 3) == "url_hard_word"
    assert url_word_verdict("https://hot-teen-cam.example/", hard, soft, 3) == "url_soft_words"
    assert url_word_verdict("https://hot-teen.example/", hard, soft, 3) is None
    # Whole words only: Middlesex and Scunthorpe-style substrings are not hits.
    assert url_word_verdict("https://middlesexxx.example/", hard, soft, 3) is None


def test_missing_and_invalid_urls():
    step = UrlFilter()
    step.setup()
    assert _reason(step, None) == "url_missing"
    assert _reason(step, None, source="code") is None  # non-web sources have no URL to check
    assert _reason(step, "mailto:someone") == "url_invalid"


def test_url_filter_step_counts(ut1):
    casino = _first_entry(ut1, "gambling_domains.txt")
    docs = [Document(id=str(i), url=u, source="web") for i, u in enumerate([
        "https://en.wikipedia.org/wiki/Apache_Beam", f"https://{casino}/", "https://xxx-videos.example/",
        "https://www.example.com/hot/teen/cam", None, "https://news.sina.com.cn/c/2024.shtml"])]
    step = _filter(ut1)
    p = beam_test_pipeline()
    out = p | beam.Create(docs) | ApplyStep(step)
    assert_that(out["kept"] | beam.Map(lambda d: d.id), equal_to(["0", "5"]), label="Kept")
    assert_that(out["rejected"] | "Why" >> beam.Map(lambda r: (r.doc.id, r.reason)), equal_to([
        ("1", "url_blocklist_gambling"), ("2", "url_hard_word"), ("3", "url_soft_words"), ("4", "url_missing")]),
        label="Rejected")
    result = p.run()
    result.wait_until_finish()
    counters = step_counters(result, "url_filter")
    assert counters == {"kept": 2, "dropped:url_blocklist_gambling": 1, "dropped:url_hard_word": 1,
                        "dropped:url_soft_words": 1, "dropped:url_missing": 1}


def test_shipped_gzipped_lists_hold_the_same_entries_as_the_source_lists(ut1):
    """The default ut1_dir is the copy inside the package (``.txt.gz``): same tables as the
    plain-text lists it was made from, and the same verdicts."""
    categories = load_defaults()["url_filter"]["ut1_categories"]
    shipped = resolve_path(load_config()["url_filter"]["ut1_dir"])
    assert not shipped.startswith(str(ut1.parent.parent))  # inside the package, not shared data
    assert sorted(p.name for p in Path(shipped).iterdir()) == sorted(
        p.name + ".gz" for p in ut1.iterdir())
    assert load_ut1(shipped, categories) == load_ut1(str(ut1), categories)
    step = _filter(ut1, ut1_dir="pkg://pipelines/data/ut1")
    assert _reason(step, f"https://{_first_entry(ut1, 'gambling_domains.txt')}/") == "url_blocklist_gambling"

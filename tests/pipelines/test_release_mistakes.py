"""What a user can get wrong with ``skypile release`` (docs/mistakes.md), through the real CLI:
a release never holds an id twice, and each refusal is one line, exit 2, the release folder as it was."""
from __future__ import annotations

import shutil

import pyarrow.parquet as pq
import pytest

from pipelines import curate, release
from tests.pipelines.test_cli_mistakes import ALL_STEPS, SAMPLE, exit_code, one_error_line


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    """Two curated runs over different sample WARCs (reading only), and a copy of the first."""
    base = tmp_path_factory.mktemp("release-mistakes")
    for name, warc in (("zh", "zh-news-pages.warc.gz"), ("en", "en-filter-pages.warc.gz")):
        curate.run(["--input", str(SAMPLE / warc), "--output", str(base / name), *ALL_STEPS])
    shutil.copytree(base / "zh", base / "zh-copy")
    return base


def _rows(folder) -> list[str]:
    return [i for p in sorted(folder.glob("data/*/*.parquet")) for i in pq.read_table(p, columns=["id"])["id"].to_pylist()]


def test_two_corpora_are_released_as_their_union(corpora, tmp_path, capsys):
    out = tmp_path / "rel"
    assert release.main(["--corpus", str(corpora / "zh"), "--corpus", str(corpora / "en"), "--out", str(out)]) == 0
    ids = _rows(out)
    assert len(ids) == len(set(ids)) == len(_rows(corpora / "zh")) + len(_rows(corpora / "en")) > 0


@pytest.mark.parametrize("args, message", [
    (["--corpus", "zh", "--corpus", "zh-copy"], "--corpus {base}/zh-copy: {n} document id(s) also in --corpus {base}/zh"),
    (["--corpus", "zh", "--corpus", "zh/"], "--corpus {base}/zh/ names the same folder as --corpus {base}/zh; give each"),
    (["--corpus", "zh", "--corpus", "zh/../zh"], "names the same folder as --corpus"),
    (["--corpus", "zh", "--out-is-corpus", "--overwrite"], "is the --corpus folder itself"),
    (["--corpus", "missing"], "no report.json"),
    (["--corpus", "gs://bucket/corpus"], "release reads a local folder"),
    (["--corpus", "zh", "--shard-size-mb", "0"], "--shard-size-mb and --row-group-mb must be positive"),
    (["--corpus", "zh", "--repo-id", "noslash"], "expected ORG/NAME"),
    ([], "--corpus is required unless pushing an existing release"),
    (["--corpus", "zh", "--ovewrite"], "--ovewrite: did you mean --overwrite?"),
])
def test_release_mistakes_are_one_line(corpora, tmp_path, capsys, args, message):
    out = tmp_path / "rel"
    argv = []
    for a in args:
        if a == "--out-is-corpus":
            out = corpora / "zh"
        elif a.startswith(("zh", "missing")):
            argv.append(str(corpora) + "/" + a)
        else:
            argv.append(a)
    n = len(_rows(corpora / "zh"))
    line = one_error_line(capsys, exit_code(release.main, [*argv, "--out", str(out)]), "skypile release")
    assert message.format(base=corpora, n=n) in line, line
    assert not out.exists() or out == corpora / "zh"  # nothing written, not even an empty folder
    assert (corpora / "zh" / "report.json").is_file()


def test_a_refused_release_leaves_the_earlier_release_in_place(corpora, tmp_path, capsys):
    out = tmp_path / "rel"
    assert release.main(["--corpus", str(corpora / "en"), "--out", str(out)]) == 0
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    capsys.readouterr()
    rc = release.main(["--corpus", str(corpora / "zh"), "--corpus", str(corpora / "zh-copy"), "--out", str(out),
                       "--overwrite"])
    assert "also in --corpus" in one_error_line(capsys, rc, "skypile release")
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before

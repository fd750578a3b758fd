"""``skypile release`` on a real curated sample: layout, card, funnel, load_dataset round trip."""
from __future__ import annotations

import glob
import json
import os
import re
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from pipelines.release import main as release_main
from pipelines.release_shards import content_bytes
from tests.pipelines.release_helpers import curated_sample, load_report, release

SHARD_NAME = re.compile(r"train-(\d{5})-of-(\d{5})\.parquet")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return curated_sample(tmp_path_factory)


@pytest.fixture(scope="module")
def released(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / "skypile-sample"
    proc = release(corpus, out, "--license", "apache-2.0")
    return out, proc


def _front_matter(card: str) -> tuple[dict, str]:
    assert card.startswith("---\n")
    front, body = card[4:].split("\n---\n", 1)
    return yaml.safe_load(front), body


def _shards(release_dir) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path in sorted(glob.glob(str(release_dir / "data" / "*" / "*"))):
        out.setdefault(os.path.basename(os.path.dirname(path)), []).append(os.path.basename(path))
    return out


def test_layout_one_config_per_language_with_numbered_shards(corpus, released):
    out, _ = released
    report = load_report(corpus)
    shards = _shards(out)
    assert set(shards) == {lang for lang, n in report["kept_per_language"].items() if n}
    for config, names in shards.items():
        numbers = [SHARD_NAME.fullmatch(n).groups() for n in names]
        assert [int(i) for i, _ in numbers] == list(range(len(names)))
        assert {int(total) for _, total in numbers} == {len(names)}
        rows = sum(pq.ParquetFile(out / "data" / config / n).metadata.num_rows for n in names)
        assert rows == report["kept_per_language"][config]
    assert sorted(os.listdir(out)) == ["README.md", "data", "funnel.png", "report.json"]
    assert json.loads((out / "report.json").read_text()) == report


def test_card_metadata_matches_the_files(corpus, released):
    out, _ = released
    meta, body = _front_matter((out / "README.md").read_text())
    report = load_report(corpus)
    assert meta["license"] == "apache-2.0"
    assert meta["pretty_name"] == "skypile-sample"
    assert meta["task_categories"] == ["text-generation"]
    assert meta["size_categories"] == ["n<1K"]
    assert sorted(meta["language"]) == sorted(report["kept_per_language"])
    all_files = set(glob.glob(str(out / "data" / "*" / "*.parquet")))
    covered = set()
    for config in meta["configs"]:
        (data_files,) = config["data_files"]
        assert data_files["split"] == "train"
        matched = set(glob.glob(str(out / data_files["path"])))
        assert matched == set(glob.glob(str(out / "data" / config["config_name"] / "*.parquet")))
        covered |= matched
    assert covered == all_files
    defaults = [c["config_name"] for c in meta["configs"] if c.get("default")]
    assert defaults == [max(report["kept_per_language"], key=report["kept_per_language"].get)]


def test_card_body_documents_the_funnel_steps_and_sizes(corpus, released):
    out, _ = released
    _, body = _front_matter((out / "README.md").read_text())
    report = load_report(corpus)
    assert f"Records in **{report['records_in']:,}** = kept **{report['kept']:,}**" in body
    for entry in report["funnel"]:
        dropped = sum(entry["dropped"].values())
        assert f"| `{entry['step']}` | {entry['in']:,} | {entry['kept']:,} | {dropped:,} |" in body
        assert f"### `{entry['step']}`" in body
    for reason, count in report["dropped"].items():
        assert f"| `{reason}` | {count:,} |" in body
    assert "![funnel](funnel.png)" in body
    assert "| apache-beam | " in body and "| skypile | " in body
    for config in _shards(out):
        texts = pq.read_table(out / "data" / config, columns=["text"])["text"].to_pylist()
        chars = sum(len(t) for t in texts)
        assert f"| `{config}` | {config} | all | {len(texts):,} | {chars:,} |" in body
    assert (out / "funnel.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    limitations = body.split("## Limitations", 1)[1]
    steps = {entry["step"] for entry in report["funnel"]}
    assert ("`score_filter` did not run" in limitations) == ("score_filter" not in steps)
    assert ("not deduplicated" in limitations) == (not {"exact_dedup", "minhash_dedup"} & steps)


def test_release_holds_exactly_the_curated_rows(corpus, released):
    out, _ = released
    for config in _shards(out):
        before = pq.read_table(corpus / "data" / config).sort_by("id")
        after = pq.read_table(out / "data" / config)
        assert after["id"].to_pylist() == sorted(after["id"].to_pylist())
        assert after.sort_by("id").select(["id", "url", "text"]).equals(before.select(["id", "url", "text"]))


LOAD_SCRIPT = """
import json, sys, datasets
out, configs = sys.argv[1], json.loads(sys.argv[2])
result = {"parquet": datasets.load_dataset("parquet", data_dir=out + "/data", split="train").num_rows}
result["parquet_root"] = datasets.load_dataset("parquet", data_dir=out, split="train").num_rows
for config in configs:
    ds = datasets.load_dataset(out, config, split="train")
    result[config] = [ds.num_rows, sorted(ds["id"])]
result["streamed"] = sum(1 for _ in datasets.load_dataset(out, configs[0], split="train", streaming=True))
print(json.dumps(result))
"""


def test_load_dataset_round_trip_offline(corpus, released, tmp_path):
    out, _ = released
    report = load_report(corpus)
    configs = sorted(_shards(out))
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    proc = subprocess.run([sys.executable, "-c", LOAD_SCRIPT, str(out), json.dumps(configs)],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["parquet"] == result["parquet_root"] == report["kept"]
    for config in configs:
        rows, ids = result[config]
        assert rows == report["kept_per_language"][config]
        assert ids == sorted(pq.read_table(corpus / "data" / config, columns=["id"])["id"].to_pylist())
    assert result["streamed"] == report["kept_per_language"][configs[0]]


def test_small_shard_target_splits_configs_and_row_groups(corpus, tmp_path):
    out = tmp_path / "small"
    assert release_main(["--corpus", str(corpus), "--out", str(out), "--shard-size-mb", "0.02",
                         "--row-group-mb", "0.01"]) == 0
    report = load_report(corpus)
    shards = _shards(out)
    en = shards["en"]
    assert len(en) > 1 and en[-1].endswith(f"-of-{len(en):05d}.parquet")
    total, files, groups = 0, 0, 0
    for config, names in shards.items():
        for name in names:
            parquet = pq.ParquetFile(out / "data" / config / name)
            total += parquet.metadata.num_rows
            files += 1
            groups += parquet.metadata.num_row_groups
            assert b"content_defined_chunking" in parquet.metadata.metadata
            sizes = [content_bytes(parquet.read_row_group(i)) for i in range(parquet.metadata.num_row_groups)]
            if len(sizes) > 1:
                # Rows per group come from the shard's mean row size: groups stay near 10 kB.
                assert sum(sizes) / len(sizes) < 2 * 10_000
    assert total == report["kept"]
    assert groups > files  # 10 kB row groups split shards of pages of several kB


def test_release_is_deterministic(corpus, released, tmp_path):
    out, _ = released
    again = tmp_path / "skypile-sample"
    assert release_main(["--corpus", str(corpus), "--out", str(again), "--license", "apache-2.0"]) == 0
    for path in glob.glob(str(out / "**" / "*"), recursive=True):
        if os.path.isfile(path):
            twin = again / os.path.relpath(path, out)
            assert twin.read_bytes() == open(path, "rb").read(), path


def test_refuses_a_corpus_whose_shards_disagree_with_the_report(corpus, tmp_path, capsys):
    broken = tmp_path / "broken"
    (broken / "data").mkdir(parents=True)
    for config in os.listdir(corpus / "data"):
        if glob.glob(str(corpus / "data" / config / "*.parquet")):
            os.symlink(corpus / "data" / config, broken / "data" / config)
    report = load_report(corpus)
    report["kept"] += 1
    report["records_in"] += 1
    (broken / "report.json").write_text(json.dumps(report))
    assert release_main(["--corpus", str(broken), "--out", str(tmp_path / "out")]) == 2
    assert f"report.json kept {report['kept']:,}" in capsys.readouterr().err
    report["balanced"] = False
    (broken / "report.json").write_text(json.dumps(report))
    assert release_main(["--corpus", str(broken), "--out", str(tmp_path / "out2")]) == 2
    assert "unaccounted" in capsys.readouterr().err
    assert release_main(["--corpus", str(tmp_path), "--out", str(tmp_path / "out3")]) == 2
    assert "no report.json" in capsys.readouterr().err
    assert release_main(["--corpus", "gs://bucket/corpus", "--out", str(tmp_path / "out4")]) == 2
    assert "reads a local folder" in capsys.readouterr().err


def test_refuses_to_overwrite_a_release_without_overwrite(corpus, released, capsys):
    out, _ = released
    assert release_main(["--corpus", str(corpus), "--out", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err


def test_release_does_not_depend_on_how_the_run_wrote_its_shards(corpus, released, tmp_path):
    """Rows reversed, split over two files, compressed otherwise: the same release, byte for byte."""
    out, _ = released
    other = tmp_path / "rewritten"
    for config in _shards(out):
        table = pq.read_table(corpus / "data" / config)
        table = table.take(list(range(table.num_rows))[::-1])
        half = table.num_rows // 2
        (other / "data" / config).mkdir(parents=True)
        pq.write_table(table.slice(0, half), other / "data" / config / "a.parquet", compression="snappy")
        pq.write_table(table.slice(half), other / "data" / config / "b.parquet", compression="gzip",
                       row_group_size=3)
    (other / "report.json").write_bytes((corpus / "report.json").read_bytes())
    again = tmp_path / "skypile-sample"
    assert release_main(["--corpus", str(other), "--out", str(again), "--license", "apache-2.0"]) == 0
    for path in glob.glob(str(out / "**" / "*"), recursive=True):
        if os.path.isfile(path):
            assert (again / os.path.relpath(path, out)).read_bytes() == open(path, "rb").read(), path


def test_a_corpus_with_several_sources_gets_one_config_per_language_and_source(corpus, tmp_path):
    mixed = tmp_path / "mixed"
    expected = {}
    for config in _shards(corpus):
        table = pq.read_table(corpus / "data" / config)
        sources = ["code" if i % 3 == 0 else "web" for i in range(table.num_rows)]
        table = table.set_column(table.schema.get_field_index("source"), "source",
                                 pa.array(sources, table.schema.field("source").type))
        (mixed / "data" / config).mkdir(parents=True)
        pq.write_table(table, mixed / "data" / config / "part.parquet")
        for source in set(sources):
            expected[f"{config}-{source}"] = sources.count(source)
    (mixed / "report.json").write_bytes((corpus / "report.json").read_bytes())
    out = tmp_path / "rel"
    assert release_main(["--corpus", str(mixed), "--out", str(out)]) == 0
    meta, body = _front_matter((out / "README.md").read_text())
    assert sorted(c["config_name"] for c in meta["configs"]) == sorted(expected)
    for config, rows in expected.items():
        table = pq.read_table(out / "data" / config)
        assert table.num_rows == rows and set(table["source"].to_pylist()) == {config.split("-")[1]}
    assert "Sources (the `source` column): `code`, `web`." in body

"""Rebuild tests/data (the data `make test` needs on a fresh clone) from the full test data.

    python tests/data/make_test_data.py [--src ../shared/data]

Each set is cut to what its tests read, with the tests' own selection rules, so that a test gives
on the cut the figures it gives on the full set (see tests/data/SOURCES.md). Files that the project
already ships (sample/, pipelines/data/) are relative symlinks, not second copies. License-flagged
sets (ChineseWebText, Skywork) are never copied: their tests skip without the full data.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

# Files identical to ones the project ships: (path under tests/data, shipped file).
REUSED = {
    "warc/dolma/sample-0000.warc.gz": "sample/cc-excerpt-dolma-0000.warc.gz",
    "warc/dolma/sample-0001.warc.gz": "sample/cc-excerpt-dolma-0001.warc.gz",
    "warc/resiliparse/warcfile.warc.gz": "sample/cc-excerpt-resiliparse.warc.gz",
    "warc/commoncrawl_whirlwind/whirlwind.warc.gz": "sample/cc-excerpt-whirlwind.warc.gz",
    "eval/gsm8k/test.jsonl": "pipelines/data/gsm8k/test.jsonl",
    "lists/ldnoobw/en.txt": "pipelines/data/ldnoobw/en.txt",
    "lists/ldnoobw/zh.txt": "pipelines/data/ldnoobw/zh.txt",
}

WHOLE = [  # copied as they are: the tests read all of them (counts, splits, every page)
    "eval/en_domains/en_science_arxiv_unarxive_sample.jsonl",
    "eval/zh_domains/zh_tech_docs.jsonl",
    "labels/surge_toxicity_en/toxicity_en.csv",
    "labels/davidson_hate_offensive_en/labeled_data.csv",
    "labels/dclm_web_quality_en/agreement_data.jsonl",
    "labels/dclm_web_quality_en/majority_data.jsonl",
]
# lists/ut1 stays plain text, not links to the package's gzipped copies: test_url_filter checks
# that the shipped .txt.gz lists hold the same entries as these source lists.
WHOLE_DIRS = ["warc", "html/zh_content_extraction", "lists/ut1"]

# JSONL sets read from the top: the first N records (the largest prefix a test reads).
HEAD = {
    "eval/en_domains/en_tech_python_peps_2023plus.jsonl": 60,     # tests/train/conftest.py: 60
    "eval/zh_domains/zh_government_laws_2023plus.jsonl": 60,      # tests/train/conftest.py: 60
    "eval/en_domains/en_finance_fomc_minutes_2022_2023.jsonl": 8,  # test_langid._en_texts(15): 8
    "eval/zh_domains/zh_finance_laws_regulations.jsonl": 8,       # decontaminate 2, tokenizer 1
    "eval/gsm8k/train.jsonl": 1800,                               # test_rehydrate: 1800 questions
}
# English trafilatura pages that tests/transforms/test_extract.py reads by name (cascade tests).
TRAFILATURA_PAGES = ("stardewvalleywiki.com.penny.html", "security.googleblog.com.protection.html")
AEB_PAGES = 8  # test_extract._aeb(shared_data, n): the first n page ids in sorted order, n <= 8
# COLD rows: the same rows the tests select from the full files (classifiers.default_models.cap,
# seed 3), so cap() on the cut returns them all, in the same order.
COLD_CAP = {"train": 3000, "test": 400}
# ... plus the first rows that tests/classifiers/test_cli_mistakes.py reads from the top. cap() on
# the cut still picks the same rows: they are the smallest hashes of any set that holds them.
COLD_HEAD = {"train": 0, "test": 80}
COLD_DEV_ROWS = 240  # tests/classifiers/fixtures.py tiny_bert: max_examples=240 (torch.randperm, seed 0)


def cap_indices(texts: list[str], n: int, seed: int = 3) -> set[int]:
    """Row indices that classifiers.default_models.cap(data, n, seed) keeps."""
    from classifiers.default_models import _hash01

    return set(sorted(range(len(texts)), key=lambda i: _hash01(texts[i], seed))[:n])


def check_cap(full: Path, cut: Path, n: int) -> None:
    """cap(.., n) gives the same rows, in the same order, on the cut as on the full file."""
    from classifiers.data import load_labelled
    from classifiers.default_models import cap

    def load(p):
        return load_labelled(str(p), ["1"], ["0"], "TEXT")
    assert cap(load(cut), n).texts == cap(load(full), n).texts, cut


def link(dst: Path, target: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.is_symlink() or dst.exists():
        dst.unlink()
    dst.symlink_to(os.path.relpath(target, dst.parent))


def copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)


def head_jsonl(src: Path, dst: Path, n: int) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    with open(src, encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as out:
        for i, line in enumerate(f):
            if i == n:
                break
            out.write(line)


def cold_rows(src: Path, dst: Path, keep) -> None:
    """Write the header and the CSV rows whose index ``keep`` selects among the rows the tests'
    loader reads (classifiers.data.load_labelled, positive "1", negative "0")."""
    from classifiers.data import load_labelled

    with open(src, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    text_col, label_col = header.index("TEXT"), header.index("label")
    labelled = [i for i, r in enumerate(body) if r[label_col] in ("0", "1")]
    texts = [body[i][text_col] for i in labelled]
    assert texts == load_labelled(str(src), ["1"], ["0"], "TEXT").texts, src
    picked = [body[labelled[j]] for j in sorted(keep(texts))]
    dst.parent.mkdir(parents=True, exist_ok=True)
    with open(dst, "w", encoding="utf-8", newline="") as out:
        w = csv.writer(out, lineterminator="\n")
        w.writerow(header)
        w.writerows(picked)


def aeb(src: Path, dst: Path) -> None:
    truth = json.loads((src / "ground-truth.json").read_text(encoding="utf-8"))
    kept = {k: truth[k] for k in sorted(truth)[:AEB_PAGES]}
    for page_id in kept:
        copy(src / "html" / f"{page_id}.html.gz", dst / "html" / f"{page_id}.html.gz")
    (dst / "ground-truth.json").write_text(json.dumps(kept, ensure_ascii=False, indent=1), encoding="utf-8")


def trafilatura_eval(src: Path, dst: Path) -> None:
    """Every page that is neither English nor Chinese (test_langid's negatives, which include
    test_charset's two ISO-8859-1 pages) and the TRAFILATURA_PAGES; evaldata.json holds only those."""
    evaldata = json.loads((src / "evaldata.json").read_text(encoding="utf-8"))
    kept = {}
    for key, entry in sorted(evaldata.items()):
        page = src / "html" / (entry["file"] + ".gz")
        if page.exists() and (entry.get("lang_guess") not in ("en", "zh") or entry["file"] in TRAFILATURA_PAGES):
            kept[key] = entry
            copy(page, dst / "html" / page.name)
    latin = [p.name for p in (src / "html").glob("*.gz") if not _utf8(gzip.decompress(p.read_bytes()))]
    missing = [n for n in latin if not (dst / "html" / n).exists()]
    assert not missing, f"ISO-8859-1 pages not among the kept ones: {missing}"
    (dst / "evaldata.json").write_text(json.dumps(kept, ensure_ascii=False, indent=1), encoding="utf-8")


def _utf8(payload: bytes) -> bool:
    try:
        payload.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def tiny_bert_rows(texts: list[str]) -> set[int]:
    import torch

    keep = torch.randperm(len(texts), generator=torch.Generator().manual_seed(0))[:COLD_DEV_ROWS]
    return {int(i) for i in keep}


def build(src: Path, dst: Path) -> None:
    for rel in ("warc", "html", "lists", "eval", "labels"):
        shutil.rmtree(dst / rel, ignore_errors=True)
    for rel in WHOLE_DIRS:
        for path in sorted((src / rel).rglob("*")):
            if path.is_file():
                copy(path, dst / path.relative_to(src))
    for rel in WHOLE:
        copy(src / rel, dst / rel)
    for rel, n in HEAD.items():
        head_jsonl(src / rel, dst / rel, n)
    aeb(src / "html/scrapinghub_aeb", dst / "html/scrapinghub_aeb")
    trafilatura_eval(src / "html/trafilatura_eval", dst / "html/trafilatura_eval")
    cold = "labels/cold_zh_offensive"
    for split, n in COLD_CAP.items():
        cold_rows(src / cold / f"{split}.csv", dst / cold / f"{split}.csv",
                  lambda t, n=n, h=COLD_HEAD[split]: cap_indices(t, n) | set(range(h)))
        check_cap(src / cold / f"{split}.csv", dst / cold / f"{split}.csv", n)
    cold_rows(src / cold / "dev.csv", dst / cold / "dev.csv", tiny_bert_rows)
    for rel, shipped in REUSED.items():
        assert (src / rel).read_bytes() == (ROOT / shipped).read_bytes(), rel
        link(dst / rel, ROOT / shipped)


CUT_NOTES = {
    **{rel: f"first {n} records" for rel, n in HEAD.items()},
    "html/scrapinghub_aeb/ground-truth.json": f"only the {AEB_PAGES} pages kept (the first ids in sorted order)",
    "html/trafilatura_eval/evaldata.json": "only the pages kept: every page neither English nor Chinese, and "
                                           "two English pages test_extract reads by name",
    "labels/cold_zh_offensive/train.csv": "the 3000 rows cap(train, 3000) selects (seed 3), in file order",
    "labels/cold_zh_offensive/test.csv": "the 400 rows cap(test, 400) selects (seed 3) and the first 80 rows, "
                                         "in file order",
    "labels/cold_zh_offensive/dev.csv": f"the {COLD_DEV_ROWS} rows train_bert's max_examples={COLD_DEV_ROWS} "
                                        "draws (seed 0), in file order",
}
HEADER = """# tests/data: the test data that ships with the project

A cut of the full test data (`../shared/data` beside the checkout, or `$SKYPILE_TEST_DATA`), made
by `tests/data/make_test_data.py` and laid out the same way, so that `make test` runs on a fresh
clone. Each set holds what its tests read, chosen by the tests' own rules (first records, the rows
`cap()` selects, the first page ids in sorted order): a test gives the same figures here as on the
full data. Tests that need more (license-flagged sets, whole sets left out) are marked `full_data`
and skipped here with a reason naming the data; CI runs them (`.ci/run`).

Never copied (no license that allows it): ChineseWebText (`labels/chinesewebtext_quality_zh/`,
`lists/zh_sensitive_words_chinesewebtext.tsv`; CASIA-LM/ChineseWebText has no data license) and
Skywork (`eval/skywork/`, Skywork Community License). Also left out: `html/mozilla_readability/`
(only the peer-kit test reads it) and the other LDNOOBW languages.

Files marked *symlink* are the same bytes as a file the project already ships (`sample/`,
`pipelines/data/`): a relative link, not a second copy. The UT1 lists are plain copies although the
package ships them gzipped: a test checks the shipped lists against these sources. The web pages
inside the HTML and WARC files remain (c) their original publishers; they are redistributed by the
listed repositories as test data. UT1 lists: CC-BY-SA-4.0, (c) Universite Toulouse Capitole (Fabrice Prigent).
LDNOOBW: CC-BY-4.0, (c) the LDNOOBW contributors.

| file | source repo | source path | commit | license | note |
|---|---|---|---|---|---|
"""


def sources_rows(src: Path) -> dict[str, list[str]]:
    """``{file: [repo, source path, commit, license, note]}`` from the full data's SOURCES.md."""
    rows = {}
    for line in (src / "SOURCES.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if len(cells) == 6 and "/" in cells[0] and cells[3].startswith("`") and len(cells[3]) > 20:
            rows[cells[0]] = cells[1:]
    return rows


def write_sources(src: Path, dst: Path) -> None:
    known = sources_rows(src)
    lines = []
    for path in sorted(dst.rglob("*")):
        rel = path.relative_to(dst).as_posix()
        if path.is_dir() or rel in ("SOURCES.md", "make_test_data.py"):
            continue
        repo, src_path, commit, license_, note = known[rel]
        notes = [n for n in (note, CUT_NOTES.get(rel)) if n]
        if path.is_symlink():
            notes.append(f"symlink to `{os.path.relpath(path.resolve(), ROOT)}`")
        cells = [rel, repo, src_path, commit, license_, "; ".join(notes)]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    (dst / "SOURCES.md").write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", default=str(ROOT.parent / "shared" / "data"))
    args = parser.parse_args(argv)
    src = Path(args.src)
    if not (src / "SOURCES.md").is_file():
        print(f"make_test_data: no SOURCES.md in {src}", file=sys.stderr)
        return 2
    build(src, HERE)
    write_sources(src, HERE)
    return 0


if __name__ == "__main__":
    sys.exit(main())

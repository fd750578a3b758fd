"""What a user can get wrong with ``skypile classifiers`` (docs/mistakes.md), through main():
the model paths the config accepts work here too, and repeated options add up or are refused."""
from __future__ import annotations

import csv
import json

import pytest

from classifiers.cli import main
from tests.pipelines.test_cli_mistakes import exit_code


@pytest.fixture
def cold(shared_data, tmp_path):
    """The first 40 and the next 40 rows of COLD's test split (label 1 offensive), as two CSVs."""
    with open(shared_data / "labels/cold_zh_offensive/test.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))[:80]
    paths = []
    for i in range(2):
        path = tmp_path / f"part{i}.csv"
        with open(path, "w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=["TEXT", "label"])
            writer.writeheader()
            writer.writerows({"TEXT": r["TEXT"], "label": r["label"]} for r in rows[40 * i: 40 * i + 40])
        paths.append(str(path))
    return paths, rows


def _eval(capsys, *argv) -> dict:
    assert main(["eval", "--text-field", "TEXT", *argv]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_eval_takes_the_shipped_model_as_the_config_names_it(cold, capsys):
    paths, rows = cold
    got = _eval(capsys, "--model", "pkg://classifiers/models/toxicity_zh.json", "--data", paths[0], "--positive", "1")
    assert got["n"] == 40 and got["positives"] == sum(r["label"] == "1" for r in rows[:40]) and got["f1"] > 0


def test_repeated_options_add_up(cold, capsys):
    paths, rows = cold
    model = ["--model", "pkg://classifiers/models/toxicity_zh.json"]
    split = _eval(capsys, *model, "--data", paths[0], "--data", paths[1], "--positive", "1")
    together = _eval(capsys, *model, "--data", *paths, "--positive", "1")
    assert split == together and split["n"] == 80
    both = _eval(capsys, *model, "--data", paths[0], "--positive", "0", "--positive", "1")
    assert both["positives"] == both["n"] == 40  # class 0 is positive too, not scored as negative


@pytest.mark.parametrize("argv, message", [
    (["--model", "pkg://classifiers/models/nope.ftz"], "pkg://classifiers/models/nope.ftz: not found"),
    (["--model", "missing.ftz"], "--model missing.ftz: no such file or folder"),
    (["--model", "pkg://classifiers/models/toxicity_zh.json", "--negative", "1"],
     "label value(s) ['1'] given as both --positive and --negative"),
    (["--model", "pkg://classifiers/models/toxicity_zh.json", "--thresold", "0.3"], "did you mean --threshold?"),
])
def test_eval_mistakes_are_one_line(cold, capsys, argv, message):
    paths, _ = cold
    rc = exit_code(main, ["eval", "--text-field", "TEXT", "--data", paths[0], "--positive", "1", *argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and err[0].startswith("skypile classifiers"), err
    assert message in err[0], err[0]

"""What a user can get wrong with ``skypile train`` / ``eval`` / ``tokenizer`` / ``experiment`` /
``model`` (docs/mistakes.md), through each CLI's main(): one line on stderr and exit 2, or the right
result; and stage 2 from a stage-1 checkpoint continues the data order."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tests.train.conftest import tiny_config, write_config
from train import data as train_data


def exit_code(main, argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def one_line(capsys, rc: int, prog: str) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2, err
    assert len(err) == 1 and err[0].startswith(prog), err
    return err[0]


@pytest.fixture
def recorded(monkeypatch):
    """Every sequence each source's packer hands out, by source, in order (the real loop's data)."""
    seen: dict[str, list[np.ndarray]] = {}
    original = train_data.Packer.next_sequence

    def next_sequence(self, length):
        out = original(self, length)
        seen.setdefault(self.stream.index.name, []).append(out.copy())
        return out

    monkeypatch.setattr(train_data.Packer, "next_sequence", next_sequence)
    return seen


def _fresh_tokens(corpus, tokenizer_dir, name: str, seed: int, count: int, length: int) -> list[np.ndarray]:
    """The first ``count`` sequences of a source read from its beginning, on one rank."""
    from train.shards import DocStream, index_source
    from train.tokenizer import load_tokenizer, tokenizer_file

    tokenizer, eos = load_tokenizer(tokenizer_file(str(tokenizer_dir)), None)
    packer = train_data.Packer(DocStream(index_source(name, str(corpus / "data" / name / "*.parquet")), seed, 0, 1, 50),
                               tokenizer, eos, encode_batch=4)
    return [packer.next_sequence(length) for _ in range(count)]


def test_stage_two_from_a_stage_one_checkpoint_continues_the_data_order(tmp_path, corpus, tokenizer_dir, recorded,
                                                                      capsys):
    from train.cli import main

    threads = torch.get_num_threads()
    base = tiny_config(tokenizer_dir)
    stage1, stage2 = base["mixture"]["stages"]
    one = dict(base, mixture={"seed": 3, "stages": [stage1]})
    try:
        assert main(["--config", str(write_config(tmp_path / "s1.yaml", one)), "--data", str(corpus),
                     "--out", str(tmp_path / "s1")]) == 0
        first = {k: list(v) for k, v in recorded.items()}
        recorded.clear()
        two = dict(base, mixture={"seed": 3, "stages": [stage2]},
                   train={**base["train"], "init_from": str(tmp_path / "s1")})
        assert main(["--config", str(write_config(tmp_path / "s2.yaml", two)), "--data", str(corpus),
                     "--out", str(tmp_path / "s2")]) == 0
    finally:
        torch.set_num_threads(threads)
    notes = [line for line in capsys.readouterr().err.splitlines() if "skypile train:" in line]
    assert any("en, zh continue(s) the data order" in line for line in notes), notes
    second = dict(recorded)
    assert set(first) == {"en", "zh"} and set(second) == {"en", "stem", "zh"}
    for name in ("en", "zh"):  # stage 2 picks up at the next token stage 1 did not read
        both = first[name] + second[name]
        expected = _fresh_tokens(corpus, tokenizer_dir, name, 3, len(both), len(both[0]))
        assert all(np.array_equal(a, b) for a, b in zip(both, expected)), name
        assert not np.array_equal(second[name][0], expected[0])
    # stem is new in stage 2: it starts at its first document
    fresh = _fresh_tokens(corpus, tokenizer_dir, "stem", 3, len(second["stem"]), len(second["stem"][0]))
    assert all(np.array_equal(a, b) for a, b in zip(second["stem"], fresh))


def test_data_position_carries_across_a_change_of_rank_count(corpus):
    """Two ranks' positions -> one rank: it starts after the furthest document either reached."""
    from train.continue_data import _next_index, _position_at
    from train.shards import DocStream, index_source

    index = index_source("en", str(corpus / "data" / "en" / "*.parquet"))
    ranks = [DocStream(index, 3, r, 2, 5) for r in range(2)]
    seen = {r: [ranks[r].next_texts(1)[0] for _ in range(9 + r)] for r in range(2)}
    furthest = max(_next_index(DocStream(index, 3, r, 2, 5), ranks[r].state()) for r in range(2))
    single = DocStream(index, 3, 0, 1, 5)
    single.load_state(_position_at(single, *furthest))
    later = {single.next_texts(1)[0] for _ in range(10)}
    assert later.isdisjoint(seen[0] + seen[1])
    whole = DocStream(index, 3, 0, 1, 5)
    order = [whole.next_texts(1)[0] for _ in range(len(seen[0]) + len(seen[1]) + 10)]
    # before the single rank's start: every document a rank read, and the few the slower rank had
    # not reached yet (rank 1 read one more than rank 0: at most two of rank 0's turns)
    before = order[:furthest[1]]
    assert set(seen[0] + seen[1]) <= set(before) and len(before) - len(seen[0] + seen[1]) <= 2


def test_train_mistakes_are_one_line(tmp_path, corpus, tokenizer_dir, capsys):
    from train.cli import main

    config = write_config(tmp_path / "c.yaml", tiny_config(tokenizer_dir))
    unfinished = tmp_path / "unfinished"
    (unfinished / "data").mkdir(parents=True)
    (unfinished / "run.json").write_text("{}")
    (tmp_path / "bad.yaml").write_text("data: [\n")
    cases = [
        (["--config", str(config), "--data", str(unfinished)], "an unfinished `skypile curate` run"),
        (["--config", str(config), "--data", str(tmp_path / "nope")], "--data " + str(tmp_path / "nope") + ": no such folder"),
        (["--config", str(tmp_path / "bad.yaml")], "not valid YAML at line 2"),
        (["--config", str(tmp_path)], "is a folder, not a YAML file"),
        (["--config", str(tmp_path / "missing.yaml")], "config file not found"),
        (["--config", str(config), "--set", "optim.lrr=1"], "unknown key(s) ['lrr'] in optim"),
        (["--config", str(config), "--dryrun"], "--dryrun: did you mean --dry-run?"),
        (["--config", str(config), "--data", str(corpus), "--set", "train.init_from=" + str(tmp_path / "none")],
         "train.init_from " + str(tmp_path / "none") + ": no such file or folder"),
    ]
    for argv, message in cases:
        line = one_line(capsys, exit_code(main, [*argv, "--out", str(tmp_path / "out")]), "skypile train")
        assert message in line, line
    assert not (tmp_path / "out" / "checkpoints").exists()


def test_dry_run_writes_nothing(tmp_path, corpus, tokenizer_dir, capsys):
    from train.cli import main

    cfg = tiny_config(tokenizer_dir)
    cfg["tokenizer"] = {"vocab_size": 300, "max_chars": 20000}  # trained for the plan, not kept
    out = tmp_path / "out"
    assert main(["--config", str(write_config(tmp_path / "c.yaml", cfg)), "--data", str(corpus), "--out", str(out),
                 "--dry-run"]) == 0
    assert f"tokenizer {out}" in capsys.readouterr().err
    assert not out.exists()


def test_eval_loss_on_a_run_folder_says_to_export_it(tmp_path, capsys):
    from train.eval_cli import main

    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "step_00000004.pt").write_bytes(b"x")
    domain = tmp_path / "d.jsonl"
    domain.write_text(json.dumps({"text": "hello"}) + "\n")
    for argv, message in [
        (["loss", "--model", str(run), "--domains", str(domain)], "is a training run folder, not a Hugging Face model"),
        (["loss", "--model", str(tmp_path / "nope"), "--domains", str(domain)], "no such folder"),
        (["loss", "--model", str(domain), "--domains", str(domain)], "not a Hugging Face model folder"),
        (["contamination", "--model", str(run), "--train", str(domain), "--ref", str(domain)],
         "skypile model export --checkpoint"),
        (["loss", "--model", str(run), "--domains", str(domain), "--max-chars", "-1"], "must be >= 0"),
    ]:
        line = one_line(capsys, exit_code(main, argv), "skypile eval")
        assert message in line, line


def test_tokenizer_takes_several_shards_after_one_flag(tmp_path, corpus, capsys):
    from train.tokenizer_cli import main

    shards = sorted(str(p) for p in corpus.glob("data/*/*.parquet"))
    assert main(["train", "--shards", *shards, "--vocab-size", "300", "--max-chars", "20000",
                 "--out", str(tmp_path / "tok")]) == 0
    assert f"({len(shards)} shard(s))" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["train", "--shards", "README", "--vocab-size", "300"], "--shards README: matches no files"),
    (["train", "--shards", "NOT_PARQUET", "--vocab-size", "300"], ": not a Parquet file"),
    (["train", "--shards", "SHARD", "--vocab-size", "300", "--lang-ratio", "en=0.5", "--lang-ratio", "en=0.7"],
     "--lang-ratio en given twice (0.5 and 0.7)"),
    (["train", "--shards", "SHARD", "--vocab-size", "300", "--lang-ratio", "en=abc"],
     "expected LANG=RATIO with a ratio >= 0"),
    (["train", "--shards", "SHARD", "--vocab-size", "300", "--min-frequncy", "2"], "did you mean --min-frequency?"),
])
def test_tokenizer_mistakes_are_one_line(tmp_path, corpus, capsys, argv, message):
    from train.tokenizer_cli import main

    (tmp_path / "notes.parquet").write_text("not parquet")
    shard = str(sorted(corpus.glob("data/en/*.parquet"))[0])
    argv = [shard if a == "SHARD" else str(tmp_path / "notes.parquet") if a == "NOT_PARQUET" else a for a in argv]
    line = one_line(capsys, exit_code(main, [*argv, "--out", str(tmp_path / "tok")]), "skypile tokenizer")
    assert message in line, line
    assert not (tmp_path / "tok").exists()


@pytest.mark.parametrize("module, argv, message", [
    ("train.experiment_cli", ["sweep", "--config", "C", "--out", "O", "--vary", "optim.lr=1,2", "--data", "NOPE"],
     "--data NOPE: no such folder"),
    ("train.experiment_cli", ["sweep", "--config", "C", "--out", "O", "--vary", "optim.lr"], "skypile experiment sweep"),
    ("model.cli", ["init", "--config", "tiny", "--out", "O", "--set", "dimm=3"], "unknown key(s) ['dimm']"),
    ("model.cli", ["export", "--checkpoint", "NOPE", "--out", "O"], "no checkpoint file or directory at NOPE"),
    ("model.cli", ["init", "--config", "huge", "--out", "O"], "argument --config: invalid choice: 'huge'"),
])
def test_experiment_and_model_mistakes_are_one_line(tmp_path, tokenizer_dir, capsys, module, argv, message):
    import importlib

    config = write_config(tmp_path / "c.yaml", tiny_config(tokenizer_dir))
    names = {"C": str(config), "O": str(tmp_path / "out"), "NOPE": str(tmp_path / "nope")}
    argv = [names.get(a, a) for a in argv]
    main = importlib.import_module(module).main
    line = one_line(capsys, exit_code(main, argv), "skypile ")
    assert message.replace("NOPE", names["NOPE"]) in line, line
    assert not (tmp_path / "out").exists()

"""One parser style for every CLI: a module-level ``parser()`` that main() parses with."""
import argparse
import importlib

import pytest

CLIS = ["pipelines.curate", "pipelines.release", "train.cli", "train.tokenizer_cli", "train.eval_cli",
        "train.experiment_cli", "train.plot", "model.cli", "classifiers.cli"]


@pytest.mark.parametrize("name", CLIS)
def test_every_cli_builds_its_parser_with_parser(name, capsys):
    module = importlib.import_module(name)
    ap = module.parser()
    assert isinstance(ap, argparse.ArgumentParser)
    with pytest.raises(SystemExit) as exit_info:
        module.main(["--help"])  # main parses with the same parser
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith(ap.format_usage().split(":")[0])

"""The one unknown-keys check, as each config loader reports it."""
import pytest

from model.config import get_config
from skypile_common.settings import check_known_keys


def test_names_every_unknown_key_and_the_known_ones_in_order():
    with pytest.raises(KeyError) as info:
        check_known_keys({"lrr": 1, "zeta": 2, "lr": 3}, ["lr", "betas"], "optim", KeyError)
    assert info.value.args[0] == "unknown key(s) ['lrr', 'zeta'] in optim (known: lr, betas)"
    check_known_keys({"lr": 1}, ["lr", "betas"], "optim")  # known keys pass


def test_model_config_overrides_use_it():
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['dimm'\] in ModelConfig \(known: vocab_size"):
        get_config("tiny", dimm=64)
    assert get_config("tiny", dim=64).dim == 64


def test_set_is_parsed_one_way_for_train_and_model():
    from model.cli import parse_overrides
    from skypile_common.settings import parse_assignment
    from train.config import ConfigError, load_config

    assert parse_assignment("optim.lr=1e-3") == ("optim.lr", "1e-3")  # YAML 1.1: a string, typed later
    assert parse_assignment("a.b=[1, 2]") == ("a.b", [1, 2]) and parse_assignment("a=") == ("a", "")
    for bad in ("optim", "=3"):
        with pytest.raises(ConfigError, match="--set expects key=value"):
            load_config(None, [bad])
        with pytest.raises(ValueError, match="--set expects key=value"):
            parse_overrides([bad])
    assert load_config(None, ["optim.lr=1e-3"]).optim.lr == 1e-3
    assert parse_overrides(["init_std=2e-2", "dim=64"]) == {"init_std": 0.02, "dim": 64}
    for bad, message in (("dim=x", "dim expects int"), ("dim=true", "dim expects int"),
                         ("dimm=3", r"unknown key\(s\) \['dimm'\] in ModelConfig")):
        with pytest.raises(ValueError, match=message):
            parse_overrides([bad])

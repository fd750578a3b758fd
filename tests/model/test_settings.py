"""The one unknown-keys check, as each config loader reports it."""
import pytest

from model.config import get_config
from model.settings import check_known_keys


def test_names_every_unknown_key_and_the_known_ones_in_order():
    with pytest.raises(KeyError) as info:
        check_known_keys({"lrr": 1, "zeta": 2, "lr": 3}, ["lr", "betas"], "optim", KeyError)
    assert info.value.args[0] == "unknown key(s) ['lrr', 'zeta'] in optim (known: lr, betas)"
    check_known_keys({"lr": 1}, ["lr", "betas"], "optim")  # known keys pass


def test_model_config_overrides_use_it():
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['dimm'\] in ModelConfig \(known: vocab_size"):
        get_config("tiny", dimm=64)
    assert get_config("tiny", dim=64).dim == 64

"""Training config: YAML + --set overrides, unknown keys and wrong types refused."""
import pytest

from train.config import ConfigError, SourceSpec, load_config

YAML = """
data:
  sources: {en: "data/en/*.parquet", zh: {glob: "data/zh/*.parquet", max_epochs: 3}}
mixture:
  stages:
    - {name: s1, tokens: 2e6, weights: {en: 1}}
"""


def test_overrides_reach_nested_keys_and_list_items(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(YAML)
    cfg = load_config(str(path), ["optim.lr=1e-3", "mixture.stages.0.weights.zh=[0.1, 0.4]", "train.fsdp=true"])
    assert cfg.optim.lr == 1e-3 and cfg.train.fsdp is True
    assert cfg.data.sources == {"en": SourceSpec("data/en/*.parquet"), "zh": SourceSpec("data/zh/*.parquet", 3)}
    assert cfg.mixture.stages[0].tokens == 2_000_000
    assert cfg.mixture.stages[0].weights == {"en": 1, "zh": [0.1, 0.4]}


@pytest.mark.parametrize("override,message", [
    ("optim.lrr=1", r"unknown key\(s\) \['lrr'\] in optim"),
    ("train.micro_batch_size=big", "train.micro_batch_size: expected int"),
    ("train.fsdp=1", "train.fsdp: expected bool"),
    ("mixture.stages.3.tokens=5", "not an index"),
    ("data.sources.code.max_epochs=2", "missing 1 required positional argument: 'glob'"),
    ("optim", "expects key=value"),
])
def test_bad_values_are_refused_with_the_key(tmp_path, override, message):
    path = tmp_path / "c.yaml"
    path.write_text(YAML)
    with pytest.raises(ConfigError, match=message):
        load_config(str(path), [override])

"""Conversion to and from transformers' LlamaForCausalLM: logits agree within 1e-4 both ways."""
from __future__ import annotations

import json

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig, LlamaForCausalLM

from model.checkpoint import find_checkpoint, load_checkpoint, save_checkpoint
from model.cli import main as model_cli
from model.config import get_config
from model.hf import load_hf, save_hf, to_hf_name
from model.llama import Llama
from pipelines.cli import main as skypile_cli

ATOL = 1e-4


def _random_model(seed=0, **overrides) -> Llama:
    # A larger init std than training's makes logits large enough for a mismatch to show.
    torch.manual_seed(seed)
    return Llama(get_config("tiny", init_std=0.2, **overrides)).eval()


def _hf_logits(hf_dir, ids):
    hf = LlamaForCausalLM.from_pretrained(hf_dir, attn_implementation="sdpa", dtype=torch.float32).eval()
    with torch.no_grad():
        return hf(ids).logits


@pytest.mark.parametrize("overrides", [{}, {"tie_embeddings": True}, {"n_kv_heads": 4, "rope_theta": 500000.0}])
def test_ours_to_hf_logits_agree(tmp_path, real_ids, overrides):
    model = _random_model(**overrides)
    save_hf(model, tmp_path)
    with torch.no_grad():
        ours = model(real_ids)
    assert ours.abs().amax() > 1.0  # the comparison below is not between near-zero tensors
    torch.testing.assert_close(_hf_logits(tmp_path, real_ids), ours, rtol=0, atol=ATOL)


def test_hf_to_ours_logits_agree(tmp_path, real_ids):
    torch.manual_seed(3)
    config = LlamaConfig(vocab_size=512, hidden_size=96, intermediate_size=200, num_hidden_layers=3,
                         num_attention_heads=6, num_key_value_heads=2, max_position_embeddings=128,
                         rms_norm_eps=1e-5, rope_parameters={"rope_type": "default", "rope_theta": 20000.0},
                         initializer_range=0.2)
    hf = LlamaForCausalLM(config).eval()
    with torch.no_grad():  # HF's init leaves norms at one: perturb them so they are checked too
        for name, param in hf.named_parameters():
            if name.endswith("norm.weight"):
                param.add_(torch.randn_like(param) * 0.1)
    hf.save_pretrained(tmp_path)
    ours = load_hf(tmp_path)
    assert ours.config.rope_theta == 20000.0 and ours.config.n_kv_heads == 2 and ours.config.norm_eps == 1e-5
    with torch.no_grad():
        torch.testing.assert_close(ours(real_ids), hf(real_ids).logits, rtol=0, atol=ATOL)


@pytest.mark.parametrize("tie", [False, True])
def test_round_trip_is_exact(tmp_path, tie):
    model = _random_model(tie_embeddings=tie)
    save_hf(model, tmp_path)
    back = load_hf(tmp_path)
    assert back.config == model.config
    assert (back.output.weight is back.tok_embeddings.weight) == tie
    for (name, a), (_, b) in zip(model.state_dict().items(), back.state_dict().items()):
        assert torch.equal(a, b), name


def test_unsupported_hf_features_are_refused(tmp_path):
    save_hf(_random_model(), tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["attention_bias"] = True
    config["rope_parameters"] = {"rope_type": "linear", "factor": 2.0, "rope_theta": 10000.0}
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="rope scaling, attention bias"):
        load_hf(tmp_path)


def test_cli_init_export_import_keep_logits(tmp_path, real_ids, tokenizer_dir):
    """init -> HF dir; import -> checkpoint; export (directory form) -> HF dir; all agree with HF."""
    init_dir, run_dir, export_dir = tmp_path / "init", tmp_path / "run", tmp_path / "export"
    # Through the top-level `skypile` command once, as a user calls it.
    assert skypile_cli(["model", "init", "--config", "tiny", "--out", str(init_dir), "--set", "vocab_size=512",
                        "--set", "init_std=0.2", "--tokenizer", str(tokenizer_dir), "--seed", "7"]) == 0
    reference = _hf_logits(init_dir, real_ids)
    assert model_cli(["import", "--hf", str(init_dir), "--out", str(run_dir / "checkpoints" / "step_00000010.pt")]) == 0
    # An older step beside it must not be the one exported.
    save_checkpoint(_random_model(vocab_size=512), run_dir / "checkpoints" / "step_00000009.pt")
    assert find_checkpoint(run_dir).name == "step_00000010.pt"
    assert model_cli(["export", "--checkpoint", str(run_dir), "--out", str(export_dir),
                      "--tokenizer", str(tokenizer_dir / "tokenizer.json")]) == 0
    torch.testing.assert_close(_hf_logits(export_dir, real_ids), reference, rtol=0, atol=ATOL)
    model, _ = load_checkpoint(run_dir / "checkpoints" / "step_00000010.pt")
    with torch.no_grad():
        torch.testing.assert_close(model(real_ids), reference, rtol=0, atol=ATOL)
    # The exported directory works through the Auto classes the evaluator uses, tokenizer included.
    tokenizer = AutoTokenizer.from_pretrained(export_dir)
    auto = AutoModelForCausalLM.from_pretrained(export_dir)
    assert tokenizer.decode(tokenizer("Transformers attend to tokens.").input_ids) == "Transformers attend to tokens."
    assert auto.config.eos_token_id == tokenizer.convert_tokens_to_ids("<|endoftext|>")


def test_export_reads_wrapped_state_dicts(tmp_path, real_ids):
    model = _random_model()
    wrapped = {f"module._orig_mod.{k}": v for k, v in model.state_dict().items()}
    torch.save({"model": wrapped, "model_config": json.loads(json.dumps(vars(model.config)))}, tmp_path / "x.pt")
    loaded, _ = load_checkpoint(tmp_path / "x.pt")
    with torch.no_grad():
        torch.testing.assert_close(loaded(real_ids), model(real_ids), rtol=0, atol=0)


def test_cli_errors_are_clear(tmp_path, capsys, tokenizer_dir):
    assert model_cli(["export", "--checkpoint", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "no step_*.pt checkpoint" in capsys.readouterr().err
    assert model_cli(["init", "--config", "tiny", "--out", str(tmp_path / "o"), "--set", "dim=x"]) == 2
    # A tokenizer with more tokens than the model's vocabulary is refused.
    assert model_cli(["init", "--config", "tiny", "--out", str(tmp_path / "o"), "--set", "vocab_size=256",
                      "--tokenizer", str(tokenizer_dir)]) == 2
    assert "vocab_size 256 is smaller" in capsys.readouterr().err


def test_cli_export_in_bfloat16(tmp_path, real_ids):
    model = _random_model()
    save_checkpoint(model, tmp_path / "step_00000001.pt")
    assert model_cli(["export", "--checkpoint", str(tmp_path / "step_00000001.pt"), "--out", str(tmp_path / "hf"),
                      "--dtype", "bfloat16"]) == 0
    assert json.loads((tmp_path / "hf" / "config.json").read_text())["dtype"] == "bfloat16"
    hf = AutoModelForCausalLM.from_pretrained(tmp_path / "hf", dtype="auto").eval()
    assert hf.dtype == torch.bfloat16
    # The weights are exactly the float32 ones rounded to bfloat16; the logits follow them.
    hf_weights = hf.state_dict()
    for name, tensor in model.state_dict().items():
        assert torch.equal(hf_weights[to_hf_name(name)], tensor.to(torch.bfloat16)), name
    with torch.no_grad():
        low, reference = hf(real_ids).logits.float(), model(real_ids)
    assert torch.corrcoef(torch.stack([low.flatten(), reference.flatten()]))[0, 1] > 0.99

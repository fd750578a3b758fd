"""Tiny real models for the evaluator tests: BPE / character tokenizers trained on shared text and
randomly initialised ``transformers.LlamaForCausalLM`` directories (save_pretrained)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest


def read_texts(path: Path, limit: int, max_chars: int = 2000) -> list[str]:
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            out.append(json.loads(line)["text"][:max_chars])
            if len(out) == limit:
                break
    return out


def save_bpe_tokenizer(texts: list[str], vocab_size: int, out_dir: Path) -> Path:
    """A byte-level BPE tokenizer trained on ``texts``, saved as a transformers tokenizer dir."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<s>", "</s>", "<pad>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(texts, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>")
    fast.save_pretrained(out_dir)
    return out_dir


def save_char_tokenizer(texts: list[str], out_dir: Path) -> Path:
    """One token per character of ``texts`` (others map to <unk>): token counts equal lengths."""
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    chars = sorted(set("".join(texts)))
    vocab = {t: i for i, t in enumerate(["<s>", "</s>", "<pad>", "<unk>", *chars])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>",
                                   pad_token="<pad>", unk_token="<unk>")
    fast.save_pretrained(out_dir)
    return out_dir


def save_tiny_llama(tokenizer_dir: Path, out_dir: Path, seed: int = 0, zero_head: bool = False,
                    max_positions: int = 256) -> Path:
    """A ~100k-parameter random Llama with ``tokenizer_dir``'s tokenizer. ``zero_head`` zeroes the
    output layer: every next-token distribution is then uniform, NLL = ln(vocab) per token."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    tok = AutoTokenizer.from_pretrained(tokenizer_dir)
    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=max_positions,
                         bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                         pad_token_id=tok.pad_token_id, tie_word_embeddings=False)
    model = LlamaForCausalLM(config)
    if zero_head:
        with torch.no_grad():
            model.lm_head.weight.zero_()
    model.save_pretrained(out_dir)
    tok.save_pretrained(out_dir)
    return out_dir


@pytest.fixture(scope="session")
def corpus(shared_data) -> dict[str, list[str]]:
    eval_dir = shared_data / "eval"
    return {
        "en": read_texts(eval_dir / "en_domains" / "en_tech_python_peps_2023plus.jsonl", 20),
        "zh": read_texts(eval_dir / "zh_domains" / "zh_government_laws_2023plus.jsonl", 20),
    }


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory, corpus) -> dict[str, Path]:
    """Two BPE tokenizers of different vocabularies, a character tokenizer, and models on them."""
    root = tmp_path_factory.mktemp("tiny_models")
    texts = corpus["en"] + corpus["zh"]
    out = {
        "tok_small": save_bpe_tokenizer(texts, 400, root / "tok_small"),
        "tok_large": save_bpe_tokenizer(texts, 1200, root / "tok_large"),
        "tok_char": save_char_tokenizer(texts, root / "tok_char"),
    }
    out["model_small"] = save_tiny_llama(out["tok_small"], root / "model_small", seed=1)
    out["model_large"] = save_tiny_llama(out["tok_large"], root / "model_large", seed=2)
    out["uniform_small"] = save_tiny_llama(out["tok_small"], root / "uniform_small", zero_head=True)
    out["uniform_large"] = save_tiny_llama(out["tok_large"], root / "uniform_large", zero_head=True)
    out["uniform_char"] = save_tiny_llama(out["tok_char"], root / "uniform_char", zero_head=True)
    return out

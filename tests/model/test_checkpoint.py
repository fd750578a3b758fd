"""model/checkpoint.py: the checkpoint file name shared with the trainer, finding the latest step,
and a save/load round trip that refuses files that are not checkpoints."""
from __future__ import annotations

import pytest
import torch

from model.checkpoint import checkpoint_name, find_checkpoint, load_checkpoint, save_checkpoint, step_checkpoints
from model.config import get_config
from model.llama import Llama
from train import checkpoint as train_checkpoint


def _model(seed: int) -> Llama:
    torch.manual_seed(seed)
    return Llama(get_config("tiny", vocab_size=256)).eval()


def test_latest_step_by_number_not_by_name(tmp_path):
    folder = tmp_path / "checkpoints"
    for step in (9, 10, 123456789):  # 9 digits sorts before 8 as a string
        save_checkpoint(_model(step), folder / checkpoint_name(step))
    (folder / "step_x.pt").write_bytes(b"")  # not a checkpoint name: ignored
    (folder / "step_00000011.pt.tmp.1").write_bytes(b"")  # a torn write: ignored
    assert [s for s, _ in step_checkpoints(folder)] == [9, 10, 123456789]
    assert find_checkpoint(tmp_path).name == "step_123456789.pt"
    assert find_checkpoint(folder / "step_00000009.pt").name == "step_00000009.pt"
    # The trainer lists, names and resumes from the same files.
    assert train_checkpoint.latest_checkpoint(str(tmp_path)) == str(folder / "step_123456789.pt")
    assert train_checkpoint.checkpoint_path(str(tmp_path), 10) == str(folder / "step_00000010.pt")


def test_round_trip_keeps_weights_and_extra_entries(tmp_path):
    model = _model(0)
    file = save_checkpoint(model, tmp_path / checkpoint_name(3), step=3)
    loaded, path = load_checkpoint(tmp_path)
    assert path == file and torch.load(file, weights_only=True)["step"] == 3
    for name, tensor in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[name], tensor), name
    half, _ = load_checkpoint(file, dtype=torch.bfloat16)
    assert next(half.parameters()).dtype == torch.bfloat16


def test_refuses_what_is_not_a_checkpoint(tmp_path):
    torch.save({"model": _model(0).state_dict()}, tmp_path / "step_00000001.pt")
    with pytest.raises(ValueError, match=r"not a skypile checkpoint: missing \['model_config'\]"):
        load_checkpoint(tmp_path)
    with pytest.raises(FileNotFoundError, match="no checkpoint file or directory"):
        find_checkpoint(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no step_"):
        find_checkpoint(tmp_path / "empty")

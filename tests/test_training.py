import signal
from pathlib import Path

import numpy as np
import pytest
import torch

from commands.loop import beta_at, frame_epochs, train
from data import load_dataset
from models import build_model, restore_model, sample_points
from tests.conftest import with_
from utils.checkpoint import load_checkpoint, save_checkpoint
from utils.errors import Stopped, UserError


def test_linear_beta_schedule(tiny_cfg):
    cfg = with_(tiny_cfg, epochs=5, beta_start=0.0, beta_end=0.4)
    assert [beta_at(cfg, e) for e in range(5)] == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])
    assert beta_at(with_(cfg, epochs=1), 0) == 0.0


def test_cyclical_beta_schedule(tiny_cfg):
    cfg = with_(tiny_cfg, epochs=8, beta_schedule="cyclical", beta_cycles=2, beta_start=0.0, beta_end=1.0)
    assert [beta_at(cfg, e) for e in range(8)] == pytest.approx([0, 0.5, 1, 1, 0, 0.5, 1, 1])


def test_frame_epochs(tiny_cfg):
    assert frame_epochs(with_(tiny_cfg, epochs=12, gen_every_epochs=5)) == [1, 5, 10, 12]
    assert frame_epochs(with_(tiny_cfg, epochs=12, gen_every_epochs=0)) == []


def _train(cfg, **kwargs):
    ds = load_dataset(cfg, announce=False)
    model = build_model(cfg, ds.scaler)
    return model, ds, train(cfg, model, ds.scaled, torch.device("cpu"), **kwargs)


def test_training_lowers_the_loss(tiny_cfg):
    _, _, result = _train(with_(tiny_cfg, epochs=4))
    assert result.epoch == 4
    assert result.stopped is None
    assert result.history["recons"][-1] < result.history["recons"][0]
    assert len(result.history["beta"]) == 4


def test_checkpoint_round_trip(tiny_cfg, tmp_path: Path):
    model, ds, result = _train(tiny_cfg)
    model.calibrate(torch.from_numpy(ds.scaled), torch.Generator().manual_seed(0))
    path = tmp_path / "ck.pt"
    save_checkpoint(
        path,
        {**result.checkpoint, "model": model.state_dict(), "config": tiny_cfg.to_dict(), "scaler": ds.scaler.to_dict()},
    )
    state = load_checkpoint(path)
    assert state["epoch"] == 2
    assert state["history"] == result.history
    assert "optimizer" in state
    restored, scaler = restore_model(state)
    np.testing.assert_array_equal(
        sample_points(model, ds.scaler, 100, seed=5), sample_points(restored, scaler, 100, seed=5)
    )
    assert not list(tmp_path.glob("*.tmp"))  # the atomic write left no temp file


def test_resume_continues_bit_identically(tiny_cfg):
    cfg = with_(tiny_cfg, epochs=4)
    _, _, full = _train(cfg)
    _, _, first = _train(cfg, save_state=_interrupt_at(2))
    assert first.stopped == "interrupted"
    assert first.epoch == 2
    _, _, rest = _train(cfg, resume_from=first.checkpoint)
    for key in ("total", "recons", "kld", "beta", "lr"):  # not "seconds": wall time differs
        assert rest.history[key] == full.history[key], key  # same losses to the last bit


def _interrupt_at(epoch: int):
    """A save_state callback that presses Ctrl-C right after `epoch` finished."""

    def callback(state):
        if state["epoch"] == epoch:
            raise KeyboardInterrupt

    return callback


def test_interrupt_keeps_last_finished_epoch(tiny_cfg):
    model, _, result = _train(with_(tiny_cfg, epochs=5), save_state=_interrupt_at(3))
    assert result.stopped == "interrupted"
    assert result.epoch == 3
    assert len(result.history["total"]) == 3
    for key, value in model.state_dict().items():
        assert torch.equal(value, result.checkpoint["model"][key]), key


def test_non_finite_loss_stops_with_last_good_state(tiny_cfg, monkeypatch):
    model, ds, _ = _train(tiny_cfg)
    calls = {"n": 0}
    original = type(model).loss

    def flaky(self, x, beta):
        calls["n"] += 1
        terms = original(self, x, beta)
        if calls["n"] > 5:  # in the second epoch (4 batches of 256 per epoch)
            terms.total = terms.total * float("nan")
        return terms

    monkeypatch.setattr(type(model), "loss", flaky)
    result = train(with_(tiny_cfg, epochs=3), model, ds.scaled, torch.device("cpu"))
    assert result.stopped == "nan"
    assert result.epoch == 1
    assert "epoch 2" in result.detail


def test_damaged_checkpoint_is_a_user_error(tmp_path: Path):
    (tmp_path / "ck.pt").write_bytes(b"\x00" * 100)
    with pytest.raises(UserError, match="not a readable checkpoint"):
        load_checkpoint(tmp_path / "ck.pt")
    with pytest.raises(UserError, match="no checkpoint"):
        load_checkpoint(tmp_path / "missing.pt")


def test_every_epoch_is_saved_and_a_frame_comes_first(tiny_cfg):
    """save_state gets each finished epoch's state, after on_epoch_end (a frame is part of the state)."""
    calls = []
    _, _, result = _train(
        with_(tiny_cfg, epochs=3),
        on_epoch_end=lambda e, h: calls.append(("frame", e)),
        save_state=lambda state: calls.append(("state", state["epoch"])),
    )
    assert calls == [("frame", 1), ("state", 1), ("frame", 2), ("state", 2), ("frame", 3), ("state", 3)]
    assert set(result.history) == {"total", "recons", "kld", "beta", "lr", "seconds"}


def test_sigterm_stops_like_ctrl_c(tiny_cfg):
    def terminate(state):
        if state["epoch"] == 1:
            raise Stopped(signal.SIGTERM)

    _, _, result = _train(with_(tiny_cfg, epochs=3), save_state=terminate)
    assert result.stopped == "interrupted"
    assert result.epoch == 1
    assert result.signal is not None
    assert result.signal.exit_code == 143
    assert result.detail == "stopped by SIGTERM"


def test_a_checkpoint_of_an_earlier_format_is_a_clear_error(tiny_cfg, tmp_path: Path):
    """An earlier version's checkpoint (another optimizer, other buffers) asks for a retrain, naming both formats."""
    _, ds, result = _train(tiny_cfg)
    path = tmp_path / "old.pt"
    state = {**result.checkpoint, "config": tiny_cfg.to_dict(), "scaler": ds.scaler.to_dict()}
    torch.save({**state, "format": 3}, path)
    with pytest.raises(UserError, match=r"another version of pi-vae \(format 3, this one reads 4\); retrain"):
        load_checkpoint(path)

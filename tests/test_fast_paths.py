"""The fast paths give the maths they replace: the token-major encoder layer (models/transformer_layer.py) against
nn.TransformerEncoderLayer, and the flat-buffer Adam (utils/flat_adam.py) against torch.optim.Adam."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from models.transformer_layer import encoder_layer
from utils.flat_adam import FlatAdam


@pytest.mark.parametrize(("width", "heads"), [(32, 2), (16, 4), (24, 1)])
@pytest.mark.parametrize("training", [True, False])
def test_encoder_layer_is_the_nn_layer(width, heads, training):
    """The same outputs and the same gradients, for the input and every parameter (x: 5 tokens of 7 points)."""
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(width, heads, 2 * width, 0.0, batch_first=True, norm_first=True)
    layer.train(training)
    x = torch.randn(7, 5, width, requires_grad=True)  # (B, T, H), as the nn layer takes it
    expected = layer(x)
    got = encoder_layer(layer, x.transpose(0, 1).contiguous()).transpose(0, 1)  # (T, B, H) in and out
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)
    weights = torch.randn_like(expected)  # a loss that weighs every output differently
    inputs = [x, *layer.parameters()]
    for a, b in zip(
        torch.autograd.grad((expected * weights).sum(), inputs),
        torch.autograd.grad((got * weights).sum(), inputs),
        strict=True,
    ):
        torch.testing.assert_close(b, a, atol=1e-4, rtol=1e-4)


def _net() -> nn.Module:
    torch.manual_seed(1)
    return nn.Sequential(nn.Linear(3, 17), nn.ReLU(), nn.Linear(17, 2))


def _loss(net: nn.Module, step: int) -> torch.Tensor:
    x = torch.randn(32, 3, generator=torch.Generator().manual_seed(step))
    out: torch.Tensor = net(x).pow(2).mean() * 50  # large gradients: clipping is active
    return out


def test_flat_adam_is_torchs_adam_with_clipping():
    reference, flat = _net(), _net()
    torch_adam = torch.optim.Adam(reference.parameters(), lr=0.01)
    ours = FlatAdam(flat.parameters())
    for step in range(30):
        torch_adam.zero_grad()
        _loss(reference, step).backward()
        torch.nn.utils.clip_grad_norm_(reference.parameters(), 1.0)
        torch_adam.step()
        ours.zero_grad()
        _loss(flat, step).backward()
        ours.clip_grad_norm(1.0)
        ours.step(0.01)
    for a, b in zip(reference.parameters(), flat.parameters(), strict=True):
        torch.testing.assert_close(b, a, atol=1e-6, rtol=1e-5)


def test_flat_adam_keeps_parameters_in_place_and_resumes():
    """The parameters stay the module's (shapes, state_dict), aligned; a state_dict continues the same run."""
    net = _net()
    shapes = [p.shape for p in net.parameters()]
    optimizer = FlatAdam(net.parameters())
    assert [p.shape for p in net.parameters()] == shapes
    assert all(p.data_ptr() % 64 == 0 for p in net.parameters())  # each on a 64-byte boundary
    for step in range(5):
        optimizer.zero_grad()
        _loss(net, step).backward()
        optimizer.step(0.01)
    state, weights = optimizer.state_dict(), {k: v.clone() for k, v in net.state_dict().items()}
    optimizer.zero_grad()
    _loss(net, 5).backward()
    optimizer.step(0.01)
    after = [p.detach().clone() for p in net.parameters()]

    again = _net()
    again.load_state_dict(weights)
    resumed = FlatAdam(again.parameters())
    resumed.load_state_dict(state)
    resumed.zero_grad()
    _loss(again, 5).backward()
    resumed.step(0.01)
    for a, b in zip(after, again.parameters(), strict=True):
        assert torch.equal(a, b)

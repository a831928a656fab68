"""nn.TransformerEncoderLayer's maths for a handful of tokens, in the fewest tensor operations.

A point is F = 5 tokens of width H = 32. nn.TransformerEncoderLayer is written for long sequences:
its attention (scaled_dot_product_attention, or a batched matmul) solves B·heads problems of 5 x 16
x 5 each, and spends its time on each problem's overhead, not on arithmetic. Here the activations
are token-major, (T, B, H): every linear is one matrix product over all T·B tokens and layer norm is
one fused call, as before; only the attention in the middle is laid out with the batch last,
(heads, d, T, B), where the T x T scores and the mixing of the values are a few elementwise
operations vectorised along the batch. The q, k, v projection writes that layout directly and the
output projection reads it, so no copy is made to get there. Forward and backward together take
about half the time of the nn layer's on a CPU (benchmarks/RESULTS.md, "Speed").

The layer's parameters stay in the nn.TransformerEncoderLayer (its state_dict, its initialisation);
`encoder_layer` only evaluates it: pre-norm, ReLU, no dropout, as models/transformer_vae.py builds it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def encoder_layers(layers: nn.Sequential, x: torch.Tensor) -> torch.Tensor:
    """x (T, B, H) through each nn.TransformerEncoderLayer of `layers` in turn (`encoder_layer`)."""
    for layer in layers:
        assert isinstance(layer, nn.TransformerEncoderLayer), f"not an encoder layer: {type(layer).__name__}"
        x = encoder_layer(layer, x)
    return x


def encoder_layer(layer: nn.TransformerEncoderLayer, x: torch.Tensor) -> torch.Tensor:
    """x (T, B, H) -> (T, B, H): `layer`'s output, as layer(x.transpose(0, 1)).transpose(0, 1) gives it."""
    tokens, batch, width = x.shape
    attn = layer.self_attn
    heads = attn.num_heads
    d = width // heads
    h = F.layer_norm(x, (width,), layer.norm1.weight, layer.norm1.bias, layer.norm1.eps)
    # (3H, T·B) = W_qkv (3H, H) @ h^T: q, k, v with the batch last, (3, heads, d, T, B)
    qkv = torch.addmm(attn.in_proj_bias[:, None], attn.in_proj_weight, h.view(-1, width).T)
    q, k, v = qkv.view(3, heads, d, tokens, batch).unbind(0)
    scores = (q[:, :, :, None] * k[:, :, None]).sum(1) * d**-0.5  # (heads, T queries, T keys, B)
    weights = torch.softmax(scores, dim=2)
    mixed = (weights[:, None] * v[:, :, None]).sum(3)  # (heads, d, T, B): Σ_j weight_ij · v_j
    # back to token-major: (T·B, H) = mixed^T (T·B, H) @ W_out^T
    x = x + torch.addmm(attn.out_proj.bias, mixed.view(width, -1).T, attn.out_proj.weight.T).view(tokens, batch, width)
    h = F.layer_norm(x, (width,), layer.norm2.weight, layer.norm2.bias, layer.norm2.eps)
    return x + F.linear(
        torch.relu(F.linear(h, layer.linear1.weight, layer.linear1.bias)), layer.linear2.weight, layer.linear2.bias
    )
